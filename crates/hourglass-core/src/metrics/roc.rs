//! ROC curves and their area for anomaly scores: the normal samples' scores against the
//! anomalies' (higher means more anomalous), computed exactly — ties share their average rank,
//! as the Mann–Whitney statistic counts them and as scikit-learn's `roc_auc_score` and
//! `roc_curve` do.

use serde::Serialize;

use crate::Error;

/// One point of a ROC curve: flagging every score ≥ `threshold` gives these rates.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct RocPoint {
    /// `f64::INFINITY` for the first point (nothing flagged).
    pub threshold: f64,
    pub fpr: f64,
    pub tpr: f64,
}

/// Every score with whether it is an anomaly, checked (both sets non-empty, no NaN).
fn labelled(normal: &[f64], anomalous: &[f64]) -> Result<Vec<(f64, bool)>, Error> {
    if normal.is_empty() || anomalous.is_empty() {
        return Err(Error::invalid(format!(
            "a ROC curve needs normal and anomalous samples ({} normal, {} anomalous)",
            normal.len(),
            anomalous.len()
        )));
    }
    if normal.iter().chain(anomalous).any(|v| v.is_nan()) {
        return Err(Error::invalid("an anomaly score is not a number"));
    }
    Ok(normal
        .iter()
        .map(|&v| (v, false))
        .chain(anomalous.iter().map(|&v| (v, true)))
        .collect())
}

/// The area under the ROC curve: the probability that an anomaly scores above a normal
/// sample, ties counting one half (the Mann–Whitney U over n_normal · n_anomalous).
pub fn auc(normal: &[f64], anomalous: &[f64]) -> Result<f64, Error> {
    let mut all = labelled(normal, anomalous)?;
    all.sort_by(|a, b| a.0.partial_cmp(&b.0).expect("no NaN"));
    // the anomalies' rank sum, tied values sharing their average (1-based) rank
    let mut rank_sum = 0.0;
    let mut i = 0;
    while i < all.len() {
        let mut j = i;
        while j + 1 < all.len() && all[j + 1].0 == all[i].0 {
            j += 1;
        }
        let average = (i + j) as f64 / 2.0 + 1.0;
        rank_sum += average * all[i..=j].iter().filter(|x| x.1).count() as f64;
        i = j + 1;
    }
    let (n, a) = (normal.len() as f64, anomalous.len() as f64);
    Ok((rank_sum - a * (a + 1.0) / 2.0) / (n * a))
}

/// Every point of the ROC curve, from nothing flagged to everything (one point per distinct
/// score, highest first; scikit-learn's `roc_curve` with `drop_intermediate=False`).
pub fn roc(normal: &[f64], anomalous: &[f64]) -> Result<Vec<RocPoint>, Error> {
    let mut all = labelled(normal, anomalous)?;
    all.sort_by(|a, b| b.0.partial_cmp(&a.0).expect("no NaN"));
    let (n, a) = (normal.len() as f64, anomalous.len() as f64);
    let mut points = vec![RocPoint {
        threshold: f64::INFINITY,
        fpr: 0.0,
        tpr: 0.0,
    }];
    let (mut fp, mut tp) = (0usize, 0usize);
    let mut i = 0;
    while i < all.len() {
        let t = all[i].0;
        while i < all.len() && all[i].0 == t {
            if all[i].1 {
                tp += 1;
            } else {
                fp += 1;
            }
            i += 1;
        }
        points.push(RocPoint {
            threshold: t,
            fpr: fp as f64 / n,
            tpr: tp as f64 / a,
        });
    }
    Ok(points)
}

