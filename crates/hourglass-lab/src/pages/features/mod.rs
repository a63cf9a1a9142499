//! The Features page's job: what an autoencoder's codes are worth, and sparse dictionaries a
//! learner can read feature by feature. Three runs, one at a time (the `task` setting says
//! which one Train starts), a file each:
//!
//! - [`train`]: a one-layer sparse dictionary on the pixels (TopK k or an L1 penalty, 64 to
//!   4096 features, wider than the image allowed), one mini-batch a step, with live L0, dead
//!   units and FVU on the first test images; or the frontier, dictionaries of several k, each
//!   a point of FVU against L0 beside PCA with as many components.
//! - [`browser`]: the last dictionary trained, analysed on the test images — every feature's
//!   decoder direction, top-activating images, histogram, class mix and a label from it; which
//!   features an image uses; steering one feature of a code.
//! - [`probe`]: the linear probe (`hourglass_core::probe`, scikit-learn's logistic regression)
//!   on pixels, PCA, the shipped model's codes, the kept models' codes and the dictionary's
//!   features, at 10, 100 and 1000 labels per class, a few solver iterations a step.
//!
//! A dictionary reads the pixels, or a layer of the shipped 30-D model (a hidden layer or its
//! code, [`base`]): then its features are directions in that layer's space, shown as images
//! through the rest of the model, and steering one changes what the model decodes.
//!
//! Without the dataset the page runs on the shipped sample of 2,000 test images: the first
//! 1,000 to train (or label), the last 1,000 to measure.

use std::{sync::Arc, time::Duration};

use hourglass_core::{
    checkpoint::Checkpoint,
    data::{Dataset, Split},
    settings::Choice,
    tensor::{Autoencoder, inference_device},
};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::{
    Change, Context, DatasetsSeen, Frame, PageJob, Progress, RunState, WireError, datasets_json,
    shipped,
};

mod base;
mod browser;
mod probe;
mod queries;
mod settings;
mod snapshot;
mod train;

pub use settings::{FeaturesSettings, Penalty, Source, Task};

/// The classes' names of the known datasets, by class number.
pub(super) fn class_names(dataset: &str) -> [&'static str; 10] {
    if dataset == "fashion-mnist" {
        [
            "T-shirt", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag",
            "boot",
        ]
    } else {
        ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"]
    }
}

/// The Features page's own messages: `{"type": "fetch", "dataset": "mnist"}` downloads a
/// dataset.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum FeaturesCommand {
    Fetch { dataset: String },
}

/// The images the page works on: the training images, the test images, and the labelled
/// pool the probe draws its first N of each class from; and what a dictionary reads of them
/// (the pixels, or a model's codes of them).
struct Data {
    /// The dataset's name, the train size it was cut at and the source.
    key: String,
    pub test: Arc<Dataset>,
    pub pool: Arc<Dataset>,
    /// What the dictionary trains on and is measured on: the training images' and the test
    /// images' pixels or codes.
    pub train_x: Arc<Dataset>,
    pub test_x: Arc<Dataset>,
    /// The model whose layer a dictionary reads (none on pixels).
    pub base: Option<base::Base>,
    /// True on the shipped sample (no dataset here).
    pub sample: bool,
}

/// The shipped 30-D model of `dataset`.
fn shipped_30d(dataset: &str) -> Result<(String, Autoencoder), WireError> {
    let name = if dataset == "fashion-mnist" {
        "fashion-30d"
    } else {
        "mnist-30d"
    };
    let m = shipped::model(name)
        .ok_or_else(|| WireError::invalid(format!("no shipped model {name}")))?;
    let ck = Checkpoint::from_bytes(m.name, m.bytes)?;
    Ok((
        name.to_string(),
        Autoencoder::from_tensors(&ck.config.architecture, &ck.tensors, &inference_device())?,
    ))
}

/// `images` as a dictionary reads them: a model's layer of them, or as they are.
fn inputs(images: &Dataset, base: Option<&base::Base>) -> Result<Dataset, WireError> {
    let Some(b) = base else {
        return Ok(images.clone());
    };
    let (rows, width) = b.read(&images.values)?;
    Ok(Dataset::new(
        format!("{} activations", images.name),
        width,
        rows,
        images.labels.clone(),
    )?)
}

pub struct FeaturesJob {
    ctx: Arc<Context>,
    settings: FeaturesSettings,
    datasets: DatasetsSeen,
    data: Option<Data>,
    run: Option<train::Run>,
    /// The last dictionary trained, analysed.
    dictionary: Option<browser::Dictionary>,
    /// Every dictionary trained on this dataset: its L0 and FVU.
    frontier: Vec<train::FrontierPoint>,
    /// PCA's FVU on the same images with as many components, at `train::PCA_KS`.
    pca_curve: Option<Vec<(usize, f64)>>,
    probe: Option<probe::ProbeRun>,
    probe_lines: Vec<probe::ProbeLine>,
    /// Bumped when a result changes, so the page knows to ask again.
    version: u64,
    done_message: Option<String>,
}

