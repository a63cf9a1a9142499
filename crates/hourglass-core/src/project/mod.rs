//! Maps of many points in two dimensions: PCA, t-SNE (in [`tsne`]), UMAP (in [`umap`]), how
//! much of each point's neighbourhood a map keeps (trustworthiness), and nearest neighbours in
//! the original space (in [`neighbours`]).
//!
//! t-SNE and UMAP are made a step at a time ([`Tsne`], [`Umap`], together [`MapRun`]): a
//! page's job owns no threads, so a map must answer between steps; the CLI runs one to its end
//! ([`tsne`], [`umap`]).
//!
//! Nothing here is drawn at random without a seed, but t-SNE sums in parallel: two runs on
//! several threads differ in rounding, which t-SNE's dynamics amplify into visibly different
//! (equally good) maps. On one thread a run is repeatable to the bit; UMAP's layout is one
//! thread and always repeatable.

use std::borrow::Cow;

use rayon::prelude::*;

use crate::{Error, metrics::Pca, rng::Rng};

mod neighbours;
mod tsne;
mod umap;
use neighbours::sq_dist;
pub use neighbours::{NeighbourSearch, knn, majority, nearest, nearest_to};
pub use tsne::{Tsne, TsneOptions, check_tsne, tsne};
pub use umap::{Umap, UmapOptions, check_umap, fit_ab, umap};

/// Inputs wider than this are reduced to this many principal components before t-SNE.
pub const TSNE_INPUT_DIMS: usize = 50;
/// Most rows a PCA is fitted on (a seeded sample of them when there are more).
pub const PCA_FIT_ROWS: usize = 10_000;

/// How a map is made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Pca,
    Tsne,
    Umap,
}

impl Method {
    pub fn from_name(name: &str) -> Result<Self, Error> {
        match name {
            "pca" => Ok(Method::Pca),
            "tsne" | "t-sne" => Ok(Method::Tsne),
            "umap" => Ok(Method::Umap),
            other => Err(Error::invalid(format!(
                "unknown method '{other}' (expected pca, tsne or umap)"
            ))),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Method::Pca => "pca",
            Method::Tsne => "tsne",
            Method::Umap => "umap",
        }
    }

    /// The method's name as people write it.
    pub fn title(self) -> &'static str {
        match self {
            Method::Pca => "PCA",
            Method::Tsne => "t-SNE",
            Method::Umap => "UMAP",
        }
    }
}

impl crate::settings::Choice for Method {
    const ALL: &'static [Self] = &[Method::Pca, Method::Tsne, Method::Umap];
    fn name(self) -> &'static str {
        Method::name(self)
    }
    fn label(self) -> &'static str {
        self.title()
    }
}

/// Checks `values` is whole rows of `dim` finite values and returns the row count.
fn rows(values: &[f32], dim: usize) -> Result<usize, Error> {
    if dim == 0 || values.is_empty() || !values.len().is_multiple_of(dim) {
        return Err(Error::invalid(format!(
            "a map needs whole points of {dim} values each ({} values given)",
            values.len()
        )));
    }
    if let Some(i) = values.iter().position(|v| !v.is_finite()) {
        return Err(Error::invalid(format!(
            "point {} has a value that is not a finite number",
            i / dim
        )));
    }
    Ok(values.len() / dim)
}

/// PCA with `k` components fitted on at most [`PCA_FIT_ROWS`] rows (a sample drawn from
/// `seed` when there are more).
pub fn fit_pca(values: &[f32], dim: usize, k: usize, seed: u64) -> Result<Pca, Error> {
    let n = rows(values, dim)?;
    if n < 2 {
        return Err(Error::invalid("a map needs at least two points"));
    }
    let picked: Vec<usize> = if n > PCA_FIT_ROWS {
        let mut p = Rng::new(seed).permutation(n);
        p.truncate(PCA_FIT_ROWS);
        p.sort_unstable();
        p
    } else {
        (0..n).collect()
    };
    let fit: Vec<f64> = picked
        .iter()
        .flat_map(|&i| values[i * dim..(i + 1) * dim].iter().map(|&v| v as f64))
        .collect();
    Pca::fit(&fit, dim, k.min(dim))
}

/// Every row's coordinates along the components (n × k, row-major).
pub fn project_rows(pca: &Pca, values: &[f32], dim: usize) -> Vec<f32> {
    values
        .par_chunks(dim)
        .flat_map_iter(|row| {
            pca.components.iter().map(move |c| {
                c.iter()
                    .zip(row)
                    .zip(&pca.mean)
                    .map(|((ci, &x), m)| ci * (x as f64 - m))
                    .sum::<f64>() as f32
            })
        })
        .collect()
}

