//! The browser's host of one page's job: what the server's worker thread does (`runner.rs`
//! there), without threads. The Web Worker's script calls [`Hosting::deliver`] for each
//! message from the page and [`Hosting::tick`] on a timer; a tick trains for one slice of
//! time at the page's pace and says when the next is due, so messages are read between
//! slices (a hover's question waits one slice at most). There is no heavy-work budget: a
//! tab's worker runs one job.

use std::sync::Arc;

use hourglass_lab::{Clock, Context, Driver, Encoded, Outgoing, PageJob, WireError, wire};
use serde::Serialize;
use serde_json::Value;

/// Starts a page's job, hosted.
pub type StartJob = fn(Arc<Context>) -> Result<Box<dyn Hosting>, WireError>;

/// A page the site offers: its name (and path), title, and how its job starts.
pub struct PageEntry {
    pub name: &'static str,
    pub title: &'static str,
    pub start: StartJob,
}

const fn page<J: PageJob>() -> PageEntry {
    PageEntry {
        name: J::NAME,
        title: J::TITLE,
        start: |ctx| Ok(Box::new(Hosted::<J>::start(ctx)?)),
    }
}

macro_rules! entry {
    ($job:ty) => {
        page::<$job>()
    };
}

/// Every page, in the navigation bar's order (the lab's one list, as the server's registry).
pub const PAGES: &[PageEntry] = &hourglass_lab::pages!(entry);

/// The navigation bar's list, as `GET /api/pages` gives it on the server.
#[derive(Serialize)]
pub struct PageLink {
    pub name: &'static str,
    pub path: String,
    pub title: &'static str,
}

pub fn page_links() -> Vec<PageLink> {
    PAGES
        .iter()
        .map(|p| PageLink {
            name: p.name,
            path: format!("/{}", p.name),
            title: p.title,
        })
        .collect()
}

/// Starts the job of the page `name`.
pub fn start(name: &str, ctx: Arc<Context>) -> Result<Box<dyn Hosting>, WireError> {
    let entry = PAGES.iter().find(|p| p.name == name).ok_or_else(|| {
        let names: Vec<&str> = PAGES.iter().map(|p| p.name).collect();
        WireError::new(
            "not_found",
            format!(
                "unknown page '{name}' (expected one of {})",
                names.join(", ")
            ),
        )
    })?;
    (entry.start)(ctx)
}

/// What a tick did: a snapshot to post (if one is due), and when to tick again.
#[derive(Debug)]
pub struct Tick {
    pub snapshot: Option<Encoded>,
    /// Milliseconds until the next tick is due; `None` when nothing is (idle: the next
    /// message wakes the host).
    pub next_ms: Option<f64>,
}

/// One page's job in the worker, whatever the page.
pub trait Hosting {
    /// The greeting: schema, speeds, the page's facts.
    fn greeting(&self) -> Value;
    /// Applies one message (JSON text); returns the answer or error for it, if any.
    fn deliver(&mut self, text: &str) -> Option<Encoded>;
    /// Trains for at most `slice` seconds (at least one step) while steps are due, and
    /// publishes a snapshot when one is due.
    fn tick(&mut self, slice: f64) -> Tick;
}

/// Steps per second asked for, counted from when training (re)started (the server's
/// `Pace`, on the host's clock).
struct Pace {
    speed: f64,
    t0: f64,
    done: u64,
}

impl Pace {
    fn due(&self, now: f64) -> bool {
        self.speed <= 0.0 || self.done < ((now - self.t0) * self.speed) as u64 + 1
    }

    /// Seconds until the next step is due (0 when one is, or when unpaced).
    fn wait(&self, now: f64) -> f64 {
        if self.speed <= 0.0 {
            return 0.0;
        }
        (self.t0 + self.done as f64 / self.speed - now).max(0.0)
    }
}

pub struct Hosted<J: PageJob> {
    driver: Driver<J>,
    clock: Arc<dyn Clock>,
    greeting: Value,
    pace: Pace,
    /// Training at the last tick, and the speed the pace counts at.
    was_running: bool,
    dirty: bool,
    last_publish: f64,
}

impl<J: PageJob> Hosted<J> {
    pub fn start(ctx: Arc<Context>) -> Result<Self, WireError> {
        let clock = ctx.clock.clone();
        let driver = Driver::<J>::start(ctx)?;
        let greeting = driver.greeting();
        Ok(Hosted {
            driver,
            clock,
            greeting,
            pace: Pace {
                speed: J::DEFAULT_SPEED,
                t0: 0.0,
                done: 0,
            },
            was_running: false,
            // the first snapshot goes out at the first tick
            dirty: true,
            last_publish: f64::NEG_INFINITY,
        })
    }
}

fn reply(out: Outgoing) -> Encoded {
    match out {
        Outgoing::Frame(f) => f.encode(),
        Outgoing::Error(e) => Encoded::Text(e.to_json().to_string()),
    }
}

impl<J: PageJob> Hosting for Hosted<J> {
    fn greeting(&self) -> Value {
        self.greeting.clone()
    }

    fn deliver(&mut self, text: &str) -> Option<Encoded> {
        match wire::parse_for::<J>(text) {
            Err(e) => Some(reply(Outgoing::Error(e))),
            Ok(control) => {
                let applied = self.driver.apply(control);
                self.dirty |= applied.dirty;
                applied.reply.map(reply)
            }
        }
    }

    fn tick(&mut self, slice: f64) -> Tick {
        let now = self.clock.now();
        self.dirty |= self.driver.poll();
        let running = self.driver.training();
        if running && (!self.was_running || self.driver.speed() != self.pace.speed) {
            self.pace = Pace {
                speed: self.driver.speed(),
                t0: now,
                done: 0,
            };
        }
        if running {
            let mut ran = 0u64;
            let mut t = now;
            while self.pace.due(t) && (ran == 0 || t - now < slice) {
                let go_on = self.driver.step();
                self.pace.done += 1;
                ran += 1;
                t = self.clock.now();
                if !go_on {
                    break;
                }
            }
            self.dirty |= ran > 0;
        }
        self.driver.measure_rate();
        let training = self.driver.training();
        let stopped = (self.was_running || running) && !training;
        self.was_running = training;
        let every = J::PUBLISH_EVERY.as_secs_f64();
        let now = self.clock.now().max(self.last_publish);
        let snapshot = if self.dirty && (stopped || now - self.last_publish >= every) {
            self.dirty = false;
            self.last_publish = now;
            Some(self.driver.snapshot().encode())
        } else {
            None
        };
        let next_ms = if training {
            Some(self.pace.wait(now).min(every) * 1e3)
        } else if self.dirty {
            Some((self.last_publish + every - now).max(0.0) * 1e3)
        } else {
            None
        };
        Tick { snapshot, next_ms }
    }
}
