//! Host-side helpers shared by the custom ops ([`super::conv`], [`super::dense`]): f32 views
//! of Flex tensors, a safe wrapper around the `gemm` crate's matrix product, and the autodiff
//! plumbing of a three-input op (x, weight, bias).

use burn::{
    backend::{
        Autodiff, Flex,
        autodiff::{
            checkpoint::{base::Checkpointer, strategy::CheckpointStrategy},
            grads::Gradients,
            ops::{Backward, Ops, OpsKind},
        },
        flex::FlexTensor,
        tensor::FloatTensor,
    },
    tensor::{DType, Shape, TensorData},
};
use gemm::Parallelism;
use std::borrow::Cow;
use std::fmt::Debug;

/// Products with at least this many multiply-adds are split across cores (Burn's flex uses
/// the same kind of threshold; below it the threads cost more than they save).
const PARALLEL_FROM: usize = 64 * 64 * 64;

/// A subnormal value (below 1.2e-38 in magnitude) as 0. Arithmetic on subnormals takes
/// microcode assists on x86 — tens of times slower, in `gemm`'s kernels too, and wasm cannot
/// turn them off — so values that can decay into that range are flushed where they are made:
/// Adam's moments (a rarely-inked pixel's weights: its first moment shrinks by β₁ a step) and
/// the loss's gradient by the logits (2σ²·σ′/N for an output that learned to be very dark:
/// about 1,000 of the 100k a digit-model step, from its 1,500th step). Unflushed, the digit
/// model trained at 270 steps/s instead of 400 after 2,000 steps (one thread, natively).
/// Anything that small moves no weight by a visible amount.
#[inline(always)]
pub(super) fn flush(x: f32) -> f32 {
    if x.abs() < f32::MIN_POSITIVE { 0.0 } else { x }
}

/// A matrix view of a slice: element (i, j) at `i·rs + j·cs`.
#[derive(Clone, Copy)]
pub(crate) struct Mat<'a> {
    pub(super) data: &'a [f32],
    pub(super) rs: usize,
    pub(super) cs: usize,
}

pub(crate) fn mat(data: &[f32], rs: usize, cs: usize) -> Mat<'_> {
    Mat { data, rs, cs }
}

impl Mat<'_> {
    /// Element (i, j).
    #[cfg(any(test, target_arch = "wasm32"))]
    #[inline]
    pub(super) fn at(&self, i: usize, j: usize) -> f32 {
        self.data[i * self.rs + j * self.cs]
    }
}

/// `dst [m×n, row-major] = (accumulate ? dst : 0) + lhs [m×k] · rhs [k×n]`, on this thread.
pub(crate) fn matmul(
    m: usize,
    n: usize,
    k: usize,
    dst: &mut [f32],
    accumulate: bool,
    lhs: Mat,
    rhs: Mat,
) {
    matmul_with(m, n, k, dst, accumulate, lhs, rhs, Parallelism::None)
}

/// [`matmul`] split across all cores when it is large enough to pay for it.
pub(crate) fn matmul_parallel(
    m: usize,
    n: usize,
    k: usize,
    dst: &mut [f32],
    accumulate: bool,
    lhs: Mat,
    rhs: Mat,
) {
    matmul_with(m, n, k, dst, accumulate, lhs, rhs, parallelism(m * n * k))
}

/// All cores for a product of `macs` multiply-adds when it is large enough to pay for them.
pub(super) fn parallelism(macs: usize) -> Parallelism {
    if macs >= PARALLEL_FROM {
        Parallelism::Rayon(0)
    } else {
        Parallelism::None
    }
}

#[allow(clippy::too_many_arguments)]
pub(super) fn matmul_with(
    m: usize,
    n: usize,
    k: usize,
    dst: &mut [f32],
    accumulate: bool,
    lhs: Mat,
    rhs: Mat,
    parallelism: Parallelism,
) {
    let fits = |a: &Mat, rows: usize, cols: usize| {
        rows == 0 || cols == 0 || (rows - 1) * a.rs + (cols - 1) * a.cs < a.data.len()
    };
    assert!(
        dst.len() >= m * n && fits(&lhs, m, k) && fits(&rhs, k, n),
        "matmul operands smaller than {m}×{k}·{k}×{n}"
    );
    if m == 0 || n == 0 {
        return;
    }
    if k == 0 {
        if !accumulate {
            dst[..m * n].fill(0.0);
        }
        return;
    }
    // In the browser (one thread, WebAssembly's 4-lane SIMD) a kernel sized for V8 does better
    // than the `gemm` crate's: see `packed_gemm`.
    #[cfg(target_arch = "wasm32")]
    {
        let _ = parallelism;
        super::packed_gemm::matmul(m, n, k, dst, accumulate, lhs, rhs);
    }
    // SAFETY: the assert above keeps every index gemm touches inside the three slices, and
    // `dst` is borrowed mutably so it cannot alias `lhs` or `rhs`.
    #[cfg(not(target_arch = "wasm32"))]
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            dst.as_mut_ptr(),
            1,
            n as isize,
            accumulate,
            lhs.data.as_ptr(),
            lhs.cs as isize,
            lhs.rs as isize,
            rhs.data.as_ptr(),
            rhs.cs as isize,
            rhs.rs as isize,
            1.0,
            1.0,
            false,
            false,
            false,
            parallelism,
        );
    }
}

