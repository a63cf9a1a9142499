//! t-SNE: the `bhtsne` crate's FIt-SNE (its perplexity calibration and the interpolated
//! repulsive forces: O(n) per iteration, which is what makes 70,000 points fit in minutes), run
//! a step at a time ([`Tsne`]) through the step-wise fit our copy of the crate adds
//! (`vendor/bhtsne/README.md`). What is ours: the start (the data's first two principal
//! components scaled to a standard deviation of 1e-4, as openTSNE does — deterministic, and
//! better at keeping the global layout than a random start, Kobak & Linderman 2021), the
//! reduction of wide inputs (pixels) to 50 principal components first, the exact neighbour
//! lists (the crate's vantage-point tree draws from an unseeded generator), searched in
//! steps too, and the checks that turn the crate's panics into errors.

use std::panic::{AssertUnwindSafe, catch_unwind};

use bhtsne::{FitSneSteps, tSNE};

use super::{Flow, MapRun, NeighbourSearch, narrowed, pca_map, rows};
use crate::{Error, rng::Rng};

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

/// A t-SNE map being made: first each point's neighbours, a few blocks of points a step,
/// then one gradient-descent iteration a step. [`tsne`] runs one to its end.
pub struct Tsne {
    opts: TsneOptions,
    stage: Stage,
}

// one per map: the size of its variants does not matter
#[allow(clippy::large_enum_variant)]
enum Stage {
    Searching {
        search: NeighbourSearch,
        start: Vec<f32>,
    },
    Fitting {
        fit: Box<tSNE<'static, f32, ()>>,
        steps: FitSneSteps<f32, 2>,
    },
}

impl Tsne {
    /// Checks the settings and prepares the run: the reduction to 50 principal components
    /// and the start (one piece of work, ~1 s for 70,000 images' pixels here).
    pub fn new(values: &[f32], dim: usize, opts: &TsneOptions) -> Result<Self, Error> {
        let n = rows(values, dim)?;
        check_tsne(n, opts)?;
        let (values, dim) = narrowed(values, dim, opts.seed)?;
        let start = pca_map(&values, dim, opts.seed)?;
        let sd = {
            let xs: Vec<f64> = start.iter().step_by(2).map(|&x| x as f64).collect();
            let mean = xs.iter().sum::<f64>() / n as f64;
            (xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n as f64).sqrt()
        };
        let scale = if sd > 0.0 { 1e-4 / sd } else { 0.0 };
        let mut start: Vec<f32> = start.iter().map(|&v| (v as f64 * scale) as f32).collect();
        if scale == 0.0 {
            // every point the same: a seeded scatter
            let mut rng = Rng::new(opts.seed);
            start
                .iter_mut()
                .for_each(|v| *v = (rng.normal() * 1e-4) as f32);
        }
        let k = ((3.0 * opts.perplexity) as usize).min(n - 1);
        Ok(Tsne {
            opts: *opts,
            stage: Stage::Searching {
                search: NeighbourSearch::new(values.into_owned(), dim, k),
                start,
            },
        })
    }

    /// The next piece of work: a few blocks of the neighbour search (the last one also
    /// calibrates the perplexity), or one iteration. Nothing once [`done`](Self::done).
    pub fn step(&mut self) -> Result<(), Error> {
        match &mut self.stage {
            Stage::Searching { search, start } => {
                if search.step() {
                    return Ok(());
                }
                let start = std::mem::take(start);
                let search = std::mem::replace(search, NeighbourSearch::new(Vec::new(), 1, 0));
                let (values, neighbours) = search.into_parts();
                let n = neighbours.len();
                drop(values);
                let opts = self.opts;
                let begun = guard(|| {
                    // the fit reads its data only for the number of points, and the
                    // neighbours are given: a slice of n units stands for them (a slice of a
                    // zero-sized type allocates nothing, so leaking it costs nothing)
                    let points: &'static [()] = Vec::leak(vec![(); n]);
                    let mut fit = Box::new(tSNE::<f32, ()>::new(points));
                    // openTSNE's learning rate, n / early exaggeration (the crate's default is
                    // a quarter of it): on 10,000 MNIST codes trustworthiness 0.957 → 0.972
                    // (scikit-learn's measure), level with scikit-learn's own t-SNE
                    fit.perplexity(opts.perplexity as f32)
                        .learning_rate((n as f32 / 12.0).max(50.0))
                        .epochs(opts.iterations)
                        .initial_embedding(start);
                    let steps = fit.begin_fit_sne_with_neighbors(&neighbours);
                    (fit, steps)
                })?;
                self.stage = Stage::Fitting {
                    fit: begun.0,
                    steps: begun.1,
                };
                Ok(())
            }
            Stage::Fitting { fit, steps } => {
                guard(|| fit.fit_sne_step(steps))?;
                Ok(())
            }
        }
    }

