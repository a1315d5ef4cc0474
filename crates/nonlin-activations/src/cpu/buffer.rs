//! The CPU tensors' buffers as float32 or float64 slices: borrowed when contiguous, copied into
//! order otherwise, and taken over (to be overwritten) when the tensor alone holds them.

// burn-ndarray is deprecated in Burn 0.22, but ndarray is one of the backends users ask for.
#![allow(deprecated)]

use burn::backend::TensorMetadata;
#[cfg(feature = "flex")]
use burn::tensor::DType;
use burn::tensor::{Shape, TensorData};
use std::borrow::Cow;

/// A contiguous, row-major view of a float tensor's elements.
pub(crate) enum Buffer<'a> {
    F32(Cow<'a, [f32]>),
    F64(Cow<'a, [f64]>),
}

impl Buffer<'_> {
    /// The elements, if they are float32.
    pub(crate) fn as_f32(&self) -> Option<&[f32]> {
        match self {
            Buffer::F32(s) => Some(s),
            Buffer::F64(_) => None,
        }
    }
    /// The elements, if they are float64.
    pub(crate) fn as_f64(&self) -> Option<&[f64]> {
        match self {
            Buffer::F64(s) => Some(s),
            Buffer::F32(_) => None,
        }
    }
}

/// The buffers as slices of one float type, or `None` (another dtype, or mixed).
pub(crate) enum Typed<'a> {
    F32(Vec<&'a [f32]>),
    F64(Vec<&'a [f64]>),
}

pub(crate) fn typed<'a>(buffers: &'a [Buffer<'a>]) -> Option<Typed<'a>> {
    match buffers.iter().map(Buffer::as_f32).collect() {
        Some(f32s) => Some(Typed::F32(f32s)),
        None => buffers
            .iter()
            .map(Buffer::as_f64)
            .collect::<Option<_>>()
            .map(Typed::F64),
    }
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
