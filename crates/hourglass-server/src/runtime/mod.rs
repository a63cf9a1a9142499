//! The page runtime: what every page's job shares. A page's job implements [`PageJob`]
//! (its settings, its own commands, a step, the frame it publishes and the queries it
//! answers); [`spawn`] runs it on a worker thread with the shared commands (play, pause,
//! step, reset, speed, configure), the pace, the publish throttle, the loss series and, for
//! heavy jobs, a place in the [`Budget`]. Sessions and the socket loop hold a job through the
//! one handle type [`JobLink`] and never know which page it is.

mod budget;
mod download;
pub mod fields;
mod pace;
mod runner;
pub mod series;
pub mod wire;

use std::{path::PathBuf, sync::Arc, time::Duration};

use hourglass_core::settings::Settings;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use tokio::sync::{mpsc, watch};

pub use budget::{Budget, Permit, Ticket};
pub use download::DatasetDownload;
pub use pace::Pace;
pub use runner::spawn;
pub use series::{SERIES_POINTS, Series};
pub use wire::{Frame, WireError};

/// What the server gives every job: where data and models live, and the heavy-work budget.
#[derive(Debug, Clone)]
pub struct Context {
    /// Where to look for datasets first (`serve --data-dir`).
    pub data_dir: Option<PathBuf>,
    /// Where models are kept (`serve --models`).
    pub models_dir: PathBuf,
    pub budget: Budget,
    /// Download datasets from this base URL (`URL/<dataset>/<file>`) instead of their
    /// public mirrors (`serve --mirror`; tests point it at a local server).
    pub mirror: Option<String>,
}

impl Context {
    /// Which known datasets (MNIST, Fashion-MNIST) are on this machine, by name.
    pub fn datasets_present(&self) -> Vec<(String, bool)> {
        hourglass_data::KNOWN
            .iter()
            .map(|ds| {
                let found = hourglass_data::catalog::locate(ds, self.data_dir.as_deref()).is_some();
                (ds.name.to_string(), found)
            })
            .collect()
    }

    /// A context for tests and tools: no data folder, models in a temporary folder, one
    /// heavy job at a time per core.
    pub fn for_tests() -> Arc<Self> {
        Arc::new(Context {
            data_dir: None,
            models_dir: std::env::temp_dir().join("hourglass-test-models"),
            mirror: None,
            budget: Budget::new(
                std::thread::available_parallelism()
                    .map(|n| n.get())
                    .unwrap_or(1),
            ),
        })
    }
}

/// Which datasets are on the machine, as pages read it: `[{"name", "present"}, …]`.
pub fn datasets_json(present: &[(String, bool)]) -> Value {
    present
        .iter()
        .map(|(name, present)| serde_json::json!({"name": name, "present": present}))
        .collect()
}

/// What the runner knows of a job's run, for its frames.
#[derive(Debug, Clone, Copy)]
pub struct RunState<'a> {
    pub training: bool,
    /// For a heavy job waiting for the budget: its place in the queue (1 = next).
    pub queued: Option<usize>,
    /// Steps per second asked for (0 = as fast as it goes).
    pub speed: f64,
    /// Steps per second reached over the last half second or so.
    pub steps_per_second: f64,
    /// `(x, loss)`, thinned to a bounded length.
    pub losses: &'a [(f64, f64)],
}

/// What applying a setting or command did to the job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// Training goes on from where it was.
    Kept,
    /// The model started again (new data, shape or weights): training pauses and the loss
    /// series starts again.
    Restarted,
    /// Training pauses; the model and its loss series stay (a stop part-way through a run).
    Paused,
}

/// One step of training, as the loss series records it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Progress {
    /// Where on the x axis of the loss chart (the epoch, or the step).
    pub x: f64,
    pub loss: f64,
}

/// A page's job: everything that differs between pages.
pub trait PageJob: Sized + Send + 'static {
    /// The page's settings (one struct, one schema, one validate).
    type Settings: Settings + Send;
    /// The page's own messages (beyond the shared ones), as a serde-tagged enum on `type`.
    type Command: DeserializeOwned + Send + 'static;

    /// Its name in `/ws?page=…` and its path.
    const NAME: &'static str;
    /// Its title in the navigation bar.
    const TITLE: &'static str;
    /// Default steps per second (0 = as fast as it goes).
    const DEFAULT_SPEED: f64;
    /// Trains on the heavy-work budget (tensor models).
    const HEAVY: bool = false;
    /// Snapshots are published at most this often.
    const PUBLISH_EVERY: Duration = Duration::from_millis(16);

    /// Extra facts the page gets once, when it connects (e.g. thumbnails of datasets).
    fn info(_ctx: &Context) -> Value {
        Value::Null
    }

    /// The job on its default settings.
    fn start(ctx: Arc<Context>) -> Result<Self, WireError>;

    fn settings(&self) -> Self::Settings;

    /// Applies checked settings (every field is within the schema).
    fn configure(&mut self, next: Self::Settings) -> Result<Change, WireError>;

    /// Applies one of the page's own commands.
    fn command(&mut self, cmd: Self::Command) -> Result<Change, WireError>;

    /// New weights from the settings' seed; step 0.
    fn reset(&mut self) -> Result<(), WireError>;

    /// One step of training (an epoch of a small network, a mini-batch of a tensor model).
    fn step(&mut self) -> Result<Option<Progress>, WireError>;

    /// Where the job is now, for the loss series when it (re)starts: `x` and the loss (if
    /// there is one yet).
    fn origin(&self) -> Option<Progress>;

    /// The snapshot: page-specific header fields (an object) and arrays.
    fn frame(&mut self, run: &RunState) -> Frame;

    /// Answers a query (`name` and its fields), or says why not.
    fn query(&mut self, name: &str, fields: &Map<String, Value>) -> Result<Frame, WireError>;

    /// Asked after every step: has training reached its end (the epochs asked for)? When it
    /// says so, training pauses and the page is told why.
    fn finished(&mut self) -> Option<String> {
        None
    }

    /// Asked between steps and while idle: did something change outside a step (a download
    /// in the background, say), so that a new snapshot is due?
    fn poll(&mut self) -> bool {
        false
    }
}

