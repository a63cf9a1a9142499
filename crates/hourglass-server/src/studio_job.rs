//! The Model Studio's job: build a dense or conv autoencoder of 28×28 images, train it here
//! step by step on the heavy-work budget (the same `Trainer`, split and initial weights as
//! `hourglass train`, so a run here is the run the CLI makes of the same configuration), look
//! inside it, and keep it in the models folder.
//!
//! The architecture is settings like any other (`kind`, `layers`, `convs`, `latent`, …); one
//! that cannot be built is refused with the field, the layer and the reason, and changes
//! nothing. The `check` query answers the same for settings not yet applied, so the page can
//! explain an impossible configuration where it is made. Every epoch ends with the validation
//! set's loss, PSNR and SSIM and a fixed grid of 16 validation images reconstructed; the
//! snapshot says when it changed. Queries: `check`, `grid` (the 16 images and their
//! reconstructions), `activations` (every layer for one image), `filters` (the first
//! layer's weights as pictures), `codes` (a 2-D model's map of the validation images),
//! `compare` (two models on the test set: metrics, loss
//! curves, the same 16 images reconstructed).
//! Commands: `stop` (ends the epoch part-way, keeps the model), `more` (one more epoch),
//! `save`, `load`, `delete`, `rename`, `rescan`, `fetch` (download MNIST or Fashion-MNIST).

use std::sync::Arc;

use hourglass_core::{
    architecture::{Architecture, Code, ConvLayer},
    checkpoint::{Checkpoint, DatasetInfo, EpochLoss, FORMAT_VERSION, ModelConfig, TrainingInfo},
    data::{Dataset, Scaling, Split},
    glass::Activation,
    settings::{Field, Settings},
    tensor::{
        Autoencoder, LossKind, Optimizer, TrainOptions, Trainer, epoch_figures, evaluate,
        inference_device, initial_tensors, objective_for, training_device,
    },
    variant::{Noise, Sparsity, Variant, VariantOptions},
};
use hourglass_lab::{FetchWatch, ModelStore};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::runtime::{
    Change, Context, Frame, PageJob, Progress, RunState, Series, WireError, datasets_json,
    fields::{PIXELS, pixels, whole},
};

/// Validation images shown above their reconstructions.
pub const GRID: usize = 16;
/// Most hidden dense layers, and most conv layers.
pub const MAX_HIDDEN: usize = 8;
pub const MAX_CONVS: usize = 6;
/// Widest dense layer, most filters of a conv layer.
pub const MAX_WIDTH: usize = 4096;
pub const MAX_FILTERS: usize = 256;
/// Largest model the Studio builds (weights and biases).
pub const MAX_PARAMS: usize = 20_000_000;
/// First-layer filters shown at most.
const MAX_FILTER_IMAGES: usize = 64;
/// Names of the activation arrays of an `activations` answer, layer by layer.
const LAYER_ARRAYS: [&str; 24] = [
    "a0", "a1", "a2", "a3", "a4", "a5", "a6", "a7", "a8", "a9", "a10", "a11", "a12", "a13", "a14",
    "a15", "a16", "a17", "a18", "a19", "a20", "a21", "a22", "a23",
];

/// The Model Studio's settings: the data, the model's shape, and how it trains.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StudioSettings {
    /// `mnist`, `fashion-mnist`, or `upload:<file>`: a data set uploaded from the page.
    pub dataset: String,
    /// Training images used (the first of the train split), before the validation split.
    pub train_size: u64,
    /// `dense` or `conv`.
    pub kind: String,
    /// A dense model's hidden layer sizes between the input and the code, e.g. `256,128`
    /// (may be empty).
    pub layers: String,
    /// A conv model's layers, `filters:kernel:stride:padding` each, e.g. `16:3:2:1,32:3:2:1`.
    pub convs: String,
    /// The code's size.
    pub latent: u64,
    /// The hidden activation (every layer of a conv model; a dense model's layers unless
    /// `activations` gives each its own).
    pub activation: String,
    /// A dense model's activation per hidden layer, e.g. `relu,tanh` (empty: `activation`
    /// for all).
    pub activations: String,
    pub output: String,
    pub loss: String,
    pub optimizer: String,
    pub lr: f64,
    /// SGD's momentum (Adam keeps its own moments).
    pub momentum: f64,
    pub batch: u64,
    /// Epochs the model is trained for (in all).
    pub epochs: u64,
    pub val_split: f64,
    pub seed: u64,
    /// The kind of autoencoder: plain, denoising, vae, sparse or contractive.
    pub variant: String,
    /// Denoising: gaussian, mask or salt-pepper, at `noise_level` (σ, or the fraction of
    /// pixels).
    pub noise: String,
    pub noise_level: f64,
    /// VAE: the KL term's weight.
    pub beta: f64,
    /// Sparse: `l1` (weight `sparsity_weight`) or `kl` (toward `rho`, weight `sparsity_weight`).
    pub sparsity: String,
    pub sparsity_weight: f64,
    pub rho: f64,
    /// Contractive: the weight of ‖J‖²_F.
    pub contraction: f64,
    /// The code layer: `auto` (the variant's), linear, relu or sigmoid.
    pub code: String,
}

impl Default for StudioSettings {
    fn default() -> Self {
        StudioSettings {
            dataset: "mnist".into(),
            train_size: 60_000,
            kind: "dense".into(),
            layers: "256,128".into(),
            convs: "16:3:2:1,32:3:2:1".into(),
            latent: 32,
            activation: "relu".into(),
            activations: String::new(),
            output: "sigmoid".into(),
            loss: "mse".into(),
            optimizer: "adam".into(),
            lr: 0.001,
            momentum: 0.9,
            batch: 128,
            epochs: 10,
            val_split: 0.1,
            seed: 1,
            variant: "plain".into(),
            noise: "gaussian".into(),
            noise_level: 0.5,
            beta: 1.0,
            sparsity: "l1".into(),
            sparsity_weight: 1e-4,
            rho: 0.05,
            contraction: 1e-4,
            code: "auto".into(),
        }
    }
}

impl Settings for StudioSettings {
    fn schema() -> Vec<Field> {
        vec![
            Field::text("dataset", "dataset", 120),
            Field::whole("train_size", "training images", (100, 60_000))
                .offering(&[1_000.0, 10_000.0, 60_000.0]),
            Field::choice(
                "kind",
                "kind",
                &[("dense", "dense layers"), ("conv", "convolutions")],
            ),
            Field::text("layers", "hidden layers", 200),
            Field::text("convs", "conv layers", 200),
            Field::text("activations", "activation per hidden layer", 200),
            Field::whole("latent", "code size", (1, 1024)).offering(&[2.0, 8.0, 32.0, 64.0]),
            Field::choice(
                "activation",
                "activation (all hidden layers)",
                &[
                    ("relu", "ReLU"),
                    ("leaky-relu", "leaky ReLU"),
                    ("tanh", "tanh"),
                    ("sigmoid", "sigmoid"),
                    ("linear", "linear"),
                ],
            ),
            Field::choice(
                "output",
                "output",
                &[("sigmoid", "sigmoid (0 to 1)"), ("linear", "linear")],
            ),
            Field::choice(
                "loss",
                "loss",
                &[
                    ("mse", "mean squared error"),
                    ("bce", "binary cross-entropy"),
                ],
            ),
            Field::choice(
                "optimizer",
                "optimizer",
                &[("adam", "Adam"), ("sgd", "SGD with momentum")],
            ),
            Field::number("lr", "learning rate", (1e-5, 1.0))
                .log()
                .offering(&[1e-4, 3e-4, 1e-3, 3e-3, 0.01, 0.1]),
            Field::number("momentum", "momentum", (0.0, 0.99)).offering(&[0.0, 0.5, 0.9, 0.99]),
            Field::whole("batch", "batch size", (1, 4096)).offering(&[32.0, 64.0, 128.0, 256.0]),
            Field::whole("epochs", "epochs", (1, 1000)).offering(&[1.0, 5.0, 10.0, 30.0]),
            Field::number("val_split", "validation share", (0.0, 0.5)).offering(&[0.0, 0.1, 0.2]),
            Field::seed(),
            Field::choice(
                "variant",
                "variant",
                &[
                    ("plain", "plain"),
                    ("denoising", "denoising"),
                    ("vae", "variational (VAE)"),
                    ("sparse", "sparse"),
                    ("contractive", "contractive"),
                ],
            ),
            Field::choice(
                "noise",
                "noise",
                &[
                    ("gaussian", "Gaussian (σ)"),
                    ("mask", "masking (share of pixels)"),
                    ("salt-pepper", "salt and pepper (share of pixels)"),
                ],
            ),
            Field::number("noise_level", "noise level", (0.01, 1.0))
                .offering(&[0.1, 0.3, 0.5, 0.8]),
            Field::number("beta", "β (KL weight)", (0.0, 100.0)).offering(&[0.5, 1.0, 4.0]),
            Field::choice(
                "sparsity",
                "sparsity penalty",
                &[("l1", "L1 on the code"), ("kl", "KL toward ρ")],
            ),
            Field::number("sparsity_weight", "sparsity weight", (1e-6, 10.0))
                .log()
                .offering(&[1e-5, 1e-4, 1e-3, 0.1, 1.0, 3.0]),
            Field::number("rho", "target activation ρ", (0.01, 0.5)).offering(&[0.01, 0.05, 0.1]),
            Field::number("contraction", "contraction weight λ", (1e-6, 10.0))
                .log()
                .offering(&[1e-5, 1e-4, 1e-3, 1e-2]),
            Field::choice(
                "code",
                "code layer",
                &[
                    ("auto", "the variant's"),
                    ("linear", "linear"),
                    ("relu", "ReLU"),
                    ("sigmoid", "sigmoid"),
                ],
            ),
        ]
    }
}

/// Why settings cannot be built into a model: the field, the 1-based layer where there is
/// one, and the reason.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ConfigError {
    pub field: &'static str,
    pub layer: Option<usize>,
    pub message: String,
}

