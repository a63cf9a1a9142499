//! Mini-batch training of an [`Autoencoder`]: Adam or momentum SGD, MSE or BCE (or any
//! [`Objective`]), reshuffled every epoch, step by step ([`Trainer`]) or as a whole run with
//! a stop flag checked after every step ([`train`]).

use std::sync::atomic::{AtomicBool, Ordering};

// std's Instant on native targets; the page's clock on wasm32 (std's panics there)
use web_time::Instant;

use burn::{
    module::Module,
    optim::{GradientsParams, ModuleOptimizer, SgdConfig, momentum::MomentumConfig},
    tensor::{Tensor, TensorData},
};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::{Autoencoder, BatchLoss, Objective, objective_for};
use crate::{
    Error,
    data::{Dataset, Samples, for_each_block},
    metrics,
    rng::Rng,
    variant::{Sparsity, Variant},
};

/// The reconstruction loss, a mean over every value of the batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LossKind {
    Mse,
    Bce,
}

impl std::str::FromStr for LossKind {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        match s.to_ascii_lowercase().as_str() {
            "mse" => Ok(LossKind::Mse),
            "bce" => Ok(LossKind::Bce),
            other => Err(Error::invalid(format!(
                "unknown loss '{other}' (expected mse or bce)"
            ))),
        }
    }
}

impl crate::settings::Choice for LossKind {
    const ALL: &'static [Self] = &[LossKind::Mse, LossKind::Bce];
    fn name(self) -> &'static str {
        LossKind::name(self)
    }
    fn label(self) -> &'static str {
        match self {
            LossKind::Mse => "mean squared error",
            LossKind::Bce => "binary cross-entropy",
        }
    }
}

impl LossKind {
    pub fn name(self) -> &'static str {
        match self {
            LossKind::Mse => "mse",
            LossKind::Bce => "bce",
        }
    }

    /// The loss of host reconstructions against host targets.
    pub fn host(self, y: &[f32], t: &[f32]) -> f64 {
        match self {
            LossKind::Mse => metrics::mse(y, t),
            LossKind::Bce => metrics::bce(y, t),
        }
    }
}

/// The optimizer and its settings. Defaults follow PyTorch (Adam ε 1e-8; SGD without
/// dampening), not Burn's (ε 1e-5, dampening 0.1), so runs match a PyTorch script.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Optimizer {
    Adam {
        lr: f64,
        beta1: f64,
        beta2: f64,
        epsilon: f64,
    },
    Sgd {
        lr: f64,
        momentum: f64,
    },
}

impl Optimizer {
    pub fn adam(lr: f64) -> Self {
        Optimizer::Adam {
            lr,
            beta1: 0.9,
            beta2: 0.999,
            epsilon: 1e-8,
        }
    }

    pub fn learning_rate(&self) -> f64 {
        match *self {
            Optimizer::Adam { lr, .. } | Optimizer::Sgd { lr, .. } => lr,
        }
    }

    fn validate(&self) -> Result<(), Error> {
        let lr = self.learning_rate();
        if !lr.is_finite() || lr <= 0.0 {
            return Err(Error::invalid(format!(
                "learning rate {lr} must be a positive number"
            )));
        }
        match *self {
            Optimizer::Adam {
                beta1,
                beta2,
                epsilon,
                ..
            } => {
                for (name, b) in [("beta1", beta1), ("beta2", beta2)] {
                    if !(0.0..1.0).contains(&b) {
                        return Err(Error::invalid(format!("Adam {name} {b} is outside [0, 1)")));
                    }
                }
                if !epsilon.is_finite() || epsilon <= 0.0 {
                    return Err(Error::invalid(format!(
                        "Adam epsilon {epsilon} must be positive"
                    )));
                }
            }
            Optimizer::Sgd { momentum, .. } => {
                if !momentum.is_finite() || !(0.0..1.0).contains(&momentum) {
                    return Err(Error::invalid(format!(
                        "momentum {momentum} is outside [0, 1)"
                    )));
                }
            }
        }
        Ok(())
    }

