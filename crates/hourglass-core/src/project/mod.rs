//! Maps of many points in two dimensions: PCA, t-SNE, UMAP (in [`umap`]), how much of each point's
//! neighbourhood a map keeps (trustworthiness), and nearest neighbours in the original space.
//!
//! t-SNE is the `bhtsne` crate's (its vantage-point tree for the neighbours, perplexity
//! calibration, and the FIt-SNE interpolation of the repulsive forces: O(n) per iteration,
//! which is what makes 70,000 points fit in minutes). What is ours: the start (the data's
//! first two principal components scaled to a standard deviation of 1e-4, as openTSNE does
//! — deterministic, and better at keeping the global layout than a random start, Kobak &
//! Linderman 2021), the reduction of wide inputs (pixels) to 50 principal components first,
//! the checks that turn the crate's panics into errors, and stopping a run part-way (the
//! crate has no stop: the iteration callback unwinds out of it, see [`tsne`]), and the
//! exact neighbour lists (its vantage-point tree draws from an unseeded generator).
//!
//! Nothing here is drawn at random without a seed, but the crate sums in parallel: two runs
//! on several threads differ in rounding, which t-SNE's dynamics amplify into visibly
//! different (equally good) maps. On one thread a run is repeatable to the bit.

use std::{
    borrow::Cow,
    panic::{AssertUnwindSafe, catch_unwind, resume_unwind},
};

use bhtsne::{Neighbor, tSNE};
use rayon::prelude::*;

use crate::{Error, metrics::Pca, rng::Rng};

mod umap;
pub use umap::{UmapOptions, check_umap, fit_ab, umap};

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

/// t-SNE's settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TsneOptions {
    pub perplexity: f64,
    /// Gradient-descent iterations (the first 250 with early exaggeration).
    pub iterations: usize,
    /// Draws the PCA sample when there are more than [`PCA_FIT_ROWS`] points.
    pub seed: u64,
}

impl Default for TsneOptions {
    fn default() -> Self {
        TsneOptions {
            perplexity: 30.0,
            iterations: 750,
            seed: 1,
        }
    }
}

/// Whether a run goes on after an iteration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    Go,
    Stop,
}

/// Unwound out of bhtsne's loop to stop a run.
struct Stopped;

/// Checks t-SNE's settings against the number of points.
pub fn check_tsne(n: usize, opts: &TsneOptions) -> Result<(), Error> {
    if !(opts.perplexity.is_finite() && opts.perplexity >= 2.0) {
        return Err(Error::invalid(format!(
            "perplexity {} must be at least 2",
            opts.perplexity
        )));
    }
    // the crate's own bound: each point needs 3 × perplexity neighbours
    let needed = (3.0 * opts.perplexity).ceil() as usize + 1;
    if n < needed {
        return Err(Error::invalid(format!(
            "t-SNE with perplexity {} needs at least {needed} points ({n} given)",
            opts.perplexity
        )));
    }
    if !(1..=10_000).contains(&opts.iterations) {
        return Err(Error::invalid(format!(
            "t-SNE iterations {} outside 1..=10000",
            opts.iterations
        )));
    }
    Ok(())
}

/// A t-SNE map of the rows of `values` (`dim` values each): n × 2 coordinates. `each` sees
/// every iteration's coordinates and may stop the run (then `Ok(None)`).
pub fn tsne(
    values: &[f32],
    dim: usize,
    opts: &TsneOptions,
    mut each: impl FnMut(usize, &[f32]) -> Flow,
) -> Result<Option<Vec<f32>>, Error> {
    let n = rows(values, dim)?;
    check_tsne(n, opts)?;
    let (values, dim) = narrowed(values, dim, opts.seed)?;
    let values = &values[..];
    let start = pca_map(values, dim, opts.seed)?;
    let sd = {
        let xs: Vec<f64> = start.iter().step_by(2).map(|&x| x as f64).collect();
        let mean = xs.iter().sum::<f64>() / n as f64;
        (xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n as f64).sqrt()
    };
    let scale = if sd > 0.0 { 1e-4 / sd } else { 0.0 };
    let mut init: Vec<f32> = start.iter().map(|&v| (v as f64 * scale) as f32).collect();
    if scale == 0.0 {
        // every point the same: a seeded scatter
        let mut rng = Rng::new(opts.seed);
        init.iter_mut()
            .for_each(|v| *v = (rng.normal() * 1e-4) as f32);
    }
    let samples: Vec<&[f32]> = values.chunks_exact(dim).collect();
    // exact neighbours, ours: bhtsne's vantage-point tree draws its vantage points from an
    // unseeded generator, which made two runs on the same data differ
    let k = ((3.0 * opts.perplexity) as usize).min(n - 1);
    let neighbours = knn(values, dim, k);
    let run = catch_unwind(AssertUnwindSafe(|| {
        let mut t: tSNE<f32, &[f32]> = tSNE::new(&samples);
        // openTSNE's learning rate, n / early exaggeration (the crate's default is a quarter
        // of it): on 10,000 MNIST codes trustworthiness 0.957 → 0.972 (scikit-learn's
        // measure), level with scikit-learn's own t-SNE
        t.perplexity(opts.perplexity as f32)
            .learning_rate((n as f32 / 12.0).max(50.0))
            .epochs(opts.iterations)
            .initial_embedding(init)
            .epoch_callback(|i, y| {
                if each(i, y) == Flow::Stop {
                    // bhtsne's loop has no way out; unwinding without the panic hook
                    // (nothing is printed) ends it, and the catch below says "stopped"
                    resume_unwind(Box::new(Stopped));
                }
            })
            .fit_sne_with_neighbors(&neighbours);
        t.embedding()
    }));
    match run {
        Ok(y) => Ok(Some(y)),
        Err(e) if e.is::<Stopped>() => Ok(None),
        Err(e) => {
            let why = e
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_else(|| "unknown reason".into());
            Err(Error::invalid(format!("t-SNE failed: {why}")))
        }
    }
}