impl ConfigError {
    fn new(field: &'static str, layer: Option<usize>, message: impl Into<String>) -> Self {
        ConfigError {
            field,
            layer,
            message: message.into(),
        }
    }
}

impl From<ConfigError> for WireError {
    fn from(e: ConfigError) -> Self {
        WireError::invalid(e.message)
    }
}

/// The parts of a comma-separated list (none for an empty one).
fn parts(text: &str) -> Vec<&str> {
    if text.trim().is_empty() {
        vec![]
    } else {
        text.split(',').map(str::trim).collect()
    }
}

/// A dense model's hidden layer sizes, or which one is wrong and why.
fn hidden_layers(text: &str) -> Result<Vec<usize>, ConfigError> {
    let parts = parts(text);
    if parts.len() > MAX_HIDDEN {
        return Err(ConfigError::new(
            "layers",
            Some(MAX_HIDDEN + 1),
            format!(
                "{} hidden layers: the Studio builds at most {MAX_HIDDEN}",
                parts.len()
            ),
        ));
    }
    parts
        .iter()
        .enumerate()
        .map(|(i, p)| match p.parse::<usize>() {
            Ok(n) if (1..=MAX_WIDTH).contains(&n) => Ok(n),
            _ => Err(ConfigError::new(
                "layers",
                Some(i + 1),
                format!(
                    "hidden layer {}: '{p}' is not a size from 1 to {MAX_WIDTH}",
                    i + 1
                ),
            )),
        })
        .collect()
}

/// A dense model's activation per hidden layer (none: every layer uses the model's one), or
/// which one is wrong and why.
fn hidden_activations(text: &str, hidden: usize) -> Result<Vec<Activation>, ConfigError> {
    let parts = parts(text);
    if parts.is_empty() {
        return Ok(vec![]);
    }
    if parts.len() != hidden {
        return Err(ConfigError::new(
            "activations",
            None,
            format!(
                "{} activations for {hidden} hidden layer{}: give one per layer",
                parts.len(),
                if hidden == 1 { "" } else { "s" }
            ),
        ));
    }
    parts
        .iter()
        .enumerate()
        .map(|(i, p)| {
            p.parse::<Activation>().map_err(|e| {
                ConfigError::new(
                    "activations",
                    Some(i + 1),
                    format!("hidden layer {}: {e}", i + 1),
                )
            })
        })
        .collect()
}

/// A conv model's layers, or which one is wrong and why.
fn conv_layers(text: &str) -> Result<Vec<ConvLayer>, ConfigError> {
    let parts = parts(text);
    if parts.is_empty() {
        return Err(ConfigError::new(
            "convs",
            Some(1),
            "a conv model needs at least one conv layer",
        ));
    }
    if parts.len() > MAX_CONVS {
        return Err(ConfigError::new(
            "convs",
            Some(MAX_CONVS + 1),
            format!(
                "{} conv layers: the Studio builds at most {MAX_CONVS}",
                parts.len()
            ),
        ));
    }
    parts
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let bad = |why: String| {
                ConfigError::new("convs", Some(i + 1), format!("conv layer {}: {why}", i + 1))
            };
            let nums: Vec<usize> = p
                .split(':')
                .map(|s| s.trim().parse::<usize>())
                .collect::<Result<_, _>>()
                .map_err(|_| bad(format!("'{p}' is not filters:kernel:stride:padding")))?;
            let [filters, kernel, stride, padding] = nums[..] else {
                return Err(bad(format!(
                    "'{p}' is not filters:kernel:stride:padding (four whole numbers)"
                )));
            };
            if !(1..=MAX_FILTERS).contains(&filters) {
                return Err(bad(format!("{filters} filters: give 1 to {MAX_FILTERS}")));
            }
            if !(1..=15).contains(&kernel) {
                return Err(bad(format!("a {kernel}×{kernel} kernel: give 1 to 15")));
            }
            if !(1..=8).contains(&stride) {
                return Err(bad(format!("stride {stride}: give 1 to 8")));
            }
            if padding >= kernel {
                return Err(bad(format!(
                    "padding {padding} is not smaller than the kernel ({kernel})"
                )));
            }
            Ok(ConvLayer {
                filters,
                kernel,
                stride,
                padding,
            })
        })
        .collect()
}

/// The model the settings describe, or why it cannot be built (which field, which layer).
/// The variant the settings train, with its options.
pub fn variant_of(s: &StudioSettings) -> Result<Variant, ConfigError> {
    let bad = |field: &'static str| {
        move |e: hourglass_core::Error| ConfigError::new(field, None, e.to_string())
    };
    let noise: Noise = format!("{}:{}", s.noise, s.noise_level)
        .parse()
        .map_err(bad("noise"))?;
    let sparsity = match s.sparsity.as_str() {
        "kl" => Sparsity::Kl {
            rho: s.rho,
            beta: s.sparsity_weight,
        },
        _ => Sparsity::L1 {
            weight: s.sparsity_weight,
        },
    };
    let opts = VariantOptions {
        noise,
        beta: s.beta,
        sparsity,
        contraction: s.contraction,
    };
    Variant::from_name(&s.variant, &opts).map_err(bad("variant"))
}

/// Settings that train `variant` with code layer `code` (a loaded model's).
fn set_variant(s: &mut StudioSettings, variant: Variant, code: Code) {
    s.variant = variant.name().into();
    s.code = if code == variant.default_code() {
        "auto".into()
    } else {
        code.name().into()
    };
    match variant {
        Variant::Plain => {}
        Variant::Denoising { noise } => {
            let (kind, level) = match noise {
                Noise::Gaussian { sigma } => ("gaussian", sigma),
                Noise::Mask { fraction } => ("mask", fraction),
                Noise::SaltPepper { fraction } => ("salt-pepper", fraction),
            };
            s.noise = kind.into();
            s.noise_level = level.clamp(0.01, 1.0);
        }
        Variant::Vae { beta } => s.beta = beta.clamp(0.0, 100.0),
        Variant::Sparse { penalty } => match penalty {
            Sparsity::L1 { weight } => {
                s.sparsity = "l1".into();
                s.sparsity_weight = weight.clamp(1e-6, 10.0);
            }
            Sparsity::Kl { rho, beta } => {
                s.sparsity = "kl".into();
                s.rho = rho.clamp(0.01, 0.5);
                s.sparsity_weight = beta.clamp(1e-6, 10.0);
            }
        },
        Variant::Contractive { weight } => s.contraction = weight.clamp(1e-6, 10.0),
    }
}

/// The code layer the settings ask for (`auto`: the variant's), checked against the variant.
fn code_of(s: &StudioSettings, variant: Variant) -> Result<Code, ConfigError> {
    let code = if s.code == "auto" {
        variant.default_code()
    } else {
        s.code
            .parse()
            .map_err(|e: hourglass_core::Error| ConfigError::new("code", None, e.to_string()))?
    };
    variant
        .check_code(code)
        .map_err(|e| ConfigError::new("code", None, e.to_string()))?;
    Ok(code)
}

pub fn architecture(s: &StudioSettings) -> Result<Architecture, ConfigError> {
    let code = code_of(s, variant_of(s)?)?;
    let activation: Activation = s
        .activation
        .parse()
        .map_err(|e: hourglass_core::Error| ConfigError::new("activation", None, e.to_string()))?;
    let output: Activation = s
        .output
        .parse()
        .map_err(|e: hourglass_core::Error| ConfigError::new("output", None, e.to_string()))?;
    let latent = s.latent as usize;
    let arch = match s.kind.as_str() {
        "dense" => {
            let hidden = hidden_layers(&s.layers)?;
            let each = hidden_activations(&s.activations, hidden.len())?;
            let mut layers = vec![PIXELS];
            layers.extend(hidden);
            layers.push(latent);
            // one activation for all is said once (the checkpoint of such a model is the
            // CLI's); different ones are kept per layer
            let (activation, activations) = match each.first() {
                Some(&first) if each.iter().all(|&a| a == first) => (first, vec![]),
                Some(_) => (activation, each),
                None => (activation, vec![]),
            };
            Architecture::Dense {
                layers,
                activation,
                output,
                activations,
                code,
            }
        }
        "conv" => {
            let convs = conv_layers(&s.convs)?;
            // the first layer that cannot be built (or mirrored back) is named
            for i in 1..=convs.len() {
                let prefix = Architecture::Conv {
                    input: [1, 28, 28],
                    convs: convs[..i].to_vec(),
                    latent,
                    activation,
                    output,
                    code: Code::Linear,
                };
                if let Err(e) = prefix.conv_shapes() {
                    let [_, h, w] = shape_before(&convs[..i - 1]);
                    return Err(ConfigError::new(
                        "convs",
                        Some(i),
                        format!("{e} (its input is {h}×{w})"),
                    ));
                }
            }
            Architecture::Conv {
                input: [1, 28, 28],
                convs,
                latent,
                activation,
                output,
                code,
            }
        }
        other => {
            return Err(ConfigError::new(
                "kind",
                None,
                format!("'{other}' is not a kind of model (dense or conv)"),
            ));
        }
    };
    arch.validate()
        .map_err(|e| ConfigError::new("latent", None, e.to_string()))?;
    let params = arch
        .param_count()
        .map_err(|e| ConfigError::new("layers", None, e.to_string()))?;
    if params > MAX_PARAMS {
        let field = if s.kind == "conv" { "convs" } else { "layers" };
        return Err(ConfigError::new(
            field,
            None,
            format!(
                "{params} parameters: the Studio builds models of at most {MAX_PARAMS} (make a layer narrower)"
            ),
        ));
    }
    Ok(arch)
}

/// The `[c, h, w]` after `convs` (all of which fit) over a 28×28 image.
fn shape_before(convs: &[ConvLayer]) -> [usize; 3] {
    if convs.is_empty() {
        return [1, 28, 28];
    }
    let a = Architecture::Conv {
        input: [1, 28, 28],
        convs: convs.to_vec(),
        latent: 1,
        activation: Activation::Relu,
        output: Activation::Sigmoid,
        code: Code::Linear,
    };
    a.conv_shapes()
        .ok()
        .and_then(|(s, _)| s.last().copied())
        .unwrap_or([1, 28, 28])
}

