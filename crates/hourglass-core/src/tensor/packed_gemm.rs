//! The matrix product of the browser build: packed panels and a register tile sized for
//! WebAssembly's SIMD as V8 compiles it.
//!
//! Why by hand: in the browser the `gemm` crate's `simd128` kernel (a 12×4 tile: twelve
//! accumulators and four operand vectors, more than the fifteen XMM registers V8 allocates)
//! was 65–70% of a training step. Measured here (Node's V8, one thread, a tile's inner loop
//! in L1): a tile of that shape ran at 24 GFLOP/s, this 4×8 one (eight accumulators, two
//! vectors of the right operand, a broadcast and a product: twelve registers) at 31–32. With
//! the packing below (4×4 transposes, vector copies), a training step of the Digits Lab's
//! 784-100-50-25-2 model went from 138–155 to 186–207 steps/s and the Studio's
//! 784-256-128-32 from 55–62 to 77–84 (`examples/train_steps.rs` under Node's WASI, best of
//! five). Tried and not kept, each no faster in training or slower: a 3×12 tile (34–36 GFLOP/s
//! alone, lost again to packing three-row strips); 5×8 and 6×8 tiles (20–24, spilled); the
//! loop unrolled by 2 or 4 (LLVM hoists the loads, V8 spills: 25); one load of a step's four
//! left values and lane shuffles instead of four broadcasts (30); reading row-major panels and
//! transposed strips in place instead of packing them (the Studio's model 9% slower); deeper
//! blocks (`KC` 512, 800); pack buffers kept between products. The inner loop is now bound by
//! V8's instruction count (34 a step for 16 products and sums: LLVM writes each load's
//! constant offset as an `i32.add`, not the load's offset immediate, because it cannot prove
//! the add does not wrap, and V8 turns each into an address add and a move). Writing the
//! addresses as an aligned base `|` the offset (buffers aligned to 32) does get the offsets
//! folded, and won 8% on the tile alone, but V8 then spends the same instructions on the
//! masks: 34 a step again, no faster in training.
//!
//! Natively the `gemm` crate (AVX2/FMA, chosen at run time) stays; there this module is
//! compiled only for its tests, with plain-Rust loops of the same shapes, so the packing,
//! edges and strides are checked by `cargo test`. The SIMD loops are checked by the same
//! tests built for WebAssembly (by hand: `RUSTFLAGS="-C target-feature=+simd128" cargo test
//! --release --target wasm32-wasip1 -p hourglass-core --lib --no-run`, then
//! `node bench/wasm/wasi-run.mjs …/hourglass_core-….wasm tensor::` — the dense and conv ops'
//! tests compare them with Burn's own), and in CI by the static site's tests (a model
//! trained in the browser evaluates natively to the figures the page showed).

use super::host::Mat;

/// Rows of the register tile.
const MR: usize = 4;
/// 4-lane vectors a row of the tile.
const NV: usize = 2;
/// Columns of the register tile.
const NR: usize = 4 * NV;
/// Depth of one packed block (its right panel, `KC`×`NR` floats, is 8 KB: it stays in L1
/// while the left strips stream past it).
const KC: usize = 256;

/// `dst [m×n, row-major] = (accumulate ? dst : 0) + lhs [m×k] · rhs [k×n]`. The caller has
/// checked that every index of the three operands is inside its slice.
pub(super) fn matmul(
    m: usize,
    n: usize,
    k: usize,
    dst: &mut [f32],
    accumulate: bool,
    lhs: Mat,
    rhs: Mat,
) {
    let dst = &mut dst[..m * n];
    if !accumulate {
        dst.fill(0.0);
    }
    let strips = m.div_ceil(MR);
    let panels = n.div_ceil(NR);
    let depth = k.min(KC);
    let mut a_pack = vec![0.0f32; strips * MR * depth];
    let mut b_pack = vec![0.0f32; panels * NR * depth];
    for k0 in (0..k).step_by(KC) {
        let kc = KC.min(k - k0);
        pack_rhs(&mut b_pack[..panels * NR * kc], rhs, k0, kc, n);
        pack_lhs(&mut a_pack[..strips * MR * kc], lhs, k0, kc, m);
        for panel in 0..panels {
            let b = &b_pack[panel * NR * kc..][..NR * kc];
            let col = panel * NR;
            let cols = NR.min(n - col);
            for strip in 0..strips {
                let a = &a_pack[strip * MR * kc..][..MR * kc];
                let row = strip * MR;
                let out = &mut dst[row * n + col..];
                simd::add_tile(simd::tile(kc, a, b), out, n, MR.min(m - row), cols);
            }
        }
    }
}

