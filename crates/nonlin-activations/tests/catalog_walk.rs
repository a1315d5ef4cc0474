//! Every catalog entry end to end: it parses from its canonical spec, from each alias and from
//! PyTorch-style spellings, prints back to an equal config, round-trips through serde (JSON and
//! TOML, as a config and as a spec string), builds on every backend, runs forward and backward
//! there with finite values and gradients that agree across backends, and survives a saved record
//! in both of burn-store's formats (burnpack and safetensors) with identical outputs.
//!
//! A second test saves a model built from the learnable modules (PReLU, Swish-β, Snake, a Maxout
//! layer, a GLU feed-forward block) and checks its parameter names, which the crate README lists.
//!
//! (Over 500 lines: one walk over the catalog, with the per-backend and per-format helpers it needs.)

use burn::module::{Module, ModuleMapper, Param};
use burn::store::{BurnpackStore, ModuleSnapshot, ModuleStore, SafetensorsStore};
use burn::tensor::{Device, Tensor, TensorData};
use nonlin_activations::{
    Activation, ActivationConfig, ActivationError, AnyActivation, CATALOG, CatalogEntry,
    GluFeedForward, GluFeedForwardConfig, GluVariant, MaxoutLinear, MaxoutLinearConfig, PRelu,
    PReluConfig, Snake, SnakeConfig, Swish, SwishConfig, spec_serde,
};
use nonlin_backend::{BackendKind, test_backends};
use serde::{Deserialize, Serialize};

/// Width of the split dimension in the forward checks: divisible by 2 (GLU) and 3 (maxout(k=3)).
const WIDTH: usize = 12;

/// The spec each entry is walked with: its bare name, and one with every parameter set away from
/// its default for entries that have parameters (so printing has something to print).
fn specs(entry: &CatalogEntry) -> Vec<String> {
    let varied = match entry.name {
        "leaky_relu" => "leaky_relu(0.2)",
        "prelu" => "prelu(num_parameters=12, alpha=0.1)",
        "rrelu" => "rrelu(lower=0.1, upper=0.2)",
        "elu" => "elu(alpha=0.5)",
        "celu" => "celu(alpha=2)",
        "swish" => "swish(beta=learnable(1.5), num_parameters=12)",
        "softplus" => "softplus(beta=2, threshold=10)",
        "hard_sigmoid" => "hard_sigmoid(lower=-2, upper=2)",
        "hardtanh" => "hardtanh(min_val=-2, max_val=3)",
        "threshold" => "threshold(0.5, -1)",
        "hardshrink" => "hardshrink(0.25)",
        "softshrink" => "softshrink(0.25)",
        "squareplus" => "squareplus(b=2)",
        "snake" => "snake(alpha=0.5, num_parameters=12)",
        "maxout" => "maxout(k=3)",
        "glu" => "glu(gate=leaky_relu(0.2))",
        "geglu" | "swiglu" | "reglu" | "bilinear" => "",
        _ => {
            assert!(
                entry.params.is_empty(),
                "{} has parameters: give it a varied spec here",
                entry.name
            );
            ""
        }
    };
    let mut specs = Vec::new();
    // threshold has no defaults, as in PyTorch: its bare name is an error (checked below)
    if entry.name != "threshold" {
        specs.push(entry.name.to_string());
    }
    if !varied.is_empty() {
        specs.push(varied.to_string());
    }
    specs
}

/// The names an entry answers to besides its canonical one: aliases, PyTorch's class-name
/// spelling (`LeakyReLU` style: upper case, no underscores), kebab case.
fn spellings(entry: &CatalogEntry) -> Vec<String> {
    let mut names: Vec<String> = entry.aliases.iter().map(|a| a.to_string()).collect();
    names.push(entry.name.to_uppercase().replace('_', ""));
    names.push(entry.name.replace('_', "-"));
    names
}

#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct AsConfig {
    activation: ActivationConfig,
}

#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct AsSpec {
    #[serde(with = "spec_serde")]
    activation: ActivationConfig,
}

