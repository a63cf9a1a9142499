//! Regenerates the models and test samples shipped inside the binary (the Digits Lab's
//! built-in models): trains each with `hourglass train` on the real dataset, measures it with
//! `hourglass eval` and against PCA with as many components as its code has, writes a fixed
//! sample of test images with their labels, and records every figure and command in
//! `manifest.json`. Run it through `scripts/ship-models` (it builds the binary first).
//!
//! Usage: ship --hourglass BIN --data-dir DIR --out DIR [--only NAME,…]

use std::{
    io::Write,
    path::{Path, PathBuf},
    process::Command,
};

use anyhow::{Context, Result, bail};
use hourglass_core::{data::write_idx, metrics::Pca};
use hourglass_data::{
    Split, known, load_known,
    shipped::{SAMPLE_SIZE, sample_indices},
};
use serde_json::{Value, json};

/// One shipped model: its name, dataset, dense layers (the decoder mirrors them) and epochs.
struct Spec {
    name: &'static str,
    dataset: &'static str,
    layers: &'static str,
    epochs: u32,
}

const SPECS: &[Spec] = &[
    Spec {
        name: "mnist-2d",
        dataset: "mnist",
        layers: "784,100,50,25,2",
        epochs: 60,
    },
    Spec {
        name: "mnist-30d",
        dataset: "mnist",
        layers: "784,200,100,30",
        epochs: 30,
    },
    Spec {
        name: "fashion-2d",
        dataset: "fashion-mnist",
        layers: "784,100,50,25,2",
        epochs: 60,
    },
    Spec {
        name: "fashion-30d",
        dataset: "fashion-mnist",
        layers: "784,200,100,30",
        epochs: 30,
    },
];

fn arg(args: &[String], flag: &str) -> Option<String> {
    args.iter()
        .position(|a| a == flag)
        .and_then(|i| args.get(i + 1).cloned())
}

fn run(cmd: &mut Command) -> Result<String> {
    eprintln!("$ {cmd:?}");
    let out = cmd
        .output()
        .with_context(|| format!("cannot run {cmd:?}"))?;
    if !out.status.success() {
        bail!(
            "{cmd:?} failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(String::from_utf8(out.stdout)?)
}

fn gzip(bytes: &[u8]) -> Result<Vec<u8>> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    e.write_all(bytes)?;
    Ok(e.finish()?)
}

fn as_f64(v: &[f32]) -> Vec<f64> {
    v.iter().map(|&x| x as f64).collect()
}

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let bin = PathBuf::from(arg(&args, "--hourglass").context("--hourglass BIN is needed")?);
    let data_dir = PathBuf::from(arg(&args, "--data-dir").context("--data-dir DIR is needed")?);
    let out = PathBuf::from(arg(&args, "--out").context("--out DIR is needed")?);
    std::fs::create_dir_all(&out)?;
    let previous: Value = std::fs::read(out.join("manifest.json"))
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_else(|| json!({"models": {}}));
    let only = arg(&args, "--only");
    let mut models = previous["models"].as_object().cloned().unwrap_or_default();

    for spec in SPECS {
        if only
            .as_deref()
            .is_some_and(|o| !o.split(',').any(|n| n == spec.name))
        {
            continue;
        }
        let file = out.join(format!("{}.safetensors", spec.name));
        let train_args = [
            "train",
            "--dataset",
            spec.dataset,
            "--layers",
            spec.layers,
            "--epochs",
            &spec.epochs.to_string(),
            "--batch",
            "128",
            "--lr",
            "0.002",
            "--val-split",
            "0",
            "--seed",
            "1",
        ]
        .map(String::from);
        run(Command::new(&bin)
            .args(&train_args)
            .arg("--data-dir")
            .arg(&data_dir)
            .arg("--out")
            .arg(&file))?;
        let eval: Value = serde_json::from_str(&run(Command::new(&bin)
            .args(["eval", "--dataset", spec.dataset, "--json", "--model"])
            .arg(&file)
            .arg("--data-dir")
            .arg(&data_dir))?)?;
        let k: usize = spec.layers.rsplit(',').next().unwrap().parse()?;
        let pca_mse = pca_test_mse(spec.dataset, &data_dir, k)?;
        let mse = eval["mse"].as_f64().context("eval gave no mse")?;
        eprintln!(
            "{}: test MSE {mse:.5}, PCA-{k} {pca_mse:.5}, ratio {:.3}",
            spec.name,
            mse / pca_mse
        );
        models.insert(
            spec.name.into(),
            json!({
                "dataset": spec.dataset,
                "layers": spec.layers,
                "latent": k,
                "epochs": spec.epochs,
                "test_mse": mse,
                "test_psnr": eval["psnr"],
                "test_ssim": eval["ssim"],
                "pca_components": k,
                "pca_test_mse": pca_mse,
                "ratio_to_pca": mse / pca_mse,
                "command": format!("hourglass {} --out {}.safetensors", train_args.join(" "), spec.name),
            }),
        );
    }
    for ds in ["mnist", "fashion-mnist"] {
        write_sample(ds, &data_dir, &out)?;
    }
    let manifest = json!({
        "note": "written by scripts/ship-models; the models were trained with `hourglass train` (Adam, MSE, sigmoid output) on the whole train split; figures are on the whole test split; PCA is fitted on the train split",
        "sample_size": SAMPLE_SIZE,
        "models": models,
    });
    std::fs::write(
        out.join("manifest.json"),
        serde_json::to_string_pretty(&manifest)? + "\n",
    )?;
    Ok(())
}

/// Test MSE of PCA with `k` components fitted on the train split.
fn pca_test_mse(dataset: &str, data_dir: &Path, k: usize) -> Result<f64> {
    let ds = known(dataset).context("known dataset")?;
    let train = load_known(ds, Some(data_dir), Split::Train)?;
    let test = load_known(ds, Some(data_dir), Split::Test)?;
    let t = std::time::Instant::now();
    let pca = Pca::fit(&as_f64(&train.values), train.features, k)?;
    eprintln!("PCA-{k} of {dataset} fitted in {:.1?}", t.elapsed());
    Ok(pca.reconstruction_mse(&as_f64(&test.values)))
}

/// The fixed sample of test images (and labels) the Digits Lab maps without the dataset.
fn write_sample(dataset: &str, data_dir: &Path, out: &Path) -> Result<()> {
    let ds = known(dataset).context("known dataset")?;
    let test = load_known(ds, Some(data_dir), Split::Test)?;
    let sample = test.subset(&sample_indices(test.len()));
    let pixels: Vec<u8> = sample
        .values
        .iter()
        .map(|&v| (v * 255.0).round().clamp(0.0, 255.0) as u8)
        .collect();
    let labels: Vec<u8> = sample
        .labels
        .as_ref()
        .context("labels")?
        .iter()
        .map(|&l| l as u8)
        .collect();
    let n = sample.len();
    std::fs::write(
        out.join(format!("{dataset}-sample-images.idx.gz")),
        gzip(&write_idx(&[n, 28, 28], &pixels))?,
    )?;
    std::fs::write(
        out.join(format!("{dataset}-sample-labels.idx.gz")),
        gzip(&write_idx(&[n], &labels))?,
    )?;
    Ok(())
}
