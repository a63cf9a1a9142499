//! The Digits Lab's job: a real digit autoencoder's latent space. It holds one model — a
//! shipped one (`hourglass_data::shipped`: 2-D and 30-D models of MNIST and Fashion-MNIST,
//! embedded in the binary), one from the models folder, or the learner's own 2-D model
//! trained here step by step (the tutorial's 784-100-50-25-2, ReLU, mirrored, sigmoid
//! output, MSE, Adam) on the heavy-work budget — and the test images it maps.
//!
//! Snapshots carry the map: `codes` (n × 2 positions: the codes themselves for a 2-D model,
//! their first two principal components for a wider one, with the projection in the header
//! so the page can go from the plane to a code and back) and `labels`. Queries answer what
//! the page asks of the model: `encode`, `decode`, `sample`, `iterate` (x → decode(encode(x))
//! until it stops moving), `basins` (where every cell of a grid of codes ends up),
//! `interpolate`, `grid` (the decoder tiled over the plane), `images` (thumbnails) and
//! `compare` (the 2-D and the 30-D model of the same data on one input).
//!
//! Data are read when first needed (never while a session is being opened). Without the
//! dataset on the machine a shipped model maps the shipped sample of 2,000 test images.

use std::{path::Path, sync::Arc};

use hourglass_core::{
    architecture::{Architecture, Code},
    checkpoint::Checkpoint,
    data::Dataset,
    glass::Activation,
    metrics::Pca,
    rng::Rng,
    settings::{Field, Settings},
    tensor::{
        Autoencoder, LossKind, Optimizer, Reconstruction, TrainOptions, Trainer, inference_device,
        initial_tensors, training_device,
    },
    variant::Variant,
};
use hourglass_data::{Split, known, load_known, models, shipped};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::runtime::{
    Change, Context, DatasetDownload, Frame, PageJob, Progress, RunState, WireError, datasets_json,
    fields::{PIXELS, numbers, pixels, whole},
};

/// Test images whose codes every snapshot carries while a model trains.
pub const MAP_POINTS: usize = shipped::SAMPLE_SIZE;
/// Layer sizes of the tutorial's digit model (the decoder mirrors them).
pub const DIGIT_LAYERS: [usize; 5] = [784, 100, 50, 25, 2];
/// The model setting that means "the model trained on this page".
pub const TRAIN_MODEL: &str = "train";
/// Models from the models folder are named `file:<file name>`.
const FILE_PREFIX: &str = "file:";
/// Most encode→decode rounds one iteration or one basin map runs.
const MAX_ITERATIONS: usize = 200;
/// Largest basin or decoded grid (cells per side).
const MAX_GRID: usize = 128;

/// The Digits Lab's settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DigitsSettings {
    /// A shipped model (`mnist-2d`, …), `train` (trained here), or `file:<name>` from the
    /// models folder.
    pub model: String,
    /// Which split the map shows when the dataset is on the machine: `test` (10,000) or
    /// `train` (60,000).
    pub map: String,
    /// What `train` trains on: `mnist` or `fashion-mnist`.
    pub dataset: String,
    /// Training images used (the first of the train split).
    pub train_size: u64,
    pub lr: f64,
    pub batch: u64,
    pub seed: u64,
}

impl Default for DigitsSettings {
    fn default() -> Self {
        DigitsSettings {
            model: "mnist-2d".into(),
            map: "test".into(),
            dataset: "mnist".into(),
            train_size: 10_000,
            lr: 0.001,
            batch: 128,
            seed: 1,
        }
    }
}

impl Settings for DigitsSettings {
    fn schema() -> Vec<Field> {
        vec![
            Field::text("model", "model", 200),
            Field::choice(
                "map",
                "map shows",
                &[
                    ("test", "the test images (10,000)"),
                    ("train", "the training images (60,000)"),
                ],
            ),
            Field::choice(
                "dataset",
                "dataset",
                &[
                    ("mnist", "MNIST digits"),
                    ("fashion-mnist", "Fashion-MNIST"),
                ],
            ),
            Field::whole("train_size", "training images", (500, 60_000))
                .offering(&[2_000.0, 10_000.0, 60_000.0]),
            Field::number("lr", "learning rate", (1e-4, 0.1))
                .log()
                .offering(&[1e-4, 3e-4, 1e-3, 3e-3, 0.01]),
            Field::whole("batch", "batch size", (8, 1024)).offering(&[32.0, 64.0, 128.0, 256.0]),
            Field::seed(),
        ]
    }
}

/// One entry of the model picker.
#[derive(Debug, Clone, Serialize)]
struct ModelEntry {
    name: String,
    title: String,
    /// `shipped`, `file` or `train`.
    kind: &'static str,
    dataset: Option<String>,
    latent: Option<usize>,
    /// Why a file cannot be used (it is listed, not offered).
    error: Option<String>,
}

/// The model the page looks at when it is not training one.
struct Fixed {
    name: String,
    dataset: String,
    model: Autoencoder,
    /// Test error beside PCA's (shipped models), or the checkpoint's recorded metrics.
    quality: Value,
}

/// The data the learner's model trains on.
struct Loaded {
    dataset: String,
    train: Dataset,
}

/// The images on the map.
struct MapSet {
    dataset: String,
    /// `test`, `train`, `sample` (the shipped 2,000) or `subset` (2,000 while training).
    source: &'static str,
    images: Dataset,
    labels: Arc<Vec<f32>>,
}

/// The map's codes for one model.
struct MapCodes {
    /// Which model (and training step) they are for.
    key: String,
    latent: usize,
    /// n × 2: where each image sits on the map.
    positions: Arc<Vec<f32>>,
    /// From a wide code to the plane and back (None for a 2-D code).
    projection: Option<Pca>,
    /// Per code unit: the 1st and 99th percentile over the map's images (the sliders' range).
    ranges: Vec<[f32; 2]>,
    /// Per class: the mean code (the attribute sliders' ends).
    class_means: Vec<Option<Vec<f32>>>,
}

pub struct DigitsJob {
    ctx: Arc<Context>,
    download: DatasetDownload,
    /// Which known datasets are on the machine (looked up again after a download).
    present: Vec<(String, bool)>,
    settings: DigitsSettings,
    /// The picker's entries (the models folder is read again on `rescan`).
    models: Vec<ModelEntry>,
    fixed: Option<Fixed>,
    data: Option<Loaded>,
    trainer: Option<Trainer>,
    /// Steps since the trained model started.
    steps: u64,
    last_loss: Option<f64>,
    /// The trained model for inference as of a step (rebuilt when training moved on).
    inference: Option<(u64, Autoencoder)>,
    map: Option<MapSet>,
    codes: Option<MapCodes>,
    /// Other shipped models, loaded for `compare`.
    others: Vec<(String, Autoencoder)>,
}

fn architecture() -> Architecture {
    Architecture::Dense {
        layers: DIGIT_LAYERS.to_vec(),
        activation: Activation::Relu,
        output: Activation::Sigmoid,
        activations: vec![],
        code: Code::Linear,
    }
}

/// A checkpoint as a model the Digits Lab can show, or why not.
fn digit_model(source: &str, bytes: &[u8]) -> Result<(Checkpoint, Autoencoder), String> {
    let ck = digit_checkpoint(source, bytes)?;
    let model = build(&ck)?;
    Ok((ck, model))
}

/// A checkpoint of a model that takes 28×28 images, or why not (read, not yet built).
fn digit_checkpoint(source: &str, bytes: &[u8]) -> Result<Checkpoint, String> {
    check_digit_model(Checkpoint::from_bytes(source, bytes).map_err(|e| e.to_string())?)
}

/// The checkpoint, if its model takes 28×28 images; otherwise why the Digits Lab cannot show it.
fn check_digit_model(ck: Checkpoint) -> Result<Checkpoint, String> {
    let inputs = ck.config.architecture.input_size();
    if inputs != PIXELS {
        return Err(format!(
            "it takes {inputs} values per sample; the Digits Lab shows 28×28 images (784)"
        ));
    }
    Ok(ck)
}

