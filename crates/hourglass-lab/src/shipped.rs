//! Models and test samples shipped inside the binary, so the Digits Lab works on a machine
//! with no datasets and no network: 2-D and 30-D models of MNIST and Fashion-MNIST that
//! Hourglass trained itself, a fixed sample of each test split with its labels, and
//! `manifest.json` with every model's test error beside PCA's. `scripts/ship-models`
//! regenerates all of it from the real datasets (examples/ship.rs).
//!
//! MNIST (Yann LeCun, Corinna Cortes, Christopher Burges) and Fashion-MNIST (Zalando
//! Research, MIT licence) are redistributable with attribution; the pages and README credit them.
//!
//! `photo-patches`, the colour data set, is cut from four photographs that scikit-image ships in
//! `skimage.data` (re-encoded as JPEG, quality 90): the astronaut Eileen Collins (NASA,
//! public domain), Chelsea the cat (Stefan van der Walt, CC0), a coffee cup (Rachel
//! Michetti, CC0) and the DSCOVR launch (SpaceX, public domain).

use anyhow::{Context, Result};
use hourglass_core::{data::Dataset, rng::Rng};
use serde::Deserialize;

/// Test images in each shipped sample (the Digits Lab's map without the dataset).
pub const SAMPLE_SIZE: usize = 2000;

/// The fixed draw of `SAMPLE_SIZE` test images (sorted indices): the shipped sample, and the
/// subset whose codes the Digits Lab shows while a model trains.
pub fn sample_indices(test_len: usize) -> Vec<usize> {
    let mut order = Rng::new(0xd161_7500).permutation(test_len);
    order.truncate(SAMPLE_SIZE.min(test_len));
    order.sort_unstable();
    order
}

/// A model shipped in the binary.
#[derive(Debug, Clone, Copy)]
pub struct ShippedModel {
    /// `mnist-2d`, `mnist-30d`, `fashion-2d`, `fashion-30d`.
    pub name: &'static str,
    /// What the picker says.
    pub title: &'static str,
    /// The known dataset it was trained on.
    pub dataset: &'static str,
    /// The checkpoint (safetensors).
    pub bytes: &'static [u8],
}

macro_rules! shipped {
    ($file:literal) => {
        include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/shipped/", $file)).as_slice()
    };
}

/// Every shipped model.
// a static, not a const: a const is copied into every crate that uses it (the engine once
// carried three copies of each model)
pub static MODELS: &[ShippedModel] = &[
    ShippedModel {
        name: "mnist-2d",
        title: "MNIST, 2-D code (784-100-50-25-2)",
        dataset: "mnist",
        bytes: shipped!("mnist-2d.safetensors"),
    },
    ShippedModel {
        name: "mnist-30d",
        title: "MNIST, 30-D code (784-200-100-30)",
        dataset: "mnist",
        bytes: shipped!("mnist-30d.safetensors"),
    },
    ShippedModel {
        name: "fashion-2d",
        title: "Fashion-MNIST, 2-D code (784-100-50-25-2)",
        dataset: "fashion-mnist",
        bytes: shipped!("fashion-2d.safetensors"),
    },
    ShippedModel {
        name: "fashion-30d",
        title: "Fashion-MNIST, 30-D code (784-200-100-30)",
        dataset: "fashion-mnist",
        bytes: shipped!("fashion-30d.safetensors"),
    },
];

const MANIFEST: &str = include_str!("../shipped/manifest.json");
static SAMPLES: &[(&str, &[u8], &[u8])] = &[
    (
        "mnist",
        shipped!("mnist-sample-images.idx.gz"),
        shipped!("mnist-sample-labels.idx.gz"),
    ),
    (
        "fashion-mnist",
        shipped!("fashion-mnist-sample-images.idx.gz"),
        shipped!("fashion-mnist-sample-labels.idx.gz"),
    ),
];

