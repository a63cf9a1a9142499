//! The experiments' models, trained one after another, one mini-batch a step; when the last
//! one is trained, its experiment measures them (`analyse`).

use hourglass_core::{
    architecture::{Architecture, Code},
    glass::Activation,
    settings::Choice,
    tensor::{
        Autoencoder, LossKind, Optimizer, TrainOptions, Trainer, initial_tensors, objective_for,
        training_device,
    },
    variant::Variant,
};
use serde::Serialize;

use super::{Experiment, UsesJob, UsesSettings, anomaly, compress, denoise, generate};
use crate::{Progress, WireError, fields::PIXELS};

/// Hidden layer of every model here.
pub(super) const HIDDEN: usize = 256;

/// One model an experiment trains.
pub(super) struct RunSpec {
    pub name: String,
    pub arch: Architecture,
    pub variant: Variant,
    pub loss: LossKind,
}

impl RunSpec {
    /// A plain dense 784-256-`latent` model (ReLU, sigmoid output).
    pub fn plain(name: String, latent: usize, loss: LossKind) -> Self {
        RunSpec {
            name,
            arch: dense(latent, Code::Linear),
            variant: Variant::Plain,
            loss,
        }
    }
}

/// The dense 784-256-`latent` layers every model here has.
pub(super) fn dense(latent: usize, code: Code) -> Architecture {
    Architecture::Dense {
        layers: vec![PIXELS, HIDDEN, latent],
        activation: Activation::Relu,
        output: Activation::Sigmoid,
        activations: vec![],
        code,
    }
}

/// What the experiment's models depend on: a different key trains them again.
pub(super) fn queue_key(s: &UsesSettings) -> String {
    let base = format!(
        "{}/{}/{}/{}/{}",
        s.experiment.name(),
        s.dataset,
        s.train_size,
        s.epochs,
        s.seed
    );
    match s.experiment {
        Experiment::Anomaly => format!("{base}/{}", s.held_out),
        Experiment::Denoise => format!("{base}/{}:{}", s.noise.name(), s.noise_level),
        _ => base,
    }
}

/// An experiment's models in training, one after another.
pub(super) struct Queue {
    /// What it was made for ([`queue_key`]).
    key: String,
    experiment: Experiment,
    runs: Vec<RunSpec>,
    at: usize,
    trainer: Option<Trainer>,
    trained: Vec<Autoencoder>,
    /// The training images (the normal ones only, for anomaly).
    train: hourglass_core::data::Dataset,
    last_loss: Option<f64>,
}

/// The queue as the snapshot shows it: which model of the experiment trains, and where.
#[derive(Serialize)]
pub struct TrainingView<'a> {
    experiment: &'static str,
    /// The model training now (its name and place), and every model's name.
    run: &'a str,
    index: usize,
    runs: usize,
    names: Vec<&'a str>,
    epoch: f64,
    epochs: u64,
    steps_per_epoch: usize,
    loss: Option<f64>,
}

impl Queue {
    fn finished(&self) -> bool {
        self.at >= self.runs.len()
    }

    /// The training under way, for the page's frame (none once finished).
    pub fn view(&self, epochs: u64) -> Option<TrainingView<'_>> {
        if self.finished() {
            return None;
        }
        let (epoch, of) = self
            .trainer
            .as_ref()
            .map_or((0.0, 1), |t| (t.epochs_done() as f64, t.steps_per_epoch()));
        Some(TrainingView {
            experiment: self.experiment.name(),
            run: &self.runs[self.at].name,
            index: self.at,
            runs: self.runs.len(),
            names: self.runs.iter().map(|r| r.name.as_str()).collect(),
            epoch,
            epochs,
            steps_per_epoch: of,
            loss: self.last_loss,
        })
    }
}

