//! Causal self-attention on CPU buffers, one head of one sequence at a time: the queries, keys and
//! values read where the packed projection `[B, T, 3·d]` holds them (strides, no split), the
//! scores, the masked softmax and the weighted values in one task per head, the heads written
//! merged into `[B, T, d]`; backward the same way into one `[B, T, 3·d]` gradient.
//!
//! Why not Burn's composition: on flex it is a permute copy of q, k and v, a scale pass, two
//! batched products (each output zero-filled and copied before it is written, see `dense`), the
//! mask built and applied, a softmax and a merge copy of the heads, and backward as many passes
//! again, each over `B·H·T·T` elements that leave the cache. Here a head's `T×T` weights stay in
//! cache between the product, the softmax and the next product.

use super::buffer::{Buffer, CpuTensor, Typed, typed};
use super::float::Float;
use super::loops::{ChunkLoop, run_fastest};
use burn::backend::{Backend, TensorMetadata, tensor::FloatTensor};
use burn::tensor::{FloatDType, Shape};
use rayon::prelude::*;

/// The sizes: `batch` sequences of `length` positions, `heads` heads of `d_head` features.
#[derive(Clone, Copy, Debug)]
pub(super) struct Heads {
    batch: usize,
    length: usize,
    heads: usize,
    d_head: usize,
}

impl Heads {
    /// From the packed projection's shape `[B, T, 3·d]`; the caller has checked that `3·heads`
    /// divides its last dimension.
    fn of(shape: &Shape, heads: usize) -> Self {
        let [batch, length, width] = shape.dims::<3>();
        Self {
            batch,
            length,
            heads,
            d_head: width / 3 / heads,
        }
    }
    fn d(self) -> usize {
        self.heads * self.d_head
    }
    /// Row stride of the packed projection.
    fn packed(self) -> usize {
        3 * self.d()
    }
    /// Offset of head `h`'s queries (`part` 0), keys (1) or values (2) in sequence `b`'s first row.
    fn at(self, b: usize, part: usize, h: usize) -> usize {
        b * self.length * self.packed() + part * self.d() + h * self.d_head
    }
    fn weights_shape(self) -> Shape {
        Shape::new([self.batch, self.heads, self.length, self.length])
    }
    fn merged_shape(self) -> Shape {
        Shape::new([self.batch, self.length, self.d()])
    }
    fn packed_shape(self) -> Shape {
        Shape::new([self.batch, self.length, self.packed()])
    }
}

/// A matrix at a raw pointer: element `(i, j)` at `i·rows + j·cols` (strides).
#[derive(Clone, Copy)]
struct At<E> {
    ptr: *const E,
    rows: isize,
    cols: isize,
}

impl<E> At<E> {
    fn t(self) -> Self {
        Self {
            rows: self.cols,
            cols: self.rows,
            ..self
        }
    }
}

/// A pointer into an output that several tasks write, each its own elements.
#[derive(Clone, Copy)]
struct Shared<E>(*mut E);
// SAFETY: the tasks below write disjoint elements through it (each head its own columns of its
// own sequence's rows), and the buffer outlives the parallel loop that uses it.
unsafe impl<E: Send> Send for Shared<E> {}
unsafe impl<E: Send> Sync for Shared<E> {}

/// `dst (m×n, row stride dst_rows) = scale · lhs (m×k) · rhs (k×n)`, one thread (the heads are
/// the parallel tasks).
///
/// # Safety
/// `lhs`, `rhs` and `dst` must address `m×k`, `k×n` and `m×n` valid elements with their strides,
/// and no other thread may touch `dst`'s elements meanwhile.
#[allow(clippy::too_many_arguments)]
unsafe fn product<E: Float>(
    m: usize,
    n: usize,
    k: usize,
    dst: *mut E,
    dst_rows: usize,
    lhs: At<E>,
    rhs: At<E>,
    scale: E,
) {
    // SAFETY: the caller's; gemm reads no element of `dst` (alpha 0, `read_dst` false) and writes
    // all m·n of them, zeros when k = 0.
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            dst,
            1,
            dst_rows as isize,
            false,
            lhs.ptr,
            lhs.cols,
            lhs.rows,
            rhs.ptr,
            rhs.cols,
            rhs.rows,
            E::ZERO,
            scale,
            false,
            false,
            false,
            gemm::Parallelism::None,
        );
    }
}

