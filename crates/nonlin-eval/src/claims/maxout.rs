//! Maxout units are learnable convex piecewise-linear functions: one unit with k pieces represents
//! ReLU (k = 2: max(x, 0)), |x| (k = 2: max(x, -x)) and a convex function of three pieces (k = 3)
//! exactly. Shown twice: with the weights set by hand (error 0), and learned by gradient descent
//! from random weights (maximum error on [-3, 3]).

use super::{Outcome, Result, floats};
use burn::module::Param;
use burn::nn::loss::{MseLoss, Reduction};
use burn::optim::{AdamConfig, GradientsParams};
use burn::tensor::{Device, Tensor, TensorData};
use nonlin_activations::{MaxoutLinear, MaxoutLinearConfig};
use nonlin_backend::Backend;

struct Target {
    name: &'static str,
    k: usize,
    /// `(slope, intercept)` of each piece: f(x) = max over pieces.
    pieces: &'static [(f32, f32)],
}

const TARGETS: [Target; 3] = [
    Target {
        name: "ReLU = max(x, 0)",
        k: 2,
        pieces: &[(1.0, 0.0), (0.0, 0.0)],
    },
    Target {
        name: "|x| = max(x, -x)",
        k: 2,
        pieces: &[(1.0, 0.0), (-1.0, 0.0)],
    },
    Target {
        name: "max(-2x-1, x/2, 3x-4)",
        k: 3,
        pieces: &[(-2.0, -1.0), (0.5, 0.0), (3.0, -4.0)],
    },
];

fn target(t: &Target, x: f32) -> f32 {
    t.pieces
        .iter()
        .map(|(a, b)| a * x + b)
        .fold(f32::MIN, f32::max)
}

fn max_error(layer: &MaxoutLinear, xs: &[f32], ys: &[f32], device: &Device) -> Result<f64> {
    let x = Tensor::<2>::from_data(TensorData::new(xs.to_vec(), [xs.len(), 1]), device);
    let out = floats(layer.forward(x));
    Ok(out
        .iter()
        .zip(ys)
        .map(|(a, b)| f64::from((a - b).abs()))
        .fold(0.0, f64::max))
}

pub fn run(backend: &Backend) -> Result<Outcome> {
    nonlin_train::train::with_backend_rng(|| -> Result<Outcome> {
        let xs: Vec<f32> = (0..=600).map(|i| -3.0 + i as f32 * 0.01).collect();
        let mut report = String::from(
            "target                      k   max |error|, weights by hand   learned (2000 Adam steps)\n",
        );
        let mut holds = true;
        let mut learned_errors = Vec::new();
        for t in &TARGETS {
            let ys: Vec<f32> = xs.iter().map(|&x| target(t, x)).collect();
            // by hand: piece j of the unit is slope_j · x + intercept_j
            let device = &backend.device;
            let mut exact = MaxoutLinearConfig::new(1, 1).with_k(t.k).init(device)?;
            let slopes: Vec<f32> = t.pieces.iter().map(|p| p.0).collect();
            let intercepts: Vec<f32> = t.pieces.iter().map(|p| p.1).collect();
            exact.pieces.weight =
                Param::from_tensor(Tensor::from_data(TensorData::new(slopes, [1, t.k]), device));
            exact.pieces.bias = Some(Param::from_tensor(Tensor::from_data(
                TensorData::new(intercepts, [t.k]),
                device,
            )));
            let exact_error = max_error(&exact, &xs, &ys, device)?;

            // learned: several random starts, as a maxout unit can start with pieces on the same side
            let autodiff = backend.autodiff();
            let x = Tensor::<2>::from_data(TensorData::new(xs.clone(), [xs.len(), 1]), &autodiff);
            let y = Tensor::<2>::from_data(TensorData::new(ys.clone(), [ys.len(), 1]), &autodiff);
            let mut best = f64::INFINITY;
            for seed in 0..3u64 {
                autodiff.seed(seed);
                let mut layer = MaxoutLinearConfig::new(1, 1).with_k(t.k).init(&autodiff)?;
                let mut optimizer = AdamConfig::new().init();
                for step in 0..2000 {
                    let loss = MseLoss::new().forward(
                        layer.forward(x.clone()),
                        y.clone(),
                        Reduction::Mean,
                    );
                    let grads = GradientsParams::from_grads(loss.backward(), &layer);
                    let lr = if step < 1500 { 0.05 } else { 0.005 };
                    layer = optimizer.step(lr, layer, grads);
                }
                best = best.min(max_error(&layer, &xs, &ys, &autodiff)?);
            }
            report.push_str(&format!(
                "  {:<26} {}   {:>12.2e}                   {:>10.2e}\n",
                t.name, t.k, exact_error, best
            ));
            holds &= exact_error == 0.0 && best < 0.02;
            learned_errors.push(best);
        }
        let verdict = format!(
            "one Maxout unit represents each target exactly (error 0) and learns it to within {:.1e}",
            learned_errors.iter().cloned().fold(0.0, f64::max)
        );
        Ok(Outcome {
            report,
            holds,
            verdict,
        })
    })
}
