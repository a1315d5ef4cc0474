//! Classification runs: the models of [`crate::model::Model`] on the data sets of
//! [`crate::data`], one shuffled pass over the training split per epoch, accuracy beside the loss.

use super::{
    Diverged, EpochMetrics, ExperimentConfig, Task, TrainingConfig, first_non_finite_parameter,
    fit_epochs, seed_backend_for_epoch,
};
use crate::data::{self, Dataset, Splits};
use crate::error::TrainError;
use crate::model::Model;
use crate::rng::Rng;
use burn::module::Module;
use burn::nn::loss::CrossEntropyLossConfig;
use burn::optim::{GradientsParams, ModuleOptimizer};
use burn::tensor::{Device, Int, Tensor};
use nonlin_activations::keep_workers_awake;
use nonlin_backend::Backend;
use std::path::Path;
use std::time::Instant;

/// A classifier of `config.model` on the splits of `config.data`.
pub(super) struct Classification<'a> {
    config: &'a ExperimentConfig,
    splits: Splits,
    backend: &'a Backend,
}

impl<'a> Classification<'a> {
    /// Loads and splits the data.
    pub(super) fn new(
        config: &'a ExperimentConfig,
        backend: &'a Backend,
    ) -> Result<Self, TrainError> {
        Ok(Self {
            config,
            splits: data::load(&config.data, config.seed)?,
            backend,
        })
    }
}

impl Task for Classification<'_> {
    type Model = Model;

    fn init_model(&self, device: &Device) -> Result<Model, TrainError> {
        self.config.model.init_for(&self.splits.train, device)
    }

    fn run_epoch(
        &self,
        model: Model,
        optimizer: &mut ModuleOptimizer,
        epoch: usize,
        on_batch: &mut dyn FnMut(usize, usize),
    ) -> Result<(Model, EpochMetrics), Diverged> {
        run_epoch(
            model,
            optimizer,
            &self.splits,
            &self.config.training,
            self.config.seed,
            epoch,
            self.backend,
            on_batch,
        )
    }

    fn held_out(&self, model: &Model) -> (f64, f64) {
        loss_and_accuracy(
            model,
            &self.splits.test,
            self.config.training.batch_size,
            &self.backend.device,
        )
    }

    fn describe_model(&self) -> String {
        self.config.model.describe(
            self.splits.train.sample_len(),
            self.splits.train.num_classes,
        )
    }

    fn parameters(&self) -> Option<u128> {
        self.config.model.parameter_count(
            &self.splits.train.sample_shape,
            self.splits.train.num_classes,
        )
    }
}

/// Epoch `epoch` (0-based): the shuffle and the backend's generator (dropout, RReLU) restart from
/// the seed every epoch, which is what makes a resumed run identical to an uninterrupted one.
#[allow(clippy::too_many_arguments)]
fn run_epoch(
    model: Model,
    optimizer: &mut ModuleOptimizer,
    splits: &Splits,
    training: &TrainingConfig,
    seed: u64,
    epoch: usize,
    backend: &Backend,
    on_batch: &mut dyn FnMut(usize, usize),
) -> Result<(Model, EpochMetrics), Diverged> {
    let device = backend.autodiff();
    let learning_rate = training.learning_rate_at(epoch);
    let started = Instant::now();
    seed_backend_for_epoch(&device, seed, epoch);
    let mut order: Vec<usize> = (0..splits.train.len()).collect();
    Rng::for_stream(seed, &format!("shuffle-{epoch}")).shuffle(&mut order);
    let (model, (train_loss, train_accuracy)) = train_epoch(
        model,
        optimizer,
        &splits.train,
        &order,
        training.batch_size,
        learning_rate,
        &device,
        on_batch,
    );
    let train_seconds = started.elapsed().as_secs_f64();
    let diverged = |what: String| Diverged::new(what, learning_rate);
    if !train_loss.is_finite() {
        return Err(diverged(format!("the mean training loss is {train_loss}")));
    }
    if let Some(name) = first_non_finite_parameter(&model) {
        return Err(diverged(format!(
            "parameter {name} holds NaN or infinite values"
        )));
    }
    let (valid_loss, valid_accuracy) = loss_and_accuracy(
        &model.valid(),
        &splits.valid,
        training.batch_size,
        &backend.device,
    );
    if !valid_loss.is_finite() {
        return Err(diverged(format!(
            "the validation loss is {valid_loss} (are the validation features finite?)"
        )));
    }
    let metrics = EpochMetrics {
        epoch: epoch + 1,
        train_loss,
        train_accuracy,
        valid_loss,
        valid_accuracy,
        learning_rate,
        samples_per_second: splits.train.len() as f64 / train_seconds.max(1e-9),
        seconds: started.elapsed().as_secs_f64(),
        valid_bits_per_char: None,
    };
    Ok((model, metrics))
}

