//! The training pace of a job's worker: so many steps (epochs) per second (0 = as fast as it goes),
//! counted from when training (re)started, so a page can watch the network learn.

use std::{
    thread,
    time::{Duration, Instant},
};

pub struct Pace {
    speed: f64,
    /// When training (re)started at this speed, and the epochs run since.
    t0: Instant,
    done: u64,
}

impl Pace {
    pub fn new(speed: f64) -> Self {
        Pace {
            speed,
            t0: Instant::now(),
            done: 0,
        }
    }

    /// Counts again from now at `speed` (training resumed, or the speed changed).
    pub fn restart(&mut self, speed: f64) {
        *self = Pace::new(speed);
    }

    fn due(&self) -> bool {
        self.speed <= 0.0 || self.done < (self.t0.elapsed().as_secs_f64() * self.speed) as u64 + 1
    }

    /// Runs `step` while steps are due, for at most `slice` (so commands are read between
    /// slices), until it returns false, or until `waiting` says a message has come; returns
    /// how many ran (at least one when one is due).
    pub fn run(
        &mut self,
        slice: Duration,
        waiting: impl Fn() -> bool,
        mut step: impl FnMut() -> bool,
    ) -> u64 {
        let start = Instant::now();
        let mut ran = 0;
        while self.due() && start.elapsed() < slice && (ran == 0 || !waiting()) {
            let go_on = step();
            self.done += 1;
            ran += 1;
            if !go_on {
                break;
            }
        }
        ran
    }

    /// Ahead of the pace: sleeps until the next epoch is due, at most `max`.
    pub fn wait(&self, max: Duration) {
        if self.speed <= 0.0 {
            return;
        }
        let next = self.done as f64 / self.speed;
        let wait = (next - self.t0.elapsed().as_secs_f64()).clamp(0.0, max.as_secs_f64());
        if wait > 0.0 {
            thread::sleep(Duration::from_secs_f64(wait));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_to_its_speed_and_unpaced_runs_the_whole_slice() {
        let mut p = Pace::new(1000.0);
        let start = Instant::now();
        let mut n = 0;
        while start.elapsed() < Duration::from_millis(100) {
            n += p.run(Duration::from_millis(5), || false, || true);
            p.wait(Duration::from_millis(15));
        }
        // about 100 epochs in 100 ms; never far ahead of the pace
        assert!(
            n <= 1000 * start.elapsed().as_millis() as u64 / 1000 + 2,
            "{n}"
        );
        let mut fast = Pace::new(0.0);
        assert!(fast.run(Duration::from_millis(2), || false, || true) > 100);
        // a message waiting: one step, then the worker reads it
        assert_eq!(fast.run(Duration::from_millis(2), || true, || true), 1);
        assert_eq!(fast.run(Duration::from_millis(2), || false, || false), 1);
    }
}