/// Row `i` of a head's scores → its causal softmax: `exp(s − max) / Σ exp(s − max)` over
/// `j ≤ i`, 0 after. Sums and maxima in 16 lanes, so the loops vectorise.
struct CausalSoftmax {
    length: usize,
}

impl<E: Float> ChunkLoop<E> for CausalSoftmax {
    #[inline(always)]
    fn run(&self, _: usize, block: &mut [E]) {
        let length = self.length;
        for (i, row) in block.chunks_exact_mut(length.max(1)).enumerate() {
            let (seen, future) = row.split_at_mut((i + 1).min(length));
            let mut lanes = [E::NEG_INFINITY; 16];
            let mut chunks = seen.chunks_exact(16);
            for chunk in &mut chunks {
                for (m, &s) in lanes.iter_mut().zip(chunk) {
                    *m = if s > *m { s } else { *m };
                }
            }
            let max = chunks
                .remainder()
                .iter()
                .chain(&lanes)
                .fold(E::NEG_INFINITY, |m, &s| if s > m { s } else { m });
            let mut sums = [E::ZERO; 16];
            let mut chunks = seen.chunks_exact_mut(16);
            for chunk in &mut chunks {
                for (sum, s) in sums.iter_mut().zip(chunk) {
                    *s = (*s - max).exp();
                    *sum = *sum + *s;
                }
            }
            let mut sum = E::ZERO;
            for s in chunks.into_remainder() {
                *s = (*s - max).exp();
                sum = sum + *s;
            }
            // one division per row; the multiply below vectorises
            let inverse = sums.iter().fold(sum, |a, &b| a + b).recip();
            for s in seen.iter_mut() {
                *s = *s * inverse;
            }
            future.fill(E::ZERO);
        }
    }
}

/// A head's weights `P` and their gradient `dP` → the scores' gradient in place of `dP`:
/// `dS = P ⊙ (dP − Σ_j P ⊙ dP)` over `j ≤ i`, 0 after (softmax's backward; masked scores get
/// none).
struct CausalSoftmaxBackward<'a, E> {
    weights: &'a [E],
    length: usize,
}

impl<E: Float> ChunkLoop<E> for CausalSoftmaxBackward<'_, E> {
    #[inline(always)]
    fn run(&self, _: usize, block: &mut [E]) {
        let length = self.length;
        let rows = block
            .chunks_exact_mut(length.max(1))
            .zip(self.weights.chunks_exact(length.max(1)));
        for (i, (grad, weights)) in rows.enumerate() {
            let seen = (i + 1).min(length);
            let (grad, future) = grad.split_at_mut(seen);
            let weights = &weights[..seen];
            let mut lanes = [E::ZERO; 16];
            let mut chunks = grad.chunks_exact(16).zip(weights.chunks_exact(16));
            for (g, p) in &mut chunks {
                for ((lane, &g), &p) in lanes.iter_mut().zip(g).zip(p) {
                    *lane = *lane + g * p;
                }
            }
            let tail = seen - seen % 16;
            let dot = grad[tail..]
                .iter()
                .zip(&weights[tail..])
                .fold(lanes.iter().fold(E::ZERO, |a, &b| a + b), |a, (&g, &p)| {
                    a + g * p
                });
            for (g, &p) in grad.iter_mut().zip(weights) {
                *g = p * (*g - dot);
            }
            future.fill(E::ZERO);
        }
    }
}