/// The model a checkpoint describes, for inference.
fn build(ck: &Checkpoint) -> Result<Autoencoder, String> {
    Autoencoder::from_tensors(&ck.config.architecture, &ck.tensors, &inference_device())
        .map_err(|e| e.to_string())
}

/// The known dataset a checkpoint was trained on (MNIST's images for anything else).
fn dataset_of(ck: &Checkpoint) -> String {
    let n = ck.config.dataset.name.to_lowercase();
    if n.contains("fashion") {
        "fashion-mnist".into()
    } else {
        "mnist".into()
    }
}

/// Reads a model from the models folder.
fn read_model_file(dir: &Path, name: &str) -> Result<(Checkpoint, Autoencoder), String> {
    let ck = read_checkpoint_file(dir, name)?;
    let model = build(&ck)?;
    Ok((ck, model))
}

/// Reads a checkpoint from the models folder (the picker lists it without building it).
fn read_checkpoint_file(dir: &Path, name: &str) -> Result<Checkpoint, String> {
    let ck = models::read_checkpoint(dir, name)?;
    check_digit_model(ck)
}

/// The picker: shipped models, "train your own", and every checkpoint in the models folder
/// (one that cannot be used is listed with the reason).
fn scan_models(dir: &Path) -> Vec<ModelEntry> {
    let mut out: Vec<ModelEntry> = shipped::MODELS
        .iter()
        .map(|m| ModelEntry {
            name: m.name.into(),
            title: m.title.into(),
            kind: "shipped",
            dataset: Some(m.dataset.into()),
            latent: shipped::quality(m.name).map(|q| q.latent),
            error: None,
        })
        .collect();
    out.push(ModelEntry {
        name: TRAIN_MODEL.into(),
        title: "Train your own (2-D, here)".into(),
        kind: "train",
        dataset: None,
        latent: Some(2),
        error: None,
    });
    for f in models::list(dir) {
        let (dataset, latent, error) = match read_checkpoint_file(dir, &f) {
            Ok(ck) => (
                Some(dataset_of(&ck)),
                Some(ck.config.architecture.latent_size()),
                None,
            ),
            Err(e) => (None, None, Some(e)),
        };
        out.push(ModelEntry {
            name: format!("{FILE_PREFIX}{f}"),
            title: f,
            kind: "file",
            dataset,
            latent,
            error,
        });
    }
    out
}

/// The model for inference as of `steps`, kept in `cache` until training moves on: the
/// trained one, or (before training) the one the seed gives.
fn inference_model<'a>(
    cache: &'a mut Option<(u64, Autoencoder)>,
    trainer: Option<&Trainer>,
    seed: u64,
    steps: u64,
) -> Result<&'a Autoencoder, WireError> {
    if cache.as_ref().is_none_or(|(at, _)| *at != steps) {
        let m = match trainer {
            Some(t) => t.inference_model(),
            None => {
                let arch = architecture();
                Autoencoder::from_tensors(
                    &arch,
                    &initial_tensors(&arch, seed)?,
                    &inference_device(),
                )?
            }
        };
        *cache = Some((steps, m));
    }
    Ok(&cache.as_ref().expect("just built").1)
}

/// The model the page looks at: the trained one (as of `steps`) or the fixed one.
fn current_model<'a>(
    settings: &DigitsSettings,
    fixed: Option<&'a Fixed>,
    cache: &'a mut Option<(u64, Autoencoder)>,
    trainer: Option<&Trainer>,
    steps: u64,
) -> Result<&'a Autoencoder, WireError> {
    if settings.model == TRAIN_MODEL {
        inference_model(cache, trainer, settings.seed, steps)
    } else {
        fixed
            .map(|f| &f.model)
            .ok_or_else(|| WireError::invalid("no model is loaded"))
    }
}

/// The `p`-quantile of `v` (sorted in place).
fn quantile(v: &mut [f32], p: f64) -> f32 {
    v.sort_unstable_by(f32::total_cmp);
    if v.is_empty() {
        return 0.0;
    }
    v[((v.len() - 1) as f64 * p).round() as usize]
}

/// The statistics of a map's codes the page needs (see [`MapCodes`]).
fn map_codes(key: String, latent: usize, codes: Vec<f32>, labels: &[f32]) -> MapCodes {
    let n = codes.len() / latent.max(1);
    let ranges = (0..latent)
        .map(|j| {
            let mut col: Vec<f32> = (0..n).map(|i| codes[i * latent + j]).collect();
            [quantile(&mut col, 0.01), quantile(&mut col, 0.99)]
        })
        .collect();
    let mut sums = vec![(0usize, vec![0f64; latent]); 10];
    for (i, &l) in labels.iter().enumerate().take(n) {
        if let Some((count, s)) = sums.get_mut(l as usize) {
            *count += 1;
            s.iter_mut()
                .zip(&codes[i * latent..(i + 1) * latent])
                .for_each(|(a, &b)| *a += b as f64);
        }
    }
    let class_means = sums
        .into_iter()
        .map(|(c, s)| (c > 0).then(|| s.iter().map(|v| (v / c as f64) as f32).collect()))
        .collect();
    let (positions, projection) = if latent == 2 {
        (codes, None)
    } else {
        let data: Vec<f64> = codes.iter().map(|&v| v as f64).collect();
        match Pca::fit(&data, latent, 2) {
            Ok(p) => {
                let pos = codes
                    .chunks_exact(latent)
                    .flat_map(|c| {
                        let z: Vec<f64> = c.iter().map(|&v| v as f64).collect();
                        p.project(&z).into_iter().map(|v| v as f32)
                    })
                    .collect();
                (pos, Some(p))
            }
            // a 1-D code (or no images): the first unit against zero
            Err(_) => (
                codes
                    .chunks_exact(latent.max(1))
                    .flat_map(|c| [c[0], 0.0])
                    .collect(),
                None,
            ),
        }
    };
    MapCodes {
        key,
        latent,
        positions: Arc::new(positions),
        projection,
        ranges,
        class_means,
    }
}

/// Euclidean distance of two codes.
fn distance(a: &[f32], b: &[f32]) -> f32 {
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y) * (x - y))
        .sum::<f32>()
        .sqrt()
}

impl DigitsJob {
    fn training(&self) -> bool {
        self.settings.model == TRAIN_MODEL
    }

    fn options(&self) -> TrainOptions {
        TrainOptions {
            loss: LossKind::Mse,
            optimizer: Optimizer::adam(self.settings.lr),
            batch_size: self.settings.batch as usize,
            epochs: usize::MAX,
            seed: self.settings.seed,
            variant: Variant::Plain,
        }
    }

    fn is_present(&self, dataset: &str) -> bool {
        self.present.iter().any(|(n, p)| n == dataset && *p)
    }

    /// Reads the training data if the settings need other data than those loaded.
    fn ensure_data(&mut self) -> Result<(), WireError> {
        let s = &self.settings;
        if let Some(d) = &self.data
            && d.dataset == s.dataset
            && d.train.len() == (s.train_size as usize).min(60_000)
        {
            return Ok(());
        }
        let ds = known(&s.dataset)
            .ok_or_else(|| WireError::invalid(format!("unknown dataset '{}'", s.dataset)))?;
        let train = load_known(ds, self.ctx.data_dir.as_deref(), Split::Train)
            .map_err(|e| WireError::new("not_found", e.to_string()))?
            .take(s.train_size as usize);
        self.data = Some(Loaded {
            dataset: s.dataset.clone(),
            train,
        });
        Ok(())
    }

    /// Builds the model and its trainer from the seed if there is none.
    fn ensure_trainer(&mut self) -> Result<(), WireError> {
        self.ensure_data()?;
        if self.trainer.is_some() {
            return Ok(());
        }
        let arch = architecture();
        let model = Autoencoder::from_tensors(
            &arch,
            &initial_tensors(&arch, self.settings.seed)?,
            &training_device(),
        )?;
        let samples = self.data.as_ref().map_or(0, |d| d.train.len());
        self.trainer = Some(Trainer::new(
            model,
            samples,
            &self.options(),
            Box::new(Reconstruction(LossKind::Mse)),
        )?);
        Ok(())
    }

