//! Scoring a model on a dataset: MSE, BCE, PSNR and SSIM of its reconstructions (each
//! image's figures on every core, summed in order), an epoch's figures as the Trainer reports
//! them, and a denoising model on corrupted inputs.

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::{Autoencoder, LossKind};
use crate::{Error, data::Dataset, metrics};

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
    check_data(model, data)?;
    compare(&model.reconstruct_host(&data.values, batch), data)
}

/// Checks that `data` is non-empty and fits `model`.
fn check_data(model: &Autoencoder, data: &Dataset) -> Result<(), Error> {
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
    Ok(())
}

/// Mean MSE, BCE, PSNR and SSIM of `outputs` (one row per sample of `data`) against
/// `data`'s samples.
pub fn compare(outputs: &[f32], data: &Dataset) -> Result<Evaluation, Error> {
    compare_with(outputs, data, true)
}

/// What a page shows of the validation set at an epoch's end.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EpochFigures {
    /// The mean of the training loss (MSE or BCE) over the set.
    pub loss: f64,
    /// As [`Evaluation::psnr`].
    pub psnr: f64,
    pub ssim: Option<f64>,
}

/// The model's loss (`loss`), PSNR and SSIM on `data`: [`evaluate`]'s figures, without the
/// cross-entropy when the loss is MSE (its logarithms are about half of the metrics' time).
pub fn epoch_figures(
    model: &Autoencoder,
    data: &Dataset,
    loss: LossKind,
) -> Result<EpochFigures, Error> {
    check_data(model, data)?;
    let outputs = model.reconstruct_host(&data.values, 1024);
    let e = compare_with(&outputs, data, loss == LossKind::Bce)?;
    Ok(EpochFigures {
        loss: match loss {
            LossKind::Mse => e.mse,
            LossKind::Bce => e.bce,
        },
        psnr: e.psnr,
        ssim: e.ssim,
    })
}

/// [`compare`], with the cross-entropy left out (NaN) unless `with_bce`.
fn compare_with(outputs: &[f32], data: &Dataset, with_bce: bool) -> Result<Evaluation, Error> {
    if outputs.len() != data.values.len() || data.is_empty() {
        return Err(Error::invalid(format!(
            "{} values to compare with {}'s {}",
            outputs.len(),
            data.name,
            data.values.len()
        )));
    }
    let rec = outputs;
    let f = data.features;
    let n = data.len();
    let shape = data.image_dims().filter(|[_, h, w]| *h >= 11 && *w >= 11);
    // each image's metrics on every core, summed in order afterwards: the same figures
    // whatever the number of threads
    let per_image: Vec<(f64, f64, f64, f64)> = (0..n)
        .into_par_iter()
        .map(|i| {
            let (x, y) = (data.sample(i), &rec[i * f..(i + 1) * f]);
            let s = match shape {
                // colour: the mean of the channels' SSIMs, as scikit-image's channel_axis
                Some([c, h, w]) => metrics::ssim_channels(x, y, c, h, w)?,
                None => 0.0,
            };
            Ok((
                metrics::mse(y, x),
                if with_bce {
                    metrics::bce(y, x)
                } else {
                    f64::NAN
                },
                metrics::psnr(y, x),
                s,
            ))
        })
        .collect::<Result<_, Error>>()?;
    let (mut mse, mut bce, mut psnr, mut ssim) = (0.0, 0.0, 0.0, 0.0);
    let mut finite_psnr = 0usize;
    for &(m, b, p, s) in &per_image {
        mse += m;
        bce += b;
        if p.is_finite() {
            psnr += p;
            finite_psnr += 1;
        }
        ssim += s;
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

/// A denoising evaluation: the corrupted inputs and the model's reconstructions of them, each
/// against the clean images.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DenoisingEvaluation {
    pub noise: String,
    pub noisy: Evaluation,
    pub denoised: Evaluation,
}

/// Corrupts `data` with `noise` (drawn from `seed`), reconstructs the corrupted images and
/// compares both with the clean ones.
pub fn evaluate_denoising(
    model: &Autoencoder,
    data: &Dataset,
    noise: crate::variant::Noise,
    seed: u64,
    batch: usize,
) -> Result<DenoisingEvaluation, Error> {
    check_data(model, data)?;
    let noisy = noise.corrupted(&data.values, seed);
    let denoised = model.reconstruct_host(&noisy, batch);
    Ok(DenoisingEvaluation {
        noise: noise.to_string(),
        noisy: compare(&noisy, data)?,
        denoised: compare(&denoised, data)?,
    })
}
