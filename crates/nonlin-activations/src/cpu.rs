//! Single-pass CPU kernels for flex and ndarray.
//!
//! One loop over the input buffers computes each output element from the activation's formula:
//! float32 tensors in [`F32`] lanes (vectorised float32, see [`crate::real32`]), float64 tensors in
//! f64. Each activation gets its own loop, compiled for AVX2 where the CPU has it. Large tensors
//! are split over rayon's pool. Tensors whose dtype is neither
//! f32 nor f64 (f16, bf16) go through the composed tensor-primitive path instead.

// burn-ndarray is deprecated in Burn 0.22, but ndarray is one of the backends users ask for.
#![allow(deprecated)]

use crate::glu::{Gated, GluVariant, with_gate};
use crate::kernel::{
    Parametric, ParametricKernel, Pointwise, PointwiseKernel, VisitPointwise, composed,
    parametric_kernel,
};
use crate::real::Real;
use crate::real32::F32;
use burn::backend::{Backend, TensorMetadata, tensor::FloatTensor};
use burn::tensor::{DType, FloatDType, Shape, TensorData};
use rayon::prelude::*;
use std::borrow::Cow;
use std::mem::MaybeUninit;

/// Below this many elements a single thread is faster than splitting the work.
const PARALLEL_THRESHOLD: usize = 1 << 15;
const CHUNK: usize = 1 << 13;

/// A contiguous, row-major view of a float tensor's elements.
pub(crate) enum Buffer<'a> {
    F32(Cow<'a, [f32]>),
    F64(Cow<'a, [f64]>),
}

/// What a CPU tensor primitive must offer for the kernels here.
pub(crate) trait CpuTensor: TensorMetadata + Sized {
    /// The elements in row-major order, if the dtype is f32 or f64.
    fn buffer(&self) -> Option<Buffer<'_>>;
    fn from_f32(data: Vec<f32>, shape: Shape) -> Self;
    fn from_f64(data: Vec<f64>, shape: Shape) -> Self;
    /// The tensor's own buffer, to overwrite, when it alone holds a contiguous buffer; else the
    /// tensor back. Writing the result there saves allocating (and page-faulting in) a new one.
    fn into_unique(self) -> Result<TensorData, Self> {
        Err(self)
    }
    /// The tensor of a buffer taken by [`CpuTensor::into_unique`].
    fn from_unique(data: TensorData) -> Self;
}

#[cfg(feature = "flex")]
/// The elements of a flex tensor in row-major order: borrowed when contiguous; one value repeated
/// when every stride is 0 (a broadcast scalar, which a strided copy would walk element by
/// element); else copied into order.
macro_rules! flex_elements {
    ($tensor:expr, $float:ty) => {{
        let t: &burn_flex::FlexTensor = $tensor;
        match t.as_slice::<$float>() {
            Some(slice) => Some(Cow::Borrowed(slice)),
            None if t.layout().strides().iter().all(|&s| s == 0) => {
                const SIZE: usize = core::mem::size_of::<$float>();
                let at = t.layout().start_offset() * SIZE;
                let bytes = t.bytes().get(at..at + SIZE)?;
                let value = <$float>::from_ne_bytes(bytes.try_into().ok()?);
                Some(Cow::Owned(vec![value; t.layout().num_elements()]))
            }
            None => Some(Cow::Owned(t.to_contiguous().as_slice::<$float>()?.to_vec())),
        }
    }};
}

#[cfg(feature = "flex")]
impl CpuTensor for burn_flex::FlexTensor {
    fn buffer(&self) -> Option<Buffer<'_>> {
        match self.dtype() {
            DType::F32 => Some(Buffer::F32(flex_elements!(self, f32)?)),
            DType::F64 => Some(Buffer::F64(flex_elements!(self, f64)?)),
            _ => None,
        }
    }
    fn from_f32(data: Vec<f32>, shape: Shape) -> Self {
        burn_flex::FlexTensor::from_data(TensorData::new(data, shape))
    }
    fn from_f64(data: Vec<f64>, shape: Shape) -> Self {
        burn_flex::FlexTensor::from_data(TensorData::new(data, shape))
    }
    fn into_unique(self) -> Result<TensorData, Self> {
        let layout = self.layout();
        let exact = layout.num_elements() * self.dtype().size() == self.bytes().len();
        if self.is_unique() && layout.is_contiguous() && layout.start_offset() == 0 && exact {
            // sole owner, contiguous, exact size: `into_data` hands over the buffer without a copy
            Ok(self.into_data())
        } else {
            Err(self)
        }
    }
    fn from_unique(data: TensorData) -> Self {
        burn_flex::FlexTensor::from_data(data)
    }
}

