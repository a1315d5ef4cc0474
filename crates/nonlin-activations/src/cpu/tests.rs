//! The CPU kernels against the composed path, and across instruction sets.

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
    use super::elementwise::{Chain, Value};
    use super::loops::*;
    use crate::activations::{
        elu::EluConfig, gelu::Gelu, gelu_tanh::GeluTanh, log_sigmoid::LogSigmoid, mish::Mish,
        quick_gelu::QuickGelu, sigmoid::Sigmoid, silu::Silu, softplus::SoftplusConfig, tanh::Tanh,
    };
    use crate::ops::Pointwise;
    use crate::registry::kernels::{PointwiseKernel, VisitPointwise};
    use std::mem::MaybeUninit;

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
                f: &Chain(f),
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
            let input =
                Tensor::<1>::from_data(TensorData::from(xs.as_slice()), &autodiff).require_grad();
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

/// The in-place backward (an upstream gradient the op alone holds, as `y · w` gives it) follows
/// each activation's own chain rule, as the fresh-buffer one does: an infinite upstream gradient
/// where `f'` is 0 gives 0, as PyTorch's `threshold_backward` and clamp backwards do, not
/// `∞ · 0 = NaN`.
#[test]
fn in_place_backward_selects_where_pytorch_selects() {
    let xs = [-2.0f32, -0.5, 0.5, 2.0];
    #[allow(deprecated)]
    let devices = [Device::flex(), Device::ndarray()];
    for device in devices {
        let autodiff = device.autodiff();
        for (spec, want) in [
            ("relu", [0.0, 0.0, f32::INFINITY, f32::INFINITY]),
            ("hardtanh", [0.0, f32::INFINITY, f32::INFINITY, 0.0]),
            ("relu6", [0.0, 0.0, f32::INFINITY, f32::INFINITY]),
        ] {
            let activation = spec
                .parse::<ActivationConfig>()
                .unwrap()
                .init(&autodiff)
                .unwrap();
            let input = Tensor::<1>::from_data(TensorData::from(xs), &autodiff).require_grad();
            let up = Tensor::<1>::from_data(TensorData::from([f32::INFINITY; 4]), &autodiff);
            let grads = (activation.forward(input.clone()) * up).sum().backward();
            assert_eq!(values(input.grad(&grads).unwrap()), want, "{spec}");
        }
    }
}