/// A message for one connection: an answer to its query, or an error.
#[derive(Debug, Clone)]
pub enum Outgoing {
    Frame(Frame),
    Error(WireError),
}

/// Starts a page's job (see [`spawn`]).
pub type StartJob = fn(Arc<Context>) -> Result<Arc<dyn JobLink>, WireError>;

/// Where a job sends what one connection asked for.
pub type Replies = mpsc::Sender<Outgoing>;

/// A running job, whatever its page: what sessions and connections hold.
pub trait JobLink: Send + Sync {
    fn page(&self) -> &'static str;
    /// Checks a text message from the page and hands it to the job; an error when it is
    /// malformed or the job has ended. Answers and later errors go to `replies`.
    fn deliver(&self, text: &str, replies: &Replies) -> Result<(), WireError>;
    /// The latest snapshot.
    fn snapshots(&self) -> watch::Receiver<Arc<Frame>>;
    /// What the page gets when it connects: the settings schema and the page's facts.
    fn greeting(&self) -> Value;
}

/// Drives a job as a page would, for the jobs' unit tests.
#[cfg(test)]
pub(crate) mod test_support {
    use std::{
        sync::Arc,
        thread,
        time::{Duration, Instant},
    };

    use tokio::sync::mpsc;

    use super::{Context, Frame, JobLink, Outgoing, PageJob};

    pub struct Probe {
        pub link: Arc<dyn JobLink>,
        tx: mpsc::Sender<Outgoing>,
        rx: std::sync::Mutex<mpsc::Receiver<Outgoing>>,
    }

    impl Probe {
        pub fn start<J: PageJob>() -> Self {
            Self::with(super::spawn::<J>(Context::for_tests()).expect("the job starts"))
        }

        pub fn with(link: Arc<dyn JobLink>) -> Self {
            let (tx, rx) = mpsc::channel(64);
            Probe {
                link,
                tx,
                rx: std::sync::Mutex::new(rx),
            }
        }

        /// Sends a message that must be accepted.
        pub fn send(&self, text: &str) {
            self.link
                .deliver(text, &self.tx)
                .unwrap_or_else(|e| panic!("{text} refused: {e}"));
        }

        pub fn latest(&self) -> Arc<Frame> {
            self.link.snapshots().borrow().clone()
        }

        /// The next reply to this probe (an answer or an error), waiting up to 10 s.
        pub fn reply(&self) -> Outgoing {
            let start = Instant::now();
            loop {
                if let Ok(m) = self.rx.lock().expect("replies").try_recv() {
                    return m;
                }
                assert!(start.elapsed() < Duration::from_secs(10), "no reply");
                thread::sleep(Duration::from_millis(2));
            }
        }

        /// The message of the error a message gets, at once or from the job.
        pub fn refused(&self, text: &str) -> String {
            match self.link.deliver(text, &self.tx) {
                Err(e) => e.message,
                Ok(()) => self.answer_error(""),
            }
        }

        /// The error the job replies with (after sending `text` unless it is empty).
        pub fn answer_error(&self, text: &str) -> String {
            if !text.is_empty() {
                self.send(text);
            }
            match self.reply() {
                Outgoing::Error(e) => e.message,
                Outgoing::Frame(f) => panic!("expected an error, got {:?}", f.header),
            }
        }
    }

    /// The folder with mnist/ and fashion-mnist/: $HOURGLASS_TEST_DATA or ../shared/datasets.
    pub fn test_data() -> std::path::PathBuf {
        if let Some(d) = std::env::var_os("HOURGLASS_TEST_DATA") {
            return std::path::PathBuf::from(d);
        }
        let d =
            std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/datasets");
        assert!(d.is_dir(), "test data not found: set HOURGLASS_TEST_DATA");
        d
    }

    /// Polls the latest snapshot until `pred` holds; panics after 30 s, naming the last one.
    pub fn wait_for(p: &Probe, pred: impl Fn(&Frame) -> bool) -> Arc<Frame> {
        let start = Instant::now();
        loop {
            let s = p.latest();
            if pred(&s) {
                return s;
            }
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "condition not reached; last snapshot: {}",
                serde_json::Value::Object(s.header.clone())
                    .to_string()
                    .chars()
                    .take(300)
                    .collect::<String>()
            );
            thread::sleep(Duration::from_millis(5));
        }
    }
}