#[cfg(feature = "ndarray")]
impl CpuTensor for burn_ndarray::NdArrayTensor {
    fn buffer(&self) -> Option<Buffer<'_>> {
        match self {
            Self::F32(storage) => {
                let view = storage.view();
                Some(Buffer::F32(match view.to_slice() {
                    Some(slice) => Cow::Borrowed(slice),
                    None => Cow::Owned(view.iter().copied().collect()),
                }))
            }
            Self::F64(storage) => {
                let view = storage.view();
                Some(Buffer::F64(match view.to_slice() {
                    Some(slice) => Cow::Borrowed(slice),
                    None => Cow::Owned(view.iter().copied().collect()),
                }))
            }
            _ => None,
        }
    }
    fn from_f32(data: Vec<f32>, shape: Shape) -> Self {
        Self::from_data(TensorData::new(data, shape))
    }
    fn from_f64(data: Vec<f64>, shape: Shape) -> Self {
        Self::from_data(TensorData::new(data, shape))
    }
    fn from_unique(data: TensorData) -> Self {
        Self::from_data(data)
    }
}

/// An element-wise function of `N` inputs, written once over [`Real`]. The kernels' inner loop calls
/// it through a trait method marked `#[inline(always)]` rather than a closure: a closure is inlined
/// only when the compiler judges it small, and a formula like Mish's is not, which leaves a scalar
/// call per element and no vectorisation.
trait Formula<const N: usize>: Sync {
    fn at<R: Real>(&self, inputs: [R; N]) -> R;
}

/// `f(x)`.
struct Value<'a, P>(&'a P);

impl<P: Pointwise + Sync> Formula<1> for Value<'_, P> {
    #[inline(always)]
    fn at<R: Real>(&self, [x]: [R; 1]) -> R {
        self.0.value(x)
    }
}

/// `grad · f'(x)`.
struct Slope<'a, P>(&'a P);

impl<P: Pointwise + Sync> Formula<2> for Slope<'_, P> {
    #[inline(always)]
    fn at<R: Real>(&self, [x, grad]: [R; 2]) -> R {
        self.0.chain(grad, x)
    }
}

/// `f(x, p)`.
struct ParametricValue<'a, K>(&'a K);

impl<K: Parametric + Sync> Formula<2> for ParametricValue<'_, K> {
    #[inline(always)]
    fn at<R: Real>(&self, [x, p]: [R; 2]) -> R {
        self.0.value(x, p)
    }
}

/// `grad · ∂f/∂x`.
struct ParametricSlopeX<'a, K>(&'a K);

impl<K: Parametric + Sync> Formula<3> for ParametricSlopeX<'_, K> {
    #[inline(always)]
    fn at<R: Real>(&self, [x, p, grad]: [R; 3]) -> R {
        grad * self.0.derivative_x(x, p)
    }
}

/// `grad · ∂f/∂p`.
struct ParametricSlopeP<'a, K>(&'a K);

impl<K: Parametric + Sync> Formula<3> for ParametricSlopeP<'_, K> {
    #[inline(always)]
    fn at<R: Real>(&self, [x, p, grad]: [R; 3]) -> R {
        grad * self.0.derivative_p(x, p)
    }
}

/// `out[i] = f([a[i], b[i], …])` over equally shaped inputs of one dtype, float32 in [`F32`] lanes,
/// float64 in f64; `None` when the inputs do not qualify, so the caller can take the composed path.
fn map<T: CpuTensor, const N: usize>(inputs: [&T; N], f: impl Formula<N>) -> Option<T> {
    let shape = inputs[0].shape();
    if inputs.iter().any(|t| t.shape() != shape) {
        return None;
    }
    let buffers: Vec<Buffer<'_>> = inputs.iter().map(|t| t.buffer()).collect::<Option<_>>()?;
    if buffers.iter().all(|b| matches!(b, Buffer::F32(_))) {
        let slices: [&[f32]; N] = core::array::from_fn(|i| match &buffers[i] {
            Buffer::F32(s) => &**s,
            Buffer::F64(_) => unreachable!("checked above"),
        });
        Some(T::from_f32(fill(slices, &f), shape))
    } else if buffers.iter().all(|b| matches!(b, Buffer::F64(_))) {
        let slices: [&[f64]; N] = core::array::from_fn(|i| match &buffers[i] {
            Buffer::F64(s) => &**s,
            Buffer::F32(_) => unreachable!("checked above"),
        });
        Some(T::from_f64(fill(slices, &f), shape))
    } else {
        None
    }
}

