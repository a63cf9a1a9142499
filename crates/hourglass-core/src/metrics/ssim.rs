//! Structural similarity (Wang et al. 2004), computed exactly as scikit-image's
//! `structural_similarity(a, b, gaussian_weights=True, sigma=1.5,
//! use_sample_covariance=False, data_range=1)`: an 11×11 Gaussian window (σ = 1.5,
//! truncated at 3.5σ), K1 = 0.01, K2 = 0.03, population covariance, and the mean of the SSIM
//! map after cropping the 5-pixel border the window cannot fill.

use crate::Error;

const SIGMA: f64 = 1.5;
const RADIUS: usize = 5; // int(3.5 * 1.5 + 0.5)
const K1: f64 = 0.01;
const K2: f64 = 0.03;

fn kernel() -> [f64; 2 * RADIUS + 1] {
    let mut k = [0.0; 2 * RADIUS + 1];
    for (i, v) in k.iter_mut().enumerate() {
        let x = i as f64 - RADIUS as f64;
        *v = (-x * x / (2.0 * SIGMA * SIGMA)).exp();
    }
    let s: f64 = k.iter().sum();
    k.iter_mut().for_each(|v| *v /= s);
    k
}

/// Mean SSIM of two `h × w` greyscale images with values in [0, 1].
///
/// The five Gaussian-filtered maps (x, y, x², y², xy) are made in one separable pass each
/// way, evaluated only where the whole window fits (the cropped region), with one scratch
/// buffer: the Model Studio scores every validation image each epoch, and five filters with
/// their own buffers cost more than the model's forward pass. The products and sums are in
/// the same order as filtering each map on its own, so the result is the same to the bit.
pub fn ssim(a: &[f32], b: &[f32], h: usize, w: usize) -> Result<f64, Error> {
    if a.len() != h * w || b.len() != h * w {
        return Err(Error::invalid(format!(
            "SSIM needs two {h}×{w} images, got {} and {} values",
            a.len(),
            b.len()
        )));
    }
    if h < 2 * RADIUS + 1 || w < 2 * RADIUS + 1 {
        return Err(Error::invalid(format!(
            "SSIM needs images of at least 11×11, got {h}×{w}"
        )));
    }
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU has AVX2 (checked at run time just above).
        return Ok(unsafe { avx2::mean_ssim(a, b, h, w) });
    }
    Ok(mean_ssim(a, b, h, w))
}

/// Mean SSIM of two images of `channels` planes of `h × w` (channel-first, C×H×W, as the
/// conv models take them): each channel's SSIM, averaged — as scikit-image's
/// `structural_similarity(…, channel_axis=-1)` scores a colour image. One channel is [`ssim`].
pub fn ssim_channels(
    a: &[f32],
    b: &[f32],
    channels: usize,
    h: usize,
    w: usize,
) -> Result<f64, Error> {
    let plane = h * w;
    if channels == 0 || a.len() != channels * plane || b.len() != channels * plane {
        return Err(Error::invalid(format!(
            "SSIM needs two {channels}×{h}×{w} images, got {} and {} values",
            a.len(),
            b.len()
        )));
    }
    let mut total = 0.0;
    for (pa, pb) in a.chunks(plane).zip(b.chunks(plane)) {
        total += ssim(pa, pb, h, w)?;
    }
    Ok(total / channels as f64)
}

#[cfg(target_arch = "x86_64")]
mod avx2 {
    /// The same loops compiled 4-wide for f64 (no FMA: the results are the portable ones).
    #[target_feature(enable = "avx2")]
    pub(super) fn mean_ssim(a: &[f32], b: &[f32], h: usize, w: usize) -> f64 {
        super::mean_ssim(a, b, h, w)
    }
}

