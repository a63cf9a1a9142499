//! A known dataset (MNIST, Fashion-MNIST) downloaded from a page, in the background, with
//! progress: the pages that need a dataset (the Digits Lab, the Model Studio) hold one
//! [`DatasetDownload`], start it from a command, look at it in [`crate::runtime::PageJob::poll`]
//! (a change makes a snapshot due) and put its [`DatasetDownload::state`] in their frames.
//! Each file is checked against its published sha256 and written atomically (`fetch`), so
//! what a download leaves is complete or absent.

use std::sync::{Arc, Mutex};

use hourglass_data::{
    catalog,
    fetch::{FetchEvent, fetch},
    known,
};
use serde_json::{Value, json};

use super::{Context, WireError};

/// Where a download is (it outlives nothing: a session that ends leaves it to finish).
#[derive(Debug, Clone, Default)]
struct Progress {
    dataset: String,
    file: String,
    /// Bytes of the current file, and its size when the mirror says.
    done: u64,
    total: Option<u64>,
    /// Files finished, of 4.
    files_done: u32,
    /// `running`, `done` or `failed`.
    state: &'static str,
    message: String,
    /// Bumped on every change, so the runner publishes it.
    version: u64,
}

/// A page's dataset download (none until one is started).
#[derive(Debug, Default)]
pub struct DatasetDownload {
    progress: Arc<Mutex<Progress>>,
    seen: u64,
}

impl DatasetDownload {
    /// Starts downloading the known dataset `name` into the first data folder, in the
    /// background; refused while one is running, for an unknown name, or with no folder.
    pub fn start(&mut self, ctx: &Context, name: &str) -> Result<(), WireError> {
        let ds = known(name).ok_or_else(|| {
            WireError::invalid(format!(
                "unknown dataset '{name}' (expected mnist or fashion-mnist)"
            ))
        })?;
        {
            let d = self.progress.lock().expect("download state");
            if d.state == "running" {
                return Err(WireError::invalid(format!(
                    "{} is already downloading",
                    d.dataset
                )));
            }
        }
        let root = catalog::search_roots(ctx.data_dir.as_deref())
            .into_iter()
            .next()
            .map(|(_, r)| r)
            .ok_or_else(|| {
                WireError::invalid("no folder to download into: start the server with --data-dir")
            })?;
        let mirrors: Vec<String> = match &ctx.mirror {
            Some(m) => vec![format!("{}/{}/", m.trim_end_matches('/'), ds.name)],
            None => ds.mirrors.iter().map(|m| m.to_string()).collect(),
        };
        let state = self.progress.clone();
        let update = move |f: &mut dyn FnMut(&mut Progress)| {
            let mut d = state.lock().expect("download state");
            f(&mut d);
            d.version += 1;
        };
        update(&mut |d| {
            *d = Progress {
                dataset: ds.name.to_string(),
                state: "running",
                version: d.version,
                ..Default::default()
            }
        });
        std::thread::Builder::new()
            .name("dataset-download".into())
            .spawn(move || {
                let dir = root.join(ds.name);
                let result = fetch(ds, &mirrors, &dir, &mut |e| match e {
                    FetchEvent::Bytes { file, done, total } => update(&mut |d| {
                        d.file = file.clone();
                        d.done = *done;
                        d.total = *total;
                    }),
                    FetchEvent::Present(_) | FetchEvent::Downloaded(_) => {
                        update(&mut |d| d.files_done += 1)
                    }
                });
                update(&mut |d| match &result {
                    Ok(()) => {
                        d.state = "done";
                        d.message = format!("{} is ready in {}", ds.name, dir.display());
                    }
                    Err(e) => {
                        d.state = "failed";
                        d.message = format!("downloading {} failed: {e:#}", ds.name);
                    }
                });
            })
            .map_err(|e| WireError::new("full", format!("cannot start a download: {e}")))?;
        Ok(())
    }

    /// Has anything changed since the last look (a snapshot is due), and has the download
    /// finished well (the dataset is on the machine now)?
    pub fn poll(&mut self) -> (bool, bool) {
        let (version, finished) = {
            let d = self.progress.lock().expect("download state");
            (d.version, d.state == "done")
        };
        if version == self.seen {
            return (false, false);
        }
        self.seen = version;
        (true, finished)
    }

    /// The download as the page shows it (`None` before one is started).
    pub fn state(&self) -> Option<Value> {
        let d = self.progress.lock().expect("download state");
        (!d.state.is_empty()).then(|| {
            json!({
                "dataset": d.dataset, "file": d.file, "done": d.done, "total": d.total,
                "files_done": d.files_done, "files": 4, "state": d.state, "message": d.message,
            })
        })
    }
}
