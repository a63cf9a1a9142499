//! `hourglass`: the autoencoder lab's command line.

mod commands;
mod datasets;
mod output;
mod words;

use std::{path::PathBuf, process::ExitCode};

use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand};

/// Hourglass: train, inspect and use autoencoders on MNIST-size data.
#[derive(Parser, Debug)]
#[command(name = "hourglass", version, about, long_about = None, after_help = EXAMPLES)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// Where tensors train and run: cpu (Hourglass's own engine), wgpu (Vulkan, Metal or DX12),
    /// cuda, or auto (CUDA, else a hardware wgpu adapter, else the CPU)
    #[arg(long, global = true, value_name = "DEVICE", default_value = "cpu")]
    device: String,
}

const EXAMPLES: &str = "Examples:
  hourglass serve --open
  hourglass data list
  hourglass train --dataset mnist --layers 784,256,128,32 --epochs 20 --out mnist.safetensors
  hourglass eval --model mnist.safetensors --dataset mnist
  hourglass reconstruct --model mnist.safetensors --dataset mnist --count 16 --out grid.png";

/// Where to find data and how much of it to use.
#[derive(Args, Debug, Clone)]
pub struct DataArgs {
    /// mnist, fashion-mnist, patterns, photo-patches (64×64 colour, built in), or a file:
    /// .csv, .npy, an IDX file (.idx, .gz, *-ubyte), or a folder of PNG/JPEG images
    #[arg(long)]
    pub dataset: String,
    /// Folder holding mnist/ and fashion-mnist/ (before $HOURGLASS_DATA and the user cache)
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Use only the first N samples
    #[arg(long, value_name = "N")]
    pub limit: Option<usize>,
    /// CSV only: the label column, by header name or 0-based index
    #[arg(long, value_name = "COLUMN")]
    pub label_column: Option<String>,
    /// Image folders only: resize every image to SIZE×SIZE [default: 28, or the size the
    /// model was trained on]
    #[arg(long, value_name = "SIZE")]
    pub image_size: Option<u32>,
    /// Image folders only: as-they-are (colour when any image has colour), grey, or colour
    /// [default: as-they-are, or the channels the model was trained on]
    #[arg(long, value_name = "CHANNELS", alias = "color")]
    pub colour: Option<datasets::Channels>,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Serve the web app on 127.0.0.1 (its pages are named from the page registry at run time)
    #[command(after_help = "Examples:
  hourglass serve --open
  hourglass serve --port 0
  hourglass serve --host 0.0.0.0 --token my-secret-token")]
    Serve(commands::serve::ServeArgs),
    /// Train an autoencoder and save it as a safetensors checkpoint
    #[command(after_help = "Examples:
  hourglass train --dataset mnist --layers 784,256,128,32 --epochs 20 --out mnist.safetensors
  hourglass train --dataset fashion-mnist --conv 16:3:2:1,32:3:2:1 --latent 32 --out conv.safetensors
  hourglass train --dataset photo-patches --conv 32:3:2:1,64:3:2:1 --latent 128 --out photos.safetensors
  hourglass train --dataset ~/photos --image-size 64 --stream --conv 32:3:2:1,64:3:2:1 --latent 128 --out mine.safetensors
  hourglass train --dataset patterns --layers 9,6,3 --activation sigmoid --optimizer sgd --lr 5 --epochs 3000 --val-split 0 --out glass.safetensors
  hourglass train --dataset my-data.csv --label-column label --layers 64,16,2 --json --out mine.safetensors
  hourglass train --dataset mnist --layers 784,256,128,32 --variant denoising --noise gaussian:0.5 --out denoise.safetensors
  hourglass train --dataset mnist --layers 784,400,20 --variant vae --loss bce --batch 128 --epochs 10 --out vae.safetensors
  hourglass train --dataset mnist --layers 784,32 --variant sparse --sparsity l1:1e-4 --loss bce --out sparse.safetensors
  hourglass train --dataset mnist --layers 784,256,32 --variant contractive --contraction 1e-4 --out cae.safetensors")]
    Train(Box<commands::train::TrainArgs>),
    /// Evaluate a model: mean MSE, BCE, PSNR and SSIM over a dataset's images
    #[command(after_help = "Example:
  hourglass eval --model mnist.safetensors --dataset mnist --split test --json")]
    Eval(commands::eval::EvalArgs),
    /// List the models shipped inside Hourglass (every --model also takes their names)
    #[command(after_help = "Examples:
  hourglass models
  hourglass eval --model mnist-30d --dataset mnist")]
    Models(commands::models::ModelsArgs),
    /// Write the latent code of every sample (labels included) to .csv or .npy
    #[command(after_help = "Example:
  hourglass encode --model mnist.safetensors --dataset mnist --out codes.csv")]
    Encode(commands::codes::EncodeArgs),
    /// Decode latent codes (a .csv or .npy from `encode`, or your own) into an image grid
    #[command(after_help = "Example:
  hourglass decode --model mnist.safetensors --codes codes.csv --out decoded.png")]
    Decode(commands::codes::DecodeArgs),
    /// Save a grid of originals (above) and their reconstructions (below)
    #[command(after_help = "Example:
  hourglass reconstruct --model mnist.safetensors --dataset mnist --count 16 --out grid.png")]
    Reconstruct(commands::codes::ReconstructArgs),
    /// Decode codes drawn from the prior N(0, I) into an image grid (a VAE's samples)
    #[command(after_help = "Example:
  hourglass sample --model vae.safetensors --count 64 --out samples.png")]
    Sample(commands::codes::SampleArgs),
    /// Anomaly detection by reconstruction error: ROC curve, its AUC, a threshold
    #[command(after_help = "Examples:
  hourglass train --dataset mnist --layers 784,256,128,32 --held-out 7 --out no7.safetensors
  hourglass anomaly --model no7.safetensors --dataset mnist --held-out 7 --pca
  hourglass anomaly --model no7.safetensors --dataset mnist --normal 0,1,2,3,4,5,6,8,9 --fpr 0.01 --json")]
    Anomaly(commands::anomaly::AnomalyArgs),
    /// A 2-D map of a model's codes (or of the data) by PCA, t-SNE or UMAP, as CSV
    #[command(after_help = "Examples:
  hourglass project --model mnist.safetensors --dataset mnist --method tsne --out coords.csv
  hourglass project --model mnist.safetensors --dataset mnist --method umap --out umap.csv
  hourglass project --dataset mnist --split all --method pca --out pixels-pca.csv")]
    Project(commands::project::ProjectArgs),
    /// A linear probe: a classifier's test accuracy on a model's codes, PCA or the pixels,
    /// trained on the first N labelled images of each class
    #[command(after_help = "Examples:
  hourglass probe --dataset mnist --labels-per-class 10,100
  hourglass probe --model mnist-30d --dataset mnist --json
  hourglass probe --model mnist-30d --dataset mnist --features pca")]
    Probe(commands::probe::ProbeArgs),
    /// PSNR and SSIM of two greyscale images of the same size
    #[command(after_help = "Example:
  hourglass metrics original.png reconstruction.png --json")]
    Metrics(commands::metrics::MetricsArgs),
    /// List, verify and download the known datasets
    #[command(subcommand)]
    Data(commands::data::DataCommand),
    /// Speed workloads W1–W5 in Hourglass and in PyTorch, side by side (see bench/run)
    #[command(after_help = "Examples:
  bench/run                      (sets up PyTorch in a venv, builds, then runs this)
  hourglass bench --python ~/.cache/hourglass/bench-venv/bin/python --data-dir ../shared/datasets
  hourglass bench --quick --only W3,W4")]
    Bench(commands::bench::BenchArgs),
}