    /// Forgets the trained model (it is built again from the seed when training resumes).
    fn drop_model(&mut self) {
        self.trainer = None;
        self.steps = 0;
        self.last_loss = None;
        self.inference = None;
    }

    /// Loads the model a `model` setting names (not `train`).
    fn load_fixed(&self, name: &str) -> Result<Fixed, WireError> {
        if let Some(m) = shipped::model(name) {
            let (_, model) = digit_model(m.name, m.bytes).map_err(WireError::invalid)?;
            let quality = shipped::quality(name).map_or(Value::Null, |q| {
                json!({"test_mse": q.test_mse, "pca_test_mse": q.pca_test_mse,
                       "pca_components": q.pca_components, "epochs": q.epochs,
                       "layers": q.layers, "command": q.command})
            });
            return Ok(Fixed {
                name: name.into(),
                dataset: m.dataset.into(),
                model,
                quality,
            });
        }
        let file = name.strip_prefix(FILE_PREFIX).ok_or_else(|| {
            let names: Vec<&str> = shipped::MODELS.iter().map(|m| m.name).collect();
            WireError::invalid(format!(
                "no model '{name}' (expected {}, {TRAIN_MODEL}, or file:<name> from the models folder)",
                names.join(", ")
            ))
        })?;
        let (ck, model) = read_model_file(&self.ctx.models_dir, file)
            .map_err(|e| WireError::new("not_found", format!("cannot use {file}: {e}")))?;
        Ok(Fixed {
            name: name.into(),
            dataset: dataset_of(&ck),
            model,
            quality: json!({"metrics": ck.config.metrics, "epochs": ck.config.epochs_trained}),
        })
    }

    /// The model the page looks at, and the map's codes (separate fields, borrowed together).
    fn parts(&mut self) -> Result<(&Autoencoder, Option<&MapCodes>), WireError> {
        let model = current_model(
            &self.settings,
            self.fixed.as_ref(),
            &mut self.inference,
            self.trainer.as_ref(),
            self.steps,
        )?;
        Ok((model, self.codes.as_ref()))
    }

    fn model(&mut self) -> Result<&Autoencoder, WireError> {
        Ok(self.parts()?.0)
    }

    /// Which images the map shows now: (dataset, source).
    fn wanted_map(&self) -> (String, &'static str) {
        if self.training() {
            return (self.settings.dataset.clone(), "subset");
        }
        let dataset = self
            .fixed
            .as_ref()
            .map_or_else(|| "mnist".to_string(), |f| f.dataset.clone());
        let source = match (self.is_present(&dataset), self.settings.map.as_str()) {
            (false, _) => "sample",
            (true, "train") => "train",
            (true, _) => "test",
        };
        (dataset, source)
    }

    /// Loads the map's images when other ones are wanted.
    fn ensure_map(&mut self) -> Result<(), WireError> {
        let (dataset, source) = self.wanted_map();
        if self
            .map
            .as_ref()
            .is_some_and(|m| m.dataset == dataset && m.source == source)
        {
            return Ok(());
        }
        let dir = self.ctx.data_dir.as_deref();
        let missing = |e: anyhow::Error| WireError::new("not_found", format!("{e:#}"));
        let ds = known(&dataset)
            .ok_or_else(|| WireError::invalid(format!("unknown dataset '{dataset}'")))?;
        let images = match source {
            "sample" => shipped::sample(&dataset)
                .ok_or_else(|| WireError::invalid(format!("no shipped sample of {dataset}")))?
                .map_err(missing)?,
            "train" => load_known(ds, dir, Split::Train).map_err(missing)?,
            "test" => load_known(ds, dir, Split::Test).map_err(missing)?,
            _ => {
                let test = load_known(ds, dir, Split::Test).map_err(missing)?;
                test.subset(&shipped::sample_indices(test.len()))
            }
        };
        let labels = Arc::new(
            images
                .labels
                .as_ref()
                .map(|l| l.iter().map(|&v| v as f32).collect())
                .unwrap_or_else(|| vec![0.0; images.len()]),
        );
        self.map = Some(MapSet {
            dataset,
            source,
            images,
            labels,
        });
        self.codes = None;
        Ok(())
    }

    /// Which model the map's codes must be for.
    fn model_key(&self) -> String {
        let map = self.map.as_ref().map_or("", |m| m.source);
        if self.training() {
            format!("train@{}:{map}", self.steps)
        } else {
            format!("{}:{map}", self.settings.model)
        }
    }

    /// The map's codes for the model as it is now (computed once per model and step).
    fn ensure_codes(&mut self) -> Result<(), WireError> {
        if self.training() && self.trainer.is_none() {
            self.codes = None;
            return Ok(());
        }
        self.ensure_map()?;
        let key = self.model_key();
        if self.codes.as_ref().is_some_and(|c| c.key == key) {
            return Ok(());
        }
        let model = current_model(
            &self.settings,
            self.fixed.as_ref(),
            &mut self.inference,
            self.trainer.as_ref(),
            self.steps,
        )?;
        let latent = model.arch.latent_size();
        let map = self.map.as_ref().expect("ensured");
        let codes = model.encode_host(&map.images.values, 1000);
        self.codes = Some(map_codes(key, latent, codes, &map.labels));
        Ok(())
    }

    /// Where a code sits on the map.
    fn position(codes: Option<&MapCodes>, code: &[f32]) -> [f32; 2] {
        match codes.and_then(|c| c.projection.as_ref()) {
            Some(p) => {
                let z: Vec<f64> = code.iter().map(|&v| v as f64).collect();
                let xy = p.project(&z);
                [xy[0] as f32, xy[1] as f32]
            }
            None => [code[0], code.get(1).copied().unwrap_or(0.0)],
        }
    }

    /// The code at a spot of the map (a wide code: the projection's plane through the mean).
    fn code_at(codes: Option<&MapCodes>, latent: usize, xy: [f32; 2]) -> Vec<f32> {
        match codes.and_then(|c| c.projection.as_ref()) {
            Some(p) => p
                .reconstruct(&[xy[0] as f64, xy[1] as f64])
                .into_iter()
                .map(|v| v as f32)
                .collect(),
            None => {
                let mut c = vec![0.0; latent];
                c.iter_mut().zip(xy).for_each(|(a, b)| *a = b);
                c
            }
        }
    }

    /// The codes at the centres of the cells of an n × n grid over `b` (x0, x1, y0, y1 on the
    /// map), row by row from the top (the largest y).
    fn grid_codes(codes: Option<&MapCodes>, latent: usize, b: &[f32], n: usize) -> Vec<f32> {
        let mut z = Vec::with_capacity(n * n * latent);
        for r in 0..n {
            for c in 0..n {
                let x = b[0] + (b[1] - b[0]) * (c as f32 + 0.5) / n as f32;
                let y = b[3] - (b[3] - b[2]) * (r as f32 + 0.5) / n as f32;
                z.extend(Self::code_at(codes, latent, [x, y]));
            }
        }
        z
    }

    /// A code from `code` (latent numbers) or `at` (a spot on the map).
    fn code_from(&mut self, fields: &Map<String, Value>) -> Result<Vec<f32>, WireError> {
        self.ensure_codes()?;
        let (model, codes) = self.parts()?;
        let latent = model.arch.latent_size();
        if fields.contains_key("at") {
            let at = numbers(fields, "at", Some(2))?;
            return Ok(Self::code_at(codes, latent, [at[0], at[1]]));
        }
        numbers(fields, "code", Some(latent))
    }

    /// The image the decoder makes of one code (anywhere on the plane: hovering the map).
    fn decode(&mut self, fields: &Map<String, Value>) -> Result<Frame, WireError> {
        let code = self.code_from(fields)?;
        let (model, codes) = self.parts()?;
        let image = model.decode_host(&code, 1);
        let at = Self::position(codes, &code);
        Ok(Frame::new(json!({"code": code, "position": at})).with("image", Arc::new(image)))
    }

