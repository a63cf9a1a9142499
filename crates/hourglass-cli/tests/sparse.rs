//! A sparse model's figures (`eval`: L0, dead units, FVU beside PCA's) and a layer's
//! activations (`encode --layer`), which a dictionary then trains on.

mod common;

use common::{bad, data_dir, ok, s};
use serde_json::Value;

#[test]
fn a_sparse_models_eval_reports_l0_dead_units_and_fvu_beside_pca() {
    let dir = tempfile::tempdir().unwrap();
    let data = data_dir();
    let model = dir.path().join("sparse.safetensors");
    ok(&[
        "train",
        "--dataset",
        "mnist",
        "--data-dir",
        s(&data),
        "--limit",
        "4096",
        "--layers",
        "784,64",
        "--variant",
        "sparse",
        "--sparsity",
        "l1:1e-4",
        "--loss",
        "bce",
        "--epochs",
        "5",
        "--batch",
        "64",
        "--out",
        s(&model),
    ]);
    let e: Value = serde_json::from_str(&ok(&[
        "eval",
        "--model",
        s(&model),
        "--dataset",
        "mnist",
        "--data-dir",
        s(&data),
        "--limit",
        "1000",
        "--json",
    ]))
    .unwrap();
    let f = &e["sparsity"];
    let l0 = f["l0"].as_f64().unwrap();
    let (units, dead) = (f["units"].as_u64().unwrap(), f["dead"].as_u64().unwrap());
    assert_eq!(units, 64, "{e}");
    // an L1 penalty on a ReLU code leaves some units off on each image
    assert!(l0 > 0.0 && l0 < 64.0, "{e}");
    assert!(dead < units, "{e}");
    assert!((f["dead_fraction"].as_f64().unwrap() - dead as f64 / 64.0).abs() < 1e-12);
    let (fvu, pca) = (f["fvu"].as_f64().unwrap(), f["pca_fvu"].as_f64().unwrap());
    assert!(fvu > 0.0 && fvu < 1.0, "{e}");
    assert!(pca > 0.0 && pca < 1.0, "{e}");
    assert_eq!(
        f["pca_components"].as_u64().unwrap(),
        (l0.round() as u64).max(1),
        "{e}"
    );
    // a plain model has no such figures
    let plain: Value = serde_json::from_str(&ok(&[
        "eval",
        "--model",
        "mnist-30d",
        "--dataset",
        "mnist",
        "--data-dir",
        s(&data),
        "--limit",
        "100",
        "--json",
    ]))
    .unwrap();
    assert!(plain.get("sparsity").is_none(), "{plain}");
}

#[test]
fn a_layers_activations_are_written_and_a_model_trains_on_them() {
    let dir = tempfile::tempdir().unwrap();
    let data = data_dir();
    let acts = dir.path().join("acts.npy");
    let said = common::run(&[
        "encode",
        "--model",
        "mnist-30d",
        "--dataset",
        "mnist",
        "--data-dir",
        s(&data),
        "--limit",
        "600",
        "--layer",
        "encoder.0",
        "--out",
        s(&acts),
    ]);
    assert!(said.status.success(), "{}", common::stderr(&said));
    assert!(
        common::stderr(&said).contains("activations of encoder.0"),
        "{}",
        common::stderr(&said)
    );
    // the first hidden layer of the shipped 784-…-30 model, one row per image, no labels
    let bytes = std::fs::read(&acts).unwrap();
    let header = String::from_utf8_lossy(&bytes[..128.min(bytes.len())]).into_owned();
    assert!(header.contains("'shape': (600, "), "{header}");
    let csv = dir.path().join("latent.csv");
    ok(&[
        "encode",
        "--model",
        "mnist-30d",
        "--dataset",
        "mnist",
        "--data-dir",
        s(&data),
        "--limit",
        "5",
        "--layer",
        "latent",
        "--out",
        s(&csv),
    ]);
    let text = std::fs::read_to_string(&csv).unwrap();
    assert!(text.starts_with("h0,h1,"), "{text}");
    assert!(
        text.lines().next().unwrap().ends_with("h29,label"),
        "{text}"
    );
    // a dictionary on the activations
    let dict = dir.path().join("dict.safetensors");
    ok(&[
        "train",
        "--dataset",
        s(&acts),
        "--layers",
        "200,256",
        "--variant",
        "sparse",
        "--sparsity",
        "l1:1e-4",
        "--epochs",
        "1",
        "--out",
        s(&dict),
    ]);
    // a wrong layer name lists the model's layers
    bad(
        &[
            "encode",
            "--model",
            "mnist-30d",
            "--dataset",
            "mnist",
            "--data-dir",
            s(&data),
            "--limit",
            "5",
            "--layer",
            "encoder.9",
            "--out",
            s(&csv),
        ],
        &[
            "no layer named 'encoder.9'",
            "encoder.0",
            "latent",
            "output",
        ],
    );
}
