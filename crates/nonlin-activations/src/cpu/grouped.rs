//! Grouped reductions on CPU buffers: the GLU family over the two halves of a dimension and Maxout
//! over groups of `k`, forward and backward, each one pass over rows cut to whole segments.
//! (About 500 lines: both families share the row split and the typed-buffer dispatch below.)

use super::buffer::*;
use super::elementwise::*;
use super::loops::*;
use crate::ops::formula::{Gated, Parametric};
use crate::registry::kernels::GluVariant;
use crate::registry::kernels::with_gate;
use burn::backend::{Backend, TensorMetadata, tensor::FloatTensor};
use burn::tensor::{FloatDType, Shape};
use rayon::prelude::*;
use std::mem::MaybeUninit;

/// A tensor split along one dimension, seen as `[rows, parts, len]`: each row of the output (of
/// `len` elements) reduces the `parts` slices of one input row. GLU: `parts = 2` halves of the
/// dimension; Maxout: each unit's `k` consecutive pieces, `len` the size after the dimension.
#[derive(Clone, Copy, Debug)]
pub(super) struct Grouping {
    pub(super) parts: usize,
    pub(super) len: usize,
}

impl Grouping {
    /// The two halves of `dim`.
    fn halves(shape: &Shape, dim: usize) -> Self {
        Self {
            parts: 2,
            len: shape[dim] / 2 * shape[dim + 1..].iter().product::<usize>(),
        }
    }

    /// Groups of `k` consecutive elements along `dim`.
    fn groups(shape: &Shape, dim: usize, k: usize) -> Self {
        Self {
            parts: k,
            len: shape[dim + 1..].iter().product(),
        }
    }

    /// The input row `row`'s part `part`, elements `col .. col + n`.
    #[inline(always)]
    fn part<E>(self, x: &[E], row: usize, part: usize, col: usize, n: usize) -> &[E] {
        let at = (row * self.parts + part) * self.len + col;
        &x[at..at + n]
    }
}

/// A loop over a run of consecutive output elements within one row of `len` elements.
pub(super) trait SegmentLoop<E>: Sync {
    /// Writes `out`: elements `col .. col + out.len()` of output row `row`.
    fn segment(&self, row: usize, col: usize, out: &mut [E]);
}

/// The output as rows of `len` elements: each chunk is cut where rows end, so the segment loops
/// see contiguous runs (and long rows are still split over threads).
pub(super) struct Rows<S> {
    pub(super) len: usize,
    pub(super) body: S,
}

impl<E, S: SegmentLoop<E>> ChunkLoop<E> for Rows<S> {
    #[inline(always)]
    fn run(&self, start: usize, out: &mut [E]) {
        let mut done = 0;
        while done < out.len() {
            let at = start + done;
            let (row, col) = (at / self.len, at % self.len);
            let n = (self.len - col).min(out.len() - done);
            self.body.segment(row, col, &mut out[done..done + n]);
            done += n;
        }
    }
}

/// Runs `body` over `out` taken as the output rows of `groups`, over rayon's pool when large.
pub(super) fn for_rows<E: Send, S: SegmentLoop<E>>(out: &mut [E], groups: Grouping, body: S) {
    for_chunks(
        out,
        &Rows {
            len: groups.len,
            body,
        },
    )
}

/// GLU forward: `a · act(b)` over the halves `a`, `b` of each input row.
pub(super) struct GluRows<'a, E, G> {
    pub(super) x: &'a [E],
    pub(super) groups: Grouping,
    pub(super) gated: &'a G,
}

impl<E: Element, G: Parametric + Sync> SegmentLoop<MaybeUninit<E>> for GluRows<'_, E, G> {
    #[inline(always)]
    fn segment(&self, row: usize, col: usize, out: &mut [MaybeUninit<E>]) {
        let n = out.len();
        let halves = [0, 1].map(|half| self.groups.part(self.x, row, half, col, n));
        Fresh {
            inputs: halves,
            f: &ParametricValue(self.gated),
        }
        .run(0, out)
    }
}

