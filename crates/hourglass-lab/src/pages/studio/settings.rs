//! The Model Studio's settings: the data, the model's shape, its variant and how it trains.

use super::*;

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
