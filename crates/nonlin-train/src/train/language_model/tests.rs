use super::*;
use crate::data::text::UnknownChars;
use crate::model::transformer::TransformerConfig;
use burn::module::Module;
use nonlin_backend::BackendKind;

fn flex() -> Backend {
    Backend::select(BackendKind::Flex).unwrap()
}

fn model(corpus: &TextCorpus, activation: &str, context: usize, backend: &Backend) -> Transformer {
    TransformerConfig::new(corpus.vocabulary.len())
        .with_context(context)
        .with_layers(2)
        .with_d_model(64)
        .with_heads(4)
        .with_d_ff(256)
        .with_activation(activation.parse().unwrap())
        .init(&backend.autodiff())
        .unwrap()
}

/// The language-model recipe with these epochs of these steps.
fn training(epochs: usize, steps_per_epoch: usize) -> TrainingConfig {
    TrainingConfig {
        epochs,
        steps_per_epoch: Some(steps_per_epoch),
        ..TrainingConfig::language_model()
    }
}

#[test]
fn the_schedule_warms_up_linearly_then_decays_by_a_cosine_to_the_minimum() {
    // 11 epochs of 10 steps, the first epoch warming up
    let t = TrainingConfig {
        warmup_epochs: 1,
        learning_rate: 1e-3,
        min_learning_rate: 1e-4,
        ..training(11, 10)
    };
    let close = |a: f64, b: f64| (a - b).abs() < 1e-12;
    assert!(close(t.learning_rate_at_step(0), 1e-4));
    assert!(close(t.learning_rate_at_step(4), 5e-4));
    assert!(close(t.learning_rate_at_step(9), 1e-3));
    assert!(close(t.learning_rate_at_step(10), 1e-3));
    // halfway through the decay (step 10 + 99/2), the mean of peak and minimum
    let mid = 0.5 * (t.learning_rate_at_step(59) + t.learning_rate_at_step(60));
    assert!((mid - 5.5e-4).abs() < 2e-6, "{mid}");
    assert!(close(t.learning_rate_at_step(109), 1e-4));
    let rates: Vec<f64> = (10..110).map(|s| t.learning_rate_at_step(s)).collect();
    assert!(
        rates.windows(2).all(|w| w[1] <= w[0]),
        "the decay never rises"
    );
    // a step schedule decays every step_every epochs of steps
    let step = TrainingConfig {
        schedule: crate::train::Schedule::Step,
        step_every: 2,
        warmup_epochs: 0,
        ..training(11, 10)
    };
    assert!(close(step.learning_rate_at_step(19), 1e-3));
    assert!(close(step.learning_rate_at_step(20), 1e-4));
}

#[test]
fn bad_settings_name_the_field() {
    for (settings, field) in [
        (training(20, 0), "steps_per_epoch = 0"),
        (training(1_000_000, 1 << 30), "at most 2^40"),
    ] {
        let err = settings.validate().unwrap_err().to_string();
        assert!(err.contains(field), "{err}");
    }
    // a context the validation part cannot fill is a data error before any step
    let corpus =
        TextCorpus::from_text("tiny", &"abcdefghij".repeat(20), UnknownChars::Error).unwrap();
    let backend = flex();
    let err = fit_language_model(
        model(&corpus, "gelu", 32, &backend),
        &corpus,
        &training(1, 1),
        1,
        &backend,
        |_, _| {},
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("validation part has 20 characters"), "{err}");
}

#[test]
fn a_short_training_run_beats_the_bigram_baseline_on_shakespeare() {
    // the add-one bigram model scores 2.48 nats per character on this split (data README); at
    // init every one of the 65 characters is about equally likely: ln 65 = 4.17
    let corpus = TextCorpus::shakespeare().unwrap();
    let backend = flex();
    // 300 steps: 10 epochs of 30, the first warming up
    let training = TrainingConfig {
        batch_size: 32,
        learning_rate: 3e-3,
        min_learning_rate: 3e-4,
        eval_windows: 256,
        ..training(10, 30)
    };
    let before = {
        let m = model(&corpus, "swiglu", 32, &backend);
        evaluate(
            &m.valid(),
            &corpus,
            TextSplit::Valid,
            256,
            64,
            &backend.device,
        )
        .0
    };
    assert!((before - 65f64.ln()).abs() < 0.2, "{before}");
    let mut seen = Vec::new();
    let history = with_seeded(1, &corpus, &backend, |m| {
        fit_language_model(m, &corpus, &training, 1, &backend, |_, e| {
            seen.push(e.epoch)
        })
    });
    let history = history.unwrap().1;
    assert_eq!(seen, (1..=10).collect::<Vec<_>>());
    let last = history.last().unwrap();
    eprintln!("{history:#?}");
    assert!(last.valid_loss < 2.48, "{last:?}");
    let bits = last.valid_bits_per_char.unwrap();
    assert!((bits - last.valid_loss / core::f64::consts::LN_2).abs() < 1e-12);
    // better than the 1-in-65 guess, and below the loss of the first interval
    assert!(last.valid_accuracy > 0.2, "{last:?}");
    assert!(last.valid_loss < history[0].valid_loss, "{history:?}");
    assert!(last.samples_per_second > 0.0 && last.seconds > 0.0);
    assert!(
        (last.learning_rate - 3e-4).abs() < 1e-12,
        "the last step's rate"
    );
}

