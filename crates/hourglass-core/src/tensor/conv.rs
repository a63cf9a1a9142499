//! 2-D convolution and transposed convolution as custom ops, through Burn's backend extension
//! API (the same mechanism as [`super::sigmoid`]).
//!
//! Why: on the conv workload (W2 in `bench/`) burn-flex 0.22.1 spent most of a training step
//! outside the matrix products: it runs a 2-D convolution through its 3-D kernel (im2col with
//! a generic index loop), copies layouts between ops, and runs separate passes for the weight
//! gradient (profile in `bench/NOTES.md`). These ops are written for the shapes an
//! autoencoder has (NCHW, square kernels, f32): each sample's windows are gathered as rows
//! (`im2row`: one row per output position, fixed-size copies for 3×3 and 5×5 kernels), and
//! the whole batch goes through one call to the `gemm` crate (already in Burn's tree; it
//! picks AVX2/FMA kernels at run time) — per-sample products (32×49×144 in W2) were too small
//! for its kernels to run well. Results move between NCHW and one-row-per-position with
//! per-sample transposes. The weight gradient is one product over every position of the
//! batch, split across cores; the forward pass's rows serve it.
//!
//! A transposed convolution is the adjoint of a convolution, so both ops share the same two
//! primitives: `im2row` (gather) and `row2im` (scatter-add). Both apply a ReLU (or leaky ReLU)
//! in place, as the dense op does: the backward pass turns the output's gradient into the
//! pre-activation one in place from the saved output's sign, so a conv layer and its
//! activation cost no extra pass over a fresh buffer in either direction.

use burn::{
    backend::{
        Autodiff, Backend, Dispatch, Flex, autodiff::checkpoint::strategy::CheckpointStrategy,
        backend_extension, flex::FlexTensor, tensor::FloatTensor,
    },
    tensor::{
        DType, Tensor,
        module::{conv_transpose2d as burn_conv_transpose2d, conv2d as burn_conv2d},
        ops::{ConvOptions, ConvTransposeOptions},
    },
};
use rayon::prelude::*;
use std::sync::Arc;

use super::dense::{DenseActivation, before_activation};
use super::host::{check_f32, mat, matmul, matmul_parallel, tensor, values, with_autodiff};

/// A square convolution's hyper-parameters (the same in both spatial dimensions).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConvGeometry {
    pub kernel: usize,
    pub stride: usize,
    pub padding: usize,
    /// Extra rows and columns at the bottom and right of a transposed convolution's output
    /// (PyTorch's `output_padding`); 0 for a convolution.
    pub out_padding: usize,
}

impl ConvGeometry {
    /// The output side of a convolution over a side of `n`.
    fn conv_out(&self, n: usize) -> usize {
        (n + 2 * self.padding - self.kernel) / self.stride + 1
    }

    /// The output side of a transposed convolution over a side of `n`.
    fn transpose_out(&self, n: usize) -> usize {
        (n - 1) * self.stride + self.kernel + self.out_padding - 2 * self.padding
    }
}

/// The extension: two ops, on Flex and on Autodiff over Flex. Tensors are f32, NCHW.
#[backend_extension(Flex, Autodiff)]
pub trait FastConv: Backend {
    /// `x [n, ci, h, w]`, `weight [co, ci, k, k]`, `bias [co]` → `act(conv) [n, co, ho, wo]`.
    fn fast_conv2d(
        x: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        bias: FloatTensor<Self>,
        geometry: ConvGeometry,
        activation: DenseActivation,
    ) -> FloatTensor<Self>;

    /// `x [n, ci, h, w]`, `weight [ci, co, k, k]`, `bias [co]` → `act(conv) [n, co, ho, wo]`.
    fn fast_conv_transpose2d(
        x: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        bias: FloatTensor<Self>,
        geometry: ConvGeometry,
        activation: DenseActivation,
    ) -> FloatTensor<Self>;
}

/// The image side and the row side of one convolution: an image `[c, h, w]` is gathered
/// into rows `[oh·ow, c·k·k]` (one row per output position).
#[derive(Clone, Copy, Debug)]
struct Frame {
    c: usize,
    h: usize,
    w: usize,
    oh: usize,
    ow: usize,
    g: ConvGeometry,
}

impl Frame {
    fn image_len(&self) -> usize {
        self.c * self.h * self.w
    }
    fn rows(&self) -> usize {
        self.c * self.g.kernel * self.g.kernel
    }
    fn cols(&self) -> usize {
        self.oh * self.ow
    }

    /// The input position a kernel tap reads for an output index, if inside the image (the
    /// definition [`Frame::im2row`] is tested against).
    #[cfg(test)]
    fn source(&self, out: usize, tap: usize, side: usize) -> Option<usize> {
        (out * self.g.stride + tap)
            .checked_sub(self.g.padding)
            .filter(|&i| i < side)
    }

