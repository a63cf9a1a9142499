//! The one runner every page's job runs in on the server: a worker thread that owns the
//! job's [`Driver`], hands it messages between steps, trains at its pace (waiting for the
//! heavy-work budget when the job is heavy), and publishes the latest snapshot at most every
//! `J::PUBLISH_EVERY`. Training never waits for a page. What a job does — and a panic inside
//! it — is the driver's to contain; the thread outlives it.

use std::{
    marker::PhantomData,
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
        mpsc,
    },
    thread,
    time::{Duration, Instant},
};

use hourglass_lab::Driver;
use serde_json::Value;
use tokio::sync::watch;

use super::{
    Frame, Host, JobLink, PageJob, Permit, Replies, Ticket, WireError,
    pace::Pace,
    wire::{self, Control},
};

/// One message for the worker, with where its answers go.
struct Envelope<J: PageJob> {
    control: Control<J::Command, J::Query>,
    replies: Replies,
}

/// The handle sessions hold.
struct Handle<J: PageJob> {
    commands: mpsc::Sender<Envelope<J>>,
    /// Messages sent and not yet taken by the worker: training yields between steps when
    /// there are any, so a question (a hover's decode) waits for one step at most.
    pending: Arc<AtomicUsize>,
    snapshots: watch::Receiver<Arc<Frame>>,
    greeting: Value,
    _job: PhantomData<fn() -> J>,
}

impl<J: PageJob> JobLink for Handle<J> {
    fn page(&self) -> &'static str {
        J::NAME
    }

    fn deliver(&self, text: &str, replies: &Replies) -> Result<(), WireError> {
        let control = wire::parse_for::<J>(text)?;
        self.pending.fetch_add(1, Ordering::AcqRel);
        self.commands
            .send(Envelope {
                control,
                replies: replies.clone(),
            })
            .map_err(|_| WireError::new("ended", "this page's job has ended; reload the page"))
    }

    fn snapshots(&self) -> watch::Receiver<Arc<Frame>> {
        self.snapshots.clone()
    }

    fn greeting(&self) -> Value {
        self.greeting.clone()
    }
}

/// Starts `J` on its default settings on a worker thread of its own.
pub fn spawn<J: PageJob>(host: Arc<Host>) -> Result<Arc<dyn JobLink>, WireError> {
    let mut driver = Driver::<J>::start(host.lab.clone())?;
    let greeting = driver.greeting();
    let (tx, rx) = mpsc::channel::<Envelope<J>>();
    let (snap_tx, snap_rx) = watch::channel(Arc::new(driver.snapshot()));
    let worker = Worker {
        driver,
        host,
        ticket: None,
        permit: None,
    };
    let pending = Arc::new(AtomicUsize::new(0));
    let waiting = pending.clone();
    thread::Builder::new()
        .name(format!("{}-job", J::NAME))
        .spawn(move || worker.run(rx, &waiting, snap_tx))
        .map_err(|e| WireError::new("full", format!("cannot start a worker thread: {e}")))?;
    Ok(Arc::new(Handle::<J> {
        commands: tx,
        pending,
        snapshots: snap_rx,
        greeting,
        _job: PhantomData,
    }))
}

struct Worker<J: PageJob> {
    driver: Driver<J>,
    host: Arc<Host>,
    /// A heavy job's place in the budget's queue, or its running slot.
    ticket: Option<Ticket>,
    permit: Option<Permit>,
}

impl<J: PageJob> Worker<J> {
    /// May training run now? A heavy job needs a slot of the budget; a paused one gives its
    /// slot (or its place in the queue) back.
    fn may_run(&mut self) -> bool {
        if !self.driver.training() {
            self.ticket = None;
            self.permit = None;
            self.driver.set_queued(None);
            return false;
        }
        if !J::HEAVY || self.permit.is_some() {
            return true;
        }
        let budget = self.host.budget.clone();
        let ticket = self.ticket.get_or_insert_with(|| budget.join());
        match budget.try_start(ticket) {
            Ok(p) => {
                self.permit = Some(p);
                self.ticket = None;
                self.driver.set_queued(None);
                true
            }
            Err(place) => {
                self.driver.set_queued(Some(place));
                false
            }
        }
    }

