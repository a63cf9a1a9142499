use std::path::PathBuf;

use hourglass_core::fixed::distance;

use super::*;
use crate::{
    DatasetStore, MemoryModels,
    testing::{Probe, TestDatasets, array, ask, test_data},
};

type P = Probe<DigitsJob>;

fn probe(data_dir: PathBuf) -> P {
    probe_with(data_dir, Arc::new(MemoryModels::default()))
}

fn probe_with(data_dir: PathBuf, models: Arc<MemoryModels>) -> P {
    Probe::with(Arc::new(TestDatasets::new(&data_dir)), models)
}

#[test]
fn trains_on_mnist_and_the_map_codes_move() {
    let mut p = probe(test_data());
    let hello = p.driver.greeting();
    assert_eq!(hello["info"]["layers"], json!([784, 100, 50, 25, 2]));
    assert_eq!(
        hello["info"]["datasets"][0],
        json!({"name": "mnist", "present": true})
    );
    // the shipped 2-D model is on the map from the start
    let shipped = p.until(2000, |f| !f.arrays.is_empty());
    assert_eq!(shipped.header["model"], "mnist-2d");
    p.send(r#"{"type":"configure","model":"train","train_size":1000,"batch":50}"#);
    let fresh = p.until(2000, |f| f.header["model"] == "train");
    assert!(fresh.arrays.is_empty(), "no trained model before training");
    p.send(r#"{"type":"step"}"#);
    let first = p.until(2000, |f| f.header["step"] == 1);
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
    let later = p.until(2000, |f| f.header["step"].as_u64() >= Some(60));
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
    let paused = p.until(2000, |f| f.header["run"]["training"] == false);
    let step = paused.header["step"].as_u64();
    let now = p.until(2000, |f| {
        f.header["step"].as_u64() == step && !f.arrays.is_empty()
    });
    let ds = TestDatasets::new(&test_data())
        .load("mnist", Split::Test)
        .unwrap();
    let order = shipped::sample_indices(ds.len());
    let pixels: Vec<f32> = ds.sample(order[0]).to_vec();
    let answer =
        p.ask(&json!({"type": "query", "id": 5, "query": "encode", "pixels": pixels}).to_string());
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
    let image =
        p.ask(&json!({"type": "query", "id": 7, "query": "decode", "code": code}).to_string());
    let (a, b) = (&image.arrays[0].1, &answer.arrays[0].1);
    assert!(a.iter().zip(b.iter()).all(|(x, y)| (x - y).abs() < 1e-5));
    // a dot of the map: its image, label, and the same code
    let dot = p.ask(r#"{"type":"query","id":9,"query":"sample","index":0}"#);
    assert_eq!(dot.arrays[0].1.as_slice(), pixels.as_slice());
    assert_eq!(
        dot.header["label"].as_u64(),
        ds.label(order[0]).map(u64::from)
    );
    assert_eq!(dot.header["code"], answer.header["code"]);
    let bad = p.refused(r#"{"type":"query","id":10,"query":"sample","index":2000}"#);
    assert!(bad.contains("no image 2000"), "{bad}");
    let bad = p.refused(r#"{"type":"query","id":8,"query":"decode","code":[1]}"#);
    assert!(bad.contains("2 finite numbers"), "{bad}");
    let bad = p.refused(r#"{"type":"query","id":6,"query":"encode","pixels":[1,2]}"#);
    assert!(bad.contains("784"), "{bad}");
    // the learning rate changes between steps; a new seed starts again
    p.send(r#"{"type":"configure","lr":0.0003}"#);
    p.until(2000, |f| f.header["settings"]["lr"] == 0.0003);
    p.send(r#"{"type":"configure","seed":2}"#);
    let r = p.until(2000, |f| f.header["step"] == 0);
    assert_eq!(r.header["run"]["training"], false);
    assert!(r.arrays.is_empty());
}

#[test]
fn without_the_dataset_your_model_trains_on_the_shipped_sample_and_says_so() {
    let empty = std::env::temp_dir().join("hourglass-no-datasets-here");
    std::fs::create_dir_all(&empty).unwrap();
    let mut p = probe(empty.clone());
    // an already-trained model does not train (and says how to)
    p.send(r#"{"type":"step"}"#);
    let s = p.until(2000, |f| f.header["run"]["notice"].is_object());
    let text = s.header["run"]["notice"]["text"].as_str().unwrap();
    assert!(text.contains("Train your own"), "{text}");
    assert_eq!(s.header["trains_on_sample"], false);
    // your own model: on the 2,000 images of the shipped sample (of 10,000 asked for)
    p.send(r#"{"type":"configure","model":"train","batch":100}"#);
    p.send(r#"{"type":"step"}"#);
    let s = p.until(2000, |f| f.header["step"] == 1);
    assert_eq!(s.header["trains_on_sample"], true);
    assert_eq!(s.header["steps_per_epoch"], 20);
    assert!(s.header["loss"].as_f64().is_some_and(f64::is_finite));
    assert_eq!(s.header["run"]["training"], false);
}

#[test]
fn iteration_stops_at_a_fixed_point_and_the_basin_map_agrees_with_it() {
    let mut p = probe(test_data());
    let first = p.until(2000, |f| !f.arrays.is_empty());
    assert_eq!(first.header["map"]["count"], 10_000, "the whole test split");
    // from the first test image: encode→decode until the code stops moving
    let it = ask(
        &mut p,
        json!({"type": "query", "id": 1, "query": "sample", "index": 0}),
    );
    let image = array(&it, "image").to_vec();
    let f = ask(
        &mut p,
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
        &mut p,
        json!({"type": "query", "id": 3, "query": "decode", "code": end}),
    );
    let back = ask(
        &mut p,
        json!({"type": "query", "id": 4, "query": "encode",
        "pixels": array(&again, "image").iter().map(|v| v.clamp(0.0, 1.0)).collect::<Vec<_>>()}),
    );
    let code: Vec<f32> = serde_json::from_value(back.header["code"].clone()).unwrap();
    let tol = f.header["tolerance"].as_f64().unwrap() as f32;
    assert!(distance(&code, end) < 2.0 * tol, "{code:?} vs {end:?}");
    // the basin map: cells iterated one by one end at their cell's fixed point
    let bounds = [-10.0f32, 10.0, -10.0, 10.0];
    let b = ask(
        &mut p,
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
            &mut p,
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
        &mut p,
        json!({"type": "query", "id": 20, "query": "interpolate", "a": a, "b": z, "steps": 5}),
    );
    let imgs = array(&line, "images");
    assert_eq!(imgs.len(), 5 * 784);
    // each image's spot on the map: a 2-D code is its own spot
    let spots: Vec<[f32; 2]> = serde_json::from_value(line.header["positions"].clone()).unwrap();
    assert_eq!(spots.len(), 5);
    assert_eq!(spots[0], a);
    assert_eq!(spots[4], z);
    let end = ask(
        &mut p,
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
        &mut p,
        json!({"type": "query", "id": 22, "query": "compare", "pixels": image}),
    );
    let models = cmp.header["models"].as_array().unwrap();
    assert_eq!(models.len(), 2);
    assert!(
        models[1]["error"].as_f64() < models[0]["error"].as_f64(),
        "{models:?}"
    );
    assert_eq!(array(&cmp, "reconstructions").len(), 2 * 784);
    // each image is read by its nearest map images: a test image from the map reads as its
    // own label (it is among its own neighbours), and the 30-D model rebuilds it as that too
    let label = it.header["label"].as_u64().unwrap();
    assert_eq!(
        cmp.header["input_read"].as_u64(),
        Some(label),
        "{:?}",
        cmp.header
    );
    assert_eq!(models[1]["read"].as_u64(), Some(label), "{models:?}");
    assert!(models[0]["read"].as_u64().is_some_and(|r| r < 10));
    // the 30-D model: 30 sliders' ranges, its codes placed on the map by PCA
    p.send(r#"{"type":"configure","model":"mnist-30d"}"#);
    let wide = p.until(2000, |f| f.header["map"]["latent"] == 30);
    assert_eq!(wide.header["map"]["ranges"].as_array().unwrap().len(), 30);
    assert_eq!(wide.header["map"]["projected"], true);
    assert_eq!(array(&wide, "codes").len(), 20_000);
    let d = ask(
        &mut p,
        json!({"type": "query", "id": 23, "query": "decode", "at": [0.5, -0.5]}),
    );
    assert_eq!(d.header["code"].as_array().unwrap().len(), 30);
    let pos: Vec<f32> = serde_json::from_value(d.header["position"].clone()).unwrap();
    assert!(
        (pos[0] - 0.5).abs() < 1e-3 && (pos[1] + 0.5).abs() < 1e-3,
        "{pos:?}"
    );
    // a model that is not there is refused, and the page keeps the one it had
    let e = p.refused(r#"{"type":"configure","model":"file:nothing.safetensors"}"#);
    assert!(e.contains("nothing.safetensors"), "{e}");
    let e = p.refused(r#"{"type":"configure","model":"file:../etc/passwd"}"#);
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
    let data = TestDatasets::new(&test_data());
    for (name, bound) in [("mnist-2d", 0.75), ("mnist-30d", 0.6), ("fashion-2d", 0.9)] {
        let m = shipped::model(name).unwrap();
        let q = shipped::quality(name).unwrap();
        let test = data.load(m.dataset, Split::Test).unwrap();
        let (_, model) = digit_model(name, m.bytes).unwrap();
        let mse = test_mse(&model, &test);
        assert!(
            (mse - q.test_mse).abs() < 1e-4,
            "{name}: {mse} vs recorded {}",
            q.test_mse
        );
        // PCA with as many components, fitted on the train split
        let train = data.load(m.dataset, Split::Train).unwrap();
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
    let test = data.load("mnist", Split::Test).unwrap();
    let idx = shipped::sample_indices(test.len());
    assert_eq!(s.len(), 2000);
    assert_eq!(s.sample(7), test.sample(idx[7]));
    assert_eq!(s.label(1999), test.label(idx[1999]));
}

#[test]
fn the_models_folder_is_in_the_picker_and_a_bad_file_says_why() {
    let store = Arc::new(MemoryModels::default());
    store.put(
        "mine.safetensors",
        shipped::model("fashion-2d").unwrap().bytes.to_vec(),
    );
    store.put("broken.safetensors", b"not a checkpoint".to_vec());
    let mut p = probe_with(test_data(), store.clone());
    let f = p.until(2000, |f| !f.arrays.is_empty());
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
    let mine = p.until(2000, |f| {
        f.header["model"] == "file:mine.safetensors"
            && f.header["map"]["dataset"] == "fashion-mnist"
    });
    assert_eq!(mine.header["map"]["count"], 10_000);
    let e = p.refused(r#"{"type":"configure","model":"file:broken.safetensors"}"#);
    assert!(e.contains("cannot use broken.safetensors"), "{e}");
    // a file added later appears when the folder is read again
    store.put(
        "later.safetensors",
        shipped::model("mnist-2d").unwrap().bytes.to_vec(),
    );
    p.send(r#"{"type":"rescan"}"#);
    p.until(2000, |f| {
        f.header["models"].as_array().is_some_and(|m| m.len() == 8)
    });
    // the training split's 60,000 codes on request
    p.send(r#"{"type":"configure","map":"train"}"#);
    let big = p.until(2000, |f| f.header["map"]["count"] == 60_000);
    assert_eq!(array(&big, "codes").len(), 120_000);
}
