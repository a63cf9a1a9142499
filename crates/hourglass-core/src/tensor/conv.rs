//! 2-D convolution and transposed convolution as custom ops, through Burn's backend extension
//! API (the same mechanism as [`super::sigmoid`]).
//!
//! Why: on the conv workload (W2 in `bench/`) burn-flex 0.22.1 spent most of a training step
//! outside the matrix products: it runs a 2-D convolution through its 3-D kernel (im2col with
//! a generic index loop), copies layouts between ops, and runs separate passes for the weight
//! gradient (profile in `bench/NOTES.md`). These ops are written for the shapes an
//! autoencoder has (NCHW, square kernels, f32). A batch goes through in pieces of a few
//! samples (about 256 KB of gathered rows each), each piece on one core from start to end,
//! so its intermediate buffers never leave that core's cache: each sample's windows gathered
//! as rows (`im2row`: one row per output position, from a zero-padded copy of the image so
//! there are no edge tests, fixed-size copies for 3×3 and 5×5 kernels), one call to the
//! `gemm` crate (already in Burn's tree; it picks AVX2/FMA kernels at run time) for the
//! piece — per-sample products (32×49×144 in W2) were too small for its kernels to run well
//! — with the result laid out channel by channel, so moving it to and from NCHW copies whole
//! planes; the results are initialised piece by piece on the cores too (no zeroing pass
//! over a whole batch's buffer on one core first). The backward pass is one such pass too: the input gradient, the piece's part of
//! the weight gradient (the windows gathered again, cheaper than keeping them from the
//! forward pass) and the bias sums; the parts are added in piece order, so the result does
//! not depend on the number of cores.
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
use std::mem::MaybeUninit;
use std::sync::atomic::{AtomicUsize, Ordering};

