//! Drives a job as a page would, with no threads: messages go through the wire format and
//! the [`Driver`], steps are taken when the test says, and time moves when the test says.

use std::{
    collections::HashMap,
    path::{Path, PathBuf},
    sync::{Arc, Mutex},
};

use hourglass_core::data::{Dataset, Split, idx_dataset};

use crate::{
    Context, DatasetStore, Driver, FetchState, Frame, ManualClock, MemoryModels, ModelStore,
    NoDatasets, Outgoing, PageJob, StoreError, wire,
};

/// The folder with mnist/ and fashion-mnist/: $HOURGLASS_TEST_DATA or ../shared/datasets.
pub fn test_data() -> PathBuf {
    if let Some(d) = std::env::var_os("HOURGLASS_TEST_DATA") {
        return PathBuf::from(d);
    }
    let d = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/datasets");
    assert!(d.is_dir(), "test data not found: set HOURGLASS_TEST_DATA");
    d
}

/// The known datasets of a test data folder (tests may read files; jobs may not).
pub struct TestDatasets {
    dir: PathBuf,
    loaded: Mutex<HashMap<(String, Split), Arc<Dataset>>>,
    /// Uploads as the host's reader made them (the server's reads CSV, NPY and zips).
    uploads: Mutex<std::collections::BTreeMap<String, Dataset>>,
}

impl TestDatasets {
    pub fn new(dir: &Path) -> Self {
        TestDatasets {
            dir: dir.to_path_buf(),
            loaded: Mutex::new(HashMap::new()),
            uploads: Mutex::new(Default::default()),
        }
    }

    /// An upload called `file`, as the host's reader read it.
    pub fn put_upload(&self, file: &str, d: Dataset) {
        self.uploads.lock().unwrap().insert(file.to_string(), d);
    }

    fn files(&self, name: &str, split: Split) -> [PathBuf; 2] {
        let part = match split {
            Split::Train => "train",
            Split::Test => "t10k",
        };
        let d = self.dir.join(name);
        [
            d.join(format!("{part}-images-idx3-ubyte.gz")),
            d.join(format!("{part}-labels-idx1-ubyte.gz")),
        ]
    }
}

impl DatasetStore for TestDatasets {
    fn present(&self) -> Vec<(String, bool)> {
        ["mnist", "fashion-mnist"]
            .iter()
            .map(|n| (n.to_string(), self.files(n, Split::Test)[0].is_file()))
            .collect()
    }

    fn load(&self, name: &str, split: Split) -> Result<Arc<Dataset>, StoreError> {
        let key = (name.to_string(), split);
        if let Some(d) = self.loaded.lock().unwrap().get(&key) {
            return Ok(d.clone());
        }
        let [images, labels] = self.files(name, split);
        let read = |p: &Path| {
            std::fs::read(p).map_err(|e| StoreError::NotFound(format!("{}: {e}", p.display())))
        };
        let (a, b) = (read(&images)?, read(&labels)?);
        let d = idx_dataset(name, ("images", &a), Some(("labels", &b)))
            .map_err(|e| StoreError::Invalid(e.to_string()))?;
        let d = Arc::new(d);
        self.loaded.lock().unwrap().insert(key, d.clone());
        Ok(d)
    }

    fn uploads(&self) -> Vec<String> {
        self.uploads.lock().unwrap().keys().cloned().collect()
    }

    fn read_upload(&self, file: &str) -> Result<Dataset, StoreError> {
        self.uploads
            .lock()
            .unwrap()
            .get(file)
            .cloned()
            .ok_or_else(|| StoreError::NotFound(format!("no upload called '{file}'")))
    }

    fn fetch(&self, name: &str) -> Result<(), StoreError> {
        Err(StoreError::Invalid(format!(
            "{name} cannot be downloaded in tests"
        )))
    }

    fn fetching(&self) -> Option<FetchState> {
        None
    }
}

pub struct Probe<J: PageJob> {
    pub driver: Driver<J>,
    pub clock: Arc<ManualClock>,
}

