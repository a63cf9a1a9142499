//! The budget for heavy work: at most N tensor-training jobs run at once (N = cores by
//! default); the others wait in a queue, first come first served, and know their place.

use std::{
    collections::VecDeque,
    sync::{Arc, Mutex},
};

#[derive(Debug)]
struct Slots {
    max: usize,
    running: usize,
    /// Tickets waiting, in order of arrival.
    queue: VecDeque<u64>,
    next_ticket: u64,
}

/// Shared by every session of a server.
#[derive(Debug, Clone)]
pub struct Budget {
    slots: Arc<Mutex<Slots>>,
}

/// A running job's slot; dropping it frees the slot.
#[derive(Debug)]
pub struct Permit {
    slots: Arc<Mutex<Slots>>,
}

impl Drop for Permit {
    fn drop(&mut self) {
        let mut s = self.slots.lock().expect("budget");
        s.running = s.running.saturating_sub(1);
    }
}

/// A place in the queue; dropping it leaves the queue.
#[derive(Debug)]
pub struct Ticket {
    id: u64,
    slots: Arc<Mutex<Slots>>,
}

impl Drop for Ticket {
    fn drop(&mut self) {
        let mut s = self.slots.lock().expect("budget");
        s.queue.retain(|&t| t != self.id);
    }
}

impl Budget {
    /// At most `max` heavy jobs at once (at least 1).
    pub fn new(max: usize) -> Self {
        Budget {
            slots: Arc::new(Mutex::new(Slots {
                max: max.max(1),
                running: 0,
                queue: VecDeque::new(),
                next_ticket: 0,
            })),
        }
    }

    pub fn max(&self) -> usize {
        self.slots.lock().expect("budget").max
    }

    /// Heavy jobs running now.
    pub fn running(&self) -> usize {
        self.slots.lock().expect("budget").running
    }

    /// Joins the queue.
    pub fn join(&self) -> Ticket {
        let mut s = self.slots.lock().expect("budget");
        let id = s.next_ticket;
        s.next_ticket += 1;
        s.queue.push_back(id);
        Ticket {
            id,
            slots: self.slots.clone(),
        }
    }

    /// A slot for `ticket` if one is free and the ticket is first in line; else its place
    /// in the queue (1 = next).
    pub fn try_start(&self, ticket: &Ticket) -> Result<Permit, usize> {
        let mut s = self.slots.lock().expect("budget");
        let place = s
            .queue
            .iter()
            .position(|&t| t == ticket.id)
            .map_or(usize::MAX, |p| p + 1);
        if s.running < s.max && place == 1 {
            s.queue.pop_front();
            s.running += 1;
            Ok(Permit {
                slots: self.slots.clone(),
            })
        } else {
            Err(place)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn at_most_n_run_and_the_queue_is_first_come_first_served() {
        let b = Budget::new(2);
        let (t1, t2, t3, t4) = (b.join(), b.join(), b.join(), b.join());
        let p1 = b.try_start(&t1).unwrap();
        let p2 = b.try_start(&t2).unwrap();
        assert_eq!(b.running(), 2);
        assert_eq!(b.try_start(&t3).unwrap_err(), 1);
        assert_eq!(b.try_start(&t4).unwrap_err(), 2);
        drop(p1);
        // t4 may not jump the queue
        assert_eq!(b.try_start(&t4).unwrap_err(), 2);
        let p3 = b.try_start(&t3).unwrap();
        assert_eq!(b.try_start(&t4).unwrap_err(), 1);
        // a waiting job that gives up leaves the queue
        drop(t4);
        let t5 = b.join();
        assert_eq!(b.try_start(&t5).unwrap_err(), 1);
        drop((p2, p3));
        assert!(b.try_start(&t5).is_ok());
    }
}
