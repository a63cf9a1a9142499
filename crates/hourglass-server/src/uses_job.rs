//! The Uses page's job: what autoencoders are for, as experiments a learner runs and measures.
//! Five of them, one at a time (the `experiment` setting says which one Train runs):
//!
//! - `anomaly`: train on every class but one (`held_out`), score every test image by its
//!   reconstruction error; the ROC curve and its exact AUC beside PCA's (the same number of
//!   components as the code) as the baseline.
//! - `denoise`: a plain and a denoising autoencoder (same layers, the chosen noise) trained
//!   side by side; queries show noisy → denoised → clean with PSNR and SSIM.
//! - `compress`: a ladder of code sizes (2 … 64) trained one after another; each, PCA at the
//!   same size (float32 codes and 8-bit codes) and JPEG, as distortion against bits per image.
//! - `generate`: a VAE and a plain autoencoder with 2-D codes; the page samples both from the
//!   prior N(0, I), tiles their decoders over the plane and interpolates.
//! - `project`: PCA or t-SNE (`hourglass_core::project`) of up to 70,000 images' pixels or a
//!   shipped model's 30-D codes, streamed as it forms; trustworthiness; neighbours.
//!
//! Training runs on the heavy-work budget, one mini-batch per step. t-SNE runs on a thread of
//! its own that goes on only while the page's steps come (a paused page pauses it) and stops
//! when its map is no longer wanted.

use std::{
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, AtomicU64, Ordering},
    },
    thread,
    time::{Duration, Instant},
};

use hourglass_core::{
    architecture::{Architecture, Code},
    checkpoint::Checkpoint,
    data::{Dataset, Split, jpeg_scan},
    glass::Activation,
    latent,
    metrics::{Pca, RocPoint, anomaly, auc, mse, psnr, roc, ssim},
    project::{self, Flow, Method, TsneOptions, UmapOptions},
    settings::{Field, Settings},
    tensor::{
        Autoencoder, LossKind, Optimizer, TrainOptions, Trainer, inference_device, initial_tensors,
        objective_for, training_device,
    },
    variant::{Noise, Variant},
};
use hourglass_lab::{DatasetsSeen, shipped};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::runtime::{
    Change, Context, Frame, PageJob, Progress, RunState, WireError, datasets_json,
    fields::{PIXELS, pixels, whole},
};

/// The experiments, in the page's order.
pub const EXPERIMENTS: [&str; 5] = ["anomaly", "denoise", "compress", "generate", "project"];
/// Code sizes of the compression ladder.
pub const LADDER: [usize; 6] = [2, 4, 8, 16, 32, 64];
/// JPEG qualities on the compression plot.
const JPEG_QUALITIES: [u8; 8] = [1, 5, 10, 20, 35, 50, 75, 95];
/// Test images the compression and denoising figures are measured on.
const MEASURED: usize = 1_000;
/// Most and least anomalous images shown.
const EXTREMES: usize = 16;
/// Hidden layer of every model here.
const HIDDEN: usize = 256;
/// Code size of the anomaly and denoising models.
const CODE: usize = 32;
/// Neighbours counted by the maps' trustworthiness, and points it is estimated from.
const TRUST_K: usize = 10;
const TRUST_SAMPLE: usize = 2_000;
/// t-SNE iterations.
const TSNE_ITERATIONS: usize = 750;

/// The Uses page's settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UsesSettings {
    pub dataset: String,
    /// Which experiment Train runs.
    pub experiment: String,
    /// The class left out of training (anomaly).
    pub held_out: u64,
    /// gaussian, mask or salt-pepper (denoise).
    pub noise: String,
    pub noise_level: f64,
    /// pca, tsne or umap (project).
    pub method: String,
    /// pixels or codes (a shipped model's 30-D codes).
    pub source: String,
    /// Images mapped: the first of the test split, then of the training split.
    pub points: u64,
    pub perplexity: f64,
    /// UMAP's neighbourhood size (the point itself counted).
    pub neighbours: u64,
    /// UMAP's minimum distance between points in the map.
    pub min_dist: f64,
    /// Epochs each model of an experiment trains.
    pub epochs: u64,
    /// Training images (the first of the train split).
    pub train_size: u64,
    pub seed: u64,
}

impl Default for UsesSettings {
    fn default() -> Self {
        UsesSettings {
            dataset: "mnist".into(),
            experiment: "anomaly".into(),
            held_out: 7,
            noise: "gaussian".into(),
            noise_level: 0.5,
            method: "tsne".into(),
            source: "codes".into(),
            points: 2_000,
            perplexity: 30.0,
            neighbours: 15,
            min_dist: 0.1,
            epochs: 5,
            train_size: 20_000,
            seed: 1,
        }
    }
}

impl Settings for UsesSettings {
    fn schema() -> Vec<Field> {
        vec![
            Field::choice(
                "dataset",
                "dataset",
                &[
                    ("mnist", "MNIST digits"),
                    ("fashion-mnist", "Fashion-MNIST"),
                ],
            ),
            Field::choice(
                "experiment",
                "experiment",
                &[
                    ("anomaly", "anomaly detection"),
                    ("denoise", "denoising"),
                    ("compress", "compression"),
                    ("generate", "generation"),
                    ("project", "maps of codes"),
                ],
            ),
            Field::whole("held_out", "class left out", (0, 9)),
            Field::choice(
                "noise",
                "noise",
                &[
                    ("gaussian", "Gaussian"),
                    ("mask", "masking"),
                    ("salt-pepper", "salt and pepper"),
                ],
            ),
            Field::number("noise_level", "noise level", (0.05, 1.0))
                .offering(&[0.1, 0.3, 0.5, 0.7]),
            Field::choice(
                "method",
                "map",
                &[("pca", "PCA"), ("tsne", "t-SNE"), ("umap", "UMAP")],
            ),
            Field::choice(
                "source",
                "map of",
                &[("codes", "a 30-D model's codes"), ("pixels", "the pixels")],
            ),
            Field::whole("points", "images mapped", (500, 70_000))
                .offering(&[2_000.0, 10_000.0, 70_000.0]),
            Field::number("perplexity", "perplexity", (5.0, 100.0)).offering(&[10.0, 30.0, 50.0]),
            Field::whole("neighbours", "UMAP neighbours", (2, 200)).offering(&[5.0, 15.0, 50.0]),
            Field::number("min_dist", "UMAP min. distance", (0.0, 1.0)).offering(&[0.0, 0.1, 0.5]),
            Field::whole("epochs", "epochs per model", (1, 30)).offering(&[1.0, 3.0, 10.0]),
            Field::whole("train_size", "training images", (1_000, 60_000))
                .offering(&[2_000.0, 10_000.0, 60_000.0]),
            Field::seed(),
        ]
    }
}

/// The Uses page's own messages: `{"type": "fetch", "dataset": "mnist"}` downloads a dataset.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum UsesCommand {
    Fetch { dataset: String },
}

/// One model an experiment trains.
struct RunSpec {
    name: String,
    arch: Architecture,
    variant: Variant,
    loss: LossKind,
}

fn dense(latent: usize, code: Code) -> Architecture {
    Architecture::Dense {
        layers: vec![PIXELS, HIDDEN, latent],
        activation: Activation::Relu,
        output: Activation::Sigmoid,
        activations: vec![],
        code,
    }
}

