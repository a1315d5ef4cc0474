//! Adam and AdamW whose update is one op per parameter ([`nonlin_activations::ops::optim`]: one
//! pass over the elements on flex and ndarray) instead of burn-optim's dozen tensor ops, with
//! burn-optim's formulas and its own state types ([`AdamState`], [`AdamWState`]): a checkpoint
//! written by either optimizer resumes in the other. Gradient clipping stays with Burn's
//! `ModuleOptimizer`, which clips before it calls the step.

use burn::optim::{
    AdamState, AdamWState, AdaptiveMomentumState, LearningRate, ModuleOptimizer, Optimizer,
    grad_clipping::GradientClippingConfig,
};
use burn::tensor::{Device, Tensor};
use nonlin_activations::ops::optim::{AdamUpdate, adam_update};

/// The hyper-parameters both share (burn-optim's defaults: β 0.9 and 0.999; nonlin sets ε to
/// PyTorch's 1e-8).
#[derive(Debug, Clone, Copy)]
pub struct FusedAdamConfig {
    pub beta_1: f32,
    pub beta_2: f32,
    pub epsilon: f32,
    /// Adam: L2 penalty added to the gradient; AdamW: decoupled decay.
    pub weight_decay: f32,
}

impl FusedAdamConfig {
    /// Adam (L2 weight decay), clipped as given.
    pub fn adam(self, clip: Option<GradientClippingConfig>) -> ModuleOptimizer {
        with_clipping(ModuleOptimizer::from(FusedAdam(self)), clip)
    }
    /// AdamW (decoupled weight decay), clipped as given.
    pub fn adamw(self, clip: Option<GradientClippingConfig>) -> ModuleOptimizer {
        with_clipping(ModuleOptimizer::from(FusedAdamW(self)), clip)
    }

    /// One step of `tensor` from the previous moments.
    fn step<const D: usize>(
        &self,
        decoupled: bool,
        lr: LearningRate,
        tensor: Tensor<D>,
        grad: Tensor<D>,
        previous: Option<AdaptiveMomentumState<D>>,
    ) -> (Tensor<D>, AdaptiveMomentumState<D>) {
        let (time, moments) = match previous {
            Some(state) => (state.time + 1, Some((state.moment_1, state.moment_2))),
            None => (1, None),
        };
        let update = AdamUpdate {
            learning_rate: lr,
            beta_1: self.beta_1,
            beta_2: self.beta_2,
            epsilon: self.epsilon,
            weight_decay: self.weight_decay,
            decoupled,
            time,
        };
        let (tensor, moment_1, moment_2) = adam_update(tensor, grad, moments, update);
        (tensor, AdaptiveMomentumState::new(time, moment_1, moment_2))
    }
}

fn with_clipping(optim: ModuleOptimizer, clip: Option<GradientClippingConfig>) -> ModuleOptimizer {
    match clip {
        Some(clip) => optim.with_grad_clipping(clip.init()),
        None => optim,
    }
}

