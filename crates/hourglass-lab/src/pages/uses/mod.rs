//! The Uses page's job: what autoencoders are for, as experiments a learner runs and
//! measures. Five of them, one at a time (the `experiment` setting says which one Train runs),
//! one file each:
//!
//! - [`anomaly`]: train on every class but one (`held_out`), score every test image by its
//!   reconstruction error; the ROC curve and its exact AUC beside PCA's (the same number of
//!   components as the code) as the baseline, scored as `hourglass anomaly --pca` scores.
//! - [`denoise`]: a plain and a denoising autoencoder (same layers, the chosen noise) trained
//!   side by side; queries show noisy → denoised → clean with PSNR and SSIM.
//! - [`compress`]: a ladder of code sizes (2 … 64) trained one after another; each, PCA at
//!   the same size (float32 codes and 8-bit codes) and JPEG, as distortion against bits.
//! - [`generate`]: a VAE and a plain autoencoder with 2-D codes; the page samples both from
//!   the prior N(0, I), tiles their decoders over the plane and interpolates.
//! - [`maps`]: PCA, t-SNE or UMAP (`hourglass_core::project`) of up to 70,000 images' pixels
//!   or a shipped model's 30-D codes, made a step at a time and streamed as it forms;
//!   trustworthiness; neighbours.
//!
//! The experiments' models train in [`train`], one mini-batch a step (the server runs this
//! page on its heavy-work budget); a map advances a piece of work a step. Nothing runs while
//! the page is paused.

use std::{sync::Arc, time::Duration};

use hourglass_core::{
    data::{Dataset, Split},
    metrics::{mse, psnr, ssim},
    settings::Choice,
};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::{
    Change, Context, DatasetsSeen, FetchState, Frame, PageJob, Presence, Progress, RunState,
    WireError, datasets_json, fields::PIXELS,
};

mod anomaly;
mod compress;
mod denoise;
mod generate;
mod maps;
mod settings;
mod snapshot;
mod train;

pub use settings::{Experiment, Source, UsesSettings};

pub use compress::CompressMethod;
/// Code sizes of the compression ladder.
pub use compress::LADDER;
use compress::{CompressResult, JPEG_QUALITIES};
use maps::{MapResult, TRUST_K, TSNE_ITERATIONS};
use train::Queue;

/// Test images the compression and denoising figures are measured on.
const MEASURED: usize = 1_000;

/// The Uses page's own messages: `{"type": "fetch", "dataset": "mnist"}` downloads a dataset.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum UsesCommand {
    Fetch { dataset: String },
}

pub struct UsesJob {
    ctx: Arc<Context>,
    settings: UsesSettings,
    datasets: DatasetsSeen,
    /// (dataset, train size) → the training images; the test split.
    train: Option<(String, Dataset)>,
    test: Option<(String, Arc<Dataset>)>,
    queue: Option<Queue>,
    anomaly: Option<anomaly::AnomalyResult>,
    denoise: Option<denoise::DenoiseModels>,
    compress: Option<CompressResult>,
    generate: Option<generate::GenerateModels>,
    map: Option<MapResult>,
    /// Bumped when a result changes, so the page knows to ask again.
    version: u64,
    done_message: Option<String>,
}

impl UsesJob {
    fn load(&self, split: Split) -> Result<Arc<Dataset>, WireError> {
        Ok(self.ctx.datasets.load(&self.settings.dataset, split)?)
    }

    /// The test split of the dataset in use (read once, shared).
    fn test_set(&mut self) -> Result<Arc<Dataset>, WireError> {
        let name = &self.settings.dataset;
        match &self.test {
            Some((d, t)) if d == name => Ok(t.clone()),
            _ => {
                let t = self.load(Split::Test)?;
                self.test = Some((name.clone(), t.clone()));
                Ok(t)
            }
        }
    }

    /// The first `train_size` training images of the dataset in use.
    fn train_set(&mut self) -> Result<&Dataset, WireError> {
        let key = format!("{}/{}", self.settings.dataset, self.settings.train_size);
        if self.train.as_ref().is_none_or(|(k, _)| *k != key) {
            let t = self
                .load(Split::Train)?
                .take(self.settings.train_size as usize);
            self.train = Some((key.clone(), t));
        }
        self.train
            .as_ref()
            .map(|(_, t)| t)
            .ok_or_else(|| WireError::invalid("no training images"))
    }
}