/// An experiment's models in training, one after another.
struct Queue {
    /// What it was made for (experiment and the settings that shape it).
    key: String,
    runs: Vec<RunSpec>,
    at: usize,
    trainer: Option<Trainer>,
    trained: Vec<Autoencoder>,
    /// The training images (the normal ones only, for anomaly).
    train: Dataset,
    steps: u64,
    last_loss: Option<f64>,
}

struct AnomalyResult {
    held_out: u32,
    model: Autoencoder,
    pca: Pca,
    scores: Vec<f32>,
    pca_scores: Vec<f32>,
    labels: Vec<f32>,
    auc: f64,
    pca_auc: f64,
    roc: Vec<RocPoint>,
    pca_roc: Vec<RocPoint>,
}

struct DenoiseModels {
    noise: String,
    plain: Autoencoder,
    denoising: Autoencoder,
}

#[derive(Debug, Clone, Serialize)]
struct CompressPoint {
    method: &'static str,
    /// Code size (or JPEG quality).
    size: usize,
    /// Mean bits per image.
    bits: f64,
    mse: f64,
    psnr: f64,
    ssim: f64,
}

struct CompressResult {
    points: Vec<CompressPoint>,
    /// Each code size's model and PCA, with the 8-bit ranges of their codes.
    models: Vec<(usize, Autoencoder, Quantiser)>,
    pcas: Vec<(usize, Pca, Quantiser)>,
}

struct GenerateModels {
    vae: Autoencoder,
    plain: Autoencoder,
}

/// A t-SNE or UMAP run on its own thread.
struct MapRun {
    shared: Arc<Mutex<MapShared>>,
    stop: Arc<AtomicBool>,
    /// Milliseconds since `epoch` at the page's last step: the run waits when steps stop.
    heartbeat: Arc<AtomicU64>,
    epoch: Instant,
}

#[derive(Default)]
struct MapShared {
    iteration: usize,
    xy: Option<Arc<Vec<f32>>>,
    done: Option<Result<Vec<f32>, String>>,
}

impl Drop for MapRun {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// A map: what it maps, its coordinates, and how far it got.
struct MapResult {
    key: String,
    method: Method,
    source: String,
    values: Arc<Vec<f32>>,
    dim: usize,
    labels: Arc<Vec<f32>>,
    /// The images mapped (for hover and neighbours).
    images: Arc<Dataset>,
    xy: Option<Arc<Vec<f32>>>,
    iteration: usize,
    /// Iterations (t-SNE) or epochs (UMAP) a run makes; 1 for PCA.
    iterations: usize,
    trust: Option<f64>,
    running: Option<MapRun>,
    seconds: f64,
    started: Instant,
}

pub struct UsesJob {
    ctx: Arc<Context>,
    settings: UsesSettings,
    datasets: DatasetsSeen,
    /// (dataset, train size) → the training images; the test split.
    train: Option<(String, Dataset)>,
    test: Option<(String, Arc<Dataset>)>,
    queue: Option<Queue>,
    anomaly: Option<AnomalyResult>,
    denoise: Option<DenoiseModels>,
    compress: Option<CompressResult>,
    generate: Option<GenerateModels>,
    map: Option<MapResult>,
    /// Bumped when a result changes, so the page knows to ask again.
    version: u64,
    done_message: Option<String>,
}

fn err(e: impl std::fmt::Display) -> WireError {
    WireError::invalid(e.to_string())
}

/// The images PCA coordinates `z` (k per image) stand for.
fn pca_decode(pca: &Pca, z: &[f32]) -> Vec<f32> {
    z.chunks(pca.components.len())
        .flat_map(|row| {
            let r: Vec<f64> = row.iter().map(|&v| v as f64).collect();
            pca.reconstruct(&r)
                .into_iter()
                .map(|v| v as f32)
                .collect::<Vec<_>>()
        })
        .collect()
}

fn pca_reconstruct_all(pca: &Pca, values: &[f32]) -> Vec<f32> {
    values
        .chunks(PIXELS)
        .flat_map(|row| {
            let x: Vec<f64> = row.iter().map(|&v| v as f64).collect();
            pca.reconstruct(&pca.project(&x))
                .into_iter()
                .map(|v| v as f32)
                .collect::<Vec<_>>()
        })
        .collect()
}

/// Mean MSE, PSNR and SSIM of reconstructions against the originals.
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

/// Codes rounded to 8 bits per value over each dimension's range on the training codes (the
/// range is part of the model, stored once, not per image).
struct Quantiser {
    lo: Vec<f32>,
    hi: Vec<f32>,
}

impl Quantiser {
    /// The ranges of `fit`'s codes, `k` values each.
    fn new(fit: &[f32], k: usize) -> Self {
        let mut lo = vec![f32::INFINITY; k];
        let mut hi = vec![f32::NEG_INFINITY; k];
        for row in fit.chunks(k) {
            for (d, &v) in row.iter().enumerate() {
                lo[d] = lo[d].min(v);
                hi[d] = hi[d].max(v);
            }
        }
        Quantiser { lo, hi }
    }

    /// `codes` as their 8-bit values stand for them.
    fn apply(&self, codes: &[f32]) -> Vec<f32> {
        codes
            .chunks(self.lo.len())
            .flat_map(|row| {
                row.iter()
                    .enumerate()
                    .map(|(d, &v)| {
                        let (lo, hi) = (self.lo[d], self.hi[d]);
                        let span = (hi - lo).max(1e-12);
                        let q = ((v - lo) / span * 255.0).round().clamp(0.0, 255.0);
                        lo + q / 255.0 * span
                    })
                    .collect::<Vec<_>>()
            })
            .collect()
    }
}

fn jpeg_round_trip(img: &[f32], quality: u8) -> Result<(Vec<f32>, usize), WireError> {
    Ok(jpeg_scan(img, 28, 28, quality)?)
}

impl UsesJob {
    fn load(&self, split: Split) -> Result<Arc<Dataset>, WireError> {
        Ok(self.ctx.datasets.load(&self.settings.dataset, split)?)
    }

    fn test_set(&mut self) -> Result<&Dataset, WireError> {
        let name = self.settings.dataset.clone();
        if self.test.as_ref().is_none_or(|(d, _)| *d != name) {
            let t = self.load(Split::Test)?;
            self.test = Some((name, t));
        }
        Ok(&self.test.as_ref().expect("loaded").1)
    }

    fn train_set(&mut self) -> Result<&Dataset, WireError> {
        let key = format!("{}/{}", self.settings.dataset, self.settings.train_size);
        if self.train.as_ref().is_none_or(|(k, _)| *k != key) {
            let t = self
                .load(Split::Train)?
                .take(self.settings.train_size as usize);
            self.train = Some((key, t));
        }
        Ok(&self.train.as_ref().expect("loaded").1)
    }

    fn noise(&self) -> Result<Noise, WireError> {
        let level = if self.settings.noise == "gaussian" {
            self.settings.noise_level
        } else {
            self.settings.noise_level.min(1.0)
        };
        format!("{}:{level}", self.settings.noise)
            .parse()
            .map_err(WireError::from)
    }

