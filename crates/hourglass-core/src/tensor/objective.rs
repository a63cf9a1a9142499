//! What training minimises, as a pluggable piece: an [`Objective`] turns a batch into a loss
//! tensor (and the values of its named terms, for charts). The plain autoencoder's objective
//! is the reconstruction loss ([`Reconstruction`]); variants (denoising, VAE, sparse,
//! contractive) add terms or corrupt the input without touching the training loop.

use burn::tensor::{Tensor, activation};

use super::{Autoencoder, LossKind};
use crate::{architecture::Architecture, glass::Activation};

/// One batch's loss: the scalar to minimise, and the named terms it is made of (empty when
/// the loss is a single term).
pub struct BatchLoss {
    pub total: Tensor<1>,
    pub terms: Vec<(&'static str, Tensor<1>)>,
}

/// The quantity a [`super::Trainer`] minimises.
pub trait Objective: Send {
    /// A short name for reports (`reconstruction`, …).
    fn name(&self) -> &'static str;
    /// The loss of `model` on the batch `x` (one sample per row).
    fn loss(&mut self, model: &Autoencoder, x: Tensor<2>) -> BatchLoss;
}

/// The plain autoencoder's objective: reconstruction loss, a mean over every value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reconstruction(pub LossKind);

impl Objective for Reconstruction {
    fn name(&self) -> &'static str {
        "reconstruction"
    }

    fn loss(&mut self, model: &Autoencoder, x: Tensor<2>) -> BatchLoss {
        BatchLoss {
            total: reconstruction_loss(model, x.clone(), x, self.0),
            terms: Vec::new(),
        }
    }
}

/// The reconstruction loss of `model` on input `x` against `target`.
pub fn reconstruction_loss(
    model: &Autoencoder,
    x: Tensor<2>,
    target: Tensor<2>,
    loss: LossKind,
) -> Tensor<1> {
    let logits = model.decode_logits(model.encode(x));
    let sigmoid_out = matches!(
        model.arch,
        Architecture::Dense {
            output: Activation::Sigmoid,
            ..
        } | Architecture::Conv {
            output: Activation::Sigmoid,
            ..
        }
    );
    match loss {
        LossKind::Mse => (model.output_activation(logits) - target)
            .powi_scalar(2)
            .mean(),
        // BCE from logits when the output is a sigmoid: −[t·log σ(z) + (1 − t)·log σ(−z)],
        // exact and free of log(0).
        LossKind::Bce if sigmoid_out => {
            let pos = activation::log_sigmoid(logits.clone());
            let neg = activation::log_sigmoid(logits.neg());
            (target.clone() * pos + (target.neg() + 1.0) * neg)
                .mean()
                .neg()
        }
        LossKind::Bce => {
            let y = model.output_activation(logits).clamp(1e-7, 1.0 - 1e-7);
            (target.clone() * y.clone().log() + (target.neg() + 1.0) * (y.neg() + 1.0).log())
                .mean()
                .neg()
        }
    }
}