/// The first two principal components of every row.
pub fn pca_map(values: &[f32], dim: usize, seed: u64) -> Result<Vec<f32>, Error> {
    let pca = fit_pca(values, dim, 2, seed)?;
    let mut xy = project_rows(&pca, values, dim);
    if dim == 1 {
        // one value per point: a line
        xy = xy.iter().flat_map(|&x| [x, 0.0]).collect();
    }
    Ok(xy)
}

/// Wide inputs (pixels) as their first [`TSNE_INPUT_DIMS`] principal components — the usual
/// first step of t-SNE and UMAP: the neighbour search is far faster and the map hardly
/// changes — narrow ones as they are.
fn narrowed(values: &[f32], dim: usize, seed: u64) -> Result<(Cow<'_, [f32]>, usize), Error> {
    if dim <= TSNE_INPUT_DIMS {
        return Ok((Cow::Borrowed(values), dim));
    }
    let pca = fit_pca(values, dim, TSNE_INPUT_DIMS, seed)?;
    Ok((Cow::Owned(project_rows(&pca, values, dim)), TSNE_INPUT_DIMS))
}

/// Whether a run goes on after an iteration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    Go,
    Stop,
}

/// A t-SNE or UMAP map made a step at a time (a page's map; see [`Tsne`] and [`Umap`]).
// one per map: the size of its variants does not matter
#[allow(clippy::large_enum_variant)]
pub enum MapRun {
    Tsne(Tsne),
    Umap(Umap),
}

impl MapRun {
    /// Checks the settings and prepares a run of `method` (PCA is one piece of work:
    /// [`pca_map`]).
    pub fn new(
        method: Method,
        values: &[f32],
        dim: usize,
        tsne: &TsneOptions,
        umap: &UmapOptions,
    ) -> Result<Self, Error> {
        match method {
            Method::Tsne => Ok(MapRun::Tsne(Tsne::new(values, dim, tsne)?)),
            Method::Umap => Ok(MapRun::Umap(Umap::new(values, dim, umap)?)),
            Method::Pca => Err(Error::invalid("a PCA map is made at once, not in steps")),
        }
    }

    pub fn step(&mut self) -> Result<(), Error> {
        match self {
            MapRun::Tsne(r) => r.step(),
            MapRun::Umap(r) => r.step(),
        }
    }

    pub fn done(&self) -> bool {
        match self {
            MapRun::Tsne(r) => r.done(),
            MapRun::Umap(r) => r.done(),
        }
    }

    /// Iterations (t-SNE) or epochs (UMAP) run so far.
    pub fn iteration(&self) -> usize {
        match self {
            MapRun::Tsne(r) => r.iteration(),
            MapRun::Umap(r) => r.epoch(),
        }
    }

    /// Iterations (t-SNE) or epochs (UMAP) the run makes.
    pub fn iterations(&self) -> usize {
        match self {
            MapRun::Tsne(r) => r.iterations(),
            MapRun::Umap(r) => r.epochs(),
        }
    }

    /// Points whose neighbours are found, and of how many.
    pub fn searched(&self) -> (usize, usize) {
        match self {
            MapRun::Tsne(r) => r.searched(),
            MapRun::Umap(r) => r.searched(),
        }
    }

    /// The map as it stands (n × 2), once past the neighbour search.
    pub fn coords(&self) -> Option<&[f32]> {
        match self {
            MapRun::Tsne(r) => r.coords(),
            MapRun::Umap(r) => r.coords(),
        }
    }
}

/// Runs `run` to its end; `each` sees every iteration's (or epoch's) coordinates and may stop
/// it (then `Ok(None)`). The CLI's whole runs ([`tsne`], [`umap`]).
fn run_to_end(
    mut run: MapRun,
    mut each: impl FnMut(usize, &[f32]) -> Flow,
) -> Result<Option<Vec<f32>>, Error> {
    while !run.done() {
        run.step()?;
        if let Some(y) = run.coords()
            && run.iteration() > 0
            && each(run.iteration() - 1, y) == Flow::Stop
        {
            return Ok(None);
        }
    }
    Ok(run.coords().map(<[f32]>::to_vec))
}