    /// What the experiment's models depend on: a different key trains them again.
    fn queue_key(&self) -> String {
        let s = &self.settings;
        let base = format!(
            "{}/{}/{}/{}/{}",
            s.experiment, s.dataset, s.train_size, s.epochs, s.seed
        );
        match s.experiment.as_str() {
            "anomaly" => format!("{base}/{}", s.held_out),
            "denoise" => format!("{base}/{}:{}", s.noise, s.noise_level),
            _ => base,
        }
    }

    fn specs(&self) -> Result<Vec<RunSpec>, WireError> {
        let plain = |name: String, latent: usize, loss| RunSpec {
            name,
            arch: dense(latent, Code::Linear),
            variant: Variant::Plain,
            loss,
        };
        Ok(match self.settings.experiment.as_str() {
            "anomaly" => vec![plain(
                format!(
                    "784-{HIDDEN}-{CODE} without class {}",
                    self.settings.held_out
                ),
                CODE,
                LossKind::Mse,
            )],
            "denoise" => {
                let noise = self.noise()?;
                vec![
                    plain(format!("plain 784-{HIDDEN}-{CODE}"), CODE, LossKind::Mse),
                    RunSpec {
                        name: format!("denoising 784-{HIDDEN}-{CODE} ({noise})"),
                        arch: dense(CODE, Code::Linear),
                        variant: Variant::Denoising { noise },
                        loss: LossKind::Mse,
                    },
                ]
            }
            "compress" => LADDER
                .iter()
                .map(|&k| plain(format!("784-{HIDDEN}-{k}"), k, LossKind::Mse))
                .collect(),
            "generate" => vec![
                RunSpec {
                    name: format!("VAE 784-{HIDDEN}-2"),
                    arch: dense(2, Code::Gaussian),
                    variant: Variant::Vae { beta: 1.0 },
                    loss: LossKind::Bce,
                },
                plain(format!("plain 784-{HIDDEN}-2"), 2, LossKind::Bce),
            ],
            other => {
                return Err(WireError::invalid(format!(
                    "the {other} experiment trains no model"
                )));
            }
        })
    }

