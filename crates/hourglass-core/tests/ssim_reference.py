"""Records the scikit-image SSIM values that src/metrics/ssim.rs is tested against.

Run: python ssim_reference.py   (needs numpy and scikit-image)
The images are built with the same float32 formulas as `test_images` in ssim.rs.
"""
import numpy as np
from skimage.metrics import structural_similarity


def test_images(h, w):
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    base = np.float32(0.5) + np.float32(0.4) * (np.sin(x * np.float32(0.3)) * np.cos(y * np.float32(0.2)))
    b = np.clip(base + np.float32(0.1) * np.sin(x * np.float32(1.7) + y * np.float32(2.3)), 0, 1)
    c = ((x + 2 * y) % 7) / np.float32(6)
    return base.astype(np.float64), b.astype(np.float64), c.astype(np.float64)


def skimage_ssim(a, b):
    return structural_similarity(a, b, gaussian_weights=True, sigma=1.5,
                                 use_sample_covariance=False, data_range=1)


a, b, c = test_images(28, 28)
print("SKIMAGE_AB", repr(skimage_ssim(a, b)))
print("SKIMAGE_AC", repr(skimage_ssim(a, c)))
a, b, _ = test_images(20, 33)
print("SKIMAGE_AB_20X33", repr(skimage_ssim(a, b)))

# The CLI test (crates/hourglass-cli/tests/cli.rs) writes a and b at 28×28 as 8-bit PNGs:
# values round(v * 255) / 255.
a, b, _ = test_images(28, 28)
qa = np.round(a.astype(np.float32) * 255) / 255
qb = np.round(b.astype(np.float32) * 255) / 255
print("SKIMAGE_AB_PNG", repr(skimage_ssim(qa.astype(np.float64), qb.astype(np.float64))))

# Colour (issue 31): three channels, channel-last here, channel-first in ssim.rs's test.
from skimage.metrics import peak_signal_noise_ratio
a, b, c = test_images(28, 28)
x = np.stack([a, b, c], axis=-1)
y = np.stack([b, c, a], axis=-1)
print("SKIMAGE_RGB", repr(structural_similarity(x, y, channel_axis=-1, gaussian_weights=True, sigma=1.5,
                                                use_sample_covariance=False, data_range=1)))
print("SKIMAGE_RGB_PSNR", repr(peak_signal_noise_ratio(x, y, data_range=1)))
