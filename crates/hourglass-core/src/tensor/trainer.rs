//! Mini-batch training of an [`Autoencoder`]: Adam or momentum SGD, MSE or BCE, reshuffled
//! every epoch, with a validation split and a stop flag checked after every step.

use std::{
    sync::atomic::{AtomicBool, Ordering},
    time::Instant,
};

use burn::{
    module::Module,
    optim::{GradientsParams, ModuleOptimizer, SgdConfig, momentum::MomentumConfig},
    tensor::{Tensor, TensorData, activation},
};
use serde::{Deserialize, Serialize};

use super::Autoencoder;
use crate::{Error, data::Dataset, glass::Activation, metrics, rng::Rng};

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
        match s {
            "mse" => Ok(LossKind::Mse),
            "bce" => Ok(LossKind::Bce),
            other => Err(Error::invalid(format!(
                "unknown loss '{other}' (expected mse or bce)"
            ))),
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

/// Mean metrics over a dataset's images.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evaluation {
    pub samples: usize,
    pub mse: f64,
    pub bce: f64,
    /// Mean of per-image PSNR in dB (identical images, whose PSNR is infinite, are skipped).
    pub psnr: f64,
    /// Mean SSIM, for images of at least 11×11.
    pub ssim: Option<f64>,
}

/// Mean MSE, BCE, PSNR and SSIM of the model's reconstructions of `data`.
pub fn evaluate(model: &Autoencoder, data: &Dataset, batch: usize) -> Result<Evaluation, Error> {
    if data.features != model.arch.input_size() {
        return Err(Error::invalid(format!(
            "{} has {} values per sample, the model takes {}",
            data.name,
            data.features,
            model.arch.input_size()
        )));
    }
    if data.is_empty() {
        return Err(Error::invalid(format!("{} has no samples", data.name)));
    }
    let rec = model.reconstruct_host(&data.values, batch);
    let f = data.features;
    let n = data.len();
    let (mut mse, mut bce, mut psnr, mut ssim) = (0.0, 0.0, 0.0, 0.0);
    let mut finite_psnr = 0usize;
    let shape = data.image_shape.filter(|[h, w]| *h >= 11 && *w >= 11);
    for i in 0..n {
        let (x, y) = (data.sample(i), &rec[i * f..(i + 1) * f]);
        mse += metrics::mse(y, x);
        bce += metrics::bce(y, x);
        let p = metrics::psnr(y, x);
        if p.is_finite() {
            psnr += p;
            finite_psnr += 1;
        }
        if let Some([h, w]) = shape {
            ssim += metrics::ssim(x, y, h, w)?;
        }
    }
    Ok(Evaluation {
        samples: n,
        mse: mse / n as f64,
        bce: bce / n as f64,
        psnr: if finite_psnr > 0 {
            psnr / finite_psnr as f64
        } else {
            f64::INFINITY
        },
        ssim: shape.map(|_| ssim / n as f64),
    })
}

fn loss_tensor(model: &Autoencoder, x: Tensor<2>, loss: LossKind) -> Tensor<1> {
    let logits = model.decode_logits(model.encode(x.clone()));
    let sigmoid_out = matches!(
        model.arch,
        crate::architecture::Architecture::Dense {
            output: Activation::Sigmoid,
            ..
        } | crate::architecture::Architecture::Conv {
            output: Activation::Sigmoid,
            ..
        }
    );
    match loss {
        LossKind::Mse => (model.output_activation(logits) - x).powi_scalar(2).mean(),
        // BCE from logits when the output is a sigmoid: −[t·log σ(z) + (1 − t)·log σ(−z)],
        // exact and free of log(0).
        LossKind::Bce if sigmoid_out => {
            let pos = activation::log_sigmoid(logits.clone());
            let neg = activation::log_sigmoid(logits.neg());
            (x.clone() * pos + (x.neg() + 1.0) * neg).mean().neg()
        }
        LossKind::Bce => {
            let y = model.output_activation(logits).clamp(1e-7, 1.0 - 1e-7);
            (x.clone() * y.clone().log() + (x.neg() + 1.0) * (y.neg() + 1.0).log())
                .mean()
                .neg()
        }
    }
}

