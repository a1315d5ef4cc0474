//! Adam's and AdamW's parameter update as one op: from the parameter, its gradient and the two
//! moments, the new parameter and moments, with burn-optim 0.22.1's formulas (float32 bias
//! corrections, `ε` inside the square root's sum as Burn places it). On flex and ndarray (with their
//! features) it is one pass over the elements (`crate::cpu`'s Adam kernel, as PyTorch's fused
//! Adam); elsewhere Burn's tensor ops, in burn-optim's order.

// burn-ndarray is deprecated in Burn 0.22, but ndarray is one of the backends users ask for.
#![allow(deprecated)]

use burn::tensor::Tensor;
#[cfg(cpu_kernels)]
use {burn::backend::Dispatch, extension::AdamBackend};

/// One Adam or AdamW step's scalars.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AdamUpdate {
    /// The learning rate of this step.
    pub learning_rate: f64,
    /// First moment's decay (Burn's and PyTorch's default 0.9).
    pub beta_1: f32,
    /// Second moment's decay (default 0.999).
    pub beta_2: f32,
    /// Added to the square root of the second moment.
    pub epsilon: f32,
    /// Adam: the L2 penalty added to the gradient (`g + λ·θ`); AdamW: the decoupled decay
    /// (`θ · (1 − lr·λ)`). 0 for none.
    pub weight_decay: f32,
    /// AdamW (decoupled weight decay, bias-corrected moments) rather than Adam.
    pub decoupled: bool,
    /// The step's number, from 1: the bias corrections `1 − βᵗ`.
    pub time: usize,
}

/// The op, where the crate has CPU kernels (features `flex`, `ndarray`).
#[cfg(cpu_kernels)]
pub(crate) mod extension {
    use super::AdamUpdate;
    use burn::backend::autodiff::{Autodiff, checkpoint::strategy::CheckpointStrategy};
    use burn::backend::{Backend, backend_extension, tensor::FloatTensor};

    /// The update, routed by Burn's dispatch to flex, ndarray and their autodiff wrappers (where it
    /// runs on the inner values: an optimizer step is not differentiated).
    #[backend_extension(Flex: cfg(feature = "flex"), NdArray: cfg(feature = "ndarray"), Autodiff)]
    pub trait AdamBackend: Backend {
        /// `(θ, m, v)` after the step, from the first step's zero moments.
        fn adam_first(
            param: FloatTensor<Self>,
            grad: FloatTensor<Self>,
            update: AdamUpdate,
        ) -> (FloatTensor<Self>, FloatTensor<Self>, FloatTensor<Self>);

        /// `(θ, m, v)` after the step.
        fn adam_next(
            param: FloatTensor<Self>,
            grad: FloatTensor<Self>,
            moment_1: FloatTensor<Self>,
            moment_2: FloatTensor<Self>,
            update: AdamUpdate,
        ) -> (FloatTensor<Self>, FloatTensor<Self>, FloatTensor<Self>);
    }

    type Three<B> = (FloatTensor<B>, FloatTensor<B>, FloatTensor<B>);

    fn untracked<B: Backend, C: CheckpointStrategy>((p, m, v): Three<B>) -> Three<Autodiff<B, C>> {
        (
            FloatTensor::<Autodiff<B, C>>::new(p),
            FloatTensor::<Autodiff<B, C>>::new(m),
            FloatTensor::<Autodiff<B, C>>::new(v),
        )
    }

    /// The inner backend's tensor (the step is not recorded).
    fn inner<B: Backend, C: CheckpointStrategy>(x: FloatTensor<Autodiff<B, C>>) -> FloatTensor<B> {
        x.into_parts().0
    }

    impl<B: AdamBackend, C: CheckpointStrategy> AdamBackend for Autodiff<B, C> {
        fn adam_first(
            param: FloatTensor<Self>,
            grad: FloatTensor<Self>,
            update: AdamUpdate,
        ) -> Three<Self> {
            untracked::<B, C>(B::adam_first(
                inner::<B, C>(param),
                inner::<B, C>(grad),
                update,
            ))
        }

        fn adam_next(
            param: FloatTensor<Self>,
            grad: FloatTensor<Self>,
            moment_1: FloatTensor<Self>,
            moment_2: FloatTensor<Self>,
            update: AdamUpdate,
        ) -> Three<Self> {
            untracked::<B, C>(B::adam_next(
                inner::<B, C>(param),
                inner::<B, C>(grad),
                inner::<B, C>(moment_1),
                inner::<B, C>(moment_2),
                update,
            ))
        }
    }
}

