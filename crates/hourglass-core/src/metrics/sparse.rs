//! How a sparse code is used, and how much of the data's variance a reconstruction leaves
//! out — the figures the sparse-autoencoder literature reports (OpenAI's TopK SAEs: L0, dead
//! latents, normalised MSE; Anthropic's dictionaries: the fraction of variance unexplained).

use crate::Error;

/// A code's sparsity over a set of samples.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CodeSparsity {
    /// Mean number of active units per sample.
    pub l0: f64,
    /// Units never active on any sample.
    pub dead: usize,
    /// Units in the code.
    pub units: usize,
}

impl CodeSparsity {
    /// The fraction of units never active.
    pub fn dead_fraction(&self) -> f64 {
        self.dead as f64 / self.units.max(1) as f64
    }
}

/// L0 and dead units of `codes` (rows of `units` values): a unit is active on a sample when
/// its value is above `threshold` (0 for ReLU and TopK codes, whose inactive units are
/// exactly 0).
pub fn code_sparsity(codes: &[f32], units: usize, threshold: f32) -> Result<CodeSparsity, Error> {
    if units == 0 || codes.is_empty() || !codes.len().is_multiple_of(units) {
        return Err(Error::invalid(format!(
            "{} code values are not whole codes of {units} units",
            codes.len()
        )));
    }
    let n = codes.len() / units;
    let mut ever = vec![false; units];
    let mut active = 0usize;
    for row in codes.chunks(units) {
        for (e, &v) in ever.iter_mut().zip(row) {
            if v > threshold {
                active += 1;
                *e = true;
            }
        }
    }
    Ok(CodeSparsity {
        l0: active as f64 / n as f64,
        dead: ever.iter().filter(|&&e| !e).count(),
        units,
    })
}

/// The fraction of variance unexplained: `Σ‖x − x̂‖² / Σ‖x − x̄‖²` over all samples, `x̄`
/// each feature's mean. 0 is perfect; 1 is no better than the mean image.
pub fn fvu(values: &[f32], reconstructions: &[f32], dim: usize) -> Result<f64, Error> {
    if dim == 0
        || values.is_empty()
        || values.len() != reconstructions.len()
        || !values.len().is_multiple_of(dim)
    {
        return Err(Error::invalid(format!(
            "{} values and {} reconstructions are not the same whole samples of {dim}",
            values.len(),
            reconstructions.len()
        )));
    }
    let n = values.len() / dim;
    let mut mean = vec![0.0f64; dim];
    for row in values.chunks(dim) {
        mean.iter_mut().zip(row).for_each(|(m, &v)| *m += v as f64);
    }
    mean.iter_mut().for_each(|m| *m /= n as f64);
    let (mut residual, mut total) = (0.0f64, 0.0f64);
    for (row, rec) in values.chunks(dim).zip(reconstructions.chunks(dim)) {
        for ((&v, &r), &m) in row.iter().zip(rec).zip(&mean) {
            residual += (v as f64 - r as f64).powi(2);
            total += (v as f64 - m).powi(2);
        }
    }
    if total == 0.0 {
        return Err(Error::invalid(
            "the samples are all the same: there is no variance to explain",
        ));
    }
    Ok(residual / total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn l0_and_dead_units_of_a_constructed_code() {
        // 4 units, 3 samples: unit 3 never fires, unit 0 always; 2, 1 and 2 active
        let codes = [1.0, 0.0, 0.5, 0.0, 2.0, 0.0, 0.0, 0.0, 0.1, 3.0, 0.0, -1.0];
        let s = code_sparsity(&codes, 4, 0.0).unwrap();
        assert!((s.l0 - 5.0 / 3.0).abs() < 1e-12, "{s:?}");
        assert_eq!((s.dead, s.units), (1, 4));
        assert_eq!(s.dead_fraction(), 0.25);
        // a higher threshold makes unit 2 dead too (0.5 is not above 0.5)
        assert_eq!(code_sparsity(&codes, 4, 0.5).unwrap().dead, 2);
        assert!(code_sparsity(&codes, 5, 0.0).is_err());
    }

    #[test]
    fn fvu_of_perfect_mean_and_half_way_reconstructions() {
        let x = [0.0, 2.0, 2.0, 0.0, 4.0, 6.0];
        assert_eq!(fvu(&x, &x, 2).unwrap(), 0.0);
        // the mean image (2, 8/3) explains nothing
        let mean = [2.0, 8.0 / 3.0, 2.0, 8.0 / 3.0, 2.0, 8.0 / 3.0];
        assert!((fvu(&x, &mean, 2).unwrap() - 1.0).abs() < 1e-6);
        // half-way between the mean and the truth leaves a quarter of the variance
        let half: Vec<f32> = x.iter().zip(&mean).map(|(a, b)| (a + b) / 2.0).collect();
        assert!((fvu(&x, &half, 2).unwrap() - 0.25).abs() < 1e-6);
        let e = fvu(&[1.0, 1.0], &[1.0, 1.0], 1).unwrap_err().to_string();
        assert!(e.contains("no variance"), "{e}");
    }
}