/// Builds the SwiGLU model for `corpus` from the backend seeded with `seed` and hands it to
/// `train`.
fn with_seeded<T>(
    seed: u64,
    corpus: &TextCorpus,
    backend: &Backend,
    train: impl FnOnce(Transformer) -> T,
) -> T {
    crate::train::with_backend_rng(|| {
        backend.autodiff().seed(seed);
        train(model(corpus, "swiglu", 32, backend))
    })
}

#[test]
fn the_same_seed_gives_the_same_run() {
    let corpus = TextCorpus::shakespeare().unwrap();
    let backend = flex();
    let training = TrainingConfig {
        batch_size: 4,
        eval_windows: 8,
        ..training(2, 3)
    };
    let run = |seed| {
        with_seeded(seed, &corpus, &backend, |m| {
            fit_language_model(m, &corpus, &training, seed, &backend, |_, _| {})
                .unwrap()
                .1
        })
    };
    let losses = |h: Vec<EpochMetrics>| -> Vec<(f64, f64)> {
        h.iter().map(|e| (e.train_loss, e.valid_loss)).collect()
    };
    let (a, b, c) = (losses(run(5)), losses(run(5)), losses(run(6)));
    assert_eq!(a, b);
    assert_ne!(a, c);
}

#[test]
fn a_diverging_run_stops_with_the_interval_and_what_was_not_finite() {
    let corpus = TextCorpus::shakespeare().unwrap();
    let backend = flex();
    let training = TrainingConfig {
        batch_size: 4,
        learning_rate: 1e30,
        min_learning_rate: 1e30,
        warmup_epochs: 0,
        grad_clip: None,
        eval_windows: 4,
        ..training(4, 10)
    };
    let outcome = with_seeded(2, &corpus, &backend, |m| {
        fit_language_model(m, &corpus, &training, 2, &backend, |_, _| {})
    });
    match outcome {
        Err(TrainError::Diverged { epoch, what, .. }) => {
            assert!((1..=4).contains(&epoch), "{epoch}");
            assert!(what.contains("loss") || what.contains("NaN"), "{what}");
        }
        other => panic!("expected a divergence, got {:?}", other.map(|(_, h)| h)),
    }
}

/// The same weights and windows on every backend (ndarray, flex, and wgpu where an adapter
/// exists; CI requires it): the losses of a short run differ by float32 rounding only, as
/// `nonlin bench compare-backends` shows for the MLP.
#[test]
fn every_backend_trains_the_same_model_to_the_same_losses() {
    let corpus = TextCorpus::from_text(
        "sonnet",
        &"Shall I compare thee to a summer's day? Thou art more lovely and more temperate. "
            .repeat(40),
        UnknownChars::Error,
    )
    .unwrap();
    let initial = with_seeded(3, &corpus, &flex(), |m| m);
    // one epoch of two steps: lavapipe compiles a shader for every new op, which is most of the
    // time on wgpu
    let training = TrainingConfig {
        batch_size: 4,
        eval_windows: 4,
        ..training(1, 2)
    };
    let runs: Vec<(String, Vec<(f64, f64)>)> = nonlin_backend::test_backends()
        .into_iter()
        .map(|backend| {
            let model = initial.clone().fork(&backend.autodiff());
            let (_, history) =
                fit_language_model(model, &corpus, &training, 3, &backend, |_, _| {}).unwrap();
            let losses = history
                .iter()
                .map(|m| (m.train_loss, m.valid_loss))
                .collect();
            (backend.describe(), losses)
        })
        .collect();
    let (reference, expected) = &runs[0];
    for (backend, losses) in &runs[1..] {
        for ((a, b), (x, y)) in expected.iter().zip(losses) {
            assert!(
                (a - x).abs() < 1e-4 * a.abs() && (b - y).abs() < 1e-4 * b.abs(),
                "{reference} {expected:?} vs {backend} {losses:?}"
            );
        }
    }
    assert!(runs.len() >= 2);
}
