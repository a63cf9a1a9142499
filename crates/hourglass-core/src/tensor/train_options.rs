//! What a training run is given and what it reports: the loss (MSE or BCE), the optimizer
//! (Adam or momentum SGD, PyTorch's defaults), a run's options, and its per-step and
//! per-epoch reports.

use burn::optim::{ModuleOptimizer, SgdConfig, momentum::MomentumConfig};
use serde::{Deserialize, Serialize};

use crate::{Error, metrics, variant::Variant};

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

    pub(super) fn validate(&self) -> Result<(), Error> {
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

    pub(super) fn build(&self) -> ModuleOptimizer {
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
