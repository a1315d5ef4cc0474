use super::*;
use crate::rng::Rng;
use burn::tensor::TensorData;

fn tiny(activation: &str) -> TransformerConfig {
    TransformerConfig::new(11)
        .with_context(8)
        .with_layers(2)
        .with_d_model(16)
        .with_heads(4)
        .with_d_ff(48)
        .with_activation(activation.parse().unwrap())
}

fn tokens(rows: &[&[i64]], device: &Device) -> Tensor<2, Int> {
    let (b, t) = (rows.len(), rows[0].len());
    let flat: Vec<i64> = rows.iter().flat_map(|r| r.iter().copied()).collect();
    Tensor::from_data(TensorData::new(flat, [b, t]), device)
}

fn floats(t: Tensor<3>) -> Vec<f32> {
    t.into_data()
        .convert::<f32>()
        .try_into_vec::<f32>()
        .unwrap()
}

#[test]
fn logits_have_one_row_per_position_and_the_context_is_a_limit() {
    let device = Device::flex();
    for positions in [Positions::Learned, Positions::Rotary] {
        for tie in [false, true] {
            let model = tiny("gelu")
                .with_positions(positions)
                .with_tie_embeddings(tie)
                .init(&device)
                .unwrap();
            let x = tokens(&[&[1, 2, 3, 4, 5], &[6, 7, 8, 9, 10]], &device);
            assert_eq!(
                model.forward(x).dims(),
                [2, 5, 11],
                "{positions:?} tied {tie}"
            );
            let long = Tensor::<2, Int>::zeros([1, 9], &device);
            let err = model.try_forward(long).unwrap_err().to_string();
            assert!(err.contains("context of 8"), "{err}");
        }
    }
}

#[test]
fn the_parameter_count_is_the_modules_and_gated_blocks_match_the_ungated_one() {
    let device = Device::flex();
    let specs = [
        "relu",
        "gelu",
        "swish(beta=learnable)",
        "maxout(k=2)",
        "maxout(k=3)",
        "glu",
        "swiglu",
        "geglu",
        "reglu",
        "bilinear",
    ];
    for spec in specs {
        for (tie, bias, positions) in [
            (false, false, Positions::Learned),
            (true, true, Positions::Rotary),
        ] {
            let config = tiny(spec)
                .with_tie_embeddings(tie)
                .with_bias(bias)
                .with_positions(positions);
            let model = config.init(&device).unwrap();
            assert_eq!(
                config.parameter_count(),
                Some(model.num_params() as u128),
                "{spec} tied {tie} bias {bias}"
            );
        }
    }
    // the paper's sizes: d_model 512, d_ff 2048; the GLU family's hidden width is 2/3 of it
    let paper = |spec: &str| {
        TransformerConfig::new(65)
            .with_d_model(512)
            .with_heads(8)
            .with_d_ff(2048)
            .with_activation(spec.parse().unwrap())
    };
    let ungated = paper("relu").parameter_count().unwrap() as f64;
    for spec in ["glu", "swiglu", "geglu", "reglu", "bilinear", "maxout(k=2)"] {
        let config = paper(spec);
        assert_eq!(config.ffn_hidden(), 1365, "{spec}");
        let gated = config.parameter_count().unwrap() as f64;
        assert!(
            (gated / ungated - 1.0).abs() < 0.01,
            "{spec}: {gated} vs {ungated}"
        );
        // without matching, the gated block is half as large again
        let unmatched = config.with_match_parameters(false);
        assert_eq!(unmatched.ffn_hidden(), 2048);
        assert!(
            unmatched.parameter_count().unwrap() as f64 > 1.2 * ungated,
            "{spec}"
        );
    }
}

#[test]
fn a_later_character_never_changes_an_earlier_prediction() {
    let device = Device::flex();
    for (spec, positions) in [("gelu", Positions::Learned), ("swiglu", Positions::Rotary)] {
        let model = tiny(spec).with_positions(positions).init(&device).unwrap();
        let a = floats(model.forward(tokens(&[&[1, 2, 3, 4, 5, 6]], &device)));
        let b = floats(model.forward(tokens(&[&[1, 2, 3, 9, 9, 6]], &device)));
        let per_position = 11;
        // positions 0..3 read only tokens 0..=t, which agree
        for i in 0..3 * per_position {
            assert!(
                (a[i] - b[i]).abs() <= 1e-6,
                "{spec}: logit {i}: {} vs {}",
                a[i],
                b[i]
            );
        }
        // position 3 reads the changed token
        let changed = (3 * per_position..4 * per_position).any(|i| (a[i] - b[i]).abs() > 1e-4);
        assert!(changed, "{spec}: position 3 ignores its own token");
    }
}

