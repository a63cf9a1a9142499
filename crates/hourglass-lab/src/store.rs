//! What a job reaches outside itself goes through these traits, which the host implements:
//! datasets ([`DatasetStore`]: which known ones are here, a split of one, the uploads, a
//! download with progress) and models ([`ModelStore`]: list, read, write, rename, delete). The
//! server's are file-backed (`hourglass_data::store`); the browser's keep models in the
//! browser's storage. A job never sees a path.

use std::sync::Arc;

use hourglass_core::{
    checkpoint::Checkpoint,
    data::{Dataset, Split},
};
use serde::Serialize;

use crate::WireError;

/// Why a store could not do what was asked, in a sentence that names the thing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// No such dataset, model or upload (or not on this machine).
    #[error("{0}")]
    NotFound(String),
    /// A model of that name is there already.
    #[error("{0}")]
    Exists(String),
    /// A name or file that cannot be used (a bad name, a malformed file).
    #[error("{0}")]
    Invalid(String),
    /// Reading or writing failed (a full disk, a full browser quota, no permission).
    #[error("{0}")]
    Io(String),
}

impl From<StoreError> for WireError {
    fn from(e: StoreError) -> Self {
        let code = match &e {
            StoreError::NotFound(_) => "not_found",
            StoreError::Exists(_) => "exists",
            StoreError::Invalid(_) => "invalid",
            StoreError::Io(_) => "io",
        };
        WireError::new(code, e.to_string())
    }
}

/// Where a dataset download is, as pages show it.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct FetchState {
    pub dataset: String,
    /// The file being fetched, and its bytes so far (of `total` when the mirror says).
    pub file: String,
    pub done: u64,
    pub total: Option<u64>,
    /// Files finished, of `files`.
    pub files_done: u32,
    pub files: u32,
    /// `running`, `done` or `failed`.
    pub state: &'static str,
    pub message: String,
    /// Bumped on every change: a page that saw an older one has a snapshot due.
    #[serde(skip)]
    pub version: u64,
}

/// The datasets a job may read.
pub trait DatasetStore: Send + Sync {
    /// The known datasets (MNIST, Fashion-MNIST) by name, and whether each is here.
    fn present(&self) -> Vec<(String, bool)>;
    /// The `split` of the known dataset `name`, shared with every other job that reads it.
    fn load(&self, name: &str, split: Split) -> Result<Arc<Dataset>, StoreError>;
    /// The data sets uploaded from a page (file names with their extension), sorted.
    fn uploads(&self) -> Vec<String>;
    /// The uploaded data set `file`, read as `hourglass train --dataset FILE` reads a file
    /// (images as 28×28 greyscale).
    fn read_upload(&self, file: &str) -> Result<Dataset, StoreError>;
    /// Starts downloading the known dataset `name` (each file checked against its sha256);
    /// refused while one is running. Its progress: [`DatasetStore::fetching`].
    fn fetch(&self, name: &str) -> Result<(), StoreError>;
    /// The latest download, if one was started (the same for every page: one control).
    fn fetching(&self) -> Option<FetchState>;
}

/// The models a job may keep, by name (a file name with or without `.safetensors`).
pub trait ModelStore: Send + Sync {
    /// The models kept (names with their extension), sorted.
    fn list(&self) -> Vec<String>;
    /// The checkpoint of `name`, checked as every checkpoint is read.
    fn read(&self, name: &str) -> Result<Checkpoint, StoreError>;
    /// Is there a model called `name`? (An impossible name is an error.)
    fn exists(&self, name: &str) -> Result<bool, StoreError>;
    /// Keeps `ck` as `name`, whole or not at all; refuses to replace one unless `overwrite`.
    /// Returns the name it is kept under (with its extension).
    fn write(&self, name: &str, ck: &Checkpoint, overwrite: bool) -> Result<String, StoreError>;
    fn delete(&self, name: &str) -> Result<(), StoreError>;
    fn rename(&self, from: &str, to: &str) -> Result<(), StoreError>;
    /// Where models are kept, for people (a folder, "this browser's storage").
    fn location(&self) -> String;
}

