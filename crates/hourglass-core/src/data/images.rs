//! Your own images: PNG or JPEG files, resized to one size, in colour or grey.

use super::{Dataset, dataset::shape_words};
use crate::Error;

/// Which colour planes a folder's images are read into.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub enum ImageColour {
    /// Colour (3 channels) when any image has colour, else grey.
    #[default]
    AsTheyAre,
    /// One grey channel: colour images are made grey.
    Grey,
    /// Three channels: grey images get three equal ones.
    Colour,
}

impl ImageColour {
    /// The channels for images of which `any_colour` says whether one has colour.
    pub fn channels(self, any_colour: bool) -> usize {
        match self {
            ImageColour::Grey => 1,
            ImageColour::Colour => 3,
            ImageColour::AsTheyAre => {
                if any_colour {
                    3
                } else {
                    1
                }
            }
        }
    }
}

/// What making a folder's images fit one size changed, counted: said to the user.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct ImageChanges {
    /// Colour images made grey (when grey was asked for).
    pub colour: usize,
    /// Grey images given three equal channels (when the others have colour).
    pub grey: usize,
    /// Images of another size resized, and of them those stretched (another shape).
    pub resized: usize,
    pub stretched: usize,
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

impl ImageChanges {
    /// Counts an image of `from` (width, height) made `to`: resized, and stretched when its
    /// sides were in another ratio.
    pub fn sized(&mut self, (w0, h0): (u32, u32), (width, height): (u32, u32)) {
        if (w0, h0) != (width, height) {
            self.resized += 1;
            if u64::from(w0) * u64::from(height) != u64::from(h0) * u64::from(width) {
                self.stretched += 1;
            }
        }
    }

    /// Counts an image that has colour (or not) read into `channels`: colour made grey, or
    /// grey given three channels.
    pub fn planes(&mut self, colour: bool, channels: usize) {
        match (channels, colour) {
            (1, true) => self.colour += 1,
            (3, false) => self.grey += 1,
            _ => {}
        }
    }

    /// The changes in a sentence, or None when there were none.
    pub fn sentence(&self, height: u32, width: u32) -> Option<String> {
        let mut parts = Vec::new();
        if self.colour > 0 {
            parts.push(format!(
                "{} colour image{} made grey",
                self.colour,
                plural(self.colour)
            ));
        }
        if self.grey > 0 {
            parts.push(format!(
                "{} grey image{} given three equal colour channels (the others have colour)",
                self.grey,
                plural(self.grey)
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
                plural(self.resized)
            ));
        }
        (!parts.is_empty()).then(|| parts.join("; "))
    }
}

/// One image decoded and resized to `height × width`, as 8-bit red, green, blue, with
/// whether it had colour.
struct Decoded {
    rgb: image::RgbImage,
    colour: bool,
}

fn decode_rgb(
    name: &str,
    bytes: &[u8],
    height: u32,
    width: u32,
    seen: &mut ImageChanges,
) -> Result<Decoded, Error> {
    if height == 0 || width == 0 {
        return Err(Error::invalid(format!(
            "image size {height}×{width} has a zero side"
        )));
    }
    let img = image::load_from_memory(bytes)
        .map_err(|e| Error::format(name, format!("not a readable PNG or JPEG image ({e})")))?;
    let colour = img.color().has_color();
    let rgb = img.to_rgb8();
    let (w0, h0) = rgb.dimensions();
    seen.sized((w0, h0), (width, height));
    let rgb = if (w0, h0) == (width, height) {
        rgb
    } else {
        image::imageops::resize(&rgb, width, height, image::imageops::FilterType::Triangle)
    };
    Ok(Decoded { rgb, colour })
}

/// The image's values in [0, 1]: one grey plane, or red, green and blue planes (C×H×W).
fn planes(d: Decoded, channels: usize, seen: &mut ImageChanges, out: &mut Vec<f32>) {
    seen.planes(d.colour, channels);
    if channels == 1 {
        // the image crate's own luma (Rec. 709 weights): a grey image's value unchanged
        let grey = image::DynamicImage::ImageRgb8(d.rgb).to_luma8();
        out.extend(grey.as_raw().iter().map(|&b| b as f32 / 255.0));
    } else {
        for c in 0..3 {
            out.extend(d.rgb.pixels().map(|p| p.0[c] as f32 / 255.0));
        }
    }
}

/// Decodes one image to `height × width` greyscale values in [0, 1].
pub fn decode_image(name: &str, bytes: &[u8], height: u32, width: u32) -> Result<Vec<f32>, Error> {
    decode_image_as(name, bytes, 1, height, width)
}