    /// Gathers `image` into patch rows `[l, rows]`: row p holds the window of output
    /// position p (channel, then kernel row, then kernel column), zero where the window hangs
    /// over the padding. Every entry written.
    fn im2row(&self, image: &[f32], out: &mut [f32]) {
        match self.g.kernel {
            3 => self.im2row_k::<3>(image, out),
            5 => self.im2row_k::<5>(image, out),
            _ => self.im2row_k::<0>(image, out),
        }
    }

    /// [`Frame::im2row`] for a kernel of `K` (0: the frame's own, any size). With a fixed `K`,
    /// windows inside the image are copied as fixed-size runs: no calls, no per-tap tests.
    fn im2row_k<const K: usize>(&self, image: &[f32], out: &mut [f32]) {
        let k = if K == 0 { self.g.kernel } else { K };
        let (s, pad) = (self.g.stride, self.g.padding);
        let (h, w, rows) = (self.h, self.w, self.rows());
        let image = &image[..self.image_len()];
        for (p, dst) in out[..self.cols() * rows].chunks_exact_mut(rows).enumerate() {
            let (y0, x0) = ((p / self.ow) * s, (p % self.ow) * s);
            let inside = K != 0 && x0 >= pad && x0 + k <= w + pad;
            for (c_ky, d) in dst.chunks_exact_mut(k).enumerate() {
                let (c, ky) = (c_ky / k, c_ky % k);
                let iy = (y0 + ky).wrapping_sub(pad);
                if iy >= h {
                    d.iter_mut().for_each(|v| *v = 0.0);
                    continue;
                }
                let line = &image[(c * h + iy) * w..][..w];
                if inside {
                    let d: &mut [f32; K] = d.try_into().expect("K taps");
                    *d = line[x0 - pad..][..K].try_into().expect("K taps");
                } else {
                    for (kx, v) in d.iter_mut().enumerate() {
                        *v = line
                            .get((x0 + kx).wrapping_sub(pad))
                            .copied()
                            .unwrap_or(0.0);
                    }
                }
            }
        }
    }

    /// Adds patch rows `[l, rows]` back onto `image` (the adjoint of [`Frame::im2row`]).
    fn row2im(&self, src: &[f32], image: &mut [f32]) {
        match self.g.kernel {
            3 => self.row2im_k::<3>(src, image),
            5 => self.row2im_k::<5>(src, image),
            _ => self.row2im_k::<0>(src, image),
        }
    }

    /// [`Frame::row2im`] for a kernel of `K` (0: the frame's own), as [`Frame::im2row_k`].
    fn row2im_k<const K: usize>(&self, src: &[f32], image: &mut [f32]) {
        let k = if K == 0 { self.g.kernel } else { K };
        let (s, pad) = (self.g.stride, self.g.padding);
        let (h, w, rows) = (self.h, self.w, self.rows());
        let image = &mut image[..self.image_len()];
        for (p, row) in src[..self.cols() * rows].chunks_exact(rows).enumerate() {
            let (y0, x0) = ((p / self.ow) * s, (p % self.ow) * s);
            let inside = K != 0 && x0 >= pad && x0 + k <= w + pad;
            for (c_ky, d) in row.chunks_exact(k).enumerate() {
                let (c, ky) = (c_ky / k, c_ky % k);
                let iy = (y0 + ky).wrapping_sub(pad);
                if iy >= h {
                    continue;
                }
                let line = &mut image[(c * h + iy) * w..][..w];
                if inside {
                    let t: &mut [f32; K] = (&mut line[x0 - pad..][..K]).try_into().expect("K taps");
                    let d: &[f32; K] = d.try_into().expect("K taps");
                    for (t, v) in t.iter_mut().zip(d) {
                        *t += v;
                    }
                } else {
                    for (kx, &v) in d.iter().enumerate() {
                        if let Some(t) = line.get_mut((x0 + kx).wrapping_sub(pad)) {
                            *t += v;
                        }
                    }
                }
            }
        }
    }
}

/// Samples per parallel task (a sample is a few µs of work at MNIST sizes).
const SAMPLES_PER_TASK: usize = 4;

fn dims4(t: &FlexTensor) -> [usize; 4] {
    let s = t.layout().shape();
    assert_eq!(
        s.num_dims(),
        4,
        "a convolution takes 4-D tensors, got {s:?}"
    );
    [s[0], s[1], s[2], s[3]]
}

/// The convolution's frame for an input `[n, c, h, w]`.
fn conv_frame(x: [usize; 4], g: ConvGeometry) -> Frame {
    Frame {
        c: x[1],
        h: x[2],
        w: x[3],
        oh: g.conv_out(x[2]),
        ow: g.conv_out(x[3]),
        g,
    }
}

