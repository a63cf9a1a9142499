//! Your own images: PNG or JPEG files, made greyscale and resized to one size.

use super::Dataset;
use crate::Error;

/// What making a folder's images fit one greyscale size changed, counted: said to the user,
/// since colour and the images' own sizes are not kept (yet).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct ImageChanges {
    /// Colour images made grey.
    pub colour: usize,
    /// Images of another size resized, and of them those stretched (another shape).
    pub resized: usize,
    pub stretched: usize,
}

impl ImageChanges {
    /// The changes in a sentence, or None when there were none.
    pub fn sentence(&self, height: u32, width: u32) -> Option<String> {
        let mut parts = Vec::new();
        if self.colour > 0 {
            parts.push(format!(
                "{} colour image{} made grey (Hourglass trains on greyscale for now)",
                self.colour,
                if self.colour == 1 { "" } else { "s" }
            ));
        }
        if self.resized > 0 {
            let stretched = if self.stretched > 0 {
                format!(
                    ", {} of them stretched to that shape (their sides were in another ratio)",
                    self.stretched
                )
            } else {
                String::new()
            };
            parts.push(format!(
                "{} image{} resized to {height}×{width}{stretched}",
                self.resized,
                if self.resized == 1 { "" } else { "s" }
            ));
        }
        (!parts.is_empty()).then(|| parts.join("; "))
    }
}

/// Decodes one image to `height × width` greyscale values in [0, 1].
pub fn decode_image(name: &str, bytes: &[u8], height: u32, width: u32) -> Result<Vec<f32>, Error> {
    decode_counting(name, bytes, height, width, &mut ImageChanges::default())
}

/// [`decode_image`], counting what it changed in `seen`.
fn decode_counting(
    name: &str,
    bytes: &[u8],
    height: u32,
    width: u32,
    seen: &mut ImageChanges,
) -> Result<Vec<f32>, Error> {
    if height == 0 || width == 0 {
        return Err(Error::invalid(format!(
            "image size {height}×{width} has a zero side"
        )));
    }
    let img = image::load_from_memory(bytes)
        .map_err(|e| Error::format(name, format!("not a readable PNG or JPEG image ({e})")))?;
    if img.color().has_color() {
        seen.colour += 1;
    }
    let grey = img.to_luma8();
    let (w0, h0) = grey.dimensions();
    let grey = if (w0, h0) == (width, height) {
        grey
    } else {
        seen.resized += 1;
        if u64::from(w0) * u64::from(height) != u64::from(h0) * u64::from(width) {
            seen.stretched += 1;
        }
        image::imageops::resize(&grey, width, height, image::imageops::FilterType::Triangle)
    };
    Ok(grey
        .into_raw()
        .into_iter()
        .map(|b| b as f32 / 255.0)
        .collect())
}

/// Builds a dataset from images given as `(file name, bytes, label)`, in that order, with
/// what making them fit changed.
pub fn images_dataset(
    name: &str,
    files: &[(String, Vec<u8>, Option<u32>)],
    height: u32,
    width: u32,
) -> Result<(Dataset, ImageChanges), Error> {
    if files.is_empty() {
        return Err(Error::format(name, "no PNG or JPEG images found"));
    }
    let mut values = Vec::with_capacity(files.len() * (height * width) as usize);
    let mut seen = ImageChanges::default();
    for (file, bytes, _) in files {
        values.extend(decode_counting(file, bytes, height, width, &mut seen)?);
    }
    let labels = if files.iter().all(|f| f.2.is_some()) {
        Some(files.iter().map(|f| f.2.expect("checked")).collect())
    } else {
        None
    };
    let data = Dataset::new(name, (height * width) as usize, values, labels)?
        .with_image_shape(height as usize, width as usize)?;
    Ok((data, seen))
}

/// Encodes `height × width` greyscale values in [0, 1] as a PNG.
pub fn encode_png(values: &[f32], height: u32, width: u32) -> Result<Vec<u8>, Error> {
    let pixels: Vec<u8> = values
        .iter()
        .map(|v| (v.clamp(0.0, 1.0) * 255.0).round() as u8)
        .collect();
    let img = image::GrayImage::from_raw(width, height, pixels).ok_or_else(|| {
        Error::invalid(format!(
            "{} values do not make a {height}×{width} image",
            values.len()
        ))
    })?;
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png)
        .map_err(|e| Error::invalid(format!("PNG encoding failed: {e}")))?;
    Ok(out.into_inner())
}

/// Decodes a greyscale image at its own size: `(values, height, width)`.
pub fn decode_image_native(name: &str, bytes: &[u8]) -> Result<(Vec<f32>, u32, u32), Error> {
    let img = image::load_from_memory(bytes)
        .map_err(|e| Error::format(name, format!("not a readable PNG or JPEG image ({e})")))?
        .to_luma8();
    let (w, h) = img.dimensions();
    Ok((
        img.into_raw()
            .into_iter()
            .map(|b| b as f32 / 255.0)
            .collect(),
        h,
        w,
    ))
}

