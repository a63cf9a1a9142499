//! The driver: what every host does with a job, with no threads and no transport. It applies
//! the shared commands (play, pause, step, reset, speed, configure), the page's own commands
//! and queries, takes steps when the host asks, keeps the loss series and the steps per
//! second, and builds snapshots. The server's worker thread wraps it with a channel, a pace
//! and the heavy-work budget; the browser's Web Worker wraps it with `postMessage`.
//!
//! Two promises hold here, for every page:
//! - **Nothing a job does takes its host down.** A panic in a job's step, command, query or
//!   frame is caught: training pauses, the page is told the reason as a notice, and the job
//!   goes on answering (the panic is also printed by the host's panic hook, so it is logged).
//!   On wasm32 a panic aborts the Web Worker instead; its host starts a new one.
//! - **A settings patch that changes nothing changes nothing**: a `configure` whose values are
//!   those the job has is not passed to the job, so a page's late echo of the current values
//!   never restarts a run.

use std::{
    any::Any,
    panic::{AssertUnwindSafe, catch_unwind},
    sync::Arc,
};

use hourglass_core::settings::Settings;
use serde::Serialize;
use serde_json::{Value, json};

use crate::{
    Change, Context, Frame, PageJob, RunState, Series, WireError,
    wire::{Control, MAX_SPEED},
};

/// A message for the connection that sent the message: an answer to its query, or an error.
#[derive(Debug, Clone)]
pub enum Outgoing {
    Frame(Frame),
    Error(WireError),
}

/// What applying one message did.
#[derive(Debug, Default)]
pub struct Applied {
    /// Something a snapshot shows changed (false for a query).
    pub dirty: bool,
    /// The answer or error for the sender, if any.
    pub reply: Option<Outgoing>,
}

/// One job and the run around it.
pub struct Driver<J: PageJob> {
    job: J,
    ctx: Arc<Context>,
    training: bool,
    speed: f64,
    series: Series,
    /// Steps taken since the job started.
    steps: u64,
    /// (since, steps then, steps per second), times from the host's clock.
    rate: (f64, u64, f64),
    /// Set by the host: a heavy job's place in its budget's queue.
    queued: Option<usize>,
    /// A message for every page of this session (e.g. why training stopped), counted so a
    /// page shows each once.
    notice: Option<(u64, String)>,
    /// The last snapshot's header, shown again if building a new one fails.
    last_header: serde_json::Map<String, Value>,
}

/// The words of a panic's payload.
fn panic_text(payload: &(dyn Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "an unknown fault".into())
}

/// The sentence a page shows when its job failed inside: what failed, what it did to the
/// run, and what to do.
fn fault_sentence(page: &str, during: &str, payload: &(dyn Any + Send), then: &str) -> String {
    format!(
        "Something went wrong inside this page's job while {during} ({}){then}. \
         The rest of Hourglass is unaffected; press Reset or reload the page to go on. \
         (page: {page})",
        panic_text(payload)
    )
}

impl<J: PageJob> Driver<J> {
    /// Starts `J` on its default settings.
    pub fn start(ctx: Arc<Context>) -> Result<Self, WireError> {
        let job = catch_unwind(AssertUnwindSafe(|| J::start(ctx.clone()))).map_err(|p| {
            WireError::new(
                "internal",
                fault_sentence(J::NAME, "starting", p.as_ref(), ""),
            )
        })??;
        let now = ctx.clock.now();
        let mut d = Driver {
            job,
            ctx,
            training: false,
            speed: J::DEFAULT_SPEED,
            series: Series::default(),
            steps: 0,
            rate: (now, 0, 0.0),
            queued: None,
            notice: None,
            last_header: serde_json::Map::new(),
        };
        d.restart();
        Ok(d)
    }