/// Rows `k0..k0+kc` of the right operand as panels of 8 columns, each `kc`×8 row-major;
/// columns past `n` are zeros. A row-major operand is copied a run of columns at a time, a
/// transposed one four columns at a time through a 4×4 transpose (most of a training step's
/// products are one or the other); other strides element by element.
fn pack_rhs(pack: &mut [f32], rhs: Mat, k0: usize, kc: usize, n: usize) {
    for (panel, chunk) in pack.chunks_exact_mut(NR * kc).enumerate() {
        let col = panel * NR;
        let cols = NR.min(n - col);
        if cols < NR {
            chunk.fill(0.0);
        }
        let mut done = 0;
        if rhs.cs == 1 {
            for (kk, row) in chunk.chunks_exact_mut(NR).enumerate() {
                simd::copy(
                    &mut row[..cols],
                    &rhs.data[(k0 + kk) * rhs.rs + col..][..cols],
                );
            }
            done = cols;
        } else if rhs.rs == 1 {
            let column = |c: usize| &rhs.data[(col + c) * rhs.cs + k0..][..kc];
            while done + 4 <= cols {
                let c = done;
                let columns = [column(c), column(c + 1), column(c + 2), column(c + 3)];
                simd::interleave::<4>(columns, &mut chunk[c..], NR);
                done += 4;
            }
        }
        if done < cols {
            for (kk, row) in chunk.chunks_exact_mut(NR).enumerate() {
                for (c, v) in row.iter_mut().enumerate().take(cols).skip(done) {
                    *v = rhs.at(k0 + kk, col + c);
                }
            }
        }
    }
}

/// Columns `k0..k0+kc` of the left operand as strips of `MR` rows, each `kc`×`MR` (a step's
/// `MR` values side by side); rows past `m` are zeros. Fast paths as in [`pack_rhs`].
fn pack_lhs(pack: &mut [f32], lhs: Mat, k0: usize, kc: usize, m: usize) {
    for (strip, chunk) in pack.chunks_exact_mut(MR * kc).enumerate() {
        let row = strip * MR;
        let rows = MR.min(m - row);
        if rows < MR {
            chunk.fill(0.0);
        }
        if lhs.rs == 1 {
            for (kk, step) in chunk.chunks_exact_mut(MR).enumerate() {
                simd::copy(
                    &mut step[..rows],
                    &lhs.data[(k0 + kk) * lhs.cs + row..][..rows],
                );
            }
        } else if lhs.cs == 1 && rows == MR {
            let rows_of = std::array::from_fn(|r| &lhs.data[(row + r) * lhs.rs + k0..][..kc]);
            simd::interleave::<MR>(rows_of, chunk, MR);
        } else {
            for (kk, step) in chunk.chunks_exact_mut(MR).enumerate() {
                for (r, v) in step[..rows].iter_mut().enumerate() {
                    *v = lhs.at(row + r, k0 + kk);
                }
            }
        }
    }
}

/// The inner loops in WebAssembly's SIMD.
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
mod simd {
    use super::{MR, NR, NV};
    use core::arch::wasm32::{
        f32x4_add, f32x4_mul, f32x4_splat, i32x4_shuffle, v128, v128_load, v128_load32_splat,
        v128_store,
    };

    /// An `MR`×`NR` tile of sums, `NV` vectors a row.
    pub(super) type Tile = [[v128; NV]; MR];

