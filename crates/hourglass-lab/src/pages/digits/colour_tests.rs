//! The Digits Lab on colour images: photo-patches (64×64×3, built in, no dataset needed)
//! trains here, and its map, thumbnails, decoded images and reconstructions are colour
//! images of 12,288 values; a photo-patches model from the models folder is shown on the
//! patches; a 28×28 drawing sent to a colour model is refused by name.

use std::collections::BTreeMap;

use hourglass_core::{
    checkpoint::{DatasetInfo, ModelConfig, TrainingInfo},
    data::Scaling,
};

use super::*;
use crate::{
    MemoryModels,
    testing::{Probe, TestDatasets, array, ask},
};

const PATCH: usize = 3 * 64 * 64;

fn probe(models: Arc<MemoryModels>) -> Probe<DigitsJob> {
    // no datasets at all: photo-patches is cut from the photographs in the binary
    let empty = std::env::temp_dir().join("hourglass-digits-colour-no-datasets");
    std::fs::create_dir_all(&empty).unwrap();
    Probe::with(Arc::new(TestDatasets::new(&empty)), models)
}

/// The largest difference between two colour planes of an image: 0 for a grey one.
fn colour_spread(image: &[f32]) -> f32 {
    let plane = image.len() / 3;
    (0..plane)
        .map(|i| {
            let (r, g, b) = (image[i], image[plane + i], image[2 * plane + i]);
            (r - g).abs().max((g - b).abs()).max((r - b).abs())
        })
        .fold(0.0, f32::max)
}