/// Mean MSE, PSNR and SSIM of reconstructions against the originals, image by image (outputs
/// clamped to 0..1; an exact copy's infinite PSNR counts as 100 dB in the mean).
/// A model is "no better than the average image" when its error is above this share of the
/// average image's (1.5 dB of PSNR or less better).
const TRIVIAL_SHARE: f64 = 0.7;

impl UsesJob {
    /// The trivial baseline: the mean of the training images given for every one of `test`;
    /// its mean squared error and PSNR.
    fn mean_image_baseline(&mut self, test: &Dataset) -> Result<(f64, f64), WireError> {
        let train = self.train_set()?;
        let n = train.len().max(1) as f32;
        let mut mean = vec![0f32; PIXELS];
        for img in train.values.chunks(PIXELS) {
            for (m, v) in mean.iter_mut().zip(img) {
                *m += v / n;
            }
        }
        let out: Vec<f32> = (0..test.len()).flat_map(|_| mean.iter().copied()).collect();
        let (m, p, _) = distortion(&out, &test.values);
        Ok((m, p))
    }

    /// When a model (`what`, its error `mse` and PSNR `psnr` on `test`) is no better than the
    /// average image, the sentence that says so and what to change.
    fn no_better_than_average(
        &mut self,
        what: &str,
        (mse, psnr): (f64, f64),
        test: &Dataset,
    ) -> Result<Option<String>, WireError> {
        let (base, base_psnr) = self.mean_image_baseline(test)?;
        let s = &self.settings;
        Ok((mse >= TRIVIAL_SHARE * base).then(|| {
            format!(
                "{what} is no better than the average image: PSNR {psnr:.1} dB, against \
                 {base_psnr:.1} dB for the average training image given for every test image. \
                 It has not learned yet ({} on {} training images), so these figures do \
                 not show what it can do: raise Epochs (5 or more) or the training images \
                 (20,000), and run it again.",
                if s.epochs == 1 {
                    "1 epoch".to_string()
                } else {
                    format!("{} epochs", s.epochs)
                },
                s.train_size
            )
        }))
    }
}

fn distortion(outputs: &[f32], originals: &[f32]) -> (f64, f64, f64) {
    let n = (originals.len() / PIXELS).max(1) as f64;
    let (mut m, mut p, mut s) = (0.0, 0.0, 0.0);
    for (a, b) in outputs.chunks(PIXELS).zip(originals.chunks(PIXELS)) {
        let a: Vec<f32> = a.iter().map(|v| v.clamp(0.0, 1.0)).collect();
        m += mse(&a, b);
        let q = psnr(&a, b);
        p += if q.is_finite() { q } else { 100.0 };
        s += ssim(&a, b, 28, 28).unwrap_or(0.0);
    }
    (m / n, p / n, s / n)
}

impl PageJob for UsesJob {
    type Settings = UsesSettings;
    type Command = UsesCommand;
    type Query = UsesQuery;
    const NAME: &'static str = "uses";
    const TITLE: &'static str = "Uses";
    const DEFAULT_SPEED: f64 = 0.0;
    const HEAVY: bool = true;
    const PUBLISH_EVERY: Duration = Duration::from_millis(150);

    fn info(ctx: &Context) -> Value {
        let experiments: Vec<&str> = Experiment::ALL.iter().map(|e| e.name()).collect();
        json!({
            "datasets": datasets_json(&ctx.datasets.present()),
            "experiments": experiments, "ladder": LADDER, "jpeg_qualities": JPEG_QUALITIES,
            "measured": MEASURED, "trust_k": TRUST_K, "tsne_iterations": TSNE_ITERATIONS,
        })
    }

    fn start(ctx: Arc<Context>) -> Result<Self, WireError> {
        Ok(UsesJob {
            datasets: DatasetsSeen::new(ctx.datasets.as_ref()),
            ctx,
            settings: UsesSettings::default(),
            train: None,
            test: None,
            queue: None,
            anomaly: None,
            denoise: None,
            compress: None,
            generate: None,
            map: None,
            version: 0,
            done_message: None,
        })
    }

    fn settings(&self) -> UsesSettings {
        self.settings.clone()
    }

