//! UMAP (McInnes, Healy & Melville 2018), written here after umap-learn 0.5's reference
//! implementation: the fuzzy neighbour graph (each point's distances relative to its nearest
//! neighbour, a bandwidth found by bisection so the memberships sum to log2 k, the union
//! a + b − ab of the two directions), the curve 1 / (1 + a d^2b) fitted to the minimum distance,
//! and the layout by stochastic gradient descent with negative sampling, each edge sampled in
//! proportion to its weight and the step shrinking linearly to zero.
//!
//! Why by hand: the Rust crates that do UMAP do not fit. `umap-rs` draws its negative samples
//! from `rand::rng()` (unseeded: two runs differ) and leaves neighbours and the start to the
//! caller; `annembed` brings its own approximate neighbour search (hnsw) and a LAPACK stack.
//! The algorithm itself is short; what matters is that it is seeded and streams its epochs.
//!
//! What differs from umap-learn, and why:
//! - neighbours are exact (the same brute-force search as t-SNE's), not NN-descent's
//!   approximation;
//! - the start is the data's first two principal components scaled to ±10 with a little
//!   seeded noise (umap-learn's `init="pca"`), not its default spectral layout, which needs a
//!   sparse eigensolver; an informative start is what matters for the global layout (Kobak &
//!   Linderman 2021), and PCA's is deterministic and cheap;
//! - inputs wider than 50 values go through PCA-50 first, as for t-SNE;
//! - the layout is one thread: umap-learn's parallel SGD (Hogwild, racing writes) is not
//!   repeatable, and neither is it there — umap-learn too runs single-threaded when given a
//!   seed.

use rayon::prelude::*;

use bhtsne::Neighbor;

use super::{Flow, MapRun, NeighbourSearch, narrowed, pca_map, rows};
use crate::{Error, rng::Rng};

/// UMAP's settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct UmapOptions {
    /// The neighbourhood size, the point itself counted (umap-learn's `n_neighbors`).
    pub neighbours: usize,
    /// How close points may pack in the map (umap-learn's `min_dist`, with `spread` 1).
    pub min_dist: f64,
    /// Passes of the layout; 0: 500 up to 10,000 points, 200 beyond (umap-learn's default).
    pub epochs: usize,
    /// The start's noise and the negative samples.
    pub seed: u64,
}

impl Default for UmapOptions {
    fn default() -> Self {
        UmapOptions {
            neighbours: 15,
            min_dist: 0.1,
            epochs: 0,
            seed: 1,
        }
    }
}

impl UmapOptions {
    /// The passes a run over `n` points makes.
    pub fn epochs_for(&self, n: usize) -> usize {
        match self.epochs {
            0 if n <= 10_000 => 500,
            0 => 200,
            e => e,
        }
    }
}

/// Negative samples per positive one (umap-learn's `negative_sample_rate`).
const NEGATIVE_RATE: f64 = 5.0;
/// Each gradient component is clipped to this (umap-learn's `clip`).
const CLIP: f32 = 4.0;

/// Checks UMAP's settings against the number of points.
pub fn check_umap(n: usize, opts: &UmapOptions) -> Result<(), Error> {
    if !(2..=200).contains(&opts.neighbours) {
        return Err(Error::invalid(format!(
            "UMAP neighbours {} outside 2..=200",
            opts.neighbours
        )));
    }
    if n <= opts.neighbours {
        return Err(Error::invalid(format!(
            "UMAP with {} neighbours needs at least {} points ({n} given)",
            opts.neighbours,
            opts.neighbours + 1
        )));
    }
    if !(opts.min_dist.is_finite() && (0.0..=1.0).contains(&opts.min_dist)) {
        return Err(Error::invalid(format!(
            "UMAP min_dist {} outside 0..=1",
            opts.min_dist
        )));
    }
    if opts.epochs > 10_000 {
        return Err(Error::invalid(format!(
            "UMAP epochs {} outside 1..=10000",
            opts.epochs
        )));
    }
    Ok(())
}