/// GLU backward: input row `r` of the gradient is `[g · act(b), g · a · act'(b)]`; here "row"
/// `2r + half` is one half of it.
pub(super) struct GluGradRows<'a, E, G> {
    pub(super) x: &'a [E],
    pub(super) grad: &'a [E],
    pub(super) groups: Grouping,
    pub(super) gated: &'a G,
}

impl<E: Element, G: Parametric + Sync> SegmentLoop<MaybeUninit<E>> for GluGradRows<'_, E, G> {
    #[inline(always)]
    fn segment(&self, row_half: usize, col: usize, out: &mut [MaybeUninit<E>]) {
        let (row, n) = (row_half / 2, out.len());
        let [a, b] = [0, 1].map(|half| self.groups.part(self.x, row, half, col, n));
        let at = row * self.groups.len + col;
        let inputs = [a, b, &self.grad[at..at + n]];
        if row_half.is_multiple_of(2) {
            let f = ParametricChainX(self.gated);
            Fresh { inputs, f: &f }.run(0, out)
        } else {
            let f = ParametricChainP(self.gated);
            Fresh { inputs, f: &f }.run(0, out)
        }
    }
}

/// Whether `candidate` takes the place of `best` in a Maxout group: the first NaN wins, else the
/// first maximum (PyTorch's `max(dim)` on the CPU), so a later equal piece never does.
#[inline(always)]
pub(super) fn replaces<E: Element>(best: E, candidate: E) -> bool {
    !best.is_nan() && (candidate > best || candidate.is_nan())
}

/// The index of the winning piece of a group (branch-free, so loops over groups vectorise).
#[inline(always)]
pub(super) fn winner<E: Element>(k: usize, piece: impl Fn(usize) -> E) -> usize {
    let (mut best, mut at) = (piece(0), 0);
    for p in 1..k {
        let v = piece(p);
        let replace = replaces(best, v);
        best = if replace { v } else { best };
        at = if replace { p } else { at };
    }
    at
}

/// Runs `body` with the group size as a constant where it is a small common one, so the loops
/// over `[E; K]` groups unroll and vectorise; with the runtime size otherwise.
#[inline(always)]
pub(super) fn with_group_size<R>(k: usize, body: impl GroupLoop<Output = R>) -> R {
    match k {
        2 => body.run::<2>(),
        3 => body.run::<3>(),
        4 => body.run::<4>(),
        _ => body.run::<0>(),
    }
}

/// Code over groups of `K` elements; `K = 0` means "the runtime size". Implementations start
/// with `let k = if K > 0 { K } else { k };`, which makes `k` a constant in each specialisation.
pub(super) trait GroupLoop {
    type Output;
    fn run<const K: usize>(self) -> Self::Output;
}

/// Maxout forward, pieces `len > 1` apart: a running max over whole runs, which vectorises.
pub(super) struct MaxRows<'a, E> {
    pub(super) x: &'a [E],
    pub(super) groups: Grouping,
}

impl<E: Element> SegmentLoop<MaybeUninit<E>> for MaxRows<'_, E> {
    #[inline(always)]
    fn segment(&self, row: usize, col: usize, out: &mut [MaybeUninit<E>]) {
        let n = out.len();
        let out = out.write_copy_of_slice(self.groups.part(self.x, row, 0, col, n));
        for part in 1..self.groups.parts {
            let piece = self.groups.part(self.x, row, part, col, n);
            for (o, &v) in out.iter_mut().zip(piece) {
                if replaces(*o, v) {
                    *o = v;
                }
            }
        }
    }
}

/// Maxout forward, pieces adjacent (`len = 1`, the last dimension): output `i` is the winner of
/// input `i·k .. i·k + k`.
pub(super) struct MaxAdjacent<'a, E> {
    pub(super) x: &'a [E],
    pub(super) k: usize,
}

