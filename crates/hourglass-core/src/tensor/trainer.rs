//! Mini-batch training of an [`Autoencoder`]: Adam or momentum SGD, MSE or BCE (or any
//! [`Objective`]), reshuffled every epoch, step by step ([`Trainer`]) or as a whole run with
//! a stop flag checked after every step ([`train`]).

use std::sync::atomic::{AtomicBool, Ordering};

// std's Instant on native targets; the page's clock on wasm32 (std's panics there)
use web_time::Instant;

use burn::{
    module::Module,
    optim::{GradientsParams, ModuleOptimizer},
    tensor::{Tensor, TensorData},
};
use rayon::prelude::*;

pub use super::train_options::{
    EpochReport, LossKind, Optimizer, Progress, StepReport, TrainOptions,
};
use super::{Autoencoder, BatchLoss, Objective, objective_for};
use crate::{
    Error,
    data::{Dataset, Samples, for_each_block},
    rng::Rng,
    variant::{Sparsity, Variant},
};

/// Step-wise training of an [`Autoencoder`]: one mini-batch per [`Trainer::step`], epochs
/// ended by [`Trainer::end_epoch`] (also part-way), the learning rate changeable between
/// steps, the loss an [`Objective`]. The caller owns the loop, so it can pause, stop, change
/// settings or publish progress between any two steps; [`train`] is the plain loop over it.
pub struct Trainer {
    model: Autoencoder,
    optim: ModuleOptimizer,
    objective: Box<dyn Objective>,
    lr: f64,
    batch_size: usize,
    rng: Rng,
    /// Samples per epoch (the training set's length).
    n: usize,
    /// The running epoch's order and how far into it training is (`None` between epochs).
    order: Option<(Vec<usize>, usize)>,
    /// Epochs begun (the running one included).
    epoch: usize,
    total: f64,
    /// The epoch's terms, summed over its samples.
    term_totals: Vec<(&'static str, f64)>,
    seen: usize,
    steps_done: usize,
    started: Instant,
    /// A TopK dictionary of one layer: its decoder directions are put back on the unit
    /// sphere after every step (see [`super::topk::unit_norm_decoder`]).
    unit_decoder: bool,
}

impl Trainer {
    /// A trainer for `model` (built on [`super::training_device`]) over a training set of
    /// `samples` samples. Checks the optimizer and batch size.
    pub fn new(
        model: Autoencoder,
        samples: usize,
        opts: &TrainOptions,
        objective: Box<dyn Objective>,
    ) -> Result<Self, Error> {
        opts.optimizer.validate()?;
        let mut model = model;
        let unit_decoder = matches!(
            opts.variant,
            Variant::Sparse {
                penalty: Sparsity::TopK { .. }
            }
        ) && super::topk::is_dictionary(&model.module);
        if unit_decoder {
            super::topk::start_dictionary(&mut model.module);
        }
        if samples == 0 {
            return Err(Error::invalid("no training samples"));
        }
        if opts.batch_size == 0 {
            return Err(Error::invalid("batch size must be at least 1"));
        }
        Ok(Trainer {
            model,
            optim: opts.optimizer.build(),
            objective,
            lr: opts.optimizer.learning_rate(),
            batch_size: opts.batch_size,
            rng: Rng::new(opts.seed ^ 0x5eed_0f5a_3b1e),
            n: samples,
            order: None,
            epoch: 0,
            total: 0.0,
            term_totals: Vec::new(),
            seen: 0,
            steps_done: 0,
            started: Instant::now(),
            unit_decoder,
        })
    }

    /// Steps in one epoch.
    pub fn steps_per_epoch(&self) -> usize {
        self.n.div_ceil(self.batch_size)
    }

    /// Completed epochs (a partly run epoch counts once it is ended).
    pub fn epochs_done(&self) -> usize {
        if self.order.is_some() {
            self.epoch - 1
        } else {
            self.epoch
        }
    }

    /// True between the first step of an epoch and its end.
    pub fn in_epoch(&self) -> bool {
        self.order.is_some()
    }

    pub fn learning_rate(&self) -> f64 {
        self.lr
    }

    /// Changes the learning rate from the next step on.
    pub fn set_learning_rate(&mut self, lr: f64) -> Result<(), Error> {
        if !lr.is_finite() || lr <= 0.0 {
            return Err(Error::invalid(format!(
                "learning rate {lr} must be a positive number"
            )));
        }
        self.lr = lr;
        Ok(())
    }

    /// The model being trained (on the training device).
    pub fn model(&self) -> &Autoencoder {
        &self.model
    }

