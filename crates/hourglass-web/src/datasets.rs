//! The datasets of the static site: MNIST and Fashion-MNIST from the site's own origin (when
//! it was built with them) or from the learner's disk (the four IDX files, each known by its
//! sha256 as the CLI checks them), and the Studio's uploads, read by the same readers as
//! `hourglass train --dataset FILE`. Nothing is fetched from any other host.
//!
//! A job reads a dataset synchronously (`DatasetStore::load`); in a Web Worker the site's
//! files are read with a synchronous request, which workers allow, so the pages' jobs need
//! no change. Files the learner picks are handed over by the worker's script, which also
//! keeps them in the browser's storage for the next visit.

use std::{
    collections::{BTreeMap, HashMap},
    sync::{Arc, Mutex, MutexGuard},
};

use hourglass_core::data::{self, Dataset, Split};
use hourglass_data::{
    KNOWN, catalog,
    uploads::{self, MAX_UPLOAD_BYTES},
};
use hourglass_lab::{DatasetStore, FetchState, StoreError, pages::studio::studio_data};
use serde::Serialize;

/// Reads a file of the site (a path relative to its datasets folder) or says why not.
pub type SiteReader = Box<dyn Fn(&str) -> Result<Vec<u8>, String> + Send + Sync>;

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// A dataset's four files as they arrive (in the catalog's order).
type FourFiles = [Option<Arc<Vec<u8>>>; 4];

/// A file the learner picked, as the dataset it belongs to knows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Recognised {
    pub dataset: &'static str,
    pub file: &'static str,
    /// Files of that dataset now here, of 4.
    pub have: usize,
}

/// What the Studio's upload answers (the server's `POST /api/datasets` says the same).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Uploaded {
    pub file: String,
    pub samples: usize,
    pub labelled: bool,
    pub scaled: bool,
    pub changed: Option<String>,
}

pub struct SiteDatasets {
    /// The known datasets the site has a copy of (its `datasets/index.json`).
    site: Vec<String>,
    read_site: SiteReader,
    /// Files picked from disk: dataset → its four files (by the catalog's order).
    picked: Mutex<HashMap<&'static str, FourFiles>>,
    loaded: Mutex<HashMap<(String, Split), Arc<Dataset>>>,
    uploads: Mutex<BTreeMap<String, Vec<u8>>>,
    /// Bumped when datasets arrive, so every job looks again (as after a download).
    news: Mutex<Option<FetchState>>,
}

impl SiteDatasets {
    pub fn new(site: Vec<String>, read_site: SiteReader) -> Self {
        SiteDatasets {
            site: site
                .into_iter()
                .filter(|n| KNOWN.iter().any(|k| k.name == n))
                .collect(),
            read_site,
            picked: Mutex::default(),
            loaded: Mutex::default(),
            uploads: Mutex::default(),
            news: Mutex::default(),
        }
    }

    /// Takes one IDX file the learner picked (gzipped or not): known by its sha256 as one of
    /// the four files of MNIST or Fashion-MNIST, or refused with a sentence that says so.
    pub fn pick(&self, name: &str, bytes: Vec<u8>) -> Result<Recognised, String> {
        let sum = catalog::sha256_hex(&bytes);
        let (ds, i) = KNOWN
            .iter()
            .find_map(|ds| {
                ds.files
                    .iter()
                    .position(|f| f.gz_sha256 == sum || f.raw_sha256 == sum)
                    .map(|i| (ds, i))
            })
            .ok_or_else(|| {
                format!(
                    "{name} is not one of the files of MNIST or Fashion-MNIST (its sha256 {}… matches none; \
                     pick the original IDX files, e.g. train-images-idx3-ubyte.gz)",
                    &sum[..12]
                )
            })?;
        let have = {
            let mut picked = lock(&self.picked);
            let files = picked.entry(ds.name).or_default();
            files[i] = Some(Arc::new(bytes));
            files.iter().filter(|f| f.is_some()).count()
        };
        if have == 4 {
            self.announce(
                ds.name,
                format!(
                    "{} is here: its four files, read from your disk and checked by their sha256.",
                    ds.name
                ),
            );
        }
        Ok(Recognised {
            dataset: ds.name,
            file: ds.files[i].name,
            have,
        })
    }

    fn announce(&self, dataset: &str, message: String) {
        let mut news = lock(&self.news);
        let version = news.as_ref().map_or(1, |f| f.version + 1);
        *news = Some(FetchState {
            dataset: dataset.to_string(),
            files_done: 4,
            files: 4,
            state: "done",
            message,
            version,
            ..FetchState::default()
        });
    }