    /// Map image `index`: its pixels, label, code, position and reconstruction.
    fn sample(&mut self, fields: &Map<String, Value>) -> Result<Frame, WireError> {
        self.ensure_codes()?;
        let n = self.map.as_ref().map_or(0, |d| d.images.len());
        let i = fields
            .get("index")
            .and_then(Value::as_u64)
            .map(|i| i as usize)
            .filter(|&i| i < n)
            .ok_or_else(|| {
                WireError::new(
                    "not_found",
                    format!(
                        "the map has no image {} (it has {n})",
                        fields.get("index").unwrap_or(&Value::Null)
                    ),
                )
            })?;
        let (pixels, label) = {
            let d = &self.map.as_ref().expect("n > 0").images;
            (d.sample(i).to_vec(), d.label(i))
        };
        let (model, codes) = self.parts()?;
        let code = model.encode_host(&pixels, 1);
        let reconstruction = model.decode_host(&code, 1);
        let error = LossKind::Mse.host(&reconstruction, &pixels);
        let at = Self::position(codes, &code);
        Ok(Frame::new(
            json!({"index": i, "label": label, "code": code, "position": at, "error": error}),
        )
        .with("image", Arc::new(pixels))
        .with("reconstruction", Arc::new(reconstruction)))
    }

    /// The code and reconstruction of one image (784 values in 0..=1).
    fn encode(&mut self, fields: &Map<String, Value>) -> Result<Frame, WireError> {
        let pixels = pixels(fields)?;
        self.ensure_codes()?;
        let (model, codes) = self.parts()?;
        // a VAE's μ and σ come from one pass; another model's code is a point
        let (code, sigma) = match Self::gaussian(model, &pixels) {
            Some((mu, sigma)) => (mu, Some(sigma)),
            None => (model.encode_host(&pixels, 1), None),
        };
        let reconstruction = model.decode_host(&code, 1);
        let error = LossKind::Mse.host(&reconstruction, &pixels);
        let at = Self::position(codes, &code);
        let mut header = json!({"error": error, "code": code, "position": at});
        if let Some(sigma) = sigma {
            // a VAE's code is a distribution: its 1-σ ellipse on an unprojected 2-D map
            if code.len() == 2 && codes.is_none_or(|c| c.projection.is_none()) {
                let ellipse: Vec<[f32; 2]> = (0..48)
                    .map(|k| {
                        let t = k as f32 / 48.0 * std::f32::consts::TAU;
                        [code[0] + sigma[0] * t.cos(), code[1] + sigma[1] * t.sin()]
                    })
                    .collect();
                header["ellipse"] = json!(ellipse);
            }
            header["sigma"] = json!(sigma);
        }
        Ok(Frame::new(header).with("reconstruction", Arc::new(reconstruction)))
    }

    /// A VAE's code distribution for one image: μ and σ (None for other models).
    fn gaussian(model: &Autoencoder, pixels: &[f32]) -> Option<(Vec<f32>, Vec<f32>)> {
        (model.arch.code() == Code::Gaussian).then(|| {
            let mut stats = model.encode_gaussian_host(pixels, 1);
            let sigma = stats
                .split_off(stats.len() / 2)
                .iter()
                .map(|v| (0.5 * v).exp())
                .collect();
            (stats, sigma)
        })
    }

    /// A VAE: decodes a sample z = μ + σ·ε of the drawn digit's code distribution (ε from
    /// `seed`).
    fn resample(&mut self, fields: &Map<String, Value>) -> Result<Frame, WireError> {
        let pixels = pixels(fields)?;
        let seed = whole(fields, "seed", (0, u32::MAX as usize), 1)? as u64;
        self.ensure_codes()?;
        let (model, codes) = self.parts()?;
        let (mu, sigma) = Self::gaussian(model, &pixels).ok_or_else(|| {
            WireError::invalid(
                "this model is not a VAE: its code is a point, with nothing to sample",
            )
        })?;
        let mut rng = Rng::new(seed);
        let code: Vec<f32> = mu
            .iter()
            .zip(&sigma)
            .map(|(m, s)| m + s * rng.normal() as f32)
            .collect();
        let image = model.decode_host(&code, 1);
        let at = Self::position(codes, &code);
        Ok(Frame::new(json!({"code": code, "position": at})).with("image", Arc::new(image)))
    }

    /// Decodes `count` codes drawn from the prior N(0, I) (`seed`): a VAE's samples.
    fn prior(&mut self, fields: &Map<String, Value>) -> Result<Frame, WireError> {
        let count = whole(fields, "count", (1, 64), 16)?;
        let seed = whole(fields, "seed", (0, u32::MAX as usize), 1)? as u64;
        let model = self.model()?;
        let latent = model.arch.latent_size();
        let mut rng = Rng::new(seed);
        let codes: Vec<f32> = (0..count * latent).map(|_| rng.normal() as f32).collect();
        let images = model.decode_host(&codes, 64);
        Ok(Frame::new(
            json!({"count": count, "seed": seed, "vae": model.arch.code() == Code::Gaussian}),
        )
        .with("images", Arc::new(images)))
    }

    /// How far apart codes of this model are: the diagonal of the codes' 1–99% box.
    fn code_scale(codes: Option<&MapCodes>) -> f32 {
        codes
            .map(|c| {
                c.ranges
                    .iter()
                    .map(|[a, b]| (b - a) * (b - a))
                    .sum::<f32>()
                    .sqrt()
            })
            .filter(|s| s.is_finite() && *s > 0.0)
            .unwrap_or(1.0)
    }

    /// x → decode(encode(x)) again and again from an image (or a code), until the code moves
    /// less than `eps` × the codes' spread (a fixed point) or `steps` rounds have run.
    fn iterate(&mut self, fields: &Map<String, Value>) -> Result<Frame, WireError> {
        let steps = whole(fields, "steps", (1, MAX_ITERATIONS), 100)?;
        let eps = fields.get("eps").and_then(Value::as_f64).unwrap_or(1e-4);
        if !(1e-9..=0.1).contains(&eps) {
            return Err(WireError::invalid("\"eps\" must be in 1e-9–0.1"));
        }
        let start = if fields.contains_key("pixels") {
            Some(pixels(fields)?)
        } else {
            None
        };
        let given = if start.is_none() {
            Some(self.code_from(fields)?)
        } else {
            self.ensure_codes()?;
            None
        };
        let (model, codes) = self.parts()?;
        let tol = eps as f32 * Self::code_scale(codes);
        let mut z = match (&start, given) {
            (Some(p), _) => model.encode_host(p, 1),
            (None, Some(c)) => c,
            (None, None) => unreachable!("one of the two"),
        };
        let mut path = vec![z.clone()];
        let mut images = Vec::new();
        let mut fixed = false;
        for _ in 0..steps {
            let x = model.decode_host(&z, 1);
            let next = model.encode_host(&x, 1);
            images.extend_from_slice(&x);
            let moved = distance(&next, &z);
            path.push(next.clone());
            z = next;
            if moved < tol {
                fixed = true;
                break;
            }
        }
        let positions: Vec<[f32; 2]> = path.iter().map(|c| Self::position(codes, c)).collect();
        Ok(Frame::new(json!({
            "codes": path, "positions": positions, "fixed": fixed,
            "iterations": path.len() - 1, "tolerance": tol,
        }))
        .with("images", Arc::new(images)))
    }

