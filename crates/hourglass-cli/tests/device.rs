//! `--device`: the same training on the CPU engine and on wgpu gives the same losses.
//!
//! Without a GPU, wgpu runs on Mesa's software Vulkan driver (lavapipe, Debian's
//! `mesa-vulkan-drivers`, which scripts/test installs), so this checks every op's GPU path
//! (Burn's own ops, where the CPU runs Hourglass's custom ones) on any machine.

mod common;

use common::{bad, bin, data_dir, s, stderr};
use serde_json::Value;

/// Each epoch's (train loss, validation loss) of `hourglass train … --json` on a device.
fn losses(device: &str, flags: &[&str], out: &std::path::Path) -> (Vec<(f64, f64)>, String) {
    let data = data_dir();
    let mut args = vec![
        "train",
        "--dataset",
        "mnist",
        "--data-dir",
        s(&data),
        "--seed",
        "3",
        "--json",
        "--device",
        device,
        "--out",
        s(out),
    ];
    args.extend_from_slice(flags);
    let o = bin()
        .args(&args)
        .output()
        .expect("the hourglass binary runs");
    let err = stderr(&o);
    assert!(
        o.status.success(),
        "hourglass {args:?} failed: {err}\n(the wgpu device needs a Vulkan driver: Debian's \
         mesa-vulkan-drivers gives the software one, lavapipe; scripts/test installs it)"
    );
    let epochs = String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|v| v.get("epoch").is_some())
        .map(|v| {
            (
                v["train_loss"].as_f64().unwrap(),
                v["val_loss"].as_f64().unwrap(),
            )
        })
        .collect();
    (epochs, err)
}

/// Relative difference, the larger value as the scale.
fn rel(a: f64, b: f64) -> f64 {
    (a - b).abs() / a.abs().max(b.abs())
}

/// The stated tolerance. Measured on lavapipe: both runs' losses equal the CPU's to 1e-7
/// (f32 sums in another order), the same in every run. A wrong gradient, a missed bias or a
/// wrong Adam step moves the losses of 32–64 steps by far more — as did the one bug this
/// found: steps run on whichever rayon worker was free, and cubecl keeps a stream of work
/// per thread, so tensors crossed streams every step and the losses moved by up to 3% from
/// run to run, depending on timing (the GPU's steps now stay on the calling thread).
const TOLERANCE: f64 = 1e-4;

fn same_training(name: &str, flags: &[&str], learned_below: f64) {
    let dir = tempfile::tempdir().unwrap();
    let (cpu, _) = losses("cpu", flags, &dir.path().join("cpu.safetensors"));
    let (gpu, said) = losses("wgpu", flags, &dir.path().join("gpu.safetensors"));
    assert!(said.contains("device: wgpu ("), "{name}: {said}");
    assert!(
        !cpu.is_empty() && cpu.len() == gpu.len(),
        "{name}: {cpu:?} {gpu:?}"
    );
    // it learned (an untrained model scores about 0.23 MSE, 0.69 BCE)
    let last = cpu.last().unwrap().1;
    assert!(
        last < learned_below,
        "{name}: validation loss {last}: {cpu:?}"
    );
    for (e, (c, g)) in cpu.iter().zip(&gpu).enumerate() {
        for (what, a, b) in [("train", c.0, g.0), ("validation", c.1, g.1)] {
            assert!(
                rel(a, b) < TOLERANCE,
                "{name}, epoch {}: {what} loss {a} on the CPU, {b} on wgpu",
                e + 1
            );
        }
    }
    // the model trained on wgpu evaluates to the same loss on the CPU and on wgpu
    let eval = |device: &str| -> Value {
        let o = bin()
            .args([
                "eval",
                "--model",
                s(&dir.path().join("gpu.safetensors")),
                "--dataset",
                "mnist",
                "--data-dir",
                s(&data_dir()),
                "--limit",
                "500",
                "--json",
                "--device",
                device,
            ])
            .output()
            .unwrap();
        assert!(
            o.status.success(),
            "{name}: eval on {device}: {}",
            stderr(&o)
        );
        serde_json::from_slice(&o.stdout).unwrap()
    };
    let (on_cpu, on_gpu) = (eval("cpu"), eval("wgpu"));
    for metric in ["mse", "bce", "psnr"] {
        let (a, b) = (
            on_cpu[metric].as_f64().unwrap(),
            on_gpu[metric].as_f64().unwrap(),
        );
        assert!(
            rel(a, b) < TOLERANCE,
            "{name}: eval {metric} {a} on the CPU, {b} on wgpu"
        );
    }
}

#[test]
fn a_dense_model_trains_alike_on_the_cpu_and_on_wgpu() {
    same_training(
        "dense 784-64-16, MSE, Adam",
        &[
            "--limit",
            "1024",
            "--batch",
            "32",
            "--epochs",
            "2",
            "--layers",
            "784,64,16",
        ],
        0.1,
    );
}

#[test]
fn a_conv_model_with_bce_trains_alike_on_the_cpu_and_on_wgpu() {
    same_training(
        "conv 8:3:2:1,16:3:2:1 → 16, BCE, Adam",
        &[
            "--limit",
            "512",
            "--batch",
            "32",
            "--epochs",
            "2",
            "--conv",
            "8:3:2:1,16:3:2:1",
            "--latent",
            "16",
            "--loss",
            "bce",
        ],
        0.55,
    );
}

#[test]
fn an_unknown_device_is_refused_with_the_list() {
    bad(
        &[
            "eval",
            "--model",
            "mnist-2d",
            "--dataset",
            "patterns",
            "--device",
            "tpu",
        ],
        &["unknown device 'tpu'", "cpu, wgpu, cuda or auto"],
    );
}

#[cfg(not(feature = "cuda"))]
#[test]
fn cuda_in_a_build_without_it_says_how_to_build_it() {
    bad(
        &[
            "eval",
            "--model",
            "mnist-2d",
            "--dataset",
            "mnist",
            "--device",
            "cuda",
        ],
        &["no CUDA device", "--features cuda"],
    );
}
