//! Stacked linear layers collapse to one linear map: a deep Identity network equals the single
//! affine map its layers multiply out to (to float rounding), a ReLU network does not, and trained
//! on XOR the deep linear network is stuck at a linear classifier's accuracy.

use super::Outcome;
use nonlin_backend::Backend;
use nonlin_eval::collapse::{affine_collapse, trained_collapse};
use nonlin_train::{ExperimentConfig, TrainingConfig};

pub fn run(backend: &Backend) -> anyhow::Result<Outcome> {
    let affine = affine_collapse(10, 32, 2, 2, 2000, 7, backend)?;
    let mut xor = ExperimentConfig::default();
    xor.data.dataset = "xor".parse()?;
    xor.training = TrainingConfig::small_data();
    let trained = trained_collapse(&xor, 10, 32, backend)?;
    let report = format!(
        "10 hidden layers of 32 units, 2000 random inputs; max |f(x) - (xW + b)| relative to the output scale:\n\
         \x20 identity activations: {:.2e}  (float32 rounding is ~1e-7)\n\
         \x20 ReLU, same weights:   {:.2e}\n\
         trained on XOR (100 epochs), test accuracy:\n\
         \x20 logistic regression:  {:.4}\n\
         \x20 10-layer linear:      {:.4}\n\
         \x20 10-layer ReLU:        {:.4}",
        affine.identity_relative_error,
        affine.relu_relative_error,
        trained.logistic_regression,
        trained.deep_linear,
        trained.deep_relu
    );
    let holds = affine.identity_relative_error < 1e-5
        && affine.relu_relative_error > 1e-2
        && trained.deep_linear <= trained.logistic_regression + 0.12
        && trained.deep_linear < 0.65
        && trained.deep_relu >= 0.9;
    let verdict = format!(
        "the linear stack equals one affine map to {:.1e}; on XOR it scores {:.2} like logistic regression ({:.2}), ReLU {:.2}",
        affine.identity_relative_error,
        trained.deep_linear,
        trained.logistic_regression,
        trained.deep_relu
    );
    Ok(Outcome {
        report,
        holds,
        verdict,
    })
}
