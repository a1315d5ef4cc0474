//! Layer normalisation over the last dimension on CPU buffers, one task per block of rows forward
//! and backward (as PyTorch's `native_layer_norm` and its backward): each row's mean and `1/σ`
//! kept for the backward, the affine parameters' gradients summed per task and then across tasks
//! in task order (the same sums on every run).
//!
//! Why not Burn's composition: Burn 0.22.1's `layer_norm` is nine tensor ops (mean, subtract,
//! square, mean, add ε, square root, divide, scale, shift), each a pass over the activations and
//! each an autodiff node with a backward of its own; a transformer runs it twice per block and
//! once at the end.

use super::buffer::{Buffer, CpuTensor, Typed, typed};
use super::float::Float;
use super::loops::{Task, run_task_fastest};
use burn::backend::{Backend, TensorMetadata, tensor::FloatTensor};
use burn::tensor::{FloatDType, Shape};
use core::mem::MaybeUninit;
use rayon::prelude::*;

/// Rows per parallel task (a task's rows share one set of partial parameter gradients).
const ROWS_PER_TASK: usize = 32;

/// `Σ f(x)` over a slice in 16 lanes (so that the loop vectorises), then across the lanes.
#[inline(always)]
fn lanes_sum<E: Float>(x: &[E], f: impl Fn(E) -> E) -> E {
    let mut lanes = [E::ZERO; 16];
    let mut chunks = x.chunks_exact(16);
    for chunk in &mut chunks {
        for (lane, &v) in lanes.iter_mut().zip(chunk) {
            *lane = *lane + f(v);
        }
    }
    let tail = chunks.remainder().iter().fold(E::ZERO, |a, &v| a + f(v));
    lanes.iter().fold(tail, |a, &b| a + b)
}

/// `Σ f(x, y)` over two slices in 16 lanes.
#[inline(always)]
fn lanes_sum2<E: Float>(x: &[E], y: &[E], f: impl Fn(E, E) -> E) -> E {
    let mut lanes = [E::ZERO; 16];
    let mut chunks = x.chunks_exact(16).zip(y.chunks_exact(16));
    for (cx, cy) in &mut chunks {
        for ((lane, &a), &b) in lanes.iter_mut().zip(cx).zip(cy) {
            *lane = *lane + f(a, b);
        }
    }
    let tail = x.len() - x.len() % 16;
    let rest = x[tail..]
        .iter()
        .zip(&y[tail..])
        .fold(E::ZERO, |a, (&u, &v)| a + f(u, v));
    lanes.iter().fold(rest, |a, &b| a + b)
}

/// `Σ f(x, y, z)` over three slices in 16 lanes.
#[inline(always)]
fn lanes_sum3<E: Float>(x: &[E], y: &[E], z: &[E], f: impl Fn(E, E, E) -> E) -> E {
    let mut lanes = [E::ZERO; 16];
    let chunks = x
        .chunks_exact(16)
        .zip(y.chunks_exact(16))
        .zip(z.chunks_exact(16));
    for ((cx, cy), cz) in chunks {
        for (((lane, &a), &b), &c) in lanes.iter_mut().zip(cx).zip(cy).zip(cz) {
            *lane = *lane + f(a, b, c);
        }
    }
    let tail = x.len() - x.len() % 16;
    let rest = (tail..x.len()).fold(E::ZERO, |a, i| a + f(x[i], y[i], z[i]));
    lanes.iter().fold(rest, |a, &b| a + b)
}

/// The forward over a block of rows: `out` (rows × d) and `stats` (rows × 2: mean, 1/σ).
struct Forward<'a, E> {
    x: &'a [E],
    gamma: &'a [E],
    beta: &'a [E],
    epsilon: E,
    out: &'a mut [MaybeUninit<E>],
    stats: &'a mut [MaybeUninit<E>],
}

impl<E: Float> Task for Forward<'_, E> {
    #[inline(always)]
    fn run(self) {
        let d = self.gamma.len();
        let per_d = E::from_usize(d).recip();
        let rows = self
            .x
            .chunks_exact(d)
            .zip(self.out.chunks_exact_mut(d))
            .zip(self.stats.chunks_exact_mut(2));
        for ((x, y), stat) in rows {
            // two passes, as Burn's and PyTorch's: the centred squares do not cancel
            let mean = lanes_sum(x, |v| v) * per_d;
            let variance = lanes_sum(x, |v| (v - mean) * (v - mean)) * per_d;
            let rstd = (variance + self.epsilon).sqrt().recip();
            for (((y, &x), &g), &b) in y.iter_mut().zip(x).zip(self.gamma).zip(self.beta) {
                y.write((x - mean) * rstd * g + b);
            }
            stat[0].write(mean);
            stat[1].write(rstd);
        }
    }
}