    /// The basin map: every cell of an n × n grid over `bounds` (x0, x1, y0, y1 on the map)
    /// iterated through encode(decode(z)) in one batch per round, each cell's end grouped
    /// with the fixed point it reached.
    fn basins(&mut self, fields: &Map<String, Value>) -> Result<Frame, WireError> {
        let t0 = std::time::Instant::now();
        let n = whole(fields, "grid", (2, MAX_GRID), 64)?;
        let rounds = whole(fields, "iterations", (1, MAX_ITERATIONS), 50)?;
        let b = numbers(fields, "bounds", Some(4))?;
        if b[1] <= b[0] || b[3] <= b[2] {
            return Err(WireError::invalid(
                "\"bounds\" are x0, x1, y0, y1 with x0 < x1 and y0 < y1",
            ));
        }
        self.ensure_codes()?;
        let (model, codes) = self.parts()?;
        let latent = model.arch.latent_size();
        let scale = Self::code_scale(codes);
        let mut z = Self::grid_codes(codes, latent, &b, n);
        let settle = 1e-4 * scale;
        let mut active: Vec<usize> = (0..n * n).collect();
        let mut ran = 0;
        while !active.is_empty() && ran < rounds {
            let batch: Vec<f32> = active
                .iter()
                .flat_map(|&i| z[i * latent..(i + 1) * latent].iter().copied())
                .collect();
            let next = model.encode_host(&model.decode_host(&batch, 1024), 1024);
            let mut still = Vec::with_capacity(active.len());
            for (k, &i) in active.iter().enumerate() {
                let new = &next[k * latent..(k + 1) * latent];
                let moved = distance(new, &z[i * latent..(i + 1) * latent]);
                z[i * latent..(i + 1) * latent].copy_from_slice(new);
                if moved >= settle {
                    still.push(i);
                }
            }
            active = still;
            ran += 1;
        }
        // group the ends: a cell joins the first fixed point within 2% of the codes' spread
        let join = 0.02 * scale;
        let mut points: Vec<(Vec<f32>, usize)> = Vec::new();
        let mut cells = vec![-1.0f32; n * n];
        for (i, cell) in cells.iter_mut().enumerate() {
            let end = &z[i * latent..(i + 1) * latent];
            match points.iter().position(|(p, _)| distance(p, end) < join) {
                Some(k) => {
                    *cell = k as f32;
                    points[k].1 += 1;
                }
                None if points.len() < 64 => {
                    *cell = points.len() as f32;
                    points.push((end.to_vec(), 1));
                }
                None => {}
            }
        }
        let flat: Vec<f32> = points.iter().flat_map(|(p, _)| p.iter().copied()).collect();
        let images = model.decode_host(&flat, 256);
        let described: Vec<Value> = points
            .iter()
            .map(|(p, count)| json!({"code": p, "position": Self::position(codes, p), "cells": count}))
            .collect();
        Ok(Frame::new(json!({
            "grid": n, "bounds": b, "rounds": ran, "unsettled": active.len(),
            "fixed_points": described, "ms": t0.elapsed().as_secs_f64() * 1000.0,
        }))
        .with("cells", Arc::new(cells))
        .with("images", Arc::new(images)))
    }

    /// Images decoded along the straight line from code `a` to code `b` (`steps` of them).
    fn interpolate(&mut self, fields: &Map<String, Value>) -> Result<Frame, WireError> {
        let steps = whole(fields, "steps", (2, 64), 10)?;
        let latent = self.model()?.arch.latent_size();
        let a = numbers(fields, "a", Some(latent))?;
        let b = numbers(fields, "b", Some(latent))?;
        let codes: Vec<f32> = (0..steps)
            .flat_map(|k| {
                let t = k as f32 / (steps - 1) as f32;
                a.iter()
                    .zip(&b)
                    .map(move |(x, y)| x + t * (y - x))
                    .collect::<Vec<_>>()
            })
            .collect();
        let images = self.model()?.decode_host(&codes, 64);
        Ok(Frame::new(json!({"steps": steps})).with("images", Arc::new(images)))
    }

    /// The decoder's image at the centre of every cell of an n × n grid over `bounds`.
    fn grid(&mut self, fields: &Map<String, Value>) -> Result<Frame, WireError> {
        let n = whole(fields, "grid", (2, 32), 16)?;
        let b = numbers(fields, "bounds", Some(4))?;
        self.ensure_codes()?;
        let (model, codes) = self.parts()?;
        let latent = model.arch.latent_size();
        let z = Self::grid_codes(codes, latent, &b, n);
        let images = model.decode_host(&z, 256);
        Ok(Frame::new(json!({"grid": n, "bounds": b})).with("images", Arc::new(images)))
    }

    /// The pixels of map images `indices` (thumbnails), at most 2,000 at a time.
    fn images(&mut self, fields: &Map<String, Value>) -> Result<Frame, WireError> {
        self.ensure_map()?;
        let map = self.map.as_ref().expect("ensured");
        let idx: Vec<usize> = fields
            .get("indices")
            .and_then(Value::as_array)
            .ok_or_else(|| WireError::malformed("\"indices\" must be an array"))?
            .iter()
            .map(|v| {
                v.as_u64()
                    .map(|i| i as usize)
                    .filter(|&i| i < map.images.len())
            })
            .collect::<Option<_>>()
            .ok_or_else(|| {
                WireError::invalid(format!(
                    "\"indices\" must be image numbers below {}",
                    map.images.len()
                ))
            })?;
        if idx.len() > 2000 {
            return Err(WireError::invalid("at most 2,000 images at a time"));
        }
        let images = map.images.subset(&idx).values;
        Ok(Frame::new(json!({"indices": idx})).with("images", Arc::new(images)))
    }

    /// One image through every shipped model of the current dataset (2-D and 30-D side by
    /// side): their reconstructions and errors.
    fn compare(&mut self, fields: &Map<String, Value>) -> Result<Frame, WireError> {
        let pixels = pixels(fields)?;
        let dataset = self.wanted_map().0;
        let mut described = Vec::new();
        let mut out = Vec::new();
        for m in shipped::MODELS.iter().filter(|m| m.dataset == dataset) {
            if !self.others.iter().any(|(n, _)| n == m.name) {
                let (_, model) = digit_model(m.name, m.bytes).map_err(WireError::invalid)?;
                self.others.push((m.name.to_string(), model));
            }
            let model = &self
                .others
                .iter()
                .find(|(n, _)| n == m.name)
                .expect("loaded")
                .1;
            let code = model.encode_host(&pixels, 1);
            let r = model.decode_host(&code, 1);
            let error = LossKind::Mse.host(&r, &pixels);
            described.push(json!({"name": m.name, "title": m.title,
                                  "latent": code.len(), "error": error}));
            out.extend(r);
        }
        Ok(Frame::new(json!({"models": described})).with("reconstructions", Arc::new(out)))
    }
}

impl PageJob for DigitsJob {
    type Settings = DigitsSettings;
    type Command = DigitsCommand;
    const NAME: &'static str = "digits";
    const TITLE: &'static str = "Digits Lab";
    /// As fast as it goes.
    const DEFAULT_SPEED: f64 = 0.0;
    const HEAVY: bool = true;
    /// The map's codes (2,000 of them) are recomputed for each snapshot while training: six
    /// or so a second.
    const PUBLISH_EVERY: std::time::Duration = std::time::Duration::from_millis(150);

    /// Which known datasets are present on this machine, and the trained model's layers.
    fn info(ctx: &Context) -> Value {
        let sets = datasets_json(&ctx.datasets_present());
        json!({"datasets": sets, "layers": DIGIT_LAYERS, "map_points": MAP_POINTS})
    }

    fn start(ctx: Arc<Context>) -> Result<Self, WireError> {
        let settings = DigitsSettings::default();
        let mut job = DigitsJob {
            present: ctx.datasets_present(),
            models: scan_models(&ctx.models_dir),
            download: DatasetDownload::default(),
            ctx,
            fixed: None,
            data: None,
            trainer: None,
            steps: 0,
            last_loss: None,
            inference: None,
            map: None,
            codes: None,
            others: Vec::new(),
            settings,
        };
        job.fixed = Some(job.load_fixed(&job.settings.model)?);
        Ok(job)
    }

    fn settings(&self) -> DigitsSettings {
        self.settings.clone()
    }

