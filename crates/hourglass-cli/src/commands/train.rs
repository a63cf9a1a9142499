//! `hourglass train`.

use std::{
    collections::BTreeMap,
    io::IsTerminal,
    path::PathBuf,
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::Instant,
};

use anyhow::{Context, Result, bail};
use clap::{Args, ValueEnum};
use hourglass_core::{
    architecture::{Architecture, Code, parse_convs, parse_layers},
    checkpoint::{Checkpoint, DatasetInfo, EpochLoss, ModelConfig, TrainingInfo},
    glass::Activation,
    tensor::{
        Autoencoder, LossKind, Optimizer, Progress, TrainOptions, initial_tensors, train,
        training_device,
    },
    variant::{Variant, VariantOptions},
};
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::json;

use crate::{
    DataArgs,
    output::{check_output, write_atomic},
};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OptimizerName {
    Adam,
    Sgd,
}

#[derive(Args, Debug)]
pub struct TrainArgs {
    #[command(flatten)]
    pub data: DataArgs,
    /// Dense layer sizes from input to bottleneck, mirrored for the decoder
    #[arg(long, value_name = "SIZES", conflicts_with = "conv")]
    pub layers: Option<String>,
    /// Conv layers filters:kernel:stride:padding, comma-separated (needs --latent)
    #[arg(long, value_name = "SPEC", requires = "latent")]
    pub conv: Option<String>,
    /// Bottleneck size of a conv model (a dense model's is the last of --layers)
    #[arg(long, value_name = "N")]
    pub latent: Option<usize>,
    /// Hidden activation: relu, leaky-relu, tanh, sigmoid, linear
    #[arg(long, default_value = "relu")]
    pub activation: String,
    /// Output activation: sigmoid or linear
    #[arg(long, default_value = "sigmoid", value_name = "ACTIVATION")]
    pub output_activation: String,
    /// Reconstruction loss: mse or bce
    #[arg(long, default_value = "mse")]
    pub loss: String,
    /// Optimizer: adam, or sgd (with --momentum)
    #[arg(long, value_enum, default_value = "adam", ignore_case = true)]
    pub optimizer: OptimizerName,
    /// Learning rate
    #[arg(long, default_value_t = 0.001, allow_negative_numbers = true)]
    pub lr: f64,
    /// Momentum, with --optimizer sgd only [default: 0.9]
    #[arg(long, allow_negative_numbers = true)]
    pub momentum: Option<f64>,
    /// Mini-batch size
    #[arg(long, default_value_t = 256)]
    pub batch: usize,
    /// Passes over the training data
    #[arg(long, default_value_t = 20)]
    pub epochs: usize,
    /// Seed for initial weights, shuffling and the validation split
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Fraction of the training data held out for validation
    #[arg(long, default_value_t = 0.1, allow_negative_numbers = true)]
    pub val_split: f64,
    /// The kind of autoencoder: plain, denoising, vae, sparse or contractive
    #[arg(long, default_value = "plain", value_name = "KIND")]
    pub variant: String,
    /// Denoising: the corruption, gaussian:SIGMA, mask:FRACTION or salt-pepper:FRACTION [default: gaussian:0.5]
    #[arg(long, value_name = "KIND:LEVEL")]
    pub noise: Option<String>,
    /// VAE: the weight β of the KL term (β-VAE) [default: 1]
    #[arg(long, allow_negative_numbers = true)]
    pub beta: Option<f64>,
    /// Sparse: l1:WEIGHT (on the code's activity), kl:RHO:BETA, or topk:K (keep each image's K
    /// largest code units, zero the rest; a one-layer dictionary such as --layers 784,1024
    /// keeps its decoder directions at unit length) [default: l1:1e-4]
    #[arg(long, value_name = "PENALTY")]
    pub sparsity: Option<String>,
    /// Contractive: the weight λ of ‖J‖²_F, the encoder's squared Jacobian norm [default: 1e-4]
    #[arg(long, value_name = "LAMBDA", allow_negative_numbers = true)]
    pub contraction: Option<f64>,
    /// The code layer: linear, relu or sigmoid [default: the variant's: relu for l1 sparsity, sigmoid for kl, topk:K for topk, a VAE's is gaussian]
    #[arg(long, value_name = "CODE")]
    pub code: Option<String>,
    /// Leave these classes out of training, e.g. 7, or a name (cat) when the data name their
    /// classes (a model of the others, for `hourglass anomaly`)
    #[arg(long, value_name = "LABELS")]
    pub held_out: Option<String>,
    /// Where to save the trained model (.safetensors)
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// Print one JSON object per epoch and a final summary on stdout, nothing else
    #[arg(long)]
    pub json: bool,
    /// Image folders and .npy files: read the data from disk a batch at a time as training
    /// goes (a folder's images decoded ahead on a worker thread, a few batches held; an .npy
    /// file's samples read from their place in it), for data larger than memory
    #[arg(long)]
    pub stream: bool,
}

