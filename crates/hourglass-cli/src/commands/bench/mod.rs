//! `hourglass bench`: the speed workloads, in Hourglass and in PyTorch, side by side.
//!
//! Every measurement runs in a fresh child process (this binary with the hidden `--worker`
//! flag, or `bench/pytorch/workloads.py`), one at a time, alternating engines, so the two
//! never share the two cores and each reports its own peak memory. Each child prints one
//! JSON line; this process prints a table of medians.
//!
//! W1 dense 784-256-128-32-128-256-784 (ReLU, sigmoid out, MSE, Adam, batch 256): seconds
//!    per 60,000-sample epoch, and the process's peak RSS.
//! W2 conv autoencoder (Conv 1→16 s2, Conv 16→32 s2, Linear →16, mirrored with transposed
//!    convolutions; batch 128): ms per training step.
//! W3 the 9-6-3-6-9 glass box (sigmoid, per-sample SGD with momentum): epochs per second.
//! W4 decode one 32-d code to 784 pixels (W1's model): µs per call.
//! W5 encode the 10,000 test images in one batch (W1's model): ms.
//! W7 the PyTorch examples' VAE (784-400-(20 μ, 20 log σ²), mirrored; BCE summed + KL, Adam,
//!    batch 128): seconds per 60,000-sample epoch.
//! W8 t-SNE of the 10,000 MNIST test images' 30-D codes (the shipped `mnist-30d` model),
//!    perplexity 30, 750 iterations, PCA start: seconds, against scikit-learn's `TSNE` (the
//!    t-SNE Python users run; PyTorch has none) on the same codes, written once to a .npy
//!    file both workers read.
//! W9 a colour conv autoencoder on 3×64×64 (Conv 3→32→64→128, each 3×3 stride 2, Linear
//!    →128, mirrored with transposed convolutions; batch 64; seeded random pixels): ms per
//!    training step.
//! W6 (the Digits Lab's hover-decode round trip) is measured in the browser, by
//! `e2e/digits-decode.bench.js`.

use std::{path::PathBuf, process::Command};

use anyhow::{Context, Result, bail};
use clap::Args;
use serde::{Deserialize, Serialize};
use serde_json::json;

mod worker;

use worker::{worker, write_w8_codes};

#[derive(Args, Debug)]
pub struct BenchArgs {
    /// Tiny sizes and one repetition: checks that every workload runs (CI), judges nothing
    #[arg(long)]
    pub quick: bool,
    /// Repetitions of each workload per engine, alternating engines
    #[arg(long, default_value_t = 5, value_name = "N")]
    pub reps: usize,
    /// Folder holding mnist/ (real MNIST when present, else random data of the same shape)
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Python with torch for the PyTorch side (bench/run sets up a venv); without it only
    /// Hourglass runs
    #[arg(long, value_name = "PYTHON")]
    pub python: Option<PathBuf>,
    /// The PyTorch workloads script
    #[arg(
        long,
        value_name = "FILE",
        default_value = "bench/pytorch/workloads.py"
    )]
    pub script: PathBuf,
    /// Only these workloads, e.g. W1,W3
    #[arg(long, value_delimiter = ',', value_name = "LIST")]
    pub only: Vec<String>,
    /// Also write every measurement and the medians as JSON to FILE
    #[arg(long, value_name = "FILE")]
    pub json_out: Option<PathBuf>,
    /// Run one workload in this process and print its result as one JSON line
    #[arg(long, hide = true, value_name = "WORKLOAD")]
    pub worker: Option<String>,
    /// With --worker W8: the codes to map (.npy, written by the parent)
    #[arg(long, hide = true, value_name = "FILE")]
    pub codes: Option<PathBuf>,
    /// With --worker W3: exactly N epochs instead of a timed window, so an instruction
    /// counter (`valgrind --tool=callgrind`) sees the same work every time
    #[arg(long, hide = true, value_name = "N")]
    pub epochs: Option<u64>,
}

/// One measurement, as every worker (Rust or Python) prints it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Measurement {
    pub workload: String,
    pub engine: String,
    pub value: f64,
    pub unit: String,
    pub peak_rss_mib: f64,
    /// `mnist` or `random`.
    pub data: String,
}

struct Workload {
    id: &'static str,
    title: &'static str,
    /// True when a larger value is better (a rate).
    higher_is_better: bool,
    target: Target,
}

enum Target {
    /// Hourglass / PyTorch at most this.
    Ratio(f64),
    /// Hourglass's value at least this.
    AtLeast(f64),
    /// Hourglass's value at most this.
    AtMost(f64),
}

