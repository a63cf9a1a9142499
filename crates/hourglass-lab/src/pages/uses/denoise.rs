//! Denoising: a plain and a denoising autoencoder (same layers) trained side by side on the
//! chosen noise; the page compares them on noisy test images with PSNR and SSIM.

use std::sync::Arc;

use hourglass_core::{
    tensor::{Autoencoder, LossKind},
    variant::Variant,
};
use serde_json::json;

use super::{
    MEASURED, UsesJob, UsesSettings,
    anomaly::CODE,
    distortion,
    train::{HIDDEN, RunSpec, dense},
};
use crate::{
    Frame, WireError,
    fields::{self, PIXELS, whole},
};

pub(super) fn specs(s: &UsesSettings) -> Result<Vec<RunSpec>, WireError> {
    let noise = s.noise()?;
    Ok(vec![
        RunSpec::plain(format!("plain 784-{HIDDEN}-{CODE}"), CODE, LossKind::Mse),
        RunSpec {
            name: format!("denoising 784-{HIDDEN}-{CODE} ({noise})"),
            arch: dense(CODE, hourglass_core::architecture::Code::Linear),
            variant: Variant::Denoising { noise },
            loss: LossKind::Mse,
        },
    ])
}

pub(super) struct DenoiseModels {
    /// The noise they were trained on.
    pub noise: String,
    plain: Autoencoder,
    denoising: Autoencoder,
    /// Said when the denoiser is no better than the average image (undertrained).
    pub warning: Option<String>,
}

impl UsesJob {
    pub(super) fn keep_denoisers(&mut self, models: Vec<Autoencoder>) -> Result<(), WireError> {
        let [plain, denoising]: [Autoencoder; 2] = models
            .try_into()
            .map_err(|_| WireError::invalid("the denoising experiment trains two models"))?;
        // the denoiser on the measured test images under its noise (seed 1, as the page's first
        // look): is it better than the average image?
        let test = self.test_set()?.take(MEASURED);
        let noisy = self.settings.noise()?.corrupted(&test.values, 1);
        let (mse, psnr, _) = distortion(&denoising.reconstruct_host(&noisy, 512), &test.values);
        let warning = self.no_better_than_average("The denoiser", (mse, psnr), &test)?;
        self.denoise = Some(DenoiseModels {
            noise: self.settings.noise()?.to_string(),
            plain,
            denoising,
            warning,
        });
        self.done_message =
            Some("Both models are trained: compare them on the noise below.".into());
        Ok(())
    }

    /// Test images under the chosen noise, through both models, with their figures.
    pub(super) fn denoise_query(
        &mut self,
        count: Option<usize>,
        seed: Option<u64>,
    ) -> Result<Frame, WireError> {
        let count = whole("count", count, (1, 32), 8)?;
        let seed = fields::seed(seed)?;
        let noise = self.settings.noise()?;
        let test = self.test_set()?.take(MEASURED);
        let m = self
            .denoise
            .as_ref()
            .ok_or_else(|| WireError::invalid("train the two denoising models first"))?;
        let noisy = noise.corrupted(&test.values, seed);
        let plain = m.plain.reconstruct_host(&noisy, 512);
        let denoised = m.denoising.reconstruct_host(&noisy, 512);
        let figures = |out: &[f32]| {
            let (mse, psnr, ssim) = distortion(out, &test.values);
            json!({"mse": mse, "psnr": psnr, "ssim": ssim})
        };
        let head = |v: &[f32]| Arc::new(v[..(count * PIXELS).min(v.len())].to_vec());
        Ok(Frame::new(json!({
            "noise": noise.to_string(), "trained_on": m.noise, "count": count, "measured": test.len(),
            "noisy": figures(&noisy), "plain": figures(&plain), "denoised": figures(&denoised),
        }))
        .with("noisy", head(&noisy))
        .with("plain", head(&plain))
        .with("denoised", head(&denoised))
        .with("clean", head(&test.values)))
    }
}