/// An element type the kernels loop over, and the [`Real`] its formulas run in.
trait Element: Copy + Default + PartialOrd + Send + Sync {
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

/// `out[i] = f([inputs[0][i], inputs[1][i], …])` into a new buffer.
fn fill<E: Element, const N: usize>(inputs: [&[E]; N], f: &impl Formula<N>) -> Vec<E> {
    fresh(inputs[0].len(), |out| for_chunks(out, &Fresh { inputs, f }))
}

/// A new buffer of `n` elements, every one of which `write` writes. Not zeroed first: `vec![0; n]`
/// would cost a pass of its own (or page faults) before the kernel's.
fn fresh<E>(n: usize, write: impl FnOnce(&mut [MaybeUninit<E>])) -> Vec<E> {
    let mut out = Vec::with_capacity(n);
    write(&mut out.spare_capacity_mut()[..n]);
    // SAFETY: every loop given to `fresh` (the `ChunkLoop`s on `MaybeUninit` outputs) writes each
    // element of its chunk, and `for_chunks` hands every chunk of `out` to one.
    unsafe { out.set_len(n) };
    out
}

/// `own[i] = f([others[0][i], …], own[i])` in place: [`fill`] without the new buffer.
fn update<E: Element, const M: usize>(own: &mut [E], others: [&[E]; M], f: &impl InPlace<M>) {
    for_chunks(own, &Over { others, f });
}

/// The element loop over one chunk of the output, which starts at element `start`. A loop over
/// a `MaybeUninit` output writes every element.
trait ChunkLoop<T>: Sync {
    fn run(&self, start: usize, out: &mut [T]);
}

/// Reads every input, writes a fresh output.
struct Fresh<'a, E, F, const N: usize> {
    inputs: [&'a [E]; N],
    f: &'a F,
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
struct Over<'a, E, F, const M: usize> {
    others: [&'a [E]; M],
    f: &'a F,
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
fn for_chunks<T: Send>(out: &mut [T], body: &impl ChunkLoop<T>) {
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
fn run_fastest<T>(body: &impl ChunkLoop<T>, start: usize, out: &mut [T]) {
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
fn run_avx2<T>(body: &impl ChunkLoop<T>, start: usize, out: &mut [T]) {
    body.run(start, out)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512dq,avx512vl,avx512bw,avx2,fma")]
fn run_avx512<T>(body: &impl ChunkLoop<T>, start: usize, out: &mut [T]) {
    body.run(start, out)
}

/// A [`Formula`] whose last input is the element being overwritten.
trait InPlace<const M: usize>: Sync {
    fn at_over<R: Real>(&self, others: [R; M], own: R) -> R;
}

impl<P: Pointwise + Sync> InPlace<0> for Value<'_, P> {
    #[inline(always)]
    fn at_over<R: Real>(&self, []: [R; 0], x: R) -> R {
        self.0.value(x)
    }
}

impl<P: Pointwise + Sync> InPlace<1> for Slope<'_, P> {
    #[inline(always)]
    fn at_over<R: Real>(&self, [x]: [R; 1], grad: R) -> R {
        grad * self.0.derivative(x)
    }
}

/// Overwrites `own` (a buffer taken by [`CpuTensor::into_unique`]) with `f(others…, own)`; false,
/// leaving it untouched, when the dtypes or lengths do not qualify.
fn overwrite<const M: usize>(
    own: &mut TensorData,
    others: [&Buffer<'_>; M],
    f: &impl InPlace<M>,
) -> bool {
    fn as_f32<'a>(b: &'a Buffer<'_>) -> Option<&'a [f32]> {
        match b {
            Buffer::F32(s) => Some(s),
            Buffer::F64(_) => None,
        }
    }
    fn as_f64<'a>(b: &'a Buffer<'_>) -> Option<&'a [f64]> {
        match b {
            Buffer::F64(s) => Some(s),
            Buffer::F32(_) => None,
        }
    }
    fn run<E: Element, const M: usize>(
        own: &mut [E],
        others: [Option<&[E]>; M],
        f: &impl InPlace<M>,
    ) -> bool {
        let others: [&[E]; M] = match others.iter().copied().collect::<Option<Vec<_>>>() {
            Some(v) if v.iter().all(|o| o.len() == own.len()) => match v.try_into() {
                Ok(others) => others,
                Err(_) => return false,
            },
            _ => return false,
        };
        update(own, others, f);
        true
    }
    if let Ok(own) = own.as_mut_slice::<f32>() {
        run(own, others.map(as_f32), f)
    } else if let Ok(own) = own.as_mut_slice::<f64>() {
        run(own, others.map(as_f64), f)
    } else {
        false
    }
}

/// `f(x)` in place over `x`'s own buffer.
struct ForwardInPlace<'a>(&'a mut TensorData);

impl VisitPointwise for ForwardInPlace<'_> {
    type Output = bool;
    fn visit<P: Pointwise + Sync>(self, f: &P) -> bool {
        overwrite(self.0, [], &Value(f))
    }
}

/// `grad · f'(x)` in place over the gradient's own buffer.
struct BackwardInPlace<'a, 'b>(&'a mut TensorData, &'a Buffer<'b>);

impl VisitPointwise for BackwardInPlace<'_, '_> {
    type Output = bool;
    fn visit<P: Pointwise + Sync>(self, f: &P) -> bool {
        overwrite(self.0, [self.1], &Slope(f))
    }
}

/// `f(x)` with the activation's concrete type, so each activation gets its own element loop.
struct Forward<'a, T>(&'a T);

impl<T: CpuTensor> VisitPointwise for Forward<'_, T> {
    type Output = Option<T>;
    fn visit<P: Pointwise + Sync>(self, f: &P) -> Option<T> {
        map([self.0], Value(f))
    }
}

/// `grad · f'(x)`, likewise.
struct Backward<'a, T>(&'a T, &'a T);

impl<T: CpuTensor> VisitPointwise for Backward<'_, T> {
    type Output = Option<T>;
    fn visit<P: Pointwise + Sync>(self, f: &P) -> Option<T> {
        map([self.0, self.1], Slope(f))
    }
}

pub(crate) fn pointwise<B: Backend>(x: FloatTensor<B>, kernel: &PointwiseKernel) -> FloatTensor<B>
where
    FloatTensor<B>: CpuTensor,
{
    // Under autodiff the graph keeps `x` for the backward, so it is shared and this takes the
    // fresh-buffer path; in inference `x` is often the sole owner of its buffer.
    let x = match x.into_unique() {
        Ok(mut data) => {
            if kernel.visit(ForwardInPlace(&mut data)) {
                return FloatTensor::<B>::from_unique(data);
            }
            FloatTensor::<B>::from_unique(data)
        }
        Err(x) => x,
    };
    kernel
        .visit(Forward(&x))
        .unwrap_or_else(|| composed::pointwise::<B>(x, kernel))
}

pub(crate) fn pointwise_backward<B: Backend>(
    x: FloatTensor<B>,
    grad: FloatTensor<B>,
    kernel: &PointwiseKernel,
) -> FloatTensor<B>
where
    FloatTensor<B>: CpuTensor,
{
    // the incoming gradient is usually consumed here alone: overwrite it with the result
    let same_shape = grad.shape() == x.shape();
    let grad = match if same_shape {
        grad.into_unique()
    } else {
        Err(grad)
    } {
        Ok(mut data) => {
            if let Some(xs) = x.buffer()
                && kernel.visit(BackwardInPlace(&mut data, &xs))
            {
                return FloatTensor::<B>::from_unique(data);
            }
            FloatTensor::<B>::from_unique(data)
        }
        Err(grad) => grad,
    };
    kernel
        .visit(Backward(&x, &grad))
        .unwrap_or_else(|| composed::pointwise_backward::<B>(x, grad, kernel))
}

pub(crate) fn parametric<B: Backend>(
    x: FloatTensor<B>,
    p: FloatTensor<B>,
    kernel: ParametricKernel,
) -> FloatTensor<B>
where
    FloatTensor<B>: CpuTensor,
{
    parametric_kernel!(kernel, |f| map([&x, &p], ParametricValue(&f)))
        .unwrap_or_else(|| composed::parametric::<B>(x, p, kernel))
}

pub(crate) fn parametric_backward<B: Backend>(
    x: FloatTensor<B>,
    p: FloatTensor<B>,
    grad: FloatTensor<B>,
    kernel: ParametricKernel,
) -> (FloatTensor<B>, FloatTensor<B>)
where
    FloatTensor<B>: CpuTensor,
{
    let inputs = [&x, &p, &grad];
    let (dx, dp) = parametric_kernel!(kernel, |f| (
        map(inputs, ParametricSlopeX(&f)),
        map(inputs, ParametricSlopeP(&f))
    ));
    match (dx, dp) {
        (Some(dx), Some(dp)) => (dx, dp),
        _ => composed::parametric_backward::<B>(x, p, grad, kernel),
    }
}

/// A tensor split along one dimension, seen as `[rows, parts, len]`: each row of the output (of
/// `len` elements) reduces the `parts` slices of one input row. GLU: `parts = 2` halves of the
/// dimension; Maxout: each unit's `k` consecutive pieces, `len` the size after the dimension.
#[derive(Clone, Copy, Debug)]
struct Split {
    parts: usize,
    len: usize,
}

impl Split {
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
trait SegmentLoop<E>: Sync {
    /// Writes `out`: elements `col .. col + out.len()` of output row `row`.
    fn segment(&self, row: usize, col: usize, out: &mut [E]);
}

/// The output as rows of `len` elements: each chunk is cut where rows end, so the segment loops
/// see contiguous runs (and long rows are still split over threads).
struct Rows<S> {
    len: usize,
    body: S,
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

/// Runs `body` over `out` taken as the output rows of `split`, over rayon's pool when large.
fn for_rows<E: Send, S: SegmentLoop<E>>(out: &mut [E], split: Split, body: S) {
    for_chunks(
        out,
        &Rows {
            len: split.len,
            body,
        },
    )
}

/// GLU forward: `a · act(b)` over the halves `a`, `b` of each input row.
struct GluRows<'a, E, G> {
    x: &'a [E],
    split: Split,
    gated: &'a G,
}

impl<E: Element, G: Parametric + Sync> SegmentLoop<MaybeUninit<E>> for GluRows<'_, E, G> {
    #[inline(always)]
    fn segment(&self, row: usize, col: usize, out: &mut [MaybeUninit<E>]) {
        let n = out.len();
        let halves = [0, 1].map(|half| self.split.part(self.x, row, half, col, n));
        Fresh {
            inputs: halves,
            f: &ParametricValue(self.gated),
        }
        .run(0, out)
    }
}

/// GLU backward: input row `r` of the gradient is `[g · act(b), g · a · act'(b)]`; here "row"
/// `2r + half` is one half of it.
struct GluGradRows<'a, E, G> {
    x: &'a [E],
    grad: &'a [E],
    split: Split,
    gated: &'a G,
}