/// `aᵀ · b` for `a [K×m]` and `b [K×r]` (row-major, K large: every position of a batch):
/// the weight gradient of both ops. K is split across cores, one partial sum per piece,
/// added at the end.
fn sum_tn(k: usize, m: usize, r: usize, a: &[f32], b: &[f32]) -> Vec<f32> {
    let pieces = rayon::current_num_threads().max(1);
    let per = k.div_ceil(pieces).max(1);
    (0..k.div_ceil(per))
        .into_par_iter()
        .map(|i| {
            let (k0, kk) = (i * per, per.min(k - i * per));
            let mut acc = vec![0.0f32; m * r];
            matmul(
                m,
                r,
                kk,
                &mut acc,
                false,
                mat(&a[k0 * m..][..kk * m], 1, m),
                mat(&b[k0 * r..][..kk * r], r, 1),
            );
            acc
        })
        .reduce(
            || vec![0.0f32; m * r],
            |mut x, y| {
                x.iter_mut().zip(&y).for_each(|(x, y)| *x += y);
                x
            },
        )
}

/// Each sample's `[a, b]` block of `src` as `[b, a]` (NCHW planes ↔ one row per position).
fn transpose_samples(src: &[f32], n: usize, a: usize, b: usize) -> Vec<f32> {
    let mut dst = vec![0.0f32; n * a * b];
    if a * b == 0 {
        return dst;
    }
    dst.par_chunks_mut(a * b)
        .zip(src.par_chunks(a * b))
        .with_min_len(SAMPLES_PER_TASK)
        .for_each(|(d, s)| {
            // written in order, read with a stride (strided stores stalled on aliasing)
            for (j, row) in d.chunks_exact_mut(a).enumerate() {
                for (v, &x) in row.iter_mut().zip(s[j..].iter().step_by(b)) {
                    *v = x;
                }
            }
        });
    dst
}

/// Samples per product when nothing is kept for a backward pass (inference over many
/// images): bounds the patch rows' buffer.
const INFERENCE_SAMPLES: usize = 256;

/// Per channel, the sum of `dy [n, c, l]` over samples and positions: a bias gradient.
/// Samples split across cores; each plane summed in eight lanes (a single running sum is one
/// dependent add per element, which made this pass as slow as a product).
fn channel_sums(dy: &[f32], c: usize, l: usize) -> Vec<f32> {
    let plane_sum = |plane: &[f32]| {
        let mut lanes = [0.0f32; 8];
        let mut chunks = plane.chunks_exact(8);
        for chunk in &mut chunks {
            lanes.iter_mut().zip(chunk).for_each(|(s, v)| *s += v);
        }
        lanes.iter().sum::<f32>() + chunks.remainder().iter().sum::<f32>()
    };
    let add = |mut sums: Vec<f32>, sample: &[f32]| {
        for (s, plane) in sums.iter_mut().zip(sample.chunks_exact(l.max(1))) {
            *s += plane_sum(plane);
        }
        sums
    };
    if c == 0 {
        return Vec::new();
    }
    dy.par_chunks(c * l.max(1))
        .with_min_len(SAMPLES_PER_TASK)
        .fold(|| vec![0.0f32; c], add)
        .reduce(
            || vec![0.0f32; c],
            |mut x, y| {
                x.iter_mut().zip(&y).for_each(|(x, y)| *x += y);
                x
            },
        )
}

/// Applies `a` in place.
fn activate(a: DenseActivation, values: &mut [f32]) {
    if a != DenseActivation::Linear {
        values.iter_mut().for_each(|v| *v = a.apply(*v));
    }
}

/// What a convolution's forward pass keeps for its backward pass.
#[derive(Clone, Debug)]
struct ConvState {
    weight: FlexTensor,
    /// Every sample's patch rows, `[n·ho·wo, ci·k·k]`.
    patches: Arc<[f32]>,
    x_shape: [usize; 4],
    g: ConvGeometry,
    a: DenseActivation,
    /// The output, when the activation needs it for its slope.
    y: Option<FlexTensor>,
}