use super::dense::{DenseActivation, before_activation};
use super::host::{check_f32, mat, matmul, tensor, values, with_autodiff};

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

    /// The image with its padding made real: `[c, h + 2p, w + 2p]` in `buf`, zeros around
    /// (the image itself when there is no padding). Every window of the convolution lies
    /// inside it, so the gather and the scatter need no edge tests.
    fn padded<'a>(&self, image: &'a [f32], buf: &'a mut Vec<f32>) -> (&'a [f32], usize) {
        let (p, h, w) = (self.g.padding, self.h, self.w);
        if p == 0 {
            return (&image[..self.image_len()], w);
        }
        let (hp, wp) = (h + 2 * p, w + 2 * p);
        buf.clear();
        buf.resize(self.c * hp * wp, 0.0);
        for (dst, src) in buf.chunks_exact_mut(hp * wp).zip(image.chunks_exact(h * w)) {
            for (d, line) in dst[p * wp..].chunks_exact_mut(wp).zip(src.chunks_exact(w)) {
                d[p..p + w].copy_from_slice(line);
            }
        }
        (buf, wp)
    }

    /// Gathers `image` into patch rows `[l, rows]`: row p holds the window of output
    /// position p (channel, then kernel row, then kernel column), zero where the window hangs
    /// over the padding. Every entry written. `buf` is scratch space (the padded image).
    fn im2row(&self, image: &[f32], out: &mut [f32], buf: &mut Vec<f32>) {
        match self.g.kernel {
            3 => self.im2row_k::<3>(image, out, buf),
            5 => self.im2row_k::<5>(image, out, buf),
            _ => self.im2row_k::<0>(image, out, buf),
        }
    }

    /// [`Frame::im2row`] for a kernel of `K` (0: the frame's own, any size): from the padded
    /// image, each window row is one copy (of a fixed size for a fixed `K`), no tests.
    fn im2row_k<const K: usize>(&self, image: &[f32], out: &mut [f32], buf: &mut Vec<f32>) {
        let k = if K == 0 { self.g.kernel } else { K };
        let (src, wp) = self.padded(image, buf);
        let plane = src.len() / self.c.max(1);
        let (s, rows, kk) = (self.g.stride, self.rows(), k * k);
        for (p, dst) in out[..self.cols() * rows].chunks_exact_mut(rows).enumerate() {
            let at = (p / self.ow) * s * wp + (p % self.ow) * s;
            for (c, window) in dst.chunks_exact_mut(kk).enumerate() {
                let from = &src[c * plane + at..];
                for (ky, d) in window.chunks_exact_mut(k).enumerate() {
                    if K != 0 {
                        let d: &mut [f32; K] = d.try_into().expect("K taps");
                        *d = from[ky * wp..][..K].try_into().expect("K taps");
                    } else {
                        d.copy_from_slice(&from[ky * wp..][..k]);
                    }
                }
            }
        }
    }

    /// Adds patch rows `[l, rows]` back onto `image` (the adjoint of [`Frame::im2row`]);
    /// `buf` is scratch space.
    fn row2im(&self, src: &[f32], image: &mut [f32], buf: &mut Vec<f32>) {
        match self.g.kernel {
            3 => self.row2im_k::<3>(src, image, buf),
            5 => self.row2im_k::<5>(src, image, buf),
            _ => self.row2im_k::<0>(src, image, buf),
        }
    }

    /// [`Frame::row2im`] for a kernel of `K` (0: the frame's own): onto a zeroed padded image
    /// (no edge tests), whose inside is then added onto `image`.
    fn row2im_k<const K: usize>(&self, src: &[f32], image: &mut [f32], buf: &mut Vec<f32>) {
        let k = if K == 0 { self.g.kernel } else { K };
        let (p, h, w) = (self.g.padding, self.h, self.w);
        let (hp, wp) = (h + 2 * p, w + 2 * p);
        let image = &mut image[..self.image_len()];
        let target: &mut [f32] = if p == 0 {
            image
        } else {
            buf.clear();
            buf.resize(self.c * hp * wp, 0.0);
            buf
        };
        let plane = hp * wp;
        let (s, rows, kk) = (self.g.stride, self.rows(), k * k);
        for (q, row) in src[..self.cols() * rows].chunks_exact(rows).enumerate() {
            let at = (q / self.ow) * s * wp + (q % self.ow) * s;
            for (c, window) in row.chunks_exact(kk).enumerate() {
                let to = &mut target[c * plane + at..];
                for (ky, d) in window.chunks_exact(k).enumerate() {
                    let t = &mut to[ky * wp..][..k];
                    if K != 0 {
                        let t: &mut [f32; K] = t.try_into().expect("K taps");
                        let d: &[f32; K] = d.try_into().expect("K taps");
                        for (t, v) in t.iter_mut().zip(d) {
                            *t += v;
                        }
                    } else {
                        t.iter_mut().zip(d).for_each(|(t, v)| *t += v);
                    }
                }
            }
        }
        if p > 0 {
            for (dst, from) in image.chunks_exact_mut(h * w).zip(buf.chunks_exact(plane)) {
                for (d, line) in dst.chunks_exact_mut(w).zip(from[p * wp..].chunks_exact(wp)) {
                    d.iter_mut().zip(&line[p..p + w]).for_each(|(d, v)| *d += v);
                }
            }
        }
    }
}

/// Floats of gathered rows a piece of a batch holds: small enough that a piece's rows stay
/// in its core's cache from the gather through the product to the scatter (256 KB).
const PIECE_FLOATS: usize = 64 * 1024;

/// Samples per piece for `floats` of rows per sample: pieces of about [`PIECE_FLOATS`], a
/// multiple of eight of them a batch (so two, four or eight cores get equal shares), of
/// equal size. Fixed by the shapes alone (not by the number of cores), so the pieces'
/// partial sums — and the results — are the same on every machine.
fn piece_samples(n: usize, floats: usize) -> usize {
    let pieces = (n * floats).div_ceil(PIECE_FLOATS).next_multiple_of(8);
    n.div_ceil(pieces.max(1)).max(1)
}

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

/// A piece's `[m, c, l]` samples channel by channel, `[c, m·l]` in `dst` (grown to fit):
/// each plane's run of `l` copied whole. The products read it either way round by strides.
fn to_channels(src: &[f32], c: usize, l: usize, dst: &mut Vec<f32>) {
    dst.resize(src.len(), 0.0);
    let ml = src.len() / c.max(1);
    for (i, sample) in src.chunks_exact((c * l).max(1)).enumerate() {
        for (ch, plane) in sample.chunks_exact(l.max(1)).enumerate() {
            dst[ch * ml + i * l..][..l].copy_from_slice(plane);
        }
    }
}

