//! A dense layer `act(x · W + b)` as one custom op, through Burn's backend extension API.
//!
//! Why: Burn builds a `Linear` layer and its ReLU from separate tensor ops, each a pass over
//! a fresh buffer (matrix product, broadcast bias add, ReLU; in the backward pass the ReLU
//! mask, a multiply, a sum for the bias gradient and two products through transposed
//! views), most of them on one thread. This op does the forward pass as one product into a
//! buffer that already holds the bias, then the activation in place; the backward pass as
//! one in-place pass for ∂L/∂z, two products and a column sum, skipping the input gradient
//! when nothing needs it (the first layer's input is data). Products go through the `gemm`
//! crate on all cores, elementwise passes through rayon.

use burn::{
    backend::{
        Autodiff, Backend, Dispatch, Flex, autodiff::checkpoint::strategy::CheckpointStrategy,
        backend_extension, flex::FlexTensor, tensor::FloatTensor,
    },
    tensor::{DType, Tensor},
};
use rayon::prelude::*;

use gemm::Parallelism;

use super::host::{
    check_f32, mat, matmul_parallel, matmul_with, owned, parallelism, tensor, values, with_autodiff,
};

/// The activations the dense op applies itself; others follow it as separate ops.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum DenseActivation {
    Linear,
    Relu,
    /// Leaky ReLU with this slope for negative inputs.
    LeakyRelu(f32),
}

impl DenseActivation {
    #[inline(always)]
    pub(super) fn apply(self, z: f32) -> f32 {
        match self {
            DenseActivation::Linear => z,
            // a comparison, not `f32::max` (which is a libm call in WebAssembly); NaN → 0 as
            // `max` gives
            DenseActivation::Relu => {
                if z > 0.0 {
                    z
                } else {
                    0.0
                }
            }
            DenseActivation::LeakyRelu(s) => {
                if z > 0.0 {
                    z
                } else {
                    z * s
                }
            }
        }
    }

    /// [`Self::apply`] to every value, the kind matched once so each loop vectorizes.
    pub(super) fn apply_all(self, values: &mut [f32]) {
        let each = |a: DenseActivation, values: &mut [f32]| {
            values.iter_mut().for_each(|v| *v = a.apply(*v));
        };
        match self {
            DenseActivation::Linear => {}
            DenseActivation::Relu => each(DenseActivation::Relu, values),
            DenseActivation::LeakyRelu(s) => each(DenseActivation::LeakyRelu(s), values),
        }
    }

    /// `grad[i] *= slope(y[i])`, the kind matched once as in [`Self::apply_all`].
    pub(super) fn scale_by_slope(self, grad: &mut [f32], y: &[f32]) {
        let each = |a: DenseActivation, grad: &mut [f32]| {
            grad.iter_mut().zip(y).for_each(|(d, &y)| *d *= a.slope(y));
        };
        match self {
            DenseActivation::Linear => {}
            DenseActivation::Relu => each(DenseActivation::Relu, grad),
            DenseActivation::LeakyRelu(s) => each(DenseActivation::LeakyRelu(s), grad),
        }
    }

    /// The activation through Burn's own ops (for dtypes the custom ops do not take).
    pub(super) fn on<const D: usize>(self, z: Tensor<D>) -> Tensor<D> {
        match self {
            DenseActivation::Linear => z,
            DenseActivation::Relu => burn::tensor::activation::relu(z),
            DenseActivation::LeakyRelu(s) => burn::tensor::activation::leaky_relu(z, s as f64),
        }
    }

    /// ∂y/∂z from the output y (the same sign as z for all three).
    #[inline(always)]
    pub(super) fn slope(self, y: f32) -> f32 {
        match self {
            DenseActivation::Linear => 1.0,
            DenseActivation::Relu => {
                if y > 0.0 {
                    1.0
                } else {
                    0.0
                }
            }
            DenseActivation::LeakyRelu(s) => {
                if y > 0.0 {
                    1.0
                } else {
                    s
                }
            }
        }
    }
}

/// The gradient before an activation, `grad · act'(z)`, from the op's saved output `y`
/// (none needed for a linear one), in the gradient's own buffer when it is not shared: the
/// backward pass of the dense and conv ops.
pub(super) fn before_activation(
    a: DenseActivation,
    y: Option<&FlexTensor>,
    grad: FlexTensor,
) -> FlexTensor {
    let Some(y) = y.filter(|_| a != DenseActivation::Linear) else {
        return grad;
    };
    let mut dz = owned(grad);
    let n = dz.layout().num_elements();
    let y = values(y);
    dz.storage_mut::<f32>()[..n]
        .par_chunks_mut(16 * 1024)
        .zip(y.par_chunks(16 * 1024))
        .for_each(|(d, y)| a.scale_by_slope(d, y));
    dz
}

