//! The element-wise ops on CPU buffers: `f(x)`, `grad · f'(x)`, `f(x, p)` and its two partial
//! derivatives, each a loop of its own per activation (visited through the kernel registry), in
//! place over a buffer the tensor alone holds, else into a fresh one.

use super::buffer::*;
use super::loops::*;
use crate::math::real::Real;
use crate::ops::composed;
use crate::ops::formula::{Parametric, Pointwise};
use crate::registry::kernels::{
    ParametricKernel, PointwiseKernel, VisitPointwise, parametric_kernel,
};
use burn::backend::{Backend, TensorMetadata, tensor::FloatTensor};
use burn::tensor::TensorData;

/// `f(x)`.
pub(super) struct Value<'a, P>(pub(super) &'a P);

impl<P: Pointwise + Sync> Formula<1> for Value<'_, P> {
    #[inline(always)]
    fn at<R: Real>(&self, [x]: [R; 1]) -> R {
        self.0.value(x)
    }
}

/// `grad · f'(x)`.
pub(super) struct Chain<'a, P>(pub(super) &'a P);

impl<P: Pointwise + Sync> Formula<2> for Chain<'_, P> {
    #[inline(always)]
    fn at<R: Real>(&self, [x, grad]: [R; 2]) -> R {
        self.0.chain(grad, x)
    }
}

/// `f(x, p)`.
pub(super) struct ParametricValue<'a, K>(pub(super) &'a K);

impl<K: Parametric + Sync> Formula<2> for ParametricValue<'_, K> {
    #[inline(always)]
    fn at<R: Real>(&self, [x, p]: [R; 2]) -> R {
        self.0.value(x, p)
    }
}

/// `grad · ∂f/∂x`.
pub(super) struct ParametricChainX<'a, K>(pub(super) &'a K);

impl<K: Parametric + Sync> Formula<3> for ParametricChainX<'_, K> {
    #[inline(always)]
    fn at<R: Real>(&self, [x, p, grad]: [R; 3]) -> R {
        grad * self.0.derivative_x(x, p)
    }
}

/// `grad · ∂f/∂p`.
pub(super) struct ParametricChainP<'a, K>(pub(super) &'a K);

impl<K: Parametric + Sync> Formula<3> for ParametricChainP<'_, K> {
    #[inline(always)]
    fn at<R: Real>(&self, [x, p, grad]: [R; 3]) -> R {
        grad * self.0.derivative_p(x, p)
    }
}

/// `out[i] = f([a[i], b[i], …])` over equally shaped inputs of one dtype, float32 in [`F32`] lanes,
/// float64 in f64; `None` when the inputs do not qualify, so the caller can take the composed path.
pub(super) fn map<T: CpuTensor, const N: usize>(inputs: [&T; N], f: impl Formula<N>) -> Option<T> {
    let shape = inputs[0].shape();
    if inputs.iter().any(|t| t.shape() != shape) {
        return None;
    }
    let buffers: Vec<Buffer<'_>> = inputs.iter().map(|t| t.buffer()).collect::<Option<_>>()?;
    if let Some(slices) = buffers
        .iter()
        .map(Buffer::as_f32)
        .collect::<Option<Vec<_>>>()
    {
        let slices: [&[f32]; N] = slices.try_into().ok()?;
        Some(T::from_f32(fill(slices, &f), shape))
    } else {
        let slices = buffers
            .iter()
            .map(Buffer::as_f64)
            .collect::<Option<Vec<_>>>()?;
        let slices: [&[f64]; N] = slices.try_into().ok()?;
        Some(T::from_f64(fill(slices, &f), shape))
    }
}

/// `out[i] = f([inputs[0][i], inputs[1][i], …])` into a new buffer.
pub(super) fn fill<E: Element, const N: usize>(inputs: [&[E]; N], f: &impl Formula<N>) -> Vec<E> {
    fresh(inputs[0].len(), |out| for_chunks(out, &Fresh { inputs, f }))
}

impl<P: Pointwise + Sync> InPlace<0> for Value<'_, P> {
    #[inline(always)]
    fn at_over<R: Real>(&self, []: [R; 0], x: R) -> R {
        self.0.value(x)
    }
}

impl<P: Pointwise + Sync> InPlace<1> for Chain<'_, P> {
    #[inline(always)]
    fn at_over<R: Real>(&self, [x]: [R; 1], grad: R) -> R {
        self.0.chain(grad, x)
    }
}

/// Overwrites `own` (a buffer taken by [`CpuTensor::into_unique`]) with `f(others…, own)`; false,
/// leaving it untouched, when the dtypes or lengths do not qualify.
pub(super) fn overwrite<const M: usize>(
    own: &mut TensorData,
    others: [&Buffer<'_>; M],
    f: &impl InPlace<M>,
) -> bool {
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
        run(own, others.map(Buffer::as_f32), f)
    } else if let Ok(own) = own.as_mut_slice::<f64>() {
        run(own, others.map(Buffer::as_f64), f)
    } else {
        false
    }
}

/// `f(x)` in place over `x`'s own buffer.
pub(super) struct ForwardInPlace<'a>(pub(super) &'a mut TensorData);

impl VisitPointwise for ForwardInPlace<'_> {
    type Output = bool;
    fn visit<P: Pointwise + Sync>(self, f: &P) -> bool {
        overwrite(self.0, [], &Value(f))
    }
}

/// `grad · f'(x)` in place over the gradient's own buffer.
pub(super) struct BackwardInPlace<'a, 'b>(pub(super) &'a mut TensorData, &'a Buffer<'b>);

impl VisitPointwise for BackwardInPlace<'_, '_> {
    type Output = bool;
    fn visit<P: Pointwise + Sync>(self, f: &P) -> bool {
        overwrite(self.0, [self.1], &Chain(f))
    }
}

/// `f(x)` with the activation's concrete type, so each activation gets its own element loop.
pub(super) struct Forward<'a, T>(pub(super) &'a T);

impl<T: CpuTensor> VisitPointwise for Forward<'_, T> {
    type Output = Option<T>;
    fn visit<P: Pointwise + Sync>(self, f: &P) -> Option<T> {
        map([self.0], Value(f))
    }
}

/// `grad · f'(x)`, likewise.
pub(super) struct Backward<'a, T>(pub(super) &'a T, &'a T);

impl<T: CpuTensor> VisitPointwise for Backward<'_, T> {
    type Output = Option<T>;
    fn visit<P: Pointwise + Sync>(self, f: &P) -> Option<T> {
        map([self.0, self.1], Chain(f))
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
        map(inputs, ParametricChainX(&f)),
        map(inputs, ParametricChainP(&f))
    ));
    match (dx, dp) {
        (Some(dx), Some(dp)) => (dx, dp),
        _ => composed::parametric_backward::<B>(x, p, grad, kernel),
    }
}