/// Trustworthiness (Venna & Kaski): how far a map's `k` nearest neighbours of a point are
/// from being its true nearest neighbours, 1 = all of them are; scikit-learn's
/// `trustworthiness` (Euclidean). With more than `sample` points it is estimated from a
/// seeded sample of `sample` points (each ranked against all points), which is unbiased.
pub fn trustworthiness(
    values: &[f32],
    dim: usize,
    map: &[f32],
    k: usize,
    sample: usize,
    seed: u64,
) -> Result<f64, Error> {
    let n = rows(values, dim)?;
    if map.len() != 2 * n {
        return Err(Error::invalid(format!(
            "the map has {} coordinates for {n} points",
            map.len()
        )));
    }
    if k == 0 || 2 * n < 3 * k + 2 {
        return Err(Error::invalid(format!(
            "trustworthiness with k = {k} needs more than {} points",
            (3 * k).div_ceil(2)
        )));
    }
    let picked: Vec<usize> = if n > sample {
        let mut p = Rng::new(seed).permutation(n);
        p.truncate(sample.max(1));
        p
    } else {
        (0..n).collect()
    };
    let penalty: f64 = picked
        .par_iter()
        .map(|&i| {
            let near = nearest(map, 2, i, k);
            let me = &values[i * dim..(i + 1) * dim];
            let dist: Vec<f32> = values
                .chunks_exact(dim)
                .map(|row| sq_dist(me, row))
                .collect();
            near.iter()
                .map(|&(j, _)| {
                    // rank of j among i's neighbours in the original space (1 = nearest),
                    // ties broken by index as a stable sort does
                    let dj = dist[j];
                    let rank = dist
                        .iter()
                        .enumerate()
                        .filter(|&(l, &d)| l != i && (d < dj || (d == dj && l < j)))
                        .count()
                        + 1;
                    rank.saturating_sub(k) as f64
                })
                .sum::<f64>()
        })
        .sum();
    let (m, n, k) = (picked.len() as f64, n as f64, k as f64);
    Ok(1.0 - penalty * 2.0 / (m * k * (2.0 * n - 3.0 * k - 1.0)))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Three tight, well-separated blobs in 10-D.
    pub(super) fn blobs(per: usize) -> (Vec<f32>, Vec<u32>) {
        let mut rng = Rng::new(7);
        let (mut v, mut l) = (Vec::new(), Vec::new());
        for c in 0..3u32 {
            for _ in 0..per {
                for d in 0..10 {
                    let centre = if d as u32 == c { 10.0 } else { 0.0 };
                    v.push(centre + rng.normal() as f32 * 0.5);
                }
                l.push(c);
            }
        }
        (v, l)
    }

    /// Checks a map of [`blobs`]: one point each, each point's nearest map neighbour of its
    /// own blob, trustworthiness above 0.85 and not below PCA's; returns the trustworthiness.
    pub(super) fn check_blob_map(v: &[f32], labels: &[u32], y: &[f32], what: &str) -> f64 {
        assert_eq!(y.len(), 2 * labels.len());
        for i in 0..labels.len() {
            let j = nearest(y, 2, i, 1)[0].0;
            assert_eq!(labels[i], labels[j], "{what}: point {i}");
        }
        let t = trustworthiness(v, 10, y, 10, 1000, 1).unwrap();
        let p = trustworthiness(v, 10, &pca_map(v, 10, 1).unwrap(), 10, 1000, 1).unwrap();
        assert!(t > 0.85, "{what} trustworthiness {t}");
        assert!(t >= p - 0.02, "{what} {t} vs PCA {p}");
        t
    }

    /// `sklearn.manifold.trustworthiness` on recorded cases (scikit-learn 1.9.1).
    #[test]
    fn trustworthiness_matches_scikit_learn_on_recorded_cases() {
        // eight points on a line, mapped as they are and with the two ends swapped (k = 2)
        let x: Vec<f32> = (0..8).map(|v| v as f32).collect();
        let identity: Vec<f32> = x.iter().flat_map(|&v| [v, 0.0]).collect();
        assert!((trustworthiness(&x, 1, &identity, 2, 100, 1).unwrap() - 1.0).abs() < 1e-12);
        let mut swapped = identity.clone();
        swapped.swap(0, 14);
        let t = trustworthiness(&x, 1, &swapped, 2, 100, 1).unwrap();
        assert!((t - 0.6666666666666667).abs() < 1e-12, "{t}");
        // 40 random points in 5-D and a noisy map of their first two coordinates
        let case: serde_json::Value =
            serde_json::from_str(include_str!("trustworthiness_sklearn.json")).unwrap();
        let floats = |k: &str| -> Vec<f32> {
            case[k]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_f64().unwrap() as f32)
                .collect()
        };
        let (x, y) = (floats("x"), floats("y"));
        for (k, want) in case["k"].as_object().unwrap() {
            let k: usize = k.parse().unwrap();
            let got = trustworthiness(&x, 5, &y, k, 1000, 1).unwrap();
            assert!(
                (got - want.as_f64().unwrap()).abs() < 1e-9,
                "k {k}: {got} vs {want}"
            );
        }
        // a sample of the points estimates it
        let est = trustworthiness(&x, 5, &y, 5, 20, 1).unwrap();
        assert!((est - 0.7854687499999999).abs() < 0.1, "{est}");
    }
}