/// The model's layers as the page draws them (the hourglass): name and shape, input to output.
fn diagram(arch: &Architecture) -> Vec<Value> {
    let mut out = vec![json!({"name": "input", "shape": [1, 28, 28]})];
    match arch {
        Architecture::Dense { layers, .. } => {
            let hidden = &layers[1..layers.len() - 1];
            for (i, n) in hidden.iter().enumerate() {
                out.push(json!({"name": format!("encoder {}", i + 1), "shape": [n]}));
            }
            out.push(json!({"name": "code", "shape": [layers[layers.len() - 1]]}));
            for (i, n) in hidden.iter().rev().enumerate() {
                out.push(json!({"name": format!("decoder {}", i + 1), "shape": [n]}));
            }
        }
        Architecture::Conv { latent, .. } => {
            let (shapes, _) = arch.conv_shapes().unwrap_or_default();
            for (i, s) in shapes.iter().enumerate().skip(1) {
                out.push(json!({"name": format!("conv {i}"), "shape": s}));
            }
            out.push(json!({"name": "code", "shape": [latent]}));
            let k = shapes.len();
            for (j, s) in shapes
                .iter()
                .rev()
                .enumerate()
                .skip(1)
                .take(k.saturating_sub(2))
            {
                out.push(json!({"name": format!("deconv {j}"), "shape": s}));
            }
        }
    }
    out.push(json!({"name": "output", "shape": [1, 28, 28]}));
    out
}

/// What the `check` query and every snapshot say of a configuration.
fn summary(s: &StudioSettings) -> Value {
    match architecture(s) {
        Ok(a) => summary_of(&a),
        Err(e) => json!({"ok": false, "error": e}),
    }
}

/// What is said of a model that can be built.
fn summary_of(a: &Architecture) -> Value {
    json!({
        "ok": true,
        "describe": a.describe(),
        "params": a.param_count().unwrap_or(0),
        "layers": diagram(a),
    })
}

/// The data a run trains on: the first `train_size` training images, split as
/// `hourglass train` splits them.
struct Data {
    key: (String, u64, u64, u64),
    train: Dataset,
    val: Dataset,
    /// The 16 images of the reconstruction grid (the first of the validation set, or of the
    /// training set when there is none).
    grid: Arc<Vec<f32>>,
}

/// One epoch in the history.
#[derive(Debug, Clone, Serialize)]
struct EpochRow {
    epoch: usize,
    train_loss: f64,
    val_loss: Option<f64>,
    psnr: Option<f64>,
    ssim: Option<f64>,
    seconds: f64,
    partial: bool,
    /// The training loss's terms (a variant's: reconstruction, kl, sparsity, contraction).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    terms: Vec<(String, f64)>,
}

/// A model of the models folder, as the page lists it.
#[derive(Debug, Clone, Serialize)]
struct ModelInfo {
    name: String,
    file: String,
    describe: Option<String>,
    params: Option<usize>,
    dataset: Option<String>,
    epochs: Option<usize>,
    metrics: Option<std::collections::BTreeMap<String, f64>>,
    error: Option<String>,
}

/// The extension of a kept model's name.
const EXTENSION: &str = ".safetensors";

fn scan(models: &dyn ModelStore) -> Vec<ModelInfo> {
    models
        .list()
        .into_iter()
        .map(|file| {
            let name = file.strip_suffix(EXTENSION).unwrap_or(&file).to_string();
            match models.read(&file).map_err(|e| e.to_string()) {
                Ok(ck) => ModelInfo {
                    name,
                    describe: Some(ck.config.architecture.describe()),
                    params: ck.config.architecture.param_count().ok(),
                    dataset: Some(ck.config.dataset.name.clone()),
                    epochs: Some(ck.config.epochs_trained),
                    metrics: Some(ck.config.metrics.clone()),
                    error: None,
                    file,
                },
                Err(e) => ModelInfo {
                    name,
                    file,
                    describe: None,
                    params: None,
                    dataset: None,
                    epochs: None,
                    metrics: None,
                    error: Some(e),
                },
            }
        })
        .collect()
}

/// The Model Studio's job.
pub struct StudioJob {
    ctx: Arc<Context>,
    settings: StudioSettings,
    arch: Architecture,
    /// Each loss term per step (a variant's), for the chart.
    term_series: Vec<(&'static str, Series)>,
    present: Vec<(String, bool)>,
    data: Option<Data>,
    test: Option<(String, Arc<Dataset>)>,
    trainer: Option<Trainer>,
    /// Epochs a loaded model had before this run, and their losses.
    epochs_before: usize,
    before: Vec<EpochLoss>,
    /// Where it was loaded from.
    loaded: Option<String>,
    /// Steps of this run, and of the running epoch.
    steps: u64,
    epoch_steps: u64,
    last_loss: Option<f64>,
    history: Vec<EpochRow>,
    /// The grid's reconstructions as of the last epoch's end (or the start).
    recon: Option<Arc<Vec<f32>>>,
    /// Counts changes of the weights the page may want to look at again (filters).
    weights_version: u64,
    /// The model for inference, as of (steps, weights version).
    inference: Option<((u64, u64), Autoencoder)>,
    models: Vec<ModelInfo>,
    saved: Option<Value>,
    /// Data were read outside a step (by a query): a snapshot is due, so the page gets the grid.
    data_read: bool,
    /// The uploaded data set the settings name (read when picked: a bad one changes nothing),
    /// scaled into [0, 1], with the scaling applied.
    uploaded: Option<(String, Dataset, Scaling)>,
    uploads: Vec<String>,
    download: FetchWatch,
}

/// The prefix of an uploaded data set's name in the `dataset` setting.
pub const UPLOAD_PREFIX: &str = "upload:";

/// An upload's data as the Studio trains on them — 28×28 images (784 values a sample),
/// scaled into [0, 1] as `hourglass train` scales a file (one linear map, kept with the
/// model) — or why it cannot.
pub fn check_upload(file: &str, bytes: &[u8]) -> Result<(Dataset, Scaling), String> {
    let d = hourglass_data::uploads::read(file, bytes, 28).map_err(|e| format!("{e:#}"))?;
    studio_data(file, d)
}

/// An upload as read (see [`check_upload`]), checked and scaled for the Studio.
fn studio_data(file: &str, mut d: Dataset) -> Result<(Dataset, Scaling), String> {
    if d.features != PIXELS {
        return Err(format!(
            "{file} has {} values per sample; the Studio trains on 28×28 images (784 values)",
            d.features
        ));
    }
    if d.len() < 20 {
        return Err(format!(
            "{file} has {} samples; the Studio needs at least 20",
            d.len()
        ));
    }
    let (lo, hi) = d.range();
    let scaling = if lo < 0.0 || hi > 1.0 {
        d.normalize_to_unit()
    } else {
        Scaling::IDENTITY
    };
    Ok((
        d.with_image_shape(28, 28).map_err(|e| e.to_string())?,
        scaling,
    ))
}

fn loss_kind(s: &StudioSettings) -> LossKind {
    if s.loss == "bce" {
        LossKind::Bce
    } else {
        LossKind::Mse
    }
}

/// What a run is: the model, its variant, its data and how it trains, apart from the
/// learning rate and the epochs (which apply to a run under way). Two settings with the same
/// key train the same model the same way, so changing from one to the other keeps the run —
/// `relu,relu` for `relu`, a conv layer list edited while the model is dense, or SGD's
/// momentum while Adam trains change nothing.
fn run_key(s: &StudioSettings) -> Result<impl PartialEq + use<>, ConfigError> {
    let sgd = s.optimizer == "sgd";
    Ok((
        (architecture(s)?, variant_of(s)?, loss_kind(s)),
        (s.dataset.clone(), s.train_size, s.val_split, s.seed),
        (sgd, if sgd { s.momentum } else { 0.0 }, s.batch),
    ))
}

impl StudioJob {
    fn options(&self) -> TrainOptions {
        let s = &self.settings;
        TrainOptions {
            loss: loss_kind(s),
            optimizer: if s.optimizer == "sgd" {
                Optimizer::Sgd {
                    lr: s.lr,
                    momentum: s.momentum,
                }
            } else {
                Optimizer::adam(s.lr)
            },
            batch_size: (s.batch as usize)
                .min(self.data.as_ref().map_or(usize::MAX, |d| d.train.len()))
                .max(1),
            epochs: s.epochs as usize,
            seed: s.seed,
            variant: self.variant(),
        }
    }

    /// The kind of autoencoder the settings train (checked when they were applied).
    fn variant(&self) -> Variant {
        variant_of(&self.settings).expect("the settings were checked when they were applied")
    }

    fn data_key(&self) -> (String, u64, u64, u64) {
        let s = &self.settings;
        (
            s.dataset.clone(),
            s.train_size,
            (s.val_split * 1e6).round() as u64,
            s.seed,
        )
    }

    /// Reads the training data if the settings need other data than those loaded.
    fn ensure_data(&mut self) -> Result<(), WireError> {
        let key = self.data_key();
        if self.data.as_ref().is_some_and(|d| d.key == key) {
            return Ok(());
        }
        let s = &self.settings;
        let all = if let Some((_, d, _)) = self
            .uploaded
            .as_ref()
            .filter(|(n, _, _)| s.dataset.strip_prefix(UPLOAD_PREFIX) == Some(n.as_str()))
        {
            d.take(s.train_size as usize)
        } else {
            self.ctx
                .datasets
                .load(&s.dataset, Split::Train)?
                .take(s.train_size as usize)
        };
        let (train, val) = all.split(s.val_split, s.seed)?;
        let from = if val.len() >= GRID { &val } else { &train };
        let grid: Vec<f32> = (0..GRID.min(from.len()))
            .flat_map(|i| from.sample(i).to_vec())
            .collect();
        self.data_read = true;
        self.data = Some(Data {
            key,
            train,
            val,
            grid: Arc::new(grid),
        });
        Ok(())
    }