/// The extension: one op, on Flex and on Autodiff over Flex. Tensors are f32.
#[backend_extension(Flex, Autodiff)]
pub trait FastDense: Backend {
    /// `x [n, i]`, `weight [i, o]` (Burn's `Linear` layout), `bias [o]` → `act(x·W + b) [n, o]`.
    fn fast_dense(
        x: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        bias: FloatTensor<Self>,
        activation: DenseActivation,
    ) -> FloatTensor<Self>;
}

/// Rows per parallel task in the elementwise passes.
const ROWS_PER_TASK: usize = 16;

fn dims2(t: &FlexTensor) -> [usize; 2] {
    let s = t.layout().shape();
    assert_eq!(
        s.num_dims(),
        2,
        "a dense layer takes 2-D tensors, got {s:?}"
    );
    [s[0], s[1]]
}

fn forward(
    x: &FlexTensor,
    weight: &FlexTensor,
    bias: &FlexTensor,
    a: DenseActivation,
) -> FlexTensor {
    check_f32(&[x, weight, bias]);
    let [n, i] = dims2(x);
    let [wi, o] = dims2(weight);
    assert!(
        wi == i && bias.layout().num_elements() == o,
        "dense: weight [{wi}, {o}] does not fit input [{n}, {i}]"
    );
    let (xv, wv, bv) = (values(x), values(weight), values(bias));
    // every row starts as the bias (written once, not zeroed first)
    let mut y = Vec::with_capacity(n * o);
    for _ in 0..n {
        y.extend_from_slice(&bv[..o]);
    }
    matmul_parallel(n, o, i, &mut y, true, mat(&xv, i, 1), mat(&wv, o, 1));
    if a != DenseActivation::Linear {
        y.par_chunks_mut(o.max(1) * ROWS_PER_TASK)
            .for_each(|c| a.apply_all(c));
    }
    tensor(y, [n, o])
}

/// What the forward pass keeps for the backward pass.
#[derive(Clone, Debug)]
struct DenseState {
    x: FlexTensor,
    weight: FlexTensor,
    /// The layer's output (its sign gives the activation's slope); not kept for a linear
    /// layer, so the next op may reuse the output's buffer in place.
    y: Option<FlexTensor>,
    a: DenseActivation,
}

/// `[dx, dweight, dbias]`, each only where `want` asks.
fn backward(s: &DenseState, grad: FlexTensor, want: [bool; 3]) -> [Option<FlexTensor>; 3] {
    let [n, i] = dims2(&s.x);
    let o = dims2(&s.weight)[1];
    // ∂L/∂z = ∂L/∂y · act'(z)
    let dz = before_activation(s.a, s.y.as_ref(), grad);
    let dz = values(&dz);
    let dz: &[f32] = &dz[..n * o];
    // With both products to do, each runs whole on one core, side by side (one fork instead
    // of two, and no product split in two); a lone product is split across the cores.
    let both = want[0] && want[1];
    let split = if both {
        Parallelism::None
    } else {
        parallelism(n * i * o)
    };
    let input_grad = || {
        // dx [n, i] = dz [n, o] · Wᵀ [o, i]
        let wv = values(&s.weight);
        let mut dx = vec![0.0f32; n * i];
        matmul_with(
            n,
            i,
            o,
            &mut dx,
            false,
            mat(dz, o, 1),
            mat(&wv, 1, o),
            split,
        );
        tensor(dx, [n, i])
    };
    let weight_grads = || {
        // dW [i, o] = xᵀ [i, n] · dz [n, o]
        let dw = want[1].then(|| {
            let xv = values(&s.x);
            let mut dw = vec![0.0f32; i * o];
            matmul_with(
                i,
                o,
                n,
                &mut dw,
                false,
                mat(&xv, 1, i),
                mat(dz, o, 1),
                split,
            );
            tensor(dw, [i, o])
        });
        let db = want[2].then(|| {
            let mut db = vec![0.0f32; o];
            for row in dz.chunks_exact(o.max(1)) {
                db.iter_mut().zip(row).for_each(|(b, d)| *b += d);
            }
            tensor(db, [o])
        });
        (dw, db)
    };
    let (dx, (dw, db)) = if both {
        let (dx, w) = rayon::join(input_grad, weight_grads);
        (Some(dx), w)
    } else {
        (want[0].then(input_grad), weight_grads())
    };
    [dx, dw, db]
}

impl FastDense for Flex {
    fn fast_dense(
        x: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        bias: FloatTensor<Self>,
        activation: DenseActivation,
    ) -> FloatTensor<Self> {
        forward(&x, &weight, &bias, activation)
    }
}