/// `(heads merged [B, T, d], weights [B, H, T, T])` of the packed projection `qkv`.
fn forward<E: Float>(qkv: &[E], s: Heads) -> (Vec<E>, Vec<E>) {
    let (t, dh, packed) = (s.length, s.d_head, s.packed() as isize);
    let block = t * t;
    let mut weights: Vec<E> = Vec::with_capacity(s.batch * s.heads * block);
    let mut merged: Vec<E> = Vec::with_capacity(s.batch * t * s.d());
    let scale = E::from_f64(1.0 / (dh as f64).sqrt());
    let out = Shared(merged.as_mut_ptr());
    if block > 0 {
        weights.spare_capacity_mut()[..s.batch * s.heads * block]
            .par_chunks_mut(block)
            .enumerate()
            .for_each(|(bh, scores)| {
                let (out, data) = (out, qkv.as_ptr());
                let (b, h) = (bh / s.heads, bh % s.heads);
                let scores_ptr = scores.as_mut_ptr().cast::<E>();
                let part = |p: usize| At {
                    // SAFETY: `at` is inside `qkv` for b < B, p < 3, h < H
                    ptr: unsafe { data.add(s.at(b, p, h)) },
                    rows: packed,
                    cols: 1,
                };
                // SAFETY: q, k and v are T×dh views inside `qkv` (rows of 3·d); the block is this
                // task's own T×T; the output's rows of sequence b, columns of head h, are written
                // by this task only.
                unsafe {
                    product(t, t, dh, scores_ptr, t, part(0), part(1).t(), scale);
                    // every element of the block was written by the product just above
                    let scores = core::slice::from_raw_parts_mut(scores_ptr, block);
                    run_fastest(&CausalSoftmax { length: t }, 0, scores);
                    let dst = out.0.add(b * t * s.d() + h * dh);
                    let weights = At {
                        ptr: scores.as_ptr(),
                        rows: t as isize,
                        cols: 1,
                    };
                    product(t, dh, t, dst, s.d(), weights, part(2), E::ONE);
                }
            });
    }
    // SAFETY: every block of the weights was written above, and every (sequence, head) wrote its
    // T×dh share of the merged output (all of it when the blocks are non-empty; none exist
    // otherwise, and then T = 0 or B·H = 0 and the output is empty too, or d = 0).
    unsafe {
        weights.set_len(s.batch * s.heads * block);
        if block > 0 || s.d() == 0 {
            merged.set_len(s.batch * t * s.d());
        }
    }
    (merged, weights)
}

/// The packed projection's gradient `[B, T, 3·d]` from the merged output's, `grad`.
fn backward<E: Float>(qkv: &[E], weights: &[E], grad: &[E], s: Heads) -> Vec<E> {
    let (t, dh, d, packed) = (s.length, s.d_head, s.d(), s.packed());
    let block = t * t;
    let mut dqkv: Vec<E> = Vec::with_capacity(s.batch * t * packed);
    let scale = E::from_f64(1.0 / (dh as f64).sqrt());
    let out = Shared(dqkv.as_mut_ptr());
    if block > 0 {
        weights.par_chunks(block).enumerate().for_each_init(
            Vec::new,
            |scratch: &mut Vec<E>, (bh, p)| {
                let (out, data, grad) = (out, qkv.as_ptr(), grad.as_ptr());
                let (b, h) = (bh / s.heads, bh % s.heads);
                scratch.resize(block, E::ZERO);
                let part = |p: usize| At {
                    // SAFETY: `at` is inside `qkv` for b < B, p < 3, h < H
                    ptr: unsafe { data.add(s.at(b, p, h)) },
                    rows: packed as isize,
                    cols: 1,
                };
                let d_out = At {
                    // SAFETY: row b·T, column h·dh of the T×d gradient
                    ptr: unsafe { grad.add(b * t * d + h * dh) },
                    rows: d as isize,
                    cols: 1,
                };
                let p_at = At {
                    ptr: p.as_ptr(),
                    rows: t as isize,
                    cols: 1,
                };
                // SAFETY: the views are as in `forward`; this task writes only head h's columns
                // of sequence b's rows of `dqkv` (q, k and v parts) and its own scratch.
                unsafe {
                    let dst = |part: usize| out.0.add(s.at(b, part, h));
                    // dV = Pᵀ · dO
                    product(t, dh, t, dst(2), packed, p_at.t(), d_out, E::ONE);
                    // dP = dO · Vᵀ, then dS in its place
                    product(
                        t,
                        t,
                        dh,
                        scratch.as_mut_ptr(),
                        t,
                        d_out,
                        part(2).t(),
                        E::ONE,
                    );
                    let backward = CausalSoftmaxBackward {
                        weights: p,
                        length: t,
                    };
                    run_fastest(&backward, 0, scratch);
                    let ds = At {
                        ptr: scratch.as_ptr(),
                        rows: t as isize,
                        cols: 1,
                    };
                    // dQ = scale · dS · K, dK = scale · dSᵀ · Q
                    product(t, dh, t, dst(0), packed, ds, part(1), scale);
                    product(t, dh, t, dst(1), packed, ds.t(), part(0), scale);
                }
            },
        );
    }
    // SAFETY: every (sequence, head) wrote its q, k and v columns of its rows: all of `dqkv` when
    // the blocks are non-empty (else it is empty, or d = 0).
    unsafe {
        if block > 0 || d == 0 {
            dqkv.set_len(s.batch * t * packed);
        }
    }
    dqkv
}