/// The variant from `--variant` and its options; an option of another variant is refused.
pub fn variant(args: &TrainArgs) -> Result<Variant> {
    let name = args.variant.trim().to_ascii_lowercase();
    let mut opts = VariantOptions::default();
    let given: [(&str, bool, &str); 4] = [
        ("--noise", args.noise.is_some(), "denoising"),
        ("--beta", args.beta.is_some(), "vae"),
        ("--sparsity", args.sparsity.is_some(), "sparse"),
        ("--contraction", args.contraction.is_some(), "contractive"),
    ];
    if let Some((flag, _, owner)) = given.iter().find(|(_, set, owner)| {
        *set && *owner != name && !(name == "variational" && *owner == "vae")
    }) {
        bail!("{flag} applies to --variant {owner} only");
    }
    if let Some(n) = &args.noise {
        opts.noise = n.parse().with_context(|| format!("--noise {n}"))?;
    }
    if let Some(b) = args.beta {
        opts.beta = b;
    }
    if let Some(sp) = &args.sparsity {
        opts.sparsity = sp.parse().with_context(|| format!("--sparsity {sp}"))?;
    }
    if let Some(c) = args.contraction {
        opts.contraction = c;
    }
    Ok(Variant::from_name(&name, &opts)?)
}

fn architecture(
    args: &TrainArgs,
    features: usize,
    image_dims: Option<[usize; 3]>,
    variant: Variant,
) -> Result<Architecture> {
    let code: Code = match &args.code {
        Some(c) => c.parse()?,
        None => variant.default_code(),
    };
    variant.check_code(code).context("--code")?;
    let activation: Activation = args.activation.parse()?;
    let output: Activation = args.output_activation.parse()?;
    if !matches!(output, Activation::Sigmoid | Activation::Linear) {
        bail!("--output-activation must be sigmoid or linear, not {output}");
    }
    let arch = match (&args.layers, &args.conv) {
        (Some(layers), None) => {
            let layers = parse_layers(layers)?;
            if let Some(&first) = layers.first()
                && first != features
            {
                bail!(
                    "--layers starts with {first}, but {} has {features} values per sample",
                    args.data.dataset
                );
            }
            Architecture::Dense {
                layers,
                activation,
                output,
                activations: vec![],
                code,
            }
        }
        (None, Some(conv)) => {
            let input = image_dims.ok_or_else(|| {
                anyhow::anyhow!(
                    "--conv needs image data; {} is not images",
                    args.data.dataset
                )
            })?;
            Architecture::Conv {
                input,
                convs: parse_convs(conv)?,
                latent: args.latent.expect("clap requires it"),
                activation,
                output,
                code,
            }
        }
        _ => bail!(
            "give the model's shape with --layers (dense) or --conv with --latent (convolutional)"
        ),
    };
    arch.validate()?;
    Ok(arch)
}