/// Adam's or AdamW's update of one parameter: `(θ, m, v)` after the step, given the parameter,
/// its gradient and the moments of the previous step (`None` on the first, where they are zeros).
/// burn-optim 0.22.1's formulas, with `cᵢ = 1 − βᵢᵗ`:
///
/// - Adam: `g ← g + λθ`; `m ← β₁m + (1−β₁)g`; `v ← β₂v + (1−β₂)g²`;
///   `θ ← θ − lr · m·(√c₂/c₁) / (√v + ε√c₂)`;
/// - AdamW: the same moments of `g`; `θ ← θ·(1 − lr·λ) − lr · (m/c₁) / (√(v/c₂) + ε)`.
///
/// On flex and ndarray one pass over the elements; elsewhere Burn's tensor ops.
///
/// ```
/// use burn::tensor::{Device, Tensor};
/// use nonlin_activations::ops::optim::{adam_update, AdamUpdate};
/// let device = Device::default();
/// let param = Tensor::<1>::from_floats([1.0, -1.0], &device);
/// let grad = Tensor::<1>::from_floats([0.5, -2.0], &device);
/// let step = AdamUpdate {
///     learning_rate: 0.1, beta_1: 0.9, beta_2: 0.999, epsilon: 1e-8,
///     weight_decay: 0.0, decoupled: false, time: 1,
/// };
/// let (param, _, _) = adam_update(param, grad, None, step);
/// // the first step moves every element by the learning rate, against its gradient's sign
/// let p: Vec<f32> = param.into_data().to_vec().unwrap();
/// assert!((p[0] - 0.9).abs() < 1e-6 && (p[1] + 0.9).abs() < 1e-6);
/// ```
pub fn adam_update<const D: usize>(
    param: Tensor<D>,
    grad: Tensor<D>,
    moments: Option<(Tensor<D>, Tensor<D>)>,
    update: AdamUpdate,
) -> (Tensor<D>, Tensor<D>, Tensor<D>) {
    #[cfg(cpu_kernels)]
    if crate::ops::backends::has_cpu_kernels(&param.device()) {
        let (p, m, v) = match moments {
            None => <Dispatch as AdamBackend>::adam_first(
                param.into_dispatch(),
                grad.into_dispatch(),
                update,
            ),
            Some((m, v)) => <Dispatch as AdamBackend>::adam_next(
                param.into_dispatch(),
                grad.into_dispatch(),
                m.into_dispatch(),
                v.into_dispatch(),
                update,
            ),
        };
        return (
            Tensor::from_dispatch(p),
            Tensor::from_dispatch(m),
            Tensor::from_dispatch(v),
        );
    }
    composed(param, grad, moments, update)
}

/// The same from Burn's tensor ops, in burn-optim's order (the path on other backends, and the
/// reference the kernel is tested against).
pub(crate) fn composed<const D: usize>(
    param: Tensor<D>,
    grad: Tensor<D>,
    moments: Option<(Tensor<D>, Tensor<D>)>,
    update: AdamUpdate,
) -> (Tensor<D>, Tensor<D>, Tensor<D>) {
    let AdamUpdate {
        learning_rate: lr,
        beta_1,
        beta_2,
        epsilon,
        weight_decay,
        decoupled,
        time,
    } = update;
    let grad = if !decoupled && weight_decay != 0.0 {
        param.clone().mul_scalar(weight_decay).add(grad)
    } else {
        grad
    };
    let (m, v) = match moments {
        Some((m, v)) => (
            m.mul_scalar(beta_1)
                .add(grad.clone().mul_scalar(1.0 - beta_1)),
            v.mul_scalar(beta_2)
                .add(grad.square().mul_scalar(1.0 - beta_2)),
        ),
        None => (
            grad.clone().mul_scalar(1.0 - beta_1),
            grad.square().mul_scalar(1.0 - beta_2),
        ),
    };
    let time = time as i32;
    let (c1, c2) = (1.0 - beta_1.powi(time), 1.0 - beta_2.powi(time));
    let param = if decoupled {
        let step = m
            .clone()
            .div_scalar(c1)
            .div(v.clone().div_scalar(c2).sqrt().add_scalar(epsilon));
        let decay = lr * f64::from(weight_decay);
        let kept = if decay == 0.0 {
            param
        } else {
            param.mul_scalar(1.0 - decay)
        };
        kept - step.mul_scalar(lr)
    } else {
        let root = c2.sqrt();
        let step = m
            .clone()
            .mul_scalar(root / c1)
            .div(v.clone().sqrt().add_scalar(epsilon * root));
        param - step.mul_scalar(lr)
    };
    (param, m, v)
}
