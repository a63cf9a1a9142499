//! Hourglass's pages' logic, knowing no transport: each page's job (its settings, commands,
//! queries and frames), the [`Driver`] that runs a job between a host and a page, the wire
//! format they share, and the traits through which a job reaches datasets, models and time.
//!
//! Two hosts run these jobs: the server (`hourglass serve`: worker threads, sessions,
//! WebSocket, files) and the browser (the static site: a Web Worker, `postMessage`, the
//! browser's storage). So this crate must not: spawn threads, read paths, open sockets, or
//! read the system clock (`std::time::Instant` panics on wasm32). It builds for
//! `wasm32-unknown-unknown`.

mod clock;
mod driver;
mod error;
pub mod fields;
mod frame;
mod inference;
mod job;
mod memory;
pub mod pages;
mod series;
pub mod shipped;
mod store;
pub mod wire;

pub use clock::{Clock, ManualClock};
pub use driver::{Applied, Driver, Outgoing};
pub use error::WireError;
pub use frame::{Arrays, Encoded, Frame, decode, encode};
pub use inference::InferenceCache;
pub use job::{Change, Context, NoQuery, PageJob, Progress, RunState};
pub use memory::{MemoryModels, NoDatasets};
pub use series::{SERIES_POINTS, Series};
pub use store::{
    DatasetStore, DatasetsSeen, EXTENSION, FetchState, MAX_NAME_CHARS, ModelStore, Presence,
    StoreError, check_model_name, datasets_json, presence,
};

#[cfg(test)]
pub(crate) mod testing;
