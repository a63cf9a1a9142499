//! The Model Studio's settings: the data, the model's shape, its variant and how it trains.

use hourglass_core::{
    settings::{Choice, as_choice},
    variant::NoiseKind,
};

use super::*;

/// Declares a setting's type with its wire names and labels: `Name::Variant = ("wire",
/// "label")`, in the order the page offers them.
macro_rules! choice {
    ($(#[$m:meta])* $name:ident { $($variant:ident = ($wire:literal, $label:literal)),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum $name {
            $($variant),+
        }

        impl Choice for $name {
            const ALL: &'static [Self] = &[$($name::$variant),+];
            fn name(self) -> &'static str {
                match self {
                    $($name::$variant => $wire),+
                }
            }
            fn label(self) -> &'static str {
                match self {
                    $($name::$variant => $label),+
                }
            }
        }
    };
}

choice! {
    /// Dense layers or convolutions.
    ModelKind { Dense = ("dense", "dense layers"), Conv = ("conv", "convolutions") }
}

choice! {
    /// The output layer's activation.
    Output { Sigmoid = ("sigmoid", "sigmoid (0 to 1)"), Linear = ("linear", "linear") }
}

impl Output {
    pub fn activation(self) -> Activation {
        match self {
            Output::Sigmoid => Activation::Sigmoid,
            Output::Linear => Activation::Linear,
        }
    }

    /// The output a model's activation stands for (anything but sigmoid is linear here).
    pub fn of(a: Activation) -> Self {
        if a == Activation::Sigmoid {
            Output::Sigmoid
        } else {
            Output::Linear
        }
    }
}

choice! {
    /// The optimizer.
    OptimizerKind { Adam = ("adam", "Adam"), Sgd = ("sgd", "SGD with momentum") }
}

choice! {
    /// The kind of autoencoder.
    VariantKind {
        Plain = ("plain", "plain"),
        Denoising = ("denoising", "denoising"),
        Vae = ("vae", "variational (VAE)"),
        Sparse = ("sparse", "sparse"),
        Contractive = ("contractive", "contractive"),
    }
}

choice! {
    /// A sparse autoencoder's penalty.
    SparsityKind {
        L1 = ("l1", "L1 on the code"),
        Kl = ("kl", "KL toward ρ"),
        TopK = ("topk", "TopK: keep the K largest"),
    }
}

choice! {
    /// The code layer: the variant's, or one of these.
    CodeChoice {
        Auto = ("auto", "the variant's"),
        Linear = ("linear", "linear"),
        Relu = ("relu", "ReLU"),
        Sigmoid = ("sigmoid", "sigmoid"),
    }
}

/// The Model Studio's settings: the data, the model's shape, and how it trains.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StudioSettings {
    /// `mnist`, `fashion-mnist`, or `upload:<file>`: a data set uploaded from the page.
    pub dataset: String,
    /// Training images used (the first of the train split), before the validation split.
    pub train_size: u64,
    #[serde(with = "as_choice")]
    pub kind: ModelKind,
    /// A dense model's hidden layer sizes between the input and the code, e.g. `256,128`
    /// (may be empty).
    pub layers: String,
    /// A conv model's layers, `filters:kernel:stride:padding` each, e.g. `16:3:2:1,32:3:2:1`.
    pub convs: String,
    /// The code's size.
    pub latent: u64,
    /// The hidden activation (every layer of a conv model; a dense model's layers unless
    /// `activations` gives each its own).
    #[serde(with = "as_choice")]
    pub activation: Activation,
    /// A dense model's activation per hidden layer, e.g. `relu,tanh` (empty: `activation`
    /// for all).
    pub activations: String,
    #[serde(with = "as_choice")]
    pub output: Output,
    #[serde(with = "as_choice")]
    pub loss: LossKind,
    #[serde(with = "as_choice")]
    pub optimizer: OptimizerKind,
    pub lr: f64,
    /// SGD's momentum (Adam keeps its own moments).
    pub momentum: f64,
    pub batch: u64,
    /// Epochs the model is trained for (in all).
    pub epochs: u64,
    pub val_split: f64,
    pub seed: u64,
    /// The kind of autoencoder.
    #[serde(with = "as_choice")]
    pub variant: VariantKind,
    /// Denoising: the noise, at `noise_level` (σ, or the fraction of pixels).
    #[serde(with = "as_choice")]
    pub noise: NoiseKind,
    pub noise_level: f64,
    /// VAE: the KL term's weight.
    pub beta: f64,
    /// Sparse: `l1` (weight `sparsity_weight`) or `kl` (toward `rho`, weight `sparsity_weight`).
    #[serde(with = "as_choice")]
    pub sparsity: SparsityKind,
    pub sparsity_weight: f64,
    pub rho: f64,
    /// Sparse, TopK: the code units kept per image (the rest are zeroed).
    #[serde(default = "default_topk")]
    pub topk: u64,
    /// Contractive: the weight of ‖J‖²_F.
    pub contraction: f64,
    /// The code layer: `auto` (the variant's), linear, relu or sigmoid.
    #[serde(with = "as_choice")]
    pub code: CodeChoice,
}

