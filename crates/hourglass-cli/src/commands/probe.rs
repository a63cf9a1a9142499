//! `hourglass probe`: what a representation is worth to a linear classifier.

use std::{path::PathBuf, time::Instant};

use anyhow::{Result, bail};
use clap::{Args, ValueEnum};
use hourglass_core::{
    data::Dataset,
    probe::{Probe, ProbeOptions, first_per_class},
    project::{fit_pca, project_rows},
};
use serde_json::json;

use super::load_model;
use crate::{
    DataArgs,
    datasets::{self, Split},
};

/// Which features the probe reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Features {
    /// The model's codes (needs --model)
    Codes,
    /// The pixels themselves
    Pixels,
    /// PCA of the pixels, fitted on the training split, with as many components as the
    /// model's code (or --components)
    Pca,
}

#[derive(Args, Debug)]
pub struct ProbeArgs {
    /// A checkpoint written by `hourglass train`, or a shipped model by name (mnist-30d …)
    #[arg(long, value_name = "FILE")]
    pub model: Option<PathBuf>,
    #[command(flatten)]
    pub data: DataArgs,
    /// What the classifier reads [default: codes with --model, else pixels]
    #[arg(long, value_enum, ignore_case = true)]
    pub features: Option<Features>,
    /// Labelled training images per class: each N takes the first N of every class
    #[arg(
        long,
        value_delimiter = ',',
        value_name = "N,…|all",
        default_value = "10,100,1000,all"
    )]
    pub labels_per_class: Vec<String>,
    /// With --model: probe this layer's activations instead of the codes (encoder.0,
    /// latent, decoder.0 … as `encode --layer` names them)
    #[arg(long, value_name = "NAME")]
    pub layer: Option<String>,
    /// PCA's components without --model [default: 30]
    #[arg(long, value_name = "K")]
    pub components: Option<usize>,
    /// Inverse L2 strength, scikit-learn's C
    #[arg(long, default_value_t = 1.0)]
    pub c: f64,
    /// Print one JSON object
    #[arg(long)]
    pub json: bool,
}

/// The labelled counts asked for; `None` is all.
fn counts(given: &[String]) -> Result<Vec<Option<usize>>> {
    let mut out = Vec::new();
    for g in given {
        let g = g.trim();
        if g.eq_ignore_ascii_case("all") {
            out.push(None);
            continue;
        }
        match g.parse::<usize>() {
            Ok(n) if n > 0 => out.push(Some(n)),
            _ => bail!("--labels-per-class: '{g}' is not a count of at least 1, nor 'all'"),
        }
    }
    if out.is_empty() {
        bail!("--labels-per-class: give at least one count");
    }
    Ok(out)
}

