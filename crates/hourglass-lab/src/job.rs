//! A page's job: everything that differs between pages. A job owns no threads and reads no
//! paths: it advances in steps when its host asks, and reaches data, models and time through
//! the [`Context`] its host gives it.

use std::{sync::Arc, time::Duration};

use hourglass_core::settings::Settings;
use serde::{Deserialize, Serialize, de::DeserializeOwned};
use serde_json::Value;

use crate::{Clock, DatasetStore, Frame, ModelStore, WireError};

/// What the host gives every job: a clock, the datasets and the models.
#[derive(Clone)]
pub struct Context {
    pub clock: Arc<dyn Clock>,
    pub datasets: Arc<dyn DatasetStore>,
    pub models: Arc<dyn ModelStore>,
}

/// What the driver knows of a job's run, for its frames (and, as it is, under `run` in
/// every snapshot).
#[derive(Debug, Clone, Copy, Serialize)]
pub struct RunState<'a> {
    pub training: bool,
    /// For a heavy job waiting for the host's budget: its place in the queue (1 = next).
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

/// A page's job.
pub trait PageJob: Sized + Send + 'static {
    /// The page's settings (one struct, one schema, one validate).
    type Settings: Settings + Send;
    /// The page's own messages (beyond the shared ones), as a serde-tagged enum on `type`.
    type Command: DeserializeOwned + Send + 'static;
    /// The page's questions, as a serde enum tagged on `query` whose variants refuse unknown
    /// fields (`NoQuery` for a page that answers none). The wire layer parses them, so a
    /// job meets only well-shaped questions; it checks the values that depend on its state.
    type Query: DeserializeOwned + Send + 'static;

    /// Its name in `/ws?page=…` and its path.
    const NAME: &'static str;
    /// Its title in the navigation bar.
    const TITLE: &'static str;
    /// Default steps per second (0 = as fast as it goes).
    const DEFAULT_SPEED: f64;
    /// Trains MNIST-size models: the server runs it on its heavy-work budget.
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

    /// Applies checked settings (every field is within the schema, and they differ from the
    /// current ones: the driver passes no patch that changes nothing).
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

    /// Answers a query, or says why not.
    fn query(&mut self, query: Self::Query) -> Result<Frame, WireError>;

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

/// The questions of a page that answers none.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "query", rename_all = "snake_case")]
pub enum NoQuery {}