/// The backward over a block of rows: `dx` written, the block's `dγ` and `dβ` accumulated into
/// `partial` (`[dγ; dβ]`, 2·d).
struct Backward<'a, E> {
    x: &'a [E],
    grad: &'a [E],
    stats: &'a [E],
    gamma: &'a [E],
    dx: &'a mut [MaybeUninit<E>],
    partial: &'a mut [E],
}

impl<E: Float> Task for Backward<'_, E> {
    #[inline(always)]
    fn run(self) {
        let d = self.gamma.len();
        let per_d = E::from_usize(d).recip();
        let (d_gamma, d_beta) = self.partial.split_at_mut(d);
        let rows = self
            .x
            .chunks_exact(d)
            .zip(self.grad.chunks_exact(d))
            .zip(self.stats.chunks_exact(2))
            .zip(self.dx.chunks_exact_mut(d));
        for (((x, dy), stat), dx) in rows {
            let (mean, rstd) = (stat[0], stat[1]);
            // g = dy·γ; dx = 1/σ · (g − mean(g) − x̂ · mean(g·x̂)), x̂ = (x − μ)/σ
            let mean_g = lanes_sum2(dy, self.gamma, |dy, g| dy * g) * per_d;
            let mean_gx =
                lanes_sum3(x, dy, self.gamma, |x, dy, g| dy * g * ((x - mean) * rstd)) * per_d;
            let terms = x.iter().zip(dy).zip(self.gamma).zip(dx.iter_mut());
            for ((((&x, &dy), &g), dx), (dg, db)) in
                terms.zip(d_gamma.iter_mut().zip(d_beta.iter_mut()))
            {
                let normal = (x - mean) * rstd;
                dx.write(rstd * (dy * g - mean_g - normal * mean_gx));
                *dg = *dg + dy * normal;
                *db = *db + dy;
            }
        }
    }
}

/// `(y, stats)` of `x` (rows × d) with `gamma` and `beta` (d each).
fn forward<E: Float>(x: &[E], gamma: &[E], beta: &[E], epsilon: f64) -> (Vec<E>, Vec<E>) {
    let d = gamma.len();
    let rows = x.len().checked_div(d).unwrap_or(0);
    let mut out: Vec<E> = Vec::with_capacity(rows * d);
    let mut stats: Vec<E> = Vec::with_capacity(rows * 2);
    let epsilon = E::from_f64(epsilon);
    if d > 0 && rows > 0 {
        out.spare_capacity_mut()[..rows * d]
            .par_chunks_mut(ROWS_PER_TASK * d)
            .zip(stats.spare_capacity_mut()[..rows * 2].par_chunks_mut(ROWS_PER_TASK * 2))
            .enumerate()
            .for_each(|(task, (out, stats))| {
                let first = task * ROWS_PER_TASK * d;
                run_task_fastest(Forward {
                    x: &x[first..first + out.len()],
                    gamma,
                    beta,
                    epsilon,
                    out,
                    stats,
                })
            });
    }
    // SAFETY: the tasks cover every row; each wrote its rows' d outputs and two stats. With no
    // rows or d = 0 both lengths are 0 (d = 0: rows·d = 0, and the stats are left empty too).
    unsafe {
        out.set_len(rows * d);
        if d > 0 {
            stats.set_len(rows * 2);
        }
    }
    (out, stats)
}

/// `(dx, dγ, dβ)` from the forward's input, stats and the output's gradient.
fn backward<E: Float>(x: &[E], gamma: &[E], stats: &[E], grad: &[E]) -> (Vec<E>, Vec<E>, Vec<E>) {
    let d = gamma.len();
    let rows = x.len().checked_div(d).unwrap_or(0);
    let mut dx: Vec<E> = Vec::with_capacity(rows * d);
    let mut partials: Vec<Vec<E>> = Vec::new();
    if d > 0 && rows > 0 {
        dx.spare_capacity_mut()[..rows * d]
            .par_chunks_mut(ROWS_PER_TASK * d)
            .enumerate()
            .map(|(task, dx)| {
                let (first, count) = (task * ROWS_PER_TASK, dx.len() / d);
                let mut partial = vec![E::ZERO; 2 * d];
                run_task_fastest(Backward {
                    x: &x[first * d..(first + count) * d],
                    grad: &grad[first * d..(first + count) * d],
                    stats: &stats[first * 2..(first + count) * 2],
                    gamma,
                    dx,
                    partial: &mut partial,
                });
                partial
            })
            .collect_into_vec(&mut partials);
    }
    // SAFETY: as in `forward`: every row's d gradients were written by its task.
    unsafe { dx.set_len(rows * d) };
    // in task order, so that every run sums alike
    let mut sums = vec![E::ZERO; 2 * d];
    for partial in &partials {
        for (s, &p) in sums.iter_mut().zip(partial) {
            *s = *s + p;
        }
    }
    let d_beta = sums.split_off(d);
    (dx, sums, d_beta)
}

