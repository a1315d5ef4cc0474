//! The rule of thumb — ReLU first, then Leaky ReLU / Maxout / ELU, tanh over sigmoid, and in the
//! end trial and error — as a small sweep: seven activations × 3 seeds on the digits (MLP 64-128-10,
//! 30 epochs) and on 3-arm spirals (MLP 2-64-64-3, 100 epochs), ranked by mean test accuracy.

use super::{Outcome, Result};
use crate::study::train_on;
use nonlin_backend::Backend;
use nonlin_train::{ExperimentConfig, TrainingConfig};

/// The sweep's own default candidates.
const ACTIVATIONS: [&str; 7] = nonlin_train::sweep::SweepConfig::DEFAULT_ACTIVATIONS;

fn accuracy(config: &ExperimentConfig, backend: &Backend) -> Result<f64> {
    let splits = nonlin_train::data::load(&config.data, config.seed)?;
    Ok(
        train_on(&config.model, &splits, config, backend, |_, _| {})?
            .test_accuracy(&splits, backend),
    )
}

pub fn run(backend: &Backend) -> Result<Outcome> {
    let mut report = String::new();
    let mut holds = true;
    let mut lines = Vec::new();
    for dataset in ["digits", "spirals(arms=3)"] {
        let mut rows = Vec::new();
        for activation in ACTIVATIONS {
            let mut scores = Vec::new();
            for seed in 1..=3 {
                let mut config = ExperimentConfig {
                    seed,
                    ..Default::default()
                };
                config.data.dataset = dataset.parse()?;
                config.model.activation = activation.parse()?;
                if dataset != "digits" {
                    config.model.hidden = vec![64, 64];
                    config.training = TrainingConfig::small_data();
                }
                scores.push(accuracy(&config, backend)?);
            }
            let mean = scores.iter().sum::<f64>() / 3.0;
            let std = (scores.iter().map(|s| (s - mean).powi(2)).sum::<f64>() / 2.0).sqrt();
            rows.push((activation, mean, std));
        }
        rows.sort_by(|a, b| b.1.total_cmp(&a.1));
        report.push_str(&format!(
            "{dataset}: rank, activation, test accuracy mean ± std over 3 seeds\n"
        ));
        for (rank, (activation, mean, std)) in rows.iter().enumerate() {
            report.push_str(&format!(
                "  {:>2}. {activation:<12} {mean:.4} ± {std:.4}\n",
                rank + 1
            ));
        }
        let score = |name: &str| rows.iter().find(|r| r.0 == name).map(|r| r.1).unwrap();
        let best = rows[0].1;
        // the rule's claims, each with a margin of one typical seed-to-seed spread
        holds &= score("relu") >= best - 0.02 && score("tanh") >= score("sigmoid");
        lines.push(format!(
            "{dataset}: ReLU {:.3} vs best {:.3} ({}), tanh {:.3} vs sigmoid {:.3}",
            score("relu"),
            best,
            rows[0].0,
            score("tanh"),
            score("sigmoid")
        ));
    }
    let verdict = format!(
        "ReLU is within 0.02 of the best and tanh beats sigmoid on both — {}",
        lines.join("; ")
    );
    Ok(Outcome {
        report,
        holds,
        verdict,
    })
}
