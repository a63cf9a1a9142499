//! Writes a folder of N colour PNG images, 64×64: patches of the shipped photographs
//! (`photo-patches`' source, training region), cut with seeded random places — or, when DIR
//! ends in `.npy`, the same patches as one uint8 array `(N, 64, 64, 3)`, as NumPy holds
//! pictures. The streaming benchmark (`bench/stream-memory`) trains on 20,000 and 100,000.
//!
//! Usage: cargo run --release -p hourglass-data --example photo_folder -- DIR|FILE.npy N

use anyhow::{Context, Result, bail};
use hourglass_core::data::{Split, encode_image_png};

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [dir, n] = args.as_slice() else {
        bail!("usage: photo_folder DIR N");
    };
    let n: usize = n.parse().context("N is a whole number")?;
    let dir = std::path::Path::new(dir);
    if dir.extension().is_some_and(|e| e == "npy") {
        return write_npy(dir, n);
    }
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

/// The same patches as one uint8 .npy array, channels last, written a thousand at a time.
fn write_npy(path: &std::path::Path, n: usize) -> Result<()> {
    use std::io::Write;
    let mut header =
        format!("{{'descr': '|u1', 'fortran_order': False, 'shape': ({n}, 64, 64, 3), }}");
    header.push_str(&" ".repeat((64 - (10 + header.len() + 1) % 64) % 64));
    header.push('\n');
    let mut out = std::io::BufWriter::new(std::fs::File::create(path)?);
    out.write_all(b"\x93NUMPY\x01\x00")?;
    out.write_all(&(header.len() as u16).to_le_bytes())?;
    out.write_all(header.as_bytes())?;
    const CHUNK: usize = 1000;
    let plane = 64 * 64;
    for (k, start) in (0..n).step_by(CHUNK).enumerate() {
        let count = CHUNK.min(n - start);
        let patches = hourglass_lab::shipped::photo_patches_from(Split::Train, count, k as u64)?;
        for i in 0..count {
            let v = patches.sample(i);
            let hwc: Vec<u8> = (0..plane)
                .flat_map(|p| (0..3).map(move |c| (v[c * plane + p] * 255.0).round() as u8))
                .collect();
            out.write_all(&hwc)?;
        }
    }
    out.flush()?;
    eprintln!("wrote {n} images of 64×64×3 to {}", path.display());
    Ok(())
}
