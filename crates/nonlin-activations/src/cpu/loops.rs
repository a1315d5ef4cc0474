//! The element loops: one chunk of the output at a time, split over rayon's pool when large, each
//! chunk compiled for the widest vectors the CPU has (AVX-512, else AVX2 + FMA).

use crate::math::f32::F32;
use crate::math::real::Real;
use rayon::prelude::*;
use std::mem::MaybeUninit;

/// Below this many elements a single thread is faster than splitting the work.
pub(super) const PARALLEL_THRESHOLD: usize = 1 << 15;
pub(super) const CHUNK: usize = 1 << 13;

/// An element-wise function of `N` inputs, written once over [`Real`]. The kernels' inner loop calls
/// it through a trait method marked `#[inline(always)]` rather than a closure: a closure is inlined
/// only when the compiler judges it small, and a formula like Mish's is not, which leaves a scalar
/// call per element and no vectorisation.
pub(super) trait Formula<const N: usize>: Sync {
    fn at<R: Real>(&self, inputs: [R; N]) -> R;
}

/// An element type the kernels loop over, and the [`Real`] its formulas run in.
pub(super) trait Element: Copy + Default + PartialOrd + Send + Sync {
    fn is_nan(self) -> bool;
    fn eval<const N: usize>(f: &impl Formula<N>, inputs: [Self; N]) -> Self;
    fn eval_over<const M: usize>(f: &impl InPlace<M>, others: [Self; M], own: Self) -> Self;
}

impl Element for f32 {
    #[inline(always)]
    fn is_nan(self) -> bool {
        f32::is_nan(self)
    }
    #[inline(always)]
    fn eval<const N: usize>(f: &impl Formula<N>, inputs: [f32; N]) -> f32 {
        f.at(inputs.map(F32)).0
    }
    #[inline(always)]
    fn eval_over<const M: usize>(f: &impl InPlace<M>, others: [f32; M], own: f32) -> f32 {
        f.at_over(others.map(F32), F32(own)).0
    }
}

impl Element for f64 {
    #[inline(always)]
    fn is_nan(self) -> bool {
        f64::is_nan(self)
    }
    #[inline(always)]
    fn eval<const N: usize>(f: &impl Formula<N>, inputs: [f64; N]) -> f64 {
        f.at(inputs)
    }
    #[inline(always)]
    fn eval_over<const M: usize>(f: &impl InPlace<M>, others: [f64; M], own: f64) -> f64 {
        f.at_over(others, own)
    }
}

/// A new buffer of `n` elements, every one of which `write` writes. Not zeroed first: `vec![0; n]`
/// would cost a pass of its own (or page faults) before the kernel's.
pub(super) fn fresh<E>(n: usize, write: impl FnOnce(&mut [MaybeUninit<E>])) -> Vec<E> {
    let mut out = Vec::with_capacity(n);
    write(&mut out.spare_capacity_mut()[..n]);
    // SAFETY: every loop given to `fresh` (the `ChunkLoop`s on `MaybeUninit` outputs) writes each
    // element of its chunk, and `for_chunks` hands every chunk of `out` to one.
    unsafe { out.set_len(n) };
    out
}

/// `own[i] = f([others[0][i], …], own[i])` in place: [`fill`] without the new buffer.
pub(super) fn update<E: Element, const M: usize>(
    own: &mut [E],
    others: [&[E]; M],
    f: &impl InPlace<M>,
) {
    for_chunks(own, &Over { others, f });
}

/// The element loop over one chunk of the output, which starts at element `start`. A loop over
/// a `MaybeUninit` output writes every element.
pub(super) trait ChunkLoop<T>: Sync {
    fn run(&self, start: usize, out: &mut [T]);
}

/// Reads every input, writes a fresh output.
pub(super) struct Fresh<'a, E, F, const N: usize> {
    pub(super) inputs: [&'a [E]; N],
    pub(super) f: &'a F,
}