/// One Burn optimizer over [`FusedAdamConfig::step`]: `$decoupled` chooses AdamW's decay, `$state`
/// is burn-optim's state type of the same optimizer.
macro_rules! fused_optimizer {
    ($(#[$doc:meta])* $name:ident, $state:ident, $decoupled:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone)]
        struct $name(FusedAdamConfig);

        impl Optimizer for $name {
            type State<const D: usize> = $state<D>;

            fn step<const D: usize>(
                &self,
                lr: LearningRate,
                tensor: Tensor<D>,
                grad: Tensor<D>,
                state: Option<Self::State<D>>,
            ) -> (Tensor<D>, Option<Self::State<D>>) {
                let previous = state.map(|s| s.momentum);
                let (tensor, momentum) = self.0.step($decoupled, lr, tensor, grad, previous);
                (tensor, Some($state::new(momentum)))
            }

            fn to_device<const D: usize>(
                mut state: Self::State<D>,
                device: &Device,
            ) -> Self::State<D> {
                state.momentum = state.momentum.to_device(device);
                state
            }
        }
    };
}

fused_optimizer!(
    /// Adam with an L2 penalty, one op per parameter.
    FusedAdam,
    AdamState,
    false
);
fused_optimizer!(
    /// AdamW, one op per parameter.
    FusedAdamW,
    AdamWState,
    true
);

#[cfg(test)]
// burn-ndarray is deprecated in Burn 0.22, but ndarray is one of the backends users ask for.
#[allow(deprecated)]
mod tests {
    use super::*;
    use burn::nn::{Linear, LinearConfig};
    use burn::optim::{AdamConfig, AdamWConfig, GradientsParams, decay::WeightDecayConfig};
    use burn::tensor::{FloatDType, TensorData};

    fn weights(model: &Linear) -> Vec<f64> {
        let mut all: Vec<f64> = model
            .weight
            .val()
            .cast(FloatDType::F64)
            .into_data()
            .try_to_vec()
            .unwrap();
        if let Some(b) = &model.bias {
            all.extend(
                b.val()
                    .cast(FloatDType::F64)
                    .into_data()
                    .try_to_vec::<f64>()
                    .unwrap(),
            );
        }
        all
    }

    fn train(
        mut optim: ModuleOptimizer,
        device: &Device,
        steps: usize,
        mut model: Linear,
    ) -> (Linear, ModuleOptimizer) {
        let x = Tensor::<2>::from_data(
            TensorData::new(
                (0..40).map(|i| ((i * 7 % 13) as f32 - 6.0) * 0.3).collect(),
                [8, 5],
            ),
            device,
        );
        for step in 0..steps {
            let loss = (model.forward(x.clone()) * (step as f64 + 1.0))
                .tanh()
                .sum();
            let grads = GradientsParams::from_grads(loss.backward(), &model);
            model = optim.step(1e-2, model, grads);
        }
        (model, optim)
    }

    fn close(a: &[f64], b: &[f64], what: &str) {
        assert_eq!(a.len(), b.len(), "{what}");
        for (i, (x, y)) in a.iter().zip(b).enumerate() {
            assert!(
                (x - y).abs() <= 2e-6 * (1.0 + y.abs()),
                "{what}[{i}]: {x} vs {y}"
            );
        }
    }

    /// Ten steps of the fused Adam and AdamW (with weight decay and clipping) against burn-optim's
    /// on flex and ndarray: the same weights; then a state saved by burn-optim's optimizer resumes
    /// in the fused one (and back) to the same weights as continuing in the original.
    #[test]
    fn matches_burns_adam_and_adamw_and_resumes_their_state() {
        // `load_record` materialises the state on `Device::default()` (wgpu, with that feature),
        // which registers wgpu's runtime with default settings; nonlin's probe must come first in
        // this process, or the cross-backend tests here find wgpu "already initialized"
        let _ = nonlin_backend::Backend::select(nonlin_backend::BackendKind::Wgpu);
        for device in [Device::flex(), Device::ndarray()] {
            let autodiff = device.clone().autodiff();
            let fused = FusedAdamConfig {
                beta_1: 0.9,
                beta_2: 0.999,
                epsilon: 1e-8,
                weight_decay: 0.1,
            };
            let clip = || Some(GradientClippingConfig::Norm(1.0));
            // each optimizer built by one closure: the comparison and both resumes use the same
            let ours = |decoupled: bool| {
                if decoupled {
                    fused.adamw(clip())
                } else {
                    fused.adam(clip())
                }
            };
            let burns = |decoupled: bool| {
                if decoupled {
                    AdamWConfig::new()
                        .with_epsilon(1e-8)
                        .with_weight_decay(0.1)
                        .with_grad_clipping(clip())
                        .init()
                } else {
                    AdamConfig::new()
                        .with_epsilon(1e-8)
                        .with_weight_decay(Some(WeightDecayConfig::new(0.1)))
                        .with_grad_clipping(clip())
                        .init()
                }
            };
            for (name, decoupled) in [("adam", false), ("adamw", true)] {
                let model = LinearConfig::new(5, 3).init(&autodiff);
                let (a, ours_trained) = train(ours(decoupled), &autodiff, 10, model.clone());
                let (b, burns_trained) = train(burns(decoupled), &autodiff, 10, model);
                close(
                    &weights(&a),
                    &weights(&b),
                    &format!("{device:?} {name} 10 steps"),
                );
                // burn-optim's state into the fused optimizer, and the fused one's into burn-optim
                let cross_1 = ours(decoupled).load_record(burns_trained.to_record());
                let (c, _) = train(cross_1, &autodiff, 3, b.clone());
                let (d, _) = train(burns_trained, &autodiff, 3, b.clone());
                close(
                    &weights(&c),
                    &weights(&d),
                    &format!("{device:?} {name} resumed in fused"),
                );
                let cross_2 = burns(decoupled).load_record(ours_trained.to_record());
                let (e, _) = train(cross_2, &autodiff, 3, a.clone());
                let (f, _) = train(ours_trained, &autodiff, 3, a);
                close(
                    &weights(&e),
                    &weights(&f),
                    &format!("{device:?} {name} resumed in Burn's"),
                );
                // the steps moved the weights: the comparison is not of untouched values
                assert!(
                    weights(&c) != weights(&b),
                    "{name}: the steps changed nothing"
                );
            }
        }
    }
}
