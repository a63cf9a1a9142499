//! The Model Studio's job: build a dense or conv autoencoder of 28×28 images, train it here
//! step by step on the heavy-work budget (the same `Trainer`, split and initial weights as
//! `hourglass train`, so a run here is the run the CLI makes of the same configuration), look
//! inside it, and keep it in the models folder.
//!
//! The architecture is settings like any other (`kind`, `layers`, `convs`, `latent`, …); one
//! that cannot be built is refused with the field, the layer and the reason, and changes
//! nothing. The `check` query answers the same for settings not yet applied, so the page can
//! explain an impossible configuration where it is made. Every epoch ends with the validation
//! set's loss, PSNR and SSIM and a fixed grid of 16 validation images reconstructed; the
//! snapshot says when it changed. Queries: `check`, `grid` (the 16 images and their
//! reconstructions), `activations` (every layer for one image), `filters` (the first
//! layer's weights as pictures), `codes` (a 2-D model's map of the validation images),
//! `compare` (two models on the test set: metrics, loss
//! curves, the same 16 images reconstructed).
//! Commands: `stop` (ends the epoch part-way, keeps the model), `more` (one more epoch),
//! `save`, `load`, `delete`, `rename`, `rescan`, `fetch` (download MNIST or Fashion-MNIST).

use std::sync::Arc;

use hourglass_core::{
    architecture::{Architecture, Code, ConvLayer, parse_conv},
    checkpoint::{Checkpoint, DatasetInfo, EpochLoss, ModelConfig, TrainingInfo},
    data::{Dataset, Scaling, Split},
    glass::Activation,
    settings::{Choice, Field, Settings},
    tensor::{
        Autoencoder, LossKind, Optimizer, TrainOptions, Trainer, epoch_figures, evaluate,
        inference_device, initial_tensors, objective_for, training_device,
    },
    variant::{Noise, Sparsity, Variant, VariantOptions},
};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::{
    Change, Context, DatasetsSeen, EXTENSION, FetchState, Frame, InferenceCache, ModelStore,
    PageJob, Presence, Progress, RunState, Series, WireError, datasets_json,
    fields::{self, PIXELS, whole},
};

/// Validation images shown above their reconstructions.
pub const GRID: usize = 16;
/// Most hidden dense layers, and most conv layers.
pub const MAX_HIDDEN: usize = 8;
pub const MAX_CONVS: usize = 6;
/// Widest dense layer, most filters of a conv layer.
pub const MAX_WIDTH: usize = 4096;
pub const MAX_FILTERS: usize = 256;
/// Largest model the Studio builds (weights and biases).
pub const MAX_PARAMS: usize = 20_000_000;
/// First-layer filters shown at most.
mod build;
mod data;
mod inside;
mod keep;
mod settings;
mod snapshot;
mod train;

use build::{GREY, advice, architecture, input_shape, run_key, summary, summary_of, variant_of};
pub use data::{UPLOAD_PREFIX, studio_data};
pub use inside::StudioQuery;
use keep::{ModelInfo, scan};
pub use settings::{
    CodeChoice, ModelKind, OptimizerKind, Output, SparsityKind, StudioSettings, VariantKind,
};

/// The data a run trains on: the first `train_size` training images, split as
/// `hourglass train` splits them.
struct Data {
    key: (String, u64, u64, u64),
    train: Dataset,
    val: Dataset,
    /// The 16 images of the reconstruction grid (the first of the validation set, or of the
    /// training set when there is none).
    grid: Arc<Vec<f32>>,
}

/// One epoch in the history.
#[derive(Debug, Clone, Serialize)]
struct EpochRow {
    epoch: usize,
    /// Where it ended on the loss chart's x axis: epochs of data seen (a cut-short epoch
    /// counts as the part of the data it saw).
    at: f64,
    train_loss: f64,
    val_loss: Option<f64>,
    psnr: Option<f64>,
    ssim: Option<f64>,
    seconds: f64,
    partial: bool,
    /// The training loss's terms (a variant's: reconstruction, kl, sparsity, contraction).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    terms: Vec<(String, f64)>,
}