impl<E: Element, G: Parametric + Sync> SegmentLoop<MaybeUninit<E>> for GluGradRows<'_, E, G> {
    #[inline(always)]
    fn segment(&self, row_half: usize, col: usize, out: &mut [MaybeUninit<E>]) {
        let (row, n) = (row_half / 2, out.len());
        let [a, b] = [0, 1].map(|half| self.split.part(self.x, row, half, col, n));
        let at = row * self.split.len + col;
        let inputs = [a, b, &self.grad[at..at + n]];
        if row_half.is_multiple_of(2) {
            let f = ParametricSlopeX(self.gated);
            Fresh { inputs, f: &f }.run(0, out)
        } else {
            let f = ParametricSlopeP(self.gated);
            Fresh { inputs, f: &f }.run(0, out)
        }
    }
}

/// Whether `candidate` takes the place of `best` in a Maxout group: the first NaN wins, else the
/// first maximum (PyTorch's `max(dim)` on the CPU), so a later equal piece never does.
#[inline(always)]
fn replaces<E: Element>(best: E, candidate: E) -> bool {
    !best.is_nan() && (candidate > best || candidate.is_nan())
}

/// The index of the winning piece of a group (branch-free, so loops over groups vectorise).
#[inline(always)]
fn winner<E: Element>(k: usize, piece: impl Fn(usize) -> E) -> usize {
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
fn with_group_size<R>(k: usize, body: impl GroupLoop<Output = R>) -> R {
    match k {
        2 => body.run::<2>(),
        3 => body.run::<3>(),
        4 => body.run::<4>(),
        _ => body.run::<0>(),
    }
}

/// Code over groups of `K` elements; `K = 0` means "the runtime size". Implementations start
/// with `let k = if K > 0 { K } else { k };`, which makes `k` a constant in each specialisation.
trait GroupLoop {
    type Output;
    fn run<const K: usize>(self) -> Self::Output;
}

/// Maxout forward, pieces `len > 1` apart: a running max over whole runs, which vectorises.
struct MaxRows<'a, E> {
    x: &'a [E],
    split: Split,
}