/// Adds, per channel, the sum of `dy [m, c, l]` over samples and positions to `sums` (a bias
/// gradient), each plane in eight lanes (one running sum is one dependent add per element).
fn add_channel_sums(dy: &[f32], c: usize, l: usize, sums: &mut [f32]) {
    for sample in dy.chunks_exact((c * l).max(1)) {
        for (s, plane) in sums.iter_mut().zip(sample.chunks_exact(l.max(1))) {
            let mut lanes = [0.0f32; 8];
            let mut chunks = plane.chunks_exact(8);
            for chunk in &mut chunks {
                lanes.iter_mut().zip(chunk).for_each(|(s, v)| *s += v);
            }
            *s += lanes.iter().sum::<f32>() + chunks.remainder().iter().sum::<f32>();
        }
    }
}

/// Adds the pieces' partial sums in order (the same result whichever core made which).
fn sum_in_order(len: usize, parts: impl IntoIterator<Item = Vec<f32>>) -> Vec<f32> {
    let mut total = vec![0.0f32; len];
    for p in parts {
        total.iter_mut().zip(&p).for_each(|(t, v)| *t += v);
    }
    total
}

/// A result buffer that the cores initialise piece by piece, each in its own cache, instead
/// of one core zeroing all of it first. Each [`Piece`] is initialised once
/// ([`Piece::init`]); [`Fresh::into_vec`] checks that every float was.
struct Fresh {
    v: Vec<f32>,
    len: usize,
    written: AtomicUsize,
}

/// A piece of a [`Fresh`] buffer, not yet initialised.
struct Piece<'a> {
    s: &'a mut [MaybeUninit<f32>],
    written: &'a AtomicUsize,
}

impl<'a> Piece<'a> {
    /// Sets every float of the piece to `v` and hands it over.
    fn init(self, v: f32) -> &'a mut [f32] {
        for x in self.s.iter_mut() {
            x.write(v);
        }
        self.written.fetch_add(self.s.len(), Ordering::Relaxed);
        // SAFETY: every element was written just above, and MaybeUninit<f32> has f32's layout.
        unsafe { &mut *(std::ptr::from_mut::<[MaybeUninit<f32>]>(self.s) as *mut [f32]) }
    }
}

impl Fresh {
    fn new(len: usize) -> Self {
        Fresh {
            v: Vec::with_capacity(len),
            len,
            written: AtomicUsize::new(0),
        }
    }

    /// The buffer in pieces of `size`; `count` empty pieces when it is empty (a gradient
    /// nobody asked for), so it zips with the pieces of the batch either way.
    fn pieces(&mut self, size: usize, count: usize) -> Vec<Piece<'_>> {
        let written = &self.written;
        if self.len == 0 {
            return (0..count)
                .map(|_| Piece {
                    s: Default::default(),
                    written,
                })
                .collect();
        }
        self.v.spare_capacity_mut()[..self.len]
            .chunks_mut(size.max(1))
            .map(|s| Piece { s, written })
            .collect()
    }

    /// The floats, once every piece was initialised (panics otherwise).
    fn into_vec(mut self) -> Vec<f32> {
        assert_eq!(
            self.written.into_inner(),
            self.len,
            "every piece of a fresh buffer is initialised"
        );
        // SAFETY: the pieces cover `..len` without overlap and each was written once, so all
        // `len` floats are initialised.
        unsafe { self.v.set_len(self.len) };
        self.v
    }
}

/// A piece's part of a weight gradient: `[c, m·l]` (channel-first, `chans`) times the
/// piece's gathered rows `[m·l, rows]`.
fn weight_part(c: usize, rows: usize, ml: usize, chans: &[f32], gathered: &[f32]) -> Vec<f32> {
    let mut dw = vec![0.0f32; c * rows];
    matmul(
        c,
        rows,
        ml,
        &mut dw,
        false,
        mat(chans, ml, 1),
        mat(gathered, rows, 1),
    );
    dw
}

/// A backward pass's `[dx, dweight, dbias]` where `want` asks: the input gradient, and the
/// pieces' weight and bias parts added in piece order.
fn gradients(
    want: [bool; 3],
    dx: Vec<f32>,
    x_shape: [usize; 4],
    parts: Vec<(Vec<f32>, Vec<f32>)>,
    w_shape: [usize; 4],
    bias_len: usize,
) -> [Option<FlexTensor>; 3] {
    let (dws, dbs): (Vec<_>, Vec<_>) = parts.into_iter().unzip();
    let w_len = w_shape.iter().product();
    [
        want[0].then(|| tensor(dx, x_shape)),
        want[1].then(|| tensor(sum_in_order(w_len, dws), w_shape)),
        want[2].then(|| tensor(sum_in_order(bias_len, dbs), [bias_len])),
    ]
}

