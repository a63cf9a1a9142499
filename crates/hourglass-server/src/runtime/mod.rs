//! The page runtime: what every page's job shares. A page's job implements [`PageJob`]
//! (its settings, its own commands, a step, the frame it publishes and the queries it
//! answers); [`spawn`] runs it on a worker thread with the shared commands (play, pause,
//! step, reset, speed, configure), the pace, the publish throttle, the loss series and, for
//! heavy jobs, a place in the [`Budget`]. Sessions and the socket loop hold a job through the
//! one handle type [`JobLink`] and never know which page it is.

//! The page runtime on the server: the pages' jobs (from `hourglass-lab`) each run on a
//! worker thread of their own around a [`hourglass_lab::Driver`], with a command channel, a
//! pace, a publish throttle and, for heavy jobs, a place in the [`Budget`]. Sessions and the
//! socket loop hold a job through the one handle type [`JobLink`] and never know which page
//! it is.

mod budget;
mod pace;
mod runner;

use std::{path::PathBuf, sync::Arc, time::Instant};

use hourglass_data::store::{FileDatasets, FileModels};
pub use hourglass_lab::{
    Change, Context, Frame, Outgoing, PageJob, Progress, RunState, SERIES_POINTS, Series,
    WireError, datasets_json, fields, wire,
};
use serde_json::Value;
use tokio::sync::{mpsc, watch};

pub use budget::{Budget, Permit, Ticket};
pub use pace::Pace;
pub use runner::spawn;

/// The host's clock: seconds since the server started.
#[derive(Debug)]
pub struct SystemClock(Instant);

impl Default for SystemClock {
    fn default() -> Self {
        SystemClock(Instant::now())
    }
}

impl hourglass_lab::Clock for SystemClock {
    fn now(&self) -> f64 {
        self.0.elapsed().as_secs_f64()
    }
}

/// What the server gives every job: the jobs' context (clock, datasets, models — file-backed
/// and shared by every session), the heavy-work budget, and the folders behind the stores
/// (for the HTTP routes that read and write them).
#[derive(Clone)]
pub struct Host {
    pub lab: Arc<Context>,
    pub budget: Budget,
    pub datasets: Arc<FileDatasets>,
    pub models: Arc<FileModels>,
}

impl Host {
    /// A host whose datasets are looked for in `data_dir` first and whose models (and
    /// uploads, in its `datasets` folder) are kept in `models_dir`.
    pub fn new(
        data_dir: Option<PathBuf>,
        models_dir: PathBuf,
        mirror: Option<String>,
        budget: Budget,
    ) -> Self {
        let datasets = Arc::new(FileDatasets::new(
            data_dir,
            models_dir.join("datasets"),
            mirror,
        ));
        let models = Arc::new(FileModels::new(models_dir));
        Host {
            lab: Arc::new(Context {
                clock: Arc::new(SystemClock::default()),
                datasets: datasets.clone(),
                models: models.clone(),
            }),
            budget,
            datasets,
            models,
        }
    }

    /// A host for tests and tools: no data folder, models in a temporary folder, one heavy
    /// job at a time per core.
    pub fn for_tests() -> Arc<Self> {
        Self::for_tests_with(None, std::env::temp_dir().join("hourglass-test-models"))
    }

    /// A host for tests with these folders.
    pub fn for_tests_with(data_dir: Option<PathBuf>, models_dir: PathBuf) -> Arc<Self> {
        let cores = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1);
        Arc::new(Self::new(data_dir, models_dir, None, Budget::new(cores)))
    }
}

/// Starts a page's job (see [`spawn`]).
pub type StartJob = fn(Arc<Host>) -> Result<Arc<dyn JobLink>, WireError>;

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

    use super::{Frame, Host, JobLink, Outgoing, PageJob};

    pub struct Probe {
        pub link: Arc<dyn JobLink>,
        tx: mpsc::Sender<Outgoing>,
        rx: std::sync::Mutex<mpsc::Receiver<Outgoing>>,
    }

    impl Probe {
        pub fn start<J: PageJob>() -> Self {
            Self::with(super::spawn::<J>(Host::for_tests()).expect("the job starts"))
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
