//! The file-backed stores the server gives its pages' jobs (`hourglass_lab::DatasetStore`,
//! `hourglass_lab::ModelStore`): known datasets looked for as the CLI looks for them and
//! loaded once for every session (each split is kept as one shared `Arc`), uploads in their
//! folder, one dataset download at a time for the whole server (with progress every page
//! sees), and the models folder (atomic writes, names that cannot leave it).

use std::{
    collections::HashMap,
    path::PathBuf,
    sync::{Arc, Mutex, MutexGuard},
};

use hourglass_core::{
    checkpoint::Checkpoint,
    data::{Dataset, Split},
};
use hourglass_lab::{DatasetStore, FetchState, ModelStore, StoreError};

use crate::{
    catalog,
    fetch::{FetchEvent, fetch},
    known, load_known, models, uploads,
};

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // a panic elsewhere while holding the lock leaves plain data: go on with it
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Datasets on this machine, shared by every session of a server.
#[derive(Debug)]
pub struct FileDatasets {
    /// Where to look first (`serve --data-dir`), then as the CLI does.
    data_dir: Option<PathBuf>,
    /// Where uploaded data sets are kept.
    uploads_dir: PathBuf,
    /// Download from this base URL (`URL/<dataset>/<file>`) instead of the public mirrors.
    mirror: Option<String>,
    loaded: Mutex<HashMap<(String, Split), Arc<Dataset>>>,
    download: Arc<Mutex<FetchState>>,
}

impl FileDatasets {
    pub fn new(data_dir: Option<PathBuf>, uploads_dir: PathBuf, mirror: Option<String>) -> Self {
        FileDatasets {
            data_dir,
            uploads_dir,
            mirror,
            loaded: Mutex::new(HashMap::new()),
            download: Arc::new(Mutex::new(FetchState::default())),
        }
    }

    /// The folder uploads are kept in.
    pub fn uploads_dir(&self) -> &std::path::Path {
        &self.uploads_dir
    }
}

impl DatasetStore for FileDatasets {
    fn present(&self) -> Vec<(String, bool)> {
        crate::KNOWN
            .iter()
            .map(|ds| {
                let found = catalog::locate(ds, self.data_dir.as_deref()).is_some();
                (ds.name.to_string(), found)
            })
            .collect()
    }

    fn load(&self, name: &str, split: Split) -> Result<Arc<Dataset>, StoreError> {
        let key = (name.to_string(), split);
        if let Some(d) = lock(&self.loaded).get(&key) {
            return Ok(d.clone());
        }
        let ds = known(name).ok_or_else(|| {
            StoreError::NotFound(format!(
                "unknown dataset '{name}' (expected mnist or fashion-mnist)"
            ))
        })?;
        // read outside the lock: another page may read another split meanwhile
        let d = Arc::new(
            load_known(ds, self.data_dir.as_deref(), split)
                .map_err(|e| StoreError::NotFound(format!("{e:#}")))?,
        );
        Ok(lock(&self.loaded).entry(key).or_insert(d).clone())
    }

    fn uploads(&self) -> Vec<String> {
        uploads::list(&self.uploads_dir)
    }

    fn read_upload(&self, file: &str) -> Result<Dataset, StoreError> {
        let path = uploads::upload_path(&self.uploads_dir, file).map_err(StoreError::Invalid)?;
        let bytes = std::fs::read(&path)
            .map_err(|e| StoreError::NotFound(format!("{}: {e}", path.display())))?;
        uploads::read(file, &bytes, 28).map_err(|e| StoreError::Invalid(format!("{e:#}")))
    }

    fn fetch(&self, name: &str) -> Result<(), StoreError> {
        let ds = known(name).ok_or_else(|| {
            StoreError::Invalid(format!(
                "unknown dataset '{name}' (expected mnist or fashion-mnist)"
            ))
        })?;
        let root = catalog::search_roots(self.data_dir.as_deref())
            .into_iter()
            .next()
            .map(|(_, r)| r)
            .ok_or_else(|| {
                StoreError::Invalid(
                    "no folder to download into: start the server with --data-dir".into(),
                )
            })?;
        let mirrors: Vec<String> = match &self.mirror {
            Some(m) => vec![crate::catalog::mirror_folder(m, ds.name)],
            None => ds.mirrors.iter().map(|m| m.to_string()).collect(),
        };
        {
            let mut d = lock(&self.download);
            if d.state == "running" {
                return Err(StoreError::Invalid(format!(
                    "{} is already downloading",
                    d.dataset
                )));
            }
            *d = FetchState {
                dataset: ds.name.to_string(),
                files: 4,
                state: "running",
                version: d.version + 1,
                ..Default::default()
            };
        }
        let state = self.download.clone();
        let update = move |f: &mut dyn FnMut(&mut FetchState)| {
            let mut d = lock(&state);
            f(&mut d);
            d.version += 1;
        };
        let started = std::thread::Builder::new()
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
            });
        if let Err(e) = started {
            let mut d = lock(&self.download);
            d.state = "failed";
            d.message = format!("cannot start a download: {e}");
            d.version += 1;
            return Err(StoreError::Io(d.message.clone()));
        }
        Ok(())
    }

    fn fetching(&self) -> Option<FetchState> {
        let d = lock(&self.download);
        (!d.state.is_empty()).then(|| d.clone())
    }
}

/// The models folder.
#[derive(Debug, Clone)]
pub struct FileModels {
    dir: PathBuf,
}

impl FileModels {
    pub fn new(dir: PathBuf) -> Self {
        FileModels { dir }
    }

    pub fn dir(&self) -> &std::path::Path {
        &self.dir
    }
}

impl ModelStore for FileModels {
    fn list(&self) -> Vec<String> {
        models::list(&self.dir)
    }