fn is_plain(t: &FlexTensor) -> bool {
    t.is_contiguous() && t.layout().start_offset() == 0
}

/// The f32 values of a tensor, contiguous (borrowed unless it is a strided view).
pub(super) fn values(t: &FlexTensor) -> Cow<'_, [f32]> {
    let n = t.layout().num_elements();
    if is_plain(t) {
        Cow::Borrowed(&t.storage::<f32>()[..n])
    } else {
        Cow::Owned(t.to_contiguous().storage::<f32>()[..n].to_vec())
    }
}

/// A contiguous tensor an op may write in place (a copy if it is shared or strided).
pub(super) fn owned(t: FlexTensor) -> FlexTensor {
    if t.is_unique() && is_plain(&t) {
        t
    } else {
        t.to_contiguous()
    }
}

pub(super) fn tensor(values: Vec<f32>, shape: impl Into<Shape>) -> FlexTensor {
    FlexTensor::from_data(TensorData::new(values, shape.into()))
}

pub(super) fn check_f32(ts: &[&FlexTensor]) {
    for t in ts {
        assert_eq!(t.dtype(), DType::F32, "the custom ops are f32 only");
    }
}

/// Computes an op's input gradients from its saved state and its output's gradient (which
/// it may reuse in place): `[dx, dweight, dbias]`, each only where the flags ask.
pub(super) type GradsOf<S> = fn(&S, FlexTensor, [bool; 3]) -> [Option<FlexTensor>; 3];

/// The backward step of an op with three inputs (x, weight, bias).
#[derive(Debug)]
struct Backward3<S> {
    grads_of: GradsOf<S>,
}

impl<S: Clone + Send + Debug + 'static> Backward<Flex, 3> for Backward3<S> {
    type State = S;

    fn backward(self, ops: Ops<S, 3>, grads: &mut Gradients, _: &mut Checkpointer) {
        let grad = grads.consume::<Flex>(&ops.node);
        let want = ops.parents.each_ref().map(Option::is_some);
        let computed = (self.grads_of)(&ops.state, grad, want);
        for (node, grad) in ops.parents.into_iter().zip(computed) {
            if let (Some(node), Some(grad)) = (node, grad) {
                grads.register::<Flex>(node.id, grad);
            }
        }
    }
}

/// Runs a three-input op under autodiff: `forward(inputs, tracked)` computes the output and,
/// when `tracked`, the state `grads_of` will need in the backward pass.
pub(super) fn with_autodiff<C: CheckpointStrategy, S: Clone + Send + Debug + 'static>(
    inputs: [FloatTensor<Autodiff<Flex, C>>; 3],
    grads_of: GradsOf<S>,
    forward: impl FnOnce(&[FlexTensor; 3], bool) -> (FlexTensor, Option<S>),
) -> FloatTensor<Autodiff<Flex, C>> {
    let prepared = Backward3 { grads_of }
        .prepare::<C>(inputs.each_ref().map(|t| t.node()))
        .compute_bound()
        .stateful();
    let primitives = inputs.map(|t| t.into_primitive());
    match prepared {
        OpsKind::Tracked(prep) => {
            let (out, state) = forward(&primitives, true);
            prep.finish(
                state.expect("a tracked forward pass returns its state"),
                out,
            )
        }
        OpsKind::UnTracked(prep) => prep.finish(forward(&primitives, false).0),
    }
}

/// Deterministic test tensors for the custom ops' tests.
#[cfg(test)]
pub(crate) mod test_data {
    use burn::tensor::{Device, Tensor, TensorData};

    /// Deterministic values in [-1, 1).
    pub(crate) fn wave(n: usize, seed: f32) -> Vec<f32> {
        (0..n)
            .map(|i| ((i as f32 * 0.731 + seed).sin() * 43758.55).fract())
            .collect()
    }

    pub(crate) fn t<const D: usize>(shape: [usize; D], seed: f32, device: &Device) -> Tensor<D> {
        let n = shape.iter().product();
        Tensor::from_data(TensorData::new(wave(n, seed), shape), device)
    }

    pub(crate) fn vec_of<const D: usize>(t: Tensor<D>) -> Vec<f32> {
        t.into_data().try_into_vec::<f32>().unwrap()
    }
}
