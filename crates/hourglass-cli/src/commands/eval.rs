//! `hourglass eval`.

use std::path::PathBuf;

use anyhow::Result;
use clap::Args;
use hourglass_core::tensor::evaluate;
use serde_json::json;

use super::{fmt, json_num, load_model};
use crate::{
    DataArgs,
    datasets::{self, Split},
};

#[derive(Args, Debug)]
pub struct EvalArgs {
    /// A checkpoint written by `hourglass train`
    #[arg(long, value_name = "FILE")]
    pub model: PathBuf,
    #[command(flatten)]
    pub data: DataArgs,
    /// Which part of a known dataset
    #[arg(long, value_enum, default_value = "test", ignore_case = true)]
    pub split: Split,
    /// Print one JSON object
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: EvalArgs) -> Result<()> {
    let (ck, model) = load_model(&args.model)?;
    let data = datasets::load_for_model(&args.data, args.split, &ck.config.dataset)?;
    let e = evaluate(&model, &data, 512)?;
    if args.json {
        println!(
            "{}",
            json!({"samples": e.samples, "mse": e.mse, "bce": e.bce, "psnr": json_num(e.psnr), "ssim": e.ssim})
        );
    } else {
        println!(
            "{} on {} ({} samples)",
            ck.config.architecture.describe(),
            data.name,
            e.samples
        );
        println!("MSE   {}", fmt(e.mse));
        println!("BCE   {}", fmt(e.bce));
        println!("PSNR  {} dB", fmt(e.psnr));
        println!(
            "SSIM  {}",
            e.ssim.map_or("n/a (images smaller than 11×11)".into(), fmt)
        );
    }
    Ok(())
}
