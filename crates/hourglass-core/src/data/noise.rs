//! Corruptions for denoising: Gaussian noise and masking, seeded, clamped to [0, 1].

use crate::rng::Rng;

/// Adds N(0, σ²) to every value and clamps to [0, 1].
pub fn gaussian_noise(values: &[f32], sigma: f32, seed: u64) -> Vec<f32> {
    let mut rng = Rng::new(seed);
    values
        .iter()
        .map(|&v| (v + sigma * rng.normal() as f32).clamp(0.0, 1.0))
        .collect()
}

/// Sets a random `fraction` of the values to 0.
pub fn mask_noise(values: &[f32], fraction: f64, seed: u64) -> Vec<f32> {
    let mut rng = Rng::new(seed);
    values
        .iter()
        .map(|&v| {
            if rng.uniform(0.0, 1.0) < fraction {
                0.0
            } else {
                v
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn noise_is_seeded_and_bounded() {
        let v = vec![0.5f32; 1000];
        let a = gaussian_noise(&v, 0.3, 1);
        assert_eq!(a, gaussian_noise(&v, 0.3, 1));
        assert!(a.iter().all(|x| (0.0..=1.0).contains(x)));
        let m = mask_noise(&v, 0.25, 2);
        let zeros = m.iter().filter(|&&x| x == 0.0).count();
        assert!((200..300).contains(&zeros), "{zeros}");
    }
}
