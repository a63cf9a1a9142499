//! The one runner every page's job runs in: a worker thread that owns the job, reads
//! messages between steps, trains at its pace (waiting for the heavy-work budget when the
//! job is heavy), keeps the loss series, and publishes the latest snapshot at most every
//! `J::PUBLISH_EVERY`. Training never waits for a page.

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

use hourglass_core::settings::Settings;
use serde_json::{Value, json};
use tokio::sync::watch;

use super::{
    Change, Context, Frame, JobLink, Outgoing, PageJob, Permit, Replies, RunState, Series, Ticket,
    WireError,
    pace::Pace,
    wire::{self, Control},
};

/// One message for the worker, with where its answers go.
struct Envelope<C> {
    control: Control<C>,
    replies: Replies,
}

/// The handle sessions hold.
struct Handle<J: PageJob> {
    commands: mpsc::Sender<Envelope<J::Command>>,
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
        let control = wire::parse::<J::Settings, J::Command>(text)?;
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
pub fn spawn<J: PageJob>(ctx: Arc<Context>) -> Result<Arc<dyn JobLink>, WireError> {
    let job = J::start(ctx.clone())?;
    let (tx, rx) = mpsc::channel::<Envelope<J::Command>>();
    let mut worker = Worker {
        job,
        ctx: ctx.clone(),
        training: false,
        speed: J::DEFAULT_SPEED,
        series: Series::default(),
        rate: (Instant::now(), 0, 0.0),
        steps: 0,
        ticket: None,
        permit: None,
        queued: None,
        notice: None,
    };
    worker.restart();
    let (snap_tx, snap_rx) = watch::channel(Arc::new(worker.snapshot()));
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
        greeting: json!({
            "page": J::NAME,
            "schema": J::Settings::schema_json(),
            "speed": {"default": J::DEFAULT_SPEED, "max": wire::MAX_SPEED},
            "info": J::info(&ctx),
        }),
        _job: PhantomData,
    }))
}

struct Worker<J: PageJob> {
    job: J,
    ctx: Arc<Context>,
    training: bool,
    speed: f64,
    series: Series,
    /// (since, steps then, steps per second)
    rate: (Instant, u64, f64),
    steps: u64,
    /// A heavy job's place in the budget's queue, or its running slot.
    ticket: Option<Ticket>,
    permit: Option<Permit>,
    queued: Option<usize>,
    /// A message for every page of this session (e.g. why training stopped), counted so a
    /// page shows each once.
    notice: Option<(u64, String)>,
}

impl<J: PageJob> Worker<J> {
    /// Step 0 of the current model: the loss series starts again.
    fn restart(&mut self) {
        self.series.clear();
        if let Some(p) = self.job.origin() {
            self.series.record(p.x, p.loss);
        }
    }

    fn tell(&mut self, text: String) {
        let n = self.notice.as_ref().map_or(0, |(n, _)| n + 1);
        self.notice = Some((n, text));
    }

    fn pause(&mut self) {
        self.training = false;
        self.ticket = None;
        self.permit = None;
        self.queued = None;
    }

    /// May training run now? A heavy job needs a slot of the budget.
    fn may_run(&mut self) -> bool {
        if !self.training {
            return false;
        }
        if !J::HEAVY || self.permit.is_some() {
            return true;
        }
        let budget = self.ctx.budget.clone();
        let ticket = self.ticket.get_or_insert_with(|| budget.join());
        match budget.try_start(ticket) {
            Ok(p) => {
                self.permit = Some(p);
                self.ticket = None;
                self.queued = None;
                true
            }
            Err(place) => {
                self.queued = Some(place);
                false
            }
        }
    }

    fn after(&mut self, change: Result<Change, WireError>, replies: &Replies) {
        match change {
            Ok(Change::Kept) => {}
            Ok(Change::Paused) => self.pause(),
            Ok(Change::Restarted) => {
                self.pause();
                self.restart();
            }
            Err(e) => {
                let _ = replies.try_send(Outgoing::Error(e));
            }
        }
    }