impl<E: Element> ChunkLoop<MaybeUninit<E>> for MaxAdjacent<'_, E> {
    #[inline(always)]
    fn run(&self, start: usize, out: &mut [MaybeUninit<E>]) {
        struct Groups<'a, 'b, E>(&'a [E], &'b mut [MaybeUninit<E>], usize);
        impl<E: Element> GroupLoop for Groups<'_, '_, E> {
            type Output = ();
            #[inline(always)]
            fn run<const K: usize>(self) {
                let Groups(x, out, k) = self;
                let k = if K > 0 { K } else { k };
                for (o, group) in out.iter_mut().zip(x.chunks_exact(k)) {
                    o.write(group[1..].iter().fold(group[0], |best, &v| {
                        if replaces(best, v) { v } else { best }
                    }));
                }
            }
        }
        let k = self.k;
        let x = &self.x[start * k..(start + out.len()) * k];
        with_group_size(k, Groups(x, out, k))
    }
}

/// Maxout backward, pieces `len > 1` apart: "row" `r·k + p` is piece `p` of input row `r`, which
/// gets the output's gradient where it won and 0 elsewhere.
pub(super) struct MaxGradRows<'a, E> {
    pub(super) x: &'a [E],
    pub(super) grad: &'a [E],
    pub(super) groups: Grouping,
}

impl<E: Element> SegmentLoop<MaybeUninit<E>> for MaxGradRows<'_, E> {
    #[inline(always)]
    fn segment(&self, row_part: usize, col: usize, out: &mut [MaybeUninit<E>]) {
        let (row, part) = (row_part / self.groups.parts, row_part % self.groups.parts);
        let at = row * self.groups.len + col;
        let grad = &self.grad[at..at + out.len()];
        for (j, (o, &g)) in out.iter_mut().zip(grad).enumerate() {
            let piece = |p| self.x[(row * self.groups.parts + p) * self.groups.len + col + j];
            o.write(if winner(self.groups.parts, piece) == part {
                g
            } else {
                E::default()
            });
        }
    }
}

/// Maxout backward, pieces adjacent: input `i` gets the gradient of output `i / k` if it won.
pub(super) struct MaxGradAdjacent<'a, E> {
    pub(super) x: &'a [E],
    pub(super) grad: &'a [E],
    pub(super) k: usize,
}

impl<E: Element> ChunkLoop<MaybeUninit<E>> for MaxGradAdjacent<'_, E> {
    #[inline(always)]
    fn run(&self, start: usize, out: &mut [MaybeUninit<E>]) {
        struct Groups<'a, 'b, E>(&'a [E], &'a [E], &'b mut [MaybeUninit<E>], usize);
        impl<E: Element> GroupLoop for Groups<'_, '_, E> {
            type Output = ();
            #[inline(always)]
            fn run<const K: usize>(self) {
                let Groups(x, grad, out, k) = self;
                let k = if K > 0 { K } else { k };
                for ((o, group), &g) in out.chunks_exact_mut(k).zip(x.chunks_exact(k)).zip(grad) {
                    let won = winner(k, |p| group[p]);
                    for (p, o) in o.iter_mut().enumerate() {
                        o.write(if p == won { g } else { E::default() });
                    }
                }
            }
        }
        // chunks need not start or end on a group boundary: whole groups in the middle, the
        // partial ones at either end element by element
        let k = self.k;
        let end = start + out.len();
        // [start, first_whole) ends the group a previous chunk began, [last_whole, end) begins one
        // the next chunk ends (both empty or one, when no group starts inside the chunk)
        let first_whole = (start.div_ceil(k) * k).min(end);
        let last_whole = (end / k * k).max(first_whole);
        let (head, rest) = out.split_at_mut(first_whole - start);
        let (body, tail) = rest.split_at_mut(last_whole - first_whole);
        // each partial end lies in one group: its winner is found once, not once per element
        // (which made the backward quadratic in k)
        for (from, part) in [(start, head), (last_whole, tail)] {
            if part.is_empty() {
                continue;
            }
            let group = from / k;
            let won = group * k + winner(k, |p| self.x[group * k + p]);
            for (i, o) in (from..).zip(part.iter_mut()) {
                o.write(if i == won {
                    self.grad[group]
                } else {
                    E::default()
                });
            }
        }
        let groups = first_whole / k..last_whole / k;
        let x = &self.x[first_whole..last_whole];
        with_group_size(k, Groups(x, &self.grad[groups], body, k))
    }
}