/// Per-core scratch buffers of a piece (grown as needed, reused across the core's pieces).
#[derive(Default)]
struct Scratch {
    rows: Vec<f32>,
    a: Vec<f32>,
    /// One padded image (see [`Frame::padded`]).
    pad: Vec<f32>,
}

impl Scratch {
    /// Gathers the windows of every image of a piece (`f`'s images) into `rows`.
    fn gather(&mut self, f: &Frame, images: &[f32]) {
        let (image, per) = (f.image_len(), f.cols() * f.rows());
        self.rows.resize(images.len() / image * per, 0.0);
        for (p, img) in self
            .rows
            .chunks_exact_mut(per)
            .zip(images.chunks_exact(image))
        {
            f.im2row(img, p, &mut self.pad);
        }
    }
}

/// Applies `a` in place.
fn activate(a: DenseActivation, values: &mut [f32]) {
    a.apply_all(values);
}

/// What a convolution's forward pass keeps for its backward pass.
#[derive(Clone, Debug)]
struct ConvState {
    x: FlexTensor,
    weight: FlexTensor,
    g: ConvGeometry,
    a: DenseActivation,
    /// The output, when the activation needs it for its slope.
    y: Option<FlexTensor>,
}

/// Forward convolution. The batch goes through in pieces of a few samples, each on one core
/// from start to end: its windows gathered into rows (im2row), one product `W · rowsᵀ` for
/// the piece (channel by channel, `[co, m·l]`), and each sample's planes copied back to NCHW
/// with the bias and activation — the rows never leave the core's cache.
fn conv2d_forward(
    x: &FlexTensor,
    weight: &FlexTensor,
    bias: &FlexTensor,
    g: ConvGeometry,
    a: DenseActivation,
) -> FlexTensor {
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
    let image = f.image_len();
    if n * co * l == 0 || image == 0 {
        return tensor(vec![0.0; n * co * l], [n, co, f.oh, f.ow]);
    }
    let per = piece_samples(n, l * rows.max(co));
    let mut out = Fresh::new(n * co * l);
    out.pieces(per * co * l, 0)
        .into_par_iter()
        .zip(xv.par_chunks(per * image))
        .for_each_init(Scratch::default, |s, (o, xc)| {
            let o = o.init(0.0);
            let m = xc.len() / image;
            s.gather(&f, xc);
            // the piece's output channel by channel, [co, m·l] = W · rowsᵀ
            let ml = m * l;
            s.a.resize(co * ml, 0.0);
            matmul(
                co,
                ml,
                rows,
                &mut s.a,
                false,
                mat(&wv, rows, 1),
                mat(&s.rows, 1, rows),
            );
            for (i, o) in o.chunks_exact_mut(co * l).enumerate() {
                for (c, plane) in o.chunks_exact_mut(l).enumerate() {
                    let b = bv[c];
                    for (v, &x) in plane.iter_mut().zip(&s.a[c * ml + i * l..][..l]) {
                        *v = a.apply(x + b);
                    }
                }
            }
        });
    tensor(out.into_vec(), [n, co, f.oh, f.ow])
}