    /// The queue for the experiment as the settings are now (built when missing or stale).
    fn ensure_queue(&mut self) -> Result<(), WireError> {
        let key = self.queue_key();
        if self.queue.as_ref().is_some_and(|q| q.key == key) {
            return Ok(());
        }
        let runs = self.specs()?;
        let held = self.settings.held_out as u32;
        let anomaly = self.settings.experiment == "anomaly";
        let all = self.train_set()?;
        let train = if anomaly {
            let labels = all.labels.as_deref().unwrap_or(&[]);
            let keep: Vec<usize> = (0..all.len()).filter(|&i| labels[i] != held).collect();
            all.subset(&keep)
        } else {
            all.clone()
        };
        self.queue = Some(Queue {
            key,
            runs,
            at: 0,
            trainer: None,
            trained: Vec::new(),
            train,
            steps: 0,
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
    fn train_step(&mut self) -> Result<Option<Progress>, WireError> {
        self.ensure_queue()?;
        let epochs = self.settings.epochs as usize;
        let q = self.queue.as_ref().expect("a queue");
        if q.at >= q.runs.len() {
            return Ok(None);
        }
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
            self.queue.as_mut().expect("a queue").trainer = Some(trainer);
        }
        let q = self.queue.as_mut().expect("a queue");
        let trainer = q.trainer.as_mut().expect("a trainer");
        let s = trainer.step(&q.train)?;
        if s.epoch_done {
            trainer.end_epoch(None);
        }
        q.steps += 1;
        q.last_loss = Some(s.loss);
        let per = trainer.steps_per_epoch() as f64;
        let x =
            (q.at * epochs) as f64 + trainer.epochs_done() as f64 + (s.step as f64 / per).min(1.0)
                - if s.epoch_done { 1.0 } else { 0.0 };
        if trainer.epochs_done() >= epochs {
            let t = q.trainer.take().expect("a trainer");
            q.trained.push(t.into_model());
            q.at += 1;
            if q.at == q.runs.len() {
                self.analyse()?;
            }
        }
        Ok(Some(Progress { x, loss: s.loss }))
    }

    /// The figures of a finished experiment.
    fn analyse(&mut self) -> Result<(), WireError> {
        let q = self.queue.as_mut().expect("a queue");
        let mut models = std::mem::take(&mut q.trained);
        let experiment = self.settings.experiment.clone();
        match experiment.as_str() {
            "anomaly" => {
                let model = models.remove(0);
                let held = self.settings.held_out as u32;
                let test = self.test_set()?.clone();
                let labels: Vec<u32> = test.labels.clone().unwrap_or_default();
                // scored as `hourglass anomaly --pca` scores (one function in core): the
                // same model and class give the same AUC on the page and in the CLI
                let rec = model.reconstruct_host(&test.values, 512);
                let scores = anomaly::image_errors(&rec, &test.values, PIXELS);
                let is_normal = |l: u32| l != held;
                let full_train = self.load(Split::Train)?;
                let fit = anomaly::pca_baseline(&full_train, CODE, &is_normal)?;
                let pca_scores = anomaly::pca_errors(&fit, &test);
                let (n, a) = anomaly::split_scores(&scores, &labels, &is_normal);
                let (pn, pa) = anomaly::split_scores(&pca_scores, &labels, &is_normal);
                let f32s = |v: &[f64]| v.iter().map(|&x| x as f32).collect::<Vec<f32>>();
                let (scores, pca_scores) = (f32s(&scores), f32s(&pca_scores));
                self.anomaly = Some(AnomalyResult {
                    held_out: held,
                    auc: auc(&n, &a)?,
                    pca_auc: auc(&pn, &pa)?,
                    roc: roc(&n, &a)?,
                    pca_roc: roc(&pn, &pa)?,
                    model,
                    pca: fit,
                    scores,
                    pca_scores,
                    labels: labels.iter().map(|&l| l as f32).collect(),
                });
                let r = self.anomaly.as_ref().expect("set");
                self.done_message = Some(format!(
                    "Scored {} test images: AUC {:.3} (PCA {:.3}).",
                    r.scores.len(),
                    r.auc,
                    r.pca_auc
                ));
            }
            "denoise" => {
                let denoising = models.pop().expect("two models");
                let plain = models.pop().expect("two models");
                self.denoise = Some(DenoiseModels {
                    noise: self.noise()?.to_string(),
                    plain,
                    denoising,
                });
                self.done_message =
                    Some("Both models are trained: compare them on the noise below.".into());
            }
            "compress" => {
                let result = self.measure_compression(models)?;
                self.compress = Some(result);
                self.done_message = Some(format!(
                    "Measured {} code sizes, PCA and JPEG on {MEASURED} test images.",
                    LADDER.len()
                ));
            }
            "generate" => {
                let plain = models.pop().expect("two models");
                let vae = models.pop().expect("two models");
                self.generate = Some(GenerateModels { vae, plain });
                self.done_message = Some("Both 2-D models are trained: sample them below.".into());
            }
            _ => {}
        }
        self.version += 1;
        Ok(())
    }

    fn measure_compression(
        &mut self,
        models: Vec<Autoencoder>,
    ) -> Result<CompressResult, WireError> {
        let train = self.train_set()?.take(PCA_FIT_LIMIT);
        let test = self.test_set()?.take(MEASURED);
        let mut points = Vec::new();
        let mut pcas = Vec::new();
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
                let (mse, psnr, ssim) = distortion(&model.decode_host(&c, 512), &test.values);
                points.push(CompressPoint {
                    method,
                    size: k,
                    bits: bits as f64,
                    mse,
                    psnr,
                    ssim,
                });
            }
            kept.push((k, model, eight));
            // PCA's first k components are the first k of the widest fit
            let pca = Pca {
                mean: widest.mean.clone(),
                components: widest.components[..k].to_vec(),
                variances: widest.variances[..k].to_vec(),
            };
            let eight = Quantiser::new(&project::project_rows(&pca, &train.values, PIXELS), k);
            let z = project::project_rows(&pca, &test.values, PIXELS);
            for (method, z, bits) in [("pca", z.clone(), 32 * k), ("pca8", eight.apply(&z), 8 * k)]
            {
                let (mse, psnr, ssim) = distortion(&pca_decode(&pca, &z), &test.values);
                points.push(CompressPoint {
                    method,
                    size: k,
                    bits: bits as f64,
                    mse,
                    psnr,
                    ssim,
                });
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
            let (mse, psnr, ssim) = distortion(&out, &test.values);
            points.push(CompressPoint {
                method: "jpeg",
                size: q as usize,
                bits: 8.0 * bytes as f64 / test.len() as f64,
                mse,
                psnr,
                ssim,
            });
        }
        Ok(CompressResult {
            points,
            models: kept,
            pcas,
        })
    }

    // ---- maps

    fn map_key(&self) -> String {
        let s = &self.settings;
        // only the settings of the method in use: a UMAP setting does not redo a t-SNE map
        let shape = match Method::from_name(&s.method) {
            Ok(Method::Tsne) => format!("{}", s.perplexity),
            Ok(Method::Umap) => format!("{}/{}", s.neighbours, s.min_dist),
            _ => String::new(),
        };
        format!(
            "{}/{}/{}/{}/{}/{}",
            s.dataset, s.method, s.source, s.points, shape, s.seed
        )
    }

    /// The images a map shows: the first of the test split, then the training split; the
    /// shipped sample without the dataset.
    fn map_images(&mut self) -> Result<Dataset, WireError> {
        let n = self.settings.points as usize;
        if !self.datasets.is_present(&self.settings.dataset) {
            let sample = shipped::sample(&self.settings.dataset)
                .ok_or_else(|| WireError::invalid("no shipped sample of this dataset"))?
                .map_err(err)?;
            return Ok(sample.take(n));
        }
        let test = self.test_set()?.clone();
        if n <= test.len() {
            return Ok(test.take(n));
        }
        let train = self.load(Split::Train)?.take(n - test.len());
        let mut values = test.values;
        values.extend_from_slice(&train.values);
        let mut labels = test.labels.unwrap_or_default();
        labels.extend(train.labels.unwrap_or_default());
        Dataset::new(
            format!("{} test + train", test.name),
            PIXELS,
            values,
            Some(labels),
        )
        .map_err(WireError::from)
    }

    fn start_map(&mut self) -> Result<(), WireError> {
        let method = Method::from_name(&self.settings.method)?;
        let images = self.map_images()?;
        let (values, dim) = if self.settings.source == "codes" {
            let name = format!(
                "{}-30d",
                if self.settings.dataset == "mnist" {
                    "mnist"
                } else {
                    "fashion"
                }
            );
            let m = shipped::model(&name)
                .ok_or_else(|| WireError::invalid(format!("no shipped model {name}")))?;
            let ck = Checkpoint::from_bytes(m.name, m.bytes)?;
            let model = Autoencoder::from_tensors(
                &ck.config.architecture,
                &ck.tensors,
                &inference_device(),
            )?;
            (
                model.encode_host(&images.values, 512),
                model.arch.latent_size(),
            )
        } else {
            (images.values.clone(), PIXELS)
        };
        let labels: Vec<f32> = images
            .labels
            .as_deref()
            .unwrap_or(&[])
            .iter()
            .map(|&l| l as f32)
            .collect();
        let values = Arc::new(values);
        let mut map = MapResult {
            key: self.map_key(),
            method,
            source: self.settings.source.clone(),
            values: values.clone(),
            dim,
            labels: Arc::new(labels),
            images: Arc::new(images),
            xy: None,
            iteration: 0,
            iterations: 1,
            trust: None,
            running: None,
            seconds: 0.0,
            started: Instant::now(),
        };
        if method == Method::Pca {
            let xy = project::pca_map(&values, dim, self.settings.seed)?;
            map.trust = Some(project::trustworthiness(
                &values,
                dim,
                &xy,
                TRUST_K,
                TRUST_SAMPLE,
                self.settings.seed,
            )?);
            map.xy = Some(Arc::new(xy));
            map.seconds = map.started.elapsed().as_secs_f64();
            self.done_message = Some("PCA map done.".into());
        } else {
            let n = values.len() / dim;
            let tsne_opts = TsneOptions {
                perplexity: self.settings.perplexity,
                iterations: TSNE_ITERATIONS,
                seed: self.settings.seed,
            };
            let umap_opts = UmapOptions {
                neighbours: self.settings.neighbours as usize,
                min_dist: self.settings.min_dist,
                epochs: 0,
                seed: self.settings.seed,
            };
            let umap = method == Method::Umap;
            if umap {
                project::check_umap(n, &umap_opts)?;
                map.iterations = umap_opts.epochs_for(n);
            } else {
                project::check_tsne(n, &tsne_opts)?;
                map.iterations = tsne_opts.iterations;
            }
            let run = MapRun {
                shared: Arc::default(),
                stop: Arc::new(AtomicBool::new(false)),
                heartbeat: Arc::new(AtomicU64::new(0)),
                epoch: Instant::now(),
            };
            let (shared, stop, beat, epoch) = (
                run.shared.clone(),
                run.stop.clone(),
                run.heartbeat.clone(),
                run.epoch,
            );
            let total = map.iterations;
            thread::Builder::new()
                .name(if umap { "UMAP" } else { "t-SNE" }.into())
                .spawn(move || {
                    let mut last_publish = Instant::now();
                    let each = |i: usize, y: &[f32]| {
                        // goes on only while the page's steps come (a paused page pauses it)
                        loop {
                            if stop.load(Ordering::Relaxed) {
                                return Flow::Stop;
                            }
                            let now = epoch.elapsed().as_millis() as u64;
                            if now.saturating_sub(beat.load(Ordering::Relaxed)) < 500 {
                                break;
                            }
                            thread::sleep(Duration::from_millis(20));
                        }
                        if i == 0 || last_publish.elapsed() >= Duration::from_millis(100) {
                            last_publish = Instant::now();
                            let mut s = shared.lock().expect("map state");
                            s.iteration = i + 1;
                            s.xy = Some(Arc::new(y.to_vec()));
                        }
                        Flow::Go
                    };
                    let out = if umap {
                        project::umap(&values, dim, &umap_opts, each)
                    } else {
                        project::tsne(&values, dim, &tsne_opts, each)
                    };
                    let mut s = shared.lock().expect("map state");
                    s.iteration = total;
                    s.done = Some(match out {
                        Ok(Some(y)) => Ok(y),
                        Ok(None) => Err("stopped".into()),
                        Err(e) => Err(e.to_string()),
                    });
                })
                .map_err(|e| WireError::invalid(format!("cannot start the map: {e}")))?;
            map.running = Some(run);
        }
        self.map = Some(map);
        self.version += 1;
        Ok(())
    }

    fn map_step(&mut self) -> Result<Option<Progress>, WireError> {
        let key = self.map_key();
        // a new map when the settings changed, and when a finished (or failed) one is asked
        // for again
        if self
            .map
            .as_ref()
            .is_none_or(|m| m.key != key || m.running.is_none())
        {
            self.map = None;
            self.start_map()?;
            return Ok(None);
        }
        let seed = self.settings.seed;
        let map = self.map.as_mut().expect("a map");
        let Some(run) = &map.running else {
            return Ok(None);
        };
        run.heartbeat
            .store(run.epoch.elapsed().as_millis() as u64, Ordering::Relaxed);
        thread::sleep(Duration::from_millis(40));
        let (iteration, xy, done) = {
            let mut s = run.shared.lock().expect("map state");
            (s.iteration, s.xy.clone(), s.done.take())
        };
        map.iteration = iteration;
        if let Some(xy) = xy {
            map.xy = Some(xy);
        }
        if let Some(done) = done {
            map.running = None;
            let name = map.method.title();
            let xy = done.map_err(|e| WireError::invalid(format!("{name}: {e}")))?;
            map.trust = Some(project::trustworthiness(
                &map.values,
                map.dim,
                &xy,
                TRUST_K,
                TRUST_SAMPLE,
                seed,
            )?);
            map.xy = Some(Arc::new(xy));
            map.seconds = map.started.elapsed().as_secs_f64();
            self.done_message = Some(format!(
                "{name} map of {} points done in {:.1} s.",
                map.labels.len(),
                map.seconds
            ));
            self.version += 1;
        }
        Ok(None)
    }

    // ---- queries

    fn anomaly_query(&self) -> Result<Frame, WireError> {
        let r = self
            .anomaly
            .as_ref()
            .ok_or_else(|| WireError::invalid("train the anomaly detector first"))?;
        let mut order: Vec<usize> = (0..r.scores.len()).collect();
        order.sort_by(|&a, &b| r.scores[b].total_cmp(&r.scores[a]).then(a.cmp(&b)));
        let test = &self.test.as_ref().expect("the test split").1;
        let pick = |idx: &[usize]| -> Vec<f32> {
            idx.iter()
                .flat_map(|&i| test.sample(i).iter().copied())
                .collect()
        };
        let worst: Vec<usize> = order.iter().take(EXTREMES).copied().collect();
        let best: Vec<usize> = order.iter().rev().take(EXTREMES).copied().collect();
        let curve = |c: &[RocPoint]| -> (Vec<f32>, Vec<f32>) {
            (
                c.iter().map(|p| p.fpr as f32).collect(),
                c.iter().map(|p| p.tpr as f32).collect(),
            )
        };
        let (fpr, tpr) = curve(&r.roc);
        let (pfpr, ptpr) = curve(&r.pca_roc);
        let facts = |idx: &[usize]| -> Value {
            idx.iter()
                .map(|&i| json!({"index": i, "score": r.scores[i], "label": r.labels[i]}))
                .collect()
        };
        Ok(Frame::new(json!({
            "held_out": r.held_out, "auc": r.auc, "pca_auc": r.pca_auc,
            "worst": facts(&worst), "best": facts(&best),
        }))
        .with("scores", Arc::new(r.scores.clone()))
        .with("pca_scores", Arc::new(r.pca_scores.clone()))
        .with("labels", Arc::new(r.labels.clone()))
        .with("roc_fpr", Arc::new(fpr))
        .with("roc_tpr", Arc::new(tpr))
        .with("pca_roc_fpr", Arc::new(pfpr))
        .with("pca_roc_tpr", Arc::new(ptpr))
        .with("worst_images", Arc::new(pick(&worst)))
        .with("best_images", Arc::new(pick(&best))))
    }

    /// A drawing's (or any image's) anomaly score, by the model and by PCA.
    fn score_query(&self, fields: &Map<String, Value>) -> Result<Frame, WireError> {
        let r = self
            .anomaly
            .as_ref()
            .ok_or_else(|| WireError::invalid("train the anomaly detector first"))?;
        let img = pixels(fields)?;
        let rec = r.model.reconstruct_host(&img, 1);
        let back = pca_reconstruct_all(&r.pca, &img);
        let score = mse(&rec, &img);
        let pca_score = mse(&back, &img);
        // where it falls among the test images: the share of normal images scoring lower
        let (mut below, mut normal) = (0usize, 0usize);
        for (&s, &l) in r.scores.iter().zip(&r.labels) {
            if l as u32 != r.held_out {
                normal += 1;
                if (s as f64) < score {
                    below += 1;
                }
            }
        }
        Ok(Frame::new(json!({
            "score": score, "pca_score": pca_score,
            "normal_below": below as f64 / normal.max(1) as f64,
        }))
        .with("reconstruction", Arc::new(rec)))
    }

    fn denoise_query(&mut self, fields: &Map<String, Value>) -> Result<Frame, WireError> {
        let count = whole(fields, "count", (1, 32), 8)?;
        let seed = whole(fields, "seed", (0, u32::MAX as usize), 1)? as u64;
        let noise = self.noise()?;
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
        let head = |v: &[f32]| Arc::new(v[..count * PIXELS].to_vec());
        Ok(Frame::new(json!({
            "noise": noise.to_string(), "trained_on": m.noise, "count": count, "measured": test.len(),
            "noisy": figures(&noisy), "plain": figures(&plain), "denoised": figures(&denoised),
        }))
        .with("noisy", head(&noisy))
        .with("plain", head(&plain))
        .with("denoised", head(&denoised))
        .with("clean", head(&test.values)))
    }

    fn compress_images(&mut self, fields: &Map<String, Value>) -> Result<Frame, WireError> {
        let method = fields
            .get("method")
            .and_then(Value::as_str)
            .unwrap_or("ae")
            .to_string();
        let size = whole(fields, "size", (1, 100), 2)?;
        let test = self.test_set()?.take(8);
        let r = self
            .compress
            .as_ref()
            .ok_or_else(|| WireError::invalid("run the compression ladder first"))?;
        let out: Vec<f32> = match method.as_str() {
            "ae" | "ae8" => {
                let (_, m, eight) =
                    r.models.iter().find(|(k, ..)| *k == size).ok_or_else(|| {
                        WireError::invalid(format!("no model with a {size}-value code"))
                    })?;
                if method == "ae" {
                    m.reconstruct_host(&test.values, 8)
                } else {
                    m.decode_host(&eight.apply(&m.encode_host(&test.values, 8)), 8)
                }
            }
            "pca" | "pca8" => {
                let (_, p, eight) =
                    r.pcas.iter().find(|(k, ..)| *k == size).ok_or_else(|| {
                        WireError::invalid(format!("no PCA with {size} components"))
                    })?;
                if method == "pca" {
                    pca_reconstruct_all(p, &test.values)
                } else {
                    pca_decode(
                        p,
                        &eight.apply(&project::project_rows(p, &test.values, PIXELS)),
                    )
                }
            }
            "jpeg" => {
                let q = u8::try_from(size).map_err(err)?;
                let mut out = Vec::new();
                for img in test.values.chunks(PIXELS) {
                    out.extend(jpeg_round_trip(img, q)?.0);
                }
                out
            }
            other => {
                return Err(WireError::invalid(format!(
                    "unknown method '{other}' (expected ae, ae8, pca, pca8 or jpeg)"
                )));
            }
        };
        let out: Vec<f32> = out.iter().map(|v| v.clamp(0.0, 1.0)).collect();
        Ok(Frame::new(json!({"method": method, "size": size}))
            .with("original", Arc::new(test.values.clone()))
            .with("reconstruction", Arc::new(out)))
    }

    fn generate_models(&self) -> Result<&GenerateModels, WireError> {
        self.generate
            .as_ref()
            .ok_or_else(|| WireError::invalid("train the two 2-D models first"))
    }

    /// Codes drawn from the prior N(0, I), decoded by the VAE and by the plain model.
    fn samples(&self, fields: &Map<String, Value>) -> Result<Frame, WireError> {
        let count = whole(fields, "count", (1, 64), 16)?;
        let seed = whole(fields, "seed", (0, u32::MAX as usize), 1)? as u64;
        let g = self.generate_models()?;
        let z = latent::prior_codes(count, 2, seed);
        Ok(Frame::new(json!({"count": count, "seed": seed}))
            .with("vae", Arc::new(g.vae.decode_host(&z, 64)))
            .with("plain", Arc::new(g.plain.decode_host(&z, 64)))
            .with("codes", Arc::new(z)))
    }

    /// Both decoders tiled over the plane: the VAE's over the prior's quantiles (5%–95%),
    /// the plain model's over the same square.
    fn manifold(&self, fields: &Map<String, Value>) -> Result<Frame, WireError> {
        let n = whole(fields, "n", (2, 20), 10)?;
        let g = self.generate_models()?;
        // quantiles of N(0, 1) from 5% to 95%
        let q = |p: f64| latent::normal_quantile(p) as f32;
        let axis: Vec<f32> = (0..n)
            .map(|i| q(0.05 + 0.9 * i as f64 / (n - 1) as f64))
            .collect();
        let mut z = Vec::with_capacity(2 * n * n);
        for r in 0..n {
            for c in 0..n {
                // rows from the top: y decreasing
                z.push(axis[c]);
                z.push(axis[n - 1 - r]);
            }
        }
        Ok(Frame::new(json!({"n": n, "axis": axis}))
            .with("vae", Arc::new(g.vae.decode_host(&z, 128)))
            .with("plain", Arc::new(g.plain.decode_host(&z, 128))))
    }

    /// The straight path between two test images' codes, decoded by both models.
    fn interpolate(&mut self, fields: &Map<String, Value>) -> Result<Frame, WireError> {
        let steps = whole(fields, "steps", (2, 16), 8)?;
        let a = whole(fields, "a", (0, 9_999), 0)?;
        let b = whole(fields, "b", (0, 9_999), 1)?;
        let test = self.test_set()?.clone();
        if a.max(b) >= test.len() {
            return Err(WireError::invalid(format!(
                "the test split has {} images",
                test.len()
            )));
        }
        let g = self.generate_models()?;
        let path = |m: &Autoencoder| -> Vec<f32> {
            let za = m.encode_host(test.sample(a), 1);
            let zb = m.encode_host(test.sample(b), 1);
            let z = latent::interpolate(&za, &zb, steps);
            m.decode_host(&z, 16)
        };
        Ok(Frame::new(json!({"steps": steps, "a": a, "b": b}))
            .with("vae", Arc::new(path(&g.vae)))
            .with("plain", Arc::new(path(&g.plain)))
            .with("ends", Arc::new([test.sample(a), test.sample(b)].concat())))
    }

    fn map_ready(&self) -> Result<&MapResult, WireError> {
        self.map
            .as_ref()
            .filter(|m| m.xy.is_some())
            .ok_or_else(|| WireError::invalid("make a map first"))
    }

    fn map_image(&self, fields: &Map<String, Value>) -> Result<Frame, WireError> {
        let m = self.map_ready()?;
        let i = whole(fields, "index", (0, m.labels.len().saturating_sub(1)), 0)?;
        Ok(Frame::new(json!({"index": i, "label": m.labels.get(i)}))
            .with("pixels", Arc::new(m.images.sample(i).to_vec())))
    }

    /// A point's nearest neighbours in what was mapped (codes or pixels), not on the map.
    fn neighbours(&self, fields: &Map<String, Value>) -> Result<Frame, WireError> {
        let m = self.map_ready()?;
        let i = whole(fields, "index", (0, m.labels.len().saturating_sub(1)), 0)?;
        let k = whole(fields, "k", (1, 32), 8)?;
        let near = project::nearest(&m.values, m.dim, i, k);
        let images: Vec<f32> = near
            .iter()
            .flat_map(|&(j, _)| m.images.sample(j).iter().copied())
            .collect();
        // and how many of them are also among its k nearest on the map
        let xy = m.xy.as_ref().expect("ready");
        let on_map: Vec<usize> = project::nearest(xy, 2, i, k).iter().map(|p| p.0).collect();
        let kept = near.iter().filter(|(j, _)| on_map.contains(j)).count();
        Ok(Frame::new(json!({
            "index": i, "label": m.labels.get(i),
            "neighbours": near.iter().map(|&(j, d)| json!({"index": j, "distance": d, "label": m.labels.get(j)})).collect::<Vec<_>>(),
            "kept_on_map": kept,
        }))
        .with("images", Arc::new(images))
        .with("pixels", Arc::new(m.images.sample(i).to_vec())))
    }
}

/// Most training images PCA fits and 8-bit ranges are taken from.
const PCA_FIT_LIMIT: usize = 5_000;

impl PageJob for UsesJob {
    type Settings = UsesSettings;
    type Command = UsesCommand;
    const NAME: &'static str = "uses";
    const TITLE: &'static str = "Uses";
    const DEFAULT_SPEED: f64 = 0.0;
    const HEAVY: bool = true;
    const PUBLISH_EVERY: Duration = Duration::from_millis(150);

