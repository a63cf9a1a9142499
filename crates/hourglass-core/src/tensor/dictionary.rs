//! How a sparse model uses its code, measured once for the CLI (`hourglass eval`) and the
//! pages: L0 (active units per sample), dead units, the fraction of variance unexplained
//! (FVU), and PCA's FVU with as many components as the L0 — the linear method's best case at
//! the same number of active numbers.

use super::Autoencoder;
use crate::{
    Error,
    architecture::Code,
    metrics::{CodeSparsity, code_sparsity, fvu},
    project::fit_pca,
};

/// A sparse model's codes of some samples and what they say.
pub struct CodeFigures {
    pub code: CodeSparsity,
    pub fvu: f64,
    /// The codes, `[n × units]` row-major.
    pub codes: Vec<f32>,
    /// Their decoding, `[n × dim]`.
    pub reconstructions: Vec<f32>,
}

/// A sparse model's figures beside PCA's.
pub struct SparseFigures {
    pub code: CodeSparsity,
    pub fvu: f64,
    /// PCA with as many components as the code's L0 (rounded, at least 1), fitted on the
    /// same samples.
    pub pca_components: usize,
    pub pca_fvu: f64,
}

/// Encodes `values` (`[n × dim]`) and decodes the codes: L0, dead units and FVU. A sigmoid
/// (KL-sparse) code is never exactly 0: it counts as active above one half.
pub fn code_figures(model: &Autoencoder, values: &[f32], dim: usize) -> Result<CodeFigures, Error> {
    let units = model.arch.latent_size();
    let codes = model.encode_host(values, 512);
    let threshold = if model.arch.code() == Code::Sigmoid {
        0.5
    } else {
        0.0
    };
    let code = code_sparsity(&codes, units, threshold)?;
    // the codes just made, decoded: the same reconstructions without encoding twice
    let reconstructions = model.decode_host(&codes, 512);
    let fvu = fvu(values, &reconstructions, dim)?;
    Ok(CodeFigures {
        code,
        fvu,
        codes,
        reconstructions,
    })
}

/// PCA's FVU on `values` with `k` components fitted on them.
pub fn pca_fvu(values: &[f32], dim: usize, k: usize) -> Result<f64, Error> {
    Ok(pca_fvu_curve(values, dim, &[k])?[0])
}

/// PCA's FVU on `values` with each of `ks` components (one fit of the most, truncated:
/// PCA's first k components are the k-component fit).
pub fn pca_fvu_curve(values: &[f32], dim: usize, ks: &[usize]) -> Result<Vec<f64>, Error> {
    let most = ks.iter().copied().max().unwrap_or(1).clamp(1, dim);
    let full = fit_pca(values, dim, most, 1)?;
    ks.iter()
        .map(|&k| {
            let mut pca = full.clone();
            pca.components.truncate(k.clamp(1, dim));
            pca.variances.truncate(k.clamp(1, dim));
            fvu(values, &pca.reconstruct_rows(values), dim)
        })
        .collect()
}

/// [`code_figures`] beside PCA's FVU at the code's L0.
pub fn sparse_figures(
    model: &Autoencoder,
    values: &[f32],
    dim: usize,
) -> Result<SparseFigures, Error> {
    let CodeFigures { code, fvu, .. } = code_figures(model, values, dim)?;
    let k = (code.l0.round() as usize).clamp(1, dim);
    Ok(SparseFigures {
        pca_fvu: pca_fvu(values, dim, k)?,
        code,
        fvu,
        pca_components: k,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Rng;

    #[test]
    fn pca_loses_less_with_more_components_and_nothing_with_all() {
        let mut rng = Rng::new(3);
        let (n, dim) = (300, 6);
        let values: Vec<f32> = (0..n * dim).map(|_| rng.normal() as f32).collect();
        let curve = pca_fvu_curve(&values, dim, &[1, 2, 4, 6]).unwrap();
        assert!(curve.windows(2).all(|w| w[1] < w[0]), "{curve:?}");
        assert!(curve[3] < 1e-6, "{curve:?}");
        assert!((pca_fvu(&values, dim, 2).unwrap() - curve[1]).abs() < 1e-9);
    }
}