    /// Applies one message and sends its reply; false when it changed nothing a snapshot
    /// shows (a query).
    fn apply(&mut self, env: Envelope<J>) -> bool {
        let applied = self.driver.apply(env.control);
        if let Some(reply) = applied.reply {
            let _ = env.replies.try_send(reply);
        }
        applied.dirty
    }

    fn run(
        mut self,
        rx: mpsc::Receiver<Envelope<J>>,
        pending: &AtomicUsize,
        out: watch::Sender<Arc<Frame>>,
    ) {
        let mut last_publish = Instant::now();
        let mut dirty = false;
        let mut pace = Pace::new(self.driver.speed());
        loop {
            // waits for a message when not running (waking to publish and to look at the
            // budget's queue); only polls between steps while running
            let running = self.driver.training() && (self.permit.is_some() || !J::HEAVY);
            let first = if running {
                match rx.try_recv() {
                    Ok(c) => Some(c),
                    Err(mpsc::TryRecvError::Empty) => None,
                    Err(mpsc::TryRecvError::Disconnected) => return,
                }
            } else {
                // a change not yet published (training just ended, say) is published as soon
                // as it is due, not a whole period later
                let wait = if dirty {
                    J::PUBLISH_EVERY
                        .saturating_sub(last_publish.elapsed())
                        .max(Duration::from_millis(1))
                } else {
                    J::PUBLISH_EVERY.max(Duration::from_millis(16))
                };
                match rx.recv_timeout(wait) {
                    Ok(c) => Some(c),
                    Err(mpsc::RecvTimeoutError::Timeout) => None,
                    Err(mpsc::RecvTimeoutError::Disconnected) => return,
                }
            };
            let (was_running, old_speed, old_queued) =
                (running, self.driver.speed(), self.driver.queued());
            for env in first.into_iter().chain(rx.try_iter()) {
                pending.fetch_sub(1, Ordering::AcqRel);
                dirty |= self.apply(env);
            }
            let running = self.may_run();
            dirty |= self.driver.queued() != old_queued;
            dirty |= self.driver.poll();
            if running && (!was_running || self.driver.speed() != old_speed) {
                pace.restart(self.driver.speed());
            }
            let waiting = || pending.load(Ordering::Acquire) > 0;
            let driver = &mut self.driver;
            if running && pace.run(Duration::from_millis(5), waiting, || driver.step()) > 0 {
                dirty = true;
            }
            self.driver.measure_rate();
            let stopped = (was_running || running) && !self.driver.training();
            if stopped {
                // a slot of the budget is given back as soon as training stops
                self.may_run();
            }
            if publish_due(dirty, stopped, last_publish.elapsed(), J::PUBLISH_EVERY) {
                if out.send(Arc::new(self.driver.snapshot())).is_err() {
                    return;
                }
                last_publish = Instant::now();
                dirty = false;
            }
            if running {
                pace.wait(J::PUBLISH_EVERY);
            }
        }
    }
}

/// Is a snapshot due? A change is published at most every `every`, except that training
/// stopping (finished, paused, failed) is published at once: the page shows the end of a run
/// when it happens, not up to a period later.
fn publish_due(dirty: bool, stopped: bool, since_last: Duration, every: Duration) -> bool {
    dirty && (stopped || since_last >= every)
}

#[cfg(test)]
mod tests {
    use hourglass_core::glass::GlassSettings;
    use hourglass_lab::{Change, Context, Progress, RunState, pages::glass::GlassJob};
    use serde::Deserialize;
    use serde_json::json;

    use super::*;
    use crate::runtime::{
        Outgoing,
        test_support::{Probe, wait_for},
    };

    /// A job that fails inside when told to: in its step, or in a query.
    struct Faulty {
        armed: bool,
        steps: u64,
    }

    #[derive(Debug, Deserialize)]
    #[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
    enum FaultyCommand {
        Arm,
    }

