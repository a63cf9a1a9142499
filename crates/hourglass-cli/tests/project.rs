//! `hourglass project` through the real binary: PCA and t-SNE maps of MNIST test images (a
//! model's codes, or the pixels) written as CSV with labels; t-SNE keeps neighbourhoods
//! better than PCA; bad settings are refused before any work.

mod common;

use common::*;

/// The trustworthiness the command prints.
fn trust(out: &str) -> f64 {
    let line = out
        .lines()
        .find(|l| l.starts_with("trustworthiness"))
        .unwrap_or_else(|| panic!("no trustworthiness in {out}"));
    line.split(": ")
        .nth(1)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .parse()
        .unwrap()
}

#[test]
fn tsne_of_codes_is_more_trustworthy_than_pca_and_both_write_labelled_csv() {
    let data = data_dir();
    let dir = tmp();
    let model = dir.path().join("m.safetensors");
    ok(&[
        "train",
        "--dataset",
        "mnist",
        "--data-dir",
        s(&data),
        "--limit",
        "3000",
        "--layers",
        "784,64,16",
        "--epochs",
        "2",
        "--out",
        s(&model),
    ]);
    let mut figures = Vec::new();
    for method in ["pca", "tsne"] {
        let csv = dir.path().join(format!("{method}.csv"));
        let out = ok(&[
            "project",
            "--model",
            s(&model),
            "--dataset",
            "mnist",
            "--data-dir",
            s(&data),
            "--limit",
            "600",
            "--method",
            method,
            "--perplexity",
            "20",
            "--out",
            s(&csv),
        ]);
        let text = std::fs::read_to_string(&csv).unwrap();
        let lines: Vec<&str> = text.trim().lines().collect();
        assert_eq!(lines[0], "x,y,label");
        assert_eq!(lines.len(), 601);
        let row: Vec<f64> = lines[1].split(',').map(|v| v.parse().unwrap()).collect();
        assert!(row[0].is_finite() && row[1].is_finite() && (0.0..=9.0).contains(&row[2]));
        figures.push(trust(&out));
    }
    assert!(
        figures[1] > figures[0],
        "t-SNE {} vs PCA {}",
        figures[1],
        figures[0]
    );
    assert!(figures[1] > 0.85, "{figures:?}");
    // without a model: the pixels themselves
    let csv = dir.path().join("pixels.csv");
    ok(&[
        "project",
        "--dataset",
        "mnist",
        "--data-dir",
        s(&data),
        "--limit",
        "300",
        "--method",
        "pca",
        "--out",
        s(&csv),
    ]);
    assert_eq!(
        std::fs::read_to_string(&csv)
            .unwrap()
            .trim()
            .lines()
            .count(),
        301
    );
}

#[test]
fn bad_maps_are_refused_with_what_is_wrong() {
    let data = data_dir();
    let dir = tmp();
    let out = dir.path().join("x.csv");
    bad(
        &[
            "project",
            "--dataset",
            "mnist",
            "--data-dir",
            s(&data),
            "--limit",
            "50",
            "--method",
            "tsne",
            "--out",
            s(&out),
        ],
        &["perplexity 30 needs at least 91 points (50 given)"],
    );
    bad(
        &[
            "project",
            "--dataset",
            "mnist",
            "--data-dir",
            s(&data),
            "--method",
            "umap",
            "--out",
            s(&out),
        ],
        &["unknown method 'umap'"],
    );
    bad(
        &[
            "project",
            "--dataset",
            "mnist",
            "--data-dir",
            s(&data),
            "--out",
            s(&dir.path().join("x.png")),
        ],
        &["expected a .csv file"],
    );
    assert!(!out.exists());
}