/// Lays out images in a grid (row-major, `cols` per row) with a 1-pixel white gap.
/// Returns `(values, height, width)`.
pub fn image_grid(images: &[&[f32]], h: usize, w: usize, cols: usize) -> (Vec<f32>, usize, usize) {
    let cols = cols.max(1).min(images.len().max(1));
    let rows = images.len().div_ceil(cols).max(1);
    let gh = rows * (h + 1) + 1;
    let gw = cols * (w + 1) + 1;
    let mut out = vec![1.0; gh * gw];
    for (k, img) in images.iter().enumerate() {
        let (r, c) = (k / cols, k % cols);
        for y in 0..h {
            let row = (r * (h + 1) + 1 + y) * gw + c * (w + 1) + 1;
            out[row..row + w].copy_from_slice(&img[y * w..(y + 1) * w]);
        }
    }
    (out, gh, gw)
}

/// A greyscale image through JPEG at `quality` (1–100): the decoded image, and the bytes of
/// its entropy-coded data — the headers (quantisation and Huffman tables, the same for every
/// image at one quality) left out, as a model's weights are left out of its codes' size.
pub fn jpeg_scan(
    values: &[f32],
    height: u32,
    width: u32,
    quality: u8,
) -> Result<(Vec<f32>, usize), Error> {
    use image::{ImageEncoder, codecs::jpeg::JpegEncoder};
    if values.len() != (height * width) as usize || !(1..=100).contains(&quality) {
        return Err(Error::invalid(format!(
            "JPEG of {} values as {height}×{width} at quality {quality}",
            values.len()
        )));
    }
    let px: Vec<u8> = values
        .iter()
        .map(|v| (v.clamp(0.0, 1.0) * 255.0).round() as u8)
        .collect();
    let mut bytes = Vec::new();
    JpegEncoder::new_with_quality(&mut bytes, quality)
        .write_image(&px, width, height, image::ExtendedColorType::L8)
        .map_err(|e| Error::invalid(format!("JPEG: {e}")))?;
    let scan = scan_bytes(&bytes).ok_or_else(|| Error::invalid("JPEG: no scan written"))?;
    let decoded = image::load_from_memory(&bytes)
        .map_err(|e| Error::invalid(format!("JPEG: {e}")))?
        .to_luma8();
    Ok((
        decoded.as_raw().iter().map(|&v| v as f32 / 255.0).collect(),
        scan,
    ))
}

/// Bytes of a baseline JPEG's entropy-coded scan: after the start-of-scan header, before the
/// end-of-image marker.
fn scan_bytes(jpeg: &[u8]) -> Option<usize> {
    let sos = jpeg.windows(2).position(|w| w == [0xFF, 0xDA])?;
    let len = u16::from_be_bytes([*jpeg.get(sos + 2)?, *jpeg.get(sos + 3)?]) as usize;
    jpeg.len().checked_sub(sos + 2 + len + 2)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn png_round_trip_and_resize() {
        let vals: Vec<f32> = (0..16).map(|v| v as f32 / 15.0).collect();
        let png = encode_png(&vals, 4, 4).unwrap();
        let back = decode_image("a.png", &png, 4, 4).unwrap();
        assert!(
            back.iter()
                .zip(&vals)
                .all(|(a, b)| (a - b).abs() < 1.0 / 255.0 + 1e-6)
        );
        assert_eq!(decode_image("a.png", &png, 2, 3).unwrap().len(), 6);
        let (d, changed) = images_dataset(
            "dir",
            &[
                ("a.png".into(), png.clone(), Some(1)),
                ("b.png".into(), png, Some(2)),
            ],
            2,
            4,
        )
        .unwrap();
        assert_eq!(d.len(), 2);
        assert_eq!(d.labels, Some(vec![1, 2]));
        // grey, resized to 2×4 from another shape: said
        assert_eq!(
            changed,
            ImageChanges {
                colour: 0,
                resized: 2,
                stretched: 2
            }
        );
        assert_eq!(
            changed.sentence(2, 4).unwrap(),
            "2 images resized to 2×4, 2 of them stretched to that shape (their sides were in another ratio)"
        );
    }

    #[test]
    fn refuses_non_images() {
        let err = decode_image("x.png", b"not an image", 4, 4)
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("x.png: not a readable"), "{err}");
        assert!(images_dataset("empty", &[], 4, 4).is_err());
    }

    #[test]
    fn grid_places_images_with_gaps() {
        let a = [0.0f32; 4];
        let (g, h, w) = image_grid(&[&a, &a, &a], 2, 2, 2);
        assert_eq!((h, w), (7, 7));
        assert_eq!(g[8], 0.0);
        assert_eq!(g[0], 1.0);
    }
}