    /// What the page gets when it connects: the settings schema and the page's facts.
    pub fn greeting(&self) -> Value {
        json!({
            "page": J::NAME,
            "schema": J::Settings::schema_json(),
            "speed": {"default": J::DEFAULT_SPEED, "max": MAX_SPEED},
            "info": catch_unwind(AssertUnwindSafe(|| J::info(&self.ctx))).unwrap_or(Value::Null),
        })
    }

    /// Is training on (asked for; a heavy job may still wait for the budget)?
    pub fn training(&self) -> bool {
        self.training
    }

    /// Steps per second asked for (0 = as fast as it goes).
    pub fn speed(&self) -> f64 {
        self.speed
    }

    /// The host's budget says where a heavy job waits (None: it runs, or is not waiting).
    pub fn set_queued(&mut self, place: Option<usize>) {
        self.queued = place;
    }

    pub fn queued(&self) -> Option<usize> {
        self.queued
    }

    /// The job itself (for hosts' and tests' looks inside).
    pub fn job(&mut self) -> &mut J {
        &mut self.job
    }

    /// Runs `f` on the job; a panic becomes a notice and pauses training.
    fn guarded<T>(
        &mut self,
        during: &str,
        f: impl FnOnce(&mut J) -> Result<T, WireError>,
    ) -> Result<T, WireError> {
        match catch_unwind(AssertUnwindSafe(|| f(&mut self.job))) {
            Ok(r) => r,
            Err(p) => {
                let text = fault_sentence(J::NAME, during, p.as_ref(), ": training paused");
                self.training = false;
                self.tell(text.clone());
                Err(WireError::new("internal", text))
            }
        }
    }

    /// Step 0 of the current model: the loss series starts again.
    fn restart(&mut self) {
        self.series.clear();
        if let Ok(Some(p)) = self.guarded("starting again", |j| Ok(j.origin())) {
            self.series.record(p.x, p.loss);
        }
    }

    fn tell(&mut self, text: String) {
        let n = self.notice.as_ref().map_or(0, |(n, _)| n + 1);
        self.notice = Some((n, text));
    }

    fn after(&mut self, change: Result<Change, WireError>) -> Option<Outgoing> {
        match change {
            Ok(Change::Kept) => None,
            Ok(Change::Paused) => {
                self.training = false;
                None
            }
            Ok(Change::Restarted) => {
                self.training = false;
                self.restart();
                None
            }
            Err(e) => Some(Outgoing::Error(e)),
        }
    }

    /// One step of training; false (and paused, with a notice) when it failed or the job
    /// says it has finished.
    pub fn step(&mut self) -> bool {
        match self.guarded("training", |j| j.step()) {
            Ok(p) => {
                self.steps += 1;
                if let Some(p) = p {
                    self.series.record(p.x, p.loss);
                }
                if let Ok(Some(done)) = self.guarded("ending a run", |j| Ok(j.finished())) {
                    self.training = false;
                    self.tell(done);
                    return false;
                }
                self.training
            }
            Err(e) => {
                self.training = false;
                if e.code != "internal" {
                    self.tell(e.message);
                }
                false
            }
        }
    }

    /// Applies one checked message.
    pub fn apply(&mut self, control: Control<J::Command, J::Query>) -> Applied {
        let reply = match control {
            Control::Play => {
                self.training = true;
                None
            }
            Control::Pause => {
                self.training = false;
                None
            }
            Control::Step => {
                self.training = false;
                self.step();
                None
            }
            Control::Reset => {
                self.training = false;
                let r = self.guarded("starting again", |j| j.reset().map(|_| Change::Restarted));
                self.after(r)
            }
            Control::Speed(v) => {
                self.speed = v;
                None
            }
            Control::Configure(patch) => {
                let r = self.guarded("applying settings", |j| {
                    let now = j.settings();
                    let next = now.patched(&patch).map_err(WireError::from)?;
                    // a patch that changes nothing changes nothing
                    if next == now {
                        return Ok(Change::Kept);
                    }
                    j.configure(next)
                });
                self.after(r)
            }
            Control::Command(c) => {
                let r = self.guarded("doing what the page asked", |j| j.command(c));
                self.after(r)
            }
            Control::Query { id, name, query } => {
                let answer = match self.guarded("answering the page", |j| j.query(query)) {
                    Ok(mut f) => {
                        f.set("type", json!("answer"));
                        f.set("id", json!(id));
                        f.set("query", json!(name));
                        Outgoing::Frame(f)
                    }
                    Err(e) => Outgoing::Error(e.with_id(Some(id))),
                };
                // a query changes nothing a snapshot shows, unless it failed inside (the
                // notice and the pause are news)
                let failed_inside = matches!(&answer, Outgoing::Error(e) if e.code == "internal");
                return Applied {
                    dirty: failed_inside,
                    reply: Some(answer),
                };
            }
        };
        Applied { dirty: true, reply }
    }