impl<E: Element> SegmentLoop<MaybeUninit<E>> for MaxRows<'_, E> {
    #[inline(always)]
    fn segment(&self, row: usize, col: usize, out: &mut [MaybeUninit<E>]) {
        let n = out.len();
        let out = out.write_copy_of_slice(self.split.part(self.x, row, 0, col, n));
        for part in 1..self.split.parts {
            let piece = self.split.part(self.x, row, part, col, n);
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
struct MaxAdjacent<'a, E> {
    x: &'a [E],
    k: usize,
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
struct MaxGradRows<'a, E> {
    x: &'a [E],
    grad: &'a [E],
    split: Split,
}

impl<E: Element> SegmentLoop<MaybeUninit<E>> for MaxGradRows<'_, E> {
    #[inline(always)]
    fn segment(&self, row_part: usize, col: usize, out: &mut [MaybeUninit<E>]) {
        let (row, part) = (row_part / self.split.parts, row_part % self.split.parts);
        let at = row * self.split.len + col;
        let grad = &self.grad[at..at + out.len()];
        for (j, (o, &g)) in out.iter_mut().zip(grad).enumerate() {
            let piece = |p| self.x[(row * self.split.parts + p) * self.split.len + col + j];
            o.write(if winner(self.split.parts, piece) == part {
                g
            } else {
                E::default()
            });
        }
    }
}

