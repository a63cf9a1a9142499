//! Models in the browser: kept in memory for the jobs (which read and write them
//! synchronously), with a journal of every change that the worker's script writes through to
//! the browser's storage (IndexedDB) — where they are found again after a reload. A write the
//! storage refuses (a full quota) is said to the learner; the model stays in the tab, ready to
//! download, so nothing is lost.

use std::sync::{Mutex, MutexGuard};

use hourglass_core::checkpoint::Checkpoint;
use hourglass_lab::{EXTENSION, MemoryModels, ModelStore, StoreError, check_model_name};
use serde::Serialize;

/// A change to write through to the browser's storage.
#[derive(Debug, Clone, PartialEq)]
pub enum Kept {
    Put { file: String, bytes: Vec<u8> },
    Delete { file: String },
}

/// What a checkpoint upload answers (the server's `POST /api/models` says the same).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UploadedModel {
    pub file: String,
    pub describe: String,
    pub epochs: usize,
}

#[derive(Default)]
pub struct BrowserModels {
    models: MemoryModels,
    journal: Mutex<Vec<Kept>>,
}

fn file_of(name: &str) -> String {
    let stem = name.strip_suffix(EXTENSION).unwrap_or(name);
    format!("{stem}{EXTENSION}")
}

impl BrowserModels {
    fn journal(&self) -> MutexGuard<'_, Vec<Kept>> {
        self.journal.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A model found in the browser's storage at start (not written back).
    pub fn restore(&self, file: &str, bytes: Vec<u8>) {
        self.models.put(file, bytes);
    }

    /// The changes not yet written through, oldest first.
    pub fn take_journal(&self) -> Vec<Kept> {
        std::mem::take(&mut *self.journal())
    }

    /// The file's bytes, for a download.
    pub fn bytes(&self, name: &str) -> Option<Vec<u8>> {
        self.models.bytes(&file_of(name))
    }

    /// Keeps a checkpoint trained elsewhere (`hourglass train`), checked as every checkpoint
    /// is read, under `name`; refuses to replace one unless `overwrite`.
    pub fn upload(
        &self,
        name: &str,
        bytes: Vec<u8>,
        overwrite: bool,
    ) -> Result<UploadedModel, StoreError> {
        let stem = name.strip_suffix(EXTENSION).unwrap_or(name);
        check_model_name(stem).map_err(StoreError::Invalid)?;
        let ck = Checkpoint::from_bytes("the uploaded file", &bytes)
            .map_err(|e| StoreError::Invalid(format!("not a model Hourglass can read: {e}")))?;
        let file = file_of(stem);
        if !overwrite && self.models.exists(&file)? {
            return Err(StoreError::Exists(format!(
                "a model called '{stem}' is kept in this browser already: pick another name, or replace it"
            )));
        }
        self.models.put(&file, bytes.clone());
        self.journal().push(Kept::Put {
            file: file.clone(),
            bytes,
        });
        Ok(UploadedModel {
            file,
            describe: ck.config.architecture.describe(),
            epochs: ck.config.epochs_trained,
        })
    }
}

impl ModelStore for BrowserModels {
    fn list(&self) -> Vec<String> {
        self.models.list()
    }

    fn read(&self, name: &str) -> Result<Checkpoint, StoreError> {
        self.models.read(name)
    }

    fn exists(&self, name: &str) -> Result<bool, StoreError> {
        self.models.exists(name)
    }

    fn write(&self, name: &str, ck: &Checkpoint, overwrite: bool) -> Result<String, StoreError> {
        let file = self.models.write(name, ck, overwrite)?;
        if let Some(bytes) = self.models.bytes(&file) {
            self.journal().push(Kept::Put {
                file: file.clone(),
                bytes,
            });
        }
        Ok(file)
    }

    fn delete(&self, name: &str) -> Result<(), StoreError> {
        self.models.delete(name)?;
        self.journal().push(Kept::Delete {
            file: file_of(name),
        });
        Ok(())
    }

    fn rename(&self, from: &str, to: &str) -> Result<(), StoreError> {
        self.models.rename(from, to)?;
        let (a, b) = (file_of(from), file_of(to));
        if let Some(bytes) = self.models.bytes(&b) {
            // the new name is written before the old one goes: a failure between the two
            // leaves both, never neither
            self.journal().push(Kept::Put { file: b, bytes });
        }
        self.journal().push(Kept::Delete { file: a });
        Ok(())
    }

    fn location(&self) -> String {
        "this browser's storage (for this site; Download keeps a copy as a file)".into()
    }
}
