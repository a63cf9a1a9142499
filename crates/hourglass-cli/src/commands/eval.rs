//! `hourglass eval`.

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Args;
use hourglass_core::{
    tensor::{
        Evaluation, LossKind, Objective, VariantObjective, evaluate, evaluate_denoising,
        mean_jacobian_norm, sparse_figures,
    },
    variant::{Noise, Variant},
};
use serde_json::{Value, json};

use super::{fmt, json_num, load_model, psnr_text};
use crate::{
    DataArgs,
    datasets::{self, Split},
};

#[derive(Args, Debug)]
pub struct EvalArgs {
    /// A checkpoint written by `hourglass train`, or a shipped model by name (`hourglass
    /// models`: mnist-2d, mnist-30d, fashion-2d, fashion-30d)
    #[arg(long, value_name = "FILE")]
    pub model: PathBuf,
    #[command(flatten)]
    pub data: DataArgs,
    /// Which part of a known dataset (mnist, fashion-mnist) [default: test]
    #[arg(long, value_enum, ignore_case = true)]
    pub split: Option<Split>,
    /// Also score reconstructions of corrupted inputs against the clean images (e.g.
    /// gaussian:0.5) [default: a denoising model's own noise]
    #[arg(long, value_name = "KIND:LEVEL")]
    pub noise: Option<String>,
    /// Seed of the noise and of a VAE's samples
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Also report the mean ‖∂z/∂x‖²_F, the encoder's squared Jacobian norm (what a
    /// contractive autoencoder keeps small)
    #[arg(long)]
    pub jacobian: bool,
    /// Print one JSON object
    #[arg(long)]
    pub json: bool,
}

fn metrics_json(e: &Evaluation) -> Value {
    json!({"mse": e.mse, "bce": e.bce, "psnr": json_num(e.psnr), "ssim": e.ssim})
}

pub fn run(args: EvalArgs) -> Result<()> {
    let (ck, model) = load_model(&args.model)?;
    let data = datasets::load_for_model(
        &args.data,
        datasets::split_of(&args.data, args.split)?,
        &ck.config.dataset,
    )?;
    let variant = ck.config.training.variant;
    let noise: Option<Noise> = match (&args.noise, variant) {
        (Some(n), _) => Some(n.parse().with_context(|| format!("--noise {n}"))?),
        (None, Variant::Denoising { noise }) => Some(noise),
        _ => None,
    };
    let e = evaluate(&model, &data, 512)?;
    let denoising = noise
        .map(|n| evaluate_denoising(&model, &data, n, args.seed, 512))
        .transpose()?;
    // the variant's own loss (a VAE's is its negative ELBO per image, in nats with BCE)
    let objective = if variant.is_plain() {
        None
    } else {
        let loss: LossKind = ck.config.training.loss.parse()?;
        let o = VariantObjective::new(variant, loss, args.seed, &model)?;
        Some(o.evaluate(&model, &data.values))
    };
    let jacobian = if args.jacobian {
        Some(mean_jacobian_norm(&model, &data.values)?)
    } else {
        None
    };
    let sparse = match variant {
        Variant::Sparse { .. } => Some(sparse_figures(&model, &data.values, data.features)?),
        _ => None,
    };
    if args.json {
        let mut out = json!({"samples": e.samples, "mse": e.mse, "bce": e.bce, "psnr": json_num(e.psnr), "ssim": e.ssim, "variant": variant});
        if let Some(o) = &objective {
            out["loss"] = json!(o.loss);
            out["terms"] = o
                .terms
                .iter()
                .map(|(k, v)| (k.to_string(), json!(v)))
                .collect();
        }
        if let Some(j) = jacobian {
            out["jacobian_norm"] = json!(j);
        }
        if let Some(f) = &sparse {
            out["sparsity"] = json!({
                "l0": f.code.l0, "units": f.code.units, "dead": f.code.dead,
                "dead_fraction": f.code.dead_fraction(), "fvu": f.fvu,
                "pca_components": f.pca_components, "pca_fvu": f.pca_fvu,
            });
        }
        if let Some(d) = &denoising {
            out["denoising"] = json!({"noise": d.noise, "seed": args.seed, "noisy": metrics_json(&d.noisy), "denoised": metrics_json(&d.denoised)});
        }
        println!("{out}");
    } else {
        println!(
            "{}{} on {} ({} samples)",
            ck.config.architecture.describe(),
            if variant.is_plain() {
                String::new()
            } else {
                format!(", {}", variant.describe())
            },
            data.name,
            e.samples
        );
        println!("MSE   {}", fmt(e.mse));
        println!("BCE   {}", fmt(e.bce));
        println!("PSNR  {}", psnr_text(e.psnr));
        println!(
            "SSIM  {}",
            e.ssim.map_or("n/a (images smaller than 11×11)".into(), fmt)
        );
        if let Some(o) = &objective {
            let terms: Vec<String> = o
                .terms
                .iter()
                .map(|(k, v)| format!("{k} {}", fmt(*v)))
                .collect();
            // what the loss is made of: its named terms, or (denoising) the inputs it was
            // measured on, which are corrupted with the model's own noise whatever --noise says
            let made_of = match variant {
                Variant::Denoising { noise } => {
                    format!(" (on inputs corrupted with the model's own noise, {noise})")
                }
                _ if terms.is_empty() => String::new(),
                _ => format!(" ({})", terms.join(" + ")),
            };
            println!(
                "{} loss  {} per sample{made_of}",
                variant.name(),
                fmt(o.loss)
            );
        }
        if let Some(j) = jacobian {
            println!("‖∂z/∂x‖²  {} (mean over the samples)", fmt(j));
        }
        if let Some(f) = &sparse {
            println!(
                "code  L0 {:.2} of {} units active per sample, {} dead ({:.1}%: never active here)",
                f.code.l0,
                f.code.units,
                f.code.dead,
                100.0 * f.code.dead_fraction()
            );
            println!(
                "FVU   {} (variance unexplained; PCA with {} components: {})",
                fmt(f.fvu),
                f.pca_components,
                fmt(f.pca_fvu)
            );
        }
        if let Some(d) = &denoising {
            let ssim = |e: &Evaluation| e.ssim.map_or("n/a".into(), fmt);
            println!("on corrupted inputs ({}, seed {}):", d.noise, args.seed);
            println!(
                "  noisy     PSNR {}  SSIM {}",
                psnr_text(d.noisy.psnr),
                ssim(&d.noisy)
            );
            println!(
                "  denoised  PSNR {}  SSIM {}",
                psnr_text(d.denoised.psnr),
                ssim(&d.denoised)
            );
        }
    }
    Ok(())
}
