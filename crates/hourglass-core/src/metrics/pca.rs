//! Principal component analysis: the linear baseline an autoencoder is compared with.

use nalgebra::{DMatrix, SymmetricEigen};

use crate::Error;

/// A fitted PCA: the mean and the top `k` principal directions.
#[derive(Debug, Clone, PartialEq)]
pub struct Pca {
    pub mean: Vec<f64>,
    /// `k` unit vectors of `dim` values each, by decreasing variance.
    pub components: Vec<Vec<f64>>,
    /// Variance along each component.
    pub variances: Vec<f64>,
}

impl Pca {
    /// Fits `k` components to `rows` samples of `dim` values (row-major).
    pub fn fit(data: &[f64], dim: usize, k: usize) -> Result<Self, Error> {
        if dim == 0 || !data.len().is_multiple_of(dim) || data.is_empty() {
            return Err(Error::invalid(format!(
                "PCA needs whole samples of {dim} values"
            )));
        }
        if k == 0 || k > dim {
            return Err(Error::invalid(format!(
                "PCA components {k} outside 1..={dim}"
            )));
        }
        let n = data.len() / dim;
        let mut mean = vec![0.0; dim];
        for row in data.chunks_exact(dim) {
            mean.iter_mut()
                .zip(row)
                .for_each(|(m, v)| *m += v / n as f64);
        }
        let centered = DMatrix::from_fn(n, dim, |r, c| data[r * dim + c] - mean[c]);
        let cov = centered.transpose() * &centered / n as f64;
        let eig = SymmetricEigen::new(cov);
        let mut order: Vec<usize> = (0..dim).collect();
        order.sort_by(|&a, &b| eig.eigenvalues[b].total_cmp(&eig.eigenvalues[a]));
        let components = order[..k]
            .iter()
            .map(|&i| {
                let mut v: Vec<f64> = eig.eigenvectors.column(i).iter().copied().collect();
                // a fixed sign: the largest entry positive, so results are reproducible
                let big = v
                    .iter()
                    .copied()
                    .fold(0.0f64, |m, x| if x.abs() > m.abs() { x } else { m });
                if big < 0.0 {
                    v.iter_mut().for_each(|x| *x = -*x);
                }
                v
            })
            .collect();
        let variances = order[..k]
            .iter()
            .map(|&i| eig.eigenvalues[i].max(0.0))
            .collect();
        Ok(Pca {
            mean,
            components,
            variances,
        })
    }

    /// Coordinates of `x` along the components.
    pub fn project(&self, x: &[f64]) -> Vec<f64> {
        self.components
            .iter()
            .map(|c| {
                c.iter()
                    .zip(x)
                    .zip(&self.mean)
                    .map(|((ci, xi), mi)| ci * (xi - mi))
                    .sum()
            })
            .collect()
    }

    /// The point with coordinates `z`.
    pub fn reconstruct(&self, z: &[f64]) -> Vec<f64> {
        let mut out = self.mean.clone();
        for (c, &zi) in self.components.iter().zip(z) {
            out.iter_mut().zip(c).for_each(|(o, ci)| *o += zi * ci);
        }
        out
    }

    /// The points rows of coordinates `z` (as many values a row as components) stand for.
    pub fn decode_rows(&self, z: &[f32]) -> Vec<f32> {
        z.chunks(self.components.len().max(1))
            .flat_map(|row| {
                let r: Vec<f64> = row.iter().map(|&v| v as f64).collect();
                self.reconstruct(&r).into_iter().map(|v| v as f32)
            })
            .collect()
    }

    /// Rows of `values` (`mean.len()` values each) through the components and back.
    pub fn reconstruct_rows(&self, values: &[f32]) -> Vec<f32> {
        values
            .chunks(self.mean.len().max(1))
            .flat_map(|row| {
                let x: Vec<f64> = row.iter().map(|&v| v as f64).collect();
                self.reconstruct(&self.project(&x))
                    .into_iter()
                    .map(|v| v as f32)
            })
            .collect()
    }

    /// The PCA of only the first `k` components (a PCA's first k components are the best
    /// k: one fit serves every smaller size).
    pub fn first(&self, k: usize) -> Pca {
        let k = k.min(self.components.len());
        Pca {
            mean: self.mean.clone(),
            components: self.components[..k].to_vec(),
            variances: self.variances[..k].to_vec(),
        }
    }

    /// Mean squared reconstruction error (per value) of `data` through the components.
    pub fn reconstruction_mse(&self, data: &[f64]) -> f64 {
        let dim = self.mean.len();
        let mut total = 0.0;
        for row in data.chunks_exact(dim) {
            let r = self.reconstruct(&self.project(row));
            total += r.iter().zip(row).map(|(a, b)| (a - b).powi(2)).sum::<f64>();
        }
        total / data.len() as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_go_through_the_components_and_back() {
        // points on the line y = 2x (plus a mean): one component reconstructs them exactly
        let data: Vec<f64> = (0..6)
            .flat_map(|i| [i as f64 + 1.0, 2.0 * i as f64 + 3.0])
            .collect();
        let pca = Pca::fit(&data, 2, 2).unwrap();
        let one = pca.first(1);
        assert_eq!((one.components.len(), one.variances.len()), (1, 1));
        let rows: Vec<f32> = data.iter().map(|&v| v as f32).collect();
        let back = one.reconstruct_rows(&rows);
        for (a, b) in back.iter().zip(&rows) {
            assert!((a - b).abs() < 1e-4, "{a} vs {b}");
        }
        // coordinates decode to the same points as reconstruct does
        let z: Vec<f32> = rows
            .chunks(2)
            .map(|r| one.project(&[r[0] as f64, r[1] as f64])[0] as f32)
            .collect();
        let decoded = one.decode_rows(&z);
        for (a, b) in decoded.iter().zip(&back) {
            assert!((a - b).abs() < 1e-4, "{a} vs {b}");
        }
    }

    /// Reconstruction errors and variances against NumPy's SVD of the centred data (recorded).
    #[test]
    fn errors_match_numpys_svd_pca() {
        let case: serde_json::Value = serde_json::from_str(include_str!("pca_numpy.json")).unwrap();
        let x: Vec<f64> = case["x"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap())
            .collect();
        for (k, want) in case["mse"].as_object().unwrap() {
            let k: usize = k.parse().unwrap();
            let got = Pca::fit(&x, 20, k).unwrap().reconstruction_mse(&x);
            let want = want.as_f64().unwrap();
            assert!(
                (got - want).abs() <= 1e-4 * want.max(1e-3),
                "k {k}: {got} vs {want}"
            );
        }
        let pca = Pca::fit(&x, 20, 5).unwrap();
        for (got, want) in pca
            .variances
            .iter()
            .zip(case["variance"].as_array().unwrap())
        {
            assert!(
                (got - want.as_f64().unwrap()).abs() < 1e-9,
                "{got} vs {want}"
            );
        }
    }

    #[test]
    fn finds_the_plane_of_planar_data() {
        // points on the plane z = 0 spread most along x
        let data: Vec<f64> = (0..50)
            .flat_map(|i| {
                let t = i as f64 / 10.0;
                [3.0 * t.cos(), t.sin(), 0.0]
            })
            .collect();
        let pca = Pca::fit(&data, 3, 2).unwrap();
        assert!(pca.components[0][0].abs() > 0.99);
        assert!(pca.reconstruction_mse(&data) < 1e-20);
        let one = Pca::fit(&data, 3, 1).unwrap();
        assert!(one.reconstruction_mse(&data) > 0.01);
        assert!(Pca::fit(&data, 3, 4).is_err());
    }
}