/// The point of `curve` that flags the most anomalies while flagging at most a share `fpr`
/// of the normal samples.
pub fn at_fpr(curve: &[RocPoint], fpr: f64) -> RocPoint {
    curve
        .iter()
        .copied()
        .filter(|p| p.fpr <= fpr)
        .max_by(|a, b| a.tpr.total_cmp(&b.tpr).then(b.fpr.total_cmp(&a.fpr)))
        .unwrap_or(curve[0])
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Recorded from scikit-learn 1.9.1 (`roc_auc_score`, `roc_curve(drop_intermediate=False)`)
    /// on seeded normal scores rounded to coarse grids (many ties, −0.0 beside 0.0): the normal
    /// scores, the anomalies', the AUC, the curve's length, and (fpr, tpr) of its second and
    /// second-to-last points.
    #[allow(clippy::type_complexity)]
    const SKLEARN: [(&[f64], &[f64], f64, usize, [f64; 4]); 5] = [
        (
            &[-0.75, -1.25, -0.25, 0.5, 1.25, 0.0, -0.5],
            &[-0.25, 1.75, 2.75, 1.25, -0.75],
            0.7285714285714286,
            10,
            [0.0, 0.2, 0.8571428571428571, 1.0],
        ),
        (
            &[
                -1.0,
                1.6,
                0.2,
                -1.7000000000000002,
                -0.1,
                -1.2000000000000002,
                -0.6000000000000001,
                -0.5,
                -0.7000000000000001,
                0.6000000000000001,
                -0.1,
                -0.6000000000000001,
                0.4,
                0.8,
                -1.6,
                -0.30000000000000004,
                -1.0,
                -0.2,
                -1.3,
                0.0,
                -0.0,
                -0.30000000000000004,
                -1.0,
                -0.4,
                -1.1,
                -1.4000000000000001,
                0.2,
                -1.1,
                1.2000000000000002,
                0.7000000000000001,
                -2.0,
                0.30000000000000004,
                -1.1,
                0.0,
                0.0,
                -2.0,
                -0.2,
                -0.30000000000000004,
                1.0,
                -1.2000000000000002,
            ],
            &[
                1.7000000000000002,
                -0.5,
                0.4,
                -0.2,
                2.5,
                1.5,
                3.7,
                1.6,
                1.8,
                1.8,
                0.1,
                0.7000000000000001,
                2.4000000000000004,
            ],
            0.8807692307692307,
            33,
            [0.0, 0.07692307692307693, 0.95, 1.0],
        ),
        (
            &[
                -0.4,
                0.2,
                -0.0,
                0.6000000000000001,
                -0.35000000000000003,
                -0.15000000000000002,
                0.25,
                0.1,
                -0.8500000000000001,
                0.9,
                -1.3,
                -1.2000000000000002,
                -1.3,
                0.9500000000000001,
                -0.35000000000000003,
                -0.9500000000000001,
                -1.1500000000000001,
                0.4,
                -1.05,
                -1.25,
                0.6000000000000001,
                -1.2000000000000002,
                -0.30000000000000004,
                -0.0,
                -0.45,
                -0.05,
                1.35,
                -0.5,
                -1.25,
                -1.85,
                -0.2,
                -0.35000000000000003,
                0.25,
                -0.45,
                -0.5,
                -0.7000000000000001,
                -0.5,
                0.15000000000000002,
                -0.4,
                0.1,
                1.9000000000000001,
                0.5,
                -1.6,
                1.75,
                0.35000000000000003,
                -0.9500000000000001,
                0.9,
                0.0,
                -0.6000000000000001,
                -0.65,
                -1.0,
                0.05,
                1.05,
                -0.35000000000000003,
                0.4,
                1.9000000000000001,
                -1.2000000000000002,
                0.25,
                -0.30000000000000004,
                -1.05,
                -1.05,
                -0.0,
                0.45,
                -0.55,
                0.05,
                0.7000000000000001,
                0.30000000000000004,
                0.8500000000000001,
                0.45,
                0.5,
                1.85,
                0.6000000000000001,
                0.15000000000000002,
                0.7000000000000001,
                -0.9,
                -0.35000000000000003,
                0.8,
                0.65,
                1.55,
                0.0,
                -1.4500000000000002,
                1.9500000000000002,
                1.1,
                -1.05,
                1.4000000000000001,
                0.05,
                -1.8,
                -0.4,
                -0.5,
                1.6,
                -0.8,
                -0.25,
                -0.30000000000000004,
                -0.4,
                -0.9,
                0.2,
                1.1,
                0.6000000000000001,
                -0.9500000000000001,
                -1.1500000000000001,
                0.1,
                -0.7000000000000001,
                -0.65,
                -1.7000000000000002,
                1.9500000000000002,
                0.9,
                -0.9500000000000001,
                0.9,
                1.35,
                -2.4000000000000004,
                -0.55,
                -0.4,
                0.65,
                -0.1,
                -0.25,
                -0.05,
                1.85,
                2.15,
                -0.5,
                -0.9500000000000001,
                2.7,
                -1.0,
                -0.55,
                0.05,
                0.5,
                1.05,
                0.4,
                -0.8500000000000001,
                0.5,
                0.25,
                1.9000000000000001,
                -0.0,
                -1.35,
                -1.05,
                1.4500000000000002,
                -0.55,
                -2.1,
                -0.6000000000000001,
                0.0,
                1.2000000000000002,
                -1.0,
                0.65,
                0.8,
                -0.7000000000000001,
                -0.2,
                1.75,
                1.7000000000000002,
                0.8500000000000001,
                0.35000000000000003,
                1.1500000000000001,
                -0.15000000000000002,
                -0.1,
                -0.8500000000000001,
                0.0,
                -0.1,
                2.75,
                -0.2,
                1.25,
                1.3,
                -0.2,
                1.1500000000000001,
                -2.2,
                0.1,
                0.8500000000000001,
                -2.4000000000000004,
                -1.1500000000000001,
                1.05,
                -0.25,
                -1.1,
                -0.35000000000000003,
                -0.55,
                0.7000000000000001,
                0.45,
                -0.30000000000000004,
                -0.65,
                -0.05,
                1.35,
                0.35000000000000003,
                0.65,
                -0.15000000000000002,
                -1.3,
                -0.7000000000000001,
                0.65,
                0.1,
                -0.9,
                -1.6,
                0.1,
                -0.35000000000000003,
                -0.35000000000000003,
                -0.35000000000000003,
                0.30000000000000004,
                0.30000000000000004,
                0.9500000000000001,
                0.9500000000000001,
                1.35,
                0.8,
                -0.35000000000000003,
                -0.05,
                0.5,
                -0.30000000000000004,
            ],
            &[
                1.4500000000000002,
                2.2,
                -0.15000000000000002,
                -1.3,
                2.25,
                0.8,
                1.6500000000000001,
                -0.8,
                2.9000000000000004,
                1.7000000000000002,
                0.65,
                0.4,
                0.9500000000000001,
                0.6000000000000001,
                0.45,
                -0.55,
                2.3000000000000003,
                0.75,
                0.9,
                0.9,
                -2.0500000000000003,
                1.4500000000000002,
                0.4,
                0.45,
                0.9,
                -0.35000000000000003,
                1.8,
                -0.05,
                -0.30000000000000004,
                -0.25,
                1.0,
                1.7000000000000002,
                0.1,
                -1.0,
                2.0500000000000003,
                -0.5,
                2.25,
                0.75,
                -0.05,
                0.05,
                1.35,
                1.85,
                0.55,
                1.9500000000000002,
                3.3000000000000003,
                0.55,
                -0.6000000000000001,
                -0.45,
                -0.8500000000000001,
                0.05,
                -0.05,
                -0.8,
                1.4500000000000002,
                -2.35,
                -0.8,
                3.2,
                2.0500000000000003,
                1.4500000000000002,
                1.35,
                2.95,
                1.4500000000000002,
                0.9,
                -0.7000000000000001,
                0.7000000000000001,
                -0.1,
                -0.05,
                -0.05,
                0.75,
                0.4,
                1.85,
                -0.8,
                0.6000000000000001,
                3.0500000000000003,
                0.8500000000000001,
                2.25,
                2.15,
                2.4000000000000004,
                1.7000000000000002,
                -0.8500000000000001,
                0.5,
                0.35000000000000003,
                -1.05,
                0.25,
                -0.7000000000000001,
                -1.2000000000000002,
                1.05,
                0.75,
                -0.05,
                -0.35000000000000003,
                0.15000000000000002,
                0.35000000000000003,
                0.30000000000000004,
                0.75,
                0.30000000000000004,
                1.25,
                1.4500000000000002,
                1.25,
                0.0,
                0.05,
                1.3,
                0.55,
                0.75,
                -2.2,
                -2.45,
                1.2000000000000002,
                1.2000000000000002,
                2.45,
                1.6500000000000001,
                1.05,
                0.8,
                -0.9,
                1.85,
                0.1,
                1.4000000000000001,
                1.05,
                1.1500000000000001,
                1.85,
                0.2,
                0.35000000000000003,
                -0.25,
                0.35000000000000003,
                2.8000000000000003,
                0.35000000000000003,
                2.2,
                1.8,
                1.7000000000000002,
                1.75,
                -0.4,
                1.25,
                2.7,
                -0.05,
                0.75,
                -0.05,
                1.2000000000000002,
                -0.5,
                2.75,
                0.35000000000000003,
                -1.05,
                2.95,
                1.9500000000000002,
                1.4000000000000001,
                1.4500000000000002,
                0.35000000000000003,
                0.55,
                1.6500000000000001,
                1.9000000000000001,
                1.9000000000000001,
                1.05,
                0.25,
                0.55,
            ],
            0.6927666666666668,
            92,
            [0.0, 0.006666666666666667, 1.0, 0.9933333333333333],
        ),
        (
            &[1.0, 1.0, -0.0, -0.0, 1.0, 1.0, 1.0, -1.0, -0.0],
            &[0.0, 1.0, -1.0, 2.0, 1.0, 1.0, -1.0, 1.0, 2.0],
            0.5864197530864197,
            5,
            [
                0.0,
                0.2222222222222222,
                0.8888888888888888,
                0.7777777777777778,
            ],
        ),
        (
            &[
                -1.5696956024589206,
                0.3057680573775562,
                0.6988049143143882,
                -0.6919471030872025,
                0.8147412282685731,
                -0.33006903056415593,
                1.2297665530315567,
                0.5275117754251525,
                0.22436588572838914,
                2.008915981414082,
                0.8318964583740944,
                1.3086357086483342,
                -1.1895196722305454,
                -0.6466070677186754,
                0.8365690029317673,
                0.9056118633317605,
                -0.05574002999013012,
                0.7797265342256705,
                -1.0583537461465884,
                0.21383522572037922,
                -1.1472838649378465,
                0.3405705337781045,
                -0.4861719071399926,
                -0.6409975166442754,
                0.05629903018263689,
                1.8174600636946423,
                -1.011761734455417,
                -0.6017506161418752,
                1.067664145735261,
                -0.4235666699986711,
            ],
            &[2.923117132651565],
            1.0,
            32,
            [0.0, 1.0, 0.9666666666666667, 1.0],
        ),
    ];

    #[test]
    fn auc_and_roc_match_scikit_learn() {
        for (k, (normal, anomalous, expected, len, [f1, t1, f2, t2])) in SKLEARN.iter().enumerate()
        {
            let a = auc(normal, anomalous).unwrap();
            assert!((a - expected).abs() < 1e-9, "case {k}: {a} vs {expected}");
            let r = roc(normal, anomalous).unwrap();
            assert_eq!(r.len(), *len, "case {k}");
            let second = r[1];
            let before_last = r[r.len() - 2];
            assert!(
                (second.fpr - f1).abs() < 1e-12 && (second.tpr - t1).abs() < 1e-12,
                "case {k}"
            );
            assert!(
                (before_last.fpr - f2).abs() < 1e-12 && (before_last.tpr - t2).abs() < 1e-12,
                "case {k}"
            );
            let last = r[r.len() - 1];
            assert_eq!((last.fpr, last.tpr), (1.0, 1.0));
            // the trapezoids under the curve are the AUC too
            let area: f64 = r
                .windows(2)
                .map(|w| (w[1].fpr - w[0].fpr) * (w[1].tpr + w[0].tpr) / 2.0)
                .sum();
            assert!((area - expected).abs() < 1e-9, "case {k}");
        }
    }

    #[test]
    fn the_threshold_at_a_false_positive_rate_and_bad_input() {
        let normal = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0];
        let anomalous = [0.95, 1.5, 2.0, 0.55];
        let r = roc(&normal, &anomalous).unwrap();
        // flagged from the top: 2.0 (anomaly), 1.5 (anomaly), 1.0 (normal), 0.95 (anomaly), …
        let p = at_fpr(&r, 0.05);
        assert_eq!((p.threshold, p.fpr, p.tpr), (1.5, 0.0, 0.5));
        let p = at_fpr(&r, 0.2);
        assert_eq!(
            (p.threshold, p.fpr, p.tpr),
            (0.95, 0.1, 0.75),
            "the fewest false alarms for the most anomalies"
        );
        assert_eq!(auc(&[1.0, 1.0], &[1.0]).unwrap(), 0.5, "all tied: a coin");
        assert!(auc(&[], &[1.0]).is_err());
        assert!(
            auc(&[f64::NAN], &[1.0])
                .unwrap_err()
                .to_string()
                .contains("not a number")
        );
    }
}
