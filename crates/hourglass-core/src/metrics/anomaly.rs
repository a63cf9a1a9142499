//! The anomaly experiment's scoring, once for the CLI (`hourglass anomaly`) and the pages: an
//! image's score is its reconstruction's mean squared error; scores split by whether the
//! image's class is normal; and the PCA baseline, fitted on the first
//! [`PCA_BASELINE_ROWS`] normal training images with as many components as the code has. The
//! same model and class give the same AUC wherever they are scored.

use crate::{Error, data::Dataset, metrics::Pca};

/// Normal training images the PCA baseline is fitted on (the first ones of the split).
pub const PCA_BASELINE_ROWS: usize = 10_000;

/// Each image's mean squared reconstruction error (`outputs` and `data` row-major, `features`
/// values an image), in f64.
pub fn image_errors(outputs: &[f32], data: &[f32], features: usize) -> Vec<f64> {
    outputs
        .chunks(features.max(1))
        .zip(data.chunks(features.max(1)))
        .map(|(a, b)| super::mse(a, b))
        .collect()
}

/// Scores split into those of normal images and those of anomalous ones, by label.
pub fn split_scores(
    scores: &[f64],
    labels: &[u32],
    is_normal: &dyn Fn(u32) -> bool,
) -> (Vec<f64>, Vec<f64>) {
    let (mut n, mut a) = (Vec::new(), Vec::new());
    for (&s, &l) in scores.iter().zip(labels) {
        if is_normal(l) { n.push(s) } else { a.push(s) }
    }
    (n, a)
}

/// PCA with `k` components fitted on the first [`PCA_BASELINE_ROWS`] normal images of
/// `train`, or why it cannot be (too few normal images for `k`).
pub fn pca_baseline(
    train: &Dataset,
    k: usize,
    is_normal: &dyn Fn(u32) -> bool,
) -> Result<Pca, Error> {
    let labels = train.labels.as_deref().unwrap_or(&[]);
    let rows: Vec<usize> = (0..train.len())
        .filter(|&i| labels.get(i).is_some_and(|&l| is_normal(l)))
        .take(PCA_BASELINE_ROWS)
        .collect();
    if rows.len() <= k {
        return Err(Error::invalid(format!(
            "{} normal training images are too few for PCA with {k} components",
            rows.len()
        )));
    }
    let fit: Vec<f64> = rows
        .iter()
        .flat_map(|&i| train.sample(i).iter().map(|&v| v as f64))
        .collect();
    Pca::fit(&fit, train.features, k)
}

/// Each image's mean squared error after PCA's projection and reconstruction.
pub fn pca_errors(pca: &Pca, data: &Dataset) -> Vec<f64> {
    (0..data.len())
        .map(|i| {
            let x: Vec<f64> = data.sample(i).iter().map(|&v| v as f64).collect();
            let back = pca.reconstruct(&pca.project(&x));
            x.iter()
                .zip(&back)
                .map(|(a, b)| (a - b) * (a - b))
                .sum::<f64>()
                / x.len() as f64
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Normal images lie on a line; anomalies leave it: PCA with one component scores the
    /// anomalies higher, and is fitted on normal images only.
    #[test]
    fn the_baseline_is_fitted_on_normal_images_and_scores_anomalies_higher() {
        let mut values = Vec::new();
        let mut labels = Vec::new();
        for i in 0..40 {
            let t = i as f32 / 40.0;
            values.extend([t, t, t]);
            labels.push(0);
        }
        for i in 0..10 {
            let t = i as f32 / 10.0;
            values.extend([t, 1.0 - t, 0.5]);
            labels.push(1);
        }
        let d = Dataset::new("line", 3, values, Some(labels.clone())).unwrap();
        let normal = |l: u32| l == 0;
        let pca = pca_baseline(&d, 1, &normal).unwrap();
        let scores = pca_errors(&pca, &d);
        let (n, a) = split_scores(&scores, &labels, &normal);
        assert_eq!((n.len(), a.len()), (40, 10));
        assert!(
            n.iter().all(|&s| s < 1e-10),
            "normal images are on the line"
        );
        assert!(a.iter().filter(|&&s| s > 1e-3).count() >= 9);
        assert!(
            pca_baseline(&d, 40, &normal)
                .unwrap_err()
                .to_string()
                .contains("too few")
        );
        let e = image_errors(&[0.0, 1.0, 0.5, 0.5], &[0.0, 0.0, 0.5, 0.5], 2);
        assert_eq!(e, vec![0.5, 0.0]);
    }
}