/// Forward convolution; with `keep` also returns every sample's patch rows. Per sample the
/// windows are gathered into rows (im2row), then one product over the whole batch
/// `[n·l, rows] · Wᵀ` (a per-sample product was too small for the gemm kernels to run
/// well), then each sample's `[l, co]` block goes back to NCHW with the bias and activation.
fn conv2d_forward(
    x: &FlexTensor,
    weight: &FlexTensor,
    bias: &FlexTensor,
    g: ConvGeometry,
    a: DenseActivation,
    keep: bool,
) -> (FlexTensor, Vec<f32>) {
    check_f32(&[x, weight, bias]);
    let xs = dims4(x);
    let ws = dims4(weight);
    let co = ws[0];
    assert!(
        ws[1] == xs[1]
            && ws[2] == g.kernel
            && ws[3] == g.kernel
            && bias.layout().num_elements() == co,
        "conv2d: weight {ws:?} does not fit input {xs:?} with kernel {}",
        g.kernel
    );
    let f = conv_frame(xs, g);
    let (n, rows, l) = (xs[0], f.rows(), f.cols());
    let (xv, wv, bv) = (values(x), values(weight), values(bias));
    let mut out = vec![0.0f32; n * co * l];
    let chunk = if keep { n.max(1) } else { INFERENCE_SAMPLES };
    let mut patches = Vec::new();
    let image = f.image_len().max(1);
    for (x_c, out_c) in xv
        .chunks(chunk * image)
        .zip(out.chunks_mut((chunk * co * l).max(1)))
    {
        let m = x_c.len() / image;
        patches.clear();
        patches.resize(m * l * rows, 0.0);
        if rows * l > 0 {
            patches
                .par_chunks_mut(l * rows)
                .zip(x_c.par_chunks(image))
                .with_min_len(SAMPLES_PER_TASK)
                .for_each(|(p, img)| f.im2row(img, p));
        }
        let mut yt = vec![0.0f32; m * l * co];
        matmul_parallel(
            m * l,
            co,
            rows,
            &mut yt,
            false,
            mat(&patches, rows, 1),
            mat(&wv, 1, rows),
        );
        if co * l > 0 {
            out_c
                .par_chunks_mut(co * l)
                .zip(yt.par_chunks(l * co))
                .with_min_len(SAMPLES_PER_TASK)
                .for_each(|(o, t)| {
                    for (c, plane) in o.chunks_exact_mut(l).enumerate() {
                        let b = bv[c];
                        for (v, &x) in plane.iter_mut().zip(t[c..].iter().step_by(co)) {
                            *v = a.apply(x + b);
                        }
                    }
                });
        }
    }
    let kept = if keep { patches } else { Vec::new() };
    (tensor(out, [n, co, f.oh, f.ow]), kept)
}

/// Gradients of a convolution: `[dx, dweight, dbias]`, each only where `want` asks.
fn conv2d_backward(
    state: &ConvState,
    grad: FlexTensor,
    want: [bool; 3],
) -> [Option<FlexTensor>; 3] {
    let xs = state.x_shape;
    let f = conv_frame(xs, state.g);
    let (n, rows, l) = (xs[0], f.rows(), f.cols());
    let ws = dims4(&state.weight);
    let co = ws[0];
    let grad = before_activation(state.a, state.y.as_ref(), grad);
    let dy = values(&grad);
    // dy with one row per output position, [n·l, co]
    let dyt = (want[0] || want[1]).then(|| transpose_samples(&dy, n, co, l));
    let dx = want[0].then(|| {
        // the patches' gradient [n·l, rows] = dyt · W, scattered back onto each image
        let wv = values(&state.weight);
        let dyt = dyt.as_deref().expect("made above");
        let mut drows = vec![0.0f32; n * l * rows];
        matmul_parallel(
            n * l,
            rows,
            co,
            &mut drows,
            false,
            mat(dyt, co, 1),
            mat(&wv, rows, 1),
        );
        let mut dx = vec![0.0f32; n * f.image_len()];
        if f.image_len() * l * rows > 0 {
            dx.par_chunks_mut(f.image_len())
                .zip(drows.par_chunks(l * rows))
                .with_min_len(SAMPLES_PER_TASK)
                .for_each(|(dx_i, d)| f.row2im(d, dx_i));
        }
        tensor(dx, xs)
    });
    let dw = want[1].then(|| {
        let dyt = dyt.as_deref().expect("made above");
        tensor(sum_tn(n * l, co, rows, dyt, &state.patches), ws)
    });
    let db = want[2].then(|| tensor(channel_sums(&dy, co, l), [co]));
    [dx, dw, db]
}

/// What a transposed convolution's forward pass keeps for its backward pass.
#[derive(Clone, Debug)]
struct ConvTransposeState {
    x: FlexTensor,
    weight: FlexTensor,
    g: ConvGeometry,
    a: DenseActivation,
    /// The output, when the activation needs it for its slope.
    y: Option<FlexTensor>,
}

/// A transposed convolution from `x [n, ci, h, w]` with `weight [ci, co, k, k]` to
/// `[n, co, ho, wo]` is the adjoint of the convolution from `[co, ho, wo]` to `[ci, h, w]`:
/// its output shape and that convolution's frame.
fn transpose_frame(x: [usize; 4], weight: [usize; 4], g: ConvGeometry) -> ([usize; 4], Frame) {
    let out = [
        x[0],
        weight[1],
        g.transpose_out(x[2]),
        g.transpose_out(x[3]),
    ];
    (out, conv_frame(out, g))
}