    fn info(ctx: &Context) -> Value {
        json!({
            "datasets": datasets_json(&ctx.datasets.present()),
            "experiments": EXPERIMENTS, "ladder": LADDER, "jpeg_qualities": JPEG_QUALITIES,
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
        let (queue_before, map_before) = (self.queue_key(), self.map_key());
        let before = std::mem::replace(&mut self.settings, next);
        if self.settings.dataset != before.dataset {
            // results of another dataset no longer match the page's images
            self.anomaly = None;
            self.denoise = None;
            self.compress = None;
            self.generate = None;
            self.version += 1;
        }
        if self.map_key() != map_before {
            self.map = None;
            self.version += 1;
        }
        let training_changed = self.queue_key() != queue_before;
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
        if self.settings.experiment == "project" {
            self.map = None;
        }
        Ok(())
    }

    fn step(&mut self) -> Result<Option<Progress>, WireError> {
        if self.settings.experiment == "project" {
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
        if self
            .queue
            .as_ref()
            .is_some_and(|q| q.at >= q.runs.len() && q.key == self.queue_key())
        {
            // trained already: train again from the seed
            self.queue = None;
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
        let epochs = self.settings.epochs as usize;
        let training = self
            .queue
            .as_ref()
            .filter(|q| q.at < q.runs.len())
            .map(|q| {
                let (epoch, of) = q
                    .trainer
                    .as_ref()
                    .map_or((0.0, 1), |t| (t.epochs_done() as f64, t.steps_per_epoch()));
                json!({
                    "experiment": q.key.split('/').next(),
                    "run": q.runs[q.at].name, "index": q.at, "runs": q.runs.len(),
                    "names": q.runs.iter().map(|r| r.name.clone()).collect::<Vec<_>>(),
                    "epoch": epoch, "epochs": epochs, "steps_per_epoch": of,
                    "loss": q.last_loss,
                })
            });
        let anomaly = self.anomaly.as_ref().map(|r| {
            json!({"held_out": r.held_out, "auc": r.auc, "pca_auc": r.pca_auc,
                   "count": r.scores.len()})
        });
        let compress = self.compress.as_ref().map(|r| json!({"points": r.points}));
        let map = self.map.as_ref().map(|m| {
            json!({"method": m.method.name(), "source": m.source, "count": m.labels.len(), "dim": m.dim,
                   "iteration": m.iteration, "iterations": m.iterations,
                   "running": m.running.is_some(), "trust": m.trust, "seconds": m.seconds,
                   "images": m.images.name})
        });
        let mut f = Frame::new(json!({
            "version": self.version,
            "datasets": self.datasets.json(),
            "training": training,
            "anomaly": anomaly,
            "denoise": self.denoise.as_ref().map(|d| json!({"noise": d.noise})),
            "compress": compress,
            "generate": self.generate.as_ref().map(|_| json!({"latent": 2})),
            "map": map,
        }));
        if let Some(d) = self.datasets.download(self.ctx.datasets.as_ref()) {
            f.set("download", d);
        }
        if let Some(m) = &self.map
            && let Some(xy) = &m.xy
        {
            f = f
                .with("map_xy", xy.clone())
                .with("map_labels", m.labels.clone());
        }
        f
    }

    fn query(&mut self, name: &str, fields: &Map<String, Value>) -> Result<Frame, WireError> {
        match name {
            "anomaly" => self.anomaly_query(),
            "score" => self.score_query(fields),
            "denoise" => self.denoise_query(fields),
            "compress_images" => self.compress_images(fields),
            "samples" => self.samples(fields),
            "manifold" => self.manifold(fields),
            "interpolate" => self.interpolate(fields),
            "map_image" => self.map_image(fields),
            "neighbours" => self.neighbours(fields),
            _ => Err(WireError::new(
                "unknown_query",
                format!(
                    "the Uses page answers no query '{name}' (it answers anomaly, score, denoise, compress_images, samples, manifold, interpolate, map_image and neighbours)"
                ),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::{
        Outgoing,
        test_support::{Probe, test_data, wait_for},
    };

    fn probe() -> Probe {
        let ctx = crate::runtime::Host::for_tests_with(
            Some(test_data()),
            std::env::temp_dir().join("hourglass-uses-no-models"),
        );
        Probe::with(crate::runtime::spawn::<UsesJob>(ctx).expect("the job starts"))
    }

    fn ask(p: &Probe, q: Value) -> Frame {
        p.send(&q.to_string());
        match p.reply() {
            Outgoing::Frame(f) => f,
            Outgoing::Error(e) => panic!("{q}: {}", e.message),
        }
    }

    fn array<'a>(f: &'a Frame, name: &str) -> &'a [f32] {
        &f.arrays
            .iter()
            .find(|(n, _)| *n == name)
            .unwrap_or_else(|| panic!("no array {name}"))
            .1
    }

    /// Runs the experiment the settings name until it says it is done.
    fn run(p: &Probe, settings: Value, done: impl Fn(&Frame) -> bool) -> Arc<Frame> {
        let mut msg = settings;
        msg["type"] = json!("configure");
        p.send(&msg.to_string());
        p.send(r#"{"type":"play"}"#);
        let start = Instant::now();
        loop {
            let f = p.latest();
            if done(&f) {
                return f;
            }
            assert!(
                start.elapsed() < Duration::from_secs(120),
                "not done: {}",
                Value::Object(f.header.clone())
            );
            thread::sleep(Duration::from_millis(20));
        }
    }

    #[test]
    fn anomaly_detection_scores_every_test_image_and_its_auc_is_the_share_of_pairs_won() {
        let p = probe();
        let f = run(
            &p,
            json!({"experiment": "anomaly", "held_out": 7, "train_size": 10000, "epochs": 3}),
            |f| !f.header["anomaly"].is_null(),
        );
        let a = &f.header["anomaly"];
        assert_eq!(a["held_out"], 7);
        assert_eq!(a["count"], 10_000);
        let auc = a["auc"].as_f64().unwrap();
        assert!(auc > 0.6 && auc < 1.0, "AUC {auc}");
        // PCA's baseline is `hourglass anomaly --pca`'s: fitted on the first 10,000 normal
        // images of the whole training split, so the page and the CLI agree to the bit
        let mnist = hourglass_data::known("mnist").unwrap();
        let load = |split| hourglass_data::load_known(mnist, Some(&test_data()), split).unwrap();
        let (train, test) = (load(Split::Train), load(Split::Test));
        let is_normal = |l: u32| l != 7;
        let pca = anomaly::pca_baseline(&train, CODE, &is_normal).unwrap();
        let s = anomaly::pca_errors(&pca, &test);
        let (n, an) = anomaly::split_scores(&s, test.labels.as_deref().unwrap(), &is_normal);
        assert_eq!(
            a["pca_auc"].as_f64().unwrap(),
            hourglass_core::metrics::auc(&n, &an).unwrap()
        );
        let r = ask(&p, json!({"type": "query", "id": 1, "query": "anomaly"}));
        let scores = array(&r, "scores");
        let labels = array(&r, "labels");
        assert_eq!(scores.len(), 10_000);
        // the AUC is the share of (normal, seven) pairs the sevens win
        let (sevens, others): (Vec<_>, Vec<_>) =
            scores.iter().zip(labels).partition(|(_, l)| **l == 7.0);
        let mut wins = 0.0;
        for (s, _) in sevens.iter().step_by(7) {
            for (o, _) in others.iter().step_by(7) {
                wins += if s > o {
                    1.0
                } else if s == o {
                    0.5
                } else {
                    0.0
                };
            }
        }
        let sampled =
            wins / (sevens.iter().step_by(7).count() * others.iter().step_by(7).count()) as f64;
        assert!((sampled - auc).abs() < 0.03, "{sampled} vs {auc}");
        // the most anomalous images score highest and come first
        let worst = r.header["worst"].as_array().unwrap();
        assert_eq!(worst.len(), EXTREMES);
        let top = worst[0]["score"].as_f64().unwrap() as f32;
        assert!(scores.iter().all(|&s| s <= top));
        assert_eq!(array(&r, "worst_images").len(), EXTREMES * PIXELS);
        let fpr = array(&r, "roc_fpr");
        assert_eq!((fpr[0], *fpr.last().unwrap()), (0.0, 1.0));
        // a drawing gets a score; a blank image reconstructs to something, scores finite
        let s = ask(
            &p,
            json!({"type": "query", "id": 2, "query": "score", "pixels": vec![0.0; PIXELS]}),
        );
        assert!(s.header["score"].as_f64().unwrap().is_finite());
        assert_eq!(array(&s, "reconstruction").len(), PIXELS);
    }

    #[test]
    fn denoising_beats_plain_on_noise_and_generation_samples_both_models() {
        let p = probe();
        run(
            &p,
            json!({"experiment": "denoise", "noise": "gaussian", "noise_level": 0.5, "train_size": 10000, "epochs": 3}),
            |f| !f.header["denoise"].is_null(),
        );
        let d = ask(
            &p,
            json!({"type": "query", "id": 1, "query": "denoise", "count": 4}),
        );
        let psnr = |k: &str| d.header[k]["psnr"].as_f64().unwrap();
        assert!(psnr("denoised") > psnr("noisy") + 3.0, "{:?}", d.header);
        assert!(psnr("denoised") > psnr("plain"), "{:?}", d.header);
        assert_eq!(array(&d, "clean").len(), 4 * PIXELS);
        run(
            &p,
            json!({"experiment": "generate", "train_size": 2000, "epochs": 1}),
            |f| !f.header["generate"].is_null(),
        );
        let s = ask(
            &p,
            json!({"type": "query", "id": 2, "query": "samples", "count": 9, "seed": 3}),
        );
        assert_eq!(array(&s, "vae").len(), 9 * PIXELS);
        let again = ask(
            &p,
            json!({"type": "query", "id": 3, "query": "samples", "count": 9, "seed": 3}),
        );
        assert_eq!(array(&s, "vae"), array(&again, "vae"));
        let m = ask(
            &p,
            json!({"type": "query", "id": 4, "query": "manifold", "n": 5}),
        );
        assert_eq!(array(&m, "plain").len(), 25 * PIXELS);
        let axis = m.header["axis"].as_array().unwrap();
        assert!(
            (axis[0].as_f64().unwrap() + 1.6449).abs() < 1e-3,
            "{axis:?}"
        );
        let i = ask(
            &p,
            json!({"type": "query", "id": 5, "query": "interpolate", "a": 0, "b": 1, "steps": 5}),
        );
        assert_eq!(array(&i, "vae").len(), 5 * PIXELS);
    }

    #[test]
    fn the_compression_ladder_has_every_method_and_more_bits_cost_less_error() {
        let p = probe();
        let f = run(
            &p,
            json!({"experiment": "compress", "train_size": 2000, "epochs": 1}),
            |f| !f.header["compress"].is_null(),
        );
        let points = f.header["compress"]["points"].as_array().unwrap();
        let of = |m: &str| -> Vec<(f64, f64)> {
            points
                .iter()
                .filter(|p| p["method"] == m)
                .map(|p| (p["bits"].as_f64().unwrap(), p["mse"].as_f64().unwrap()))
                .collect()
        };
        for m in ["ae", "ae8", "pca", "pca8"] {
            assert_eq!(of(m).len(), LADDER.len(), "{m}");
        }
        // PCA's error falls with every component added
        let pca = of("pca");
        assert!(pca.windows(2).all(|w| w[1].1 < w[0].1), "{pca:?}");
        assert_eq!(pca[0].0, 64.0);
        // JPEG: more bytes at higher quality, less error
        let jpeg = of("jpeg");
        assert_eq!(jpeg.len(), JPEG_QUALITIES.len());
        assert!(jpeg.first().unwrap().0 < jpeg.last().unwrap().0);
        assert!(jpeg.first().unwrap().1 > jpeg.last().unwrap().1);
        let r = ask(
            &p,
            json!({"type": "query", "id": 1, "query": "compress_images", "method": "pca8", "size": 16}),
        );
        assert_eq!(array(&r, "reconstruction").len(), 8 * PIXELS);
    }

    #[test]
    fn maps_form_from_pca_tsne_and_umap_and_keep_neighbourhoods() {
        let p = probe();
        let f = run(
            &p,
            json!({"experiment": "project", "method": "pca", "source": "codes", "points": 600}),
            |f| f.header["map"]["trust"].is_number(),
        );
        let pca_trust = f.header["map"]["trust"].as_f64().unwrap();
        assert_eq!(array(&f, "map_xy").len(), 1200);
        let f = run(&p, json!({"method": "tsne", "perplexity": 20}), |f| {
            f.header["map"]["trust"].is_number() && f.header["map"]["method"] == "tsne"
        });
        let m = &f.header["map"];
        let trust = m["trust"].as_f64().unwrap();
        assert!(
            trust > 0.9 && trust > pca_trust,
            "t-SNE {trust}, PCA {pca_trust}"
        );
        assert_eq!(m["iteration"], TSNE_ITERATIONS);
        // UMAP: 500 epochs for so few points, as trustworthy
        let f = run(&p, json!({"method": "umap", "neighbours": 10}), |f| {
            f.header["map"]["trust"].is_number() && f.header["map"]["method"] == "umap"
        });
        let m = &f.header["map"];
        let umap_trust = m["trust"].as_f64().unwrap();
        assert!(
            umap_trust > 0.9 && umap_trust > pca_trust,
            "UMAP {umap_trust}, PCA {pca_trust}"
        );
        assert_eq!(
            (m["iteration"].as_u64(), m["iterations"].as_u64()),
            (Some(500), Some(500))
        );
        assert_eq!(array(&f, "map_xy").len(), 1200);
        let n = ask(
            &p,
            json!({"type": "query", "id": 1, "query": "neighbours", "index": 3, "k": 5}),
        );
        assert_eq!(n.header["neighbours"].as_array().unwrap().len(), 5);
        assert_eq!(array(&n, "images").len(), 5 * PIXELS);
        // a bad query says what is wrong
        let e = p.answer_error(r#"{"type":"query","id":2,"query":"neighbours","index":600}"#);
        assert!(e.contains("index"), "{e}");
    }

    #[test]
    fn a_paused_tsne_waits_and_a_changed_setting_drops_the_map() {
        let p = probe();
        run(
            &p,
            json!({"experiment": "project", "method": "tsne", "source": "codes", "points": 3000}),
            |f| f.header["map"]["iteration"].as_u64().unwrap_or(0) > 5,
        );
        p.send(r#"{"type":"pause"}"#);
        thread::sleep(Duration::from_millis(800));
        let a = p.latest().header["map"]["iteration"].as_u64().unwrap();
        thread::sleep(Duration::from_millis(800));
        let b = p.latest().header["map"]["iteration"].as_u64().unwrap();
        assert_eq!(a, b, "t-SNE went on while paused");
        p.send(r#"{"type":"configure","points":2000}"#);
        wait_for(&p, |f| f.header["map"].is_null());
    }
}