fn serde_round_trips(config: &ActivationConfig) -> Result<(), String> {
    let json = serde_json::to_string(config).map_err(|e| format!("to JSON: {e}"))?;
    let back: ActivationConfig =
        serde_json::from_str(&json).map_err(|e| format!("from JSON {json}: {e}"))?;
    if &back != config {
        return Err(format!("JSON {json} came back as {back:?}"));
    }
    let as_config = AsConfig {
        activation: config.clone(),
    };
    let toml_text = toml::to_string(&as_config).map_err(|e| format!("to TOML: {e}"))?;
    let back: AsConfig =
        toml::from_str(&toml_text).map_err(|e| format!("from TOML {toml_text:?}: {e}"))?;
    if back != as_config {
        return Err(format!("TOML {toml_text:?} came back as {back:?}"));
    }
    let as_spec = AsSpec {
        activation: config.clone(),
    };
    let toml_text = toml::to_string(&as_spec).map_err(|e| format!("spec to TOML: {e}"))?;
    let json = serde_json::to_string(&as_spec).map_err(|e| format!("spec to JSON: {e}"))?;
    let from_toml: AsSpec =
        toml::from_str(&toml_text).map_err(|e| format!("spec from TOML {toml_text:?}: {e}"))?;
    let from_json: AsSpec =
        serde_json::from_str(&json).map_err(|e| format!("spec from JSON {json}: {e}"))?;
    if from_toml != as_spec || from_json != as_spec {
        return Err(format!(
            "spec string {toml_text:?} / {json} did not come back equal"
        ));
    }
    Ok(())
}

fn to_vec<const D: usize>(t: Tensor<D>) -> Vec<f32> {
    t.into_data().convert::<f32>().try_into_vec().unwrap()
}

/// A `[3, WIDTH]` input spread over [-3, 3], off the kinks at 0 and ±0.5.
fn input(device: &Device) -> Tensor<2> {
    let values: Vec<f32> = (0..3 * WIDTH)
        .map(|i| -3.0 + 6.0 * (i as f32 + 0.37) / (3 * WIDTH) as f32)
        .collect();
    Tensor::from_data(TensorData::new(values, [3, WIDTH]), device)
}

/// Output values, input gradient, and every parameter gradient concatenated.
type Pass = (Vec<f32>, Vec<f32>, Vec<f32>);

/// Forward and backward of `config` on `device`.
fn forward_backward(config: &ActivationConfig, device: &Device) -> Result<Pass, String> {
    let device = device.clone().autodiff();
    let activation = config.init_any(&device).map_err(|e| format!("init: {e}"))?;
    let x = input(&device).require_grad();
    let y = match &activation {
        // RReLU draws its slopes in training; its evaluation mode is deterministic
        AnyActivation::RRelu(m) => m.forward_eval(x.clone()),
        other => other
            .try_forward(x.clone())
            .map_err(|e| format!("forward: {e}"))?,
    };
    let expected = [3, config.output_width(WIDTH).map_err(|e| e.to_string())?];
    if y.dims() != expected {
        return Err(format!(
            "output shape {:?}, expected {expected:?}",
            y.dims()
        ));
    }
    // a non-uniform upstream gradient, so a wrong element of the backward shows
    let upstream = input(&device).narrow(1, 0, expected[1]).cos();
    let grads = (y.clone() * upstream).sum().backward();
    let dx = x.grad(&grads).ok_or("no input gradient")?;
    let mut dparams = Vec::new();
    for param in learnable(&activation) {
        let grad = param
            .grad(&grads)
            .ok_or("a learnable parameter got no gradient")?;
        dparams.extend(to_vec(grad));
    }
    Ok((to_vec(y), to_vec(dx), dparams))
}

fn learnable(activation: &AnyActivation) -> Vec<Tensor<1>> {
    match activation {
        AnyActivation::PRelu(m) => vec![m.weight.val()],
        AnyActivation::Snake(m) => vec![m.alpha.val()],
        AnyActivation::Swish(m) => m.beta.iter().map(|b| b.val()).collect(),
        _ => vec![],
    }
}

/// Moves every float parameter away from its initial value, so a record that failed to load
/// would show in the outputs.
struct Shift;

impl ModuleMapper for Shift {
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        param.map(|t| t * 0.75 + 0.375)
    }
}