/// Decodes one image to `channels` planes (1 grey, 3 colour) of `height × width` values in
/// [0, 1], channel-first.
pub fn decode_image_as(
    name: &str,
    bytes: &[u8],
    channels: usize,
    height: u32,
    width: u32,
) -> Result<Vec<f32>, Error> {
    let mut seen = ImageChanges::default();
    let d = decode_rgb(name, bytes, height, width, &mut seen)?;
    let mut out = Vec::with_capacity(channels * (height * width) as usize);
    planes(d, channels, &mut seen, &mut out);
    Ok(out)
}

/// Builds a dataset from images given as `(file name, bytes, label)`, in that order, with
/// what making them fit changed: colour as `colour` says.
pub fn images_dataset(
    name: &str,
    files: &[(String, Vec<u8>, Option<u32>)],
    height: u32,
    width: u32,
    colour: ImageColour,
) -> Result<(Dataset, ImageChanges), Error> {
    if files.is_empty() {
        return Err(Error::format(name, "no PNG or JPEG images found"));
    }
    let mut seen = ImageChanges::default();
    // 8-bit at the final size first (3 bytes a pixel, under one f32 plane), so a folder is
    // decoded once, whichever channels it ends with
    let mut decoded = Vec::with_capacity(files.len());
    for (file, bytes, _) in files {
        decoded.push(decode_rgb(file, bytes, height, width, &mut seen)?);
    }
    let channels = colour.channels(decoded.iter().any(|d| d.colour));
    let features = channels * (height * width) as usize;
    let mut values = Vec::with_capacity(files.len() * features);
    for d in decoded {
        planes(d, channels, &mut seen, &mut values);
    }
    let labels = if files.iter().all(|f| f.2.is_some()) {
        Some(files.iter().map(|f| f.2.expect("checked")).collect())
    } else {
        None
    };
    let data = Dataset::new(name, features, values, labels)?.with_images(
        channels,
        height as usize,
        width as usize,
    )?;
    Ok((data, seen))
}

/// Encodes `height × width` greyscale values in [0, 1] as a PNG.
pub fn encode_png(values: &[f32], height: u32, width: u32) -> Result<Vec<u8>, Error> {
    encode_image_png(values, 1, height, width)
}