/// The `a`, `b` of the map's similarity curve 1 / (1 + a d^2b) that best fit (least squares
/// on 300 points of 0..3) 1 below `min_dist` and exp(−(d − min_dist)) beyond it, with spread 1:
/// umap-learn's `find_ab_params` (which calls SciPy's `curve_fit`); here Levenberg–Marquardt
/// from the same start (1, 1).
pub fn fit_ab(min_dist: f64) -> (f64, f64) {
    let xs: Vec<f64> = (0..300).map(|i| 3.0 * i as f64 / 299.0).collect();
    let ys: Vec<f64> = xs
        .iter()
        .map(|&x| {
            if x < min_dist {
                1.0
            } else {
                (-(x - min_dist)).exp()
            }
        })
        .collect();
    let cost = |a: f64, b: f64| -> f64 {
        xs.iter()
            .zip(&ys)
            .map(|(&x, &y)| (1.0 / (1.0 + a * x.powf(2.0 * b)) - y).powi(2))
            .sum()
    };
    let (mut a, mut b, mut lambda) = (1.0f64, 1.0f64, 1e-3);
    let mut c = cost(a, b);
    for _ in 0..200 {
        // normal equations of the linearised residuals, J^T J δ = −J^T r
        let (mut jaa, mut jab, mut jbb, mut ga, mut gb) = (0.0, 0.0, 0.0, 0.0, 0.0);
        for (&x, &y) in xs.iter().zip(&ys) {
            let u = if x > 0.0 { x.powf(2.0 * b) } else { 0.0 };
            let f = 1.0 / (1.0 + a * u);
            let r = f - y;
            let da = -u * f * f;
            let db = if x > 0.0 {
                -a * u * 2.0 * x.ln() * f * f
            } else {
                0.0
            };
            jaa += da * da;
            jab += da * db;
            jbb += db * db;
            ga += da * r;
            gb += db * r;
        }
        let mut improved = false;
        for _ in 0..30 {
            let (paa, pbb) = (jaa * (1.0 + lambda), jbb * (1.0 + lambda));
            let det = paa * pbb - jab * jab;
            if det.abs() < 1e-300 {
                lambda *= 10.0;
                continue;
            }
            let step_a = -(pbb * ga - jab * gb) / det;
            let step_b = -(paa * gb - jab * ga) / det;
            let (na, nb) = (a + step_a, b + step_b);
            let nc = if na > 0.0 && nb > 0.0 {
                cost(na, nb)
            } else {
                f64::INFINITY
            };
            if nc < c {
                let small = (c - nc) < 1e-15 * c.max(1e-300);
                (a, b, c) = (na, nb, nc);
                lambda = (lambda / 10.0).max(1e-12);
                improved = !small;
                break;
            }
            lambda *= 10.0;
        }
        if !improved {
            break;
        }
    }
    (a, b)
}

/// Neighbours each point's list holds (the point itself is counted in `neighbours`).
fn list_len(n: usize, neighbours: usize) -> usize {
    (neighbours - 1).min(n - 1)
}

/// The fuzzy neighbour graph of `near` (each point's [`list_len`] nearest): every pair (i, j)
/// joined with weight w > 0, both directions, sorted by (i, j), as umap-learn's symmetric COO
/// matrix lists them.
fn fuzzy_graph(near: &[Vec<Neighbor<f32>>], neighbours: usize) -> Vec<(u32, u32, f32)> {
    let n = near.len();
    let k = list_len(n, neighbours);
    // umap-learn's distance lists begin with the point itself (distance 0)
    let total: f64 = near
        .iter()
        .flat_map(|l| l.iter().map(|p| p.distance as f64))
        .sum();
    let mean_all = total / (n * (k + 1)) as f64;
    let target = (neighbours as f64).log2();
    let memberships: Vec<Vec<(u32, f32)>> = near
        .par_iter()
        .map(|list| {
            let d: Vec<f64> = list.iter().map(|p| p.distance as f64).collect();
            // ρ: the distance to the nearest neighbour that is not a duplicate
            let rho = d.iter().copied().find(|&x| x > 0.0).unwrap_or(0.0);
            let (mut lo, mut hi, mut mid) = (0.0f64, f64::INFINITY, 1.0f64);
            for _ in 0..64 {
                let psum: f64 = d
                    .iter()
                    .map(|&x| {
                        if x - rho > 0.0 {
                            (-(x - rho) / mid).exp()
                        } else {
                            1.0
                        }
                    })
                    .sum();
                if (psum - target).abs() < 1e-5 {
                    break;
                }
                if psum > target {
                    hi = mid;
                    mid = (lo + hi) / 2.0;
                } else {
                    lo = mid;
                    mid = if hi.is_infinite() {
                        mid * 2.0
                    } else {
                        (lo + hi) / 2.0
                    };
                }
            }
            let floor = if rho > 0.0 {
                1e-3 * d.iter().sum::<f64>() / (d.len() + 1) as f64
            } else {
                1e-3 * mean_all
            };
            let sigma = mid.max(floor);
            list.iter()
                .zip(&d)
                .map(|(p, &x)| {
                    let w = if x - rho <= 0.0 || sigma == 0.0 {
                        1.0
                    } else {
                        (-(x - rho) / sigma).exp()
                    };
                    (p.index as u32, w as f32)
                })
                .collect()
        })
        .collect();
    // the union of the two directions: a + b − ab
    let mut entries: Vec<(u32, u32, f32)> = Vec::with_capacity(2 * n * k);
    for (i, list) in memberships.iter().enumerate() {
        for &(j, w) in list {
            entries.push((i as u32, j, w));
            entries.push((j, i as u32, w));
        }
    }
    entries.par_sort_unstable_by_key(|&(i, j, _)| (i, j));
    let mut graph: Vec<(u32, u32, f32)> = Vec::with_capacity(entries.len());
    for (i, j, w) in entries {
        match graph.last_mut() {
            Some(last) if last.0 == i && last.1 == j => last.2 = last.2 + w - last.2 * w,
            _ => graph.push((i, j, w)),
        }
    }
    graph.retain(|e| e.2 > 0.0);
    graph
}