fn conv_transpose2d_forward(
    x: &FlexTensor,
    weight: &FlexTensor,
    bias: &FlexTensor,
    g: ConvGeometry,
    a: DenseActivation,
) -> FlexTensor {
    check_f32(&[x, weight, bias]);
    let xs = dims4(x);
    let ws = dims4(weight);
    let co = ws[1];
    assert!(
        ws[0] == xs[1]
            && ws[2] == g.kernel
            && ws[3] == g.kernel
            && bias.layout().num_elements() == co,
        "conv_transpose2d: weight {ws:?} does not fit input {xs:?} with kernel {}",
        g.kernel
    );
    assert!(
        g.out_padding < g.stride,
        "output padding must be below the stride"
    );
    let (out_shape, f) = transpose_frame(xs, ws, g);
    debug_assert_eq!((f.oh, f.ow), (xs[2], xs[3]));
    let (n, ci, rows, l) = (xs[0], xs[1], f.rows(), f.cols());
    let plane = out_shape[2] * out_shape[3];
    let (xv, wv, bv) = (values(x), values(weight), values(bias));
    let mut out = vec![0.0f32; n * f.image_len()];
    let image = f.image_len().max(1);
    for (x_c, out_c) in xv
        .chunks((INFERENCE_SAMPLES * ci * l).max(1))
        .zip(out.chunks_mut(INFERENCE_SAMPLES * image))
    {
        let m = out_c.len() / image;
        // x with one row per input position [m·l, ci], then the patches [m·l, rows] = xt · W
        // in one product, scattered onto the outputs (which start as the bias)
        let xt = transpose_samples(x_c, m, ci, l);
        let mut patches = vec![0.0f32; m * l * rows];
        matmul_parallel(
            m * l,
            rows,
            ci,
            &mut patches,
            false,
            mat(&xt, ci, 1),
            mat(&wv, rows, 1),
        );
        if rows * l > 0 {
            out_c
                .par_chunks_mut(image)
                .zip(patches.par_chunks(l * rows))
                .with_min_len(SAMPLES_PER_TASK)
                .for_each(|(o, p)| {
                    for (c, pl) in o.chunks_exact_mut(plane.max(1)).zip(bv.iter()) {
                        c.fill(*pl);
                    }
                    f.row2im(p, o);
                    activate(a, o);
                });
        }
    }
    tensor(out, out_shape)
}

/// Gradients of a transposed convolution: `[dx, dweight, dbias]`, each only where asked.
fn conv_transpose2d_backward(
    state: &ConvTransposeState,
    grad: FlexTensor,
    want: [bool; 3],
) -> [Option<FlexTensor>; 3] {
    let xs = dims4(&state.x);
    let ws = dims4(&state.weight);
    let (out_shape, f) = transpose_frame(xs, ws, state.g);
    let (n, ci, co, rows, l) = (xs[0], xs[1], ws[1], f.rows(), f.cols());
    let grad = before_activation(state.a, state.y.as_ref(), grad);
    let dy = values(&grad);
    // every sample's patch rows of dy [n·l, rows]: both the input and the weight gradient read them
    let mut drows = vec![0.0f32; if want[0] || want[1] { n * l * rows } else { 0 }];
    if !drows.is_empty() {
        drows
            .par_chunks_mut(l * rows)
            .zip(dy.par_chunks(f.image_len().max(1)))
            .with_min_len(SAMPLES_PER_TASK)
            .for_each(|(p, dy_i)| f.im2row(dy_i, p));
    }
    let dx = want[0].then(|| {
        // [n·l, ci] = drows · Wᵀ, back to NCHW
        let wv = values(&state.weight);
        let mut dxt = vec![0.0f32; n * l * ci];
        matmul_parallel(
            n * l,
            ci,
            rows,
            &mut dxt,
            false,
            mat(&drows, rows, 1),
            mat(&wv, 1, rows),
        );
        tensor(transpose_samples(&dxt, n, l, ci), xs)
    });
    let dw = want[1].then(|| {
        let xt = transpose_samples(&values(&state.x), n, ci, l);
        tensor(sum_tn(n * l, ci, rows, &xt, &drows), ws)
    });
    let db = want[2].then(|| {
        let plane = out_shape[2] * out_shape[3];
        tensor(channel_sums(&dy, co, plane), [co])
    });
    [dx, dw, db]
}

impl FastConv for Flex {
    fn fast_conv2d(
        x: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        bias: FloatTensor<Self>,
        geometry: ConvGeometry,
        activation: DenseActivation,
    ) -> FloatTensor<Self> {
        conv2d_forward(&x, &weight, &bias, geometry, activation, false).0
    }

