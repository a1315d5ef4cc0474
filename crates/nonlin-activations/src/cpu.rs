//! Single-pass CPU kernels for flex and ndarray.
//!
//! One loop over the input buffers computes each output element from the activation's formula:
//! float32 tensors in [`F32`] lanes (vectorised float32, see [`crate::real32`]), float64 tensors in
//! f64. Each activation gets its own loop, compiled for AVX2 where the CPU has it. Large tensors
//! are split over rayon's pool. Tensors whose dtype is neither
//! f32 nor f64 (f16, bf16) go through the composed tensor-primitive path instead.

// burn-ndarray is deprecated in Burn 0.22, but ndarray is one of the backends users ask for.
#![allow(deprecated)]

use crate::kernel::{
    Parametric, ParametricKernel, Pointwise, PointwiseKernel, VisitPointwise, composed,
    parametric_kernel,
};
use crate::real::Real;
use crate::real32::F32;
use burn::backend::{Backend, TensorMetadata, tensor::FloatTensor};
use burn::tensor::{DType, Shape, TensorData};
use rayon::prelude::*;
use std::borrow::Cow;

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
}

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
}

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
        grad * self.0.derivative(x)
    }
}

/// `f(x, p)`.
struct ParametricValue<K>(K);

impl<K: Parametric + Sync> Formula<2> for ParametricValue<K> {
    #[inline(always)]
    fn at<R: Real>(&self, [x, p]: [R; 2]) -> R {
        self.0.value(x, p)
    }
}

/// `grad · ∂f/∂x`.
struct ParametricSlopeX<K>(K);

impl<K: Parametric + Sync> Formula<3> for ParametricSlopeX<K> {
    #[inline(always)]
    fn at<R: Real>(&self, [x, p, grad]: [R; 3]) -> R {
        grad * self.0.derivative_x(x, p)
    }
}

/// `grad · ∂f/∂p`.
struct ParametricSlopeP<K>(K);

impl<K: Parametric + Sync> Formula<3> for ParametricSlopeP<K> {
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
trait Element: Copy + Default + Send + Sync {
    fn eval<const N: usize>(f: &impl Formula<N>, inputs: [Self; N]) -> Self;
}

impl Element for f32 {
    #[inline(always)]
    fn eval<const N: usize>(f: &impl Formula<N>, inputs: [f32; N]) -> f32 {
        f.at(inputs.map(F32)).0
    }
}

impl Element for f64 {
    #[inline(always)]
    fn eval<const N: usize>(f: &impl Formula<N>, inputs: [f64; N]) -> f64 {
        f.at(inputs)
    }
}

/// `out[i] = f([inputs[0][i], inputs[1][i], …])`, split over rayon's pool when large.
fn fill<E: Element, const N: usize>(inputs: [&[E]; N], f: &impl Formula<N>) -> Vec<E> {
    let len = inputs[0].len();
    let mut out = vec![E::default(); len];
    if len < PARALLEL_THRESHOLD {
        apply_fastest(&mut out, inputs, f);
    } else {
        out.par_chunks_mut(CHUNK)
            .enumerate()
            .for_each(|(c, chunk)| {
                let start = c * CHUNK;
                apply_fastest(chunk, inputs.map(|input| &input[start..]), f);
            });
    }
    out
}

/// The element loop. Every input is cut to `out`'s length, so the compiler drops the bounds
/// checks, and the formula inlines into the loop body, which it vectorises.
#[inline(always)]
fn apply<E: Element, const N: usize>(out: &mut [E], inputs: [&[E]; N], f: &impl Formula<N>) {
    let inputs = inputs.map(|input| &input[..out.len()]);
    for (i, o) in out.iter_mut().enumerate() {
        *o = E::eval(f, inputs.map(|input| input[i]));
    }
}

/// [`apply`] compiled for AVX2 (8 float32 lanes) where the CPU has it; the default x86-64 target
/// only assumes SSE2 (4 lanes).
fn apply_fastest<E: Element, const N: usize>(
    out: &mut [E],
    inputs: [&[E]; N],
    f: &impl Formula<N>,
) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU supports AVX2, checked just above.
        return unsafe { apply_avx2(out, inputs, f) };
    }
    apply(out, inputs, f)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn apply_avx2<E: Element, const N: usize>(out: &mut [E], inputs: [&[E]; N], f: &impl Formula<N>) {
    apply(out, inputs, f)
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
    parametric_kernel!(kernel, |f| map([&x, &p], ParametricValue(f)))
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
        map(inputs, ParametricSlopeX(f)),
        map(inputs, ParametricSlopeP(f))
    ));
    match (dx, dp) {
        (Some(dx), Some(dp)) => (dx, dp),
        _ => composed::parametric_backward::<B>(x, p, grad, kernel),
    }
}