    fn build(&self) -> ModuleOptimizer {
        match *self {
            Optimizer::Adam {
                beta1,
                beta2,
                epsilon,
                ..
            } => ModuleOptimizer::from(super::adam::FusedAdam {
                beta1: beta1 as f32,
                beta2: beta2 as f32,
                epsilon: epsilon as f32,
            }),
            Optimizer::Sgd { momentum, .. } => {
                let m = (momentum > 0.0).then(|| {
                    MomentumConfig::new()
                        .with_momentum(momentum)
                        .with_dampening(0.0)
                        .with_nesterov(false)
                });
                SgdConfig::new().with_momentum(m).init()
            }
        }
    }
}

/// Settings of one training run.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TrainOptions {
    /// The kind of autoencoder (its loss terms, its noise).
    #[serde(default)]
    pub variant: Variant,
    pub loss: LossKind,
    pub optimizer: Optimizer,
    pub batch_size: usize,
    pub epochs: usize,
    pub seed: u64,
}

/// What one epoch did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EpochReport {
    /// 1-based.
    pub epoch: usize,
    /// Mean training loss over the epoch's samples.
    pub train_loss: f64,
    pub val_loss: Option<f64>,
    /// The training loss's terms, means over the epoch's samples (empty for a single-term
    /// loss).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub terms: Vec<(String, f64)>,
    pub seconds: f64,
    /// True when training was stopped part-way through this epoch.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub partial: bool,
}

/// Progress during training.
#[derive(Debug, Clone, PartialEq)]
pub enum Progress {
    Step {
        epoch: usize,
        step: usize,
        steps: usize,
        loss: f64,
    },
    Epoch(EpochReport),
}

/// What one training step did.
#[derive(Debug, Clone, PartialEq)]
pub struct StepReport {
    /// 1-based epoch the step belongs to.
    pub epoch: usize,
    /// 1-based step within the epoch, of `steps`.
    pub step: usize,
    pub steps: usize,
    /// The batch's loss.
    pub loss: f64,
    /// The values of the objective's named terms for this batch (empty for a plain loss).
    pub terms: Vec<(&'static str, f64)>,
    /// True when this step was the epoch's last.
    pub epoch_done: bool,
}

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
mod tests {
    use super::*;
    use crate::architecture::Code;
    use crate::tensor::{epoch_figures, evaluate};
    use crate::{
        architecture::{Architecture, parse_convs},
        glass::Activation,
        tensor::{initial_tensors, training_device},
    };

    fn blobs() -> Dataset {
        // 64 8×8 images: a bright square at one of four places
        let mut values = Vec::new();
        let mut labels = Vec::new();
        for i in 0..64u32 {
            let k = i % 4;
            labels.push(k);
            for y in 0..8 {
                for x in 0..8 {
                    let on = (y / 4 == (k / 2) as usize) && (x / 4 == (k % 2) as usize);
                    values.push(if on { 0.9 } else { 0.1 });
                }
            }
        }
        Dataset::new("blobs", 64, values, Some(labels))
            .unwrap()
            .with_image_shape(8, 8)
            .unwrap()
    }

    fn run(arch: Architecture, loss: LossKind, optimizer: Optimizer) -> Vec<EpochReport> {
        let data = blobs();
        let model = Autoencoder::from_tensors(
            &arch,
            &initial_tensors(&arch, 1).unwrap(),
            &training_device(),
        )
        .unwrap();
        let opts = TrainOptions {
            loss,
            optimizer,
            batch_size: 16,
            epochs: 30,
            seed: 1,
            variant: Variant::Plain,
        };
        let (_, reports) = train(
            model,
            &data,
            Some(&data.take(8)),
            &opts,
            &AtomicBool::new(false),
            &mut |_| {},
        )
        .unwrap();
        reports
    }

    #[test]
    fn dense_and_conv_models_learn() {
        let dense = Architecture::Dense {
            layers: vec![64, 16, 2],
            activation: Activation::Relu,
            output: Activation::Sigmoid,
            activations: vec![],
            code: Code::Linear,
        };
        let conv = Architecture::Conv {
            input: [1, 8, 8],
            convs: parse_convs("4:3:2:1").unwrap(),
            latent: 2,
            activation: Activation::Relu,
            output: Activation::Sigmoid,
            code: Code::Linear,
        };
        for (arch, loss, opt) in [
            (dense.clone(), LossKind::Mse, Optimizer::adam(0.01)),
            (
                dense,
                LossKind::Bce,
                Optimizer::Sgd {
                    lr: 0.5,
                    momentum: 0.9,
                },
            ),
            (conv, LossKind::Mse, Optimizer::adam(0.01)),
        ] {
            let r = run(arch.clone(), loss, opt);
            assert_eq!(r.len(), 30);
            let (first, last) = (r[0].train_loss, r[29].train_loss);
            assert!(
                last < 0.5 * first,
                "{}: loss {first} -> {last}",
                arch.describe()
            );
            assert!(r[29].val_loss.is_some());
        }
    }