#[test]
fn invalid_sizes_are_refused_with_the_field_and_the_fix() {
    let cases = [
        (
            tiny("gelu").with_heads(5),
            "must divide by heads (5); try d_model = 20",
        ),
        (tiny("gelu").with_layers(0), "layers must be at least 1"),
        (
            tiny("gelu")
                .with_d_model(12)
                .with_heads(4)
                .with_positions(Positions::Rotary),
            "must be even",
        ),
        (
            tiny("gelu").with_dropout(1.0),
            "dropout 1 must be in [0, 1)",
        ),
        (tiny("prelu(num_parameters=4)"), "use num_parameters=1"),
    ];
    for (config, expected) in cases {
        let err = config.init(&Device::flex()).unwrap_err().to_string();
        assert!(err.contains(expected), "{err}");
    }
}

#[test]
fn sampling_is_determined_by_the_seed_and_greedy_by_nothing() {
    let device = Device::flex();
    device.seed(3);
    let model = tiny("gelu").init(&device).unwrap();
    let prompt = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]; // longer than the context of 8: cropped
    let draw = |seed, temperature| {
        model
            .generate(&prompt, 24, temperature, &mut Rng::new(seed))
            .unwrap()
    };
    let a = draw(5, 1.0);
    assert_eq!(a.len(), 24);
    assert!(a.iter().all(|&t| t < 11));
    assert_eq!(a, draw(5, 1.0));
    assert_ne!(a, draw(6, 1.0), "another seed, another text");
    assert_eq!(draw(5, 0.0), draw(6, 0.0), "greedy ignores the seed");
    for (prompt, temperature, expected) in [
        (&[][..], 1.0, "empty prompt"),
        (&[1][..], -1.0, "finite number ≥ 0"),
        (&[1][..], f64::NAN, "finite number ≥ 0"),
        (&[11][..], 1.0, "outside the vocabulary of 11"),
    ] {
        let err = model
            .generate(prompt, 3, temperature, &mut Rng::new(1))
            .unwrap_err()
            .to_string();
        assert!(err.contains(expected), "{err}");
    }
}

#[test]
fn sampling_follows_the_softmax_at_the_temperature() {
    // logits ln 1, ln 3: probabilities 1/4 and 3/4 at T = 1; at T = 0.5 they square: 1/10, 9/10
    let logits = [0.0f32, 3f32.ln()];
    let share_of_second = |temperature: f64| {
        let mut rng = Rng::new(11);
        let n = 20_000;
        (0..n)
            .filter(|_| super::sample(&logits, temperature, &mut rng) == 1)
            .count() as f64
            / n as f64
    };
    // binomial standard deviations at n = 20,000 are about 0.003 and 0.002: margins of 4σ
    assert!((share_of_second(1.0) - 0.75).abs() < 0.012);
    assert!((share_of_second(0.5) - 0.9).abs() < 0.009);
    assert_eq!(share_of_second(0.0), 1.0);
}

/// Rotary attention, packed again for the attention op, equals attention written per head: each
/// head's q, k, v cut from the projection by `narrow` on the last dimension, q and k rotated, the
/// masked softmax of the scaled scores times v, the heads concatenated.
#[test]
fn rotary_attention_matches_attention_written_per_head() {
    let (batch, length, heads, d_head) = (2, 6, 2, 4);
    let d = heads * d_head;
    let device = Device::flex();
    let rotary = RotaryEncodingConfig::new(length, d_head).init(&device);
    let data: Vec<f32> = (0..batch * length * 3 * d)
        .map(|i| ((i * 29 % 23) as f32 - 11.0) * 0.15)
        .collect();
    let qkv = Tensor::<3>::from_data(TensorData::new(data, [batch, length, 3 * d]), &device);
    let ours = floats(nonlin_activations::causal_attention(
        rotate_queries_and_keys(qkv.clone(), heads, &rotary),
        heads,
    ));
    let head = |part: usize, h: usize| {
        qkv.clone()
            .narrow(2, part * d + h * d_head, d_head)
            .reshape([batch, 1, length, d_head])
    };
    let merged: Vec<Tensor<3>> = (0..heads)
        .map(|h| {
            let (q, k, v) = (
                rotary.forward(head(0, h)),
                rotary.forward(head(1, h)),
                head(2, h),
            );
            let scores = q.matmul(k.swap_dims(2, 3)) / (d_head as f64).sqrt();
            let mut mask = vec![0.0f32; length * length];
            for i in 0..length {
                for j in i + 1..length {
                    mask[i * length + j] = f32::NEG_INFINITY;
                }
            }
            let mask = Tensor::<2>::from_data(TensorData::new(mask, [length, length]), &device);
            let weights = burn::tensor::activation::softmax(scores + mask.unsqueeze::<4>(), 3);
            weights.matmul(v).reshape([batch, length, d_head])
        })
        .collect();
    let reference = floats(Tensor::cat(merged, 2));
    assert_eq!(ours.len(), reference.len());
    for (i, (a, b)) in ours.iter().zip(&reference).enumerate() {
        assert!((a - b).abs() <= 1e-5 * (1.0 + b.abs()), "[{i}]: {a} vs {b}");
    }
}