const WORKLOADS: [Workload; 8] = [
    Workload {
        id: "W1",
        title: "dense AE 784-256-128-32, batch 256: s per 60k-sample epoch",
        higher_is_better: false,
        // the second round's target: ≥ ~85% of the 2 cores' FMA peak (a floor near 0.94 s)
        target: Target::AtMost(1.1),
    },
    Workload {
        id: "W2",
        title: "conv AE 16-32 → 16, batch 128: ms per step",
        higher_is_better: false,
        target: Target::Ratio(0.75),
    },
    Workload {
        id: "W3",
        title: "glass 9-6-3-6-9, per-sample SGD+momentum: epochs/s",
        higher_is_better: true,
        target: Target::AtLeast(100_000.0),
    },
    Workload {
        id: "W4",
        title: "decode one 32-d code → 784 pixels: µs",
        higher_is_better: false,
        target: Target::AtMost(40.0),
    },
    Workload {
        id: "W5",
        title: "encode 10,000 test images (one batch): ms",
        higher_is_better: false,
        target: Target::Ratio(1.0),
    },
    Workload {
        id: "W7",
        title: "VAE 784-400-20 (BCE + KL), batch 128: s per 60k-sample epoch",
        higher_is_better: false,
        target: Target::Ratio(1.0),
    },
    Workload {
        id: "W9",
        title: "colour conv AE 3×64×64 → 128, batch 64: ms per step",
        higher_is_better: false,
        target: Target::Ratio(1.0),
    },
    Workload {
        id: "W8",
        title: "t-SNE of 10,000 30-D codes, 750 it. (vs scikit-learn): s",
        higher_is_better: false,
        target: Target::Ratio(1.0),
    },
];

/// The workloads' names, for messages: "W1, W2 … or W8".
fn names() -> String {
    let ids: Vec<&str> = WORKLOADS.iter().map(|w| w.id).collect();
    let (last, rest) = ids.split_last().expect("workloads");
    format!("{} or {last}", rest.join(", "))
}

pub fn run(args: BenchArgs, device: &str) -> Result<()> {
    if let Some(w) = &args.worker {
        let m = worker(w, args.quick, &args)?;
        println!("{}", serde_json::to_string(&m)?);
        return Ok(());
    }
    if args.reps == 0 {
        bail!("--reps must be at least 1");
    }
    for w in &args.only {
        if !WORKLOADS.iter().any(|k| k.id.eq_ignore_ascii_case(w)) {
            bail!("unknown workload '{w}' (expected {})", names());
        }
    }
    let reps = if args.quick { 1 } else { args.reps };
    let exe = std::env::current_exe().context("cannot find this program's own path")?;
    let python = match &args.python {
        Some(p) => Some(p.clone()),
        None => {
            eprintln!("note: no --python given: PyTorch's side is not run (bench/run sets it up)");
            None
        }
    };
    if python.is_some() && !args.script.is_file() {
        bail!(
            "{}: the PyTorch workloads script is not there (run from the repository root or pass --script)",
            args.script.display()
        );
    }
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let selected =
        |id: &str| args.only.is_empty() || args.only.iter().any(|o| o.eq_ignore_ascii_case(id));
    // W8's codes, made once: both engines map the same numbers
    let codes = if selected("W8") {
        Some(write_w8_codes(&args.data_dir, args.quick)?)
    } else {
        None
    };
    let mut all: Vec<Measurement> = Vec::new();
    let mut failures = Vec::new();
    for w in WORKLOADS.iter().filter(|w| selected(w.id)) {
        for rep in 0..reps {
            // alternate which engine goes first
            let mut runs: Vec<(&str, Command)> = Vec::new();
            let mut ours = Command::new(&exe);
            ours.args(["bench", "--worker", w.id, "--device", device]);
            if args.quick {
                ours.arg("--quick");
            }
            if let Some(d) = &args.data_dir {
                ours.arg("--data-dir").arg(d);
            }
            if let (Some(c), "W8") = (&codes, w.id) {
                ours.arg("--codes").arg(&**c);
            }
            runs.push(("hourglass", ours));
            if let Some(py) = &python {
                let mut theirs = Command::new(py);
                theirs.arg(&args.script).args([
                    "--workload",
                    w.id,
                    "--threads",
                    &threads.to_string(),
                    // PyTorch has no wgpu: any GPU device runs its side on CUDA
                    "--device",
                    if device.eq_ignore_ascii_case("cpu") {
                        "cpu"
                    } else {
                        "cuda"
                    },
                ]);
                if args.quick {
                    theirs.arg("--quick");
                }
                if let Some(d) = &args.data_dir {
                    theirs.arg("--data-dir").arg(d);
                }
                if let (Some(c), "W8") = (&codes, w.id) {
                    theirs.arg("--codes").arg(&**c);
                }
                runs.push(("pytorch", theirs));
            }
            if rep % 2 == 1 {
                runs.reverse();
            }
            for (engine, mut cmd) in runs {
                eprint!("{} {engine} run {}/{reps} … ", w.id, rep + 1);
                match measure(&mut cmd) {
                    Ok(m) => {
                        eprintln!("{} {}", short(m.value), m.unit);
                        all.push(m);
                    }
                    Err(e) => {
                        eprintln!("failed");
                        failures.push(format!("{} {engine}: {e:#}", w.id));
                    }
                }
            }
        }
    }
    print_table(&all, reps, args.quick, python.is_some(), threads);
    if let Some(path) = &args.json_out {
        let medians: Vec<_> = WORKLOADS
            .iter()
            .flat_map(|w| {
                ["hourglass", "pytorch"].map(|e| {
                    json!({"workload": w.id, "engine": e, "median": median_of(&all, w.id, e, |m| m.value),
                           "peak_rss_mib": median_of(&all, w.id, e, |m| m.peak_rss_mib)})
                })
            })
            .collect();
        let doc = json!({"quick": args.quick, "reps": reps, "threads": threads, "cpu": cpu_model(), "device": hourglass_core::tensor::current_device().to_string(),
                         "measurements": all, "medians": medians});
        crate::output::write_atomic(path, serde_json::to_string_pretty(&doc)?.as_bytes())?;
    }
    if !failures.is_empty() {
        bail!("{} run(s) failed: {}", failures.len(), failures.join("; "));
    }
    Ok(())
}

