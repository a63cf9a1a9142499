//! The Digits Lab's job: a real digit autoencoder's latent space. It holds one model — a
//! shipped one (`crate::shipped`: 2-D and 30-D models of MNIST and Fashion-MNIST,
//! embedded in the binary), one from the models folder, or the learner's own 2-D model
//! trained here step by step (the tutorial's 784-100-50-25-2, ReLU, mirrored, sigmoid
//! output, MSE, Adam) on the heavy-work budget — and the test images it maps.
//!
//! Snapshots carry the map: `codes` (n × 2 positions: the codes themselves for a 2-D model,
//! their first two principal components for a wider one, with the projection in the header
//! so the page can go from the plane to a code and back) and `labels`. Queries answer what
//! the page asks of the model: `encode`, `decode`, `sample`, `iterate` (x → decode(encode(x))
//! until it stops moving), `basins` (where every cell of a grid of codes ends up),
//! `interpolate`, `grid` (the decoder tiled over the plane), `images` (thumbnails) and
//! `compare` (the 2-D and the 30-D model of the same data on one input).
//!
//! Data are read when first needed (never while a session is being opened). Without the
//! dataset on the machine a shipped model maps the shipped sample of 2,000 test images.

use std::sync::Arc;

use hourglass_core::{
    architecture::{Architecture, Code},
    checkpoint::Checkpoint,
    data::{Dataset, Split},
    glass::Activation,
    latent,
    metrics::Pca,
    settings::{Field, Settings},
    tensor::{
        Autoencoder, LossKind, Optimizer, Reconstruction, TrainOptions, Trainer, inference_device,
        initial_tensors, training_device,
    },
    variant::Variant,
};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::{
    Change, Context, DatasetsSeen, FetchState, Frame, InferenceCache, ModelStore, PageJob,
    Presence, Progress, RunState, WireError, datasets_json,
    fields::{self, numbers, whole},
    shipped,
};

mod map;
mod models;
mod queries;
mod settings;
mod snapshot;

use map::{MapCodes, MapSet};
use models::{
    Fixed, ModelEntry, Shape, architecture, current_model, digit_model, scan_models, shape_of,
};
pub use queries::DigitsQuery;
pub use settings::DigitsSettings;

/// Test images whose codes every snapshot carries while a model trains.
pub const MAP_POINTS: usize = shipped::SAMPLE_SIZE;
/// Layer sizes of the tutorial's digit model (the decoder mirrors them).
pub const DIGIT_LAYERS: [usize; 5] = [784, 100, 50, 25, 2];
/// The model setting that means "the model trained on this page".
pub const TRAIN_MODEL: &str = "train";
/// Models from the models folder are named `file:<file name>`.
const FILE_PREFIX: &str = "file:";
/// Most encode→decode rounds one iteration or one basin map runs.
const MAX_ITERATIONS: usize = 200;
/// Largest basin or decoded grid (cells per side).
const MAX_GRID: usize = 128;
/// The data the learner's model trains on.
struct Loaded {
    dataset: String,
    /// The training images asked for (the settings' `train_size`).
    asked: u64,
    /// The shipped sample of 2,000 test images, the dataset not being here.
    from_sample: bool,
    train: Dataset,
}

pub struct DigitsJob {
    ctx: Arc<Context>,
    /// Which known datasets are on the machine (looked up again after a download).
    datasets: DatasetsSeen,
    settings: DigitsSettings,
    /// The picker's entries (the models folder is read again on `rescan`).
    models: Vec<ModelEntry>,
    fixed: Option<Fixed>,
    data: Option<Loaded>,
    trainer: Option<Trainer>,
    /// Steps since the trained model started.
    steps: u64,
    last_loss: Option<f64>,
    /// The trained model for inference as of a step (rebuilt when training moved on).
    inference: InferenceCache<u64>,
    map: Option<MapSet>,
    codes: Option<MapCodes>,
    /// Other shipped models, loaded for `compare`.
    others: Vec<(String, Autoencoder)>,
}

impl DigitsJob {
    fn training(&self) -> bool {
        self.settings.model == TRAIN_MODEL
    }

    fn options(&self) -> TrainOptions {
        TrainOptions {
            loss: LossKind::Mse,
            optimizer: Optimizer::adam(self.settings.lr),
            batch_size: self.settings.batch as usize,
            epochs: usize::MAX,
            seed: self.settings.seed,
            variant: Variant::Plain,
        }
    }