/// What `serve` serves, in its help: every page of the registry, by title.
fn serve_about() -> String {
    let titles: Vec<&str> = hourglass_server::pages::PAGES
        .iter()
        .map(|p| p.title)
        .collect();
    format!(
        "Serve the web app (pages: {}) on 127.0.0.1",
        titles.join(", ")
    )
}

/// The command line, with the help texts that are made at run time.
fn parse() -> Cli {
    let cmd = Cli::command().mut_subcommand("serve", |c| c.about(serve_about()));
    let matches = cmd.get_matches();
    Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit())
}

fn main() -> ExitCode {
    let cli = parse();
    if !matches!(cli.command, Command::Serve(_)) {
        // a command whose output is piped into `head` ends quietly when the reader is gone,
        // as Unix tools do, instead of panicking on the broken pipe (Rust ignores SIGPIPE);
        // the server keeps ignoring it (a closed socket is an error it handles)
        #[cfg(unix)]
        // SAFETY: restoring a signal's default disposition before any thread is started.
        unsafe {
            libc::signal(libc::SIGPIPE, libc::SIG_DFL);
        }
    }
    let result = choose_device(&cli.device).and_then(|()| run(cli));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // one line: the context chain, outermost first
            let msg = e
                .chain()
                .map(|c| c.to_string())
                .collect::<Vec<_>>()
                .join(": ");
            eprintln!("error: {msg}");
            ExitCode::from(2)
        }
    }
}

/// Opens the device `--device` names (the CPU needs no opening) and says which it is.
fn choose_device(name: &str) -> anyhow::Result<()> {
    use hourglass_core::tensor::{DeviceChoice, use_device};
    let choice = DeviceChoice::parse(name)?;
    if choice != DeviceChoice::Cpu {
        let opened = use_device(choice)?;
        eprintln!("device: {opened}");
    }
    Ok(())
}

fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve(a) => commands::serve::run(a),
        Command::Train(a) => commands::train::run(*a),
        Command::Eval(a) => commands::eval::run(a),
        Command::Models(a) => commands::models::run(a),
        Command::Encode(a) => commands::codes::encode(a),
        Command::Decode(a) => commands::codes::decode(a),
        Command::Reconstruct(a) => commands::codes::reconstruct(a),
        Command::Sample(a) => commands::codes::sample(a),
        Command::Anomaly(a) => commands::anomaly::run(a),
        Command::Project(a) => commands::project::run(a),
        Command::Probe(a) => commands::probe::run(a),
        Command::Metrics(a) => commands::metrics::run(a),
        Command::Data(c) => commands::data::run(c),
        Command::Bench(a) => commands::bench::run(a, &cli.device),
    }
}