    /// One step; false (and paused, with a notice) when it failed.
    fn step(&mut self) -> bool {
        match self.job.step() {
            Ok(p) => {
                self.steps += 1;
                if let Some(p) = p {
                    self.series.record(p.x, p.loss);
                }
                if let Some(done) = self.job.finished() {
                    self.pause();
                    self.tell(done);
                    return false;
                }
                true
            }
            Err(e) => {
                self.pause();
                self.tell(e.message);
                false
            }
        }
    }

    /// Applies one message; false when it changed nothing a snapshot shows (a query).
    fn apply(&mut self, env: Envelope<J::Command>) -> bool {
        let Envelope { control, replies } = env;
        match control {
            Control::Play => self.training = true,
            Control::Pause => self.pause(),
            Control::Step => {
                self.pause();
                self.step();
            }
            Control::Reset => {
                self.pause();
                let r = self.job.reset().map(|_| Change::Restarted);
                self.after(r, &replies);
            }
            Control::Speed(v) => self.speed = v,
            Control::Configure(patch) => {
                let r = self
                    .job
                    .settings()
                    .patched(&patch)
                    .map_err(WireError::from)
                    .and_then(|next| self.job.configure(next));
                self.after(r, &replies);
            }
            Control::Command(c) => {
                let r = self.job.command(c);
                self.after(r, &replies);
            }
            Control::Query { id, name, fields } => {
                let answer = match self.job.query(&name, &fields) {
                    Ok(mut f) => {
                        f.set("type", json!("answer"));
                        f.set("id", json!(id));
                        f.set("query", json!(name));
                        Outgoing::Frame(f)
                    }
                    Err(e) => Outgoing::Error(e.with_id(Some(id))),
                };
                let _ = replies.try_send(answer);
                return false;
            }
        }
        true
    }

    fn measure_rate(&mut self) {
        let (t, s, _) = self.rate;
        let elapsed = t.elapsed().as_secs_f64();
        if !self.training || self.queued.is_some() {
            self.rate = (Instant::now(), self.steps, 0.0);
        } else if elapsed >= 0.5 {
            let done = self.steps.saturating_sub(s);
            self.rate = (Instant::now(), self.steps, done as f64 / elapsed);
        }
    }

    fn snapshot(&mut self) -> Frame {
        let run = RunState {
            training: self.training,
            queued: self.queued,
            speed: self.speed,
            steps_per_second: self.rate.2,
            losses: self.series.points(),
        };
        let mut f = self.job.frame(&run);
        f.set("type", json!("snapshot"));
        f.set("settings", json!(self.job.settings()));
        f.set(
            "run",
            json!({
                "training": run.training,
                "queued": run.queued,
                "speed": run.speed,
                "steps_per_second": run.steps_per_second,
                "losses": run.losses,
                "notice": self.notice.as_ref().map(|(id, text)| json!({"id": id, "text": text})),
            }),
        );
        f
    }

    fn run(
        mut self,
        rx: mpsc::Receiver<Envelope<J::Command>>,
        pending: &AtomicUsize,
        out: watch::Sender<Arc<Frame>>,
    ) {
        let mut last_publish = Instant::now();
        let mut dirty = false;
        let mut pace = Pace::new(self.speed);
        loop {
            // waits for a message when not running (waking to publish and to look at the
            // budget's queue); only polls between steps while running
            let running = self.training && (self.permit.is_some() || !J::HEAVY);
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
            let (was_running, old_speed, old_queued) = (running, self.speed, self.queued);
            for env in first.into_iter().chain(rx.try_iter()) {
                pending.fetch_sub(1, Ordering::AcqRel);
                dirty |= self.apply(env);
            }
            let running = self.may_run();
            dirty |= self.queued != old_queued;
            dirty |= self.job.poll();
            if running && (!was_running || self.speed != old_speed) {
                pace.restart(self.speed);
            }
            let waiting = || pending.load(Ordering::Acquire) > 0;
            if running && pace.run(Duration::from_millis(5), waiting, || self.step()) > 0 {
                dirty = true;
            }
            self.measure_rate();
            let stopped = (was_running || running) && !self.training;
            if publish_due(dirty, stopped, last_publish.elapsed(), J::PUBLISH_EVERY) {
                if out.send(Arc::new(self.snapshot())).is_err() {
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
    use super::*;

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