/// Gradients of a convolution: `[dx, dweight, dbias]`, each only where `want` asks. One pass
/// over the batch in pieces, as the forward pass: per piece, dy channel by channel (read as
/// `dyt`, one row per position), the rows' gradient `dyt · W` scattered onto dx, the windows gathered again for the
/// piece's part of `dytᵀ · rows` (cheaper than keeping every sample's rows from the forward
/// pass: they are in cache here), and the bias sums; the parts are added in order.
fn conv2d_backward(
    state: &ConvState,
    grad: FlexTensor,
    want: [bool; 3],
) -> [Option<FlexTensor>; 3] {
    let xs = dims4(&state.x);
    let f = conv_frame(xs, state.g);
    let (n, rows, l) = (xs[0], f.rows(), f.cols());
    let ws = dims4(&state.weight);
    let co = ws[0];
    let grad = before_activation(state.a, state.y.as_ref(), grad);
    let (dy, xv, wv) = (values(&grad), values(&state.x), values(&state.weight));
    let image = f.image_len();
    if n * co * l == 0 || image == 0 {
        return gradients(want, vec![0.0; n * image], xs, Vec::new(), ws, co);
    }
    let per = piece_samples(n, l * rows.max(co));
    let count = n.div_ceil(per);
    let mut dx = Fresh::new(if want[0] { n * image } else { 0 });
    let parts: Vec<(Vec<f32>, Vec<f32>)> = dx
        .pieces(per * image, count)
        .into_par_iter()
        .zip(dy.par_chunks(per * co * l))
        .zip(xv.par_chunks(per * image))
        .map_init(Scratch::default, |s, ((dx, dy), xc)| {
            // the scatter adds onto zeros
            let dx = dx.init(0.0);
            let m = dy.len() / (co * l);
            let mut dw = Vec::new();
            let mut db = Vec::new();
            let ml = m * l;
            if want[0] || want[1] {
                // dy channel by channel, [co, m·l]: read as dyt [m·l, co] and as its transpose
                to_channels(dy, co, l, &mut s.a);
            }
            if want[0] {
                s.rows.resize(m * l * rows, 0.0);
                matmul(
                    ml,
                    rows,
                    co,
                    &mut s.rows,
                    false,
                    mat(&s.a, 1, ml),
                    mat(&wv, rows, 1),
                );
                for (dx_i, d) in dx
                    .chunks_exact_mut(image)
                    .zip(s.rows.chunks_exact(l * rows))
                {
                    f.row2im(d, dx_i, &mut s.pad);
                }
            }
            if want[1] {
                s.gather(&f, xc);
                dw = weight_part(co, rows, ml, &s.a, &s.rows);
            }
            if want[2] {
                db = vec![0.0f32; co];
                add_channel_sums(dy, co, l, &mut db);
            }
            (dw, db)
        })
        .collect();
    gradients(want, dx.into_vec(), xs, parts, ws, co)
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

/// Forward transposed convolution, in pieces as [`conv2d_forward`]: per piece, x channel by
/// channel (read as `xt`, one row per input position), the rows `[m·l, rows] = xt · W` in one
/// product, scattered onto the outputs (which start as the bias), then the activation.
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
    let image = f.image_len();
    if n * image == 0 || ci * l == 0 {
        return tensor(vec![0.0; n * image], out_shape);
    }
    let per = piece_samples(n, l * rows.max(ci));
    let mut out = Fresh::new(n * image);
    out.pieces(per * image, 0)
        .into_par_iter()
        .zip(xv.par_chunks(per * ci * l))
        .for_each_init(Scratch::default, |s, (o, xc)| {
            // every plane is filled with its bias below
            let o = o.init(0.0);
            let m = o.len() / image;
            // x channel by channel [ci, m·l], read as xt [m·l, ci]
            let ml = m * l;
            to_channels(xc, ci, l, &mut s.a);
            s.rows.resize(ml * rows, 0.0);
            matmul(
                ml,
                rows,
                ci,
                &mut s.rows,
                false,
                mat(&s.a, 1, ml),
                mat(&wv, rows, 1),
            );
            for (o, p) in o.chunks_exact_mut(image).zip(s.rows.chunks_exact(l * rows)) {
                for (c, b) in o.chunks_exact_mut(plane.max(1)).zip(bv.iter()) {
                    c.fill(*b);
                }
                f.row2im(p, o, &mut s.pad);
                activate(a, o);
            }
        });
    tensor(out.into_vec(), out_shape)
}