    fn picked_all(&self, name: &str) -> Option<[Arc<Vec<u8>>; 4]> {
        let picked = lock(&self.picked);
        let files = picked.get(name)?;
        let [a, b, c, d] = files.clone();
        Some([a?, b?, c?, d?])
    }

    /// Reads the file `i` of `ds` from the site, checked against its sha256.
    fn read_from_site(
        &self,
        ds: &hourglass_data::KnownDataset,
        i: usize,
    ) -> Result<Vec<u8>, String> {
        let f = &ds.files[i];
        let path = format!("{}/{}", ds.name, f.name);
        let bytes = (self.read_site)(&path)?;
        let sum = catalog::sha256_hex(&bytes);
        if sum != f.gz_sha256 && sum != f.raw_sha256 {
            return Err(format!(
                "datasets/{path} on this site is not the original file (sha256 {sum}, expected {})",
                f.gz_sha256
            ));
        }
        Ok(bytes)
    }

    /// Keeps an upload for the Studio once it reads as a data set; says what it holds.
    pub fn upload(&self, name: &str, bytes: Vec<u8>) -> Result<Uploaded, String> {
        if bytes.len() > MAX_UPLOAD_BYTES {
            return Err(format!(
                "{name} has {} bytes, more than the {} MB an upload may have",
                bytes.len(),
                MAX_UPLOAD_BYTES >> 20
            ));
        }
        // the name is checked as the server checks it (the folder is only a formality here)
        let path = uploads::upload_path(std::path::Path::new(""), name)?;
        let file = path.to_string_lossy().into_owned();
        let (d, changed) = uploads::read_noting(&file, &bytes, 28).map_err(|e| format!("{e:#}"))?;
        let (d, scaling) = studio_data(&file, d)?;
        lock(&self.uploads).insert(file.clone(), bytes);
        Ok(Uploaded {
            file,
            samples: d.len(),
            labelled: d.labels.is_some(),
            scaled: scaling != data::Scaling::IDENTITY,
            changed,
        })
    }
}

impl DatasetStore for SiteDatasets {
    fn present(&self) -> Vec<(String, bool)> {
        KNOWN
            .iter()
            .map(|ds| {
                let here =
                    self.site.iter().any(|s| s == ds.name) || self.picked_all(ds.name).is_some();
                (ds.name.to_string(), here)
            })
            .collect()
    }

    fn load(&self, name: &str, split: Split) -> Result<Arc<Dataset>, StoreError> {
        let key = (name.to_string(), split);
        if let Some(d) = lock(&self.loaded).get(&key) {
            return Ok(d.clone());
        }
        let ds = hourglass_data::known(name).ok_or_else(|| {
            StoreError::NotFound(format!(
                "unknown dataset '{name}' (expected mnist or fashion-mnist)"
            ))
        })?;
        let (img, lab) = match split {
            Split::Train => (catalog::TRAIN_IMAGES, catalog::TRAIN_LABELS),
            Split::Test => (catalog::TEST_IMAGES, catalog::TEST_LABELS),
        };
        let (images, labels) = if let Some(files) = self.picked_all(name) {
            (files[img].clone(), files[lab].clone())
        } else if self.site.iter().any(|s| s == name) {
            let read = |i| {
                self.read_from_site(ds, i)
                    .map(Arc::new)
                    .map_err(StoreError::Io)
            };
            (read(img)?, read(lab)?)
        } else {
            return Err(StoreError::NotFound(format!(
                "{name} is not in this browser: pick its four IDX files from your disk"
            )));
        };
        let d = data::idx_dataset(
            name,
            (ds.files[img].name, &images),
            Some((ds.files[lab].name, &labels)),
        )
        .map_err(|e| StoreError::Invalid(e.to_string()))?;
        Ok(lock(&self.loaded).entry(key).or_insert(Arc::new(d)).clone())
    }

    fn uploads(&self) -> Vec<String> {
        lock(&self.uploads).keys().cloned().collect()
    }

    fn read_upload(&self, file: &str) -> Result<Dataset, StoreError> {
        let uploads = lock(&self.uploads);
        let bytes = uploads.get(file).ok_or_else(|| {
            StoreError::NotFound(format!("no upload called '{file}' in this tab"))
        })?;
        uploads::read(file, bytes, 28).map_err(|e| StoreError::Invalid(format!("{e:#}")))
    }

    fn fetch(&self, name: &str) -> Result<(), StoreError> {
        // the static site downloads from no other host: the learner brings the files
        Err(StoreError::Invalid(format!(
            "this site has no copy of {name}, and it downloads nothing from other hosts: \
             pick its four IDX files from your disk (Use files from disk…), or build the site \
             with --with-datasets"
        )))
    }

    fn fetching(&self) -> Option<FetchState> {
        lock(&self.news).clone()
    }
}
