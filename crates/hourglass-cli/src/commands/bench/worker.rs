//! The Hourglass side of each workload, run in a child process (`bench --worker W1`).

use std::{
    path::PathBuf,
    sync::atomic::AtomicBool,
    time::{Duration, Instant},
};

use anyhow::{Context, Result, bail};
use hourglass_core::{
    architecture::{Architecture, Code, ConvLayer},
    data::Dataset,
    glass::{Activation, GlassBox},
    project::{self, Flow, TsneOptions},
    rng::Rng,
    tensor::{
        Autoencoder, LossKind, Optimizer, TrainOptions, inference_device, initial_tensors, train,
        training_device,
    },
    variant::Variant,
};

use super::{BenchArgs, Measurement, median, names};
use crate::{
    DataArgs,
    datasets::{self, Split},
};

/// W8's codes: the shipped 30-D MNIST model's codes of the test images (1,000 for --quick),
/// or of seeded random pixels without MNIST, as a float32 .npy in a temporary folder that
/// goes when the returned handle drops.
pub(super) fn write_w8_codes(
    data_dir: &Option<PathBuf>,
    quick: bool,
) -> Result<tempfile::TempPath> {
    let n = if quick { 1_000 } else { 10_000 };
    let (x, _) = images(data_dir, Split::Test, n);
    let shipped = hourglass_data::shipped::model("mnist-30d")
        .context("the shipped mnist-30d model is missing from this build")?;
    let (_, model) = crate::commands::model_from_bytes(shipped.name, shipped.bytes)?;
    let codes = model.encode_host(&x, 512);
    let dim = model.arch.latent_size();
    let mut file = tempfile::Builder::new()
        .prefix("hourglass-bench-w8-")
        .suffix(".npy")
        .tempfile()
        .context("cannot make a temporary file for W8's codes")?;
    std::io::Write::write_all(
        &mut file,
        &hourglass_core::data::write_npy_f32(codes.len() / dim, dim, &codes),
    )?;
    Ok(file.into_temp_path())
}

/// Peak resident memory of this process (VmHWM), in MiB.
pub(super) fn peak_rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

/// MNIST images of `split` (at most `n`) from `data_dir`, or seeded random pixels.
fn images(data_dir: &Option<PathBuf>, split: Split, n: usize) -> (Vec<f32>, &'static str) {
    let args = DataArgs {
        dataset: "mnist".into(),
        data_dir: data_dir.clone(),
        limit: Some(n),
        label_column: None,
        image_size: None,
        colour: None,
    };
    if data_dir.is_some()
        && let Ok((ds, _)) = datasets::load(&args, split, None)
        && ds.len() >= n
    {
        return (ds.values, "mnist");
    }
    let mut rng = Rng::new(7);
    (
        (0..n * 784).map(|_| rng.uniform(0.0, 1.0) as f32).collect(),
        "random",
    )
}

fn dense() -> Architecture {
    Architecture::Dense {
        layers: vec![784, 256, 128, 32],
        activation: Activation::Relu,
        output: Activation::Sigmoid,
        activations: vec![],
        code: Code::Linear,
    }
}

/// W2's conv autoencoder: 1×28×28 through Conv 16 and 32 (3×3, stride 2) to 16 numbers.
fn conv() -> Architecture {
    conv_autoencoder([1, 28, 28], &[16, 32], 16)
}

/// W9's colour conv autoencoder: 3×64×64 through three stride-2 convolutions (32, 64, 128
/// filters: 32², 16², 8²) to a 128-number code, mirrored.
fn colour_conv() -> Architecture {
    conv_autoencoder(COLOUR_INPUT, &[32, 64, 128], 128)
}

const COLOUR_INPUT: [usize; 3] = [3, 64, 64];

/// 3×3 convolutions of stride 2 (padding 1) with these filters, then a linear code; ReLU,
/// sigmoid out.
fn conv_autoencoder(input: [usize; 3], filters: &[usize], latent: usize) -> Architecture {
    Architecture::Conv {
        input,
        convs: filters
            .iter()
            .map(|&filters| ConvLayer {
                filters,
                kernel: 3,
                stride: 2,
                padding: 1,
            })
            .collect(),
        latent,
        activation: Activation::Relu,
        output: Activation::Sigmoid,
        code: Code::Linear,
    }
}

/// The PyTorch examples' VAE: 784-400-20 with a gaussian code (μ and log σ²).
fn vae() -> Architecture {
    Architecture::Dense {
        layers: vec![784, 400, 20],
        activation: Activation::Relu,
        output: Activation::Sigmoid,
        activations: vec![],
        code: Code::Gaussian,
    }
}

/// Seconds for one epoch over `values` (after which the model is dropped): MSE for a plain
/// model, BCE summed + KL for a VAE.
fn train_seconds(arch: &Architecture, values: Vec<f32>, batch: usize) -> Result<f64> {
    let ds = Dataset::new("bench", arch.input_size(), values, None)?;
    let model = Autoencoder::from_tensors(arch, &initial_tensors(arch, 1)?, &training_device())?;
    let vae = arch.code() == Code::Gaussian;
    let opts = TrainOptions {
        loss: if vae { LossKind::Bce } else { LossKind::Mse },
        optimizer: Optimizer::adam(1e-3),
        batch_size: batch,
        epochs: 1,
        seed: 1,
        variant: if vae {
            Variant::Vae { beta: 1.0 }
        } else {
            Variant::Plain
        },
    };
    let stop = AtomicBool::new(false);
    let (_, reports) = train(model, &ds, None, &opts, &stop, &mut |_| {})?;
    Ok(reports[0].seconds)
}