    /// Builds the model and its trainer from the seed if there is none.
    fn ensure_trainer(&mut self) -> Result<(), WireError> {
        self.ensure_data()?;
        if self.trainer.is_some() {
            return Ok(());
        }
        let model = Autoencoder::from_tensors(
            &self.arch,
            &initial_tensors(&self.arch, self.settings.seed)?,
            &training_device(),
        )?;
        self.start_trainer(model)
    }

    fn start_trainer(&mut self, model: Autoencoder) -> Result<(), WireError> {
        let samples = self.data.as_ref().map_or(0, |d| d.train.len());
        let opts = self.options();
        let objective = objective_for(opts.variant, opts.loss, opts.seed, &model)?;
        self.trainer = Some(Trainer::new(model, samples, &opts, objective)?);
        self.refresh_grid();
        Ok(())
    }

    /// Forgets the model (it is built again from the seed when training starts).
    fn drop_model(&mut self) {
        self.trainer = None;
        self.steps = 0;
        self.epoch_steps = 0;
        self.last_loss = None;
        self.term_series.clear();
        self.history.clear();
        self.recon = None;
        self.inference = None;
        self.epochs_before = 0;
        self.before.clear();
        self.loaded = None;
        self.weights_version += 1;
    }

    /// Reconstructs the grid with the model as it is now.
    fn refresh_grid(&mut self) {
        if let (Some(t), Some(d)) = (&self.trainer, &self.data) {
            let model = t.inference_model();
            self.recon = Some(Arc::new(model.reconstruct_host(&d.grid, GRID)));
            self.weights_version += 1;
        }
    }

    /// Ends the running epoch (part-way when `partial`): its losses, the validation set's
    /// PSNR and SSIM, and the grid.
    fn finish_epoch(&mut self) -> Result<(), WireError> {
        let loss = loss_kind(&self.settings);
        let plain = self.variant().is_plain();
        let (Some(t), Some(d)) = (self.trainer.as_mut(), self.data.as_ref()) else {
            return Ok(());
        };
        let Some(r) = t.end_epoch(None) else {
            return Ok(());
        };
        let model = t.inference_model();
        let e = if d.val.is_empty() {
            None
        } else {
            Some(epoch_figures(&model, &d.val, loss)?)
        };
        // a variant's validation loss is its objective's (a VAE's in nats per image)
        let val_loss = match &e {
            Some(_) if !plain => Some(t.evaluate(&d.val.values).loss),
            Some(e) => Some(e.loss),
            None => None,
        };
        self.history.push(EpochRow {
            epoch: self.epochs_before + r.epoch,
            train_loss: r.train_loss,
            val_loss,
            terms: r.terms,
            psnr: e.as_ref().map(|e| e.psnr).filter(|p| p.is_finite()),
            ssim: e.as_ref().and_then(|e| e.ssim),
            seconds: r.seconds,
            partial: r.partial,
        });
        self.epoch_steps = 0;
        self.refresh_grid();
        Ok(())
    }

    /// The loss per epoch of the model's whole life: a loaded model's, then this run's.
    fn loss_history(&self) -> Vec<EpochLoss> {
        self.before
            .iter()
            .cloned()
            .chain(self.history.iter().map(|r| EpochLoss {
                epoch: r.epoch,
                train_loss: r.train_loss,
                val_loss: r.val_loss,
            }))
            .collect()
    }

    /// Epochs the model has had in all.
    fn epochs_done(&self) -> usize {
        self.epochs_before + self.trainer.as_ref().map_or(0, Trainer::epochs_done)
    }

    /// The model as it is now, for inference (kept until training moves on).
    fn model(&mut self) -> Result<&Autoencoder, WireError> {
        let now = (self.steps, self.weights_version);
        if self.inference.as_ref().is_none_or(|(at, _)| *at != now) {
            let m = match &self.trainer {
                Some(t) => t.inference_model(),
                None => Autoencoder::from_tensors(
                    &self.arch,
                    &initial_tensors(&self.arch, self.settings.seed)?,
                    &inference_device(),
                )?,
            };
            self.inference = Some((now, m));
        }
        Ok(&self.inference.as_ref().expect("just built").1)
    }

    /// Checks the data set a `dataset` setting names; an upload is read now (and kept), so a
    /// bad one is refused before anything changes.
    fn pick_dataset(&mut self, name: &str) -> Result<(), WireError> {
        if self.present.iter().any(|(n, _)| n == name) {
            return Ok(());
        }
        let Some(file) = name.strip_prefix(UPLOAD_PREFIX) else {
            return Err(WireError::invalid(format!(
                "unknown dataset '{name}' (expected mnist, fashion-mnist or {UPLOAD_PREFIX}<an uploaded file>)"
            )));
        };
        if self.uploaded.as_ref().is_some_and(|(n, _, _)| n == file) {
            return Ok(());
        }
        let (d, scaling) = self
            .ctx
            .datasets
            .read_upload(file)
            .map_err(|e| e.to_string())
            .and_then(|d| studio_data(file, d))
            .map_err(|e| WireError::invalid(format!("cannot use {file}: {e}")))?;
        self.uploaded = Some((file.to_string(), d, scaling));
        Ok(())
    }

    /// Which set the kept metrics are measured on: the test split of a known dataset, the
    /// validation set of an upload (which has no test split).
    fn held_out(&self) -> &'static str {
        if self.settings.dataset.starts_with(UPLOAD_PREFIX) {
            "validation"
        } else {
            "test"
        }
    }

    /// The images the kept metrics are measured on (see [`Self::held_out`]).
    fn test_set(&mut self) -> Result<&Dataset, WireError> {
        let name = self.settings.dataset.clone();
        if name.starts_with(UPLOAD_PREFIX) {
            self.ensure_data()?;
            let d = self.data.as_ref().expect("just read");
            return Ok(if d.val.is_empty() { &d.train } else { &d.val });
        }
        if self.test.as_ref().is_none_or(|(n, _)| *n != name) {
            let test = self.ctx.datasets.load(&name, Split::Test)?;
            self.test = Some((name, test));
        }
        Ok(&self.test.as_ref().expect("just read").1)
    }

    fn save(&mut self, name: &str, overwrite: bool) -> Result<Change, WireError> {
        let stem = name.strip_suffix(EXTENSION).unwrap_or(name).to_string();
        if self.ctx.models.exists(name)? && !overwrite {
            return Err(WireError::new(
                "exists",
                format!(
                    "a model called '{stem}' is already in the models folder: pick another name, or replace it"
                ),
            ));
        }
        let Some(t) = &self.trainer else {
            return Err(WireError::invalid(
                "there is no trained model yet: press Train first",
            ));
        };
        let tensors = t.model().to_tensors();
        let d = self.data.as_ref().expect("a trainer has its data");
        let (train_samples, val_samples) = (d.train.len(), d.val.len());
        let s = self.settings.clone();
        let opts = self.options();
        // the metrics are those of the model as the file holds it (as `hourglass eval` reads it)
        let model = Autoencoder::from_tensors(&self.arch, &tensors, &inference_device())?;
        let e = evaluate(&model, self.test_set()?, 512)?;
        let mut metrics = std::collections::BTreeMap::new();
        if let Some(last) = self.history.last() {
            metrics.insert("train_loss".to_string(), last.train_loss);
            if let Some(v) = last.val_loss {
                metrics.insert("val_loss".to_string(), v);
            }
        }
        // an upload has no test split: its figures are the validation set's
        let set = self.held_out();
        let key = |m: &str| format!("{}_{m}", if set == "test" { "test" } else { "val" });
        metrics.insert(key("mse"), e.mse);
        metrics.insert(key("bce"), e.bce);
        if e.psnr.is_finite() {
            metrics.insert(key("psnr"), e.psnr);
        }
        if let Some(v) = e.ssim {
            metrics.insert(key("ssim"), v);
        }
        let scaling = match (&self.uploaded, s.dataset.strip_prefix(UPLOAD_PREFIX)) {
            (Some((n, _, sc)), Some(f)) if n == f => *sc,
            _ => Scaling::IDENTITY,
        };
        let ck = Checkpoint {
            config: ModelConfig {
                format_version: FORMAT_VERSION,
                architecture: self.arch.clone(),
                dataset: DatasetInfo {
                    name: s
                        .dataset
                        .strip_prefix(UPLOAD_PREFIX)
                        .unwrap_or(&s.dataset)
                        .to_string(),
                    features: PIXELS,
                    image_shape: Some([28, 28]),
                    scaling,
                    train_samples,
                    val_samples,
                },
                training: TrainingInfo {
                    loss: opts.loss.name().into(),
                    optimizer: s.optimizer.clone(),
                    learning_rate: self.trainer.as_ref().map_or(s.lr, Trainer::learning_rate),
                    momentum: s.momentum,
                    batch_size: opts.batch_size,
                    epochs: s.epochs as usize,
                    seed: s.seed,
                    val_split: s.val_split,
                    variant: opts.variant,
                },
                epochs_trained: self.epochs_done(),
                metrics: metrics.clone(),
                history: self.loss_history(),
            },
            tensors,
        };
        let file = self.ctx.models.write(name, &ck, true)?;
        self.saved = Some(json!({
            "name": stem,
            "file": file,
            "metrics": {"mse": e.mse, "bce": e.bce, "psnr": e.psnr.is_finite().then_some(e.psnr), "ssim": e.ssim, "samples": e.samples},
            "set": set,
        }));
        self.loaded = Some(stem);
        self.models = scan(self.ctx.models.as_ref());
        Ok(Change::Kept)
    }