impl<E: Element, F: Formula<N>, const N: usize> ChunkLoop<MaybeUninit<E>> for Fresh<'_, E, F, N> {
    #[inline(always)]
    fn run(&self, start: usize, out: &mut [MaybeUninit<E>]) {
        // every input cut to the chunk's length, so the compiler drops the bounds checks
        let inputs = self.inputs.map(|input| &input[start..start + out.len()]);
        for (i, o) in out.iter_mut().enumerate() {
            o.write(E::eval(self.f, inputs.map(|input| input[i])));
        }
    }
}

/// Reads the other inputs and the output's own element, overwrites it.
pub(super) struct Over<'a, E, F, const M: usize> {
    pub(super) others: [&'a [E]; M],
    pub(super) f: &'a F,
}

impl<E: Element, F: InPlace<M>, const M: usize> ChunkLoop<E> for Over<'_, E, F, M> {
    #[inline(always)]
    fn run(&self, start: usize, own: &mut [E]) {
        let others = self.others.map(|other| &other[start..start + own.len()]);
        for (i, o) in own.iter_mut().enumerate() {
            *o = E::eval_over(self.f, others.map(|other| other[i]), *o);
        }
    }
}

/// Runs `body` over `out`, split over rayon's pool when large.
pub(super) fn for_chunks<T: Send>(out: &mut [T], body: &impl ChunkLoop<T>) {
    if out.len() < PARALLEL_THRESHOLD {
        run_fastest(body, 0, out);
    } else {
        out.par_chunks_mut(CHUNK)
            .enumerate()
            .for_each(|(c, chunk)| run_fastest(body, c * CHUNK, chunk));
    }
}

/// `body` compiled for the widest vectors the CPU has: AVX-512 (16 float32 lanes), else AVX2 with
/// FMA (8 lanes); the default x86-64 target only assumes SSE2 (4 lanes). The formula inlines into
/// the loop, which the compiler vectorises.
pub(super) fn run_fastest<T>(body: &impl ChunkLoop<T>, start: usize, out: &mut [T]) {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::is_x86_feature_detected as has;
        if has!("avx512f") && has!("avx512dq") && has!("avx512vl") && has!("avx512bw") {
            // SAFETY: the CPU supports these features, checked just above.
            return unsafe { run_avx512(body, start, out) };
        }
        if has!("avx2") && has!("fma") {
            // SAFETY: as above.
            return unsafe { run_avx2(body, start, out) };
        }
    }
    body.run(start, out)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
pub(super) fn run_avx2<T>(body: &impl ChunkLoop<T>, start: usize, out: &mut [T]) {
    body.run(start, out)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512dq,avx512vl,avx512bw,avx2,fma")]
pub(super) fn run_avx512<T>(body: &impl ChunkLoop<T>, start: usize, out: &mut [T]) {
    body.run(start, out)
}
/// A piece of work whose loops the compiler vectorises, run by [`run_task_fastest`] compiled for
/// the widest vectors the CPU has (as [`run_fastest`] runs a chunk loop); `run` is
/// `#[inline(always)]` in every implementation, so that it compiles inside the dispatch's
/// feature-enabled function.
pub(super) trait Task {
    fn run(self);
}

/// `task` compiled for AVX-512, else AVX2 with FMA, else the default target.
pub(super) fn run_task_fastest(task: impl Task) {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::is_x86_feature_detected as has;
        if has!("avx512f") && has!("avx512dq") && has!("avx512vl") && has!("avx512bw") {
            // SAFETY: the CPU supports these features, checked just above.
            return unsafe { task_avx512(task) };
        }
        if has!("avx2") && has!("fma") {
            // SAFETY: as above.
            return unsafe { task_avx2(task) };
        }
    }
    task.run()
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
fn task_avx2(task: impl Task) {
    task.run()
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512dq,avx512vl,avx512bw,avx2,fma")]
fn task_avx512(task: impl Task) {
    task.run()
}

/// A [`Formula`] whose last input is the element being overwritten.
pub(super) trait InPlace<const M: usize>: Sync {
    fn at_over<R: Real>(&self, others: [R; M], own: R) -> R;
}
