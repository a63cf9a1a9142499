//! `hourglass anomaly`: anomaly detection by reconstruction error. Each image's score is the
//! mean squared error of its reconstruction; images of the normal classes should score low,
//! the others high. Reports the ROC curve and its area (exact: ties as the Mann–Whitney
//! statistic counts them), the threshold at a chosen false-positive rate with its precision
//! and recall, and with `--pca` the same for PCA's reconstruction error as the baseline.

use std::{collections::BTreeSet, path::PathBuf};

use anyhow::{Result, bail};
use clap::Args;
use hourglass_core::{
    data::Dataset,
    metrics::{RocPoint, anomaly, at_fpr, auc, roc},
};
use serde_json::json;

use super::load_model;
use crate::{
    DataArgs,
    datasets::{self, Split},
};

#[derive(Args, Debug)]
pub struct AnomalyArgs {
    /// A checkpoint written by `hourglass train` (trained on the normal classes only, e.g.
    /// with `train --held-out K`)
    #[arg(long, value_name = "FILE")]
    pub model: PathBuf,
    #[command(flatten)]
    pub data: DataArgs,
    /// Which part of a known dataset is scored (mnist, fashion-mnist) [default: test]
    #[arg(long, value_enum, ignore_case = true)]
    pub split: Option<Split>,
    /// The normal classes, e.g. 0,1,2, or their names (cat,dog) when the data name them
    /// (every other class is an anomaly)
    #[arg(long, value_name = "LABELS", conflicts_with = "held_out")]
    pub normal: Option<String>,
    /// The anomalous classes, e.g. 7, or a name (cat) when the data name their classes (every
    /// other class is normal)
    #[arg(long, value_name = "LABELS")]
    pub held_out: Option<String>,
    /// The false-positive rate the threshold is chosen for
    #[arg(long, default_value_t = 0.05, allow_negative_numbers = true)]
    pub fpr: f64,
    /// Also score by PCA's reconstruction error (as many components as the model's code,
    /// fitted on the normal images of the training split, at most 10,000)
    #[arg(long)]
    pub pca: bool,
    /// Print one JSON object (with every point of the ROC curves)
    #[arg(long)]
    pub json: bool,
}

/// Classes from `0,1,2`, or from their names (`cat,dog`) when the data name them.
pub fn parse_labels(text: &str, flag: &str, data: &Dataset) -> Result<BTreeSet<u32>> {
    text.split(',')
        .map(|t| {
            data.class_named(t)
                .map_err(|e| anyhow::anyhow!("{flag} {text}: {e}"))
        })
        .collect()
}

/// The figures of one scorer: AUC, the curve, and the operating point at `fpr`.
struct Report {
    auc: f64,
    curve: Vec<RocPoint>,
    at: RocPoint,
    /// The share of false positives asked for (`--fpr`).
    asked: f64,
    normal: usize,
    anomalous: usize,
}

impl Report {
    fn new(normal: &[f64], anomalous: &[f64], fpr: f64) -> Result<Self> {
        let curve = roc(normal, anomalous)?;
        Ok(Report {
            auc: auc(normal, anomalous)?,
            at: at_fpr(&curve, fpr),
            asked: fpr,
            curve,
            normal: normal.len(),
            anomalous: anomalous.len(),
        })
    }

    /// True and false positives and negatives at the operating point.
    fn counts(&self) -> (usize, usize, usize, usize) {
        let tp = (self.at.tpr * self.anomalous as f64).round() as usize;
        let fp = (self.at.fpr * self.normal as f64).round() as usize;
        (tp, fp, self.anomalous - tp, self.normal - fp)
    }

    fn json(&self) -> serde_json::Value {
        let (tp, fp, fn_, tn) = self.counts();
        let precision = if tp + fp > 0 {
            Some(tp as f64 / (tp + fp) as f64)
        } else {
            None
        };
        json!({
            "auc": self.auc,
            "threshold": if self.at.threshold.is_finite() { json!(self.at.threshold) } else { json!(null) },
            "fpr": self.at.fpr, "recall": self.at.tpr, "precision": precision,
            "true_positives": tp, "false_positives": fp, "false_negatives": fn_, "true_negatives": tn,
            "roc": self.curve.iter().map(|p| [p.fpr, p.tpr]).collect::<Vec<_>>(),
        })
    }