    /// Loads a model of the models folder into the Studio: its settings and its weights (to
    /// look inside it, or to train it further).
    fn load(&mut self, name: &str) -> Result<Change, WireError> {
        let ck = self
            .ctx
            .models
            .read(name)
            .map_err(|e| WireError::new("not_found", format!("cannot load '{name}': {e}")))?;
        let c = &ck.config;
        if c.architecture.input_size() != PIXELS {
            return Err(WireError::invalid(format!(
                "cannot load '{name}': it takes {} values per sample; the Studio trains on 28×28 images",
                c.architecture.input_size()
            )));
        }
        let dataset = if self.uploads.contains(&c.dataset.name) {
            format!("{UPLOAD_PREFIX}{}", c.dataset.name)
        } else if c.dataset.name.to_lowercase().contains("fashion") {
            "fashion-mnist".into()
        } else {
            "mnist".into()
        };
        self.pick_dataset(&dataset)?;
        let mut next = self.settings.clone();
        next.dataset = dataset;
        match &c.architecture {
            Architecture::Dense {
                layers,
                activation,
                output,
                activations,
                ..
            } => {
                next.kind = "dense".into();
                next.activations = activations
                    .iter()
                    .map(|a| a.to_string())
                    .collect::<Vec<_>>()
                    .join(",");
                next.layers = layers[1..layers.len() - 1]
                    .iter()
                    .map(usize::to_string)
                    .collect::<Vec<_>>()
                    .join(",");
                next.latent = layers[layers.len() - 1] as u64;
                next.activation = activation.to_string();
                next.output = output.to_string();
            }
            Architecture::Conv {
                convs,
                latent,
                activation,
                output,
                ..
            } => {
                next.kind = "conv".into();
                next.activations = String::new();
                next.convs = convs
                    .iter()
                    .map(|c| format!("{}:{}:{}:{}", c.filters, c.kernel, c.stride, c.padding))
                    .collect::<Vec<_>>()
                    .join(",");
                next.latent = *latent as u64;
                next.activation = activation.to_string();
                next.output = output.to_string();
            }
        }
        let t = &c.training;
        next.loss = if t.loss == "bce" { "bce" } else { "mse" }.into();
        next.optimizer = if t.optimizer == "sgd" { "sgd" } else { "adam" }.into();
        next.lr = t.learning_rate.clamp(1e-5, 1.0);
        next.momentum = t.momentum.clamp(0.0, 0.99);
        next.batch = (t.batch_size as u64).clamp(1, 4096);
        next.val_split = t.val_split.clamp(0.0, 0.5);
        next.seed = t.seed;
        let total = c.dataset.train_samples + c.dataset.val_samples;
        next.train_size = (total as u64).clamp(100, 60_000);
        next.epochs = (c.epochs_trained as u64 + 1).clamp(1, 1000);
        set_variant(&mut next, t.variant, c.architecture.code());
        let arch = architecture(&next).map_err(|e| {
            WireError::invalid(format!(
                "cannot load '{name}': the Studio cannot build it ({})",
                e.message
            ))
        })?;
        if arch != c.architecture {
            return Err(WireError::invalid(format!(
                "cannot load '{name}': its shape ({}) is not one the Studio builds",
                c.architecture.describe()
            )));
        }
        let model = Autoencoder::from_tensors(&arch, &ck.tensors, &training_device())?;
        let previous = std::mem::replace(&mut self.settings, next);
        self.arch = arch;
        self.drop_model();
        if let Err(e) = self.ensure_data() {
            self.settings = previous;
            self.arch = architecture(&self.settings).expect("the previous settings were valid");
            return Err(e);
        }
        self.start_trainer(model)?;
        self.epochs_before = c.epochs_trained;
        self.before = c.history.clone();
        self.loaded = Some(name.strip_suffix(EXTENSION).unwrap_or(name).into());
        self.saved = None;
        Ok(Change::Restarted)
    }

    fn delete(&mut self, name: &str) -> Result<Change, WireError> {
        self.ctx.models.delete(name)?;
        self.models = scan(self.ctx.models.as_ref());
        Ok(Change::Kept)
    }

    fn rename(&mut self, from: &str, to: &str) -> Result<Change, WireError> {
        self.ctx.models.rename(from, to)?;
        self.models = scan(self.ctx.models.as_ref());
        Ok(Change::Kept)
    }

    fn activations(&mut self, fields: &Map<String, Value>) -> Result<Frame, WireError> {
        let input = if fields.contains_key("pixels") {
            pixels(fields)?
        } else {
            if !fields.contains_key("index") {
                return Err(WireError::invalid(
                    "\"activations\" needs \"pixels\" (an image) or \"index\" (a grid image)",
                ));
            }
            let i = whole(fields, "index", (0, GRID - 1), 0)?;
            self.ensure_data()?;
            let d = self.data.as_ref().expect("just read");
            d.grid
                .get(i * PIXELS..(i + 1) * PIXELS)
                .ok_or_else(|| WireError::invalid(format!("there is no grid image {i}")))?
                .to_vec()
        };
        let layers = self.model()?.layer_activations(&input)?;
        let mut f = Frame::new(json!({
            "layers": layers.iter().enumerate().map(|(i, l)| json!({"name": l.name, "shape": l.shape, "array": LAYER_ARRAYS[i]})).collect::<Vec<_>>(),
        }));
        f = f.with("input", Arc::new(input));
        for (i, l) in layers.into_iter().enumerate().take(LAYER_ARRAYS.len()) {
            f = f.with(LAYER_ARRAYS[i], Arc::new(l.values));
        }
        Ok(f)
    }

    /// A 2-D model's codes of (up to 2,000 of) the validation images, with their labels: the
    /// map an input is placed on.
    fn codes(&mut self) -> Result<Frame, WireError> {
        let latent = self.arch.latent_size();
        if latent != 2 {
            return Err(WireError::invalid(format!(
                "the code has {latent} numbers; the map is drawn for codes of 2"
            )));
        }
        self.ensure_data()?;
        let d = self.data.as_ref().expect("just read");
        let from = if d.val.is_empty() { &d.train } else { &d.val };
        let n = from.len().min(2_000);
        let images = from.values[..n * PIXELS].to_vec();
        let labels: Vec<f32> = from
            .labels
            .as_ref()
            .map(|l| l[..n].iter().map(|&c| c as f32).collect())
            .unwrap_or_default();
        let codes = self.model()?.encode_host(&images, 1024);
        Ok(
            Frame::new(json!({"count": n, "weights_version": self.weights_version}))
                .with("codes", Arc::new(codes))
                .with("labels", Arc::new(labels)),
        )
    }

    /// A model to compare: `current` (the one here) or a model of the models folder, with its
    /// name, shape, epochs and loss history.
    fn comparable(&mut self, name: &str) -> Result<(Value, Autoencoder), WireError> {
        if name == "current" {
            let info = json!({"name": "this model", "describe": self.arch.describe(),
                              "epochs": self.epochs_done(), "history": self.loss_history()});
            return Ok((info, self.model()?.clone()));
        }
        let ck =
            self.ctx.models.read(name).map_err(|e| {
                WireError::new("not_found", format!("cannot compare '{name}': {e}"))
            })?;
        let inputs = ck.config.architecture.input_size();
        if inputs != PIXELS {
            return Err(WireError::invalid(format!(
                "cannot compare '{name}': it takes {inputs} values per sample, not a 28×28 image"
            )));
        }
        let model =
            Autoencoder::from_tensors(&ck.config.architecture, &ck.tensors, &inference_device())?;
        let info = json!({"name": name.strip_suffix(EXTENSION).unwrap_or(name),
                          "describe": ck.config.architecture.describe(),
                          "epochs": ck.config.epochs_trained, "history": ck.config.history});
        Ok((info, model))
    }

    /// Two models side by side on the test set of the Studio's dataset: their metrics, their
    /// loss curves, and the same 16 test images reconstructed by each.
    fn compare(&mut self, fields: &Map<String, Value>) -> Result<Frame, WireError> {
        let name = |k: &str| {
            fields
                .get(k)
                .and_then(Value::as_str)
                .map(str::to_string)
                .ok_or_else(|| {
                    WireError::invalid(format!(
                        "'{k}' must name a model (\"current\" or one of the models folder)"
                    ))
                })
        };
        let (a, b) = (name("a")?, name("b")?);
        let (info_a, model_a) = self.comparable(&a)?;
        let (info_b, model_b) = self.comparable(&b)?;
        let dataset = self.settings.dataset.clone();
        let test = self.test_set()?;
        let shown = GRID.min(test.len());
        let images: Vec<f32> = test.values[..shown * PIXELS].to_vec();
        let mut out = Vec::new();
        let mut recons = Vec::new();
        for (mut info, model) in [(info_a, model_a), (info_b, model_b)] {
            let e = evaluate(&model, test, 512)?;
            info["metrics"] = json!({"mse": e.mse, "bce": e.bce,
                "psnr": e.psnr.is_finite().then_some(e.psnr), "ssim": e.ssim, "samples": e.samples});
            out.push(info);
            recons.push(model.reconstruct_host(&images, shown.max(1)));
        }
        let mut r = recons.into_iter();
        let set = self.held_out();
        Ok(
            Frame::new(json!({"models": out, "dataset": dataset, "set": set}))
                .with("images", Arc::new(images))
                .with("a", Arc::new(r.next().expect("two")))
                .with("b", Arc::new(r.next().expect("two"))),
        )
    }

    /// The first layer's weights as pictures: a dense model's first rows (28×28 each), a conv
    /// model's first kernels (k×k each).
    fn filters(&mut self) -> Result<Frame, WireError> {
        let tensors = match &self.trainer {
            Some(t) => t.model().to_tensors(),
            None => initial_tensors(&self.arch, self.settings.seed)?,
        };
        let first = tensors
            .iter()
            .find(|t| t.name == "encoder.0.weight" || t.name == "encoder.conv.0.weight")
            .ok_or_else(|| WireError::invalid("the model has no first layer"))?;
        let (count, h, w) = match first.shape[..] {
            [out, _] => (out, 28, 28),
            [out, _, k, _] => (out, k, k),
            _ => {
                return Err(WireError::invalid(
                    "the first layer has an unexpected shape",
                ));
            }
        };
        let shown = count.min(MAX_FILTER_IMAGES);
        let per = first.values.len() / count.max(1);
        let values = first.values[..shown * per].to_vec();
        Ok(Frame::new(json!({
            "count": count, "shown": shown, "height": h, "width": w,
            "version": self.weights_version,
        }))
        .with("filters", Arc::new(values)))
    }
}