    fn configure(&mut self, next: UsesSettings) -> Result<Change, WireError> {
        let (queue_before, map_before) =
            (train::queue_key(&self.settings), maps::key(&self.settings));
        let before = std::mem::replace(&mut self.settings, next);
        if self.settings.dataset != before.dataset {
            // results of another dataset no longer match the page's images
            self.anomaly = None;
            self.denoise = None;
            self.compress = None;
            self.generate = None;
            self.version += 1;
        }
        if maps::key(&self.settings) != map_before {
            self.map = None;
            self.version += 1;
        }
        let training_changed = train::queue_key(&self.settings) != queue_before;
        if training_changed {
            self.queue = None;
        }
        Ok(
            if training_changed || self.settings.experiment != before.experiment {
                Change::Restarted
            } else {
                Change::Kept
            },
        )
    }

    fn command(&mut self, cmd: UsesCommand) -> Result<Change, WireError> {
        match cmd {
            UsesCommand::Fetch { dataset } => {
                self.ctx.datasets.fetch(&dataset)?;
                Ok(Change::Kept)
            }
        }
    }

    fn poll(&mut self) -> bool {
        self.datasets.poll(self.ctx.datasets.as_ref())
    }

    fn reset(&mut self) -> Result<(), WireError> {
        self.queue = None;
        if self.settings.experiment == Experiment::Project {
            self.map = None;
        }
        Ok(())
    }

    fn step(&mut self) -> Result<Option<Progress>, WireError> {
        if self.settings.experiment == Experiment::Project {
            return self.map_step();
        }
        if !self.datasets.is_present(&self.settings.dataset) {
            return Err(WireError::new(
                "not_found",
                format!(
                    "training needs the {} dataset on this machine: download it (above) or start the server with --data-dir",
                    self.settings.dataset
                ),
            ));
        }
        self.train_step()
    }

    fn origin(&self) -> Option<Progress> {
        None
    }

    fn finished(&mut self) -> Option<String> {
        self.done_message.take()
    }

    fn frame(&mut self, _run: &RunState) -> Frame {
        self.snapshot()
    }

    fn query(&mut self, query: UsesQuery) -> Result<Frame, WireError> {
        use UsesQuery as Q;
        match query {
            Q::Anomaly {} => self.anomaly_query(),
            Q::Score { pixels } => self.score_query(pixels),
            Q::Denoise { count, seed } => self.denoise_query(count, seed),
            Q::CompressImages { method, size } => self.compress_images(method, size),
            Q::Samples { count, seed } => self.samples(count, seed),
            Q::Manifold { n } => self.manifold(n),
            Q::Interpolate { a, b, steps } => self.interpolate(a, b, steps),
            Q::MapImage { index } => self.map_image(index),
            Q::Neighbours { index, k } => self.neighbours(index, k),
        }
    }
}

/// What the Uses page answers, `{"type": "query", "id": n, "query": name, …fields}`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "query", rename_all = "snake_case", deny_unknown_fields)]
pub enum UsesQuery {
    /// The anomaly run's test images: the most and least anomalous, and their scores.
    Anomaly {},
    /// A drawn image's anomaly score beside PCA's.
    Score { pixels: Vec<f32> },
    /// `count` test images: clean, noisy (noise from `seed`), and each model's output.
    Denoise {
        count: Option<usize>,
        seed: Option<u64>,
    },
    /// Eight test images through one rung of the ladder (`size`: the code size or, for
    /// JPEG, the quality).
    CompressImages {
        method: Option<CompressMethod>,
        size: Option<usize>,
    },
    /// `count` codes from the prior through both generators.
    Samples {
        count: Option<usize>,
        seed: Option<u64>,
    },
    /// Both decoders tiled over the prior's n × n quantiles.
    Manifold { n: Option<usize> },
    /// Test images `a` and `b` and the path between their codes.
    Interpolate {
        a: Option<usize>,
        b: Option<usize>,
        steps: Option<usize>,
    },
    /// The pixels of the map's point `index`.
    MapImage { index: Option<usize> },
    /// The map's point `index`'s `k` nearest neighbours.
    Neighbours {
        index: Option<usize>,
        k: Option<usize>,
    },
}

#[cfg(test)]
mod tests;