#[test]
fn your_model_trains_on_colour_patches_and_every_image_it_shows_is_colour() {
    let mut p = probe(Arc::new(MemoryModels::default()));
    p.send(
        r#"{"type":"configure","model":"train","dataset":"photo-patches","batch":100,"lr":0.003}"#,
    );
    p.send(r#"{"type":"play"}"#);
    let s = p.until(4000, |f| f.header["step"].as_u64() >= Some(60));
    p.send(r#"{"type":"pause"}"#);
    assert_eq!(s.header["image"], json!([3, 64, 64]));
    assert_eq!(s.header["trains_on_sample"], false);
    assert_eq!(
        s.header["steps_per_epoch"], 20,
        "all 2,000 training patches"
    );
    assert!(
        s.header["layers"]
            .as_str()
            .unwrap()
            .contains("12288-100-50-25-2"),
        "{}",
        s.header["layers"]
    );
    // the map: all 500 test patches, classed by photograph
    assert_eq!(s.header["map"]["count"], 500);
    assert_eq!(
        s.header["map"]["classes"],
        json!(["astronaut", "cat", "coffee", "rocket"])
    );
    let labels = array(&s, "labels");
    assert_eq!(labels.len(), 500);
    for k in 0..4 {
        assert!(labels.contains(&(k as f32)), "no patch of photograph {k}");
    }
    assert_eq!(array(&s, "codes").len(), 1000);
    let losses = s.header["run"]["losses"].as_array().unwrap();
    let (l0, l1) = (
        losses[0][1].as_f64().unwrap(),
        losses.last().unwrap()[1].as_f64().unwrap(),
    );
    assert!(l1 < 0.8 * l0, "loss {l0} -> {l1}");
    // thumbnails: the test patches themselves, in colour
    let test = shipped::photos(Split::Test).unwrap();
    let t = ask(
        &mut p,
        json!({"type": "query", "id": 1, "query": "images", "indices": [0, 1, 499]}),
    );
    let imgs = array(&t, "images");
    assert_eq!(imgs.len(), 3 * PATCH);
    assert_eq!(&imgs[..PATCH], test.sample(0));
    assert_eq!(&imgs[2 * PATCH..], test.sample(499));
    let spread = imgs.chunks(PATCH).map(colour_spread).fold(0.0, f32::max);
    assert!(spread > 0.2, "colour thumbnails: {spread}");
    // a dot: its patch and reconstruction; encoding the patch gives the same code
    let dot = ask(
        &mut p,
        json!({"type": "query", "id": 2, "query": "sample", "index": 3}),
    );
    assert_eq!(array(&dot, "image"), test.sample(3));
    let recon = array(&dot, "reconstruction");
    assert_eq!(recon.len(), PATCH);
    assert!(colour_spread(recon) > 0.02, "a colour reconstruction");
    let enc = ask(
        &mut p,
        json!({"type": "query", "id": 3, "query": "encode", "pixels": test.sample(3)}),
    );
    assert_eq!(enc.header["code"], dot.header["code"]);
    assert_eq!(array(&enc, "reconstruction").len(), PATCH);
    // hovering the map decodes a colour patch; the decoded grid and the iteration too
    let d = ask(
        &mut p,
        json!({"type": "query", "id": 4, "query": "decode", "at": [0.0, 0.0]}),
    );
    assert_eq!(array(&d, "image").len(), PATCH);
    let g = ask(
        &mut p,
        json!({"type": "query", "id": 5, "query": "grid", "grid": 4, "bounds": [-1, 1, -1, 1]}),
    );
    assert_eq!(array(&g, "images").len(), 16 * PATCH);
    let it = ask(
        &mut p,
        json!({"type": "query", "id": 6, "query": "iterate", "pixels": test.sample(3), "steps": 5}),
    );
    let rounds = it.header["iterations"].as_u64().unwrap() as usize;
    assert_eq!(array(&it, "images").len(), rounds * PATCH);
    // a basin map's grid is as much work as a digit's: at most 32 a side for these images
    let b = ask(
        &mut p,
        json!({"type": "query", "id": 7, "query": "basins", "grid": 6, "iterations": 10,
               "bounds": [-1, 1, -1, 1]}),
    );
    assert_eq!(array(&b, "cells").len(), 36);
    let points = b.header["fixed_points"].as_array().unwrap().len();
    assert_eq!(array(&b, "images").len(), points * PATCH);
    let e = p.refused(r#"{"type":"query","id":8,"query":"basins","grid":64,"bounds":[-1,1,-1,1]}"#);
    assert!(e.contains("2–32"), "{e}");
    // a 28×28 drawing is not an image this model takes, and the page is told why
    let e = p.refused(
        &json!({"type": "query", "id": 9, "query": "encode", "pixels": vec![0.5; 784]}).to_string(),
    );
    assert!(
        e.contains("12288 values") && e.contains("64×64×3 colour"),
        "{e}"
    );
    // the 2-D and 30-D comparison has no shipped models of photo-patches: none, no error
    let c = ask(
        &mut p,
        json!({"type": "query", "id": 10, "query": "compare", "pixels": test.sample(3)}),
    );
    assert_eq!(c.header["models"], json!([]));
    // back to digits: 784 values again
    p.send(r#"{"type":"configure","dataset":"mnist"}"#);
    let s = p.until(2000, |f| f.header["settings"]["dataset"] == "mnist");
    assert_eq!(s.header["image"], json!([1, 28, 28]));
}

#[test]
fn a_colour_model_from_the_models_folder_is_shown_on_the_patches() {
    let arch = Architecture::Dense {
        layers: vec![PATCH, 16, 2],
        activation: Activation::Relu,
        output: Activation::Sigmoid,
        activations: vec![],
        code: Code::Linear,
    };
    let info = |name: &str| DatasetInfo {
        name: name.into(),
        features: PATCH,
        image_shape: Some([64, 64]),
        channels: 3,
        scaling: Scaling::IDENTITY,
        train_samples: 2000,
        val_samples: 0,
        classes: None,
    };
    let training = TrainingInfo::of(
        &TrainOptions {
            loss: LossKind::Mse,
            optimizer: Optimizer::adam(1e-3),
            batch_size: 64,
            epochs: 1,
            seed: 1,
            variant: Variant::Plain,
        },
        0.9,
        0.0,
    );
    let file = |name: &str| {
        let ck = Checkpoint {
            config: ModelConfig::trained(
                arch.clone(),
                info(name),
                training.clone(),
                1,
                vec![],
                BTreeMap::new(),
            ),
            tensors: initial_tensors(&arch, 3).unwrap(),
        };
        ck.to_bytes().unwrap()
    };
    let store = Arc::new(MemoryModels::default());
    store.put("patches.safetensors", file("photo-patches"));
    // 64×64 colour images of some other folder: the Digits Lab has no images to map them on
    store.put("holiday.safetensors", file("holiday"));
    let mut p = probe(store);
    let f = p.until(2000, |f| !f.arrays.is_empty());
    let models: Vec<Value> = serde_json::from_value(f.header["models"].clone()).unwrap();
    let find = |n: &str| models.iter().find(|m| m["name"] == n).unwrap().clone();
    assert_eq!(find("file:patches.safetensors")["dataset"], "photo-patches");
    assert_eq!(find("file:patches.safetensors")["error"], Value::Null);
    let why = find("file:holiday.safetensors")["error"].to_string();
    assert!(why.contains("12288 values per sample"), "{why}");
    p.send(r#"{"type":"configure","model":"file:patches.safetensors"}"#);
    let s = p.until(2000, |f| {
        f.header["model"] == "file:patches.safetensors" && !f.arrays.is_empty()
    });
    assert_eq!(s.header["image"], json!([3, 64, 64]));
    assert_eq!(s.header["map"]["dataset"], "photo-patches");
    assert_eq!(s.header["map"]["source"], "test");
    assert_eq!(s.header["map"]["count"], 500);
    // the map's other split: the 2,000 training patches
    p.send(r#"{"type":"configure","map":"train"}"#);
    let t = p.until(2000, |f| f.header["map"]["count"] == 2000);
    assert_eq!(array(&t, "codes").len(), 4000);
    let d = ask(
        &mut p,
        json!({"type": "query", "id": 1, "query": "decode", "code": [0.5, -0.5]}),
    );
    assert_eq!(array(&d, "image").len(), PATCH);
}
