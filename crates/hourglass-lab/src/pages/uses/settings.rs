//! The Uses page's settings: one experiment at a time, and what shapes each.

use hourglass_core::{
    Error,
    project::Method,
    settings::{Choice, Field, Settings, as_choice},
    variant::{Noise, NoiseKind},
};
use serde::{Deserialize, Serialize};

/// What Train runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Experiment {
    Anomaly,
    Denoise,
    Compress,
    Generate,
    Project,
}

impl Choice for Experiment {
    const ALL: &'static [Self] = &[
        Experiment::Anomaly,
        Experiment::Denoise,
        Experiment::Compress,
        Experiment::Generate,
        Experiment::Project,
    ];
    fn name(self) -> &'static str {
        match self {
            Experiment::Anomaly => "anomaly",
            Experiment::Denoise => "denoise",
            Experiment::Compress => "compress",
            Experiment::Generate => "generate",
            Experiment::Project => "project",
        }
    }
    fn label(self) -> &'static str {
        match self {
            Experiment::Anomaly => "anomaly detection",
            Experiment::Denoise => "denoising",
            Experiment::Compress => "compression",
            Experiment::Generate => "generation",
            Experiment::Project => "maps of codes",
        }
    }
}

/// What a map places: a shipped model's codes or the images' pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Codes,
    Pixels,
}

impl Choice for Source {
    const ALL: &'static [Self] = &[Source::Codes, Source::Pixels];
    fn name(self) -> &'static str {
        match self {
            Source::Codes => "codes",
            Source::Pixels => "pixels",
        }
    }
    fn label(self) -> &'static str {
        match self {
            Source::Codes => "a 30-D model's codes",
            Source::Pixels => "the pixels",
        }
    }
}

/// The Uses page's settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UsesSettings {
    pub dataset: String,
    /// Which experiment Train runs.
    #[serde(with = "as_choice")]
    pub experiment: Experiment,
    /// The class left out of training (anomaly).
    pub held_out: u64,
    #[serde(with = "as_choice")]
    pub noise: NoiseKind,
    pub noise_level: f64,
    /// How the map is made (project).
    #[serde(with = "as_choice")]
    pub method: Method,
    #[serde(with = "as_choice")]
    pub source: Source,
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
            experiment: Experiment::Anomaly,
            held_out: 7,
            noise: NoiseKind::Gaussian,
            noise_level: 0.5,
            method: Method::Tsne,
            source: Source::Codes,
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
            Field::choice_of::<Experiment>("experiment", "experiment"),
            Field::whole("held_out", "class left out", (0, 9)),
            Field::choice_of::<NoiseKind>("noise", "noise"),
            Field::number("noise_level", "noise level", (0.05, 1.0))
                .offering(&[0.1, 0.3, 0.5, 0.7]),
            Field::choice_of::<Method>("method", "map"),
            Field::choice_of::<Source>("source", "map of"),
            Field::whole("points", "images mapped", (500, 70_000))
                .offering(&[2_000.0, 10_000.0, 70_000.0]),
            Field::number("perplexity", "perplexity", (5.0, 100.0)).offering(&[10.0, 30.0, 50.0]),
            Field::whole("neighbours", "UMAP neighbours", (2, 200)).offering(&[5.0, 15.0, 50.0]),
            Field::number("min_dist", "UMAP min. distance", (0.0, 1.0)).offering(&[0.0, 0.1, 0.5]),
            Field::whole("epochs", "epochs per model", (1, 30)).offering(&[1.0, 3.0, 5.0, 10.0]),
            Field::whole("train_size", "training images", (1_000, 60_000))
                .offering(&[2_000.0, 10_000.0, 20_000.0, 60_000.0]),
            Field::seed(),
        ]
    }
}

impl UsesSettings {
    /// The denoising experiment's noise.
    pub fn noise(&self) -> Result<Noise, Error> {
        self.noise.at(self.noise_level)
    }
}