/// A context with a manual clock, no datasets and models in memory.
pub fn context() -> (Arc<Context>, Arc<ManualClock>) {
    let clock = Arc::new(ManualClock::default());
    let ctx = Arc::new(Context {
        clock: clock.clone(),
        datasets: Arc::new(NoDatasets),
        models: Arc::new(MemoryModels::default()),
    });
    (ctx, clock)
}

impl<J: PageJob> Probe<J> {
    pub fn start() -> Self {
        let (ctx, clock) = context();
        Probe {
            driver: Driver::start(ctx).expect("the job starts"),
            clock,
        }
    }

    /// A job with these stores.
    pub fn with(datasets: Arc<dyn DatasetStore>, models: Arc<dyn ModelStore>) -> Self {
        let clock = Arc::new(ManualClock::default());
        let ctx = Arc::new(Context {
            clock: clock.clone(),
            datasets,
            models,
        });
        Probe {
            driver: Driver::start(ctx).expect("the job starts"),
            clock,
        }
    }

    /// Steps while training is on (polling between) until a snapshot satisfies `pred`;
    /// panics after `max` rounds, naming the last snapshot.
    pub fn until(&mut self, max: usize, pred: impl Fn(&Frame) -> bool) -> Frame {
        for _ in 0..max {
            let f = self.latest();
            if pred(&f) {
                return f;
            }
            if self.driver.training() {
                self.driver.step();
            }
            self.driver.poll();
        }
        let f = self.latest();
        panic!(
            "condition not reached; last snapshot: {}",
            serde_json::Value::Object(f.header)
                .to_string()
                .chars()
                .take(300)
                .collect::<String>()
        )
    }

    /// Sends a message; the reply, if any.
    pub fn deliver(&mut self, text: &str) -> Result<Option<Outgoing>, crate::WireError> {
        let control = wire::parse_for::<J>(text)?;
        Ok(self.driver.apply(control).reply)
    }

    /// Sends a message that must be accepted without an error.
    pub fn send(&mut self, text: &str) {
        match self.deliver(text) {
            Ok(None | Some(Outgoing::Frame(_))) => {}
            Ok(Some(Outgoing::Error(e))) | Err(e) => panic!("{text} refused: {e}"),
        }
    }

    /// The message of the error a message gets, at once or from the job.
    pub fn refused(&mut self, text: &str) -> String {
        match self.deliver(text) {
            Err(e) | Ok(Some(Outgoing::Error(e))) => e.message,
            Ok(_) => panic!("{text} was accepted"),
        }
    }

    /// The answer to a query that must succeed.
    pub fn ask(&mut self, text: &str) -> Frame {
        match self.deliver(text) {
            Ok(Some(Outgoing::Frame(f))) => f,
            other => panic!("{text}: no answer ({other:?})"),
        }
    }

    /// Takes up to `n` steps while training is on; the steps taken.
    pub fn run(&mut self, n: usize) -> usize {
        let mut taken = 0;
        while taken < n && self.driver.training() {
            self.driver.step();
            taken += 1;
        }
        taken
    }

    pub fn latest(&mut self) -> Frame {
        self.driver.snapshot()
    }
}

/// The array `name` of a frame; panics naming it when the frame has none.
pub fn array<'a>(f: &'a crate::Frame, name: &str) -> &'a [f32] {
    &f.arrays
        .iter()
        .find(|(n, _)| *n == name)
        .unwrap_or_else(|| panic!("no array {name}"))
        .1
}

/// The answer to a query given as JSON, which must succeed.
pub fn ask<J: PageJob>(p: &mut Probe<J>, q: serde_json::Value) -> crate::Frame {
    p.ask(&q.to_string())
}

/// Configures `settings`, plays, and steps until a snapshot satisfies `done`.
pub fn run<J: PageJob>(
    p: &mut Probe<J>,
    settings: serde_json::Value,
    done: impl Fn(&crate::Frame) -> bool,
) -> crate::Frame {
    let mut msg = settings;
    msg["type"] = serde_json::json!("configure");
    p.send(&msg.to_string());
    p.send(r#"{"type":"play"}"#);
    p.until(200_000, done)
}
