//! The Digits Lab's settings: which model, which map, and how the learner's own model trains.

use super::*;

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
    /// What `train` trains on: `mnist`, `fashion-mnist` or `photo-patches` (built in: 64×64
    /// colour patches, 2,000 of them).
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
                    ("photo-patches", "photo-patches (64×64 colour)"),
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