pub fn run(args: TrainArgs) -> Result<()> {
    let loss: LossKind = args.loss.parse()?;
    let variant = variant(&args)?;
    if !args.lr.is_finite() || args.lr <= 0.0 {
        bail!("--lr {} must be a positive number", args.lr);
    }
    if args.epochs == 0 {
        bail!("--epochs must be at least 1");
    }
    if args.batch == 0 {
        bail!("--batch must be at least 1");
    }
    // a flag that would be ignored is refused, so nobody believes it was used
    let momentum = args.momentum.unwrap_or(0.9);
    let optimizer = match args.optimizer {
        OptimizerName::Adam => {
            if args.momentum.is_some() {
                bail!("--momentum applies to --optimizer sgd only (Adam keeps its own moments)");
            }
            Optimizer::adam(args.lr)
        }
        OptimizerName::Sgd => {
            if !momentum.is_finite() || !(0.0..1.0).contains(&momentum) {
                bail!("--momentum {momentum} is outside [0, 1)");
            }
            Optimizer::Sgd {
                lr: args.lr,
                momentum,
            }
        }
    };
    if args.latent.is_some() && args.conv.is_none() {
        bail!(
            "--latent sets a conv model's bottleneck (with --conv); a dense model's is the last of --layers"
        );
    }
    if let Some(conv) = &args.conv {
        // the one grammar of conv layers (the Studio reads them with it too)
        parse_convs(conv).map_err(|e| anyhow::anyhow!("--conv {conv}: {e}"))?;
    }
    if !args.val_split.is_finite() || !(0.0..1.0).contains(&args.val_split) {
        bail!("--val-split {} is outside [0, 1)", args.val_split);
    }
    // before any work: a run must never be lost to a bad output path
    check_output(
        &args.out,
        &[std::path::Path::new(&args.data.dataset)],
        &["safetensors"],
    )?;
    let data = super::train_data::prepare(&args)?;
    let arch = architecture(&args, data.features, data.image_dims(), variant)?;
    let (train_set, val_set) = (data.train(), data.val());
    // a batch larger than the data is the data
    let batch = args.batch.min(train_set.len().max(1));
    if batch < args.batch && !args.json {
        eprintln!(
            "note: --batch {} is more than the {} training samples; using {batch}",
            args.batch,
            train_set.len()
        );
    }
    // the run's one configuration: it trains with it, and the checkpoint records it
    let training = TrainingInfo::of(
        &TrainOptions {
            variant,
            loss,
            optimizer,
            batch_size: batch,
            epochs: args.epochs,
            seed: args.seed,
        },
        momentum,
        args.val_split,
    );
    let opts = training.options()?;
    let model = Autoencoder::from_tensors(
        &arch,
        &initial_tensors(&arch, args.seed)?,
        &training_device(),
    )?;

    let stop = Arc::new(AtomicBool::new(false));
    {
        let stop = stop.clone();
        ctrlc::set_handler(move || stop.store(true, Ordering::Relaxed))
            .context("cannot install the Ctrl-C handler")?;
    }
    let bar = if args.json {
        ProgressBar::hidden()
    } else {
        eprintln!(
            "training {}{} ({} parameters) on {}: {} train / {} validation samples",
            arch.describe(),
            if variant.is_plain() {
                String::new()
            } else {
                format!(", {}", variant.describe())
            },
            arch.param_count()?,
            data.name,
            train_set.len(),
            val_set.len()
        );
        let bar = ProgressBar::new((args.epochs * train_set.len().div_ceil(batch)) as u64);
        bar.set_style(
            ProgressStyle::with_template("{bar:30} epoch {msg} [{elapsed_precise}, ETA {eta}]")
                .expect("valid template"),
        );
        bar
    };
    let started = Instant::now();
    let json = args.json;
    let epochs = args.epochs;
    let mut last_val: Option<f64> = None;
    let mut on_progress = |p: &Progress| match p {
        Progress::Step { epoch, loss, .. } => {
            bar.inc(1);
            let val = last_val.map_or("-".to_string(), |v| format!("{v:.5}"));
            bar.set_message(format!("{epoch}/{epochs}  loss {loss:.5}  val {val}"));
        }
        Progress::Epoch(r) => {
            last_val = r.val_loss;
            if json {
                let mut line = json!({"epoch": r.epoch, "train_loss": r.train_loss, "val_loss": r.val_loss, "seconds": r.seconds});
                if r.partial {
                    // stopped part-way (Ctrl-C): not a whole epoch
                    line["partial"] = json!(true);
                }
                if !r.terms.is_empty() {
                    line["terms"] = r.terms.iter().map(|(k, v)| (k.clone(), json!(v))).collect();
                }
                println!("{line}");
            } else {
                let terms: String = r
                    .terms
                    .iter()
                    .map(|(k, v)| format!(" ({k} {v:.5})"))
                    .collect();
                let line = format!(
                    "epoch {:>3}  train {:.6}{terms}  val {}  {:.1}s{}",
                    r.epoch,
                    r.train_loss,
                    r.val_loss.map_or("-".into(), |v| format!("{v:.6}")),
                    r.seconds,
                    if r.partial {
                        "  (stopped part-way)"
                    } else {
                        ""
                    }
                );
                // a log (stderr not a terminal) gets one plain line per epoch
                if std::io::stderr().is_terminal() {
                    bar.println(line);
                } else {
                    eprintln!("{line}");
                }
            }
        }
    };
    let (model, reports) = train(
        model,
        train_set,
        Some(val_set).filter(|v| !v.is_empty()),
        &opts,
        &stop,
        &mut on_progress,
    )?;
    bar.finish_and_clear();
    let seconds = started.elapsed().as_secs_f64();
    let stopped = stop.load(Ordering::Relaxed);
    let last = reports.last();
    let epochs_trained = reports.iter().filter(|r| !r.partial).count();
    let ck = Checkpoint {
        config: ModelConfig::trained(
            arch.clone(),
            DatasetInfo {
                name: data.name.clone(),
                features: data.features,
                image_shape: data.image_shape,
                channels: data.channels,
                scaling: data.scaling,
                train_samples: train_set.len(),
                val_samples: val_set.len(),
                classes: data.classes.clone(),
            },
            training,
            epochs_trained,
            reports.iter().map(EpochLoss::from).collect(),
            BTreeMap::new(),
        ),
        tensors: model.to_tensors(),
    };
    write_atomic(&args.out, &ck.to_bytes()?)?;
    if json {
        println!(
            "{}",
            json!({
                "summary": true,
                "epochs": epochs_trained,
                "stopped_early": stopped,
                "train_loss": last.map(|r| r.train_loss),
                "val_loss": last.and_then(|r| r.val_loss),
                "seconds": seconds,
                "params": arch.param_count()?,
                "model": args.out.display().to_string(),
            })
        );
    } else {
        eprintln!(
            "{}saved {} after {} in {seconds:.1}s",
            if stopped { "stopped; " } else { "" },
            args.out.display(),
            crate::words::count(epochs_trained, "epoch", "epochs")
        );
        if let Some((w, what)) = data.waited_seconds() {
            eprintln!("streamed from disk: training waited {w:.1}s of {seconds:.1}s for {what}");
        }
    }
    if stopped {
        // interrupted (Ctrl-C), the model saved: exit as an interrupted program does
        std::process::exit(130);
    }
    Ok(())
}