    #[derive(Debug, Deserialize)]
    #[serde(tag = "query", rename_all = "snake_case", deny_unknown_fields)]
    enum FaultyQuery {
        Crash {},
        Steps {},
    }

    impl PageJob for Faulty {
        type Settings = GlassSettings;
        type Command = FaultyCommand;
        type Query = FaultyQuery;
        const NAME: &'static str = "faulty";
        const TITLE: &'static str = "Faulty";
        const DEFAULT_SPEED: f64 = 0.0;

        fn start(_ctx: Arc<Context>) -> Result<Self, WireError> {
            Ok(Faulty {
                armed: false,
                steps: 0,
            })
        }
        fn settings(&self) -> GlassSettings {
            GlassSettings::default()
        }
        fn configure(&mut self, _next: GlassSettings) -> Result<Change, WireError> {
            Ok(Change::Kept)
        }
        fn command(&mut self, FaultyCommand::Arm: FaultyCommand) -> Result<Change, WireError> {
            self.armed = true;
            Ok(Change::Kept)
        }
        fn reset(&mut self) -> Result<(), WireError> {
            self.armed = false;
            self.steps = 0;
            Ok(())
        }
        fn step(&mut self) -> Result<Option<Progress>, WireError> {
            if self.armed && self.steps >= 3 {
                let v: Vec<u32> = Vec::new();
                // an index out of bounds, as a bug in a job would make
                let _ = v[self.steps as usize];
            }
            self.steps += 1;
            Ok(Some(Progress {
                x: self.steps as f64,
                loss: 1.0,
            }))
        }
        fn origin(&self) -> Option<Progress> {
            None
        }
        fn frame(&mut self, _run: &RunState) -> Frame {
            Frame::new(json!({"steps": self.steps}))
        }
        fn query(&mut self, query: FaultyQuery) -> Result<Frame, WireError> {
            if let FaultyQuery::Crash {} = query {
                panic!("the query fell over");
            }
            Ok(Frame::new(json!({"steps": self.steps})))
        }
    }

    #[test]
    fn a_job_that_panics_pauses_with_the_reason_and_the_others_never_notice() {
        let other = Probe::start::<GlassJob>();
        other.send(r#"{"type":"speed","value":0}"#);
        other.send(r#"{"type":"play"}"#);
        let faulty = Probe::start::<Faulty>();
        faulty.send(r#"{"type":"arm"}"#);
        faulty.send(r#"{"type":"play"}"#);
        let s = wait_for(&faulty, |f| !f.header["run"]["notice"].is_null());
        let notice = s.header["run"]["notice"]["text"]
            .as_str()
            .unwrap()
            .to_string();
        assert!(notice.contains("while training"), "{notice}");
        assert!(notice.contains("index out of bounds"), "{notice}");
        assert_eq!(s.header["run"]["training"], false);
        assert_eq!(s.header["steps"], 3);
        // the job still answers, and a panic in a query is an error for the asker
        faulty.send(r#"{"type":"query","id":1,"query":"steps"}"#);
        assert!(matches!(faulty.reply(), Outgoing::Frame(_)));
        let e = faulty.answer_error(r#"{"type":"query","id":2,"query":"crash"}"#);
        assert!(e.contains("the query fell over"), "{e}");
        // after Reset it trains again
        faulty.send(r#"{"type":"reset"}"#);
        faulty.send(r#"{"type":"play"}"#);
        wait_for(&faulty, |f| f.header["steps"].as_u64().unwrap() > 5);
        // the other session trained on all along
        let before = other.latest().header["epoch"].as_u64().unwrap();
        wait_for(&other, |f| {
            f.header["epoch"].as_u64().unwrap() > before + 10
        });
    }

    #[test]
    fn the_end_of_a_run_is_published_at_once_other_changes_once_a_period() {
        let every = Duration::from_millis(400);
        let soon = Duration::from_millis(10);
        assert!(!publish_due(true, false, soon, every));
        assert!(publish_due(true, false, every, every));
        assert!(publish_due(true, true, soon, every));
        // nothing changed: nothing to publish
        assert!(!publish_due(false, true, every, every));
    }
}