fn short(v: f64) -> String {
    if v >= 100.0 {
        format!("{v:.0}")
    } else if v >= 1.0 {
        format!("{v:.2}")
    } else {
        format!("{v:.4}")
    }
}

/// Runs one worker and reads its JSON line.
fn measure(cmd: &mut Command) -> Result<Measurement> {
    let out = cmd.output().context("cannot start the worker")?;
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        let last = err
            .lines()
            .rev()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("");
        bail!("exited with {}: {last}", out.status);
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text
        .lines()
        .rev()
        .find(|l| l.trim_start().starts_with('{'))
        .context("the worker printed no JSON result")?;
    serde_json::from_str(line).with_context(|| format!("malformed worker result: {line}"))
}

fn median(mut v: Vec<f64>) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    Some(if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    })
}

fn median_of(
    all: &[Measurement],
    id: &str,
    engine: &str,
    f: impl Fn(&Measurement) -> f64,
) -> Option<f64> {
    median(
        all.iter()
            .filter(|m| m.workload == id && m.engine == engine)
            .map(f)
            .collect(),
    )
}

fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|s| s.trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into())
}

fn print_table(all: &[Measurement], reps: usize, quick: bool, with_pytorch: bool, threads: usize) {
    let data = all.first().map_or("–", |m| m.data.as_str());
    println!();
    println!(
        "Hourglass bench on {} ({threads} threads), device {}; medians of {reps} run(s) per engine; data: {data}{}",
        cpu_model(),
        hourglass_core::tensor::current_device(),
        if quick {
            "; QUICK sizes: these figures judge nothing"
        } else {
            ""
        }
    );
    println!(
        "{:<4} {:<58} {:>11} {:>11} {:>7}  {:<16} holds",
        "", "workload", "Hourglass", "PyTorch", "H/P", "target"
    );
    let cell = |v: Option<f64>| v.map_or("–".to_string(), short);
    for w in &WORKLOADS {
        let h = median_of(all, w.id, "hourglass", |m| m.value);
        let p = median_of(all, w.id, "pytorch", |m| m.value);
        if h.is_none() && p.is_none() {
            continue;
        }
        let ratio = h.zip(p).map(|(h, p)| h / p);
        let (target, holds) = match w.target {
            Target::Ratio(r) => (format!("H/P ≤ {r}"), ratio.map(|q| q <= r)),
            Target::AtLeast(x) => (format!("≥ {}", short(x)), h.map(|v| v >= x)),
            Target::AtMost(x) => (format!("≤ {}", short(x)), h.map(|v| v <= x)),
        };
        let holds = match (quick, holds) {
            (true, _) | (_, None) => "–",
            (false, Some(true)) => "yes",
            (false, Some(false)) => "no",
        };
        let ratio_text = ratio.map_or("–".into(), |q| {
            format!("{q:.2}{}", if w.higher_is_better { "↑" } else { "" })
        });
        println!(
            "{:<4} {:<58} {:>11} {:>11} {:>7}  {:<16} {}",
            w.id,
            w.title,
            cell(h),
            cell(p),
            ratio_text,
            target,
            holds
        );
        if w.id == "W1" {
            let hr = median_of(all, w.id, "hourglass", |m| m.peak_rss_mib);
            let pr = median_of(all, w.id, "pytorch", |m| m.peak_rss_mib);
            let holds = match (quick, hr.zip(pr)) {
                // the second speed round's bound: at most half of PyTorch's peak memory
                (false, Some((a, b))) => {
                    if a <= 0.5 * b {
                        "yes"
                    } else {
                        "no"
                    }
                }
                _ => "–",
            };
            println!(
                "{:<4} {:<58} {:>11} {:>11} {:>7}  {:<16} {}",
                "",
                "W1 peak RSS of the process: MiB",
                cell(hr),
                cell(pr),
                hr.zip(pr)
                    .map_or("–".into(), |(a, b)| format!("{:.2}", a / b)),
                "≤ 0.5 × PyTorch",
                holds
            );
        }
    }
    println!(
        "W6   hover-decode round trip through the Digits Lab: measured in Chromium by e2e/digits-decode.bench.js"
    );
    println!(
        "W8's Python side is scikit-learn's TSNE (Barnes-Hut, n_jobs = threads), not PyTorch."
    );
    if !with_pytorch {
        println!("PyTorch's side was not run (no --python); bench/run installs it in a venv.");
    }
    println!("↑: a rate, higher is better (its H/P should be above 1).");
}
