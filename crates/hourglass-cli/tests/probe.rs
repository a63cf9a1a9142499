//! `hourglass probe` against scikit-learn's `LogisticRegression` on the same features.
//!
//! The reference accuracies were recorded by `tests/probe_reference.py` (scikit-learn 1.9.1:
//! StandardScaler on the labelled set, LogisticRegression with C = 1 solved to convergence;
//! the first N training images of each class; scored on the 10,000 MNIST test images).

mod common;

use common::{bad, data_dir, ok, s};
use serde_json::Value;

/// (labels per class, scikit-learn's test accuracy) for each kind of features.
const PIXELS: [(&str, f64); 3] = [("10", 0.6721), ("100", 0.8534), ("1000", 0.8904)];
const PCA_30: [(&str, f64); 3] = [("10", 0.6444), ("100", 0.8448), ("1000", 0.8897)];
const MNIST_30D_CODES: [(&str, f64); 3] = [("10", 0.7009), ("100", 0.8618), ("1000", 0.9028)];

/// Half a point, as the issue asks (PCA fitted on a sample of the training split here, on all
/// of it in scikit-learn, is the largest difference: 0.2 points).
const POINTS: f64 = 0.005;

fn probe(extra: &[&str], expected: &[(&str, f64)]) {
    let data = data_dir();
    let mut args = vec![
        "probe",
        "--dataset",
        "mnist",
        "--data-dir",
        s(&data),
        "--labels-per-class",
        "10,100,1000",
        "--json",
    ];
    args.extend_from_slice(extra);
    let out: Value = serde_json::from_str(&ok(&args)).unwrap();
    assert_eq!(out["test_samples"], 10_000, "{out}");
    let probes = out["probes"].as_array().unwrap();
    assert_eq!(probes.len(), expected.len(), "{out}");
    for (p, &(n, theirs)) in probes.iter().zip(expected) {
        assert_eq!(p["labels_per_class"], n, "{out}");
        assert_eq!(p["labelled"], 10 * n.parse::<u64>().unwrap(), "{out}");
        assert_eq!(p["converged"], true, "{out}");
        let ours = p["accuracy"].as_f64().unwrap();
        assert!(
            (ours - theirs).abs() <= POINTS,
            "{extra:?}, {n} per class: {ours} here, {theirs} in scikit-learn"
        );
    }
}

#[test]
fn pixels_probe_as_scikit_learn_does() {
    probe(&[], &PIXELS);
}

#[test]
fn pca_30_probes_as_scikit_learn_does() {
    probe(&["--features", "pca", "--components", "30"], &PCA_30);
}

#[test]
fn the_shipped_models_codes_probe_as_scikit_learn_does() {
    probe(&["--model", "mnist-30d"], &MNIST_30D_CODES);
    // codes are worth more than pixels with few labels
    assert!(MNIST_30D_CODES[0].1 > PIXELS[0].1);
}

#[test]
fn a_hidden_layer_probes_too() {
    let data = data_dir();
    let out: Value = serde_json::from_str(&ok(&[
        "probe",
        "--model",
        "mnist-30d",
        "--layer",
        "encoder.0",
        "--dataset",
        "mnist",
        "--data-dir",
        s(&data),
        "--labels-per-class",
        "100",
        "--json",
    ]))
    .unwrap();
    assert_eq!(out["features"], "encoder.0 (200)", "{out}");
    let acc = out["probes"][0]["accuracy"].as_f64().unwrap();
    // the 200-unit first layer keeps more than the 30-D code (86.2% at 100 per class)
    assert!(acc > 0.8, "{out}");
}

#[test]
fn bad_requests_are_refused_with_what_was_wrong() {
    let data = data_dir();
    let d = s(&data);
    bad(
        &[
            "probe",
            "--dataset",
            "mnist",
            "--data-dir",
            d,
            "--layer",
            "encoder.0",
        ],
        &["--layer names a model's layer", "needs --model"],
    );
    bad(
        &["probe", "--dataset", "patterns"],
        &["needs a labelled training and test split"],
    );
    bad(
        &[
            "probe",
            "--dataset",
            "mnist",
            "--data-dir",
            d,
            "--features",
            "codes",
        ],
        &["--features codes needs --model"],
    );
    bad(
        &[
            "probe",
            "--dataset",
            "mnist",
            "--data-dir",
            d,
            "--labels-per-class",
            "0",
        ],
        &["'0' is not a count"],
    );
    bad(
        &[
            "probe",
            "--dataset",
            "mnist",
            "--data-dir",
            d,
            "--features",
            "pca",
            "--components",
            "900",
        ],
        &["PCA takes 1 to 784 components"],
    );
    bad(
        &[
            "probe",
            "--dataset",
            "mnist",
            "--data-dir",
            d,
            "--c",
            "0",
            "--labels-per-class",
            "10",
        ],
        &["C = 0 must be positive"],
    );
}