/// Maxout backward, pieces adjacent: input `i` gets the gradient of output `i / k` if it won.
struct MaxGradAdjacent<'a, E> {
    x: &'a [E],
    grad: &'a [E],
    k: usize,
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
struct ScatterWinners<'a, E> {
    winners: &'a [usize],
    grad: &'a [E],
    k: usize,
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

/// A split kernel over the buffers of equally typed tensors, for either float width.
trait SplitKernel {
    /// Writes every element of `out`.
    fn run<E: Element>(&self, inputs: &[&[E]], out: &mut [MaybeUninit<E>]);
}

/// Runs `kernel` over `inputs`' buffers into a fresh tensor of `shape`. float32 and float64 run
/// as they are; other float dtypes (f16, bf16) run in float32 and are cast back.
fn run_split<B: Backend>(
    inputs: Vec<FloatTensor<B>>,
    shape: Shape,
    kernel: &impl SplitKernel,
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
            let out = run_split::<B>(as_f32, shape, kernel);
            B::float_cast(out, dtype.into())
        }
    }
}

/// The shape of `shape` with `dim` divided by `parts`.
fn reduced(shape: &Shape, dim: usize, parts: usize) -> Shape {
    let mut out = shape.clone();
    out[dim] /= parts;
    out
}

pub(crate) fn glu_split<B: Backend>(
    x: FloatTensor<B>,
    variant: GluVariant,
    dim: usize,
) -> FloatTensor<B>
where
    FloatTensor<B>: CpuTensor,
{
    struct Forward(GluVariant, Split);
    impl SplitKernel for Forward {
        fn run<E: Element>(&self, inputs: &[&[E]], out: &mut [MaybeUninit<E>]) {
            with_gate!(self.0, |gate| {
                let body = GluRows {
                    x: inputs[0],
                    split: self.1,
                    gated: &Gated(gate),
                };
                for_rows(out, self.1, body)
            })
        }
    }
    let shape = x.shape();
    let kernel = Forward(variant, Split::halves(&shape, dim));
    run_split::<B>(vec![x], reduced(&shape, dim, 2), &kernel)
}

pub(crate) fn glu_split_backward<B: Backend>(
    x: FloatTensor<B>,
    grad: FloatTensor<B>,
    variant: GluVariant,
    dim: usize,
) -> FloatTensor<B>
where
    FloatTensor<B>: CpuTensor,
{
    struct Backward(GluVariant, Split);
    impl SplitKernel for Backward {
        fn run<E: Element>(&self, inputs: &[&[E]], out: &mut [MaybeUninit<E>]) {
            with_gate!(self.0, |gate| {
                let body = GluGradRows {
                    x: inputs[0],
                    grad: inputs[1],
                    split: self.1,
                    gated: &Gated(gate),
                };
                for_rows(out, self.1, body)
            })
        }
    }
    let shape = x.shape();
    let kernel = Backward(variant, Split::halves(&shape, dim));
    run_split::<B>(vec![x, grad], shape, &kernel)
}

