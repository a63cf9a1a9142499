//! Writes a folder of N colour PNG images, 64×64: patches of the shipped photographs
//! (`photo-patches`' source, training region), cut with seeded random places. The streaming
//! benchmark (`bench/stream-memory`) trains on 20,000 and 100,000 of them.
//!
//! Usage: cargo run --release -p hourglass-data --example photo_folder -- DIR N

use anyhow::{Context, Result, bail};
use hourglass_core::data::{Split, encode_image_png};

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [dir, n] = args.as_slice() else {
        bail!("usage: photo_folder DIR N");
    };
    let n: usize = n.parse().context("N is a whole number")?;
    let dir = std::path::Path::new(dir);
    // a thousand a sub-folder, so no folder holds 100,000 files (labels: the sub-folder)
    const CHUNK: usize = 1000;
    for (k, start) in (0..n).step_by(CHUNK).enumerate() {
        let count = CHUNK.min(n - start);
        let patches = hourglass_lab::shipped::photo_patches_from(Split::Train, count, k as u64)?;
        let sub = dir.join(format!("{k:03}"));
        std::fs::create_dir_all(&sub)?;
        for i in 0..count {
            let png = encode_image_png(patches.sample(i), 3, 64, 64)?;
            std::fs::write(sub.join(format!("{:06}.png", start + i)), png)?;
        }
    }
    eprintln!("wrote {n} images of 64×64×3 to {}", dir.display());
    Ok(())
}