/// The shape of the stats: `[rows, 2]`.
fn stats_shape(x: &Shape) -> Shape {
    let d = x.as_slice().last().copied().unwrap_or(1);
    Shape::new([x.num_elements().checked_div(d).unwrap_or(0), 2])
}

/// `(y, stats)`: the normalised `x` over its last dimension, scaled by `gamma` and shifted by
/// `beta`, and each row's mean and `1/σ`. float32 and float64 run as they are; other float dtypes
/// run in float32 and are cast back.
pub(super) fn layer_norm<B: Backend>(
    x: FloatTensor<B>,
    gamma: FloatTensor<B>,
    beta: FloatTensor<B>,
    epsilon: f64,
) -> (FloatTensor<B>, FloatTensor<B>)
where
    FloatTensor<B>: CpuTensor,
{
    let (shape, stats) = (x.shape(), stats_shape(&x.shape()));
    let tensors = [&x, &gamma, &beta];
    let buffers: Option<Vec<Buffer<'_>>> = tensors.into_iter().map(|t| t.buffer()).collect();
    match buffers.as_deref().and_then(typed) {
        Some(Typed::F32(b)) => {
            let (y, s) = forward(b[0], b[1], b[2], epsilon);
            (
                FloatTensor::<B>::from_f32(y, shape),
                FloatTensor::<B>::from_f32(s, stats),
            )
        }
        Some(Typed::F64(b)) => {
            let (y, s) = forward(b[0], b[1], b[2], epsilon);
            (
                FloatTensor::<B>::from_f64(y, shape),
                FloatTensor::<B>::from_f64(s, stats),
            )
        }
        None => {
            let dtype: FloatDType = x.dtype().into();
            let f32 = |t: &FloatTensor<B>| B::float_cast(t.clone(), FloatDType::F32);
            let (y, s) = layer_norm::<B>(f32(&x), f32(&gamma), f32(&beta), epsilon);
            (B::float_cast(y, dtype), B::float_cast(s, dtype))
        }
    }
}

/// `(dx, dγ, dβ)` of [`layer_norm`], given its input, `gamma`, the stats and the output's
/// gradient.
pub(super) fn layer_norm_backward<B: Backend>(
    x: FloatTensor<B>,
    gamma: FloatTensor<B>,
    stats: FloatTensor<B>,
    grad: FloatTensor<B>,
) -> (FloatTensor<B>, FloatTensor<B>, FloatTensor<B>)
where
    FloatTensor<B>: CpuTensor,
{
    let (shape, d_shape) = (x.shape(), gamma.shape());
    let tensors = [&x, &gamma, &stats, &grad];
    let buffers: Option<Vec<Buffer<'_>>> = tensors.into_iter().map(|t| t.buffer()).collect();
    match buffers.as_deref().and_then(typed) {
        Some(Typed::F32(b)) => {
            let (dx, dg, db) = backward(b[0], b[1], b[2], b[3]);
            (
                FloatTensor::<B>::from_f32(dx, shape),
                FloatTensor::<B>::from_f32(dg, d_shape.clone()),
                FloatTensor::<B>::from_f32(db, d_shape),
            )
        }
        Some(Typed::F64(b)) => {
            let (dx, dg, db) = backward(b[0], b[1], b[2], b[3]);
            (
                FloatTensor::<B>::from_f64(dx, shape),
                FloatTensor::<B>::from_f64(dg, d_shape.clone()),
                FloatTensor::<B>::from_f64(db, d_shape),
            )
        }
        None => {
            let dtype: FloatDType = x.dtype().into();
            let f32 = |t: &FloatTensor<B>| B::float_cast(t.clone(), FloatDType::F32);
            let (dx, dg, db) =
                layer_norm_backward::<B>(f32(&x), f32(&gamma), f32(&stats), f32(&grad));
            (
                B::float_cast(dx, dtype),
                B::float_cast(dg, dtype),
                B::float_cast(db, dtype),
            )
        }
    }
}