/// A UMAP map being made: first each point's neighbours, a few blocks of points a step, then
/// one epoch of the layout a step. [`umap`] runs one to its end.
pub struct Umap {
    opts: UmapOptions,
    epochs: usize,
    stage: Stage,
}

// one per map: the size of its variants does not matter
#[allow(clippy::large_enum_variant)]
enum Stage {
    Searching(NeighbourSearch),
    Layout(Layout),
}

/// The layout's state between epochs.
struct Layout {
    graph: Vec<(u32, u32, f32)>,
    a: f32,
    b: f32,
    y: Vec<f32>,
    rng: Rng,
    per_sample: Vec<f64>,
    per_negative: Vec<f64>,
    next_sample: Vec<f64>,
    next_negative: Vec<f64>,
    epoch: usize,
}

impl Umap {
    /// Checks the settings and prepares the run (the reduction to 50 principal components
    /// when the points are wider).
    pub fn new(values: &[f32], dim: usize, opts: &UmapOptions) -> Result<Self, Error> {
        let n = rows(values, dim)?;
        check_umap(n, opts)?;
        let (values, dim) = narrowed(values, dim, opts.seed)?;
        Ok(Umap {
            opts: *opts,
            epochs: opts.epochs_for(n),
            stage: Stage::Searching(NeighbourSearch::new(
                values.into_owned(),
                dim,
                list_len(n, opts.neighbours),
            )),
        })
    }

    /// The next piece of work: a few blocks of the neighbour search (the last one also builds
    /// the graph and the start), or one epoch. Nothing once [`done`](Self::done).
    pub fn step(&mut self) -> Result<(), Error> {
        match &mut self.stage {
            Stage::Searching(search) => {
                if !search.step() {
                    let search = std::mem::replace(search, NeighbourSearch::new(Vec::new(), 1, 0));
                    let (values, near) = search.into_parts();
                    self.stage = Stage::Layout(self.layout(&values, &near)?);
                }
            }
            Stage::Layout(l) if l.epoch < self.epochs => l.epoch(self.epochs),
            Stage::Layout(_) => {}
        }
        Ok(())
    }

