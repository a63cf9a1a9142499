//! The TopK code layer (Gao et al. 2024, "Scaling and evaluating sparse autoencoders"): of
//! each sample's code units, the K largest go through a ReLU and the rest are zeroed, so at
//! most K are active. On the engine the kept set is a mask built from a detached copy of the
//! units (Burn's `topk_with_indices` then a scatter): the gradient flows through the kept
//! units as through a ReLU and is zero for the others, which is the function's derivative
//! wherever it has one (away from ties at the K-th value). On the host the same set is chosen
//! with a partial sort per row.

use burn::tensor::{IndexingUpdateOp, Int, Tensor, activation};

use super::AeModule;

/// `relu(raw)` on each row's `k` largest units, zero elsewhere (`raw` is `[n, width]`).
pub(super) fn topk_code(raw: Tensor<2>, k: usize) -> Tensor<2> {
    let [n, width] = raw.dims();
    let k = k.min(width);
    if k == width {
        return activation::relu(raw);
    }
    let device = raw.device();
    let (_, kept): (Tensor<2>, Tensor<2, Int>) = raw.clone().detach().topk_with_indices(k, 1);
    let mask = Tensor::<2>::zeros([n, width], &device).scatter(
        1,
        kept,
        Tensor::ones([n, k], &device),
        IndexingUpdateOp::Add,
    );
    activation::relu(raw) * mask
}

/// The host's TopK on row-major rows of `width` values, in place: the same units as
/// [`topk_code`] (the `k` largest of each row, through a ReLU), the others set to zero.
pub(super) fn topk_rows(values: &mut [f32], width: usize, k: usize) {
    if width == 0 {
        return;
    }
    let k = k.min(width);
    let mut order: Vec<usize> = Vec::with_capacity(width);
    for row in values.chunks_exact_mut(width) {
        if k < width {
            order.clear();
            order.extend(0..width);
            // descending by value; NaN last (it is never among a finite row's largest)
            order.select_nth_unstable_by(k - 1, |&a, &b| row[b].total_cmp(&row[a]));
            for &j in &order[k..] {
                row[j] = 0.0;
            }
        }
        row.iter_mut().for_each(|v| *v = v.max(0.0));
    }
}

/// True for a one-layer dictionary (a dense `input → code` model): its decoder is one linear
/// layer whose rows are the code units' directions in the input space.
pub(super) fn is_dictionary(module: &AeModule) -> bool {
    module.enc_convs.is_empty() && module.dec_deconvs.is_empty() && module.dec_linears.len() == 1
}

/// Scales each code unit's decoder direction to unit length (Gao et al. keep them there, so
/// that a unit's activation, not its direction's length, says how much it contributes). The
/// weights stay leaves of the next step's graph.
pub(super) fn unit_norm_decoder(module: &mut AeModule) {
    let Some(decoder) = module.dec_linears.first_mut() else {
        return;
    };
    // Burn's layout: [code, input], a row per code unit
    decoder.weight = decoder.weight.clone().map(|w| {
        // computed off the graph (an op on a tracked tensor would make a non-leaf), then
        // tracked again as a fresh leaf where the model trains
        let tracked = w.is_autodiff();
        let w = w.without_autodiff();
        let norm = w.clone().powi_scalar(2).sum_dim(1).sqrt().clamp_min(1e-8);
        let w = w / norm;
        if tracked {
            w.autodiff().require_grad()
        } else {
            w
        }
    });
}