    #[test]
    fn same_seed_same_weights() {
        let arch = Architecture::Dense {
            layers: vec![64, 8, 2],
            activation: Activation::Tanh,
            output: Activation::Sigmoid,
            activations: vec![],
            code: Code::Linear,
        };
        let go = || {
            let model = Autoencoder::from_tensors(
                &arch,
                &initial_tensors(&arch, 4).unwrap(),
                &training_device(),
            )
            .unwrap();
            let opts = TrainOptions {
                loss: LossKind::Mse,
                optimizer: Optimizer::adam(0.01),
                batch_size: 8,
                epochs: 2,
                seed: 4,
                variant: Variant::Plain,
            };
            train(
                model,
                &blobs(),
                None,
                &opts,
                &AtomicBool::new(false),
                &mut |_| {},
            )
            .unwrap()
            .0
            .to_tensors()
        };
        assert_eq!(go(), go());
    }

    #[test]
    fn stop_flag_ends_after_the_current_step() {
        let arch = Architecture::Dense {
            layers: vec![64, 2],
            activation: Activation::Relu,
            output: Activation::Sigmoid,
            activations: vec![],
            code: Code::Linear,
        };
        let model = Autoencoder::from_tensors(
            &arch,
            &initial_tensors(&arch, 1).unwrap(),
            &training_device(),
        )
        .unwrap();
        let opts = TrainOptions {
            loss: LossKind::Mse,
            optimizer: Optimizer::adam(0.01),
            batch_size: 8,
            epochs: 100,
            seed: 1,
            variant: Variant::Plain,
        };
        let stop = AtomicBool::new(false);
        let mut steps = 0;
        let (_, reports) = train(model, &blobs(), None, &opts, &stop, &mut |p| {
            if let Progress::Step { .. } = p {
                steps += 1;
                if steps == 3 {
                    stop.store(true, Ordering::Relaxed);
                }
            }
        })
        .unwrap();
        assert_eq!(steps, 3);
        assert_eq!(reports.len(), 1);
        assert!(reports[0].partial);
    }

    #[test]
    fn stepping_by_hand_is_the_same_run_and_the_rate_changes_between_steps() {
        let arch = Architecture::Dense {
            layers: vec![64, 8, 2],
            activation: Activation::Relu,
            output: Activation::Sigmoid,
            activations: vec![],
            code: Code::Linear,
        };
        let model = || {
            Autoencoder::from_tensors(
                &arch,
                &initial_tensors(&arch, 2).unwrap(),
                &training_device(),
            )
            .unwrap()
        };
        let opts = TrainOptions {
            loss: LossKind::Mse,
            optimizer: Optimizer::adam(0.01),
            batch_size: 10,
            epochs: 3,
            seed: 2,
            variant: Variant::Plain,
        };
        let data = blobs();
        let (whole, reports) = train(
            model(),
            &data,
            None,
            &opts,
            &AtomicBool::new(false),
            &mut |_| {},
        )
        .unwrap();
        // the same three epochs, one step at a time, with pauses between them
        let mut t = Trainer::new(
            model(),
            data.len(),
            &opts,
            Box::new(crate::tensor::Reconstruction(opts.loss)),
        )
        .unwrap();
        assert_eq!(t.steps_per_epoch(), 7);
        let mut by_hand = Vec::new();
        for _ in 0..3 {
            loop {
                let s = t.step(&data).unwrap();
                assert!(t.in_epoch(), "an epoch runs until it is ended");
                if s.epoch_done {
                    break;
                }
            }
            by_hand.push(t.end_epoch(None).unwrap());
        }
        assert_eq!(t.epochs_done(), 3);
        let stepped = t.into_model();
        assert_eq!(stepped.to_tensors(), whole.to_tensors());
        for (a, b) in by_hand.iter().zip(&reports) {
            assert_eq!((a.epoch, a.train_loss), (b.epoch, b.train_loss));
        }
        // a new learning rate applies from the next step: a huge one changes the weights more
        let mut slow = Trainer::new(
            model(),
            data.len(),
            &opts,
            Box::new(crate::tensor::Reconstruction(opts.loss)),
        )
        .unwrap();
        let mut fast = Trainer::new(
            model(),
            data.len(),
            &opts,
            Box::new(crate::tensor::Reconstruction(opts.loss)),
        )
        .unwrap();
        fast.set_learning_rate(0.5).unwrap();
        assert!(fast.set_learning_rate(-1.0).is_err());
        assert_eq!(fast.learning_rate(), 0.5);
        slow.step(&data).unwrap();
        fast.step(&data).unwrap();
        let start = model().to_tensors();
        let moved = |m: &Autoencoder| -> f32 {
            m.to_tensors()
                .iter()
                .zip(&start)
                .flat_map(|(a, b)| a.values.iter().zip(&b.values).map(|(x, y)| (x - y).abs()))
                .sum()
        };
        assert!(moved(fast.model()) > 5.0 * moved(slow.model()));
        // ending an epoch part-way marks it partial; the wrong data set is refused
        let r = slow.end_epoch(Some(&data)).unwrap();
        assert!(r.partial && r.val_loss.is_some());
        assert!(slow.end_epoch(None).is_none());
        assert!(slow.step(&data.take(8)).is_err());
    }