/// The photographs `photo-patches` is cut from, by the name its classes take.
static PHOTOS: &[(&str, &[u8])] = &[
    ("astronaut", shipped!("photos/astronaut.jpg")),
    ("cat", shipped!("photos/cat.jpg")),
    ("coffee", shipped!("photos/coffee.jpg")),
    ("rocket", shipped!("photos/rocket.jpg")),
];

/// The built-in colour data set's name.
pub const PHOTOS_NAME: &str = "photo-patches";
/// Its patches' side, and how many each split holds.
pub const PHOTO_SIZE: usize = 64;
pub const PHOTO_PATCHES: (usize, usize) = (2000, 500);

/// `photo-patches`: 64×64 colour patches of the shipped photographs (2,000 for training from the
/// left three quarters of each, 500 for testing from the right quarter), labelled by
/// photograph; the same patches on every machine.
pub fn photos(split: hourglass_core::data::Split) -> Result<Dataset> {
    let count = match split {
        hourglass_core::data::Split::Train => PHOTO_PATCHES.0,
        hourglass_core::data::Split::Test => PHOTO_PATCHES.1,
    };
    photo_patches_from(split, count, 0)
}

/// `count` patches of the shipped photographs from `split`'s part of each, cut with `seed`
/// (seed 0: `photo-patches` itself); the streaming benchmark's folders are made of them.
pub fn photo_patches_from(
    split: hourglass_core::data::Split,
    count: usize,
    seed: u64,
) -> Result<Dataset> {
    Ok(hourglass_core::data::photo_patches(
        PHOTOS_NAME,
        PHOTOS,
        split,
        count,
        PHOTO_SIZE,
        0x9407_0500 ^ seed,
    )?)
}

/// A shipped model by name.
pub fn model(name: &str) -> Option<&'static ShippedModel> {
    MODELS.iter().find(|m| m.name == name)
}

/// How a shipped model was made and how well it does (from `manifest.json`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Quality {
    pub dataset: String,
    pub layers: String,
    pub latent: usize,
    pub epochs: u32,
    /// Mean squared error per pixel over the whole test split.
    pub test_mse: f64,
    /// The same for PCA with as many components as the code has, fitted on the train split.
    pub pca_test_mse: f64,
    pub pca_components: usize,
    /// The command that trained it.
    pub command: String,
}

#[derive(Deserialize)]
struct Manifest {
    models: std::collections::BTreeMap<String, Quality>,
}

/// The recorded quality of shipped model `name` (the manifest is read once).
pub fn quality(name: &str) -> Option<Quality> {
    static PARSED: std::sync::OnceLock<Option<Manifest>> = std::sync::OnceLock::new();
    PARSED
        .get_or_init(|| serde_json::from_str(MANIFEST).ok())
        .as_ref()?
        .models
        .get(name)
        .cloned()
}

/// The shipped sample of `dataset`'s test split (`SAMPLE_SIZE` images with labels), or
/// `None` for a dataset without one.
pub fn sample(dataset: &str) -> Option<Result<Dataset>> {
    let (_, images, labels) = SAMPLES.iter().find(|(d, _, _)| *d == dataset)?;
    let read = || -> Result<Dataset> {
        Ok(hourglass_core::data::idx_dataset(
            dataset,
            (&format!("shipped {dataset} sample images"), images),
            Some((&format!("shipped {dataset} sample labels"), labels)),
        )?)
    };
    Some(read().with_context(|| format!("the shipped {dataset} sample")))
}

/// Bytes of everything shipped (models, samples, manifest).
pub fn total_bytes() -> usize {
    MODELS.iter().map(|m| m.bytes.len()).sum::<usize>()
        + SAMPLES
            .iter()
            .map(|(_, a, b)| a.len() + b.len())
            .sum::<usize>()
        + PHOTOS.iter().map(|(_, b)| b.len()).sum::<usize>()
        + MANIFEST.len()
}