/// Loads `store` into a fresh module; anything missing, unused or in error fails.
fn load_all<M: ModuleSnapshot, S: ModuleStore>(
    format: &str,
    mut module: M,
    mut store: S,
) -> Result<M, String> {
    let result = module
        .load_from(&mut store)
        .map_err(|e| format!("{format} load: {e}"))?;
    if !result.errors.is_empty() || !result.missing.is_empty() || !result.unused.is_empty() {
        return Err(format!("{format} load: {result:?}"));
    }
    Ok(module)
}

/// Saves `module` through both burn-store formats (in memory) and loads each into `fresh()`.
fn through_records<M: Module + ModuleSnapshot + Clone>(
    module: &M,
    fresh: impl Fn() -> M,
) -> Result<Vec<(&'static str, M)>, String> {
    let fail = |what: &str, e: &dyn std::fmt::Display| format!("{what}: {e}");
    let mut burnpack = BurnpackStore::from_bytes(None);
    module
        .save_into(&mut burnpack)
        .map_err(|e| fail("burnpack save", &e))?;
    let bytes = burnpack.get_bytes().map_err(|e| fail("burnpack", &e))?;
    let from_burnpack = load_all("burnpack", fresh(), BurnpackStore::from_bytes(Some(bytes)))?;

    let mut safetensors = SafetensorsStore::from_bytes(None);
    module
        .save_into(&mut safetensors)
        .map_err(|e| fail("safetensors save", &e))?;
    let bytes = safetensors
        .get_bytes()
        .map_err(|e| fail("safetensors", &e))?;
    let store = SafetensorsStore::from_bytes(Some(bytes));
    let from_safetensors = load_all("safetensors", fresh(), store)?;
    Ok(vec![
        ("burnpack", from_burnpack),
        ("safetensors", from_safetensors),
    ])
}

fn record_round_trips(config: &ActivationConfig, device: &Device) -> Result<(), String> {
    let fresh = || config.init_any(device).expect("built above");
    let module = fresh().map(&mut Shift);
    let forward = |m: &AnyActivation| match m {
        AnyActivation::RRelu(m) => m.forward_eval(input(device)),
        other => other.try_forward(input(device)).expect("checked above"),
    };
    let want = to_vec(forward(&module));
    for (format, loaded) in through_records(&module, fresh)? {
        if to_vec(forward(&loaded)) != want {
            return Err(format!("{format} record: outputs differ after loading"));
        }
    }
    Ok(())
}

/// `|a − b| ≤ 1e-5 · max(1, |a|, |b|)` element-wise.
fn close(a: &[f32], b: &[f32]) -> bool {
    a.len() == b.len()
        && a.iter()
            .zip(b)
            .all(|(a, b)| (a - b).abs() <= 1e-5 * a.abs().max(b.abs()).max(1.0))
}