    fn line(&self, name: &str) -> String {
        let asked = 100.0 * self.asked;
        if !self.at.threshold.is_finite() {
            // even the highest score flags more normal images than asked for
            return format!(
                "{name:<12} AUC {:.4}   at ≤ {asked:.1}% false positives (--fpr): no threshold flags any image while keeping false alarms that low; raise --fpr",
                self.auc
            );
        }
        let (tp, fp, fn_, _) = self.counts();
        format!(
            "{name:<12} AUC {:.4}   at ≤ {asked:.1}% false positives (--fpr): threshold {:.5}, recall {:.3}, {tp} found, {fp} false alarms ({:.1}%), {fn_} missed",
            self.auc,
            self.at.threshold,
            self.at.tpr,
            100.0 * self.at.fpr
        )
    }
}

pub fn run(args: AnomalyArgs) -> Result<()> {
    if !(0.0..=1.0).contains(&args.fpr) {
        bail!("--fpr {} is outside [0, 1]", args.fpr);
    }
    let (ck, model) = load_model(&args.model)?;
    let data = datasets::load_for_model(
        &args.data,
        datasets::split_of(&args.data, args.split)?,
        &ck.config.dataset,
    )?;
    let Some(labels) = data.labels.clone() else {
        bail!(
            "{} has no labels: anomaly detection needs to know which images are normal",
            data.name
        );
    };
    let present: BTreeSet<u32> = labels.iter().copied().collect();
    let normal: BTreeSet<u32> = match (&args.normal, &args.held_out) {
        (Some(n), None) => parse_labels(n, "--normal", &data)?,
        (None, Some(h)) => {
            let held = parse_labels(h, "--held-out", &data)?;
            present.difference(&held).copied().collect()
        }
        _ => bail!("say which classes are normal: --normal 0,1,… or --held-out K"),
    };
    if let Some(l) = normal.iter().find(|l| !present.contains(l)) {
        let names: Vec<String> = present.iter().map(|&c| data.class_name(c)).collect();
        bail!(
            "class {} is not in {} (its classes: {})",
            data.class_name(*l),
            data.name,
            names.join(", ")
        );
    }
    let is_normal = |l: u32| normal.contains(&l);
    let rec = model.reconstruct_host(&data.values, 512);
    let scores = anomaly::image_errors(&rec, &data.values, data.features);
    let (n, a) = anomaly::split_scores(&scores, &labels, &is_normal);
    if n.is_empty() || a.is_empty() {
        bail!(
            "{} has {} normal and {} anomalous images: both are needed",
            data.name,
            n.len(),
            a.len()
        );
    }
    let ours = Report::new(&n, &a, args.fpr)?;
    let baseline = if args.pca {
        let train = datasets::load_for_model(&args.data, Split::Train, &ck.config.dataset)?;
        let pca = anomaly::pca_baseline(&train, model.arch.latent_size(), &is_normal)
            .map_err(|e| anyhow::anyhow!("--pca: {e}"))?;
        let s = anomaly::pca_errors(&pca, &data);
        let (n, a) = anomaly::split_scores(&s, &labels, &is_normal);
        Some(Report::new(&n, &a, args.fpr)?)
    } else {
        None
    };
    if args.json {
        let mut out = json!({
            "model": args.model.display().to_string(), "dataset": data.name,
            "normal": normal, "normal_images": n.len(), "anomalous_images": a.len(),
            "autoencoder": ours.json(),
        });
        if let Some(b) = &baseline {
            out["pca"] = b.json();
        }
        println!("{out}");
    } else {
        println!(
            "{} on {}: {} normal images (classes {:?}), {} anomalous",
            ck.config.architecture.describe(),
            data.name,
            n.len(),
            normal,
            a.len()
        );
        println!("{}", ours.line("autoencoder"));
        if let Some(b) = &baseline {
            println!("{}", b.line(&format!("PCA ({})", model.arch.latent_size())));
        }
    }
    Ok(())
}
