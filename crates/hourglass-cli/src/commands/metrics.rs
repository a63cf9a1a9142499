//! `hourglass metrics`.

use std::path::PathBuf;

use anyhow::{Result, bail};
use clap::Args;
use hourglass_core::{data::decode_image_native, metrics};
use serde_json::json;

use super::{fmt, json_num, psnr_text};
use crate::datasets::read_file;

#[derive(Args, Debug)]
pub struct MetricsArgs {
    /// The reference image (PNG or JPEG, read as greyscale)
    pub a: PathBuf,
    /// The image to compare
    pub b: PathBuf,
    /// Print one JSON object
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: MetricsArgs) -> Result<()> {
    let read = |p: &PathBuf| -> Result<(Vec<f32>, u32, u32)> {
        Ok(decode_image_native(
            &p.display().to_string(),
            &read_file(p)?,
        )?)
    };
    let (a, ha, wa) = read(&args.a)?;
    let (b, hb, wb) = read(&args.b)?;
    if (ha, wa) != (hb, wb) {
        bail!(
            "{} is {wa}×{ha} but {} is {wb}×{hb}; the images must be the same size",
            args.a.display(),
            args.b.display()
        );
    }
    let psnr = metrics::psnr(&a, &b);
    let ssim = metrics::ssim(&a, &b, ha as usize, wa as usize)?;
    if args.json {
        println!("{}", json!({"psnr": json_num(psnr), "ssim": ssim}));
    } else {
        println!("PSNR  {}", psnr_text(psnr));
        println!("SSIM  {}", fmt(ssim));
    }
    Ok(())
}