impl PageJob for StudioJob {
    type Settings = StudioSettings;
    type Command = StudioCommand;

    const NAME: &'static str = "studio";
    const TITLE: &'static str = "Model Studio";
    const DEFAULT_SPEED: f64 = 0.0;
    const HEAVY: bool = true;
    // two or three snapshots a second are live enough for figures and a loss chart, and leave the
    // cores to training (the page asks for the image grid when the weights change)
    const PUBLISH_EVERY: std::time::Duration = std::time::Duration::from_millis(400);

    fn info(ctx: &Context) -> Value {
        let sets = datasets_json(&ctx.datasets.present());
        json!({"datasets": sets, "grid": GRID, "limits": {
            "hidden": MAX_HIDDEN, "convs": MAX_CONVS, "width": MAX_WIDTH,
            "filters": MAX_FILTERS, "params": MAX_PARAMS,
        }})
    }

    fn start(ctx: Arc<Context>) -> Result<Self, WireError> {
        let settings = StudioSettings::default();
        let arch = architecture(&settings)?;
        Ok(StudioJob {
            present: ctx.datasets.present(),
            models: scan(ctx.models.as_ref()),
            uploads: ctx.datasets.uploads(),
            download: FetchWatch::new(ctx.datasets.as_ref()),
            ctx,
            settings,
            arch,
            data: None,
            test: None,
            trainer: None,
            epochs_before: 0,
            before: Vec::new(),
            loaded: None,
            steps: 0,
            epoch_steps: 0,
            last_loss: None,
            term_series: Vec::new(),
            history: Vec::new(),
            recon: None,
            weights_version: 0,
            inference: None,
            saved: None,
            data_read: false,
            uploaded: None,
        })
    }

    fn settings(&self) -> StudioSettings {
        self.settings.clone()
    }

    fn configure(&mut self, next: StudioSettings) -> Result<Change, WireError> {
        // an impossible model, an unknown data set or an unreadable upload changes nothing
        let arch = architecture(&next)?;
        if next.dataset != self.settings.dataset {
            self.pick_dataset(&next.dataset)?;
        }
        let restart = run_key(&self.settings)? != run_key(&next)?;
        if !restart {
            if let Some(t) = &mut self.trainer {
                t.set_learning_rate(next.lr)?;
            }
            self.settings = next;
            return Ok(Change::Kept);
        }
        self.settings = next;
        self.arch = arch;
        self.drop_model();
        if self.data.as_ref().is_some_and(|d| d.key != self.data_key()) {
            self.data = None;
        }
        Ok(Change::Restarted)
    }

    fn command(&mut self, cmd: StudioCommand) -> Result<Change, WireError> {
        match cmd {
            StudioCommand::Stop => {
                if self.trainer.as_ref().is_some_and(Trainer::in_epoch) {
                    self.finish_epoch()?;
                }
                Ok(Change::Paused)
            }
            StudioCommand::More => {
                let done = self.epochs_done() as u64;
                if done + 1 > 1000 {
                    return Err(WireError::invalid("the Studio trains at most 1,000 epochs"));
                }
                self.settings.epochs = done + 1;
                Ok(Change::Kept)
            }
            StudioCommand::Save { name, overwrite } => self.save(&name, overwrite),
            StudioCommand::Load { name } => self.load(&name),
            StudioCommand::Delete { name } => self.delete(&name),
            StudioCommand::Rename { from, to } => self.rename(&from, &to),
            StudioCommand::Fetch { dataset } => {
                self.ctx.datasets.fetch(&dataset)?;
                Ok(Change::Kept)
            }
            StudioCommand::Rescan => {
                self.models = scan(self.ctx.models.as_ref());
                self.present = self.ctx.datasets.present();
                self.uploads = self.ctx.datasets.uploads();
                Ok(Change::Kept)
            }
        }
    }

    fn poll(&mut self) -> bool {
        let (changed, finished) = self.download.poll(self.ctx.datasets.as_ref());
        if finished {
            self.present = self.ctx.datasets.present();
        }
        std::mem::take(&mut self.data_read) || changed
    }

    fn reset(&mut self) -> Result<(), WireError> {
        self.drop_model();
        Ok(())
    }

    fn step(&mut self) -> Result<Option<Progress>, WireError> {
        self.ensure_trainer()?;
        if !self.trainer.as_ref().is_some_and(Trainer::in_epoch)
            && self.epochs_done() >= self.settings.epochs as usize
        {
            return Err(WireError::invalid(format!(
                "the model has had its {} epochs: raise Epochs, or press One more epoch",
                self.epochs_done()
            )));
        }
        let (Some(trainer), Some(data)) = (self.trainer.as_mut(), self.data.as_ref()) else {
            return Ok(None);
        };
        let s = trainer.step(&data.train).map_err(WireError::from)?;
        let per_epoch = trainer.steps_per_epoch();
        self.steps += 1;
        self.epoch_steps += 1;
        self.last_loss = Some(s.loss);
        let x = self.epochs_before as f64 + self.steps as f64 / per_epoch as f64;
        for (i, &(name, v)) in s.terms.iter().enumerate() {
            if self.term_series.len() <= i {
                self.term_series.push((name, Series::default()));
            }
            self.term_series[i].1.record(x, v);
        }
        if s.epoch_done {
            self.finish_epoch()?;
        }
        let base = self.epochs_before as f64;
        Ok(Some(Progress {
            x: base + self.steps as f64 / per_epoch as f64,
            loss: s.loss,
        }))
    }

    fn finished(&mut self) -> Option<String> {
        let running = self.trainer.as_ref().is_some_and(Trainer::in_epoch);
        let done = self.epochs_done();
        (!running && done >= self.settings.epochs as usize).then(|| {
            format!(
                "Trained {done} epoch{}. Save it below, train one more epoch, or look inside.",
                if done == 1 { "" } else { "s" }
            )
        })
    }

    fn origin(&self) -> Option<Progress> {
        None
    }

    fn frame(&mut self, run: &RunState) -> Frame {
        let per_epoch = self.trainer.as_ref().map(Trainer::steps_per_epoch);
        let done = self.epochs_done();
        let target = self.settings.epochs as usize;
        let into = per_epoch.map_or(0.0, |p| self.epoch_steps as f64 / p as f64);
        let progress = ((done as f64 + into) / target.max(1) as f64).min(1.0);
        let left_steps = per_epoch.map(|p| {
            (target.saturating_sub(done) as f64 * p as f64 - self.epoch_steps as f64).max(0.0)
        });
        let seconds_left = match left_steps {
            Some(l) if run.training && run.steps_per_second > 0.0 => Some(l / run.steps_per_second),
            _ => None,
        };
        let d = self.data.as_ref();
        let mut f = Frame::new(json!({
            "arch": summary_of(&self.arch),
            "variant": self.variant().describe(),
            "terms": self.term_series.iter().map(|(name, series)| json!({"name": name, "points": series.points()})).collect::<Vec<_>>(),
            "step": self.steps,
            "steps_per_epoch": per_epoch,
            "epochs_done": done,
            "epoch": done as f64 + into,
            "progress": progress,
            "seconds_left": seconds_left,
            "loss": self.last_loss,
            "lr": self.trainer.as_ref().map_or(self.settings.lr, Trainer::learning_rate),
            "history": self.history,
            "trained": self.trainer.is_some(),
            "loaded": self.loaded,
            "saved": self.saved,
            "models": self.models,
            "models_dir": self.ctx.models.location(),
            "uploads": self.uploads,
            "held_out": self.held_out(),
            "datasets": datasets_json(&self.present),
            "train_samples": d.map(|d| d.train.len()),
            "val_samples": d.map(|d| d.val.len()),
            "weights_version": self.weights_version,
        }));
        f.set("grid_ready", json!(self.data.is_some()));
        if let Some(d) = self.download.state(self.ctx.datasets.as_ref()) {
            f.set("download", d);
        }
        f
    }

    fn query(&mut self, name: &str, fields: &Map<String, Value>) -> Result<Frame, WireError> {
        match name {
            "check" => {
                let next = self.settings.patched(fields).map_err(WireError::from)?;
                Ok(Frame::new(summary(&next)))
            }
            "activations" => self.activations(fields),
            "grid" => {
                let mut f = Frame::new(json!({"weights_version": self.weights_version}));
                if let Some(g) = self.data.as_ref().map(|d| &d.grid) {
                    f = f.with("grid", g.clone());
                }
                if let Some(r) = &self.recon {
                    f = f.with("recon", r.clone());
                }
                Ok(f)
            }
            "filters" => self.filters(),
            "compare" => self.compare(fields),
            "codes" => self.codes(),
            _ => Err(WireError::new(
                "unknown_query",
                format!(
                    "the Model Studio answers no query '{name}' (it answers check, activations, grid, filters, codes and compare)"
                ),
            )),
        }
    }
}