    /// The model as it is now, for inference.
    pub fn inference_model(&self) -> Autoencoder {
        self.model.valid()
    }

    /// The trained model, for inference.
    pub fn into_model(self) -> Autoencoder {
        self.model.valid()
    }

    /// One mini-batch of `train_set` (which must be the set the trainer was made for: a
    /// [`Dataset`], or samples read as training goes); begins an epoch (a fresh shuffle)
    /// when none is running.
    pub fn step(&mut self, train_set: &dyn Samples) -> Result<StepReport, Error> {
        // on rayon's workers on the CPU, on this thread on a GPU (see `on_engine_threads`)
        super::backend::on_engine_threads(|| self.step_in_pool(train_set))
    }

    fn step_in_pool(&mut self, train_set: &dyn Samples) -> Result<StepReport, Error> {
        let width = self.model.arch.input_size();
        if train_set.len() != self.n || train_set.features() != width {
            return Err(Error::invalid(format!(
                "{} has {}×{} values, the trainer was made for {}×{width}",
                train_set.name(),
                train_set.len(),
                train_set.features(),
                self.n
            )));
        }
        if self.order.is_none() {
            let order = self.rng.permutation(self.n);
            train_set.begin_epoch(&order, self.batch_size);
            self.order = Some((order, 0));
            self.epoch += 1;
            self.total = 0.0;
            self.term_totals.clear();
            self.seen = 0;
            self.steps_done = 0;
            self.started = Instant::now();
        }
        let (order, at) = self.order.as_mut().expect("an epoch is running");
        let idx = &order[*at..(*at + self.batch_size).min(self.n)];
        *at += idx.len();
        let rows = idx.len();
        let batch = match train_set.in_memory() {
            Some(d) => gather_rows(d, idx, width),
            None => train_set.gather(idx)?,
        };
        let device = self.model.device();
        let x = Tensor::from_data(TensorData::new(batch, [rows, width]), &device);
        let BatchLoss { total, terms } = self.objective.loss(&self.model, x);
        let grads = total.backward();
        let value = total.into_scalar::<f32>() as f64;
        self.steps_done += 1;
        if !value.is_finite() {
            return Err(Error::invalid(format!(
                "training diverged at epoch {}, step {} (loss {value}); try a smaller learning rate",
                self.epoch, self.steps_done
            )));
        }
        let terms: Vec<(&'static str, f64)> = terms
            .into_iter()
            .map(|(name, t)| (name, t.into_scalar::<f32>() as f64))
            .collect();
        for (i, &(name, v)) in terms.iter().enumerate() {
            match self.term_totals.get_mut(i) {
                Some(slot) => slot.1 += v * rows as f64,
                None => self.term_totals.push((name, v * rows as f64)),
            }
        }
        self.total += value * rows as f64;
        self.seen += rows;
        let grads = GradientsParams::from_grads(grads, &self.model.module);
        // moved through the optimizer (no clone: the engine updates unshared tensors in
        // place); host copies of the old weights are dropped
        let module = std::mem::replace(&mut self.model.module, empty_module());
        self.model.module = self.optim.step(self.lr, module, grads);
        if self.unit_decoder {
            super::topk::unit_norm_decoder(&mut self.model.module);
        }
        self.model.host = Default::default();
        Ok(StepReport {
            epoch: self.epoch,
            step: self.steps_done,
            steps: self.steps_per_epoch(),
            loss: value,
            terms,
            epoch_done: self.seen >= self.n,
        })
    }

    /// The objective's loss on host samples for the model as it is now (its mean per sample).
    pub fn evaluate(&self, values: &[f32]) -> super::Evaluated {
        self.objective.evaluate(&self.model.valid(), values)
    }

    /// The objective's loss on `samples` for the model as it is now: [`Trainer::evaluate`]
    /// of their values in memory, or the mean over blocks of samples read from elsewhere.
    pub fn evaluate_samples(&self, samples: &dyn Samples) -> Result<f64, Error> {
        if let Some(d) = samples.in_memory() {
            return Ok(self.evaluate(&d.values).loss);
        }
        let model = self.model.valid();
        let width = samples.features().max(1);
        let (mut total, mut seen) = (0.0, 0usize);
        for_each_block(samples, EVAL_BLOCK, |values| {
            let n = values.len() / width;
            total += self.objective.evaluate(&model, values).loss * n as f64;
            seen += n;
            Ok(())
        })?;
        Ok(total / seen.max(1) as f64)
    }

    /// Ends the running epoch (part-way if steps remain): its mean training loss (and its
    /// terms) and, with a validation set, the objective's loss on it for the model as it is
    /// now.
    pub fn end_epoch(&mut self, val_set: Option<&Dataset>) -> Option<EpochReport> {
        self.end_epoch_with(val_set.map(|d| d as &dyn Samples))
            .expect("a dataset in memory reads without failing")
    }

    /// [`Trainer::end_epoch`] with validation samples from anywhere (read from disk, say);
    /// an error when they cannot be read.
    pub fn end_epoch_with(
        &mut self,
        val_set: Option<&dyn Samples>,
    ) -> Result<Option<EpochReport>, Error> {
        if self.order.is_none() {
            return Ok(None);
        }
        let val_loss = match val_set {
            Some(v) if !v.is_empty() => Some(self.evaluate_samples(v)?),
            _ => None,
        };
        self.order = None;
        let seen = self.seen.max(1) as f64;
        Ok(Some(EpochReport {
            epoch: self.epoch,
            train_loss: self.total / seen,
            val_loss,
            terms: self
                .term_totals
                .iter()
                .map(|&(k, v)| (k.to_string(), v / seen))
                .collect(),
            seconds: self.started.elapsed().as_secs_f64(),
            partial: self.seen < self.n,
        }))
    }
}

/// Samples a block of a set read from elsewhere is validated in.
const EVAL_BLOCK: usize = 256;

/// The rows `idx` of `data` gathered into a fresh buffer a tensor can take over (no copy of
/// the batch), on every core (random rows of a large set: cache misses, not copying).
fn gather_rows(data: &Dataset, idx: &[usize], width: usize) -> Vec<f32> {
    let rows = idx.len();
    let mut batch = Vec::with_capacity(rows * width);
    if width > 0 {
        let spare = &mut batch.spare_capacity_mut()[..rows * width];
        spare
            .par_chunks_mut(width)
            .zip(idx.par_iter())
            .with_min_len(16)
            .for_each(|(d, &i)| {
                d.write_copy_of_slice(data.sample(i));
            });
        // SAFETY: the `rows` chunks of `width` cover `..rows * width` and each was written
        // whole just above (one chunk per index of `idx`, which has `rows` of them).
        unsafe { batch.set_len(rows * width) };
    }
    batch
}

/// A module of no parameters, standing in for the real one while it is moved through the
/// optimizer.
fn empty_module() -> super::AeModule {
    super::AeModule {
        enc_convs: Vec::new(),
        enc_linears: Vec::new(),
        dec_linears: Vec::new(),
        dec_deconvs: Vec::new(),
    }
}

/// Trains `model` (built on [`super::training_device`]) on `train_set` (in memory or read as
/// training goes), reporting progress. Stops early, after the current step, when `stop` is
/// set. Returns the trained model (on the inference device) and one report per completed
/// epoch.
pub fn train(
    model: Autoencoder,
    train_set: &dyn Samples,
    val_set: Option<&dyn Samples>,
    opts: &TrainOptions,
    stop: &AtomicBool,
    on_progress: &mut dyn FnMut(&Progress),
) -> Result<(Autoencoder, Vec<EpochReport>), Error> {
    let width = model.arch.input_size();
    for d in std::iter::once(train_set).chain(val_set) {
        if d.features() != width {
            return Err(Error::invalid(format!(
                "{} has {} values per sample, the model takes {width}",
                d.name(),
                d.features()
            )));
        }
    }
    let objective = objective_for(opts.variant, opts.loss, opts.seed, &model)?;
    let mut trainer = Trainer::new(model, train_set.len(), opts, objective)?;
    let mut reports = Vec::new();
    for _ in 0..opts.epochs {
        loop {
            let s = trainer.step(train_set)?;
            on_progress(&Progress::Step {
                epoch: s.epoch,
                step: s.step,
                steps: s.steps,
                loss: s.loss,
            });
            if s.epoch_done || stop.load(Ordering::Relaxed) {
                break;
            }
        }
        let report = trainer
            .end_epoch_with(val_set)?
            .expect("an epoch was running");
        on_progress(&Progress::Epoch(report.clone()));
        reports.push(report);
        if stop.load(Ordering::Relaxed) {
            break;
        }
    }
    Ok((trainer.into_model(), reports))
}

impl Autoencoder {
    /// The same model without autodiff, for inference.
    pub fn valid(&self) -> Autoencoder {
        Autoencoder::from_module(self.arch.clone(), self.module.valid())
    }
}

#[cfg(test)]
#[path = "trainer_tests.rs"]
mod tests;