/// Maxout's gradient from precomputed winners: element `i` of group `i / k` gets the group's
/// gradient if it is the winner, else zero.
pub(super) struct ScatterWinners<'a, E> {
    pub(super) winners: &'a [usize],
    pub(super) grad: &'a [E],
    pub(super) k: usize,
}

impl<E: Element> ChunkLoop<MaybeUninit<E>> for ScatterWinners<'_, E> {
    #[inline(always)]
    fn run(&self, start: usize, out: &mut [MaybeUninit<E>]) {
        for (i, o) in (start..).zip(out.iter_mut()) {
            let group = i / self.k;
            o.write(if i % self.k == self.winners[group] {
                self.grad[group]
            } else {
                E::default()
            });
        }
    }
}

/// A grouped kernel over the buffers of equally typed tensors, for either float width.
pub(super) trait GroupedKernel {
    /// Writes every element of `out`.
    fn run<E: Element>(&self, inputs: &[&[E]], out: &mut [MaybeUninit<E>]);
}

/// Runs `kernel` over `inputs`' buffers into a fresh tensor of `shape`. float32 and float64 run
/// as they are; other float dtypes (f16, bf16) run in float32 and are cast back.
pub(super) fn run_grouped<B: Backend>(
    inputs: Vec<FloatTensor<B>>,
    shape: Shape,
    kernel: &impl GroupedKernel,
) -> FloatTensor<B>
where
    FloatTensor<B>: CpuTensor,
{
    let dtype = inputs[0].dtype();
    let buffers: Option<Vec<Buffer<'_>>> = inputs.iter().map(|t| t.buffer()).collect();
    let n = shape.num_elements();
    match buffers.as_deref() {
        Some(buffers @ [Buffer::F32(_), ..]) => {
            let slices: Vec<&[f32]> = buffers
                .iter()
                .filter_map(|b| match b {
                    Buffer::F32(s) => Some(&**s),
                    Buffer::F64(_) => None,
                })
                .collect();
            let out = fresh(n, |out| kernel.run(&slices, out));
            FloatTensor::<B>::from_f32(out, shape)
        }
        Some(buffers @ [Buffer::F64(_), ..]) => {
            let slices: Vec<&[f64]> = buffers
                .iter()
                .filter_map(|b| match b {
                    Buffer::F64(s) => Some(&**s),
                    Buffer::F32(_) => None,
                })
                .collect();
            let out = fresh(n, |out| kernel.run(&slices, out));
            FloatTensor::<B>::from_f64(out, shape)
        }
        _ => {
            let as_f32 = inputs
                .into_iter()
                .map(|t| B::float_cast(t, FloatDType::F32))
                .collect();
            let out = run_grouped::<B>(as_f32, shape, kernel);
            B::float_cast(out, dtype.into())
        }
    }
}

/// The shape of `shape` with `dim` divided by `parts`.
pub(super) fn reduced(shape: &Shape, dim: usize, parts: usize) -> Shape {
    let mut out = shape.clone();
    out[dim] /= parts;
    out
}