pub(super) fn worker(id: &str, quick: bool, args: &BenchArgs) -> Result<Measurement> {
    let (value, unit, data) = match id.to_ascii_uppercase().as_str() {
        "W1" => {
            let n = if quick { 2_560 } else { 60_000 };
            let (x, data) = images(&args.data_dir, Split::Train, n);
            // warm-up: a few steps of a separate model (threads, allocator)
            train_seconds(&dense(), x[..1_280 * 784].to_vec(), 256)?;
            let secs = train_seconds(&dense(), x, 256)?;
            (secs * 60_000.0 / n as f64, "s/epoch", data)
        }
        "W2" => {
            let steps = if quick { 2 } else { 30 };
            let (x, data) = images(&args.data_dir, Split::Train, 128 * steps);
            train_seconds(&conv(), x[..128 * 784 * 2].to_vec(), 128)?;
            let secs = train_seconds(&conv(), x, 128)?;
            (1000.0 * secs / steps as f64, "ms/step", data)
        }
        "W9" => {
            // seeded random colour pixels: the step's time does not depend on what they show
            let steps = if quick { 2 } else { 20 };
            let width: usize = COLOUR_INPUT.iter().product();
            let mut rng = Rng::new(7);
            let x: Vec<f32> = (0..64 * steps * width)
                .map(|_| rng.uniform(0.0, 1.0) as f32)
                .collect();
            train_seconds(&colour_conv(), x[..64 * 2 * width].to_vec(), 64)?;
            let secs = train_seconds(&colour_conv(), x, 64)?;
            (1000.0 * secs / steps as f64, "ms/step", "random")
        }
        "W3" => {
            let window = Duration::from_secs_f64(if quick { 0.05 } else { 1.0 });
            let mut g = GlassBox::with_rates(1, 0.15, 0.8);
            for _ in 0..100 {
                g.train_epoch();
            }
            let start = Instant::now();
            let mut epochs = 0u64;
            if let Some(n) = args.epochs {
                for _ in 0..n {
                    g.train_epoch();
                }
                epochs = n;
            }
            while args.epochs.is_none() && start.elapsed() < window {
                for _ in 0..100 {
                    g.train_epoch();
                }
                epochs += 100;
            }
            (
                epochs as f64 / start.elapsed().as_secs_f64(),
                "epochs/s",
                "built-in",
            )
        }
        "W4" => {
            let model = Autoencoder::from_tensors(
                &dense(),
                &initial_tensors(&dense(), 1)?,
                &inference_device(),
            )?;
            let mut rng = Rng::new(3);
            let code: Vec<f32> = (0..32).map(|_| rng.normal() as f32).collect();
            let calls = if quick { 50 } else { 2_000 };
            for _ in 0..calls / 10 {
                std::hint::black_box(model.decode_host(&code, 1));
            }
            let mut times = Vec::with_capacity(calls);
            for _ in 0..calls {
                let t = Instant::now();
                std::hint::black_box(model.decode_host(std::hint::black_box(&code), 1));
                times.push(t.elapsed().as_secs_f64() * 1e6);
            }
            (median(times).unwrap_or(f64::NAN), "µs", "random")
        }
        "W7" => {
            let n = if quick { 2_560 } else { 60_000 };
            let (x, data) = images(&args.data_dir, Split::Train, n);
            train_seconds(&vae(), x[..1_280 * 784].to_vec(), 128)?;
            let secs = train_seconds(&vae(), x, 128)?;
            (secs * 60_000.0 / n as f64, "s/epoch", data)
        }
        "W5" => {
            let n = if quick { 1_000 } else { 10_000 };
            let (x, data) = images(&args.data_dir, Split::Test, n);
            let model = Autoencoder::from_tensors(
                &dense(),
                &initial_tensors(&dense(), 1)?,
                &inference_device(),
            )?;
            std::hint::black_box(model.encode_host(&x[..256 * 784], 256));
            let mut times = Vec::new();
            for _ in 0..3 {
                let t = Instant::now();
                std::hint::black_box(model.encode_host(&x, n));
                times.push(t.elapsed().as_secs_f64() * 1e3);
            }
            (median(times).unwrap_or(f64::NAN), "ms", data)
        }
        "W8" => {
            let path = args
                .codes
                .as_ref()
                .context("W8 needs --codes (the parent writes them)")?;
            let bytes =
                std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
            let codes = hourglass_core::data::read_npy("codes.npy", &bytes)?;
            let opts = TsneOptions {
                perplexity: 30.0,
                iterations: if quick { 250 } else { 750 },
                seed: 1,
            };
            let t = Instant::now();
            let y = project::tsne(&codes.values, codes.features, &opts, |_, _| Flow::Go)?;
            std::hint::black_box(y);
            (t.elapsed().as_secs_f64(), "s", "mnist-30d codes")
        }
        other => bail!("unknown workload '{other}' (expected {})", names()),
    };
    Ok(Measurement {
        workload: id.to_ascii_uppercase(),
        engine: "hourglass".into(),
        value,
        unit: unit.into(),
        peak_rss_mib: peak_rss_mib(),
        data: data.into(),
    })
}