    fn fast_conv_transpose2d(
        x: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        bias: FloatTensor<Self>,
        geometry: ConvGeometry,
        activation: DenseActivation,
    ) -> FloatTensor<Self> {
        conv_transpose2d_forward(&x, &weight, &bias, geometry, activation)
    }
}

impl<C: CheckpointStrategy> FastConv for Autodiff<Flex, C> {
    fn fast_conv2d(
        x: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        bias: FloatTensor<Self>,
        geometry: ConvGeometry,
        activation: DenseActivation,
    ) -> FloatTensor<Self> {
        with_autodiff::<C, _>([x, weight, bias], conv2d_backward, |[x, w, b], tracked| {
            let (out, patches) = conv2d_forward(x, w, b, geometry, activation, tracked);
            let state = tracked.then(|| ConvState {
                weight: w.clone(),
                patches: patches.into(),
                x_shape: dims4(x),
                g: geometry,
                a: activation,
                y: (activation != DenseActivation::Linear).then(|| out.clone()),
            });
            (out, state)
        })
    }

    fn fast_conv_transpose2d(
        x: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        bias: FloatTensor<Self>,
        geometry: ConvGeometry,
        activation: DenseActivation,
    ) -> FloatTensor<Self> {
        with_autodiff::<C, _>(
            [x, weight, bias],
            conv_transpose2d_backward,
            |[x, w, b], tracked| {
                let out = conv_transpose2d_forward(x, w, b, geometry, activation);
                let state = tracked.then(|| ConvTransposeState {
                    x: x.clone(),
                    weight: w.clone(),
                    g: geometry,
                    a: activation,
                    y: (activation != DenseActivation::Linear).then(|| out.clone()),
                });
                (out, state)
            },
        )
    }
}

/// A 2-D convolution `x [n, ci, h, w]` → `act(…) [n, co, ho, wo]` with `weight [co, ci, k, k]`
/// and `bias [co]`, on the engine's CPU backend (with or without autodiff). Other dtypes
/// than f32 go through Burn's own convolution.
pub fn conv2d(
    x: Tensor<4>,
    weight: Tensor<4>,
    bias: Tensor<1>,
    g: ConvGeometry,
    a: DenseActivation,
) -> Tensor<4> {
    if x.dtype() != DType::F32 {
        let p = g.padding;
        let z = burn_conv2d(
            x,
            weight,
            Some(bias),
            ConvOptions::new([g.stride; 2], [p, p], [1, 1], 1),
        );
        return a.on(z);
    }
    Tensor::from_dispatch(<Dispatch as FastConv>::fast_conv2d(
        x.into_dispatch(),
        weight.into_dispatch(),
        bias.into_dispatch(),
        g,
        a,
    ))
}