    fn layout(&self, values: &[f32], near: &[Vec<Neighbor<f32>>]) -> Result<Layout, Error> {
        let (opts, epochs, n) = (&self.opts, self.epochs, near.len());
        let dim = values.len() / n;
        let mut graph = fuzzy_graph(near, opts.neighbours);
        // edges too weak to be sampled once in the whole run are dropped
        let max_w = graph.iter().map(|e| e.2).fold(0.0f32, f32::max);
        graph.retain(|e| e.2 >= max_w / epochs as f32);
        let (a, b) = fit_ab(opts.min_dist);

        // the start: PCA scaled so the widest coordinate is 10, plus noise of σ 1e-4
        let mut rng = Rng::new(opts.seed);
        let mut y = pca_map(values, dim, opts.seed)?;
        let widest = y.iter().fold(0.0f32, |m, v| m.max(v.abs()));
        let scale = if widest > 0.0 { 10.0 / widest } else { 0.0 };
        for v in y.iter_mut() {
            *v = *v * scale + (rng.normal() * 1e-4) as f32;
        }
        if scale == 0.0 {
            // every point the same: a seeded scatter
            y.iter_mut()
                .for_each(|v| *v = rng.uniform(-10.0, 10.0) as f32);
        }
        let per_sample: Vec<f64> = graph.iter().map(|e| (max_w / e.2) as f64).collect();
        let per_negative: Vec<f64> = per_sample.iter().map(|p| p / NEGATIVE_RATE).collect();
        Ok(Layout {
            graph,
            a: a as f32,
            b: b as f32,
            y,
            rng,
            next_sample: per_sample.clone(),
            next_negative: per_negative.clone(),
            per_sample,
            per_negative,
            epoch: 0,
        })
    }

    pub fn done(&self) -> bool {
        matches!(&self.stage, Stage::Layout(l) if l.epoch >= self.epochs)
    }

    /// Epochs run so far, and of how many.
    pub fn epoch(&self) -> usize {
        match &self.stage {
            Stage::Searching(_) => 0,
            Stage::Layout(l) => l.epoch,
        }
    }

    pub fn epochs(&self) -> usize {
        self.epochs
    }

    /// Points whose neighbours are found, and of how many.
    pub fn searched(&self) -> (usize, usize) {
        match &self.stage {
            Stage::Searching(search) => search.rows(),
            Stage::Layout(l) => (l.y.len() / 2, l.y.len() / 2),
        }
    }

    /// The map as it stands (n × 2), once the layout has begun.
    pub fn coords(&self) -> Option<&[f32]> {
        match &self.stage {
            Stage::Searching(_) => None,
            Stage::Layout(l) => Some(&l.y),
        }
    }
}

impl Layout {
    /// One pass over the edges due this epoch: attraction along each, repulsion from points
    /// drawn at random, the step shrinking linearly to zero over `epochs`.
    fn epoch(&mut self, epochs: usize) {
        let (a, b, n) = (self.a, self.b, self.y.len() / 2);
        let clip = |g: f32| g.clamp(-CLIP, CLIP);
        let alpha = 1.0 - self.epoch as f32 / epochs as f32;
        let now = self.epoch as f64;
        let y = &mut self.y;
        for (e, &(i, j, _)) in self.graph.iter().enumerate() {
            if self.next_sample[e] > now {
                continue;
            }
            let (i, j) = (i as usize, j as usize);
            // attraction along the edge, both ends move
            let (dx, dy) = (y[2 * i] - y[2 * j], y[2 * i + 1] - y[2 * j + 1]);
            let d2 = dx * dx + dy * dy;
            if d2 > 0.0 {
                let p = d2.powf(b);
                let g = -2.0 * a * b * p / d2 / (a * p + 1.0);
                let (gx, gy) = (clip(g * dx) * alpha, clip(g * dy) * alpha);
                y[2 * i] += gx;
                y[2 * i + 1] += gy;
                y[2 * j] -= gx;
                y[2 * j + 1] -= gy;
            }
            self.next_sample[e] += self.per_sample[e];
            // repulsion from points drawn at random
            let negatives = ((now - self.next_negative[e]) / self.per_negative[e]) as usize;
            for _ in 0..negatives {
                let k = self.rng.below(n);
                if k == i {
                    continue;
                }
                let (dx, dy) = (y[2 * i] - y[2 * k], y[2 * i + 1] - y[2 * k + 1]);
                let d2 = dx * dx + dy * dy;
                if d2 > 0.0 {
                    let g = 2.0 * b / ((0.001 + d2) * (a * d2.powf(b) + 1.0));
                    y[2 * i] += clip(g * dx) * alpha;
                    y[2 * i + 1] += clip(g * dy) * alpha;
                } else {
                    // two points on one spot: pushed apart by the clip's full step
                    y[2 * i] += CLIP * alpha;
                    y[2 * i + 1] += CLIP * alpha;
                }
            }
            self.next_negative[e] += negatives as f64 * self.per_negative[e];
        }
        self.epoch += 1;
    }
}

