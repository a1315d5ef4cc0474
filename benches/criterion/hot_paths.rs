//! Criterion benches of the hot paths, so that regressions show
//! (`cargo bench --manifest-path benches/criterion/Cargo.toml --bench hot_paths`):
//! activation forward and forward+backward at 2^16 and 2^20 float32 elements on the CPU backends
//! (against an element-wise copy through the same backend), and one training step of
//! MLP 784-512-512-10 at batch 128. For tables with ratios and PyTorch side by side, use
//! `nonlin bench`.

use burn::module::Module;
use burn::tensor::{Distribution, Tensor};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use nonlin_activations::ActivationConfig;
use nonlin_backend::{Backend, BackendKind};
use nonlin_eval::bench::training_models;
use std::hint::black_box;

const ACTIVATIONS: [&str; 6] = ["relu", "gelu", "gelu_tanh", "silu", "mish", "elu"];

fn cpu_backends() -> Vec<Backend> {
    [BackendKind::Flex, BackendKind::Ndarray]
        .into_iter()
        .map(|kind| Backend::select(kind).expect("CPU backends are always available"))
        .collect()
}

/// Reads one value back, which waits for the result.
fn sync(t: Tensor<1>) -> f32 {
    t.narrow(0, 0, 1).into_scalar()
}

fn activations(c: &mut Criterion) {
    for backend in cpu_backends() {
        for elements in [1 << 16, 1 << 20] {
            let mut group = c.benchmark_group(format!("{}/{elements}", backend.kind));
            group.throughput(Throughput::Elements(elements as u64));
            let device = backend.autodiff();
            let x =
                Tensor::<1>::random([elements], Distribution::Normal(0.0, 3.0), &backend.device);
            let xa = Tensor::<1>::from_data(x.clone().into_data(), &device);
            group.bench_function("copy/forward", |b| b.iter(|| sync(x.clone() * 1.0)));
            for spec in ACTIVATIONS {
                let config: ActivationConfig = spec.parse().expect("a valid spec");
                let activation = config.init(&device).expect("a valid config");
                let plain = activation.clone().valid();
                group.bench_function(BenchmarkId::new("forward", spec), |b| {
                    b.iter(|| sync(plain.forward(black_box(x.clone()))))
                });
                group.bench_function(BenchmarkId::new("forward_backward", spec), |b| {
                    b.iter(|| {
                        let input = xa.clone().require_grad();
                        let grads = activation.forward(input.clone()).sum().backward();
                        sync(input.grad(&grads).expect("an input gradient"))
                    })
                });
            }
            group.finish();
        }
    }
}

fn training_step(c: &mut Criterion) {
    let mut group = c.benchmark_group("train");
    group.sample_size(20);
    for backend in cpu_backends() {
        for spec in ["relu", "gelu"] {
            let model = &training_models(&spec.parse().expect("a valid spec"))[0];
            group.bench_function(
                BenchmarkId::new(format!("{}/mlp-784-512-512-10-b128", backend.kind), spec),
                |b| {
                    b.iter_custom(|iterations| {
                        let runs = nonlin_eval::bench::training(
                            &backend,
                            model,
                            &[128],
                            iterations as usize,
                        )
                        .expect("the model builds");
                        std::time::Duration::from_secs_f64(runs[0].step.median * iterations as f64)
                    })
                },
            );
        }
    }
    group.finish();
}

criterion_group!(benches, activations, training_step);
criterion_main!(benches);