    #[test]
    fn bad_settings_are_errors() {
        let arch = Architecture::Dense {
            layers: vec![64, 2],
            activation: Activation::Relu,
            output: Activation::Sigmoid,
            activations: vec![],
            code: Code::Linear,
        };
        let model = || {
            Autoencoder::from_tensors(
                &arch,
                &initial_tensors(&arch, 1).unwrap(),
                &training_device(),
            )
            .unwrap()
        };
        for optimizer in [
            Optimizer::adam(-1.0),
            Optimizer::adam(f64::NAN),
            Optimizer::Sgd {
                lr: 0.1,
                momentum: 1.5,
            },
        ] {
            let opts = TrainOptions {
                loss: LossKind::Mse,
                optimizer,
                batch_size: 8,
                epochs: 1,
                seed: 1,
                variant: Variant::Plain,
            };
            assert!(
                train(
                    model(),
                    &blobs(),
                    None,
                    &opts,
                    &AtomicBool::new(false),
                    &mut |_| {}
                )
                .is_err()
            );
        }
    }

    /// A dense ReLU model with a sigmoid output from `seed`, for inference.
    fn dense_model(layers: Vec<usize>, seed: u64) -> Autoencoder {
        let arch = Architecture::Dense {
            layers,
            activation: Activation::Relu,
            output: Activation::Sigmoid,
            activations: vec![],
            code: Code::Linear,
        };
        Autoencoder::from_tensors(
            &arch,
            &initial_tensors(&arch, seed).unwrap(),
            &crate::tensor::inference_device(),
        )
        .unwrap()
    }

    #[test]
    fn evaluation_of_a_perfect_and_a_poor_model() {
        let m = dense_model(vec![64, 2], 1);
        let e = evaluate(&m, &blobs(), 16).unwrap();
        assert_eq!(e.samples, 64);
        assert!(e.mse > 0.01 && e.psnr < 20.0);
        assert!(e.ssim.is_none(), "8×8 is too small for SSIM");
    }

    #[test]
    fn an_epochs_figures_are_the_evaluations() {
        // 40 seeded 12×12 images (large enough for SSIM) through a small dense model
        let mut rng = crate::rng::Rng::new(3);
        let values: Vec<f32> = (0..40 * 144)
            .map(|_| rng.uniform(0.0, 1.0) as f32)
            .collect();
        let data = Dataset::new("noise", 144, values, None)
            .unwrap()
            .with_image_shape(12, 12)
            .unwrap();
        let m = dense_model(vec![144, 16, 4], 2);
        let e = evaluate(&m, &data, 1024).unwrap();
        assert!(e.ssim.is_some());
        for (loss, want) in [(LossKind::Mse, e.mse), (LossKind::Bce, e.bce)] {
            let f = epoch_figures(&m, &data, loss).unwrap();
            assert_eq!((f.loss, f.psnr, f.ssim), (want, e.psnr, e.ssim));
        }
    }
}
