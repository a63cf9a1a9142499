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

#[test]
fn a_topk_dictionary_keeps_k_units_per_image_and_is_overcomplete() {
    let dir = tempfile::tempdir().unwrap();
    let data = data_dir();
    let model = dir.path().join("topk.safetensors");
    let train = |extra: &[&str]| {
        let mut args = vec![
            "train",
            "--dataset",
            "mnist",
            "--data-dir",
            s(&data),
            "--limit",
            "2048",
            "--variant",
            "sparse",
            "--output-activation",
            "linear",
            "--epochs",
            "2",
            "--out",
            s(&model),
        ];
        args.extend_from_slice(extra);
        args.into_iter().map(str::to_owned).collect::<Vec<_>>()
    };
    fn refs(v: &[String]) -> Vec<&str> {
        v.iter().map(String::as_str).collect()
    }
    // wider than the input: 784 → 1024
    ok(&refs(&train(&[
        "--layers",
        "784,1024",
        "--sparsity",
        "topk:12",
    ])));
    let e: Value = serde_json::from_str(&ok(&[
        "eval",
        "--model",
        s(&model),
        "--dataset",
        "mnist",
        "--data-dir",
        s(&data),
        "--limit",
        "500",
        "--json",
    ]))
    .unwrap();
    let f = &e["sparsity"];
    assert_eq!(f["units"].as_u64().unwrap(), 1024, "{e}");
    let l0 = f["l0"].as_f64().unwrap();
    // K kept on each image (a kept unit the ReLU cuts to zero would count less, never more)
    assert!(l0 <= 12.0 && l0 > 11.0, "{e}");
    assert_eq!(e["variant"]["penalty"]["k"].as_u64(), Some(12), "{e}");
    // its codes, image by image: never more than K active
    let csv = dir.path().join("codes.csv");
    ok(&[
        "encode",
        "--model",
        s(&model),
        "--dataset",
        "mnist",
        "--data-dir",
        s(&data),
        "--limit",
        "200",
        "--out",
        s(&csv),
    ]);
    let text = std::fs::read_to_string(&csv).unwrap();
    for (i, line) in text.lines().skip(1).enumerate() {
        let cells: Vec<&str> = line.split(',').collect();
        let active = cells[..1024]
            .iter()
            .filter(|c| c.parse::<f64>().unwrap() != 0.0)
            .count();
        assert!(active <= 12, "image {i}: {active} active units");
    }
    // what cannot be trained says why
    for (extra, why) in [
        (
            &["--layers", "784,8", "--sparsity", "topk:16"][..],
            "within 1..=8",
        ),
        (
            &["--layers", "784,64", "--sparsity", "topk:0"][..],
            "between 1 and",
        ),
        (
            &[
                "--layers",
                "784,64",
                "--sparsity",
                "topk:8",
                "--code",
                "relu",
            ][..],
            "topk:8 sparsity is its code layer",
        ),
    ] {
        bad(&refs(&train(extra)), &[why]);
    }
    bad(
        &[
            "train",
            "--dataset",
            "mnist",
            "--data-dir",
            s(&data),
            "--limit",
            "256",
            "--layers",
            "784,64",
            "--code",
            "topk:8",
            "--out",
            s(&model),
        ],
        &["belongs to the sparse variant"],
    );
}