    fn configure(&mut self, next: DigitsSettings) -> Result<Change, WireError> {
        let a = &self.settings;
        let restart = a.dataset != next.dataset
            || a.train_size != next.train_size
            || a.seed != next.seed
            || a.batch != next.batch;
        let switched = a.model != next.model;
        if switched && next.model != TRAIN_MODEL {
            // the model is read before anything changes: a bad one changes nothing
            self.fixed = Some(self.load_fixed(&next.model)?);
        }
        if let Some(t) = &mut self.trainer
            && !restart
        {
            t.set_learning_rate(next.lr)?;
        }
        self.settings = next;
        if switched && !self.training() && !restart {
            // the trained model stays (pick "train" again to go on with it); training pauses
            return Ok(Change::Restarted);
        }
        if restart {
            self.drop_model();
            return Ok(Change::Restarted);
        }
        Ok(if switched {
            Change::Restarted
        } else {
            Change::Kept
        })
    }

    fn command(&mut self, cmd: DigitsCommand) -> Result<Change, WireError> {
        match cmd {
            DigitsCommand::Fetch { dataset } => {
                self.download.start(&self.ctx, &dataset)?;
                Ok(Change::Kept)
            }
            DigitsCommand::Rescan => {
                self.models = scan_models(&self.ctx.models_dir);
                Ok(Change::Kept)
            }
        }
    }

    fn poll(&mut self) -> bool {
        let (changed, finished) = self.download.poll();
        if finished {
            self.present = self.ctx.datasets_present();
        }
        changed
    }

    fn reset(&mut self) -> Result<(), WireError> {
        self.drop_model();
        Ok(())
    }

    fn step(&mut self) -> Result<Option<Progress>, WireError> {
        if !self.training() {
            return Err(WireError::invalid(
                "this model is already trained: pick \"Train your own\" to train one here",
            ));
        }
        self.ensure_trainer()?;
        let (trainer, data) = match (self.trainer.as_mut(), self.data.as_ref()) {
            (Some(t), Some(d)) => (t, d),
            _ => return Ok(None),
        };
        let s = trainer.step(&data.train).map_err(WireError::from)?;
        if s.epoch_done {
            trainer.end_epoch(None);
        }
        self.steps += 1;
        self.last_loss = Some(s.loss);
        Ok(Some(Progress {
            x: self.steps as f64 / trainer.steps_per_epoch() as f64,
            loss: s.loss,
        }))
    }

    fn origin(&self) -> Option<Progress> {
        None
    }

    fn frame(&mut self, _run: &RunState) -> Frame {
        let per_epoch = self.trainer.as_ref().map(Trainer::steps_per_epoch);
        let map_error = self.ensure_codes().err().map(|e| e.message);
        let training = self.training();
        let (model_title, layers, latent) = match (&self.fixed, training) {
            (Some(f), false) => (
                self.models
                    .iter()
                    .find(|m| m.name == f.name)
                    .map_or_else(|| f.name.clone(), |m| m.title.clone()),
                f.model.arch.describe(),
                f.model.arch.latent_size(),
            ),
            _ => (
                "Your model (trained here)".into(),
                architecture().describe(),
                2,
            ),
        };
        let vae = matches!((&self.fixed, training), (Some(f), false) if f.model.arch.code() == Code::Gaussian);
        let mut f = Frame::new(json!({
            "model": self.settings.model,
            "vae": vae,
            "title": model_title,
            "layers": layers,
            "latent": latent,
            "quality": if training { Value::Null } else { self.fixed.as_ref().map_or(Value::Null, |f| f.quality.clone()) },
            "models": self.models,
            "step": self.steps,
            "steps_per_epoch": per_epoch,
            "epoch": per_epoch.map(|p| self.steps as f64 / p as f64),
            "loss": self.last_loss,
            "datasets": datasets_json(&self.present),
            "map_error": map_error,
        }));
        if let Some(d) = self.download.state() {
            f.set("download", d);
        }
        if let (Some(c), Some(m)) = (&self.codes, &self.map) {
            f.set(
                "map",
                json!({
                    "dataset": m.dataset, "source": m.source, "count": m.images.len(),
                    "ranges": c.ranges, "class_means": c.class_means,
                    "projected": c.projection.is_some(), "latent": c.latent,
                    "vae": vae,
                }),
            );
            f = f
                .with("codes", c.positions.clone())
                .with("labels", m.labels.clone());
        }
        f
    }

    fn query(&mut self, name: &str, fields: &Map<String, Value>) -> Result<Frame, WireError> {
        match name {
            "encode" => self.encode(fields),
            "decode" => self.decode(fields),
            "sample" => self.sample(fields),
            "iterate" => self.iterate(fields),
            "basins" => self.basins(fields),
            "interpolate" => self.interpolate(fields),
            "grid" => self.grid(fields),
            "resample" => self.resample(fields),
            "prior" => self.prior(fields),
            "images" => self.images(fields),
            "compare" => self.compare(fields),
            _ => Err(WireError::new(
                "unknown_query",
                format!(
                    "the Digits Lab answers no query '{name}' (it answers encode, decode, sample, resample, prior, iterate, basins, interpolate, grid, images and compare)"
                ),
            )),
        }
    }
}