    /// Did something change outside a step (a download, say), so that a snapshot is due?
    pub fn poll(&mut self) -> bool {
        self.guarded("looking for news", |j| Ok(j.poll()))
            .unwrap_or(true)
    }

    /// Updates the steps per second (over at least half a second).
    pub fn measure_rate(&mut self) {
        let now = self.ctx.clock.now();
        let (t, s, _) = self.rate;
        if !self.training || self.queued.is_some() {
            self.rate = (now, self.steps, 0.0);
        } else if now - t >= 0.5 {
            let done = self.steps.saturating_sub(s);
            self.rate = (now, self.steps, done as f64 / (now - t));
        }
    }

    /// The snapshot: the job's frame with its settings and the run's state.
    pub fn snapshot(&mut self) -> Frame {
        let losses = self.series.points().to_vec();
        let run = RunState {
            training: self.training,
            queued: self.queued,
            speed: self.speed,
            steps_per_second: self.rate.2,
            losses: &losses,
        };
        let mut f = match self.guarded("drawing its state", |j| Ok(j.frame(&run))) {
            Ok(f) => {
                self.last_header = f.header.clone();
                f
            }
            // the last good picture, with the run's state (and the notice) brought up to date
            Err(_) => Frame {
                header: self.last_header.clone(),
                arrays: Vec::new(),
            },
        };
        let settings = self
            .guarded("drawing its state", |j| Ok(j.settings()))
            .map(|s| json!(s))
            .unwrap_or(Value::Null);
        f.set("type", json!("snapshot"));
        f.set("settings", settings);
        let view = RunView {
            state: run,
            notice: self
                .notice
                .as_ref()
                .map(|(id, text)| Notice { id: *id, text }),
        };
        f.set("run", serde_json::to_value(view).unwrap_or_default());
        f
    }
}

/// The run's state in every snapshot, under `run`.
#[derive(Serialize)]
struct RunView<'a> {
    #[serde(flatten)]
    state: RunState<'a>,
    /// Why the job paused on its own (a failure inside it), until the page is told again.
    notice: Option<Notice<'a>>,
}

#[derive(Serialize)]
struct Notice<'a> {
    id: u64,
    text: &'a str,
}

#[cfg(test)]
mod tests {
    use crate::{pages::glass::GlassJob, testing::Probe};

    #[test]
    fn steps_per_second_follow_the_hosts_clock() {
        let mut p = Probe::<GlassJob>::start();
        p.send(r#"{"type":"play"}"#);
        p.driver.measure_rate();
        p.run(100);
        p.clock.advance(0.25);
        p.driver.measure_rate();
        // under half a second: not measured yet
        assert_eq!(p.latest().header["run"]["steps_per_second"], 0.0);
        p.clock.advance(0.25);
        p.driver.measure_rate();
        assert_eq!(p.latest().header["run"]["steps_per_second"], 200.0);
        p.send(r#"{"type":"pause"}"#);
        p.driver.measure_rate();
        assert_eq!(p.latest().header["run"]["steps_per_second"], 0.0);
    }
}