/// Gradients of a transposed convolution: `[dx, dweight, dbias]`, each only where asked. One
/// pass in pieces: per piece, dy's windows gathered as rows (read by both the input and the
/// weight gradient), `W · rowsᵀ` (dx channel by channel) copied back to NCHW, the piece's
/// part of `xtᵀ · rows`, and the bias sums; the parts added in order.
fn conv_transpose2d_backward(
    state: &ConvTransposeState,
    grad: FlexTensor,
    want: [bool; 3],
) -> [Option<FlexTensor>; 3] {
    let xs = dims4(&state.x);
    let ws = dims4(&state.weight);
    let (out_shape, f) = transpose_frame(xs, ws, state.g);
    let (n, ci, co, rows, l) = (xs[0], xs[1], ws[1], f.rows(), f.cols());
    let plane = out_shape[2] * out_shape[3];
    let grad = before_activation(state.a, state.y.as_ref(), grad);
    let (dy, xv, wv) = (values(&grad), values(&state.x), values(&state.weight));
    let image = f.image_len();
    if n * ci * l == 0 || image == 0 {
        return gradients(want, vec![0.0; n * ci * l], xs, Vec::new(), ws, co);
    }
    let per = piece_samples(n, l * rows.max(ci));
    let count = n.div_ceil(per);
    let mut dx = Fresh::new(if want[0] { n * ci * l } else { 0 });
    let parts: Vec<(Vec<f32>, Vec<f32>)> = dx
        .pieces(per * ci * l, count)
        .into_par_iter()
        .zip(dy.par_chunks(per * image))
        .zip(xv.par_chunks(per * ci * l))
        .map_init(Scratch::default, |s, ((dx, dy), xc)| {
            let m = dy.len() / image;
            let mut dw = Vec::new();
            let mut db = Vec::new();
            if want[0] || want[1] {
                s.gather(&f, dy);
            }
            let ml = m * l;
            if want[0] {
                // channel by channel [ci, m·l] = W · rowsᵀ, each plane's run back to NCHW
                s.a.resize(ci * ml, 0.0);
                matmul(
                    ci,
                    ml,
                    rows,
                    &mut s.a,
                    false,
                    mat(&wv, rows, 1),
                    mat(&s.rows, 1, rows),
                );
                for (i, d) in dx.init(0.0).chunks_exact_mut(ci * l).enumerate() {
                    for (c, plane) in d.chunks_exact_mut(l).enumerate() {
                        plane.copy_from_slice(&s.a[c * ml + i * l..][..l]);
                    }
                }
            }
            if want[1] {
                // x channel by channel [ci, m·l]: xtᵀ for the piece's part of xtᵀ · rows
                to_channels(xc, ci, l, &mut s.a);
                dw = weight_part(ci, rows, ml, &s.a, &s.rows);
            }
            if want[2] {
                db = vec![0.0f32; co];
                add_channel_sums(dy, co, plane, &mut db);
            }
            (dw, db)
        })
        .collect();
    gradients(want, dx.into_vec(), xs, parts, ws, co)
}

impl FastConv for Flex {
    fn fast_conv2d(
        x: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        bias: FloatTensor<Self>,
        geometry: ConvGeometry,
        activation: DenseActivation,
    ) -> FloatTensor<Self> {
        conv2d_forward(&x, &weight, &bias, geometry, activation)
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
            let out = conv2d_forward(x, w, b, geometry, activation);
            let state = tracked.then(|| ConvState {
                x: x.clone(),
                weight: w.clone(),
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
    if x.dtype() != DType::F32 || !super::backend::on_cpu_engine(&x.device()) {
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
    if x.dtype() != DType::F32 || !super::backend::on_cpu_engine(&x.device()) {
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

    /// (input shape, channels out, geometry): the autoencoder's layers (as a transposed
    /// convolution, `[3, 16, 14, 14]` → 1 channel is the decoder's last) and some odd ones
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
            ([3, 16, 14, 14], 1, g(3, 2, 1, 1)),
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
                        f.im2row(&image, &mut rows, &mut Vec::new());
                        assert_eq!(rows, im2row_by_definition(&f, &image), "{g:?} {h}×{w}");
                        // row2im is the adjoint: <im2row(x), c> = <x, row2im(c)>
                        let c: Vec<f32> = (0..rows.len()).map(|i| (i % 7) as f32 - 3.0).collect();
                        let mut back = vec![0.0f32; f.image_len()];
                        f.row2im(&c, &mut back, &mut Vec::new());
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
    fn a_fresh_buffer_is_handed_over_only_when_every_piece_was_initialised() {
        let mut whole = Fresh::new(10);
        for (i, p) in whole.pieces(4, 0).into_iter().enumerate() {
            p.init(i as f32);
        }
        assert_eq!(
            whole.into_vec(),
            [0.0, 0.0, 0.0, 0.0, 1.0, 1.0, 1.0, 1.0, 2.0, 2.0]
        );
        let mut partial = Fresh::new(10);
        partial.pieces(4, 0).into_iter().take(2).for_each(|p| {
            p.init(1.0);
        });
        let refused = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| partial.into_vec()));
        assert!(refused.is_err(), "a piece was left uninitialised");
        // nothing asked for: empty pieces to zip with, and an empty vector
        let mut none = Fresh::new(0);
        assert_eq!(none.pieces(4, 3).len(), 3);
        assert!(none.into_vec().is_empty());
    }

    #[test]
    fn many_images_go_through_in_pieces_and_give_burns_values() {
        // 529 samples: eight pieces of 67, the last one ragged
        let device = inference_device();
        let n = 529;
        assert_eq!(piece_samples(n, 9 * 18), 67);
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