/// Encodes an image of `channels` planes (1 grey, 3 colour; C×H×W) in [0, 1] as a PNG.
pub fn encode_image_png(
    values: &[f32],
    channels: usize,
    height: u32,
    width: u32,
) -> Result<Vec<u8>, Error> {
    let plane = (height * width) as usize;
    let wrong = || {
        Error::invalid(format!(
            "{} values do not make a {} image",
            values.len(),
            shape_words(channels, height as usize, width as usize)
        ))
    };
    if !matches!(channels, 1 | 3) || values.len() != channels * plane {
        return Err(wrong());
    }
    let byte = |v: f32| (v.clamp(0.0, 1.0) * 255.0).round() as u8;
    let img: image::DynamicImage = if channels == 1 {
        image::GrayImage::from_raw(width, height, values.iter().map(|&v| byte(v)).collect())
            .ok_or_else(wrong)?
            .into()
    } else {
        // channel-first planes interleaved into pixels
        let px = (0..plane)
            .flat_map(|i| (0..3).map(move |c| byte(values[c * plane + i])))
            .collect();
        image::RgbImage::from_raw(width, height, px)
            .ok_or_else(wrong)?
            .into()
    };
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

/// Lays out images of `channels` planes (C×H×W) in a grid (row-major, `cols` per row) with
/// a 1-pixel white gap. Returns `(values, height, width)`, the grid channel-first too.
pub fn image_grid(
    images: &[&[f32]],
    channels: usize,
    h: usize,
    w: usize,
    cols: usize,
) -> (Vec<f32>, usize, usize) {
    let cols = cols.max(1).min(images.len().max(1));
    let rows = images.len().div_ceil(cols).max(1);
    let gh = rows * (h + 1) + 1;
    let gw = cols * (w + 1) + 1;
    let mut out = vec![1.0; channels * gh * gw];
    for (k, img) in images.iter().enumerate() {
        let (r, c) = (k / cols, k % cols);
        for ch in 0..channels {
            for y in 0..h {
                let row = ch * gh * gw + (r * (h + 1) + 1 + y) * gw + c * (w + 1) + 1;
                let from = (ch * h + y) * w;
                out[row..row + w].copy_from_slice(&img[from..from + w]);
            }
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
            ImageColour::AsTheyAre,
        )
        .unwrap();
        assert_eq!(d.len(), 2);
        assert_eq!(d.channels, 1);
        assert_eq!(d.labels, Some(vec![1, 2]));
        // grey, resized to 2×4 from another shape: said
        assert_eq!(
            changed,
            ImageChanges {
                colour: 0,
                grey: 0,
                resized: 2,
                stretched: 2
            }
        );
        assert_eq!(
            changed.sentence(2, 4).unwrap(),
            "2 images resized to 2×4, 2 of them stretched to that shape (their sides were in another ratio)"
        );
    }

    /// A 2×3 colour image: red rises along x, green along y, blue constant.
    fn colour_png() -> (Vec<f32>, Vec<u8>) {
        let (h, w) = (2, 3);
        let mut v = vec![0f32; 3 * h * w];
        for y in 0..h {
            for x in 0..w {
                v[y * w + x] = x as f32 / 2.0;
                v[h * w + y * w + x] = y as f32;
                v[2 * h * w + y * w + x] = 0.2;
            }
        }
        let png = encode_image_png(&v, 3, h as u32, w as u32).unwrap();
        (v, png)
    }

    #[test]
    fn colour_images_keep_their_channels_channel_first() {
        let (v, png) = colour_png();
        let back = decode_image_as("c.png", &png, 3, 2, 3).unwrap();
        assert_eq!(back.len(), 18);
        assert!(
            back.iter()
                .zip(&v)
                .all(|(a, b)| (a - b).abs() <= 0.5 / 255.0 + 1e-6)
        );
        // a colour and a grey image: colour, the grey one given three equal planes
        let grey = encode_png(&[0.25; 6], 2, 3).unwrap();
        let files = [
            ("c.png".to_string(), png.clone(), None),
            ("g.png".to_string(), grey.clone(), None),
        ];
        let (d, seen) = images_dataset("mixed", &files, 2, 3, ImageColour::AsTheyAre).unwrap();
        assert_eq!(
            (d.channels, d.features, d.image_dims()),
            (3, 18, Some([3, 2, 3]))
        );
        assert_eq!((seen.grey, seen.colour), (1, 0));
        let g = d.sample(1);
        assert!(g.iter().all(|&x| (x - 64.0 / 255.0).abs() < 1e-6), "{g:?}");
        assert!(
            seen.sentence(2, 3)
                .unwrap()
                .contains("1 grey image given three equal")
        );
        // grey asked for: one plane, the colour image made grey and said
        let (d, seen) = images_dataset("mixed", &files, 2, 3, ImageColour::Grey).unwrap();
        assert_eq!((d.channels, d.features), (1, 6));
        assert_eq!(seen.colour, 1);
        assert_eq!(d.sample(1), &[64.0 / 255.0; 6]);
        // only grey images read as they are stay grey
        let (d, _) = images_dataset("g", &files[1..], 2, 3, ImageColour::AsTheyAre).unwrap();
        assert_eq!(d.channels, 1);
        // a colour PNG of the wrong number of values is refused, naming the shape
        let e = encode_image_png(&v[..17], 3, 2, 3).unwrap_err().to_string();
        assert!(e.contains("2×3×3"), "{e}");
    }

    #[test]
    fn colour_grid_keeps_planes_apart() {
        let (v, _) = colour_png();
        let (g, gh, gw) = image_grid(&[&v, &v], 3, 2, 3, 2);
        assert_eq!((gh, gw), (4, 9));
        assert_eq!(g.len(), 3 * 4 * 9);
        // the second image's top-right pixel in each plane
        let at = |c: usize, y: usize, x: usize| g[c * gh * gw + y * gw + x];
        assert_eq!((at(0, 1, 7), at(1, 1, 7), at(2, 1, 7)), (1.0, 0.0, 0.2));
        assert_eq!(at(1, 2, 5), 1.0);
        assert_eq!(at(0, 0, 0), 1.0);
    }

    #[test]
    fn refuses_non_images() {
        let err = decode_image("x.png", b"not an image", 4, 4)
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("x.png: not a readable"), "{err}");
        assert!(images_dataset("empty", &[], 4, 4, ImageColour::AsTheyAre).is_err());
    }

    #[test]
    fn grid_places_images_with_gaps() {
        let a = [0.0f32; 4];
        let (g, h, w) = image_grid(&[&a, &a, &a], 1, 2, 2, 2);
        assert_eq!((h, w), (7, 7));
        assert_eq!(g[8], 0.0);
        assert_eq!(g[0], 1.0);
    }
}
