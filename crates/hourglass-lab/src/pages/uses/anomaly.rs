//! Anomaly detection: a model trained on every class but one scores each test image by its
//! reconstruction error; PCA with as many components as the code is the baseline. Scored as
//! `hourglass anomaly --pca` scores (one function in core): the same model and class give the
//! same AUC on the page and in the CLI.

use std::sync::Arc;

use hourglass_core::{
    data::Split,
    metrics::{Pca, RocPoint, anomaly, auc, mse, roc},
    tensor::{Autoencoder, LossKind},
};
use serde::Serialize;
use serde_json::{Value, json};

use super::{UsesJob, UsesSettings, train::HIDDEN, train::RunSpec};
use crate::{
    Frame, WireError,
    fields::{self, PIXELS},
};

/// Code size of the anomaly model.
pub(super) const CODE: usize = 32;
/// Most and least anomalous images shown.
const EXTREMES: usize = 16;

pub(super) fn specs(s: &UsesSettings) -> Vec<RunSpec> {
    vec![RunSpec::plain(
        format!("784-{HIDDEN}-{CODE} without class {}", s.held_out),
        CODE,
        LossKind::Mse,
    )]
}

pub(super) struct AnomalyResult {
    held_out: u32,
    model: Autoencoder,
    pca: Pca,
    scores: Vec<f32>,
    pca_scores: Vec<f32>,
    labels: Vec<f32>,
    auc: f64,
    pca_auc: f64,
    roc: Vec<RocPoint>,
    pca_roc: Vec<RocPoint>,
}

/// The anomaly run as the snapshot shows it (the ROC curves and images come by query).
#[derive(Serialize)]
pub struct AnomalyView {
    held_out: u32,
    auc: f64,
    pca_auc: f64,
    /// Test images scored.
    count: usize,
}

impl AnomalyResult {
    pub fn view(&self) -> AnomalyView {
        AnomalyView {
            held_out: self.held_out,
            auc: self.auc,
            pca_auc: self.pca_auc,
            count: self.scores.len(),
        }
    }
}

fn not_yet() -> WireError {
    WireError::invalid("train the anomaly detector first")
}

impl UsesJob {
    pub(super) fn analyse_anomaly(&mut self, models: Vec<Autoencoder>) -> Result<(), WireError> {
        let model = models.into_iter().next().ok_or_else(not_yet)?;
        let held = self.settings.held_out as u32;
        let test = self.test_set()?;
        let labels: Vec<u32> = test.labels.clone().unwrap_or_default();
        let rec = model.reconstruct_host(&test.values, 512);
        let scores = anomaly::image_errors(&rec, &test.values, PIXELS);
        let is_normal = |l: u32| l != held;
        let full_train = self.load(Split::Train)?;
        let fit = anomaly::pca_baseline(&full_train, CODE, &is_normal)?;
        let pca_scores = anomaly::pca_errors(&fit, &test);
        let (n, a) = anomaly::split_scores(&scores, &labels, &is_normal);
        let (pn, pa) = anomaly::split_scores(&pca_scores, &labels, &is_normal);
        let f32s = |v: &[f64]| v.iter().map(|&x| x as f32).collect::<Vec<f32>>();
        let r = AnomalyResult {
            held_out: held,
            auc: auc(&n, &a)?,
            pca_auc: auc(&pn, &pa)?,
            roc: roc(&n, &a)?,
            pca_roc: roc(&pn, &pa)?,
            model,
            pca: fit,
            scores: f32s(&scores),
            pca_scores: f32s(&pca_scores),
            labels: labels.iter().map(|&l| l as f32).collect(),
        };
        self.done_message = Some(format!(
            "Scored {} test images: AUC {:.3} (PCA {:.3}).",
            r.scores.len(),
            r.auc,
            r.pca_auc
        ));
        self.anomaly = Some(r);
        Ok(())
    }

    /// Every test image's score, both ROC curves, and the most and least anomalous images.
    pub(super) fn anomaly_query(&mut self) -> Result<Frame, WireError> {
        let test = self.test_set()?;
        let r = self.anomaly.as_ref().ok_or_else(not_yet)?;
        let mut order: Vec<usize> = (0..r.scores.len()).collect();
        order.sort_by(|&a, &b| r.scores[b].total_cmp(&r.scores[a]).then(a.cmp(&b)));
        let pick = |idx: &[usize]| -> Vec<f32> {
            idx.iter()
                .flat_map(|&i| test.sample(i).iter().copied())
                .collect()
        };
        let worst: Vec<usize> = order.iter().take(EXTREMES).copied().collect();
        let best: Vec<usize> = order.iter().rev().take(EXTREMES).copied().collect();
        let curve = |c: &[RocPoint]| -> (Vec<f32>, Vec<f32>) {
            (
                c.iter().map(|p| p.fpr as f32).collect(),
                c.iter().map(|p| p.tpr as f32).collect(),
            )
        };
        let (fpr, tpr) = curve(&r.roc);
        let (pfpr, ptpr) = curve(&r.pca_roc);
        let facts = |idx: &[usize]| -> Value {
            idx.iter()
                .map(|&i| json!({"index": i, "score": r.scores[i], "label": r.labels[i]}))
                .collect()
        };
        Ok(Frame::new(json!({
            "held_out": r.held_out, "auc": r.auc, "pca_auc": r.pca_auc,
            "worst": facts(&worst), "best": facts(&best),
        }))
        .with("scores", Arc::new(r.scores.clone()))
        .with("pca_scores", Arc::new(r.pca_scores.clone()))
        .with("labels", Arc::new(r.labels.clone()))
        .with("roc_fpr", Arc::new(fpr))
        .with("roc_tpr", Arc::new(tpr))
        .with("pca_roc_fpr", Arc::new(pfpr))
        .with("pca_roc_tpr", Arc::new(ptpr))
        .with("worst_images", Arc::new(pick(&worst)))
        .with("best_images", Arc::new(pick(&best))))
    }

    /// A drawing's (or any image's) anomaly score, by the model and by PCA.
    pub(super) fn score_query(&self, pixels: Vec<f32>) -> Result<Frame, WireError> {
        let r = self.anomaly.as_ref().ok_or_else(not_yet)?;
        let img = fields::pixels(pixels)?;
        let rec = r.model.reconstruct_host(&img, 1);
        let back = r.pca.reconstruct_rows(&img);
        let score = mse(&rec, &img);
        let pca_score = mse(&back, &img);
        // where it falls among the test images: the share of normal images scoring lower
        let (mut below, mut normal) = (0usize, 0usize);
        for (&s, &l) in r.scores.iter().zip(&r.labels) {
            if l as u32 != r.held_out {
                normal += 1;
                if (s as f64) < score {
                    below += 1;
                }
            }
        }
        Ok(Frame::new(json!({
            "score": score, "pca_score": pca_score,
            "normal_below": below as f64 / normal.max(1) as f64,
        }))
        .with("reconstruction", Arc::new(rec)))
    }
}