fn sq_dist(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum()
}

/// Rows of queries, and of candidates, one matrix product of the neighbour search covers: a
/// 256 × 2,048 block of distances (2 MB) stays in cache while it is scanned.
const QUERY_BLOCK: usize = 256;
const BASE_BLOCK: usize = 2_048;
/// Candidates kept beyond `k` before the exact distances decide.
const SPARE: usize = 8;

/// Every row's `k` nearest other rows, nearest first, ties by index: exact.
///
/// Candidates come from distances computed as ‖a‖² + ‖b‖² − 2 a·b, blocks of rows at a time
/// with the dot products as one matrix product (the `gemm` crate, as the conv ops use) — ten
/// times faster than row against row — and each row keeps `k` + 8 of them; their distances
/// are then recomputed directly, so the rounding of the expansion can only reorder points
/// within a few ulps of the k-th distance, and the 8 spares absorb that.
pub fn knn(values: &[f32], dim: usize, k: usize) -> Vec<Vec<Neighbor<f32>>> {
    let n = values.len() / dim.max(1);
    let k = k.min(n.saturating_sub(1));
    if k == 0 {
        return vec![Vec::new(); n];
    }
    let keep = (k + SPARE).min(n - 1);
    let norms: Vec<f32> = values
        .chunks_exact(dim)
        .map(|r| r.iter().map(|x| x * x).sum())
        .collect();
    (0..n.div_ceil(QUERY_BLOCK))
        .into_par_iter()
        .flat_map_iter(|block| {
            let (q0, q1) = (block * QUERY_BLOCK, ((block + 1) * QUERY_BLOCK).min(n));
            let m = q1 - q0;
            let queries = &values[q0 * dim..q1 * dim];
            // each row's best candidates so far, sorted by (distance, index)
            let mut best: Vec<Vec<(f32, usize)>> = vec![Vec::with_capacity(keep + 1); m];
            let mut dots = vec![0.0f32; m * BASE_BLOCK];
            for b0 in (0..n).step_by(BASE_BLOCK) {
                let b1 = (b0 + BASE_BLOCK).min(n);
                let cn = b1 - b0;
                crate::tensor::matmul(
                    m,
                    cn,
                    dim,
                    &mut dots[..m * cn],
                    false,
                    crate::tensor::mat(queries, dim, 1),
                    crate::tensor::mat(&values[b0 * dim..b1 * dim], 1, dim),
                );
                for (r, list) in best.iter_mut().enumerate() {
                    let i = q0 + r;
                    let row = &dots[r * cn..(r + 1) * cn];
                    let mut worst = if list.len() == keep {
                        list[keep - 1].0
                    } else {
                        f32::INFINITY
                    };
                    for (c, &dot) in row.iter().enumerate() {
                        let j = b0 + c;
                        let d = norms[i] + norms[j] - 2.0 * dot;
                        if d < worst && j != i {
                            let at = list.partition_point(|&(e, _)| e <= d);
                            list.insert(at, (d, j));
                            list.truncate(keep);
                            if list.len() == keep {
                                worst = list[keep - 1].0;
                            }
                        }
                    }
                }
            }
            best.into_iter().enumerate().map(move |(r, list)| {
                let me = &values[(q0 + r) * dim..(q0 + r + 1) * dim];
                let mut exact: Vec<(usize, f32)> = list
                    .iter()
                    .map(|&(_, j)| (j, sq_dist(me, &values[j * dim..(j + 1) * dim])))
                    .collect();
                smallest(&mut exact, k)
                    .into_iter()
                    .map(|(index, s)| Neighbor {
                        index,
                        distance: s.sqrt(),
                    })
                    .collect::<Vec<_>>()
            })
        })
        .collect()
}

