//! Spec strings: every catalog name and alias, parameters, PyTorch and Hugging Face forms,
//! errors, the GLU's gates, widths and serde.

use super::*;

/// The shortest spec of `entry`: its name, with values for the parameters that have no default
/// (threshold's, as in PyTorch).
fn shortest_spec(entry: &CatalogEntry) -> &'static str {
    if entry.name == "threshold" {
        "threshold(1, 0)"
    } else {
        entry.name
    }
}

#[test]
fn every_catalog_name_parses_and_round_trips() {
    for entry in CATALOG {
        let spec = shortest_spec(entry);
        let config: ActivationConfig = spec.parse().unwrap();
        assert_eq!(config.name(), entry.name);
        assert_eq!(entry.info.name, entry.name, "metadata of {}", entry.name);
        assert_eq!(config.spec().parse::<ActivationConfig>().unwrap(), config);
        for alias in entry.aliases {
            let alias_spec = spec.replacen(entry.name, alias, 1);
            assert_eq!(
                alias_spec.parse::<ActivationConfig>().unwrap(),
                config,
                "{alias}"
            );
        }
    }
}

/// Each entry's `PARAMS` (positional order, shown by `nonlin activations`) is the order its
/// config's `params` visits, which binds and prints them.
#[test]
fn declared_parameters_are_the_visited_ones() {
    for entry in CATALOG {
        let config: ActivationConfig = shortest_spec(entry).parse().unwrap();
        if let Some(visited) = config.visited_params() {
            assert_eq!(visited, entry.params, "{}", entry.name);
        }
    }
}

#[test]
fn parameters_round_trip() {
    for spec in [
        "leaky_relu(negative_slope=0.2)",
        "maxout(k=3)",
        "maxout(k=4, dim=1)",
        "swish(beta=learnable)",
        "swish(beta=learnable(0.5), num_parameters=8)",
        "swish(beta=2)",
        "softplus(beta=2, threshold=10)",
        "threshold(threshold=0.5, value=-1)",
        "hardtanh(min_val=-2, max_val=3)",
        "snake(alpha=0.5)",
        "prelu(num_parameters=16, alpha=0.1)",
        "rrelu(lower=0.1, upper=0.3)",
        "swiglu(dim=1)",
        "elu(alpha=1e-6)",
    ] {
        let config: ActivationConfig = spec.parse().unwrap();
        assert_eq!(config.spec(), spec, "canonical form");
        assert_eq!(config.spec().parse::<ActivationConfig>().unwrap(), config);
    }
}

#[test]
fn positional_pytorch_and_hugging_face_forms() {
    let parse = |s: &str| s.parse::<ActivationConfig>().unwrap().spec();
    assert_eq!(parse("leaky_relu(0.2)"), "leaky_relu(negative_slope=0.2)");
    assert_eq!(parse("LeakyReLU(0.2)"), "leaky_relu(negative_slope=0.2)");
    assert_eq!(parse("Hardswish"), "hard_swish");
    assert_eq!(parse("gelu_new"), "gelu_tanh");
    assert_eq!(parse("gelu_pytorch_tanh"), "gelu_tanh");
    assert_eq!(parse("GELU"), "gelu");
    assert_eq!(parse("softshrink(lambda=1)"), "softshrink(lambd=1)");
    assert_eq!(
        parse("threshold(0.5, -1)"),
        "threshold(threshold=0.5, value=-1)"
    );
    assert_eq!(parse("linear"), "identity");
    assert_eq!(parse("squared_relu"), "relu2");
    // PyTorch's `init` is Burn's `alpha`
    assert_eq!(
        parse("PReLU(num_parameters=1, init=0.1)"),
        "prelu(alpha=0.1)"
    );
}

#[test]
fn misspelt_names_get_a_suggestion() {
    let err = "leaky_rleu".parse::<ActivationConfig>().unwrap_err();
    assert_eq!(
        err,
        ActivationError::UnknownName {
            name: "leaky_rleu".into(),
            suggestion: Some("leaky_relu".into())
        }
    );
    assert!(
        err.to_string().contains("did you mean `leaky_relu`"),
        "{err}"
    );
    let err = "swiglu(dmi=1)".parse::<ActivationConfig>().unwrap_err();
    assert!(err.to_string().contains("did you mean `dim`"), "{err}");
    assert!(matches!(
        "qwertyuiop".parse::<ActivationConfig>(),
        Err(ActivationError::UnknownName {
            suggestion: None,
            ..
        })
    ));
}