    /// One tile: `Σ_kk a[kk][r] · b[kk][c]` over a packed strip and panel. Not inlined: V8
    /// allocates this small function's registers well.
    #[inline(never)]
    pub(super) fn tile(kc: usize, a: &[f32], b: &[f32]) -> Tile {
        assert!(a.len() >= kc * MR && b.len() >= kc * NR);
        let mut acc = [[f32x4_splat(0.0); NV]; MR];
        let (mut ap, mut bp) = (a.as_ptr(), b.as_ptr());
        // SAFETY: the assert above: step `kk` reads `a[kk·MR .. kk·MR + MR]` and
        // `b[kk·NR .. kk·NR + NR]`, inside both slices for every `kk < kc`. These loads have
        // no alignment requirement.
        unsafe {
            for _ in 0..kc {
                let b: [v128; NV] = std::array::from_fn(|v| v128_load(bp.add(4 * v).cast()));
                for (r, acc) in acc.iter_mut().enumerate() {
                    let a = v128_load32_splat(ap.add(r).cast::<u32>());
                    for (acc, &b) in acc.iter_mut().zip(&b) {
                        *acc = f32x4_add(*acc, f32x4_mul(a, b));
                    }
                }
                ap = ap.add(MR);
                bp = bp.add(NR);
            }
        }
        acc
    }

    /// Adds the tile's first `rows`×`cols` to `out` (row `r` at `out[r·n ..]`).
    pub(super) fn add_tile(tile: Tile, out: &mut [f32], n: usize, rows: usize, cols: usize) {
        for (r, acc) in tile.iter().enumerate().take(rows) {
            let row = &mut out[r * n..][..cols];
            if cols == NR {
                // SAFETY: `row` is `NR` floats: `NV` 16-byte loads and stores inside it.
                unsafe {
                    let p = row.as_mut_ptr().cast::<v128>();
                    for (v, &acc) in acc.iter().enumerate() {
                        v128_store(p.add(v), f32x4_add(v128_load(p.add(v)), acc));
                    }
                }
            } else {
                let mut values = [0.0f32; NR];
                // SAFETY: `values` is `NR` floats, `NV` 16-byte stores.
                unsafe {
                    let p = values.as_mut_ptr().cast::<v128>();
                    acc.iter()
                        .enumerate()
                        .for_each(|(v, &acc)| v128_store(p.add(v), acc));
                }
                row.iter_mut().zip(values).for_each(|(o, v)| *o += v);
            }
        }
    }

    /// `dst = src` for the short runs packing copies: whole vectors, or element by element
    /// (`copy_from_slice` would call `memcpy` for a dozen bytes).
    #[inline(always)]
    pub(super) fn copy(dst: &mut [f32], src: &[f32]) {
        assert_eq!(dst.len(), src.len());
        if dst.len().is_multiple_of(4) {
            let (d, s) = (dst.as_mut_ptr().cast::<v128>(), src.as_ptr().cast::<v128>());
            for v in 0..dst.len() / 4 {
                // SAFETY: both slices are `len` floats (asserted), `len / 4` whole vectors.
                unsafe { v128_store(d.add(v), v128_load(s.add(v))) };
            }
        } else {
            for (d, &s) in dst.iter_mut().zip(src) {
                *d = s;
            }
        }
    }

    /// `out[kk·stride + j] = src[j][kk]` for `R ≤ 4` equal-length sources: four steps at a
    /// time through a 4×4 transpose in registers (V8 turns these shuffles into single unpack
    /// and move instructions), each step stored as 4 lanes (with `R < 4` the last lane lands
    /// on the next step's first slot, which that step then overwrites).
    pub(super) fn interleave<const R: usize>(src: [&[f32]; R], out: &mut [f32], stride: usize) {
        const { assert!(R >= 1 && R <= 4) };
        let len = src[0].len();
        assert!(src.iter().all(|s| s.len() == len) && stride >= R);
        // the 4-lane stores of a group of four steps end at `(kk + 3)·stride + 4`
        let mut kk = 0;
        while kk + 4 <= len && (kk + 3) * stride + 4 <= out.len() {
            // SAFETY: `kk + 4 ≤ len` for the loads; the stores end inside `out` (the loop's
            // condition).
            unsafe {
                let zero = f32x4_splat(0.0);
                let v: [v128; 4] = std::array::from_fn(|j| {
                    if j < R {
                        v128_load(src[j].as_ptr().add(kk).cast::<v128>())
                    } else {
                        zero
                    }
                });
                let t0 = i32x4_shuffle::<0, 4, 1, 5>(v[0], v[1]);
                let t1 = i32x4_shuffle::<2, 6, 3, 7>(v[0], v[1]);
                let t2 = i32x4_shuffle::<0, 4, 1, 5>(v[2], v[3]);
                let t3 = i32x4_shuffle::<2, 6, 3, 7>(v[2], v[3]);
                let steps = [
                    i32x4_shuffle::<0, 1, 4, 5>(t0, t2),
                    i32x4_shuffle::<2, 3, 6, 7>(t0, t2),
                    i32x4_shuffle::<0, 1, 4, 5>(t1, t3),
                    i32x4_shuffle::<2, 3, 6, 7>(t1, t3),
                ];
                for (j, v) in steps.into_iter().enumerate() {
                    v128_store(out.as_mut_ptr().add((kk + j) * stride).cast::<v128>(), v);
                }
            }
            kk += 4;
        }
        for kk in kk..len {
            for (j, s) in src.iter().enumerate() {
                out[kk * stride + j] = s[kk];
            }
        }
    }
}