/// Longest model name, in characters.
pub const MAX_NAME_CHARS: usize = 64;
/// The extension every model file has.
pub const EXTENSION: &str = ".safetensors";

/// Checks a model's name as a person gives it (`my-model`, `conv 16/32` is refused): 1 to 64
/// letters, digits, `-`, `_`, `.` or spaces, not starting with a dot or a space. Everything
/// else (path separators, `..`, control characters, other scripts' look-alikes) is refused, so
/// a name always stays a file of the models folder.
pub fn check_model_name(name: &str) -> Result<(), String> {
    let n = name.chars().count();
    if n == 0 || n > MAX_NAME_CHARS {
        return Err(format!(
            "a model's name has 1 to {MAX_NAME_CHARS} characters ('{}' has {n})",
            name.chars().take(80).collect::<String>()
        ));
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ' ')))
    {
        return Err(format!(
            "'{}' has '{}': a model's name uses letters, digits, '-', '_', '.' and spaces only",
            name.escape_debug(),
            c.escape_debug()
        ));
    }
    if name.starts_with(['.', ' ']) || name.ends_with(' ') {
        return Err(format!(
            "'{name}' starts with a dot or a space, or ends with a space"
        ));
    }
    Ok(())
}

/// A known dataset and whether it is here, as pages read it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Presence {
    pub name: String,
    pub present: bool,
}

/// Which datasets are here, as pages read it.
pub fn presence(present: &[(String, bool)]) -> Vec<Presence> {
    present
        .iter()
        .map(|(name, present)| Presence {
            name: name.clone(),
            present: *present,
        })
        .collect()
}

/// Which datasets are here, as pages read it: `[{"name", "present"}, …]`.
pub fn datasets_json(present: &[(String, bool)]) -> serde_json::Value {
    serde_json::to_value(presence(present)).unwrap_or_default()
}

/// A job's view of the datasets: which known ones are here (looked at again when a
/// download finishes, or on a rescan) and what it has seen of the one dataset download, so
/// it knows when a snapshot is due. Every page that offers datasets holds one.
#[derive(Debug, Clone, Default)]
pub struct DatasetsSeen {
    present: Vec<(String, bool)>,
    /// The download's version when the job started (an older, finished download is not
    /// news to it), and the last one it saw.
    first: u64,
    seen: u64,
}

impl DatasetsSeen {
    /// What the store has now; the download as it is now counts as seen.
    pub fn new(store: &dyn DatasetStore) -> Self {
        let v = store.fetching().map_or(0, |f| f.version);
        DatasetsSeen {
            present: store.present(),
            first: v,
            seen: v,
        }
    }

    /// Is the known dataset `name` here?
    pub fn is_present(&self, name: &str) -> bool {
        self.present.iter().any(|(n, p)| n == name && *p)
    }

    /// Is `name` a known dataset (here or not)?
    pub fn is_known(&self, name: &str) -> bool {
        self.present.iter().any(|(n, _)| n == name)
    }

    /// Looks again at which datasets are here.
    pub fn rescan(&mut self, store: &dyn DatasetStore) {
        self.present = store.present();
    }

    /// Has the download changed since the last look (a snapshot is due)? When it finished
    /// well, which datasets are here is looked at again.
    pub fn poll(&mut self, store: &dyn DatasetStore) -> bool {
        let Some(f) = store.fetching() else {
            return false;
        };
        if f.version == self.seen {
            return false;
        }
        self.seen = f.version;
        if f.state == "done" {
            self.rescan(store);
        }
        true
    }

    /// The known datasets, and whether each is here.
    pub fn list(&self) -> Vec<Presence> {
        presence(&self.present)
    }

    /// The download as the page shows it: one running now, or one that changed since the
    /// job started (`None` otherwise).
    pub fn download(&self, store: &dyn DatasetStore) -> Option<FetchState> {
        let f = store.fetching()?;
        (f.state == "running" || f.version != self.first).then_some(f)
    }
}