#[test]
fn invalid_values_are_typed_errors() {
    for (spec, fragment) in [
        ("maxout(k=0)", "at least 1"),
        ("celu(alpha=0)", "must not be zero"),
        ("threshold(threshold=NaN, value=0)", "must not be NaN"),
        ("threshold(0.5)", "needs `value`"),
        ("elu(alpha=abc)", "must be a number"),
        ("relu(1)", "takes 0 argument"),
        ("leaky_relu(0.1, 0.2)", "takes 1 argument"),
        (
            "leaky_relu(negative_slope=0.1, negative_slope=0.2)",
            "given twice",
        ),
        ("leaky_relu(0.1", "must end with `)`"),
        ("", "empty"),
    ] {
        let err = spec.parse::<ActivationConfig>().unwrap_err().to_string();
        assert!(err.contains(fragment), "{spec}: {err}");
    }
}

#[test]
fn glu_takes_any_element_wise_gate() {
    let gated: ActivationConfig = "glu(gate=gelu_tanh)".parse().unwrap();
    assert_eq!(gated.spec(), "glu(gate=gelu_tanh)");
    assert_eq!(gated.name(), "glu");
    let nested: ActivationConfig = "glu(gate=leaky_relu(0.2), dim=1)".parse().unwrap();
    assert_eq!(
        nested.spec(),
        "glu(dim=1, gate=leaky_relu(negative_slope=0.2))"
    );
    assert_eq!(nested.spec().parse::<ActivationConfig>().unwrap(), nested);
    // the named variants are the GLU with their gates
    for (spec, variant) in [("glu(gate=silu)", "swiglu"), ("glu(gate=gelu)", "geglu")] {
        assert_eq!(spec.parse::<ActivationConfig>().unwrap().spec(), variant);
    }
    assert_eq!(
        "glu(gate=sigmoid)"
            .parse::<ActivationConfig>()
            .unwrap()
            .spec(),
        "glu"
    );
    for bad in [
        "glu(gate=maxout)",
        "glu(gate=swiglu)",
        "glu(gate=nope)",
        "glu(gate=elu(nan))",
    ] {
        assert!(bad.parse::<ActivationConfig>().is_err(), "{bad}");
    }
    // nesting is bounded, so a hostile spec cannot exhaust the stack
    let deep = format!("{}relu{}", "glu(gate=".repeat(100_000), ")".repeat(100_000));
    assert!(deep.parse::<ActivationConfig>().is_err());
}

#[test]
fn output_width_follows_the_split() {
    let maxout: ActivationConfig = "maxout(k=3)".parse().unwrap();
    assert_eq!(maxout.output_width(12).unwrap(), 4);
    assert!(maxout.output_width(10).is_err());
    let glu: ActivationConfig = "geglu".parse().unwrap();
    assert_eq!(glu.output_width(8).unwrap(), 4);
    assert!(
        glu.output_width(7)
            .unwrap_err()
            .to_string()
            .contains("e.g. 8")
    );
    assert_eq!(ActivationConfig::Relu.output_width(7).unwrap(), 7);
    assert_eq!(
        (
            maxout.width_factor(),
            glu.width_factor(),
            ActivationConfig::Relu.width_factor()
        ),
        (3, 2, 1)
    );
    assert_eq!(maxout.with_split_dim(1).spec(), "maxout(k=3, dim=1)");
}

#[test]
fn serde_as_spec_string() {
    #[derive(serde::Serialize, serde::Deserialize)]
    struct Layer {
        #[serde(with = "spec_serde")]
        activation: ActivationConfig,
    }
    let json = r#"{"activation":"leaky_relu(0.2)"}"#;
    let layer: Layer = serde_json::from_str(json).unwrap();
    assert_eq!(
        serde_json::to_string(&layer).unwrap(),
        r#"{"activation":"leaky_relu(negative_slope=0.2)"}"#
    );
    assert!(serde_json::from_str::<Layer>(r#"{"activation":"relux"}"#).is_err());
}