#[test]
fn every_catalog_entry_end_to_end() {
    let backends = test_backends();
    let mut failures = Vec::new();
    let mut fail = |spec: &str, what: String| failures.push(format!("{spec}: {what}"));
    let mut walked = 0;
    for entry in CATALOG {
        if entry.name == "threshold" && "threshold".parse::<ActivationConfig>().is_ok() {
            fail(
                "threshold",
                "parses without its two required arguments".into(),
            );
        }
        for spec in specs(entry) {
            walked += 1;
            let config: ActivationConfig = match spec.parse() {
                Ok(config) => config,
                Err(e) => {
                    fail(&spec, format!("does not parse: {e}"));
                    continue;
                }
            };
            if config.name() != entry.name {
                fail(&spec, format!("parsed as {}", config.name()));
            }
            match config.spec().parse::<ActivationConfig>() {
                Ok(back) if back == config => {}
                other => fail(
                    &spec,
                    format!("printed {:?}, which parses as {other:?}", config.spec()),
                ),
            }
            // the arguments after the name, so every spelling is tried with the same ones
            let arguments = &spec[entry.name.len()..];
            for name in spellings(entry) {
                match format!("{name}{arguments}").parse::<ActivationConfig>() {
                    Ok(other) if other == config => {}
                    other => fail(
                        &spec,
                        format!("spelled {name}{arguments} it gives {other:?}"),
                    ),
                }
            }
            if let Err(e) = serde_round_trips(&config) {
                fail(&spec, e);
            }
            let mut reference: Option<(BackendKind, Pass)> = None;
            for backend in &backends {
                let kind = backend.kind;
                let (y, dx, dp) = match forward_backward(&config, &backend.device) {
                    Ok(result) => result,
                    Err(e) => {
                        fail(&spec, format!("[{kind}] {e}"));
                        continue;
                    }
                };
                if !y.iter().chain(&dx).chain(&dp).all(|v| v.is_finite()) {
                    fail(&spec, format!("[{kind}] a value or gradient is not finite"));
                }
                if dx.iter().all(|&g| g == 0.0) {
                    fail(
                        &spec,
                        format!("[{kind}] the input gradient is zero everywhere"),
                    );
                }
                match &reference {
                    None => reference = Some((kind, (y, dx, dp))),
                    Some((first, (y0, dx0, dp0))) => {
                        for (what, ours, theirs) in [
                            ("values", &y, y0),
                            ("input gradients", &dx, dx0),
                            ("parameter gradients", &dp, dp0),
                        ] {
                            if !close(ours, theirs) {
                                fail(&spec, format!("{what} on {kind} differ from {first}"));
                            }
                        }
                    }
                }
                if let Err(e) = record_round_trips(&config, &backend.device) {
                    fail(&spec, format!("[{kind}] {e}"));
                }
            }
        }
    }
    assert!(walked > CATALOG.len(), "walked {walked} specs");
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// `Activation` holds the element-wise entries, whose `forward` cannot fail, and `init` refuses the
/// ones that change the width or have one parameter per channel with a typed error; `AnyActivation`
/// holds every entry, agrees with `Activation` on the element-wise ones, and its `try_forward`
/// turns a width that does not divide or channels that do not match into a typed error.
#[test]
fn element_wise_entries_are_activations_and_the_others_are_refused() {
    let device = Device::flex();
    let x = input(&device);
    for entry in CATALOG {
        for spec in specs(entry) {
            let config: ActivationConfig = spec.parse().unwrap();
            let any = config.init_any(&device).unwrap();
            match config.init(&device) {
                Ok(activation) => {
                    assert_eq!(config.width_factor(), 1, "{spec} changes the width");
                    if matches!(activation, Activation::RRelu(_)) {
                        continue; // random slopes in training
                    }
                    let y = activation.forward(x.clone());
                    assert_eq!(y.dims(), x.dims(), "{spec}");
                    // any shape: an `Activation` built by `init` has no shape to refuse
                    let (line, cube) = (
                        Tensor::<1>::zeros([5], &device),
                        Tensor::<3>::zeros([2, 3, 4], &device),
                    );
                    assert_eq!(activation.forward(line).dims(), [5], "{spec}");
                    assert!(activation.try_forward(cube).is_ok(), "{spec}");
                    assert_eq!(
                        to_vec(y.clone()),
                        to_vec(activation.try_forward(x.clone()).unwrap()),
                        "{spec}"
                    );
                    assert_eq!(
                        to_vec(y),
                        to_vec(any.try_forward(x.clone()).unwrap()),
                        "{spec}"
                    );
                }
                Err(ActivationError::ChangesWidth { spec: named }) => {
                    assert!(
                        config.width_factor() > 1,
                        "{spec} refused but keeps the width"
                    );
                    assert_eq!(named, config.spec());
                    // and the typed path says why a width does not divide, instead of panicking
                    let odd = Tensor::<2>::zeros([2, 7], &device);
                    assert!(any.try_forward(odd).is_err(), "{spec} on width 7");
                }
                Err(ActivationError::PerChannel { spec: named }) => {
                    assert!(
                        config.channel_parameters() > 1,
                        "{spec} refused as per-channel"
                    );
                    assert_eq!(named, config.spec());
                    // the typed path says why the channels do not match, instead of panicking
                    let other = Tensor::<2>::zeros([2, config.channel_parameters() + 1], &device);
                    let err = any.try_forward(other).unwrap_err();
                    assert!(
                        matches!(err, ActivationError::ChannelMismatch { .. }),
                        "{spec}: {err}"
                    );
                    assert!(
                        any.try_forward(x.clone()).is_ok(),
                        "{spec} on its own channels"
                    );
                    // the same module put into an `Activation` by hand: `try_forward` still
                    // says so with the typed error
                    let by_hand = any.clone().into_elementwise().expect("element-wise");
                    let other = Tensor::<2>::zeros([2, config.channel_parameters() + 1], &device);
                    assert!(
                        matches!(
                            by_hand.try_forward(other),
                            Err(ActivationError::ChannelMismatch { .. })
                        ),
                        "{spec} built by hand"
                    );
                }
                Err(e) => panic!("{spec}: {e}"),
            }
        }
    }
}

/// What a user's model looks like when it holds the learnable modules.
#[derive(Module, Debug)]
struct Learnable {
    prelu: PRelu,
    swish: Swish,
    snake: Snake,
    maxout: MaxoutLinear,
    feed_forward: GluFeedForward,
    activation: Activation,
}

impl Learnable {
    fn new(device: &Device) -> Learnable {
        Learnable {
            prelu: PReluConfig::new()
                .with_num_parameters(8)
                .init(device)
                .unwrap(),
            swish: SwishConfig::new()
                .with_learnable(true)
                .with_num_parameters(8)
                .init(device)
                .unwrap(),
            snake: SnakeConfig::new()
                .with_num_parameters(8)
                .init(device)
                .unwrap(),
            maxout: MaxoutLinearConfig::new(8, 8)
                .with_k(3)
                .init(device)
                .unwrap(),
            feed_forward: GluFeedForwardConfig::new(8, 6, GluVariant::Swiglu)
                .init(device)
                .unwrap(),
            activation: "prelu"
                .parse::<ActivationConfig>()
                .unwrap()
                .init(device)
                .unwrap(),
        }
    }

    fn forward(&self, x: Tensor<2>) -> Tensor<2> {
        let x = self
            .snake
            .forward(self.swish.forward(self.prelu.forward(x)));
        self.activation
            .forward(self.feed_forward.forward(self.maxout.forward(x)))
    }
}

#[test]
fn learnable_modules_save_and_load_through_burn_store() {
    for backend in test_backends() {
        let device = &backend.device;
        let model = Learnable::new(device).map(&mut Shift);
        let x = Tensor::<2>::from_data(
            TensorData::new((0..32).map(|i| i as f32 / 4.0 - 4.0).collect(), [4, 8]),
            device,
        );
        let want = to_vec(model.forward(x.clone()));
        for (format, loaded) in through_records(&model, || Learnable::new(device)).unwrap() {
            assert_eq!(
                to_vec(loaded.forward(x.clone())),
                want,
                "[{}] {format}",
                backend.kind
            );
        }
        // the parameter names the crate README documents
        let mut names: Vec<String> = model
            .collect(None, None, false)
            .into_iter()
            .map(|t| t.name)
            .collect();
        names.sort();
        assert_eq!(
            names,
            [
                "activation.PRelu.weight",
                "feed_forward.gated.gate.weight",
                "feed_forward.gated.value.weight",
                "feed_forward.output.weight",
                "maxout.pieces.bias",
                "maxout.pieces.weight",
                "prelu.weight",
                "snake.alpha",
                "swish.beta",
            ],
            "[{}]",
            backend.kind
        );
    }
}

/// Modules print their parameters, as burn-nn's do (Burn's derived `ModuleDisplay`).
#[test]
fn modules_print_their_parameters() {
    let device = Device::flex();
    for (spec, shown) in [
        ("leaky_relu(0.2)", "negative_slope: 0.2"),
        ("elu(0.5)", "alpha: 0.5"),
        ("threshold(0.5, -1)", "value: -1"),
        ("prelu(num_parameters=3)", "shape: [3]"),
        ("snake(alpha=0.5, num_parameters=4)", "shape: [4]"),
        ("maxout(k=3)", "k: 3"),
        ("glu(gate=leaky_relu(0.2))", "negative_slope: 0.2"),
    ] {
        let config: ActivationConfig = spec.parse().unwrap();
        let printed = config.init_any(&device).unwrap().to_string();
        assert!(printed.contains(shown), "{spec} prints {printed}");
    }
}