    fn read(&self, name: &str) -> Result<Checkpoint, StoreError> {
        models::read_checkpoint(&self.dir, name).map_err(|e| match e {
            models::ModelFileError::Missing { .. } => StoreError::NotFound(e.to_string()),
            models::ModelFileError::Unreadable { .. } => StoreError::Io(e.to_string()),
            _ => StoreError::Invalid(e.to_string()),
        })
    }

    fn exists(&self, name: &str) -> Result<bool, StoreError> {
        let path = models::model_path(&self.dir, name).map_err(StoreError::Invalid)?;
        Ok(path.exists())
    }

    fn write(&self, name: &str, ck: &Checkpoint, overwrite: bool) -> Result<String, StoreError> {
        let path = models::model_path(&self.dir, name).map_err(StoreError::Invalid)?;
        if path.exists() && !overwrite {
            return Err(StoreError::Exists(format!(
                "a model called '{}' is already in the models folder",
                name.strip_suffix(models::EXTENSION).unwrap_or(name)
            )));
        }
        std::fs::create_dir_all(&self.dir).map_err(|e| {
            StoreError::Io(format!(
                "cannot create the models folder {}: {e}",
                self.dir.display()
            ))
        })?;
        let bytes = ck
            .to_bytes()
            .map_err(|e| StoreError::Invalid(e.to_string()))?;
        models::write_atomic(&path, &bytes).map_err(|e| StoreError::Io(format!("{e:#}")))?;
        Ok(path
            .file_name()
            .map(|f| f.to_string_lossy().into_owned())
            .unwrap_or_default())
    }

    fn delete(&self, name: &str) -> Result<(), StoreError> {
        let path = models::model_path(&self.dir, name).map_err(StoreError::Invalid)?;
        std::fs::remove_file(&path)
            .map_err(|e| StoreError::NotFound(format!("cannot delete '{name}': {e}")))
    }

    fn rename(&self, from: &str, to: &str) -> Result<(), StoreError> {
        let a = models::model_path(&self.dir, from).map_err(StoreError::Invalid)?;
        let b = models::model_path(&self.dir, to).map_err(StoreError::Invalid)?;
        if !a.is_file() {
            return Err(StoreError::NotFound(format!(
                "there is no model '{from}' to rename"
            )));
        }
        if b.exists() {
            return Err(StoreError::Exists(format!(
                "a model called '{to}' is already in the models folder"
            )));
        }
        std::fs::rename(&a, &b)
            .map_err(|e| StoreError::Io(format!("cannot rename '{from}' to '{to}': {e}")))
    }

    fn location(&self) -> String {
        self.dir.display().to_string()
    }
}

#[cfg(test)]
mod tests {
    use hourglass_core::checkpoint::Checkpoint;

    use super::*;

    fn test_data() -> PathBuf {
        std::env::var_os("HOURGLASS_TEST_DATA").map_or_else(
            || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/datasets"),
            PathBuf::from,
        )
    }

    #[test]
    fn a_split_is_read_once_and_shared_and_uploads_stay_in_their_folder() {
        let dir = tempfile::tempdir().unwrap();
        let uploads = dir.path().join("datasets");
        let store = FileDatasets::new(Some(test_data()), uploads.clone(), None);
        assert!(store.present().iter().any(|(n, p)| n == "mnist" && *p));
        let a = store.load("mnist", Split::Test).unwrap();
        let b = store.load("mnist", Split::Test).unwrap();
        assert!(Arc::ptr_eq(&a, &b), "every session shares one copy");
        assert!(matches!(
            store.load("cifar", Split::Test),
            Err(StoreError::NotFound(m)) if m.contains("unknown dataset 'cifar'")
        ));
        std::fs::create_dir_all(&uploads).unwrap();
        std::fs::write(uploads.join("tiny.csv"), "1,2\n3,4\n").unwrap();
        assert_eq!(store.uploads(), ["tiny.csv"]);
        assert_eq!(store.read_upload("tiny.csv").unwrap().features, 2);
        assert!(matches!(
            store.read_upload("../x.csv"),
            Err(StoreError::Invalid(_))
        ));
        let none = FileDatasets::new(Some(dir.path().to_path_buf()), uploads, None);
        let e = none.load("mnist", Split::Test).unwrap_err().to_string();
        assert!(e.contains("looked in"), "{e}");
    }

    #[test]
    fn models_are_kept_whole_renamed_and_deleted_by_name() {
        let dir = tempfile::tempdir().unwrap();
        let store = FileModels::new(dir.path().join("models"));
        let ck =
            Checkpoint::from_bytes("shipped", crate::shipped::model("mnist-2d").unwrap().bytes)
                .unwrap();
        assert!(!store.exists("mine").unwrap());
        assert_eq!(store.write("mine", &ck, false).unwrap(), "mine.safetensors");
        assert!(matches!(
            store.write("mine", &ck, false),
            Err(StoreError::Exists(_))
        ));
        assert_eq!(store.read("mine.safetensors").unwrap().config, ck.config);
        assert!(matches!(
            store.write("../up", &ck, true),
            Err(StoreError::Invalid(_))
        ));
        store.rename("mine", "theirs").unwrap();
        assert_eq!(store.list(), ["theirs.safetensors"]);
        assert!(matches!(store.read("mine"), Err(StoreError::NotFound(_))));
        std::fs::write(dir.path().join("models/bad.safetensors"), b"no").unwrap();
        assert!(matches!(store.read("bad"), Err(StoreError::Invalid(_))));
        store.delete("theirs").unwrap();
        assert!(matches!(
            store.delete("theirs"),
            Err(StoreError::NotFound(_))
        ));
    }
}