fn default_topk() -> u64 {
    8
}

impl Default for StudioSettings {
    fn default() -> Self {
        StudioSettings {
            dataset: "mnist".into(),
            train_size: 60_000,
            kind: ModelKind::Dense,
            layers: "256,128".into(),
            convs: "16:3:2:1,32:3:2:1".into(),
            latent: 32,
            activation: Activation::Relu,
            activations: String::new(),
            output: Output::Sigmoid,
            loss: LossKind::Mse,
            optimizer: OptimizerKind::Adam,
            lr: 0.001,
            momentum: 0.9,
            batch: 128,
            epochs: 10,
            val_split: 0.1,
            seed: 1,
            variant: VariantKind::Plain,
            noise: NoiseKind::Gaussian,
            noise_level: 0.5,
            beta: 1.0,
            sparsity: SparsityKind::L1,
            sparsity_weight: 1e-4,
            rho: 0.05,
            topk: default_topk(),
            contraction: 1e-4,
            code: CodeChoice::Auto,
        }
    }
}

impl Settings for StudioSettings {
    fn schema() -> Vec<Field> {
        vec![
            Field::text("dataset", "dataset", 120),
            Field::whole("train_size", "training images", (100, 60_000))
                .offering(&[1_000.0, 10_000.0, 60_000.0]),
            Field::choice_of::<ModelKind>("kind", "kind"),
            Field::text("layers", "hidden layers", 200),
            Field::text("convs", "conv layers", 200),
            Field::text("activations", "activation per hidden layer", 200),
            Field::whole("latent", "code size", (1, 1024)).offering(&[2.0, 8.0, 32.0, 64.0]),
            Field::choice_of::<Activation>("activation", "activation (all hidden layers)"),
            Field::choice_of::<Output>("output", "output"),
            Field::choice_of::<LossKind>("loss", "loss"),
            Field::choice_of::<OptimizerKind>("optimizer", "optimizer"),
            Field::number("lr", "learning rate", (1e-5, 1.0))
                .log()
                .offering(&[1e-4, 3e-4, 1e-3, 3e-3, 0.01, 0.1]),
            Field::number("momentum", "momentum", (0.0, 0.99)).offering(&[0.0, 0.5, 0.9, 0.99]),
            Field::whole("batch", "batch size", (1, 4096)).offering(&[32.0, 64.0, 128.0, 256.0]),
            Field::whole("epochs", "epochs", (1, 1000)).offering(&[1.0, 5.0, 10.0, 30.0]),
            Field::number("val_split", "validation share", (0.0, 0.5)).offering(&[0.0, 0.1, 0.2]),
            Field::seed(),
            Field::choice_of::<VariantKind>("variant", "variant"),
            Field::choice_of::<NoiseKind>("noise", "noise"),
            Field::number("noise_level", "noise level", (0.01, 1.0))
                .offering(&[0.1, 0.3, 0.5, 0.8]),
            Field::number("beta", "β (KL weight)", (0.0, 100.0)).offering(&[0.5, 1.0, 4.0]),
            Field::choice_of::<SparsityKind>("sparsity", "sparsity penalty"),
            Field::number("sparsity_weight", "sparsity weight", (1e-6, 10.0))
                .log()
                .offering(&[1e-5, 1e-4, 1e-3, 0.1, 1.0, 3.0]),
            Field::number("rho", "target activation ρ", (0.01, 0.5)).offering(&[0.01, 0.05, 0.1]),
            Field::whole("topk", "K (units kept)", (1, 4096)).offering(&[4.0, 8.0, 16.0, 32.0]),
            Field::number("contraction", "contraction weight λ", (1e-6, 10.0))
                .log()
                .offering(&[1e-5, 1e-4, 1e-3, 1e-2]),
            Field::choice_of::<CodeChoice>("code", "code layer"),
        ]
    }
}
