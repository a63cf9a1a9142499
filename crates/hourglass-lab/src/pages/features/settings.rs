//! The Features page's settings: which run Train starts, and the dictionary's shape.

use hourglass_core::{
    Error,
    settings::{Choice, Field, Settings, as_choice},
};
use serde::{Deserialize, Serialize};

/// What Train runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Task {
    /// One dictionary of the chosen width and sparsity, then its feature browser.
    Dictionary,
    /// Dictionaries of several k at the chosen width: FVU against L0, beside PCA.
    Frontier,
    /// The linear probe on every representation at 10, 100 and 1000 labels per class.
    Probe,
}

impl Choice for Task {
    const ALL: &'static [Self] = &[Task::Dictionary, Task::Frontier, Task::Probe];
    fn name(self) -> &'static str {
        match self {
            Task::Dictionary => "dictionary",
            Task::Frontier => "frontier",
            Task::Probe => "probe",
        }
    }
    fn label(self) -> &'static str {
        match self {
            Task::Dictionary => "a dictionary",
            Task::Frontier => "the sparsity–error frontier",
            Task::Probe => "the linear probe",
        }
    }
}

/// What a dictionary is trained on: the pixels, or a layer of the shipped 30-D model
/// (784-200-100-30) of the images.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Pixels,
    /// Its first hidden layer's 200 activations.
    Hidden1,
    /// Its second hidden layer's 100.
    Hidden2,
    /// Its 30-D code.
    Codes,
}

impl Choice for Source {
    const ALL: &'static [Self] = &[
        Source::Pixels,
        Source::Hidden1,
        Source::Hidden2,
        Source::Codes,
    ];
    fn name(self) -> &'static str {
        match self {
            Source::Pixels => "pixels",
            Source::Hidden1 => "layer-1",
            Source::Hidden2 => "layer-2",
            Source::Codes => "codes",
        }
    }
    fn label(self) -> &'static str {
        match self {
            Source::Pixels => "the pixels",
            Source::Hidden1 => "a 30-D model's first hidden layer (200)",
            Source::Hidden2 => "a 30-D model's second hidden layer (100)",
            Source::Codes => "a 30-D model's codes (30)",
        }
    }
}

/// How a dictionary keeps its code sparse.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Penalty {
    /// Keep each image's k largest units (Gao et al. 2024).
    TopK,
    /// A ReLU code and an L1 penalty on it.
    L1,
}

impl Choice for Penalty {
    const ALL: &'static [Self] = &[Penalty::TopK, Penalty::L1];
    fn name(self) -> &'static str {
        match self {
            Penalty::TopK => "topk",
            Penalty::L1 => "l1",
        }
    }
    fn label(self) -> &'static str {
        match self {
            Penalty::TopK => "TopK: the k largest units",
            Penalty::L1 => "L1 penalty",
        }
    }
}

/// The Features page's settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeaturesSettings {
    pub dataset: String,
    #[serde(with = "as_choice")]
    pub task: Task,
    /// What the dictionary reads: the pixels or a model's code layer.
    #[serde(with = "as_choice")]
    pub source: Source,
    /// Code units of the dictionary (wider than the 784 pixels is allowed).
    pub width: u64,
    #[serde(with = "as_choice")]
    pub penalty: Penalty,
    /// Units kept per image (TopK).
    pub k: u64,
    /// The L1 penalty's weight.
    pub l1: f64,
    /// The probe's labels per class: up to `1000`, or `all` as well (the whole training
    /// split: minutes).
    pub probe_up_to: String,
    pub epochs: u64,
    /// Training images (the first of the train split).
    pub train_size: u64,
    pub seed: u64,
}

impl Default for FeaturesSettings {
    fn default() -> Self {
        FeaturesSettings {
            dataset: "mnist".into(),
            task: Task::Dictionary,
            source: Source::Pixels,
            width: 256,
            penalty: Penalty::TopK,
            k: 16,
            l1: 1e-3,
            probe_up_to: "1000".into(),
            epochs: 1,
            train_size: 10_000,
            seed: 1,
        }
    }
}

impl Settings for FeaturesSettings {
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
            Field::choice_of::<Task>("task", "train"),
            Field::choice_of::<Source>("source", "dictionary of"),
            Field::whole("width", "features (width)", (64, 4096))
                .offering(&[64.0, 128.0, 256.0, 512.0, 1024.0, 2048.0, 4096.0]),
            Field::choice_of::<Penalty>("penalty", "sparsity"),
            Field::whole("k", "k (active per image)", (1, 128))
                .offering(&[4.0, 8.0, 16.0, 32.0, 64.0]),
            Field::number("l1", "L1 weight", (1e-5, 1.0))
                .log()
                .offering(&[1e-4, 1e-3, 1e-2]),
            Field::choice(
                "probe_up_to",
                "probe up to",
                &[
                    ("1000", "1000 labels per class"),
                    ("all", "all labels (minutes)"),
                ],
            ),
            Field::whole("epochs", "epochs", (1, 20)).offering(&[1.0, 3.0, 5.0, 10.0]),
            Field::whole("train_size", "training images", (1_000, 60_000))
                .offering(&[2_000.0, 10_000.0, 20_000.0, 60_000.0]),
            Field::seed(),
        ]
    }

    fn check(&self) -> Result<(), Error> {
        if self.k > self.width {
            return Err(Error::invalid(format!(
                "k = {} active units cannot exceed the dictionary's {} features",
                self.k, self.width
            )));
        }
        Ok(())
    }
}