pub(crate) fn maxout<B: Backend>(x: FloatTensor<B>, k: usize, dim: usize) -> FloatTensor<B>
where
    FloatTensor<B>: CpuTensor,
{
    struct Forward(Split);
    impl SplitKernel for Forward {
        fn run<E: Element>(&self, inputs: &[&[E]], out: &mut [MaybeUninit<E>]) {
            let (x, split) = (inputs[0], self.0);
            if split.len == 1 {
                for_chunks(out, &MaxAdjacent { x, k: split.parts })
            } else {
                for_rows(out, split, MaxRows { x, split })
            }
        }
    }
    let shape = x.shape();
    let kernel = Forward(Split::groups(&shape, dim, k));
    run_split::<B>(vec![x], reduced(&shape, dim, k), &kernel)
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
    struct Backward(Split);
    impl SplitKernel for Backward {
        fn run<E: Element>(&self, inputs: &[&[E]], out: &mut [MaybeUninit<E>]) {
            let (x, grad, split) = (inputs[0], inputs[1], self.0);
            if split.len == 1 && split.parts > CHUNK {
                // groups longer than a chunk: each winner once, then a scatter, so the work
                // stays linear in the size whatever k is
                let k = split.parts;
                let winners: Vec<usize> = x.par_chunks(k).map(|g| winner(k, |p| g[p])).collect();
                for_chunks(
                    out,
                    &ScatterWinners {
                        winners: &winners,
                        grad,
                        k,
                    },
                )
            } else if split.len == 1 {
                for_chunks(
                    out,
                    &MaxGradAdjacent {
                        x,
                        grad,
                        k: split.parts,
                    },
                )
            } else {
                for_rows(out, split, MaxGradRows { x, grad, split })
            }
        }
    }
    let shape = x.shape();
    let kernel = Backward(Split::groups(&shape, dim, k));
    run_split::<B>(vec![x, grad], shape, &kernel)
}

#[cfg(all(test, feature = "flex", feature = "ndarray"))]
mod tests {
    use crate::ActivationConfig;
    use burn::module::Module;
    use burn::tensor::{Device, Tensor, TensorData};

    fn values(t: Tensor<1>) -> Vec<f32> {
        t.into_data().to_vec().unwrap()
    }

    /// The loop compiled for SSE2, AVX2 + FMA and AVX-512 gives the same bits (where this CPU
    /// can run them): vector width changes nothing element-wise, and `mul_add` rounds once
    /// everywhere.
    #[test]
    fn every_instruction_set_gives_the_same_bits() {
        use super::*;
        use crate::activations::{
            elu::EluConfig, gelu::Gelu, gelu_tanh::GeluTanh, log_sigmoid::LogSigmoid, mish::Mish,
            quick_gelu::QuickGelu, sigmoid::Sigmoid, silu::Silu, softplus::SoftplusConfig,
            tanh::Tanh,
        };

        struct AllPaths<'a>(&'a [f32], &'a [f32]);
        impl VisitPointwise for AllPaths<'_> {
            type Output = Vec<Vec<u32>>;
            fn visit<P: Pointwise + Sync>(self, f: &P) -> Vec<Vec<u32>> {
                let value = Fresh {
                    inputs: [self.0],
                    f: &Value(f),
                };
                let slope = Fresh {
                    inputs: [self.0, self.1],
                    f: &Slope(f),
                };
                type Out<'o> = &'o mut [MaybeUninit<f32>];
                let run = |path: &dyn Fn(Out<'_>, Out<'_>)| -> Vec<u32> {
                    let n = self.0.len();
                    let y = fresh(n, |out| path(out, &mut vec![MaybeUninit::uninit(); n]));
                    let dy = fresh(n, |out| path(&mut vec![MaybeUninit::uninit(); n], out));
                    // NaN payloads may differ; NaN-ness may not
                    y.iter()
                        .chain(&dy)
                        .map(|v| if v.is_nan() { u32::MAX } else { v.to_bits() })
                        .collect()
                };
                let mut outs: Vec<Vec<u32>> = vec![run(&|y, dy| {
                    value.run(0, y);
                    slope.run(0, dy);
                })];
                #[cfg(target_arch = "x86_64")]
                {
                    use std::arch::is_x86_feature_detected as has;
                    if has!("avx2") && has!("fma") {
                        // SAFETY: checked just above.
                        outs.push(run(&|y, dy| unsafe {
                            run_avx2(&value, 0, y);
                            run_avx2(&slope, 0, dy);
                        }));
                    }
                    if has!("avx512f") && has!("avx512dq") && has!("avx512vl") && has!("avx512bw") {
                        // SAFETY: checked just above.
                        outs.push(run(&|y, dy| unsafe {
                            run_avx512(&value, 0, y);
                            run_avx512(&slope, 0, dy);
                        }));
                    }
                }
                outs
            }
        }

