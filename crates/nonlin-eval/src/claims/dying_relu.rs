//! ReLU units can die: a high learning rate or a negative initial bias leaves units that output 0
//! for every input and so never get a gradient again. Leaky ReLU, a small positive initial bias and
//! a lower learning rate each prevent it. Dead units are counted on 256 training samples after
//! every epoch (MLP 64-64-64-10 on the digits).

use super::{Outcome, Result};
use crate::study::track;
use nonlin_backend::Backend;
use nonlin_train::ExperimentConfig;

struct Scenario {
    name: &'static str,
    activation: &'static str,
    learning_rate: f64,
    bias: Option<f64>,
}

pub fn run(backend: &Backend) -> Result<Outcome> {
    let scenarios = [
        Scenario {
            name: "ReLU, negative bias (-1)",
            activation: "relu",
            learning_rate: 1e-3,
            bias: Some(-1.0),
        },
        Scenario {
            name: "Leaky ReLU, negative bias (-1)",
            activation: "leaky_relu(0.01)",
            learning_rate: 1e-3,
            bias: Some(-1.0),
        },
        Scenario {
            name: "ReLU, high learning rate (0.1)",
            activation: "relu",
            learning_rate: 0.1,
            bias: None,
        },
        Scenario {
            name: "ReLU, low learning rate (1e-3)",
            activation: "relu",
            learning_rate: 1e-3,
            bias: None,
        },
        Scenario {
            name: "ReLU, small positive bias (0.01)",
            activation: "relu",
            learning_rate: 1e-3,
            bias: Some(0.01),
        },
    ];
    let mut report = String::from(
        "dead units (mean over 3 hidden layers) at init -> after 10 epochs; test accuracy\n",
    );
    let mut results = Vec::new();
    for s in &scenarios {
        let mut config = ExperimentConfig::default();
        config.model.hidden = vec![64, 64, 64];
        config.model.activation = s.activation.parse()?;
        config.model.bias_init = s.bias;
        config.training.epochs = 10;
        config.training.learning_rate = s.learning_rate;
        let tracked = track(&config, backend, 256, 1e-3)?;
        let dead = tracked.dead();
        let (first, last) = (dead[0], *dead.last().unwrap());
        report.push_str(&format!(
            "  {:<34} {:>5.1}% -> {:>5.1}%   test accuracy {:.4}\n",
            s.name,
            100.0 * first,
            100.0 * last,
            tracked.test_accuracy
        ));
        results.push((last, tracked.test_accuracy));
    }
    let [
        (neg_relu, neg_relu_acc),
        (neg_leaky, neg_leaky_acc),
        (high_lr, _),
        (low_lr, _),
        (pos_bias, _),
    ] = results[..]
    else {
        unreachable!("five scenarios")
    };
    // the claims, as comparisons: units die (nearly all with the negative bias, most with the high
    // learning rate) and each remedy leaves fewer dead units than the case it fixes
    let holds = neg_relu >= 0.5
        && neg_leaky == 0.0
        && neg_leaky_acc > neg_relu_acc
        && high_lr > low_lr + 0.3
        && pos_bias < low_lr;
    let verdict = format!(
        "a negative bias leaves {:.0}% of ReLU units dead (Leaky ReLU: 0%, and it learns: {:.2} vs {:.2}); a high learning rate {:.0}% (lower: {:.0}%); a small positive bias {:.0}%",
        100.0 * neg_relu,
        neg_leaky_acc,
        neg_relu_acc,
        100.0 * high_lr,
        100.0 * low_lr,
        100.0 * pos_bias
    );
    Ok(Outcome {
        report,
        holds,
        verdict,
    })
}