pub(crate) fn glu_halves<B: Backend>(
    x: FloatTensor<B>,
    variant: GluVariant,
    dim: usize,
) -> FloatTensor<B>
where
    FloatTensor<B>: CpuTensor,
{
    struct Forward(GluVariant, Grouping);
    impl GroupedKernel for Forward {
        fn run<E: Element>(&self, inputs: &[&[E]], out: &mut [MaybeUninit<E>]) {
            with_gate!(self.0, |gate| {
                let body = GluRows {
                    x: inputs[0],
                    groups: self.1,
                    gated: &Gated(gate),
                };
                for_rows(out, self.1, body)
            })
        }
    }
    let shape = x.shape();
    let kernel = Forward(variant, Grouping::halves(&shape, dim));
    run_grouped::<B>(vec![x], reduced(&shape, dim, 2), &kernel)
}

pub(crate) fn glu_halves_backward<B: Backend>(
    x: FloatTensor<B>,
    grad: FloatTensor<B>,
    variant: GluVariant,
    dim: usize,
) -> FloatTensor<B>
where
    FloatTensor<B>: CpuTensor,
{
    struct Backward(GluVariant, Grouping);
    impl GroupedKernel for Backward {
        fn run<E: Element>(&self, inputs: &[&[E]], out: &mut [MaybeUninit<E>]) {
            with_gate!(self.0, |gate| {
                let body = GluGradRows {
                    x: inputs[0],
                    grad: inputs[1],
                    groups: self.1,
                    gated: &Gated(gate),
                };
                for_rows(out, self.1, body)
            })
        }
    }
    let shape = x.shape();
    let kernel = Backward(variant, Grouping::halves(&shape, dim));
    run_grouped::<B>(vec![x, grad], shape, &kernel)
}

pub(crate) fn maxout<B: Backend>(x: FloatTensor<B>, k: usize, dim: usize) -> FloatTensor<B>
where
    FloatTensor<B>: CpuTensor,
{
    struct Forward(Grouping);
    impl GroupedKernel for Forward {
        fn run<E: Element>(&self, inputs: &[&[E]], out: &mut [MaybeUninit<E>]) {
            let (x, groups) = (inputs[0], self.0);
            if groups.len == 1 {
                for_chunks(out, &MaxAdjacent { x, k: groups.parts })
            } else {
                for_rows(out, groups, MaxRows { x, groups })
            }
        }
    }
    let shape = x.shape();
    let kernel = Forward(Grouping::groups(&shape, dim, k));
    run_grouped::<B>(vec![x], reduced(&shape, dim, k), &kernel)
}

pub(crate) fn maxout_backward<B: Backend>(
    x: FloatTensor<B>,
    grad: FloatTensor<B>,
    k: usize,
    dim: usize,
) -> FloatTensor<B>
where
    FloatTensor<B>: CpuTensor,
{
    struct Backward(Grouping);
    impl GroupedKernel for Backward {
        fn run<E: Element>(&self, inputs: &[&[E]], out: &mut [MaybeUninit<E>]) {
            let (x, grad, groups) = (inputs[0], inputs[1], self.0);
            if groups.len == 1 && groups.parts > CHUNK {
                // groups longer than a chunk: each winner once, then a scatter, so the work
                // stays linear in the size whatever k is
                let k = groups.parts;
                let winners: Vec<usize> = x.par_chunks(k).map(|g| winner(k, |p| g[p])).collect();
                for_chunks(
                    out,
                    &ScatterWinners {
                        winners: &winners,
                        grad,
                        k,
                    },
                )
            } else if groups.len == 1 {
                for_chunks(
                    out,
                    &MaxGradAdjacent {
                        x,
                        grad,
                        k: groups.parts,
                    },
                )
            } else {
                for_rows(out, groups, MaxGradRows { x, grad, groups })
            }
        }
    }
    let shape = x.shape();
    let kernel = Backward(Grouping::groups(&shape, dim, k));
    run_grouped::<B>(vec![x, grad], shape, &kernel)
}