    /// Reads the training data if the settings need other data than those loaded. Without
    /// the dataset, the model trains on the shipped sample of its test split (2,000 images),
    /// and the page says so; a run keeps its data when the dataset arrives part-way.
    fn ensure_data(&mut self) -> Result<(), WireError> {
        let s = &self.settings;
        let here = self.present(&s.dataset);
        if let Some(d) = &self.data
            && d.dataset == s.dataset
            && d.asked == s.train_size
            && (self.trainer.is_some() || d.from_sample != here)
        {
            return Ok(());
        }
        let n = s.train_size as usize;
        let (train, from_sample) = match shipped::sample(&s.dataset) {
            Some(sample) if !here => {
                let sample = sample.map_err(|e| WireError::invalid(format!("{e:#}")))?;
                (sample.take(n), true)
            }
            _ => (self.load(&s.dataset, Split::Train)?.take(n), false),
        };
        self.data = Some(Loaded {
            dataset: s.dataset.clone(),
            asked: s.train_size,
            from_sample,
            train,
        });
        Ok(())
    }

    /// Builds the model and its trainer from the seed if there is none.
    fn ensure_trainer(&mut self) -> Result<(), WireError> {
        self.ensure_data()?;
        if self.trainer.is_some() {
            return Ok(());
        }
        let arch = architecture(&self.settings.dataset);
        let model = Autoencoder::from_tensors(
            &arch,
            &initial_tensors(&arch, self.settings.seed)?,
            &training_device(),
        )?;
        let samples = self.data.as_ref().map_or(0, |d| d.train.len());
        self.trainer = Some(Trainer::new(
            model,
            samples,
            &self.options(),
            Box::new(Reconstruction(LossKind::Mse)),
        )?);
        Ok(())
    }

    /// Forgets the trained model (it is built again from the seed when training resumes).
    fn drop_model(&mut self) {
        self.trainer = None;
        self.steps = 0;
        self.last_loss = None;
        self.inference.clear();
    }

    /// The model the page looks at, and the map's codes (separate fields, borrowed together).
    fn parts(&mut self) -> Result<(&Autoencoder, Option<&MapCodes>), WireError> {
        let model = current_model(
            &self.settings,
            self.fixed.as_ref(),
            &mut self.inference,
            self.trainer.as_ref(),
            self.steps,
        )?;
        Ok((model, self.codes.as_ref()))
    }

    fn model(&mut self) -> Result<&Autoencoder, WireError> {
        Ok(self.parts()?.0)
    }

    /// The data set of the model the page looks at (the one it trains, or the fixed one's).
    fn dataset(&self) -> &str {
        match (&self.fixed, self.training()) {
            (Some(f), false) => &f.dataset,
            _ => &self.settings.dataset,
        }
    }

    /// The images the model the page looks at takes: `[channels, height, width]`.
    fn shape(&self) -> Shape {
        shape_of(self.dataset())
    }

    /// An image sent by the page, checked against the model's images.
    fn image(&self, values: Vec<f32>) -> Result<Vec<f32>, WireError> {
        fields::image(values, self.shape())
    }

    /// Is the data set here? photo-patches is built in; a known dataset may be downloaded.
    fn present(&self, dataset: &str) -> bool {
        dataset == shipped::PHOTOS_NAME || self.datasets.is_present(dataset)
    }

    /// A split of a data set: photo-patches is cut from the shipped photographs, a known
    /// dataset read from the machine.
    fn load(&self, dataset: &str, split: Split) -> Result<Arc<Dataset>, WireError> {
        if dataset == shipped::PHOTOS_NAME {
            return shipped::photos(split)
                .map(Arc::new)
                .map_err(|e| WireError::new("internal", format!("{e:#}")));
        }
        Ok(self.ctx.datasets.load(dataset, split)?)
    }
}

impl PageJob for DigitsJob {
    type Settings = DigitsSettings;
    type Command = DigitsCommand;
    type Query = DigitsQuery;
    const NAME: &'static str = "digits";
    const TITLE: &'static str = "Digits Lab";
    /// As fast as it goes.
    const DEFAULT_SPEED: f64 = 0.0;
    const HEAVY: bool = true;
    /// The map's codes (2,000 of them) are recomputed for each snapshot while training: six
    /// or so a second.
    const PUBLISH_EVERY: std::time::Duration = std::time::Duration::from_millis(150);

