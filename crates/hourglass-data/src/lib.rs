//! Datasets and models on disk, for the CLI and the server alike: the known datasets (MNIST,
//! Fashion-MNIST) with their checksums and mirrors, where they are looked for, their
//! download (verified, written atomically), loading a split, and the models folder.
//! The engine (`hourglass-core`) reads bytes; this crate finds and fetches them.
//!
//! Errors: where a caller branches on the kind — a model file that is missing, unreadable or
//! not a checkpoint ([`models::ModelFileError`], `thiserror`), which the stores map onto the
//! lab's `StoreError` and the server onto its status codes — they are typed. The others
//! (downloads, the catalog, readers of uploads) are `anyhow` errors, shown to a person as one
//! line with its context (the file, the mirror, the checksum); no caller branches on them.

pub mod catalog;
#[cfg(feature = "net")]
pub mod fetch;
pub mod folder;
pub mod models;
// native only: the CLI's `train --stream` of a file on disk
#[cfg(feature = "net")]
pub mod npy_stream;
#[cfg(feature = "net")]
pub mod store;
// native only, as the file-backed stores: it reads ahead on a thread of its own
#[cfg(feature = "net")]
pub mod stream;
pub mod uploads;

/// The models and samples shipped inside the binary (kept with the pages' jobs).
pub use hourglass_lab::shipped;

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow, bail};
use hourglass_core::data::{self, Dataset};

pub use catalog::{KNOWN, KnownDataset, KnownFile, known};

pub use hourglass_core::data::Split;

/// Files larger than this are refused (a typo should not eat the machine's memory).
const MAX_FILE_BYTES: u64 = 2 << 30;

/// Reads a whole file, refusing one larger than 2 GiB.
pub fn read_file(path: &Path) -> Result<Vec<u8>> {
    let meta =
        std::fs::metadata(path).with_context(|| format!("{}: cannot read", path.display()))?;
    if meta.len() > MAX_FILE_BYTES {
        bail!(
            "{}: {} bytes is more than the 2 GiB limit",
            path.display(),
            meta.len()
        );
    }
    std::fs::read(path).with_context(|| format!("{}: cannot read", path.display()))
}

/// Loads the `split` part of a known dataset, looked for as [`catalog::locate`] does.
pub fn load_known(ds: &KnownDataset, data_dir: Option<&Path>, split: Split) -> Result<Dataset> {
    let (_, dir) = catalog::locate(ds, data_dir).ok_or_else(|| {
        let looked: Vec<String> = catalog::search_roots(data_dir)
            .iter()
            .map(|(_, r)| r.join(ds.name).display().to_string())
            .chain(ds.system_dir.map(str::to_string))
            .collect();
        anyhow!(
            "dataset '{}' not found (looked in {}); run `hourglass data fetch {}` or pass --data-dir",
            ds.name,
            looked.join(", "),
            ds.name
        )
    })?;
    let (img, lab) = match split {
        Split::Train => (catalog::TRAIN_IMAGES, catalog::TRAIN_LABELS),
        Split::Test => (catalog::TEST_IMAGES, catalog::TEST_LABELS),
    };
    let img_path = catalog::file_in(&dir, ds.files[img].name).expect("located");
    let lab_path = catalog::file_in(&dir, ds.files[lab].name).expect("located");
    let img_bytes = read_file(&img_path)?;
    let lab_bytes = read_file(&lab_path)?;
    Ok(data::idx_dataset(
        ds.name,
        (&img_path.display().to_string(), &img_bytes),
        Some((&lab_path.display().to_string(), &lab_bytes)),
    )?)
}

/// The default models folder: `models` in the user cache folder (`~/.cache/hourglass/models`
/// on Linux), or in the system's temporary folder where there is no cache folder.
pub fn default_models_dir() -> PathBuf {
    dirs::cache_dir()
        .unwrap_or_else(std::env::temp_dir)
        .join("hourglass")
        .join("models")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_dataset_names_where_it_was_looked_for() {
        let dir = tempfile::tempdir().unwrap();
        let mnist = known("mnist").unwrap();
        // an empty --data-dir (and whatever else this machine has) — when it is found
        // elsewhere, that is fine too; when it is not, the message names the folders
        match load_known(mnist, Some(dir.path()), Split::Test) {
            Ok(d) => assert_eq!(d.len(), 10_000),
            Err(e) => {
                let m = e.to_string();
                assert!(
                    m.contains(&dir.path().join("mnist").display().to_string()),
                    "{m}"
                );
                assert!(m.contains("hourglass data fetch mnist"), "{m}");
            }
        }
        assert!(default_models_dir().ends_with("hourglass/models"));
    }
}