/// Starts a one-layer dictionary as Gao et al. do against dead units: the decoder's
/// directions at unit length and the encoder their transpose, so each unit first fires on
/// inputs along its own direction.
pub(super) fn start_dictionary(module: &mut AeModule) {
    unit_norm_decoder(module);
    let (Some(decoder), Some(encoder)) =
        (module.dec_linears.first(), module.enc_linears.first_mut())
    else {
        return;
    };
    let directions = decoder.weight.val();
    encoder.weight = encoder.weight.clone().map(|w| {
        let tracked = w.is_autodiff();
        let tied = directions.without_autodiff().transpose();
        if tracked {
            tied.autodiff().require_grad()
        } else {
            tied
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{rng::Rng, tensor::training_device};
    use burn::tensor::TensorData;

    fn host(t: Tensor<2>) -> Vec<f32> {
        t.into_data().try_into_vec::<f32>().unwrap()
    }

    #[test]
    fn keeps_exactly_k_units_per_row_on_the_engine_and_the_host_alike() {
        let (n, width, k) = (64, 200, 7);
        let mut rng = Rng::new(5);
        let raw: Vec<f32> = (0..n * width).map(|_| rng.normal() as f32 + 1.5).collect();
        let device = training_device();
        let engine = host(topk_code(
            Tensor::from_data(TensorData::new(raw.clone(), [n, width]), &device),
            k,
        ));
        let mut on_host = raw.clone();
        topk_rows(&mut on_host, width, k);
        assert_eq!(engine, on_host);
        for (r, row) in engine.chunks(width).enumerate() {
            // mostly positive inputs: exactly k active, and they are the row's largest
            assert_eq!(row.iter().filter(|v| **v > 0.0).count(), k, "row {r}");
            let least_kept = row
                .iter()
                .filter(|v| **v > 0.0)
                .fold(f32::MAX, |a, &b| a.min(b));
            let raw_row = &raw[r * width..(r + 1) * width];
            let dropped_max = raw_row
                .iter()
                .zip(row)
                .filter(|(_, z)| **z == 0.0)
                .fold(f32::MIN, |a, (&x, _)| a.max(x));
            assert!(
                least_kept >= dropped_max,
                "row {r}: a larger unit was dropped"
            );
        }
    }

    #[test]
    fn negative_winners_are_cut_by_the_relu() {
        let mut v = vec![-3.0, -1.0, -2.0, 0.5];
        topk_rows(&mut v, 4, 2);
        assert_eq!(v, vec![0.0, 0.0, 0.0, 0.5]);
    }

    #[test]
    fn the_gradient_matches_central_differences_where_it_is_defined() {
        // f(x) = Σ c ⊙ topk(x): away from ties at the K-th value its derivative is c on the
        // kept positive units and 0 elsewhere
        let (n, width, k) = (3, 12, 4);
        let mut rng = Rng::new(9);
        let x: Vec<f32> = (0..n * width)
            .map(|_| rng.uniform(-1.0, 2.0) as f32)
            .collect();
        let c: Vec<f32> = (0..n * width).map(|_| rng.normal() as f32).collect();
        let device = training_device();
        let f = |x: &[f32]| -> f64 {
            let mut z = x.to_vec();
            topk_rows(&mut z, width, k);
            z.iter()
                .zip(&c)
                .map(|(a, b)| (*a as f64) * (*b as f64))
                .sum()
        };
        let xt =
            Tensor::<2>::from_data(TensorData::new(x.clone(), [n, width]), &device).require_grad();
        let ct = Tensor::<2>::from_data(TensorData::new(c.clone(), [n, width]), &device);
        let grads = (topk_code(xt.clone(), k) * ct).sum().backward();
        let g = xt.grad(&grads).expect("a gradient for x");
        let g: Vec<f32> = g.into_data().try_into_vec().unwrap();
        let h = 1e-3f32;
        let mut checked = 0;
        for i in 0..x.len() {
            // skip units within h of the row's cut or of zero (the function has a kink there)
            let row = &x[i / width * width..(i / width + 1) * width];
            let mut sorted = row.to_vec();
            sorted.sort_by(|a, b| b.total_cmp(a));
            let cut = (sorted[k - 1] + sorted[k]) / 2.0;
            if (x[i] - cut).abs() < 4.0 * h || x[i].abs() < 4.0 * h {
                continue;
            }
            let (mut up, mut down) = (x.clone(), x.clone());
            up[i] += h;
            down[i] -= h;
            let numeric = (f(&up) - f(&down)) / (2.0 * h as f64);
            assert!(
                (numeric - g[i] as f64).abs() < 1e-3,
                "unit {i}: autodiff {} vs central difference {numeric}",
                g[i]
            );
            checked += 1;
        }
        assert!(checked > x.len() / 2, "only {checked} units checked");
    }

    #[test]
    fn a_dictionary_starts_tied_and_keeps_unit_decoder_directions_while_it_trains() {
        use crate::{
            architecture::{Architecture, Code},
            data::Dataset,
            glass::Activation,
            tensor::{
                Autoencoder, LossKind, Optimizer, TrainOptions, Trainer, initial_tensors,
                objective_for,
            },
            variant::{Sparsity, Variant},
        };
        let (width, units, k) = (20, 48, 5);
        let arch = Architecture::Dense {
            layers: vec![width, units],
            activation: Activation::Relu,
            output: Activation::Linear,
            activations: vec![],
            code: Code::TopK(k),
        };
        let device = training_device();
        let model =
            Autoencoder::from_tensors(&arch, &initial_tensors(&arch, 3).unwrap(), &device).unwrap();
        let opts = TrainOptions {
            variant: Variant::Sparse {
                penalty: Sparsity::TopK { k },
            },
            loss: LossKind::Mse,
            optimizer: Optimizer::adam(1e-2),
            batch_size: 16,
            epochs: 1,
            seed: 3,
        };
        let objective = objective_for(opts.variant, opts.loss, opts.seed, &model).unwrap();
        let mut rng = Rng::new(4);
        let values: Vec<f32> = (0..64 * width)
            .map(|_| rng.uniform(0.0, 1.0) as f32)
            .collect();
        let data = Dataset::new("random", width, values, None).unwrap();
        let mut trainer = Trainer::new(model, data.len(), &opts, objective).unwrap();
        let weights = |t: &Trainer| {
            let m = &t.model().module;
            (
                host(m.dec_linears[0].weight.val()),
                host(m.enc_linears[0].weight.val()),
            )
        };
        let norms = |dec: &[f32]| -> Vec<f32> {
            dec.chunks(width)
                .map(|r| r.iter().map(|v| v * v).sum::<f32>().sqrt())
                .collect()
        };
        let (dec, enc) = weights(&trainer);
        // the encoder [width, units] is the decoder [units, width] transposed
        for u in 0..units {
            for i in 0..width {
                assert_eq!(enc[i * units + u], dec[u * width + i]);
            }
        }
        for _ in 0..4 {
            trainer.step(&data).unwrap();
        }
        let (after, _) = weights(&trainer);
        assert_ne!(after, dec, "training moved the decoder");
        for (u, n) in norms(&after).into_iter().enumerate() {
            assert!((n - 1.0).abs() < 1e-5, "unit {u}: direction of length {n}");
        }
    }
}