    /// Which known datasets are present on this machine, and the trained model's layers.
    fn info(ctx: &Context) -> Value {
        let sets = datasets_json(&ctx.datasets.present());
        json!({"datasets": sets, "layers": DIGIT_LAYERS, "map_points": MAP_POINTS})
    }

    fn start(ctx: Arc<Context>) -> Result<Self, WireError> {
        let settings = DigitsSettings::default();
        let mut job = DigitsJob {
            datasets: DatasetsSeen::new(ctx.datasets.as_ref()),
            models: scan_models(ctx.models.as_ref()),
            ctx,
            fixed: None,
            data: None,
            trainer: None,
            steps: 0,
            last_loss: None,
            inference: InferenceCache::default(),
            map: None,
            codes: None,
            others: Vec::new(),
            settings,
        };
        job.fixed = Some(job.load_fixed(&job.settings.model)?);
        Ok(job)
    }

    fn settings(&self) -> DigitsSettings {
        self.settings.clone()
    }

    fn configure(&mut self, next: DigitsSettings) -> Result<Change, WireError> {
        let a = &self.settings;
        let restart = a.dataset != next.dataset
            || a.train_size != next.train_size
            || a.seed != next.seed
            || a.batch != next.batch;
        let switched = a.model != next.model;
        if switched && next.model != TRAIN_MODEL {
            // the model is read before anything changes: a bad one changes nothing
            self.fixed = Some(self.load_fixed(&next.model)?);
        }
        if let Some(t) = &mut self.trainer
            && !restart
        {
            t.set_learning_rate(next.lr)?;
        }
        self.settings = next;
        if switched && !self.training() && !restart {
            // the trained model stays (pick "train" again to go on with it); training pauses
            return Ok(Change::Restarted);
        }
        if restart {
            self.drop_model();
            return Ok(Change::Restarted);
        }
        Ok(if switched {
            Change::Restarted
        } else {
            Change::Kept
        })
    }

    fn command(&mut self, cmd: DigitsCommand) -> Result<Change, WireError> {
        match cmd {
            DigitsCommand::Fetch { dataset } => {
                self.ctx.datasets.fetch(&dataset)?;
                Ok(Change::Kept)
            }
            DigitsCommand::Rescan => {
                self.models = scan_models(self.ctx.models.as_ref());
                Ok(Change::Kept)
            }
        }
    }

    fn poll(&mut self) -> bool {
        self.datasets.poll(self.ctx.datasets.as_ref())
    }

    fn reset(&mut self) -> Result<(), WireError> {
        self.drop_model();
        Ok(())
    }

    fn step(&mut self) -> Result<Option<Progress>, WireError> {
        if !self.training() {
            return Err(WireError::invalid(
                "this model is already trained: pick \"Train your own\" to train one here",
            ));
        }
        self.ensure_trainer()?;
        let (trainer, data) = match (self.trainer.as_mut(), self.data.as_ref()) {
            (Some(t), Some(d)) => (t, d),
            _ => return Ok(None),
        };
        let s = trainer.step(&data.train).map_err(WireError::from)?;
        if s.epoch_done {
            trainer.end_epoch(None);
        }
        self.steps += 1;
        self.last_loss = Some(s.loss);
        Ok(Some(Progress {
            x: self.steps as f64 / trainer.steps_per_epoch() as f64,
            loss: s.loss,
        }))
    }

    fn origin(&self) -> Option<Progress> {
        None
    }

    fn frame(&mut self, _run: &RunState) -> Frame {
        self.snapshot()
    }

    fn query(&mut self, query: DigitsQuery) -> Result<Frame, WireError> {
        self.answer(query)
    }
}

/// The Digits Lab's own messages: `{"type": "fetch", "dataset": "mnist"}` downloads a
/// dataset that is not on the machine (progress in the snapshots' `download`);
/// `{"type": "rescan"}` reads the models folder again.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum DigitsCommand {
    Fetch { dataset: String },
    Rescan,
}

#[cfg(test)]
mod colour_tests;
#[cfg(test)]
mod tests;