    pub fn done(&self) -> bool {
        matches!(&self.stage, Stage::Fitting { steps, .. } if steps.epoch() >= self.opts.iterations)
    }

    /// Iterations the run makes.
    pub fn iterations(&self) -> usize {
        self.opts.iterations
    }

    /// Iterations run so far.
    pub fn iteration(&self) -> usize {
        match &self.stage {
            Stage::Searching { .. } => 0,
            Stage::Fitting { steps, .. } => steps.epoch(),
        }
    }

    /// Points whose neighbours are found, and of how many.
    pub fn searched(&self) -> (usize, usize) {
        match &self.stage {
            Stage::Searching { search, .. } => search.rows(),
            Stage::Fitting { fit, .. } => {
                let n = fit.current_embedding().len() / 2;
                (n, n)
            }
        }
    }

    /// The map as it stands (n × 2), once the iterations have begun.
    pub fn coords(&self) -> Option<&[f32]> {
        match &self.stage {
            Stage::Searching { .. } => None,
            Stage::Fitting { fit, .. } => Some(fit.current_embedding()),
        }
    }
}

/// The crate's panics (its asserts) as errors: the checks above should leave none.
fn guard<T>(work: impl FnOnce() -> T) -> Result<T, Error> {
    catch_unwind(AssertUnwindSafe(work)).map_err(|e| {
        let why = e
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_else(|| "unknown reason".into());
        Error::invalid(format!("t-SNE failed: {why}"))
    })
}

/// A t-SNE map of the rows of `values` (`dim` values each): n × 2 coordinates. `each` sees
/// every iteration's coordinates and may stop the run (then `Ok(None)`).
pub fn tsne(
    values: &[f32],
    dim: usize,
    opts: &TsneOptions,
    each: impl FnMut(usize, &[f32]) -> Flow,
) -> Result<Option<Vec<f32>>, Error> {
    super::run_to_end(MapRun::Tsne(Tsne::new(values, dim, opts)?), each)
}

#[cfg(test)]
mod tests {
    use super::super::tests::{blobs, check_blob_map};
    use super::super::{knn, trustworthiness};
    use super::*;

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

    /// The step-wise fit of our copy of bhtsne against the crate's own whole fit, on one
    /// thread (where the sums have one order): the same map to the bit.
    #[test]
    fn a_fit_in_steps_is_the_crates_whole_fit() {
        let (v, _) = blobs(40);
        let opts = TsneOptions {
            perplexity: 8.0,
            iterations: 300,
            seed: 2,
        };
        let one = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .unwrap();
        let (stepped, whole) = one.install(|| {
            let stepped = tsne(&v, 10, &opts, |_, _| Flow::Go).unwrap().unwrap();
            // the crate's whole fit from the same start and neighbours
            let n = v.len() / 10;
            let start = {
                let run = Tsne::new(&v, 10, &opts).unwrap();
                match run.stage {
                    Stage::Searching { start, .. } => start,
                    Stage::Fitting { .. } => unreachable!(),
                }
            };
            let neighbours = knn(&v, 10, 24);
            let samples: Vec<&[f32]> = v.chunks_exact(10).collect();
            let mut fit: tSNE<f32, &[f32]> = tSNE::new(&samples);
            fit.perplexity(8.0)
                .learning_rate((n as f32 / 12.0).max(50.0))
                .epochs(300)
                .initial_embedding(start)
                .fit_sne_with_neighbors(&neighbours);
            (stepped, fit.embedding())
        });
        assert_eq!(stepped, whole);
    }

    #[test]
    fn a_run_reports_its_search_then_its_iterations() {
        let (v, _) = blobs(400);
        let opts = TsneOptions {
            perplexity: 10.0,
            iterations: 5,
            seed: 1,
        };
        let mut run = Tsne::new(&v, 10, &opts).unwrap();
        assert_eq!(run.searched(), (0, 1_200));
        assert!(run.coords().is_none() && !run.done());
        let mut seen = Vec::new();
        while !run.done() {
            run.step().unwrap();
            seen.push((run.searched().0, run.iteration()));
        }
        // 1,200 points are 5 blocks of 256: one step searches 4, the next the last and
        // calibrates, then one iteration a step
        assert_eq!(
            seen,
            vec![
                (1_024, 0),
                (1_200, 0),
                (1_200, 1),
                (1_200, 2),
                (1_200, 3),
                (1_200, 4),
                (1_200, 5)
            ]
        );
        assert_eq!(run.coords().unwrap().len(), 2_400);
        // a finished run does nothing more
        run.step().unwrap();
        assert_eq!(run.iteration(), 5);
    }
}