/// A 2-D transposed convolution `x [n, ci, h, w]` → `act(…) [n, co, ho, wo]` with
/// `weight [ci, co, k, k]` (PyTorch's layout) and `bias [co]`.
pub fn conv_transpose2d(
    x: Tensor<4>,
    weight: Tensor<4>,
    bias: Tensor<1>,
    g: ConvGeometry,
    a: DenseActivation,
) -> Tensor<4> {
    if x.dtype() != DType::F32 {
        let p = g.padding;
        let options =
            ConvTransposeOptions::new([g.stride; 2], [p, p], [g.out_padding; 2], [1, 1], 1);
        return a.on(burn_conv_transpose2d(x, weight, Some(bias), options));
    }
    Tensor::from_dispatch(<Dispatch as FastConv>::fast_conv_transpose2d(
        x.into_dispatch(),
        weight.into_dispatch(),
        bias.into_dispatch(),
        g,
        a,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tensor::host::test_data::{t, vec_of};
    use crate::tensor::{inference_device, training_device};
    use burn::tensor::Device;

    fn assert_close(what: &str, a: &[f32], b: &[f32]) {
        assert_eq!(a.len(), b.len(), "{what}: lengths");
        let scale = b.iter().fold(1.0f32, |m, v| m.max(v.abs()));
        for (i, (x, y)) in a.iter().zip(b).enumerate() {
            assert!(
                (x - y).abs() <= 2e-5 * scale,
                "{what}[{i}]: ours {x}, Burn's {y}"
            );
        }
    }

    /// (input shape, channels out, geometry): the autoencoder's layers and some odd ones
    /// (stride 1, a 5×5 kernel, non-square inputs, output padding, no padding).
    fn cases() -> Vec<([usize; 4], usize, ConvGeometry)> {
        let g = |kernel, stride, padding, out_padding| ConvGeometry {
            kernel,
            stride,
            padding,
            out_padding,
        };
        vec![
            ([3, 1, 28, 28], 16, g(3, 2, 1, 1)),
            ([3, 16, 14, 14], 32, g(3, 2, 1, 1)),
            ([2, 3, 9, 7], 4, g(3, 1, 1, 0)),
            ([2, 2, 11, 8], 3, g(5, 2, 2, 1)),
            ([1, 2, 6, 6], 2, g(2, 2, 0, 0)),
            ([2, 3, 7, 7], 5, g(3, 3, 0, 2)),
        ]
    }

    /// Forward values and the gradients of Σ v·f(x) for x, weight and bias, for ours and
    /// Burn's version of one op.
    fn run(
        device: &Device,
        x: [usize; 4],
        w: [usize; 4],
        b: usize,
        out_seed: f32,
        f: &dyn Fn(Tensor<4>, Tensor<4>, Tensor<1>) -> Tensor<4>,
    ) -> [Vec<f32>; 4] {
        let xt = t(x, 0.1, device).require_grad();
        let wt = t(w, 0.2, device).require_grad();
        let bt = t([b], 0.3, device).require_grad();
        let y = f(xt.clone(), wt.clone(), bt.clone());
        let v = t(y.dims(), out_seed, device);
        let grads = (y.clone() * v).sum().backward();
        [
            vec_of(y),
            vec_of(xt.grad(&grads).unwrap()),
            vec_of(wt.grad(&grads).unwrap()),
            vec_of(bt.grad(&grads).unwrap()),
        ]
    }

    /// im2row written per element from its definition (`source` for both taps).
    fn im2row_by_definition(f: &Frame, image: &[f32]) -> Vec<f32> {
        let (k, rows) = (f.g.kernel, f.rows());
        let mut out = vec![0.0f32; f.cols() * rows];
        for r in 0..rows {
            let (c, ky, kx) = (r / (k * k), r / k % k, r % k);
            for oy in 0..f.oh {
                for ox in 0..f.ow {
                    if let (Some(iy), Some(ix)) = (f.source(oy, ky, f.h), f.source(ox, kx, f.w)) {
                        out[(oy * f.ow + ox) * rows + r] = image[(c * f.h + iy) * f.w + ix];
                    }
                }
            }
        }
        out
    }

    #[test]
    fn im2row_and_row2im_agree_with_their_definitions_for_every_small_geometry() {
        let mut checked = 0;
        for kernel in 1..=5 {
            for stride in 1..=3 {
                for padding in 0..=3 {
                    for (h, w) in [(1, 1), (2, 5), (5, 2), (7, 7), (8, 9)] {
                        let g = ConvGeometry {
                            kernel,
                            stride,
                            padding,
                            out_padding: 0,
                        };
                        if h + 2 * padding < kernel || w + 2 * padding < kernel {
                            continue;
                        }
                        let f = conv_frame([1, 2, h, w], g);
                        let image: Vec<f32> = (0..f.image_len()).map(|i| 1.0 + i as f32).collect();
                        // every entry overwritten, whatever the buffer held
                        let mut rows = vec![f32::NAN; f.rows() * f.cols()];
                        f.im2row(&image, &mut rows);
                        assert_eq!(rows, im2row_by_definition(&f, &image), "{g:?} {h}×{w}");
                        // row2im is the adjoint: <im2row(x), c> = <x, row2im(c)>
                        let c: Vec<f32> = (0..rows.len()).map(|i| (i % 7) as f32 - 3.0).collect();
                        let mut back = vec![0.0f32; f.image_len()];
                        f.row2im(&c, &mut back);
                        let lhs: f32 = rows.iter().zip(&c).map(|(a, b)| a * b).sum();
                        let rhs: f32 = image.iter().zip(&back).map(|(a, b)| a * b).sum();
                        assert_eq!(lhs, rhs, "{g:?} {h}×{w}");
                        checked += 1;
                    }
                }
            }
        }
        assert!(checked > 250, "{checked} geometries");
    }

    /// The activations the ops fuse, each against Burn's conv followed by Burn's activation.
    const ACTIVATIONS: [DenseActivation; 3] = [
        DenseActivation::Linear,
        DenseActivation::Relu,
        DenseActivation::LeakyRelu(0.01),
    ];

    /// Output and the three gradients of ours against Burn's (and a ReLU that cut something).
    fn same_as_burns(what: &str, a: DenseActivation, ours: &[Vec<f32>; 4], theirs: &[Vec<f32>; 4]) {
        if a == DenseActivation::Relu {
            assert!(ours[0].contains(&0.0), "{what}: the ReLU cut some outputs");
        }
        for (i, part) in ["output", "dx", "dweight", "dbias"].iter().enumerate() {
            assert_close(&format!("{what} {a:?} {part}"), &ours[i], &theirs[i]);
        }
    }

    #[test]
    fn convolution_matches_burns_values_and_gradients() {
        let device = training_device();
        for (x, co, g) in cases() {
            for a in ACTIVATIONS {
                let w = [co, x[1], g.kernel, g.kernel];
                let options = ConvOptions::new([g.stride; 2], [g.padding; 2], [1, 1], 1);
                let ours = run(&device, x, w, co, 0.4, &|x, w, b| conv2d(x, w, b, g, a));
                let theirs = run(&device, x, w, co, 0.4, &|x, w, b| {
                    a.on(burn_conv2d(x, w, Some(b), options.clone()))
                });
                same_as_burns(&format!("conv {x:?} {g:?}"), a, &ours, &theirs);
            }
        }
    }

    #[test]
    fn transposed_convolution_matches_burns_values_and_gradients() {
        let device = training_device();
        for (x, co, g) in cases() {
            for a in ACTIVATIONS {
                let w = [x[1], co, g.kernel, g.kernel];
                let options = ConvTransposeOptions::new(
                    [g.stride; 2],
                    [g.padding; 2],
                    [g.out_padding; 2],
                    [1, 1],
                    1,
                );
                let ours = run(&device, x, w, co, 0.5, &|x, w, b| {
                    conv_transpose2d(x, w, b, g, a)
                });
                let theirs = run(&device, x, w, co, 0.5, &|x, w, b| {
                    a.on(burn_conv_transpose2d(x, w, Some(b), options.clone()))
                });
                same_as_burns(&format!("deconv {x:?} {g:?}"), a, &ours, &theirs);
            }
        }
    }

    #[test]
    fn many_images_go_through_in_pieces_and_give_burns_values() {
        // more samples than one inference piece (INFERENCE_SAMPLES), a ragged last piece
        let device = inference_device();
        let n = 2 * INFERENCE_SAMPLES + 17;
        let g = ConvGeometry {
            kernel: 3,
            stride: 2,
            padding: 1,
            out_padding: 1,
        };
        let x = t([n, 2, 6, 6], 0.1, &device);
        let (w, wt, b) = (
            t([3, 2, 3, 3], 0.2, &device),
            t([2, 3, 3, 3], 0.25, &device),
            t([3], 0.3, &device),
        );
        let ours = conv2d(x.clone(), w.clone(), b.clone(), g, DenseActivation::Relu);
        let options = ConvOptions::new([2, 2], [1, 1], [1, 1], 1);
        let theirs = DenseActivation::Relu.on(burn_conv2d(x.clone(), w, Some(b.clone()), options));
        assert_close("conv, many images", &vec_of(ours), &vec_of(theirs));
        let options = ConvTransposeOptions::new([2, 2], [1, 1], [1, 1], [1, 1], 1);
        let ours = conv_transpose2d(x.clone(), wt.clone(), b.clone(), g, DenseActivation::Linear);
        let theirs = burn_conv_transpose2d(x, wt, Some(b), options);
        assert_eq!(ours.dims(), [n, 3, 12, 12]);
        assert_close("deconv, many images", &vec_of(ours), &vec_of(theirs));
    }

    #[test]
    fn inference_gives_the_same_values_as_training() {
        let (x, co, g) = cases()[1];
        let w = [co, x[1], g.kernel, g.kernel];
        let wt = [x[1], co, g.kernel, g.kernel];
        let mut outs = Vec::new();
        for device in [inference_device(), training_device()] {
            let conv = conv2d(
                t(x, 0.1, &device),
                t(w, 0.2, &device),
                t([co], 0.3, &device),
                g,
                DenseActivation::Relu,
            );
            let deconv = conv_transpose2d(
                t(x, 0.1, &device),
                t(wt, 0.2, &device),
                t([co], 0.3, &device),
                g,
                DenseActivation::Relu,
            );
            outs.push((vec_of(conv), vec_of(deconv)));
        }
        assert_eq!(outs[0], outs[1]);
    }

    #[test]
    fn a_strided_view_as_input_is_read_in_logical_order() {
        // a transposed (non-contiguous) input must give what its contiguous copy gives
        let device = inference_device();
        let g = ConvGeometry {
            kernel: 3,
            stride: 1,
            padding: 1,
            out_padding: 0,
        };
        let x = t([2, 3, 5, 6], 0.7, &device);
        let w = t([4, 3, 3, 3], 0.8, &device);
        let b = t([4], 0.9, &device);
        let swapped = x.clone().swap_dims(2, 3);
        let copy = Tensor::<4>::from_data(swapped.clone().into_data(), &device);
        assert_eq!(
            vec_of(conv2d(
                swapped,
                w.clone(),
                b.clone(),
                g,
                DenseActivation::Linear
            )),
            vec_of(conv2d(copy, w, b, g, DenseActivation::Linear))
        );
    }
}