/// [`ssim`] of checked inputs. Each filtered value adds its 11 taps in order, as a filter of
/// one map would; the loops run along a row innermost (each map in its own plane) so they
/// vectorize without changing any sum's order.
#[inline(always)]
fn mean_ssim(a: &[f32], b: &[f32], h: usize, w: usize) -> f64 {
    let k = kernel();
    let (oh, ow) = (h - 2 * RADIUS, w - 2 * RADIUS);
    // horizontal pass on all rows: [x, y, x², y², xy] filtered along each row, one plane each
    let mut rows = vec![0.0f64; 5 * h * ow];
    let (rx, rest) = rows.split_at_mut(h * ow);
    let (ry, rest) = rest.split_at_mut(h * ow);
    let (rxx, rest) = rest.split_at_mut(h * ow);
    let (ryy, rxy) = rest.split_at_mut(h * ow);
    for yy in 0..h {
        let o = yy * ow..(yy + 1) * ow;
        let (sx, sy, sxx, syy, sxy) = (
            &mut rx[o.clone()],
            &mut ry[o.clone()],
            &mut rxx[o.clone()],
            &mut ryy[o.clone()],
            &mut rxy[o],
        );
        for (i, &kv) in k.iter().enumerate() {
            let (ra, rb) = (&a[yy * w + i..][..ow], &b[yy * w + i..][..ow]);
            let planes = sx.iter_mut().zip(sy.iter_mut()).zip(sxx.iter_mut());
            let planes = planes.zip(syy.iter_mut()).zip(sxy.iter_mut());
            for (((((sx, sy), sxx), syy), sxy), (&u, &v)) in planes.zip(ra.iter().zip(rb)) {
                let (u, v) = (u as f64, v as f64);
                *sx += kv * u;
                *sy += kv * v;
                *sxx += kv * (u * u);
                *syy += kv * (v * v);
                *sxy += kv * (u * v);
            }
        }
    }
    // vertical pass and the SSIM of each window
    let (c1, c2) = (K1 * K1, K2 * K2);
    let mut m = vec![0.0f64; 5 * ow];
    let mut total = 0.0f64;
    for yy in 0..oh {
        m.fill(0.0);
        let (mx, rest) = m.split_at_mut(ow);
        let (my, rest) = rest.split_at_mut(ow);
        let (mxx, rest) = rest.split_at_mut(ow);
        let (myy, mxy) = rest.split_at_mut(ow);
        for (i, &kv) in k.iter().enumerate() {
            let r = (yy + i) * ow..(yy + i + 1) * ow;
            let (px, py, pxx, pyy, pxy) = (
                &rx[r.clone()],
                &ry[r.clone()],
                &rxx[r.clone()],
                &ryy[r.clone()],
                &rxy[r],
            );
            for (m, p) in [
                (&mut *mx, px),
                (&mut *my, py),
                (&mut *mxx, pxx),
                (&mut *myy, pyy),
                (&mut *mxy, pxy),
            ] {
                m.iter_mut().zip(p).for_each(|(m, p)| *m += kv * p);
            }
        }
        for xx in 0..ow {
            let (ux, uy) = (mx[xx], my[xx]);
            let vx = mxx[xx] - ux * ux;
            let vy = myy[xx] - uy * uy;
            let vxy = mxy[xx] - ux * uy;
            total += ((2.0 * ux * uy + c1) * (2.0 * vxy + c2))
                / ((ux * ux + uy * uy + c1) * (vx + vy + c2));
        }
    }
    total / (oh * ow) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Deterministic test images (the same formulas are in tests/ssim_reference.py).
    pub(crate) fn test_images(h: usize, w: usize) -> (Vec<f32>, Vec<f32>, Vec<f32>) {
        let mut a = vec![0.0f32; h * w];
        let mut b = vec![0.0f32; h * w];
        let mut c = vec![0.0f32; h * w];
        for yy in 0..h {
            for xx in 0..w {
                let (y, x) = (yy as f32, xx as f32);
                let base = 0.5 + 0.4 * ((x * 0.3).sin() * (y * 0.2).cos());
                a[yy * w + xx] = base;
                b[yy * w + xx] = (base + 0.1 * ((x * 1.7 + y * 2.3).sin())).clamp(0.0, 1.0);
                c[yy * w + xx] = ((x + 2.0 * y) % 7.0) / 6.0;
            }
        }
        (a, b, c)
    }

    #[test]
    fn identical_images_have_ssim_one() {
        let (a, _, _) = test_images(28, 28);
        assert!((ssim(&a, &a, 28, 28).unwrap() - 1.0).abs() < 1e-12);
    }

    #[test]
    fn equals_scikit_image() {
        // Recorded with scikit-image 0.26.0, SciPy 1.17.1 (tests/ssim_reference.py):
        // structural_similarity(a, b, gaussian_weights=True, sigma=1.5,
        //                       use_sample_covariance=False, data_range=1)
        let (a, b, c) = test_images(28, 28);
        let cases = [
            (ssim(&a, &b, 28, 28).unwrap(), SKIMAGE_AB),
            (ssim(&a, &c, 28, 28).unwrap(), SKIMAGE_AC),
        ];
        for (ours, theirs) in cases {
            assert!(
                (ours - theirs).abs() < 1e-4,
                "ours {ours}, scikit-image {theirs}"
            );
        }
        let (a, b, _) = test_images(20, 33);
        let ours = ssim(&a, &b, 20, 33).unwrap();
        assert!(
            (ours - SKIMAGE_AB_20X33).abs() < 1e-4,
            "ours {ours}, scikit-image {SKIMAGE_AB_20X33}"
        );
    }

    #[test]
    fn colour_ssim_and_psnr_equal_scikit_image() {
        // channel-first here, channel-last (H×W×3) in scikit-image: the same pixels
        let (a, b, c) = test_images(28, 28);
        let x: Vec<f32> = [a.as_slice(), &b, &c].concat();
        let y: Vec<f32> = [b.as_slice(), &c, &a].concat();
        let ours = ssim_channels(&x, &y, 3, 28, 28).unwrap();
        assert!(
            (ours - SKIMAGE_RGB).abs() < 1e-4,
            "ours {ours}, scikit-image {SKIMAGE_RGB}"
        );
        let psnr = crate::metrics::psnr(&x, &y);
        assert!(
            (psnr - SKIMAGE_RGB_PSNR).abs() < 1e-4,
            "ours {psnr}, scikit-image {SKIMAGE_RGB_PSNR}"
        );
        assert_eq!(
            ssim_channels(&a, &b, 1, 28, 28).unwrap(),
            ssim(&a, &b, 28, 28).unwrap()
        );
        let e = ssim_channels(&x, &y[..100], 3, 28, 28)
            .unwrap_err()
            .to_string();
        assert!(e.contains("3×28×28"), "{e}");
    }

    /// SSIM the plain way: each of the five maps filtered on its own (the way this file
    /// computed it before the fused pass).
    fn one_map_at_a_time(a: &[f32], b: &[f32], h: usize, w: usize) -> f64 {
        let k = kernel();
        let (oh, ow) = (h - 2 * RADIUS, w - 2 * RADIUS);
        let filter = |img: &[f64]| -> Vec<f64> {
            let mut tmp = vec![0.0; h * ow];
            for y in 0..h {
                for x in 0..ow {
                    tmp[y * ow + x] = k
                        .iter()
                        .enumerate()
                        .map(|(i, kv)| kv * img[y * w + x + i])
                        .sum();
                }
            }
            let mut out = vec![0.0; oh * ow];
            for y in 0..oh {
                for x in 0..ow {
                    out[y * ow + x] = k
                        .iter()
                        .enumerate()
                        .map(|(i, kv)| kv * tmp[(y + i) * ow + x])
                        .sum();
                }
            }
            out
        };
        let x: Vec<f64> = a.iter().map(|&v| v as f64).collect();
        let y: Vec<f64> = b.iter().map(|&v| v as f64).collect();
        let prod =
            |p: &[f64], q: &[f64]| -> Vec<f64> { p.iter().zip(q).map(|(u, v)| u * v).collect() };
        let (ux, uy) = (filter(&x), filter(&y));
        let (uxx, uyy, uxy) = (
            filter(&prod(&x, &x)),
            filter(&prod(&y, &y)),
            filter(&prod(&x, &y)),
        );
        let (c1, c2) = (K1 * K1, K2 * K2);
        let total: f64 = (0..ux.len())
            .map(|i| {
                let vx = uxx[i] - ux[i] * ux[i];
                let vy = uyy[i] - uy[i] * uy[i];
                let vxy = uxy[i] - ux[i] * uy[i];
                ((2.0 * ux[i] * uy[i] + c1) * (2.0 * vxy + c2))
                    / ((ux[i] * ux[i] + uy[i] * uy[i] + c1) * (vx + vy + c2))
            })
            .sum();
        total / ux.len() as f64
    }

    #[test]
    fn the_fused_pass_equals_filtering_each_map_on_its_own() {
        for (h, w) in [(28, 28), (20, 33), (11, 11)] {
            let (a, b, c) = test_images(h, w);
            for (p, q) in [(&a, &b), (&a, &c), (&c, &b), (&a, &a)] {
                let reference = one_map_at_a_time(p, q, h, w);
                assert_eq!(ssim(p, q, h, w).unwrap(), reference, "{h}×{w}");
                // the portable loops too (ssim takes the AVX2 ones where the CPU has them)
                assert_eq!(mean_ssim(p, q, h, w), reference, "{h}×{w}");
            }
        }
    }

    #[test]
    fn refuses_bad_sizes() {
        assert!(ssim(&[0.0; 4], &[0.0; 4], 2, 2).is_err());
        assert!(ssim(&[0.0; 121], &[0.0; 120], 11, 11).is_err());
    }

    const SKIMAGE_AB: f64 = 0.7775084775138627;
    const SKIMAGE_AC: f64 = 0.007044749826872161;
    const SKIMAGE_AB_20X33: f64 = 0.7671425863069516;
    // the colour pair: structural_similarity(…, channel_axis=-1) and peak_signal_noise_ratio
    const SKIMAGE_RGB: f64 = 0.26422485544569024;
    const SKIMAGE_RGB_PSNR: f64 = 9.892945236475274;
}