impl<C: CheckpointStrategy> FastDense for Autodiff<Flex, C> {
    fn fast_dense(
        x: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        bias: FloatTensor<Self>,
        activation: DenseActivation,
    ) -> FloatTensor<Self> {
        with_autodiff::<C, _>([x, weight, bias], backward, |[x, w, b], tracked| {
            let y = forward(x, w, b, activation);
            let state = tracked.then(|| DenseState {
                x: x.clone(),
                weight: w.clone(),
                y: (activation != DenseActivation::Linear).then(|| y.clone()),
                a: activation,
            });
            (y, state)
        })
    }
}

/// `act(x · W + b)` for `x [n, i]`, `weight [i, o]` and `bias [o]`, on the engine's CPU
/// backend (with or without autodiff). Other dtypes than f32 go through Burn's own ops.
pub fn dense(x: Tensor<2>, weight: Tensor<2>, bias: Tensor<1>, a: DenseActivation) -> Tensor<2> {
    if x.dtype() != DType::F32 || !super::backend::on_cpu_engine(&x.device()) {
        return a.on(x.matmul(weight) + bias.unsqueeze::<2>());
    }
    Tensor::from_dispatch(<Dispatch as FastDense>::fast_dense(
        x.into_dispatch(),
        weight.into_dispatch(),
        bias.into_dispatch(),
        a,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tensor::host::test_data::{t, vec_of};
    use crate::tensor::{inference_device, training_device};
    use burn::tensor::activation;

    /// Burn's own layer: matmul, broadcast bias, activation.
    fn reference(x: Tensor<2>, w: Tensor<2>, b: Tensor<1>, a: DenseActivation) -> Tensor<2> {
        let z = x.matmul(w) + b.unsqueeze::<2>();
        match a {
            DenseActivation::Linear => z,
            DenseActivation::Relu => activation::relu(z),
            DenseActivation::LeakyRelu(s) => activation::leaky_relu(z, s as f64),
        }
    }

    #[test]
    fn values_and_gradients_match_burns_layer() {
        let device = training_device();
        // small and MNIST-sized (large enough to split the products across cores)
        for [n, i, o] in [[3, 5, 4], [1, 7, 1], [256, 784, 96]] {
            for a in [
                DenseActivation::Linear,
                DenseActivation::Relu,
                DenseActivation::LeakyRelu(0.01),
            ] {
                let run = |f: &dyn Fn(Tensor<2>, Tensor<2>, Tensor<1>) -> Tensor<2>| {
                    let x = t([n, i], 0.1, &device).require_grad();
                    let w = t([i, o], 0.2, &device).require_grad();
                    let b = t([o], 0.3, &device).require_grad();
                    let y = f(x.clone(), w.clone(), b.clone());
                    let v = t([n, o], 0.4, &device);
                    let g = (y.clone() * v).sum().backward();
                    [
                        vec_of(y),
                        vec_of(x.grad(&g).unwrap()),
                        vec_of(w.grad(&g).unwrap()),
                        vec_of(b.grad(&g).unwrap()),
                    ]
                };
                let ours = run(&|x, w, b| dense(x, w, b, a));
                let theirs = run(&|x, w, b| reference(x, w, b, a));
                for (k, what) in ["y", "dx", "dW", "db"].iter().enumerate() {
                    let scale = theirs[k].iter().fold(1.0f32, |m, v| m.max(v.abs()));
                    for (p, q) in ours[k].iter().zip(&theirs[k]) {
                        assert!(
                            (p - q).abs() <= 1e-5 * scale,
                            "{what} {n}×{i}→{o} {a:?}: {p} vs {q}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn no_input_gradient_is_computed_for_data() {
        // the input is a constant: only the parameters get gradients, and they are right
        let device = training_device();
        let x = t([4, 6], 0.1, &device);
        let w = t([6, 3], 0.2, &device).require_grad();
        let b = t([3], 0.3, &device).require_grad();
        let g = dense(x.clone(), w.clone(), b.clone(), DenseActivation::Relu)
            .sum()
            .backward();
        let gw = vec_of(w.grad(&g).unwrap());
        let w2 = t([6, 3], 0.2, &device).require_grad();
        let g2 = reference(x, w2.clone(), b, DenseActivation::Relu)
            .sum()
            .backward();
        let gw2 = vec_of(w2.grad(&g2).unwrap());
        for (p, q) in gw.iter().zip(&gw2) {
            assert!((p - q).abs() < 1e-5, "{p} vs {q}");
        }
    }

    #[test]
    fn inference_gives_the_same_values_as_training() {
        let outs: Vec<Vec<f32>> = [inference_device(), training_device()]
            .iter()
            .map(|d| {
                vec_of(dense(
                    t([5, 9], 0.1, d),
                    t([9, 4], 0.2, d),
                    t([4], 0.3, d),
                    DenseActivation::Relu,
                ))
            })
            .collect();
        assert_eq!(outs[0], outs[1]);
    }
}
