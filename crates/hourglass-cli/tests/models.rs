//! The models shipped inside the binary, through the real binary: `hourglass models` lists
//! them, and every `--model` takes their names (a file of the same name wins); a name that is
//! neither says which names there are.

mod common;

use common::*;
use serde_json::Value;

#[test]
fn models_lists_the_four_shipped_models_each_below_pca() {
    assert!(ok(&["models", "--help"]).contains("Example"));
    let table = ok(&["models"]);
    for name in ["mnist-2d", "mnist-30d", "fashion-2d", "fashion-30d"] {
        assert!(table.contains(name), "{table}");
    }
    let v: Value = serde_json::from_str(&ok(&["models", "--json"])).unwrap();
    let list = v["models"].as_array().unwrap();
    assert_eq!(list.len(), 4);
    for m in list {
        assert!(
            m["test_mse"].as_f64().unwrap() < m["pca_test_mse"].as_f64().unwrap(),
            "{m}"
        );
    }
}

#[test]
fn a_shipped_model_is_read_by_its_name_and_evaluates_as_its_manifest_says() {
    let data = data_dir();
    let listed: Value = serde_json::from_str(&ok(&["models", "--json"])).unwrap();
    let recorded = listed["models"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == "mnist-30d")
        .unwrap()["test_mse"]
        .as_f64()
        .unwrap();
    let out = ok(&[
        "eval",
        "--model",
        "mnist-30d",
        "--dataset",
        "mnist",
        "--data-dir",
        s(&data),
        "--json",
    ]);
    let v: Value = serde_json::from_str(&out).unwrap();
    let mse = v["mse"].as_f64().unwrap();
    // the whole test split, as the manifest measured it
    assert!((mse - recorded).abs() < 1e-4, "{mse} vs {recorded}");
    // encode takes the name too: a row of codes for each of the ten images
    let dir = tmp();
    let codes = dir.path().join("codes.csv");
    ok(&[
        "encode",
        "--model",
        "mnist-2d",
        "--dataset",
        "mnist",
        "--data-dir",
        s(&data),
        "--limit",
        "10",
        "--out",
        s(&codes),
    ]);
    let text = std::fs::read_to_string(&codes).unwrap();
    let rows: Vec<&str> = text
        .lines()
        .filter(|l| !l.starts_with('z') && !l.is_empty())
        .collect();
    assert_eq!(rows.len(), 10, "{text}");
}

#[test]
fn a_file_of_the_same_name_wins_and_an_unknown_name_lists_the_shipped_ones() {
    let dir = tmp();
    std::fs::write(dir.path().join("mnist-2d"), b"not a checkpoint").unwrap();
    let o = bin()
        .current_dir(dir.path())
        .args(["eval", "--model", "mnist-2d", "--dataset", "patterns"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(!err.contains("shipped"), "the file was read: {err}");
    assert!(err.contains("mnist-2d"), "{err}");
    bad(
        &["eval", "--model", "mnist-3d", "--dataset", "patterns"],
        &[
            "mnist-3d: no such file",
            "mnist-2d, mnist-30d",
            "hourglass models",
        ],
    );
}
