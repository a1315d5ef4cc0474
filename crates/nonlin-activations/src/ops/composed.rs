//! The ops as chains of tensor primitives: the path for GPUs (fused by Burn on wgpu) and for dtypes
//! the CPU kernels do not cover.

#![cfg_attr(not(custom_ops), allow(dead_code))] // the backward: only with the ops' own autodiff node

use crate::math::real::TensorReal;
use crate::ops::formula::{Parametric, Pointwise};
use crate::registry::kernels::{ParametricKernel, PointwiseKernel};
use burn::backend::{Backend, tensor::FloatTensor};

pub(crate) fn pointwise<B: Backend>(x: FloatTensor<B>, kernel: &PointwiseKernel) -> FloatTensor<B> {
    kernel.value(TensorReal::<B>(x)).0
}

pub(crate) fn pointwise_backward<B: Backend>(
    x: FloatTensor<B>,
    grad: FloatTensor<B>,
    kernel: &PointwiseKernel,
) -> FloatTensor<B> {
    kernel.chain(TensorReal::<B>(grad), TensorReal::<B>(x)).0
}

pub(crate) fn parametric<B: Backend>(
    x: FloatTensor<B>,
    p: FloatTensor<B>,
    kernel: ParametricKernel,
) -> FloatTensor<B> {
    kernel.value(TensorReal::<B>(x), TensorReal(p)).0
}

pub(crate) fn parametric_backward<B: Backend>(
    x: FloatTensor<B>,
    p: FloatTensor<B>,
    grad: FloatTensor<B>,
    kernel: ParametricKernel,
) -> (FloatTensor<B>, FloatTensor<B>) {
    let (x, p, grad) = (
        TensorReal::<B>(x),
        TensorReal::<B>(p),
        TensorReal::<B>(grad),
    );
    let dx = grad.clone() * kernel.derivative_x(x.clone(), p.clone());
    let dp = grad * kernel.derivative_p(x, p);
    (dx.0, dp.0)
}