impl UsesJob {
    /// The queue for the experiment as the settings are now (built when missing, stale, or
    /// finished: pressing Train again trains again from the seed).
    fn ensure_queue(&mut self) -> Result<(), WireError> {
        let key = queue_key(&self.settings);
        if self
            .queue
            .as_ref()
            .is_some_and(|q| q.key == key && !q.finished())
        {
            return Ok(());
        }
        let s = &self.settings;
        let runs = match s.experiment {
            Experiment::Anomaly => anomaly::specs(s),
            Experiment::Denoise => denoise::specs(s)?,
            Experiment::Compress => compress::specs(),
            Experiment::Generate => generate::specs(),
            Experiment::Project => {
                return Err(WireError::invalid("the maps experiment trains no model"));
            }
        };
        let experiment = s.experiment;
        let held = s.held_out as u32;
        let all = self.train_set()?;
        let train = if experiment == Experiment::Anomaly {
            let labels = all.labels.as_deref().unwrap_or(&[]);
            let keep: Vec<usize> = (0..all.len()).filter(|&i| labels[i] != held).collect();
            all.subset(&keep)
        } else {
            all.clone()
        };
        self.queue = Some(Queue {
            key,
            experiment,
            runs,
            at: 0,
            trainer: None,
            trained: Vec::new(),
            train,
            last_loss: None,
        });
        Ok(())
    }

    fn options(&self, spec: &RunSpec, index: usize) -> TrainOptions {
        TrainOptions {
            loss: spec.loss,
            optimizer: Optimizer::adam(1e-3),
            batch_size: 128,
            epochs: self.settings.epochs as usize,
            seed: self.settings.seed.wrapping_add(index as u64),
            variant: spec.variant,
        }
    }

    /// One mini-batch of the experiment's current model; at the end of the last, the
    /// experiment's figures.
    pub(super) fn train_step(&mut self) -> Result<Option<Progress>, WireError> {
        self.ensure_queue()?;
        let epochs = self.settings.epochs as usize;
        let Some(q) = self.queue.as_ref() else {
            return Ok(None);
        };
        if q.trainer.is_none() {
            let spec = &q.runs[q.at];
            let opts = self.options(spec, q.at);
            let model = Autoencoder::from_tensors(
                &spec.arch,
                &initial_tensors(&spec.arch, opts.seed)?,
                &training_device(),
            )?;
            let objective = objective_for(spec.variant, spec.loss, opts.seed, &model)?;
            let trainer = Trainer::new(model, q.train.len(), &opts, objective)?;
            if let Some(q) = self.queue.as_mut() {
                q.trainer = Some(trainer);
            }
        }
        let Some(q) = self.queue.as_mut() else {
            return Ok(None);
        };
        let Some(trainer) = q.trainer.as_mut() else {
            return Ok(None);
        };
        let s = trainer.step(&q.train)?;
        if s.epoch_done {
            trainer.end_epoch(None);
        }
        q.last_loss = Some(s.loss);
        let per = trainer.steps_per_epoch() as f64;
        let x =
            (q.at * epochs) as f64 + trainer.epochs_done() as f64 + (s.step as f64 / per).min(1.0)
                - if s.epoch_done { 1.0 } else { 0.0 };
        if trainer.epochs_done() >= epochs
            && let Some(t) = q.trainer.take()
        {
            q.trained.push(t.into_model());
            q.at += 1;
            if q.finished() {
                let models = std::mem::take(&mut q.trained);
                self.analyse(models)?;
            }
        }
        Ok(Some(Progress { x, loss: s.loss }))
    }

    /// The figures of a finished experiment from its trained models (in the order of its
    /// specs).
    fn analyse(&mut self, models: Vec<Autoencoder>) -> Result<(), WireError> {
        match self.settings.experiment {
            Experiment::Anomaly => self.analyse_anomaly(models)?,
            Experiment::Denoise => self.keep_denoisers(models)?,
            Experiment::Compress => self.measure_compression(models)?,
            Experiment::Generate => self.keep_generators(models)?,
            Experiment::Project => {}
        }
        self.version += 1;
        Ok(())
    }
}
