//! Stores kept in memory: no datasets on hand, and models in a map. For tests, and for hosts
//! that keep nothing (a page opened without storage).

use std::{
    collections::BTreeMap,
    sync::{Arc, Mutex},
};

use hourglass_core::{
    checkpoint::Checkpoint,
    data::{Dataset, Split},
};

use crate::{DatasetStore, EXTENSION, FetchState, ModelStore, StoreError, check_model_name};

/// A host with no datasets: none present, nothing uploaded, nothing to fetch from.
#[derive(Debug, Default)]
pub struct NoDatasets;

impl DatasetStore for NoDatasets {
    fn present(&self) -> Vec<(String, bool)> {
        ["mnist", "fashion-mnist"]
            .iter()
            .map(|n| (n.to_string(), false))
            .collect()
    }

    fn load(&self, name: &str, _split: Split) -> Result<Arc<Dataset>, StoreError> {
        Err(StoreError::NotFound(format!(
            "dataset '{name}' is not on this host"
        )))
    }

    fn uploads(&self) -> Vec<String> {
        Vec::new()
    }

    fn read_upload(&self, file: &str) -> Result<Dataset, StoreError> {
        Err(StoreError::NotFound(format!("no upload called '{file}'")))
    }

    fn fetch(&self, name: &str) -> Result<(), StoreError> {
        Err(StoreError::Invalid(format!(
            "{name} cannot be downloaded here"
        )))
    }

    fn fetching(&self) -> Option<FetchState> {
        None
    }
}

/// Models kept in memory, by name with its extension.
#[derive(Debug, Default)]
pub struct MemoryModels {
    models: Mutex<BTreeMap<String, Vec<u8>>>,
}

/// The file name of the model `name` (with or without its extension), or why it cannot be one.
fn file_name(name: &str) -> Result<String, StoreError> {
    let stem = name.strip_suffix(EXTENSION).unwrap_or(name);
    check_model_name(stem).map_err(StoreError::Invalid)?;
    Ok(format!("{stem}{EXTENSION}"))
}

impl MemoryModels {
    /// Keeps `bytes` as the file `file` as they are (a test's broken file, say).
    pub fn put(&self, file: &str, bytes: Vec<u8>) {
        self.map().insert(file.to_string(), bytes);
    }

    /// The bytes of the file `file` (a download).
    pub fn bytes(&self, file: &str) -> Option<Vec<u8>> {
        self.map().get(file).cloned()
    }

    fn map(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, Vec<u8>>> {
        self.models.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl ModelStore for MemoryModels {
    fn list(&self) -> Vec<String> {
        self.map().keys().cloned().collect()
    }

    fn read(&self, name: &str) -> Result<Checkpoint, StoreError> {
        let file = file_name(name)?;
        let map = self.map();
        let bytes = map
            .get(&file)
            .ok_or_else(|| StoreError::NotFound(format!("there is no model '{name}'")))?;
        Checkpoint::from_bytes(&file, bytes).map_err(|e| StoreError::Invalid(e.to_string()))
    }

    fn exists(&self, name: &str) -> Result<bool, StoreError> {
        Ok(self.map().contains_key(&file_name(name)?))
    }

    fn write(&self, name: &str, ck: &Checkpoint, overwrite: bool) -> Result<String, StoreError> {
        let file = file_name(name)?;
        let bytes = ck
            .to_bytes()
            .map_err(|e| StoreError::Invalid(e.to_string()))?;
        let mut map = self.map();
        if !overwrite && map.contains_key(&file) {
            return Err(StoreError::Exists(format!(
                "a model called '{name}' is kept already"
            )));
        }
        map.insert(file.clone(), bytes);
        Ok(file)
    }

    fn delete(&self, name: &str) -> Result<(), StoreError> {
        self.map()
            .remove(&file_name(name)?)
            .map(|_| ())
            .ok_or_else(|| StoreError::NotFound(format!("there is no model '{name}'")))
    }

    fn rename(&self, from: &str, to: &str) -> Result<(), StoreError> {
        let (a, b) = (file_name(from)?, file_name(to)?);
        let mut map = self.map();
        if map.contains_key(&b) {
            return Err(StoreError::Exists(format!(
                "a model called '{to}' is kept already"
            )));
        }
        let bytes = map
            .remove(&a)
            .ok_or_else(|| StoreError::NotFound(format!("there is no model '{from}' to rename")))?;
        map.insert(b, bytes);
        Ok(())
    }

    fn location(&self) -> String {
        "memory (nothing is kept after this page closes)".into()
    }
}