/// Trains `model` (built on [`super::training_device`]) on `train_set`, reporting progress.
/// Stops early, after the current step, when `stop` is set. Returns the trained model (on the
/// inference device) and one report per completed epoch.
pub fn train(
    model: Autoencoder,
    train_set: &Dataset,
    val_set: Option<&Dataset>,
    opts: &TrainOptions,
    stop: &AtomicBool,
    on_progress: &mut dyn FnMut(&Progress),
) -> Result<(Autoencoder, Vec<EpochReport>), Error> {
    opts.optimizer.validate()?;
    let width = model.arch.input_size();
    for d in std::iter::once(train_set).chain(val_set) {
        if d.features != width {
            return Err(Error::invalid(format!(
                "{} has {} values per sample, the model takes {width}",
                d.name, d.features
            )));
        }
    }
    if train_set.is_empty() {
        return Err(Error::invalid("no training samples"));
    }
    if opts.batch_size == 0 {
        return Err(Error::invalid("batch size must be at least 1"));
    }
    let device = model.device();
    let lr = opts.optimizer.learning_rate();
    let mut optim = opts.optimizer.build();
    let mut rng = Rng::new(opts.seed ^ 0x5eed_0f5a_3b1e);
    let n = train_set.len();
    let steps = n.div_ceil(opts.batch_size);
    let mut model = model;
    let mut reports = Vec::new();
    let mut batch = Vec::with_capacity(opts.batch_size * width);
    for epoch in 1..=opts.epochs {
        let start = Instant::now();
        let order = rng.permutation(n);
        let mut total = 0.0;
        let mut seen = 0usize;
        let mut partial = false;
        for (step, idx) in order.chunks(opts.batch_size).enumerate() {
            batch.clear();
            for &i in idx {
                batch.extend_from_slice(train_set.sample(i));
            }
            let x = Tensor::from_data(TensorData::new(batch.clone(), [idx.len(), width]), &device);
            let loss = loss_tensor(&model, x, opts.loss);
            let grads = loss.backward();
            let value = loss.into_scalar::<f32>() as f64;
            if !value.is_finite() {
                return Err(Error::invalid(format!(
                    "training diverged at epoch {epoch}, step {} (loss {value}); try a smaller learning rate",
                    step + 1
                )));
            }
            total += value * idx.len() as f64;
            seen += idx.len();
            let grads = GradientsParams::from_grads(grads, &model.module);
            // moved through the optimizer (no clone: the engine updates unshared tensors in
            // place); host copies of the old weights are dropped
            model.module = optim.step(lr, model.module, grads);
            model.host_decoder = Default::default();
            on_progress(&Progress::Step {
                epoch,
                step: step + 1,
                steps,
                loss: value,
            });
            if stop.load(Ordering::Relaxed) && seen < n {
                partial = true;
                break;
            }
        }
        let val_loss = match val_set {
            Some(v) if !v.is_empty() => {
                let inference = model.valid();
                Some(
                    opts.loss
                        .host(&inference.reconstruct_host(&v.values, 1024), &v.values),
                )
            }
            _ => None,
        };
        let report = EpochReport {
            epoch,
            train_loss: total / seen as f64,
            val_loss,
            seconds: start.elapsed().as_secs_f64(),
            partial,
        };
        on_progress(&Progress::Epoch(report.clone()));
        reports.push(report);
        if stop.load(Ordering::Relaxed) {
            break;
        }
    }
    Ok((model.valid(), reports))
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
    use crate::{
        architecture::{Architecture, parse_convs},
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
        };
        let conv = Architecture::Conv {
            input: [1, 8, 8],
            convs: parse_convs("4:3:2:1").unwrap(),
            latent: 2,
            activation: Activation::Relu,
            output: Activation::Sigmoid,
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
    fn bad_settings_are_errors() {
        let arch = Architecture::Dense {
            layers: vec![64, 2],
            activation: Activation::Relu,
            output: Activation::Sigmoid,
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

    #[test]
    fn evaluation_of_a_perfect_and_a_poor_model() {
        let arch = Architecture::Dense {
            layers: vec![64, 2],
            activation: Activation::Relu,
            output: Activation::Sigmoid,
        };
        let m = Autoencoder::from_tensors(
            &arch,
            &initial_tensors(&arch, 1).unwrap(),
            &crate::tensor::inference_device(),
        )
        .unwrap();
        let e = evaluate(&m, &blobs(), 16).unwrap();
        assert_eq!(e.samples, 64);
        assert!(e.mse > 0.01 && e.psnr < 20.0);
        assert!(e.ssim.is_none(), "8×8 is too small for SSIM");
    }
}