/// The Model Studio's job.
pub struct StudioJob {
    ctx: Arc<Context>,
    settings: StudioSettings,
    arch: Architecture,
    /// Each loss term per step (a variant's), for the chart.
    term_series: Vec<(&'static str, Series)>,
    datasets: DatasetsSeen,
    data: Option<Data>,
    test: Option<(String, Arc<Dataset>)>,
    trainer: Option<Trainer>,
    /// Epochs a loaded model had before this run, and their losses.
    epochs_before: usize,
    before: Vec<EpochLoss>,
    /// Where it was loaded from.
    loaded: Option<String>,
    /// Steps of this run, and of the running epoch.
    steps: u64,
    epoch_steps: u64,
    last_loss: Option<f64>,
    history: Vec<EpochRow>,
    /// The grid's reconstructions as of the last epoch's end (or the start).
    recon: Option<Arc<Vec<f32>>>,
    /// Counts changes of the weights the page may want to look at again (filters).
    weights_version: u64,
    /// The model for inference, as of (steps, weights version).
    inference: InferenceCache<(u64, u64)>,
    models: Vec<ModelInfo>,
    saved: Option<Value>,
    /// Data were read outside a step (by a query): a snapshot is due, so the page gets the grid.
    data_read: bool,
    /// The uploaded data set the settings name (read when picked: a bad one changes nothing),
    /// scaled into [0, 1], with the scaling applied.
    uploaded: Option<(String, Dataset, Scaling)>,
    uploads: Vec<String>,
}

impl StudioJob {
    /// The run's one configuration, as the settings give it: what it trains with
    /// ([`TrainingInfo::options`]) and what Save records.
    fn training_info(&self) -> TrainingInfo {
        let s = &self.settings;
        let optimizer = if s.optimizer == OptimizerKind::Sgd {
            Optimizer::Sgd {
                lr: s.lr,
                momentum: s.momentum,
            }
        } else {
            Optimizer::adam(s.lr)
        };
        let options = TrainOptions {
            loss: s.loss,
            optimizer,
            batch_size: (s.batch as usize)
                .min(self.data.as_ref().map_or(usize::MAX, |d| d.train.len()))
                .max(1),
            epochs: s.epochs as usize,
            seed: s.seed,
            variant: self.variant(),
        };
        TrainingInfo::of(&options, s.momentum, s.val_split)
    }

    fn options(&self) -> Result<TrainOptions, WireError> {
        Ok(self.training_info().options()?)
    }

    /// The kind of autoencoder the settings train (checked when they were applied).
    fn variant(&self) -> Variant {
        variant_of(&self.settings).expect("the settings were checked when they were applied")
    }

    fn data_key(&self) -> (String, u64, u64, u64) {
        let s = &self.settings;
        (
            s.dataset.clone(),
            s.train_size,
            (s.val_split * 1e6).round() as u64,
            s.seed,
        )
    }
}

impl PageJob for StudioJob {
    type Settings = StudioSettings;
    type Command = StudioCommand;
    type Query = StudioQuery;

    const NAME: &'static str = "studio";
    const TITLE: &'static str = "Model Studio";
    const DEFAULT_SPEED: f64 = 0.0;
    const HEAVY: bool = true;
    // two or three snapshots a second are live enough for figures and a loss chart, and leave the
    // cores to training (the page asks for the image grid when the weights change)
    const PUBLISH_EVERY: std::time::Duration = std::time::Duration::from_millis(400);

    fn info(ctx: &Context) -> Value {
        let sets = datasets_json(&ctx.datasets.present());
        json!({"datasets": sets, "grid": GRID, "limits": {
            "hidden": MAX_HIDDEN, "convs": MAX_CONVS, "width": MAX_WIDTH,
            "filters": MAX_FILTERS, "params": MAX_PARAMS,
        }})
    }

    fn start(ctx: Arc<Context>) -> Result<Self, WireError> {
        let settings = StudioSettings::default();
        let arch = architecture(&settings, GREY)?;
        Ok(StudioJob {
            datasets: DatasetsSeen::new(ctx.datasets.as_ref()),
            models: scan(ctx.models.as_ref()),
            uploads: ctx.datasets.uploads(),
            ctx,
            settings,
            arch,
            data: None,
            test: None,
            trainer: None,
            epochs_before: 0,
            before: Vec::new(),
            loaded: None,
            steps: 0,
            epoch_steps: 0,
            last_loss: None,
            term_series: Vec::new(),
            history: Vec::new(),
            recon: None,
            weights_version: 0,
            inference: InferenceCache::default(),
            saved: None,
            data_read: false,
            uploaded: None,
        })
    }

    fn settings(&self) -> StudioSettings {
        self.settings.clone()
    }

    fn configure(&mut self, mut next: StudioSettings) -> Result<Change, WireError> {
        // choosing a VAE brings its loss, binary cross-entropy, unless the loss is chosen in
        // the same breath (a VAE on MSE learns a grey blob: see `advice`)
        if next.variant == VariantKind::Vae
            && self.settings.variant != VariantKind::Vae
            && next.loss == self.settings.loss
        {
            next.loss = LossKind::Bce;
        }
        // an impossible model, an unknown data set or an unreadable upload changes nothing
        // (an upload read is kept by its name, whatever the settings)
        if next.dataset != self.settings.dataset {
            self.pick_dataset(&next.dataset)?;
        }
        let arch = architecture(&next, self.input_of(&next))?;
        let restart = run_key(&self.settings, input_shape(&self.arch))?
            != run_key(&next, self.input_of(&next))?;
        if !restart {
            if let Some(t) = &mut self.trainer {
                t.set_learning_rate(next.lr)?;
            }
            self.settings = next;
            return Ok(Change::Kept);
        }
        self.settings = next;
        self.arch = arch;
        self.drop_model();
        if self.data.as_ref().is_some_and(|d| d.key != self.data_key()) {
            self.data = None;
        }
        Ok(Change::Restarted)
    }

