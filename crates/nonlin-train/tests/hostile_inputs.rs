//! Property tests of the parsers a user's input reaches: activation and data set specs, experiment
//! and sweep TOML, IDX and CSV files. Valid inputs are mutated at random (a fixed seed, a bounded
//! number of cases) — bytes flipped, cut, repeated, numbers replaced by extreme ones — and every
//! result must be a value or a clear error: never a panic.

use nonlin_activations::ActivationConfig;
use nonlin_train::rng::Rng;
use nonlin_train::sweep::SweepConfig;
use nonlin_train::{DatasetSpec, ExperimentConfig};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;

const CASES: usize = 3000;

/// Extreme replacements for numbers and names.
const NASTY: [&str; 16] = [
    "0",
    "-1",
    "nan",
    "inf",
    "-inf",
    "1e400",
    "18446744073709551615",
    "18446744073709551616",
    "288230376151711744",
    "-9223372036854775808",
    "",
    "(",
    ")",
    "=",
    ",",
    "\u{0}",
];

fn mutate(rng: &mut Rng, input: &[u8]) -> Vec<u8> {
    let mut out = input.to_vec();
    for _ in 0..1 + rng.below(3) {
        let at = rng.below(out.len() + 1);
        match rng.below(6) {
            0 => out.truncate(at),
            1 if at < out.len() => out[at] = rng.below(256) as u8,
            2 if at < out.len() => {
                out.remove(at);
            }
            3 => {
                let piece = NASTY[rng.below(NASTY.len())].as_bytes();
                out.splice(at..at, piece.iter().copied());
            }
            4 => {
                // replace a run of digits by a nasty number
                let start = out[..at]
                    .iter()
                    .rposition(|b| !b.is_ascii_digit())
                    .map_or(0, |p| p + 1);
                let end = out[at..]
                    .iter()
                    .position(|b| !b.is_ascii_digit())
                    .map_or(out.len(), |p| at + p);
                let piece = NASTY[rng.below(7) + 3].as_bytes();
                out.splice(start..end, piece.iter().copied());
            }
            _ => {
                let from = rng.below(out.len() + 1);
                let piece: Vec<u8> = out[from..].iter().take(16).copied().collect();
                out.splice(at..at, piece);
            }
        }
    }
    out
}

/// Runs `f` on `CASES` mutations of each seed input; a panic fails the test with the input.
fn fuzz(name: &str, seeds: &[&[u8]], mut f: impl FnMut(&[u8])) {
    let mut rng = Rng::for_stream(2026, name);
    for case in 0..CASES {
        let seed = seeds[case % seeds.len()];
        let input = mutate(&mut rng, seed);
        let outcome = catch_unwind(AssertUnwindSafe(|| f(&input)));
        assert!(
            outcome.is_ok(),
            "{name}: panicked on {:?}",
            String::from_utf8_lossy(&input)
        );
    }
}

#[test]
fn activation_specs_never_panic() {
    let seeds: Vec<&[u8]> = vec![
        b"leaky_relu(negative_slope=0.2)",
        b"maxout(k=3, dim=-1)",
        b"glu(dim=1)",
        b"elu(alpha=1.5)",
        b"softplus(beta=2, threshold=20)",
        b"rrelu(lower=0.1, upper=0.3)",
        b"threshold(0.5, -1)",
        b"snake(alpha=0.5)",
        b"hardtanh(min_val=-2, max_val=2)",
    ];
    fuzz("activation", &seeds, |input| {
        let text = String::from_utf8_lossy(input);
        if let Ok(config) = text.parse::<ActivationConfig>() {
            // what parses prints back and parses to the same
            let again: ActivationConfig = config.spec().parse().expect("a printed spec parses");
            assert_eq!(again.spec(), config.spec());
            let _ = config.output_width(64);
        } else if let Err(e) = text.parse::<ActivationConfig>() {
            assert!(!e.to_string().is_empty());
        }
    });
}

#[test]
fn dataset_specs_never_panic() {
    let seeds: Vec<&[u8]> = vec![
        b"spirals(arms=3, n=1500, noise=0.2)",
        b"xor(n=400)",
        b"circles(factor=0.5)",
        b"blobs(centers=4)",
        b"csv(path=data.csv, label=class)",
        b"mnist(dir=data/mnist)",
    ];
    fuzz("dataset", &seeds, |input| {
        let text = String::from_utf8_lossy(input);
        match text.parse::<DatasetSpec>() {
            // (paths are printed as they are, so only path-free specs must round-trip)
            Ok(spec @ DatasetSpec::Synthetic(_)) => {
                let again: DatasetSpec = spec.to_string().parse().expect("a printed spec parses");
                assert_eq!(again, spec);
            }
            Ok(_) => {}
            Err(e) => assert!(!e.to_string().is_empty()),
        }
    });
}

#[test]
fn experiment_and_sweep_toml_never_panic_and_validate_what_they_accept() {
    let experiment = ExperimentConfig::default().to_toml();
    let sweep = toml::to_string_pretty(&SweepConfig::default()).unwrap();
    let seeds: Vec<&[u8]> = vec![experiment.as_bytes(), sweep.as_bytes()];
    fuzz("toml", &seeds, |input| {
        let text = String::from_utf8_lossy(input);
        if let Ok(config) = toml::from_str::<ExperimentConfig>(&text)
            && config.validate().is_ok()
        {
            // a valid config has finite numbers and sizes that were checked
            assert!(config.training.learning_rate.is_finite());
            assert!(config.training.min_learning_rate.is_finite());
            assert!(config.training.epochs >= 1);
        }
        if let Ok(sweep) = toml::from_str::<SweepConfig>(&text) {
            let _ = sweep.plan();
        }
    });
}

fn idx(dims: &[u32], data: &[u8]) -> Vec<u8> {
    let mut out = vec![0, 0, 8, dims.len() as u8];
    for d in dims {
        out.extend_from_slice(&d.to_be_bytes());
    }
    out.extend_from_slice(data);
    out
}

#[test]
fn idx_files_never_panic() {
    let images = idx(&[2, 3, 3], &[7; 18]);
    let labels = idx(&[2], &[1, 9]);
    let mut gz = Vec::new();
    {
        use std::io::Write;
        let mut enc = flate2::write::GzEncoder::new(&mut gz, flate2::Compression::fast());
        enc.write_all(&images).unwrap();
        enc.finish().unwrap();
    }
    let seeds: Vec<&[u8]> = vec![&images, &labels, &gz];
    let path = Path::new("fuzz.idx");
    fuzz("idx", &seeds, |input| {
        if let Ok(array) = nonlin_train::data::idx::parse(input, path) {
            let elements: usize = array.dims.iter().product();
            assert_eq!(elements, array.data.len());
        }
    });
}

#[test]
fn csv_files_never_panic() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("data.csv");
    let seeds: Vec<&[u8]> = vec![
        b"x,y,label\n0.5,1.5,a\n-1,2,b\n3,4,a\n1e3,-2,b\n",
        b"a;b;c\n1;2;3\n",
        b"x,label\n1,0\n2,1\n3,0\n",
    ];
    fuzz("csv", &seeds, |input| {
        std::fs::write(&path, input).unwrap();
        match nonlin_train::data::csv::load(&path, None) {
            Ok(data) => {
                assert!(data.labels.iter().all(|&l| (l as usize) < data.num_classes));
                assert!(data.features.iter().all(|v| v.is_finite()));
            }
            Err(e) => assert!(!e.to_string().is_empty()),
        }
    });
}
