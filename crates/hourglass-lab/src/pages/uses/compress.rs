//! Compression: a ladder of code sizes trained one after another; each, PCA at the same size
//! (float32 and 8-bit codes) and JPEG, measured as distortion against bits per image.

use std::sync::Arc;

use hourglass_core::{
    data::jpeg_scan,
    latent::Quantiser,
    metrics::Pca,
    project,
    tensor::{Autoencoder, LossKind},
};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::{MEASURED, UsesJob, distortion, train::HIDDEN, train::RunSpec};
use crate::{
    Frame, WireError,
    fields::{PIXELS, whole},
};

/// Code sizes of the compression ladder.
pub const LADDER: [usize; 6] = [2, 4, 8, 16, 32, 64];

/// How one rung of the ladder is compressed, as a `compress_images` query names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CompressMethod {
    /// The autoencoder's code as float32.
    Ae,
    /// The autoencoder's code quantised to 8 bits a number.
    Ae8,
    /// PCA with as many components as the code has numbers.
    Pca,
    /// PCA's components quantised to 8 bits.
    Pca8,
    /// JPEG at a quality.
    Jpeg,
}
/// JPEG qualities on the compression plot.
pub(super) const JPEG_QUALITIES: [u8; 8] = [1, 5, 10, 20, 35, 50, 75, 95];
/// Most training images PCA fits and 8-bit ranges are taken from.
const PCA_FIT_LIMIT: usize = 5_000;

pub(super) fn specs() -> Vec<RunSpec> {
    LADDER
        .iter()
        .map(|&k| RunSpec::plain(format!("784-{HIDDEN}-{k}"), k, LossKind::Mse))
        .collect()
}

/// One point of the plot.
#[derive(Debug, Clone, Serialize)]
pub(super) struct CompressPoint {
    method: &'static str,
    /// Code size (or JPEG quality).
    size: usize,
    /// Mean bits per image.
    bits: f64,
    mse: f64,
    psnr: f64,
    ssim: f64,
}

impl CompressPoint {
    fn new(method: &'static str, size: usize, bits: f64, out: &[f32], clean: &[f32]) -> Self {
        let (mse, psnr, ssim) = distortion(out, clean);
        CompressPoint {
            method,
            size,
            bits,
            mse,
            psnr,
            ssim,
        }
    }
}

pub(super) struct CompressResult {
    pub points: Vec<CompressPoint>,
    /// Each code size's model and PCA, with the 8-bit ranges of their codes.
    models: Vec<(usize, Autoencoder, Quantiser)>,
    pcas: Vec<(usize, Pca, Quantiser)>,
    /// Said when even the widest code is no better than the average image (undertrained).
    pub warning: Option<String>,
}

/// An image through JPEG at `quality`, and the bytes it took.
fn jpeg_round_trip(img: &[f32], quality: u8) -> Result<(Vec<f32>, usize), WireError> {
    Ok(jpeg_scan(img, 28, 28, quality)?)
}