impl FeaturesJob {
    /// The images of the dataset in use (read once per dataset, train size and source).
    fn data(&mut self) -> Result<&Data, WireError> {
        let s = &self.settings;
        let key = format!("{}/{}/{}", s.dataset, s.train_size, s.source.name());
        if self.data.as_ref().is_none_or(|d| d.key != key) {
            let (train, test, pool, sample) = if self.datasets.is_present(&s.dataset) {
                let pool = self.ctx.datasets.load(&s.dataset, Split::Train)?;
                (
                    pool.take(s.train_size as usize),
                    self.ctx.datasets.load(&s.dataset, Split::Test)?,
                    pool,
                    false,
                )
            } else {
                let sample = shipped::sample(&s.dataset)
                    .ok_or_else(|| {
                        WireError::invalid(format!("no shipped sample of {}", s.dataset))
                    })?
                    .map_err(|e| WireError::invalid(e.to_string()))?;
                let half = sample.len() / 2;
                let first: Vec<usize> = (0..half).collect();
                let last: Vec<usize> = (half..sample.len()).collect();
                let train = sample.subset(&first);
                let pool = Arc::new(train.clone());
                (train, Arc::new(sample.subset(&last)), pool, true)
            };
            let base = base::Base::of(s.source, &s.dataset)?;
            let base_model = base.as_ref();
            let test_x = match base_model {
                None => test.clone(),
                Some(_) => Arc::new(inputs(&test, base_model)?),
            };
            self.data = Some(Data {
                key,
                train_x: Arc::new(inputs(&train, base_model)?),
                test_x,
                test,
                pool,
                base,
                sample,
            });
        }
        self.data
            .as_ref()
            .ok_or_else(|| WireError::invalid("no images"))
    }
}

impl PageJob for FeaturesJob {
    type Settings = FeaturesSettings;
    type Command = FeaturesCommand;
    type Query = queries::FeaturesQuery;
    const NAME: &'static str = "features";
    const TITLE: &'static str = "Features";
    const DEFAULT_SPEED: f64 = 0.0;
    const HEAVY: bool = true;
    const PUBLISH_EVERY: Duration = Duration::from_millis(150);

    fn info(ctx: &Context) -> Value {
        let tasks: Vec<&str> = Task::ALL.iter().map(|t| t.name()).collect();
        json!({
            "datasets": datasets_json(&ctx.datasets.present()),
            "tasks": tasks,
            "measured": train::MEASURED,
            "frontier_ks": train::FRONTIER_KS,
            "probe_labels": probe::LABELS_PER_CLASS,
            "probe_test": probe::TEST_IMAGES,
        })
    }

    fn start(ctx: Arc<Context>) -> Result<Self, WireError> {
        Ok(FeaturesJob {
            datasets: DatasetsSeen::new(ctx.datasets.as_ref()),
            ctx,
            settings: FeaturesSettings::default(),
            data: None,
            run: None,
            dictionary: None,
            frontier: Vec::new(),
            pca_curve: None,
            probe: None,
            probe_lines: Vec::new(),
            version: 0,
            done_message: None,
        })
    }

    fn settings(&self) -> FeaturesSettings {
        self.settings.clone()
    }

    fn configure(&mut self, next: FeaturesSettings) -> Result<Change, WireError> {
        let (run_before, probe_before) = (
            train::run_key(&self.settings),
            probe::key(&self.settings, self.dictionary.as_ref()),
        );
        let before = std::mem::replace(&mut self.settings, next);
        if self.settings.dataset != before.dataset || self.settings.source != before.source {
            // results of another dataset (or source) no longer match the page's images
            self.dictionary = None;
            self.frontier.clear();
            self.pca_curve = None;
            self.probe_lines.clear();
            self.version += 1;
        }
        let training_changed = train::run_key(&self.settings) != run_before;
        if training_changed {
            self.run = None;
        }
        if probe::key(&self.settings, self.dictionary.as_ref()) != probe_before {
            self.probe = None;
        }
        Ok(if training_changed || self.settings.task != before.task {
            Change::Restarted
        } else {
            Change::Kept
        })
    }

    fn command(&mut self, cmd: FeaturesCommand) -> Result<Change, WireError> {
        match cmd {
            FeaturesCommand::Fetch { dataset } => {
                self.ctx.datasets.fetch(&dataset)?;
                Ok(Change::Kept)
            }
        }
    }

    fn poll(&mut self) -> bool {
        let changed = self.datasets.poll(self.ctx.datasets.as_ref());
        if changed {
            // a dataset arrived: the sample's images give way to it
            self.data = None;
        }
        changed
    }

    fn reset(&mut self) -> Result<(), WireError> {
        self.run = None;
        self.probe = None;
        Ok(())
    }

    fn step(&mut self) -> Result<Option<Progress>, WireError> {
        match self.settings.task {
            Task::Probe => self.probe_step(),
            Task::Dictionary | Task::Frontier => self.train_step(),
        }
    }

    fn origin(&self) -> Option<Progress> {
        None
    }

    fn finished(&mut self) -> Option<String> {
        self.done_message.take()
    }

    fn frame(&mut self, _run: &RunState) -> Frame {
        self.snapshot()
    }

    fn query(&mut self, query: queries::FeaturesQuery) -> Result<Frame, WireError> {
        self.answer(query)
    }
}

#[cfg(test)]
mod tests;