    fn command(&mut self, cmd: StudioCommand) -> Result<Change, WireError> {
        match cmd {
            StudioCommand::Stop => {
                if self.trainer.as_ref().is_some_and(Trainer::in_epoch) {
                    self.finish_epoch()?;
                }
                Ok(Change::Paused)
            }
            StudioCommand::More => {
                // one epoch more than the model has had, never fewer than were asked for
                let done = self.epochs_done() as u64;
                if done + 1 > 1000 {
                    return Err(WireError::invalid("the Studio trains at most 1,000 epochs"));
                }
                self.settings.epochs = self.settings.epochs.max(done + 1);
                Ok(Change::Kept)
            }
            StudioCommand::Save { name, overwrite } => self.save(&name, overwrite),
            StudioCommand::Load { name } => self.load(&name),
            StudioCommand::Delete { name } => self.delete(&name),
            StudioCommand::Rename { from, to } => self.rename(&from, &to),
            StudioCommand::Fetch { dataset } => {
                self.ctx.datasets.fetch(&dataset)?;
                Ok(Change::Kept)
            }
            StudioCommand::Rescan => {
                self.models = scan(self.ctx.models.as_ref());
                self.datasets.rescan(self.ctx.datasets.as_ref());
                self.uploads = self.ctx.datasets.uploads();
                Ok(Change::Kept)
            }
        }
    }

    fn poll(&mut self) -> bool {
        let changed = self.datasets.poll(self.ctx.datasets.as_ref());
        std::mem::take(&mut self.data_read) || changed
    }

    fn reset(&mut self) -> Result<(), WireError> {
        self.drop_model();
        Ok(())
    }

    fn step(&mut self) -> Result<Option<Progress>, WireError> {
        self.ensure_trainer()?;
        if !self.trainer.as_ref().is_some_and(Trainer::in_epoch)
            && self.epochs_done() >= self.settings.epochs as usize
        {
            return Err(WireError::invalid(format!(
                "the model has had its {} epochs: raise Epochs, or press One more epoch",
                self.epochs_done()
            )));
        }
        let (Some(trainer), Some(data)) = (self.trainer.as_mut(), self.data.as_ref()) else {
            return Ok(None);
        };
        let s = trainer.step(&data.train).map_err(WireError::from)?;
        self.steps += 1;
        self.epoch_steps += 1;
        self.last_loss = Some(s.loss);
        let x = self.position();
        for (i, &(name, v)) in s.terms.iter().enumerate() {
            if self.term_series.len() <= i {
                self.term_series.push((name, Series::default()));
            }
            self.term_series[i].1.record(x, v);
        }
        if s.epoch_done {
            self.finish_epoch()?;
        }
        Ok(Some(Progress {
            x: self.position(),
            loss: s.loss,
        }))
    }

    fn finished(&mut self) -> Option<String> {
        let running = self.trainer.as_ref().is_some_and(Trainer::in_epoch);
        let done = self.epochs_done();
        (!running && done >= self.settings.epochs as usize).then(|| {
            format!(
                "Trained {done} epoch{}. Save it below, train one more epoch, or look inside.",
                if done == 1 { "" } else { "s" }
            )
        })
    }

    fn origin(&self) -> Option<Progress> {
        None
    }

    fn frame(&mut self, run: &RunState) -> Frame {
        self.snapshot(run)
    }

    fn query(&mut self, query: StudioQuery) -> Result<Frame, WireError> {
        self.answer(query)
    }
}

/// The Model Studio's own messages.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum StudioCommand {
    /// Ends the running epoch part-way and pauses; the model so far is kept.
    Stop,
    /// Trains one epoch more than the model has had (then press play).
    More,
    Save {
        name: String,
        #[serde(default)]
        overwrite: bool,
    },
    Load {
        name: String,
    },
    Delete {
        name: String,
    },
    Rename {
        from: String,
        to: String,
    },
    Rescan,
    /// Downloads a known dataset that is not on the machine (progress in `download`).
    Fetch {
        dataset: String,
    },
}

#[cfg(test)]
mod colour_tests;
#[cfg(test)]
mod tests;