/// The `k` nearest rows to row `i` (itself left out), nearest first, with their distances.
pub fn nearest(values: &[f32], dim: usize, i: usize, k: usize) -> Vec<(usize, f32)> {
    let n = values.len() / dim.max(1);
    if i >= n {
        return Vec::new();
    }
    let me = &values[i * dim..(i + 1) * dim];
    let mut d: Vec<(usize, f32)> = values
        .chunks_exact(dim)
        .enumerate()
        .filter(|&(j, _)| j != i)
        .map(|(j, row)| (j, sq_dist(me, row)))
        .collect();
    smallest(&mut d, k)
        .into_iter()
        .map(|(j, s)| (j, s.sqrt()))
        .collect()
}

/// The `k` (index, squared distance) pairs of `d` with the smallest distances, nearest first,
/// ties by index.
fn smallest(d: &mut [(usize, f32)], k: usize) -> Vec<(usize, f32)> {
    let k = k.min(d.len());
    if k == 0 {
        return Vec::new();
    }
    let by = |a: &(usize, f32), b: &(usize, f32)| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0));
    d.select_nth_unstable_by(k - 1, by);
    let mut near = d[..k].to_vec();
    near.sort_by(by);
    near
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

    #[test]
    fn tsne_separates_blobs_and_keeps_neighbourhoods() {
        let (v, labels) = blobs(60);
        let opts = TsneOptions {
            perplexity: 10.0,
            iterations: 400,
            seed: 3,
        };
        let mut seen = 0;
        let y = tsne(&v, 10, &opts, |_, _| {
            seen += 1;
            Flow::Go
        })
        .unwrap()
        .unwrap();
        assert_eq!(seen, 400);
        let t = check_blob_map(&v, &labels, &y, "t-SNE");
        // another run differs only by the order of the parallel sums: as good a map
        let again = tsne(&v, 10, &opts, |_, _| Flow::Go).unwrap().unwrap();
        let t2 = trustworthiness(&v, 10, &again, 10, 1000, 1).unwrap();
        assert!((t - t2).abs() < 0.02, "{t} vs {t2}");
        // on one thread the sums are in one order: the same settings give the same map
        let one = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .unwrap();
        let a = one.install(|| tsne(&v, 10, &opts, |_, _| Flow::Go).unwrap().unwrap());
        let b = one.install(|| tsne(&v, 10, &opts, |_, _| Flow::Go).unwrap().unwrap());
        assert_eq!(a, b);
    }

    #[test]
    fn a_run_stops_when_asked_and_bad_settings_are_errors() {
        let (v, _) = blobs(20);
        let opts = TsneOptions {
            perplexity: 5.0,
            iterations: 500,
            seed: 1,
        };
        let mut last = 0;
        let out = tsne(&v, 10, &opts, |i, _| {
            last = i;
            if i == 20 { Flow::Stop } else { Flow::Go }
        })
        .unwrap();
        assert!(out.is_none());
        assert_eq!(last, 20);
        let too_many = TsneOptions {
            perplexity: 30.0,
            ..opts
        };
        let e = tsne(&v, 10, &too_many, |_, _| Flow::Go).unwrap_err();
        assert!(e.to_string().contains("needs at least 91 points"), "{e}");
        let mut nan = v.clone();
        nan[15] = f32::NAN;
        let e = tsne(&nan, 10, &opts, |_, _| Flow::Go).unwrap_err();
        assert!(e.to_string().contains("point 1"), "{e}");
        assert!(tsne(&v[..15], 10, &opts, |_, _| Flow::Go).is_err());
    }

    #[test]
    fn the_blocked_neighbour_search_finds_what_row_against_row_finds() {
        // more rows than a block of each kind, some of them repeated (ties at distance 0)
        let mut rng = Rng::new(5);
        let dim = 7;
        let mut v: Vec<f32> = (0..2_600 * dim).map(|_| rng.normal() as f32).collect();
        for r in [10usize, 300, 2_100] {
            let copy = v[r * dim..(r + 1) * dim].to_vec();
            v[(r + 1) * dim..(r + 2) * dim].copy_from_slice(&copy);
        }
        let all = knn(&v, dim, 12);
        assert_eq!(all.len(), 2_600);
        for i in (0..2_600).step_by(7).chain([10, 11, 300, 301, 2_599]) {
            let want: Vec<usize> = nearest(&v, dim, i, 12).iter().map(|p| p.0).collect();
            let got: Vec<usize> = all[i].iter().map(|p| p.index).collect();
            assert_eq!(got, want, "row {i}");
        }
        assert_eq!(all[10][0].index, 11);
        assert_eq!(all[10][0].distance, 0.0);
        // fewer rows than asked for: every other row
        assert_eq!(knn(&v[..3 * dim], dim, 5)[0].len(), 2);
    }

    #[test]
    fn nearest_lists_the_closest_rows_first() {
        let v = [0.0f32, 5.0, 1.0, 2.5, 10.0];
        let n = nearest(&v, 1, 0, 3);
        assert_eq!(
            n.iter().map(|p| p.0).collect::<Vec<_>>(),
            vec![2, 3, 1],
            "{n:?}"
        );
        assert!((n[0].1 - 1.0).abs() < 1e-6);
    }
}