impl UsesJob {
    pub(super) fn measure_compression(
        &mut self,
        models: Vec<Autoencoder>,
    ) -> Result<(), WireError> {
        let train = self.train_set()?.take(PCA_FIT_LIMIT);
        let test = self.test_set()?.take(MEASURED);
        let mut points = Vec::new();
        let mut pcas = Vec::new();
        // PCA's first k components are the first k of the widest fit
        let widest = project::fit_pca(
            &train.values,
            PIXELS,
            LADDER[LADDER.len() - 1],
            self.settings.seed,
        )?;
        let mut kept = Vec::new();
        for (&k, model) in LADDER.iter().zip(models) {
            let eight = Quantiser::new(&model.encode_host(&train.values, 512), k);
            let codes = model.encode_host(&test.values, 512);
            for (method, c, bits) in [
                ("ae", codes.clone(), 32 * k),
                ("ae8", eight.apply(&codes), 8 * k),
            ] {
                let out = model.decode_host(&c, 512);
                points.push(CompressPoint::new(
                    method,
                    k,
                    bits as f64,
                    &out,
                    &test.values,
                ));
            }
            kept.push((k, model, eight));
            let pca = widest.first(k);
            let eight = Quantiser::new(&project::project_rows(&pca, &train.values, PIXELS), k);
            let z = project::project_rows(&pca, &test.values, PIXELS);
            for (method, z, bits) in [("pca", z.clone(), 32 * k), ("pca8", eight.apply(&z), 8 * k)]
            {
                let out = pca.decode_rows(&z);
                points.push(CompressPoint::new(
                    method,
                    k,
                    bits as f64,
                    &out,
                    &test.values,
                ));
            }
            pcas.push((k, pca, eight));
        }
        for q in JPEG_QUALITIES {
            let mut out = Vec::with_capacity(test.values.len());
            let mut bytes = 0usize;
            for img in test.values.chunks(PIXELS) {
                let (d, b) = jpeg_round_trip(img, q)?;
                out.extend(d);
                bytes += b;
            }
            let bits = 8.0 * bytes as f64 / test.len() as f64;
            points.push(CompressPoint::new(
                "jpeg",
                q as usize,
                bits,
                &out,
                &test.values,
            ));
        }
        let widest = points
            .iter()
            .find(|p| p.method == "ae" && p.size == LADDER[LADDER.len() - 1])
            .map(|p| (p.mse, p.psnr));
        let warning = match widest {
            Some(w) => self.no_better_than_average(
                &format!(
                    "Even the {}-number code's autoencoder",
                    LADDER[LADDER.len() - 1]
                ),
                w,
                &test,
            )?,
            None => None,
        };
        self.compress = Some(CompressResult {
            points,
            models: kept,
            pcas,
            warning,
        });
        self.done_message = Some(format!(
            "Measured {} code sizes, PCA and JPEG on {MEASURED} test images.",
            LADDER.len()
        ));
        Ok(())
    }

    /// Eight test images through one method at one size.
    pub(super) fn compress_images(
        &mut self,
        method: Option<CompressMethod>,
        size: Option<usize>,
    ) -> Result<Frame, WireError> {
        let method = method.unwrap_or(CompressMethod::Ae);
        let size = whole("size", size, (1, 100), 2)?;
        let test = self.test_set()?.take(8);
        let r = self
            .compress
            .as_ref()
            .ok_or_else(|| WireError::invalid("run the compression ladder first"))?;
        let model = || {
            r.models
                .iter()
                .find(|(k, ..)| *k == size)
                .ok_or_else(|| WireError::invalid(format!("no model with a {size}-value code")))
        };
        let pca = || {
            r.pcas
                .iter()
                .find(|(k, ..)| *k == size)
                .ok_or_else(|| WireError::invalid(format!("no PCA with {size} components")))
        };
        let out: Vec<f32> = match method {
            CompressMethod::Ae => model()?.1.reconstruct_host(&test.values, 8),
            CompressMethod::Ae8 => {
                let (_, m, eight) = model()?;
                m.decode_host(&eight.apply(&m.encode_host(&test.values, 8)), 8)
            }
            CompressMethod::Pca => pca()?.1.reconstruct_rows(&test.values),
            CompressMethod::Pca8 => {
                let (_, p, eight) = pca()?;
                p.decode_rows(&eight.apply(&project::project_rows(p, &test.values, PIXELS)))
            }
            CompressMethod::Jpeg => {
                let q = u8::try_from(size).map_err(|e| WireError::invalid(e.to_string()))?;
                let mut out = Vec::new();
                for img in test.values.chunks(PIXELS) {
                    out.extend(jpeg_round_trip(img, q)?.0);
                }
                out
            }
        };
        let out: Vec<f32> = out.iter().map(|v| v.clamp(0.0, 1.0)).collect();
        Ok(Frame::new(json!({"method": method, "size": size}))
            .with("original", Arc::new(test.values.clone()))
            .with("reconstruction", Arc::new(out)))
    }
}
