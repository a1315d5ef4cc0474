//! GELU and its approximations: the exact x·Φ(x) (erf), the tanh approximation, and the sigmoid
//! approximation x·σ(1.702x) (QuickGELU). Maximum error against the exact GELU and where it occurs,
//! on [-8, 8] in steps of 0.001, and the forward time of each at 2^20 elements (median of 7).

use super::{Outcome, Result, floats};
use burn::tensor::{Distribution, Tensor, TensorData};
use nonlin_activations::ActivationConfig;
use nonlin_backend::Backend;
use std::time::Instant;

fn values(spec: &str, xs: &[f32], backend: &Backend) -> Result<Vec<f32>> {
    let activation = spec.parse::<ActivationConfig>()?.init(&backend.device)?;
    let x = Tensor::<1>::from_data(TensorData::new(xs.to_vec(), [xs.len()]), &backend.device);
    Ok(floats(activation.forward(x)))
}

fn median_seconds(spec: &str, backend: &Backend) -> Result<f64> {
    let activation = spec.parse::<ActivationConfig>()?.init(&backend.device)?;
    let x = Tensor::<1>::random([1 << 20], Distribution::Normal(0.0, 3.0), &backend.device);
    let mut times = Vec::new();
    for run in 0..8 {
        let started = Instant::now();
        // reading one number waits for the device, so the timing covers the whole pass
        let _: f32 = activation.forward(x.clone()).narrow(0, 0, 1).into_scalar();
        if run > 0 {
            times.push(started.elapsed().as_secs_f64()); // the first run warms up
        }
    }
    times.sort_by(f64::total_cmp);
    Ok(times[times.len() / 2])
}

pub fn run(backend: &Backend) -> Result<Outcome> {
    let xs: Vec<f32> = (0..=16000).map(|i| -8.0 + i as f32 * 0.001).collect();
    let exact = values("gelu", &xs, backend)?;
    let mut report = String::from(
        "approximation        max |error| vs erf GELU   at x      forward, 2^20 elements\n",
    );
    let mut errors = Vec::new();
    for (name, spec) in [
        ("erf (exact)", "gelu"),
        ("tanh", "gelu_tanh"),
        ("sigmoid (1.702x)", "quick_gelu"),
    ] {
        let approx = values(spec, &xs, backend)?;
        let (at, error) = approx
            .iter()
            .zip(&exact)
            .enumerate()
            .map(|(i, (a, e))| (i, f64::from((a - e).abs())))
            .fold(
                (0, 0.0),
                |best, cur| if cur.1 > best.1 { cur } else { best },
            );
        let seconds = median_seconds(spec, backend)?;
        report.push_str(&format!(
            "  {name:<18} {error:>12.2e}   {:>8.3}   {:>8.3} ms\n",
            xs[at],
            seconds * 1e3
        ));
        errors.push(error);
    }
    let holds = errors[0] == 0.0 && errors[1] < 1e-3 && errors[2] > 10.0 * errors[1];
    let verdict = format!(
        "the tanh approximation stays within {:.1e} of the exact GELU, the sigmoid one within {:.1e} ({:.0}× worse)",
        errors[1],
        errors[2],
        errors[2] / errors[1]
    );
    Ok(Outcome {
        report,
        holds,
        verdict,
    })
}