        let mut xs: Vec<f32> = (-4000..4000).map(|i| i as f32 * 0.01).collect();
        xs.extend([
            f32::INFINITY,
            f32::NEG_INFINITY,
            f32::NAN,
            f32::MAX,
            f32::MIN,
            f32::MIN_POSITIVE,
            1e-30,
            -1e-30,
            88.7,
            -88.7,
            104.0,
            -104.0,
            0.0,
            -0.0,
        ]);
        let upstream: Vec<f32> = (0..xs.len()).map(|i| 0.25 + (i % 9) as f32).collect();
        let kernels: [PointwiseKernel; 11] = [
            Gelu.into(),
            GeluTanh.into(),
            Mish.into(),
            Silu.into(),
            QuickGelu.into(),
            Sigmoid.into(),
            Tanh.into(),
            LogSigmoid.into(),
            // β = 1 runs its own loop (no division), β = 2 the general one
            SoftplusConfig::new().init().unwrap().into(),
            SoftplusConfig::new().with_beta(2.0).init().unwrap().into(),
            EluConfig::new().init().unwrap().into(),
        ];
        for kernel in kernels {
            let outs = kernel.visit(AllPaths(&xs, &upstream));
            for other in &outs[1..] {
                let first = outs[0].iter().zip(other).position(|(a, b)| a != b);
                assert_eq!(
                    first,
                    None,
                    "{kernel:?} at element {first:?} of {}",
                    xs.len()
                );
            }
        }
    }

    /// Results written over a sole owner's buffer equal those written to a fresh one, and a
    /// buffer someone else still holds is never overwritten.
    #[test]
    fn in_place_and_fresh_buffers_agree() {
        let xs: Vec<f32> = (-60..60).map(|i| i as f32 * 0.37).collect();
        let upstream: Vec<f32> = (0..120).map(|i| 0.5 + (i % 7) as f32).collect();
        #[allow(deprecated)]
        let devices = [Device::flex(), Device::ndarray()];
        for device in devices {
            for spec in ["relu", "gelu", "mish", "elu(alpha=0.5)", "softplus", "tanh"] {
                let config: ActivationConfig = spec.parse().unwrap();
                let activation = config.init(&device.clone().autodiff()).unwrap();
                let plain = activation.clone().valid();
                let x = Tensor::<1>::from_data(TensorData::from(xs.as_slice()), &device);
                let kept = x.clone();
                let fresh = values(plain.forward(x.clone())); // `kept` shares the buffer
                assert_eq!(values(kept), xs, "{spec}: a shared input was overwritten");
                let in_place = values(plain.forward(x)); // now the sole owner
                assert_eq!(fresh, in_place, "{spec} forward");

                let autodiff = device.clone().autodiff();
                let input = Tensor::<1>::from_data(TensorData::from(xs.as_slice()), &autodiff)
                    .require_grad();
                let up = Tensor::<1>::from_data(TensorData::from(upstream.as_slice()), &autodiff);
                // the slope (from `sum()`) scaled by `up` must equal the gradient of `y · up`
                let grads = activation.forward(input.clone()).sum().backward();
                let slope = values(input.grad(&grads).unwrap());
                let grads = (activation.forward(input.clone()) * up).sum().backward();
                let scaled = values(input.grad(&grads).unwrap());
                for i in 0..xs.len() {
                    assert_eq!(
                        scaled[i],
                        slope[i] * upstream[i],
                        "{spec} backward at {}",
                        xs[i]
                    );
                }
            }
        }
    }
}