/// A UMAP map of the rows of `values` (`dim` values each): n × 2 coordinates. `each` sees
/// every epoch's coordinates and may stop the run (then `Ok(None)`).
pub fn umap(
    values: &[f32],
    dim: usize,
    opts: &UmapOptions,
    each: impl FnMut(usize, &[f32]) -> Flow,
) -> Result<Option<Vec<f32>>, Error> {
    super::run_to_end(MapRun::Umap(Umap::new(values, dim, opts)?), each)
}

#[cfg(test)]
mod tests {
    use super::super::tests::{blobs, check_blob_map};
    use super::*;

    /// umap-learn 0.5.12's `find_ab_params(1.0, min_dist)` (SciPy's curve_fit).
    #[test]
    fn the_curve_fits_umap_learns() {
        for (md, a, b) in [
            (0.0, 1.93280839734315, 0.7904949732233831),
            (0.1, 1.5769434602697652, 0.8950608778515733),
            (0.25, 1.1214363422305684, 1.057499876683671),
            (0.5, 0.5830300203414425, 1.3341669924314914),
            (0.99, 0.11930529992407873, 1.9163904168802517),
        ] {
            let (fa, fb) = fit_ab(md);
            assert!(
                (fa - a).abs() < 1e-4 && (fb - b).abs() < 1e-4,
                "{md}: ({fa}, {fb}) vs ({a}, {b})"
            );
        }
    }

    #[test]
    fn the_graph_is_symmetric_and_joins_near_points_most() {
        let (v, labels) = blobs(30);
        let g = fuzzy_graph(&super::super::knn(&v, 10, 7), 8);
        for &(i, j, w) in &g {
            assert!(w > 0.0 && w <= 1.0, "{w}");
            assert_ne!(i, j);
            let back = g.iter().find(|e| e.0 == j && e.1 == i).expect("both ways");
            assert_eq!(back.2, w);
        }
        // every point's nearest neighbour is joined with weight 1; the edges stay in the blob
        for i in 0..labels.len() as u32 {
            assert!(g.iter().any(|e| e.0 == i && e.2 > 0.999_99), "point {i}");
        }
        let across: f32 = g
            .iter()
            .filter(|e| labels[e.0 as usize] != labels[e.1 as usize])
            .map(|e| e.2)
            .sum();
        assert_eq!(across, 0.0);
    }

    #[test]
    fn umap_separates_blobs_repeatably_and_keeps_neighbourhoods() {
        let (v, labels) = blobs(60);
        let opts = UmapOptions {
            neighbours: 10,
            epochs: 200,
            seed: 3,
            ..UmapOptions::default()
        };
        let mut seen = 0;
        let y = umap(&v, 10, &opts, |_, _| {
            seen += 1;
            Flow::Go
        })
        .unwrap()
        .unwrap();
        assert_eq!(seen, 200);
        check_blob_map(&v, &labels, &y, "UMAP");
        // the layout is one thread and seeded: the same map again, another with another seed
        let again = umap(&v, 10, &opts, |_, _| Flow::Go).unwrap().unwrap();
        assert_eq!(y, again);
        let other = UmapOptions { seed: 4, ..opts };
        assert_ne!(y, umap(&v, 10, &other, |_, _| Flow::Go).unwrap().unwrap());
    }

    #[test]
    fn umap_stops_when_asked_and_bad_settings_are_errors() {
        let (v, _) = blobs(20);
        let opts = UmapOptions::default();
        assert_eq!(opts.epochs_for(60), 500);
        assert_eq!(opts.epochs_for(10_001), 200);
        let mut last = 0;
        let out = umap(&v, 10, &opts, |i, _| {
            last = i;
            if i == 20 { Flow::Stop } else { Flow::Go }
        })
        .unwrap();
        assert!(out.is_none());
        assert_eq!(last, 20);
        let e = umap(&v[..100], 10, &opts, |_, _| Flow::Go).unwrap_err();
        assert!(e.to_string().contains("needs at least 16 points"), "{e}");
        for bad in [
            UmapOptions {
                neighbours: 1,
                ..opts
            },
            UmapOptions {
                min_dist: 1.5,
                ..opts
            },
            UmapOptions {
                min_dist: f64::NAN,
                ..opts
            },
            UmapOptions {
                epochs: 20_000,
                ..opts
            },
        ] {
            assert!(umap(&v, 10, &bad, |_, _| Flow::Go).is_err(), "{bad:?}");
        }
    }
}