/// The Model Studio's own messages.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum StudioCommand {
    /// Ends the running epoch part-way and pauses; the model so far is kept.
    Stop,
    /// Trains one epoch more than the model has had (then press play).
    More,
    Save {
        name: String,
        #[serde(default)]
        overwrite: bool,
    },
    Load {
        name: String,
    },
    Delete {
        name: String,
    },
    Rename {
        from: String,
        to: String,
    },
    Rescan,
    /// Downloads a known dataset that is not on the machine (progress in `download`).
    Fetch {
        dataset: String,
    },
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use hourglass_data::{known, load_known, models};

    use super::*;
    use crate::runtime::{
        Outgoing,
        test_support::{Probe, test_data, wait_for},
    };

    fn probe(models_dir: PathBuf) -> Probe {
        let ctx = crate::runtime::Host::for_tests_with(Some(test_data()), models_dir);
        Probe::with(crate::runtime::spawn::<StudioJob>(ctx).expect("the job starts"))
    }

    fn temp_models(tag: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("hourglass-studio-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    fn ask(p: &Probe, q: Value) -> Frame {
        p.send(&q.to_string());
        match p.reply() {
            Outgoing::Frame(f) => f,
            Outgoing::Error(e) => panic!("{q} refused: {}", e.message),
        }
    }

    fn array<'a>(f: &'a Frame, name: &str) -> &'a [f32] {
        &f.arrays
            .iter()
            .find(|(n, _)| *n == name)
            .unwrap_or_else(|| panic!("no array {name}"))
            .1
    }

    fn with(patch: Value) -> StudioSettings {
        StudioSettings::default()
            .patched(patch.as_object().unwrap())
            .unwrap()
    }

    #[test]
    fn an_impossible_model_names_its_layer_and_why() {
        let ok = architecture(&StudioSettings::default()).unwrap();
        assert_eq!(ok.describe(), "dense 784-256-128-32 (relu, sigmoid out)");
        assert_eq!(
            ok.param_count().unwrap(),
            2 * (784 * 256 + 256 * 128 + 128 * 32) + 256 + 128 + 32 + 128 + 256 + 784
        );
        let conv = architecture(&with(json!({"kind": "conv"}))).unwrap();
        assert_eq!(conv.latent_size(), 32);
        let cases = [
            (json!({"layers": "256,abc"}), "layers", Some(2), "'abc'"),
            (json!({"layers": "256,0"}), "layers", Some(2), "1 to 4096"),
            (
                json!({"layers": "1,2,3,4,5,6,7,8,9"}),
                "layers",
                Some(9),
                "at most 8",
            ),
            (
                json!({"kind": "conv", "convs": "16:3:2"}),
                "convs",
                Some(1),
                "filters:kernel:stride:padding",
            ),
            (
                json!({"kind": "conv", "convs": "16:3:2:1,32:3:2:1,64:9:1:0"}),
                "convs",
                Some(3),
                "7×7",
            ),
            (
                json!({"kind": "conv", "convs": "16:3:2:3"}),
                "convs",
                Some(1),
                "padding 3",
            ),
            (
                json!({"kind": "conv", "convs": ""}),
                "convs",
                Some(1),
                "at least one",
            ),
            (
                json!({"layers": "4096,4096,4096"}),
                "layers",
                None,
                "parameters",
            ),
        ];
        let mixed = architecture(&with(
            json!({"layers": "256,128", "activations": "tanh,relu"}),
        ))
        .unwrap();
        assert_eq!(
            mixed.describe(),
            "dense 784-256-128-32 (tanh/relu, sigmoid out)"
        );
        assert_eq!(mixed.hidden_activation(0), Activation::Tanh);
        let same = architecture(&with(json!({"activations": "tanh,tanh"}))).unwrap();
        assert_eq!(
            same.describe(),
            "dense 784-256-128-32 (tanh, sigmoid out)",
            "one for all is said once"
        );
        let cases = [
            (
                json!({"activations": "relu"}),
                "activations",
                None,
                "1 activations for 2 hidden layers",
            ),
            (
                json!({"activations": "relu,swish"}),
                "activations",
                Some(2),
                "hidden layer 2",
            ),
        ]
        .into_iter()
        .chain(cases);
        for (patch, field, layer, words) in cases {
            let e = architecture(&with(patch.clone())).unwrap_err();
            assert_eq!((e.field, e.layer), (field, layer), "{patch}: {e:?}");
            assert!(e.message.contains(words), "{patch}: {}", e.message);
        }
    }

    #[test]
    fn variants_train_with_their_terms_and_are_kept_in_the_file() {
        // a variant and its code are checked with the rest of the model
        let e = architecture(&with(json!({"variant": "vae", "code": "relu"}))).unwrap_err();
        assert_eq!(e.field, "code");
        assert!(e.message.contains("gaussian"), "{}", e.message);
        let e = architecture(&with(
            json!({"variant": "sparse", "sparsity": "kl", "code": "relu"}),
        ))
        .unwrap_err();
        assert!(e.message.contains("sigmoid"), "{}", e.message);
        let vae = architecture(&with(json!({"variant": "vae"}))).unwrap();
        assert_eq!(vae.code(), Code::Gaussian);
        assert!(vae.describe().contains("gaussian code"));
        let dir = temp_models("variants");
        let p = probe(dir.clone());
        let e = p.refused(r#"{"type":"configure","variant":"vae","code":"sigmoid"}"#);
        assert!(e.contains("gaussian"), "{e}");
        p.send(r#"{"type":"configure","train_size":1200,"layers":"64","latent":4,"batch":100,"epochs":1,"variant":"vae","beta":2,"loss":"bce"}"#);
        wait_for(&p, |f| f.header["variant"] == "vae (β 2)");
        p.send(r#"{"type":"play"}"#);
        let done = wait_for(&p, |f| {
            f.header["run"]["training"] == false && f.header["epochs_done"] == 1
        });
        // the chart's terms: one point per step, and the loss is their weighted sum
        let terms = done.header["terms"].as_array().unwrap();
        let names: Vec<&str> = terms.iter().map(|t| t["name"].as_str().unwrap()).collect();
        assert_eq!(names, ["reconstruction", "kl"]);
        assert_eq!(terms[1]["points"].as_array().unwrap().len(), 11);
        let row = &done.header["history"][0];
        let (rec, kl) = (
            row["terms"][0][1].as_f64().unwrap(),
            row["terms"][1][1].as_f64().unwrap(),
        );
        assert!(kl > 0.0 && rec > 50.0, "{row}: summed over 784 pixels");
        assert!((row["train_loss"].as_f64().unwrap() - (rec + 2.0 * kl)).abs() < 1e-3 * rec);
        // the validation loss is the VAE's (nats per image), not a per-pixel mean
        assert!(row["val_loss"].as_f64().unwrap() > 50.0, "{row}");
        p.send(r#"{"type":"save","name":"vae"}"#);
        wait_for(&p, |f| f.header["saved"]["name"] == "vae");
        let ck = models::read_checkpoint(&dir, "vae").unwrap();
        assert_eq!(ck.config.training.variant, Variant::Vae { beta: 2.0 });
        assert_eq!(ck.config.architecture.code(), Code::Gaussian);
        // loaded back (after another variant), its settings say what it is
        p.send(r#"{"type":"configure","variant":"denoising","noise":"mask","noise_level":0.3}"#);
        wait_for(&p, |f| f.header["variant"] == "denoising (mask:0.3)");
        p.send(r#"{"type":"load","name":"vae"}"#);
        let back = wait_for(&p, |f| f.header["loaded"] == "vae");
        assert_eq!(back.header["settings"]["variant"], "vae");
        assert_eq!(back.header["settings"]["beta"], 2.0);
        assert_eq!(back.header["variant"], "vae (β 2)");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_model_trained_here_is_saved_with_the_metrics_the_page_showed() {
        let dir = temp_models("train");
        let p = probe(dir.clone());
        // an impossible model is refused and changes nothing; `check` explains it first
        let c = ask(
            &p,
            json!({"type": "query", "id": 1, "query": "check", "kind": "conv", "convs": "16:3:2:1,32:3:2:1,64:9:1:0"}),
        );
        assert_eq!(c.header["ok"], false);
        assert_eq!(c.header["error"]["layer"], 3);
        let e =
            p.refused(r#"{"type":"configure","kind":"conv","convs":"16:3:2:1,32:3:2:1,64:9:1:0"}"#);
        assert!(e.contains("conv layer 3"), "{e}");
        p.send(r#"{"type":"configure","train_size":1200,"layers":"64","latent":8,"batch":100,"epochs":2}"#);
        let f = wait_for(&p, |f| {
            f.header["arch"]["describe"] == "dense 784-64-8 (relu, sigmoid out)"
        });
        assert_eq!(f.header["settings"]["kind"], "dense");
        p.send(r#"{"type":"play"}"#);
        let done = wait_for(&p, |f| {
            f.header["run"]["training"] == false && f.header["epochs_done"] == 2
        });
        assert_eq!(
            done.header["steps_per_epoch"], 11,
            "1,080 images in batches of 100"
        );
        assert_eq!(done.header["progress"], 1.0);
        assert!(
            done.header["run"]["notice"]["text"]
                .as_str()
                .unwrap()
                .contains("Trained 2 epochs")
        );
        let history = done.header["history"].as_array().unwrap();
        assert_eq!(history.len(), 2);
        for row in history {
            assert!(row["val_loss"].as_f64().unwrap() > 0.0);
            assert!(row["psnr"].as_f64().unwrap() > 5.0);
            assert!(row["ssim"].as_f64().unwrap() > -1.0);
        }
        assert!(history[1]["val_loss"].as_f64() < history[0]["val_loss"].as_f64());
        assert_eq!(done.header["grid_ready"], true);
        let g = ask(&p, json!({"type": "query", "id": 9, "query": "grid"}));
        assert_eq!(array(&g, "grid").len(), GRID * PIXELS);
        assert_eq!(array(&g, "recon").len(), GRID * PIXELS);
        assert_eq!(g.header["weights_version"], done.header["weights_version"]);
        // a third epoch is refused until asked for; "one more epoch" asks for it
        p.send(r#"{"type":"step"}"#);
        let told = wait_for(&p, |f| {
            f.header["run"]["notice"]["text"]
                .as_str()
                .is_some_and(|t| t.contains("raise Epochs"))
        });
        assert_eq!(told.header["epochs_done"], 2);
        p.send(r#"{"type":"more"}"#);
        p.send(r#"{"type":"play"}"#);
        let three = wait_for(&p, |f| {
            f.header["epochs_done"] == 3 && f.header["run"]["training"] == false
        });
        assert_eq!(three.header["history"].as_array().unwrap().len(), 3);
        // what is inside: every layer's activations for one image, and the first layer's filters
        let a = ask(
            &p,
            json!({"type": "query", "id": 2, "query": "activations", "index": 0}),
        );
        let shapes: Vec<Value> = a.header["layers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l["shape"].clone())
            .collect();
        assert_eq!(shapes, [json!([64]), json!([8]), json!([64]), json!([784])]);
        let names: Vec<&str> = a.header["layers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["encoder.0", "latent", "decoder.0", "output"]);
        assert_eq!(array(&a, "a3").len(), 784);
        let fl = ask(&p, json!({"type": "query", "id": 3, "query": "filters"}));
        assert_eq!(
            (fl.header["shown"].as_u64(), fl.header["height"].as_u64()),
            (Some(64), Some(28))
        );
        assert_eq!(array(&fl, "filters").len(), 64 * 784);
        // saved: the file holds the model, and its test metrics are those shown
        p.send(r#"{"type":"save","name":"tiny"}"#);
        let saved = wait_for(&p, |f| f.header["saved"]["name"] == "tiny");
        let ck = models::read_checkpoint(&dir, "tiny").unwrap();
        assert_eq!(ck.config.epochs_trained, 3);
        let model =
            Autoencoder::from_tensors(&ck.config.architecture, &ck.tensors, &inference_device())
                .unwrap();
        let test = load_known(known("mnist").unwrap(), Some(&test_data()), Split::Test).unwrap();
        let e = evaluate(&model, &test, 512).unwrap();
        let shown = &saved.header["saved"]["metrics"];
        assert!((shown["mse"].as_f64().unwrap() - e.mse).abs() < 1e-9);
        assert!((shown["ssim"].as_f64().unwrap() - e.ssim.unwrap()).abs() < 1e-9);
        assert_eq!(ck.config.metrics["test_mse"], e.mse);
        let models = saved.header["models"].as_array().unwrap();
        assert_eq!(models.len(), 1);
        assert_eq!(models[0]["name"], "tiny");
        // compared with the model here (the same weights: the same figures) and itself
        let c = ask(
            &p,
            json!({"type": "query", "id": 5, "query": "compare", "a": "current", "b": "tiny"}),
        );
        let (ma, mb) = (&c.header["models"][0], &c.header["models"][1]);
        assert_eq!(ma["metrics"]["mse"], mb["metrics"]["mse"]);
        assert_eq!(mb["metrics"]["mse"].as_f64().unwrap(), e.mse);
        assert_eq!(
            mb["history"].as_array().unwrap().len(),
            3,
            "the loss curve is in the file"
        );
        assert_eq!(array(&c, "a"), array(&c, "b"));
        assert_eq!(array(&c, "images").len(), GRID * PIXELS);
        let e2 = p.answer_error(
            r#"{"type":"query","id":6,"query":"compare","a":"current","b":"nothing"}"#,
        );
        assert!(e2.contains("nothing"), "{e2}");
        // saving again under the same name is refused unless replacing is asked for
        let e = p.answer_error(r#"{"type":"save","name":"tiny"}"#);
        assert!(e.contains("already"), "{e}");
        for bad in ["../x", "a/b", ".hidden", "caf\u{e9}"] {
            let e = p.answer_error(&json!({"type": "save", "name": bad}).to_string());
            assert!(e.contains(bad), "{bad}: {e}");
        }
        // rename, load (settings and weights come back), delete
        p.send(r#"{"type":"rename","from":"tiny","to":"small one"}"#);
        wait_for(&p, |f| f.header["models"][0]["name"] == "small one");
        p.send(r#"{"type":"reset"}"#);
        p.send(r#"{"type":"configure","layers":"32,16","latent":4}"#);
        wait_for(&p, |f| {
            f.header["trained"] == false && f.header["settings"]["latent"] == 4
        });
        p.send(r#"{"type":"load","name":"small one"}"#);
        let loaded = wait_for(&p, |f| f.header["loaded"] == "small one");
        assert_eq!(loaded.header["settings"]["layers"], "64");
        assert_eq!(loaded.header["settings"]["latent"], 8);
        assert_eq!(loaded.header["epochs_done"], 3);
        assert_eq!(loaded.header["settings"]["epochs"], 4);
        let b = ask(
            &p,
            json!({"type": "query", "id": 4, "query": "activations", "index": 0}),
        );
        assert_eq!(
            array(&b, "a3"),
            array(&a, "a3"),
            "the loaded model is the saved one"
        );
        p.send(r#"{"type":"delete","name":"small one"}"#);
        wait_for(&p, |f| {
            f.header["models"].as_array().is_some_and(|m| m.is_empty())
        });
        assert!(!dir.join("small one.safetensors").exists());
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn an_uploaded_data_set_trains_and_a_bad_one_changes_nothing() {
        let dir = temp_models("upload");
        let uploads = dir.join("datasets");
        std::fs::create_dir_all(&uploads).unwrap();
        // MNIST's CSV layout: the label, then 784 pixels from 0 to 255
        let test = load_known(known("mnist").unwrap(), Some(&test_data()), Split::Test).unwrap();
        let labels = test.labels.clone().unwrap();
        let text: String = (0..300)
            .map(|i| {
                std::iter::once(labels[i].to_string())
                    .chain(
                        test.sample(i)
                            .iter()
                            .map(|v| ((v * 255.0).round() as u32).to_string()),
                    )
                    .collect::<Vec<_>>()
                    .join(",")
                    + "\n"
            })
            .collect();
        std::fs::write(uploads.join("mine.csv"), text).unwrap();
        std::fs::write(uploads.join("narrow.csv"), "1,2,3\n4,5,6\n").unwrap();
        let p = probe(dir.clone());
        let e = p.answer_error(r#"{"type":"configure","dataset":"upload:narrow.csv"}"#);
        assert!(e.contains("784"), "{e}");
        let e = p.answer_error(r#"{"type":"configure","dataset":"upload:../x.csv"}"#);
        assert!(e.contains("cannot use"), "{e}");
        p.send(r#"{"type":"rescan"}"#);
        let f = wait_for(&p, |f| {
            f.header["uploads"] == json!(["mine.csv", "narrow.csv"])
        });
        assert_eq!(f.header["settings"]["dataset"], "mnist", "nothing changed");
        p.send(r#"{"type":"configure","dataset":"upload:mine.csv","layers":"32","latent":4,"batch":30,"epochs":1,"val_split":0.2}"#);
        wait_for(&p, |f| f.header["held_out"] == "validation");
        p.send(r#"{"type":"play"}"#);
        let done = wait_for(&p, |f| {
            f.header["epochs_done"] == 1 && f.header["run"]["training"] == false
        });
        assert_eq!(
            (
                done.header["train_samples"].as_u64(),
                done.header["val_samples"].as_u64()
            ),
            (Some(240), Some(60))
        );
        p.send(r#"{"type":"save","name":"from upload"}"#);
        let saved = wait_for(&p, |f| f.header["saved"]["name"] == "from upload");
        assert_eq!(saved.header["saved"]["set"], "validation");
        let ck = models::read_checkpoint(&dir, "from upload").unwrap();
        assert_eq!(ck.config.dataset.name, "mine.csv");
        assert_eq!(
            ck.config.dataset.scaling.scale, 255.0,
            "the pixels were scaled into 0–1"
        );
        assert!(ck.config.metrics.contains_key("val_mse"));
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_conv_model_shows_one_map_per_channel_and_stop_keeps_it() {
        let p = probe(temp_models("conv"));
        p.send(r#"{"type":"configure","kind":"conv","convs":"4:3:2:1,8:3:2:1","latent":10,"train_size":60000,"batch":16,"epochs":5,"lr":0.01}"#);
        wait_for(&p, |f| f.header["settings"]["kind"] == "conv");
        let a = ask(
            &p,
            json!({"type": "query", "id": 1, "query": "activations", "pixels": vec![0.5; 784]}),
        );
        let shapes: Vec<Value> = a.header["layers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l["shape"].clone())
            .collect();
        assert_eq!(shapes[0], json!([4, 14, 14]));
        assert_eq!(shapes[1], json!([8, 7, 7]));
        assert_eq!(shapes.last().unwrap(), &json!([1, 28, 28]));
        assert_eq!(array(&a, "a0").len(), 4 * 14 * 14);
        let fl = ask(&p, json!({"type": "query", "id": 2, "query": "filters"}));
        assert_eq!(
            (fl.header["shown"].as_u64(), fl.header["height"].as_u64()),
            (Some(4), Some(3))
        );
        p.send(r#"{"type":"play"}"#);
        wait_for(&p, |f| f.header["step"].as_u64() >= Some(5));
        // the learning rate changes mid-run and training goes on
        p.send(r#"{"type":"configure","lr":0.002}"#);
        let changed = wait_for(&p, |f| f.header["lr"] == 0.002);
        assert_eq!(changed.header["run"]["training"], true);
        p.send(r#"{"type":"stop"}"#);
        let stopped = wait_for(&p, |f| {
            f.header["run"]["training"] == false
                && !f.header["history"].as_array().unwrap().is_empty()
        });
        let row = &stopped.header["history"][0];
        assert_eq!(row["partial"], true);
        assert_eq!(stopped.header["trained"], true, "the model so far is kept");
        let e = p.answer_error(r#"{"type":"query","id":3,"query":"activations","pixels":[2]}"#);
        assert!(e.contains("784"), "{e}");
        let e = p.answer_error(r#"{"type":"query","id":4,"query":"codes"}"#);
        assert!(e.contains("10 numbers"), "{e}");
        // a 2-D code: the validation images' map
        p.send(r#"{"type":"configure","kind":"dense","layers":"64","latent":2}"#);
        wait_for(&p, |f| f.header["settings"]["latent"] == 2);
        let c = ask(&p, json!({"type": "query", "id": 5, "query": "codes"}));
        assert_eq!(c.header["count"], 2_000);
        assert_eq!(array(&c, "codes").len(), 4_000);
        assert!(
            array(&c, "labels")
                .iter()
                .all(|&l| (0.0..=9.0).contains(&l))
        );
    }
}