/// Trains `model` (built on `backend.autodiff()`) on in-memory `splits` for `training.epochs`
/// epochs, writing nothing: for studies that train many small models (linear collapse,
/// separability, diagnostics over training). `on_epoch` sees the model after every epoch.
pub fn fit(
    model: Model,
    splits: &Splits,
    training: &TrainingConfig,
    seed: u64,
    backend: &Backend,
    on_epoch: impl FnMut(&Model, &EpochMetrics),
) -> Result<(Model, Vec<EpochMetrics>), TrainError> {
    training.validate()?;
    fit_epochs(
        model,
        training,
        |model, optimizer, epoch| {
            run_epoch(
                model,
                optimizer,
                splits,
                training,
                seed,
                epoch,
                backend,
                &mut |_, _| {},
            )
        },
        on_epoch,
    )
}

/// One pass over `order`: returns the model and (mean loss, accuracy). Losses and hits are summed
/// on the device and read once, so the device is not synchronised per batch.
#[allow(clippy::too_many_arguments)]
fn train_epoch(
    mut model: Model,
    optimizer: &mut ModuleOptimizer,
    data: &Dataset,
    order: &[usize],
    batch_size: usize,
    learning_rate: f64,
    device: &Device,
    mut on_batch: impl FnMut(usize, usize),
) -> (Model, (f64, f64)) {
    let loss_fn = CrossEntropyLossConfig::new().init(device);
    let batches = order.len().div_ceil(batch_size);
    let mut loss_sum = Tensor::<1>::zeros([1], device);
    let mut hits = Tensor::<1, Int>::zeros([1], device);
    for (b, indices) in order.chunks(batch_size).enumerate() {
        // the model moves in and the updated one out (a clone would cost the in-place update)
        model = keep_workers_awake(device, || {
            let batch = data.batch(indices, device);
            let logits = model.forward(batch.x);
            hits = hits.clone() + correct(&logits, &batch.y);
            let loss = loss_fn.forward(logits, batch.y);
            loss_sum = loss_sum.clone() + loss.clone().detach() * indices.len() as f64;
            let grads = GradientsParams::from_grads(loss.backward(), &model);
            optimizer.step(learning_rate, model, grads)
        });
        on_batch(b + 1, batches);
    }
    let n = order.len() as f64;
    let loss = f64::from(loss_sum.into_scalar::<f32>()) / n;
    let accuracy = hits.into_scalar::<i64>() as f64 / n;
    (model, (loss, accuracy))
}

fn correct(logits: &Tensor<2>, targets: &Tensor<1, Int>) -> Tensor<1, Int> {
    let predicted: Tensor<1, Int> = logits.clone().detach().argmax(1).flatten(0, 1);
    predicted.equal(targets.clone()).int().sum()
}

/// Mean cross-entropy and accuracy of `model` (without autodiff) on `data`.
pub fn loss_and_accuracy(
    model: &Model,
    data: &Dataset,
    batch_size: usize,
    device: &Device,
) -> (f64, f64) {
    let loss_fn = CrossEntropyLossConfig::new().init(device);
    let indices: Vec<usize> = (0..data.len()).collect();
    let mut loss_sum = Tensor::<1>::zeros([1], device);
    let mut hits = Tensor::<1, Int>::zeros([1], device);
    for chunk in indices.chunks(batch_size.max(256)) {
        let batch = data.batch(chunk, device);
        let logits = model.forward(batch.x);
        hits = hits + correct(&logits, &batch.y);
        loss_sum = loss_sum + loss_fn.forward(logits, batch.y) * chunk.len() as f64;
    }
    let n = data.len().max(1) as f64;
    (
        f64::from(loss_sum.into_scalar::<f32>()) / n,
        hits.into_scalar::<i64>() as f64 / n,
    )
}

/// Builds the model of `config` for `splits` on `device` and loads the weights at `path`.
pub fn load_model(
    config: &ExperimentConfig,
    splits: &Splits,
    device: &Device,
    path: &Path,
) -> Result<Model, TrainError> {
    let model = config.model.init_for(&splits.train, device)?;
    model
        .try_load_file(path)
        .map_err(|e| TrainError::Checkpoint {
            path: path.to_path_buf(),
            reason: format!("{e}; is it a checkpoint of this model config?"),
        })
}