/// Causal attention over the packed projection `qkv [B, T, 3·d]` with `heads` heads: the heads
/// merged `[B, T, d]` and the weights `[B, H, T, T]` (for the backward). float32 and float64 run
/// as they are; other float dtypes run in float32 and are cast back.
pub(super) fn causal_attention<B: Backend>(
    qkv: FloatTensor<B>,
    heads: usize,
) -> (FloatTensor<B>, FloatTensor<B>)
where
    FloatTensor<B>: CpuTensor,
{
    let s = Heads::of(&qkv.shape(), heads);
    let buffers: Option<Vec<Buffer<'_>>> = [&qkv].into_iter().map(|t| t.buffer()).collect();
    match buffers.as_deref().and_then(typed) {
        Some(Typed::F32(b)) => {
            let (merged, weights) = forward(b[0], s);
            (
                FloatTensor::<B>::from_f32(merged, s.merged_shape()),
                FloatTensor::<B>::from_f32(weights, s.weights_shape()),
            )
        }
        Some(Typed::F64(b)) => {
            let (merged, weights) = forward(b[0], s);
            (
                FloatTensor::<B>::from_f64(merged, s.merged_shape()),
                FloatTensor::<B>::from_f64(weights, s.weights_shape()),
            )
        }
        None => {
            let dtype: FloatDType = qkv.dtype().into();
            let (merged, weights) =
                causal_attention::<B>(B::float_cast(qkv.clone(), FloatDType::F32), heads);
            (B::float_cast(merged, dtype), B::float_cast(weights, dtype))
        }
    }
}

/// The gradient of [`causal_attention`] with respect to `qkv`, given the merged output's.
pub(super) fn causal_attention_backward<B: Backend>(
    qkv: FloatTensor<B>,
    weights: FloatTensor<B>,
    grad: FloatTensor<B>,
    heads: usize,
) -> FloatTensor<B>
where
    FloatTensor<B>: CpuTensor,
{
    let s = Heads::of(&qkv.shape(), heads);
    let tensors = [&qkv, &weights, &grad];
    let buffers: Option<Vec<Buffer<'_>>> = tensors.into_iter().map(|t| t.buffer()).collect();
    match buffers.as_deref().and_then(typed) {
        Some(Typed::F32(b)) => {
            FloatTensor::<B>::from_f32(backward(b[0], b[1], b[2], s), s.packed_shape())
        }
        Some(Typed::F64(b)) => {
            FloatTensor::<B>::from_f64(backward(b[0], b[1], b[2], s), s.packed_shape())
        }
        None => {
            let dtype: FloatDType = qkv.dtype().into();
            let f32 = |t: &FloatTensor<B>| B::float_cast(t.clone(), FloatDType::F32);
            let dqkv = causal_attention_backward::<B>(f32(&qkv), f32(&weights), f32(&grad), heads);
            B::float_cast(dqkv, dtype)
        }
    }
}