pub fn run(args: ProbeArgs) -> Result<()> {
    let counts = counts(&args.labels_per_class)?;
    if hourglass_data::known(&args.data.dataset.to_ascii_lowercase()).is_none() {
        bail!(
            "the probe needs a labelled training and test split: --dataset mnist or \
             fashion-mnist ({} has no such parts)",
            args.data.dataset
        );
    }
    let features = match (args.features, &args.model) {
        (Some(Features::Codes), None) => bail!("--features codes needs --model"),
        (Some(f), _) => f,
        (None, Some(_)) => Features::Codes,
        (None, None) => Features::Pixels,
    };
    if args.components.is_some() && (features != Features::Pca || args.model.is_some()) {
        bail!("--components is PCA's without a model (with --model PCA takes the code's size)");
    }
    if args.layer.is_some() && features != Features::Codes {
        bail!(
            "--layer names a model's layer whose activations the probe reads: it needs --model, without --features pixels or pca"
        );
    }
    let model = args.model.as_ref().map(|m| load_model(m)).transpose()?;
    let load = |split| -> Result<Dataset> {
        match &model {
            Some((ck, _)) => datasets::load_for_model(&args.data, split, &ck.config.dataset),
            None => Ok(datasets::load(&args.data, split, None)?.0),
        }
    };
    let (mut train, mut test) = (load(Split::Train)?, load(Split::Test)?);
    let (Some(train_labels), Some(test_labels)) = (train.labels.take(), test.labels.take()) else {
        bail!("{} has no labels to probe with", train.name);
    };
    let started = Instant::now();
    let (dim, train_x, test_x, what) = match features {
        Features::Pixels => (
            train.features,
            // the pixels are the features: moved, not copied (60,000 × 784 floats)
            std::mem::take(&mut train.values),
            std::mem::take(&mut test.values),
            "pixels".to_owned(),
        ),
        Features::Codes if args.layer.is_some() => {
            let (_, m) = model.as_ref().expect("checked: codes need a model");
            let name = args.layer.as_deref().unwrap_or_default();
            let (train_x, k) = m.layer_rows(&train.values, name, 512)?;
            let (test_x, _) = m.layer_rows(&test.values, name, 512)?;
            (k, train_x, test_x, format!("{name} ({k})"))
        }
        Features::Codes => {
            let (_, m) = model.as_ref().expect("checked: codes need a model");
            let k = m.arch.latent_size();
            (
                k,
                m.encode_host(&train.values, 512),
                m.encode_host(&test.values, 512),
                format!("codes ({k})"),
            )
        }
        Features::Pca => {
            let k = match &model {
                Some((_, m)) => m.arch.latent_size(),
                None => args.components.unwrap_or(30),
            };
            if k == 0 || k > train.features {
                bail!(
                    "--components {k}: PCA takes 1 to {} components",
                    train.features
                );
            }
            let pca = fit_pca(&train.values, train.features, k, 1)?;
            (
                k,
                project_rows(&pca, &train.values, train.features),
                project_rows(&pca, &test.values, test.features),
                format!("PCA-{k}"),
            )
        }
    };
    let opts = ProbeOptions {
        c: args.c,
        ..ProbeOptions::default()
    };
    let mut rows = Vec::new();
    for n in counts {
        let picked = match n {
            Some(n) => first_per_class(&train_labels, n),
            None => (0..train_labels.len()).collect(),
        };
        let x: Vec<f32> = picked
            .iter()
            .flat_map(|&i| train_x[i * dim..(i + 1) * dim].iter().copied())
            .collect();
        let y: Vec<u32> = picked.iter().map(|&i| train_labels[i]).collect();
        let t = Instant::now();
        let probe = Probe::fit(&x, dim, &y, &opts)?;
        let accuracy = probe.accuracy(&test_x, &test_labels)?;
        let label = n.map_or_else(|| "all".to_owned(), |n| n.to_string());
        if !args.json {
            println!(
                "{label:>5} per class ({:>6} labelled): test accuracy {:.2}%  ({} iterations{}, {:.1}s)",
                y.len(),
                100.0 * accuracy,
                probe.iterations,
                if probe.converged {
                    String::new()
                } else {
                    format!(", not converged: gradient {:.1e}", probe.gradient_norm)
                },
                t.elapsed().as_secs_f64()
            );
        }
        rows.push(json!({
            "labels_per_class": label,
            "labelled": y.len(),
            "accuracy": accuracy,
            "iterations": probe.iterations,
            "converged": probe.converged,
            "gradient_norm": probe.gradient_norm,
        }));
    }
    if args.json {
        println!(
            "{}",
            json!({
                "dataset": train.name,
                "features": what,
                "model": args.model.as_ref().map(|m| m.display().to_string()),
                "test_samples": test_labels.len(),
                "c": args.c,
                "probes": rows,
            })
        );
    } else {
        println!(
            "linear probe on {what} of {} ({} test images), L2 C = {}, in {:.1}s",
            train.name,
            test_labels.len(),
            args.c,
            started.elapsed().as_secs_f64()
        );
    }
    Ok(())
}
