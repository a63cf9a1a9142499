//! `hourglass project`: a 2-D map of many points — a model's codes, or the data themselves —
//! by PCA, t-SNE or UMAP, written as CSV (x, y, label), with the map's trustworthiness.

use std::{path::PathBuf, time::Instant};

use anyhow::{Result, bail};
use clap::Args;
use hourglass_core::{
    data::{Dataset, write_csv_named},
    project::{self, Flow, Method, TsneOptions, UmapOptions},
};

use super::load_model;
use crate::{
    DataArgs,
    datasets::{self, Split},
    output::{check_output, write_atomic},
};

/// Which images of a known dataset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Part {
    Train,
    Test,
    /// The training and the test split, in that order (70,000 MNIST images)
    All,
}

#[derive(Args, Debug)]
pub struct ProjectArgs {
    /// A checkpoint written by `hourglass train` or a shipped model by name: map its codes
    /// (without it, the data's own values are mapped)
    #[arg(long, value_name = "FILE")]
    pub model: Option<PathBuf>,
    #[command(flatten)]
    pub data: DataArgs,
    /// Which part of a known dataset
    #[arg(long, value_enum, default_value = "test", ignore_case = true)]
    pub split: Part,
    /// pca, tsne or umap
    #[arg(long, default_value = "tsne")]
    pub method: String,
    /// t-SNE's perplexity (about how many neighbours each point keeps close)
    #[arg(long, default_value_t = 30.0)]
    pub perplexity: f64,
    /// t-SNE's iterations (the first 250 exaggerate the attraction)
    #[arg(long, default_value_t = 750)]
    pub iterations: usize,
    /// UMAP's neighbourhood size, the point itself counted (umap-learn's n_neighbors)
    #[arg(long, default_value_t = 15)]
    pub neighbours: usize,
    /// UMAP's minimum distance between points in the map (0 to 1)
    #[arg(long, default_value_t = 0.1)]
    pub min_dist: f64,
    /// UMAP's epochs (0: 500 up to 10,000 points, 200 beyond)
    #[arg(long, default_value_t = 0)]
    pub epochs: usize,
    /// Seed (the PCA sample of more than 10,000 points; UMAP's negative samples)
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Neighbours the trustworthiness counts (0: not measured)
    #[arg(long, default_value_t = 10)]
    pub trust_k: usize,
    /// coords.csv: columns x, y (and label)
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
}

/// A step callback that says how far a run is, every 5 seconds.
fn progress(unit: &'static str, total: usize, start: Instant) -> impl FnMut(usize) -> Flow {
    let mut last = Instant::now();
    move |i| {
        if last.elapsed().as_secs_f64() > 5.0 {
            eprintln!(
                "  {unit} {}/{total} ({:.0} s)",
                i + 1,
                start.elapsed().as_secs_f64()
            );
            last = Instant::now();
        }
        Flow::Go
    }
}

fn load_part(
    args: &DataArgs,
    part: Part,
    fit: &dyn Fn(&DataArgs, Split) -> Result<Dataset>,
) -> Result<Dataset> {
    match part {
        Part::Train => fit(args, Split::Train),
        Part::Test => fit(args, Split::Test),
        Part::All => {
            let a = fit(args, Split::Train)?;
            let b = fit(args, Split::Test)?;
            if a.name == b.name && a.len() == b.len() && a.values == b.values {
                // not a known dataset: a file has one part only
                return Ok(a);
            }
            let mut values = a.values;
            values.extend_from_slice(&b.values);
            let labels = match (a.labels, b.labels) {
                (Some(mut x), Some(y)) => {
                    x.extend(y);
                    Some(x)
                }
                _ => None,
            };
            let joined = Dataset::new(
                format!("{} (train + test)", b.name),
                a.features,
                values,
                labels,
            )?;
            Ok(match b.classes {
                Some(names) => joined.with_classes(names),
                None => joined,
            })
        }
    }
}

pub fn run(args: ProjectArgs) -> Result<()> {
    let method = Method::from_name(&args.method.to_ascii_lowercase())?;
    let mut inputs = vec![PathBuf::from(&args.data.dataset)];
    inputs.extend(args.model.clone());
    let refs: Vec<&std::path::Path> = inputs.iter().map(|p| p.as_path()).collect();
    check_output(&args.out, &refs, &["csv"])?;
    let (values, dim, labels, classes, what) = match &args.model {
        Some(path) => {
            let (ck, model) = load_model(path)?;
            let data = load_part(&args.data, args.split, &|a, s| {
                datasets::load_for_model(a, s, &ck.config.dataset)
            })?;
            let codes = model.encode_host(&data.values, 512);
            let latent = model.arch.latent_size();
            let what = format!("{} codes of {latent} values", data.len());
            (codes, latent, data.labels, data.classes, what)
        }
        None => {
            let data = load_part(&args.data, args.split, &|a, s| {
                Ok(datasets::load(a, s, None)?.0)
            })?;
            let what = format!("{} samples of {} values", data.len(), data.features);
            (data.values, data.features, data.labels, data.classes, what)
        }
    };
    let n = values.len() / dim;
    let start = Instant::now();
    let xy = match method {
        Method::Pca => project::pca_map(&values, dim, args.seed)?,
        Method::Tsne => {
            let opts = TsneOptions {
                perplexity: args.perplexity,
                iterations: args.iterations,
                seed: args.seed,
            };
            project::check_tsne(n, &opts)?;
            eprintln!("t-SNE of {what}: {} iterations", args.iterations);
            let mut tick = progress("iteration", args.iterations, start);
            project::tsne(&values, dim, &opts, |i, _| tick(i))?
                .ok_or_else(|| anyhow::anyhow!("t-SNE stopped"))?
        }
        Method::Umap => {
            let opts = UmapOptions {
                neighbours: args.neighbours,
                min_dist: args.min_dist,
                epochs: args.epochs,
                seed: args.seed,
            };
            project::check_umap(n, &opts)?;
            let epochs = opts.epochs_for(n);
            eprintln!(
                "UMAP of {what}: {} neighbours, min_dist {}, {epochs} epochs",
                args.neighbours, args.min_dist
            );
            let mut tick = progress("epoch", epochs, start);
            project::umap(&values, dim, &opts, |i, _| tick(i))?
                .ok_or_else(|| anyhow::anyhow!("UMAP stopped"))?
        }
    };
    let seconds = start.elapsed().as_secs_f64();
    let cols = vec!["x".to_string(), "y".to_string()];
    write_atomic(
        &args.out,
        &write_csv_named(&cols, n, &xy, labels.as_deref(), classes.as_deref()),
    )?;
    eprintln!(
        "wrote the {} map of {what} to {} ({seconds:.1} s for the map)",
        method.name(),
        args.out.display()
    );
    if args.trust_k > 0 {
        if 2 * n < 3 * args.trust_k + 2 {
            bail!("--trust-k {} needs more points than {n}", args.trust_k);
        }
        // on many points this can take longer than the map itself: say what it cost
        let began = Instant::now();
        let t = project::trustworthiness(&values, dim, &xy, args.trust_k, 2_000, args.seed)?;
        let cost = began.elapsed().as_secs_f64();
        let how = if n > 2_000 {
            "estimated from 2,000 points, "
        } else {
            ""
        };
        println!(
            "trustworthiness (k = {}): {t:.4} ({how}{cost:.1} s; --trust-k 0 skips it)",
            args.trust_k
        );
    }
    Ok(())
}