/// The Digits Lab's own messages: `{"type": "fetch", "dataset": "mnist"}` downloads a
/// dataset that is not on the machine (progress in the snapshots' `download`);
/// `{"type": "rescan"}` reads the models folder again.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum DigitsCommand {
    Fetch { dataset: String },
    Rescan,
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;
    use crate::runtime::{
        Budget,
        test_support::{Probe, test_data, wait_for},
    };

    fn probe(data_dir: PathBuf) -> Probe {
        probe_with(
            data_dir,
            std::env::temp_dir().join("hourglass-digits-no-models"),
        )
    }

    fn probe_with(data_dir: PathBuf, models_dir: PathBuf) -> Probe {
        let ctx = Arc::new(Context {
            data_dir: Some(data_dir),
            models_dir,
            budget: Budget::new(2),
            mirror: None,
        });
        Probe::with(crate::runtime::spawn::<DigitsJob>(ctx).expect("the job starts"))
    }

    #[test]
    fn trains_on_mnist_and_the_map_codes_move() {
        let p = probe(test_data());
        let hello = p.link.greeting();
        assert_eq!(hello["info"]["layers"], json!([784, 100, 50, 25, 2]));
        assert_eq!(
            hello["info"]["datasets"][0],
            json!({"name": "mnist", "present": true})
        );
        // the shipped 2-D model is on the map from the start
        let shipped = wait_for(&p, |f| !f.arrays.is_empty());
        assert_eq!(shipped.header["model"], "mnist-2d");
        p.send(r#"{"type":"configure","model":"train","train_size":1000,"batch":50}"#);
        let fresh = wait_for(&p, |f| f.header["model"] == "train");
        assert!(fresh.arrays.is_empty(), "no trained model before training");
        p.send(r#"{"type":"step"}"#);
        let first = wait_for(&p, |f| f.header["step"] == 1);
        let codes = |f: &Frame| {
            f.arrays
                .iter()
                .find(|(n, _)| *n == "codes")
                .unwrap()
                .1
                .clone()
        };
        let labels = &first.arrays.iter().find(|(n, _)| *n == "labels").unwrap().1;
        assert_eq!(codes(&first).len(), 2 * MAP_POINTS);
        assert_eq!(labels.len(), MAP_POINTS);
        assert!(labels.iter().all(|&l| (0.0..=9.0).contains(&l)));
        p.send(r#"{"type":"play"}"#);
        let later = wait_for(&p, |f| f.header["step"].as_u64() >= Some(60));
        assert_eq!(later.header["steps_per_epoch"], 20);
        assert!(later.header["epoch"].as_f64().unwrap() >= 3.0);
        let losses = later.header["run"]["losses"].as_array().unwrap();
        let (l0, l1) = (
            losses[0][1].as_f64().unwrap(),
            losses.last().unwrap()[1].as_f64().unwrap(),
        );
        assert!(l1 < 0.8 * l0, "loss {l0} -> {l1}");
        assert_ne!(codes(&later), codes(&first));
        // the code of one image asked for on its own is the one the map shows for it
        p.send(r#"{"type":"pause"}"#);
        let paused = wait_for(&p, |f| f.header["run"]["training"] == false);
        let step = paused.header["step"].as_u64();
        let now = wait_for(&p, |f| {
            f.header["step"].as_u64() == step && !f.arrays.is_empty()
        });
        let ds =
            hourglass_data::load_known(known("mnist").unwrap(), Some(&test_data()), Split::Test)
                .unwrap();
        let order = shipped::sample_indices(ds.len());
        let pixels: Vec<f32> = ds.sample(order[0]).to_vec();
        p.send(&json!({"type": "query", "id": 5, "query": "encode", "pixels": pixels}).to_string());
        let crate::runtime::Outgoing::Frame(answer) = p.reply() else {
            panic!("no answer")
        };
        let code: Vec<f64> = serde_json::from_value(answer.header["code"].clone()).unwrap();
        let map = codes(&now);
        assert!(
            (code[0] - map[0] as f64).abs() < 1e-5 && (code[1] - map[1] as f64).abs() < 1e-5,
            "{code:?} vs {:?}",
            &map[..2]
        );
        assert_eq!(answer.arrays[0].1.len(), 784);
        assert!(answer.header["error"].as_f64().unwrap() < 0.2);
        // decoding that code gives back the reconstruction (the page's hover path)
        p.send(&json!({"type": "query", "id": 7, "query": "decode", "code": code}).to_string());
        let crate::runtime::Outgoing::Frame(image) = p.reply() else {
            panic!("no answer")
        };
        let (a, b) = (&image.arrays[0].1, &answer.arrays[0].1);
        assert!(a.iter().zip(b.iter()).all(|(x, y)| (x - y).abs() < 1e-5));
        // a dot of the map: its image, label, and the same code
        p.send(r#"{"type":"query","id":9,"query":"sample","index":0}"#);
        let crate::runtime::Outgoing::Frame(dot) = p.reply() else {
            panic!("no answer")
        };
        assert_eq!(dot.arrays[0].1.as_slice(), pixels.as_slice());
        assert_eq!(
            dot.header["label"].as_u64(),
            ds.label(order[0]).map(u64::from)
        );
        assert_eq!(dot.header["code"], answer.header["code"]);
        let bad = p.answer_error(r#"{"type":"query","id":10,"query":"sample","index":2000}"#);
        assert!(bad.contains("no image 2000"), "{bad}");
        let bad = p.answer_error(r#"{"type":"query","id":8,"query":"decode","code":[1]}"#);
        assert!(bad.contains("2 finite numbers"), "{bad}");
        let bad = p.answer_error(r#"{"type":"query","id":6,"query":"encode","pixels":[1,2]}"#);
        assert!(bad.contains("784"), "{bad}");
        // the learning rate changes between steps; a new seed starts again
        p.send(r#"{"type":"configure","lr":0.0003}"#);
        wait_for(&p, |f| f.header["settings"]["lr"] == 0.0003);
        p.send(r#"{"type":"configure","seed":2}"#);
        let r = wait_for(&p, |f| f.header["step"] == 0);
        assert_eq!(r.header["run"]["training"], false);
        assert!(r.arrays.is_empty());
    }

    #[test]
    fn without_the_dataset_training_stops_and_says_where_it_looked() {
        let empty = std::env::temp_dir().join("hourglass-no-datasets-here");
        std::fs::create_dir_all(&empty).unwrap();
        let p = probe(empty.clone());
        // an already-trained model does not train (and says how to)
        p.send(r#"{"type":"step"}"#);
        let s = wait_for(&p, |f| f.header["run"]["notice"].is_object());
        let text = s.header["run"]["notice"]["text"].as_str().unwrap();
        assert!(text.contains("Train your own"), "{text}");
        p.send(r#"{"type":"configure","model":"train"}"#);
        p.send(r#"{"type":"step"}"#);
        let s = wait_for(&p, |f| {
            f.header["run"]["notice"]["text"]
                .as_str()
                .is_some_and(|t| !t.contains("Train your own"))
        });
        let text = s.header["run"]["notice"]["text"].as_str().unwrap();
        // found elsewhere on this machine (the user cache), or named where it was looked for
        assert!(
            text.contains(&empty.join("mnist").display().to_string()),
            "{text}"
        );
        assert_eq!(s.header["run"]["training"], false);
    }

    /// The answer to one query (panics on an error).
    fn ask(p: &Probe, q: Value) -> Frame {
        p.send(&q.to_string());
        match p.reply() {
            crate::runtime::Outgoing::Frame(f) => f,
            crate::runtime::Outgoing::Error(e) => panic!("{q}: {}", e.message),
        }
    }

    fn array<'a>(f: &'a Frame, name: &str) -> &'a [f32] {
        &f.arrays.iter().find(|(n, _)| *n == name).unwrap().1
    }

    #[test]
    fn iteration_stops_at_a_fixed_point_and_the_basin_map_agrees_with_it() {
        let p = probe(test_data());
        let first = wait_for(&p, |f| !f.arrays.is_empty());
        assert_eq!(first.header["map"]["count"], 10_000, "the whole test split");
        // from the first test image: encode→decode until the code stops moving
        let it = ask(
            &p,
            json!({"type": "query", "id": 1, "query": "sample", "index": 0}),
        );
        let image = array(&it, "image").to_vec();
        let f = ask(
            &p,
            json!({"type": "query", "id": 2, "query": "iterate", "pixels": image, "steps": 200}),
        );
        assert_eq!(f.header["fixed"], true, "{:?}", f.header);
        let path: Vec<Vec<f32>> = serde_json::from_value(f.header["codes"].clone()).unwrap();
        let n = f.header["iterations"].as_u64().unwrap() as usize;
        assert_eq!(path.len(), n + 1);
        assert_eq!(array(&f, "images").len(), n * 784);
        // the end is a fixed point of the model: one more round leaves it (almost) in place
        let end = path.last().unwrap();
        let again = ask(
            &p,
            json!({"type": "query", "id": 3, "query": "decode", "code": end}),
        );
        let back = ask(
            &p,
            json!({"type": "query", "id": 4, "query": "encode",
            "pixels": array(&again, "image").iter().map(|v| v.clamp(0.0, 1.0)).collect::<Vec<_>>()}),
        );
        let code: Vec<f32> = serde_json::from_value(back.header["code"].clone()).unwrap();
        let tol = f.header["tolerance"].as_f64().unwrap() as f32;
        assert!(distance(&code, end) < 2.0 * tol, "{code:?} vs {end:?}");
        // the basin map: cells iterated one by one end at their cell's fixed point
        let bounds = [-10.0f32, 10.0, -10.0, 10.0];
        let b = ask(
            &p,
            json!({"type": "query", "id": 5, "query": "basins", "grid": 8,
            "iterations": 100, "bounds": bounds}),
        );
        let cells = array(&b, "cells");
        assert_eq!(cells.len(), 64);
        let points: Vec<Value> = serde_json::from_value(b.header["fixed_points"].clone()).unwrap();
        assert!(!points.is_empty());
        assert_eq!(array(&b, "images").len(), points.len() * 784);
        let counted: u64 = points.iter().map(|p| p["cells"].as_u64().unwrap()).sum();
        assert_eq!(
            counted as usize,
            cells.iter().filter(|&&c| c >= 0.0).count()
        );
        for (k, cell) in [0usize, 9, 27, 36, 63].into_iter().enumerate() {
            let id = cells[cell];
            if id < 0.0 {
                continue;
            }
            let (r, c) = (cell / 8, cell % 8);
            let at = [
                -10.0 + 20.0 * (c as f32 + 0.5) / 8.0,
                10.0 - 20.0 * (r as f32 + 0.5) / 8.0,
            ];
            let one = ask(
                &p,
                json!({"type": "query", "id": 10 + k, "query": "iterate",
                "at": at, "steps": 100}),
            );
            let path: Vec<Vec<f32>> = serde_json::from_value(one.header["codes"].clone()).unwrap();
            let fp: Vec<f32> = serde_json::from_value(points[id as usize]["code"].clone()).unwrap();
            let end = path.last().unwrap();
            let spread = distance(
                &serde_json::from_value::<Vec<f32>>(points[0]["code"].clone()).unwrap(),
                &fp,
            );
            // within the basin map's grouping distance (2% of the codes' spread), loosely
            assert!(
                distance(end, &fp) < 0.05 * 40.0f32.max(spread),
                "cell {cell}: one by one {end:?}, in the map {fp:?}"
            );
        }
        // interpolation: the ends are the decoded ends
        let a = [0.0f32, 0.0];
        let z = [5.0f32, 5.0];
        let line = ask(
            &p,
            json!({"type": "query", "id": 20, "query": "interpolate", "a": a, "b": z, "steps": 5}),
        );
        let imgs = array(&line, "images");
        assert_eq!(imgs.len(), 5 * 784);
        let end = ask(
            &p,
            json!({"type": "query", "id": 21, "query": "decode", "code": z}),
        );
        let last = &imgs[4 * 784..];
        assert!(
            last.iter()
                .zip(array(&end, "image"))
                .all(|(x, y)| (x - y).abs() < 1e-5)
        );
        // 2-D against 30-D on the same image: the wider code rebuilds it better
        let cmp = ask(
            &p,
            json!({"type": "query", "id": 22, "query": "compare", "pixels": image}),
        );
        let models = cmp.header["models"].as_array().unwrap();
        assert_eq!(models.len(), 2);
        assert!(
            models[1]["error"].as_f64() < models[0]["error"].as_f64(),
            "{models:?}"
        );
        assert_eq!(array(&cmp, "reconstructions").len(), 2 * 784);
        // the 30-D model: 30 sliders' ranges, its codes placed on the map by PCA
        p.send(r#"{"type":"configure","model":"mnist-30d"}"#);
        let wide = wait_for(&p, |f| f.header["map"]["latent"] == 30);
        assert_eq!(wide.header["map"]["ranges"].as_array().unwrap().len(), 30);
        assert_eq!(wide.header["map"]["projected"], true);
        assert_eq!(array(&wide, "codes").len(), 20_000);
        let d = ask(
            &p,
            json!({"type": "query", "id": 23, "query": "decode", "at": [0.5, -0.5]}),
        );
        assert_eq!(d.header["code"].as_array().unwrap().len(), 30);
        let pos: Vec<f32> = serde_json::from_value(d.header["position"].clone()).unwrap();
        assert!(
            (pos[0] - 0.5).abs() < 1e-3 && (pos[1] + 0.5).abs() < 1e-3,
            "{pos:?}"
        );
        // a model that is not there is refused, and the page keeps the one it had
        let e = p.answer_error(r#"{"type":"configure","model":"file:nothing.safetensors"}"#);
        assert!(e.contains("nothing.safetensors"), "{e}");
        let e = p.answer_error(r#"{"type":"configure","model":"file:../etc/passwd"}"#);
        assert!(e.contains("letters, digits"), "{e}");
    }

    /// Mean squared error of `model` over `data`.
    fn test_mse(model: &Autoencoder, data: &Dataset) -> f64 {
        let r = model.reconstruct_host(&data.values, 1000);
        r.iter()
            .zip(&data.values)
            .map(|(a, b)| ((a - b) as f64).powi(2))
            .sum::<f64>()
            / data.values.len() as f64
    }

    #[test]
    fn the_shipped_models_beat_pca_as_their_manifest_says() {
        assert!(
            shipped::total_bytes() <= 8 << 20,
            "{} bytes shipped",
            shipped::total_bytes()
        );
        let dir = test_data();
        for (name, bound) in [("mnist-2d", 0.75), ("mnist-30d", 0.6), ("fashion-2d", 0.9)] {
            let m = shipped::model(name).unwrap();
            let q = shipped::quality(name).unwrap();
            let ds = known(m.dataset).unwrap();
            let test = load_known(ds, Some(&dir), Split::Test).unwrap();
            let (_, model) = digit_model(name, m.bytes).unwrap();
            let mse = test_mse(&model, &test);
            assert!(
                (mse - q.test_mse).abs() < 1e-4,
                "{name}: {mse} vs recorded {}",
                q.test_mse
            );
            // PCA with as many components, fitted on the train split
            let train = load_known(ds, Some(&dir), Split::Train).unwrap();
            let f64s = |v: &[f32]| v.iter().map(|&x| x as f64).collect::<Vec<_>>();
            let pca = Pca::fit(&f64s(&train.values), 784, q.pca_components).unwrap();
            let pca_mse = pca.reconstruction_mse(&f64s(&test.values));
            assert!(
                (pca_mse - q.pca_test_mse).abs() < 1e-4,
                "{name}: PCA {pca_mse} vs recorded {}",
                q.pca_test_mse
            );
            assert!(
                mse <= bound * pca_mse,
                "{name}: {mse} > {bound} × PCA {pca_mse}"
            );
        }
        // the shipped samples are the fixed draw of the test split, labels included
        let s = shipped::sample("mnist").unwrap().unwrap();
        let test = load_known(known("mnist").unwrap(), Some(&dir), Split::Test).unwrap();
        let idx = shipped::sample_indices(test.len());
        assert_eq!(s.len(), 2000);
        assert_eq!(s.sample(7), test.sample(idx[7]));
        assert_eq!(s.label(1999), test.label(idx[1999]));
    }

    #[test]
    fn the_models_folder_is_in_the_picker_and_a_bad_file_says_why() {
        let dir =
            std::env::temp_dir().join(format!("hourglass-digits-models-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("mine.safetensors"),
            shipped::model("fashion-2d").unwrap().bytes,
        )
        .unwrap();
        std::fs::write(dir.join("broken.safetensors"), b"not a checkpoint").unwrap();
        std::fs::write(dir.join("notes.txt"), b"ignored").unwrap();
        let p = probe_with(test_data(), dir.clone());
        let f = wait_for(&p, |f| !f.arrays.is_empty());
        let models: Vec<Value> = serde_json::from_value(f.header["models"].clone()).unwrap();
        let names: Vec<&str> = models.iter().map(|m| m["name"].as_str().unwrap()).collect();
        assert_eq!(
            names,
            [
                "mnist-2d",
                "mnist-30d",
                "fashion-2d",
                "fashion-30d",
                "train",
                "file:broken.safetensors",
                "file:mine.safetensors"
            ]
        );
        let broken = &models[5];
        assert!(
            broken["error"]
                .as_str()
                .unwrap()
                .contains("broken.safetensors"),
            "{broken}"
        );
        assert_eq!(models[6]["error"], Value::Null);
        assert_eq!(models[6]["dataset"], "fashion-mnist");
        // the good one is shown on Fashion-MNIST's test images; the broken one is refused
        p.send(r#"{"type":"configure","model":"file:mine.safetensors"}"#);
        let mine = wait_for(&p, |f| {
            f.header["model"] == "file:mine.safetensors"
                && f.header["map"]["dataset"] == "fashion-mnist"
        });
        assert_eq!(mine.header["map"]["count"], 10_000);
        let e = p.answer_error(r#"{"type":"configure","model":"file:broken.safetensors"}"#);
        assert!(e.contains("cannot use broken.safetensors"), "{e}");
        // a file added later appears when the folder is read again
        std::fs::write(
            dir.join("later.safetensors"),
            shipped::model("mnist-2d").unwrap().bytes,
        )
        .unwrap();
        p.send(r#"{"type":"rescan"}"#);
        wait_for(&p, |f| {
            f.header["models"].as_array().is_some_and(|m| m.len() == 8)
        });
        // the training split's 60,000 codes on request
        p.send(r#"{"type":"configure","map":"train"}"#);
        let big = wait_for(&p, |f| f.header["map"]["count"] == 60_000);
        assert_eq!(array(&big, "codes").len(), 120_000);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