/// The same loops in plain Rust (the native build's tests).
#[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
mod simd {
    use super::{MR, NR};

    pub(super) type Tile = [[f32; NR]; MR];

    pub(super) fn tile(kc: usize, a: &[f32], b: &[f32]) -> Tile {
        let mut out = [[0.0f32; NR]; MR];
        for (a, b) in a.chunks_exact(MR).zip(b.chunks_exact(NR)).take(kc) {
            for (out, &a) in out.iter_mut().zip(a) {
                for (o, &b) in out.iter_mut().zip(b) {
                    *o += a * b;
                }
            }
        }
        out
    }

    pub(super) fn add_tile(tile: Tile, out: &mut [f32], n: usize, rows: usize, cols: usize) {
        for (r, values) in tile.iter().enumerate().take(rows) {
            for (o, v) in out[r * n..][..cols].iter_mut().zip(values) {
                *o += v;
            }
        }
    }

    pub(super) fn copy(dst: &mut [f32], src: &[f32]) {
        dst.copy_from_slice(src);
    }

    pub(super) fn interleave<const R: usize>(src: [&[f32]; R], out: &mut [f32], stride: usize) {
        for (j, s) in src.iter().enumerate() {
            for (kk, &v) in s.iter().enumerate() {
                out[kk * stride + j] = v;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tensor::host::{mat, test_data::wave};

    fn naive(m: usize, n: usize, k: usize, lhs: Mat, rhs: Mat) -> Vec<f32> {
        let mut out = vec![0.0; m * n];
        for i in 0..m {
            for j in 0..n {
                out[i * n + j] = (0..k).map(|kk| lhs.at(i, kk) * rhs.at(kk, j)).sum();
            }
        }
        out
    }

    #[test]
    fn equals_the_textbook_product_at_every_edge_and_stride() {
        // sizes around the tile (4×8) and the block depth (256), as the layers give them
        for &(m, n, k) in &[
            (1, 1, 1),
            (3, 7, 5),
            (4, 8, 256),
            (5, 9, 257),
            (128, 100, 784),
            (100, 784, 128),
            (128, 2, 25),
            (25, 50, 600),
        ] {
            let a = wave(m * k, 0.3);
            let b = wave(k * n, 1.7);
            let (a_strided, b_strided) = (wave(m * k * 2, 0.3), wave(k * n * 2, 1.7));
            for (lhs, rhs) in [
                (mat(&a, k, 1), mat(&b, n, 1)), // both row-major
                (mat(&a, 1, m), mat(&b, 1, k)), // both transposed views
                // every other element (neither stride 1)
                (mat(&a_strided, 2 * k, 2), mat(&b_strided, 2, 2 * k)),
            ] {
                let want = naive(m, n, k, lhs, rhs);
                let mut got = vec![f32::NAN; m * n + 3];
                matmul(m, n, k, &mut got, false, lhs, rhs);
                for (i, (g, w)) in got.iter().zip(&want).enumerate() {
                    assert!(
                        (g - w).abs() <= 1e-4 * (1.0 + w.abs()),
                        "{m}×{n}×{k} at {i}"
                    );
                }
                assert!(got[m * n..].iter().all(|v| v.is_nan()), "wrote past m×n");
                // accumulating adds the product to what is there
                let mut acc = vec![1.0; m * n];
                matmul(m, n, k, &mut acc, true, lhs, rhs);
                for (g, w) in acc.iter().zip(&want) {
                    assert!((g - (w + 1.0)).abs() <= 1e-4 * (2.0 + w.abs()));
                }
            }
        }
    }
}
