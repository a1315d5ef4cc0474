//! Single-pass CPU kernels for flex and ndarray.
//!
//! One loop over the input buffers computes each output element from the activation's formula in
//! f64 and rounds it once. Large tensors are split over rayon's pool. Tensors whose dtype is neither
//! f32 nor f64 (f16, bf16) go through the composed tensor-primitive path instead.

// burn-ndarray is deprecated in Burn 0.22, but ndarray is one of the backends users ask for.
#![allow(deprecated)]

use crate::kernel::{Parametric, ParametricKernel, Pointwise, PointwiseKernel, composed};
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

impl CpuTensor for burn_flex::FlexTensor {
    fn buffer(&self) -> Option<Buffer<'_>> {
        match self.dtype() {
            DType::F32 => Some(Buffer::F32(match self.as_slice::<f32>() {
                Some(slice) => Cow::Borrowed(slice),
                None => Cow::Owned(self.to_contiguous().as_slice::<f32>()?.to_vec()),
            })),
            DType::F64 => Some(Buffer::F64(match self.as_slice::<f64>() {
                Some(slice) => Cow::Borrowed(slice),
                None => Cow::Owned(self.to_contiguous().as_slice::<f64>()?.to_vec()),
            })),
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

/// `out[i] = f([a[i], b[i], …])` over equally shaped inputs of one dtype (f32 or f64); `None` when
/// the inputs do not qualify, so the caller can take the composed path.
fn map<T: CpuTensor, const N: usize>(
    inputs: [&T; N],
    f: impl Fn([f64; N]) -> f64 + Sync,
) -> Option<T> {
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
        let out = fill(shape.num_elements(), |i| {
            f(slices.map(|s| f64::from(s[i]))) as f32
        });
        Some(T::from_f32(out, shape))
    } else if buffers.iter().all(|b| matches!(b, Buffer::F64(_))) {
        let slices: [&[f64]; N] = core::array::from_fn(|i| match &buffers[i] {
            Buffer::F64(s) => &**s,
            Buffer::F32(_) => unreachable!("checked above"),
        });
        let out = fill(shape.num_elements(), |i| f(slices.map(|s| s[i])));
        Some(T::from_f64(out, shape))
    } else {
        None
    }
}

/// A vector of `len` elements, element `i` computed by `element(i)`, in parallel when large.
fn fill<E: Copy + Default + Send>(len: usize, element: impl Fn(usize) -> E + Sync) -> Vec<E> {
    let mut out = vec![E::default(); len];
    if len < PARALLEL_THRESHOLD {
        out.iter_mut()
            .enumerate()
            .for_each(|(i, o)| *o = element(i));
    } else {
        out.par_chunks_mut(CHUNK)
            .enumerate()
            .for_each(|(c, chunk)| {
                let start = c * CHUNK;
                chunk
                    .iter_mut()
                    .enumerate()
                    .for_each(|(i, o)| *o = element(start + i));
            });
    }
    out
}

pub(crate) fn pointwise<B: Backend>(x: FloatTensor<B>, kernel: &PointwiseKernel) -> FloatTensor<B>
where
    FloatTensor<B>: CpuTensor,
{
    map([&x], |[x]| kernel.value(x)).unwrap_or_else(|| composed::pointwise::<B>(x, kernel))
}

pub(crate) fn pointwise_backward<B: Backend>(
    x: FloatTensor<B>,
    grad: FloatTensor<B>,
    kernel: &PointwiseKernel,
) -> FloatTensor<B>
where
    FloatTensor<B>: CpuTensor,
{
    map([&x, &grad], |[x, g]| g * kernel.derivative(x))
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
    map([&x, &p], |[x, p]| kernel.value(x, p))
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
    let dx = map(inputs, |[x, p, g]| g * kernel.derivative_x(x, p));
    let dp = map(inputs, |[x, p, g]| g * kernel.derivative_p(x, p));
    match (dx, dp) {
        (Some(dx), Some(dp)) => (dx, dp),
        _ => composed::parametric_backward::<B>(x, p, grad, kernel),
    }
}
