//! 2-D synthetic data sets, generated from a seed.
//!
//! | set | construction | noise |
//! |---|---|---|
//! | `xor` | uniform in [-1, 1]², class = sign(x₀) ≠ sign(x₁) | Gaussian jitter of std `noise` added after labelling |
//! | `circles` | two circles, radius 1 and `factor` (sklearn's `make_circles`) | Gaussian jitter |
//! | `moons` | two interleaving half circles (sklearn's `make_moons`) | Gaussian jitter |
//! | `spirals` | `arms` spirals: radius t ∈ [0, 1], angle 4k + 4t radians for arm k (cs231n) | Gaussian jitter of the angle (radians) |
//! | `blobs` | `centers` Gaussians of std `noise` around points on a circle of radius 5 | the blobs' std |
//! | `linear` | uniform in [-1, 1]², class = side of a random line through the origin | Gaussian jitter |
//!
//! Classes are balanced: sample `i` belongs to class `i mod classes` before shuffling.

use super::Dataset;
use super::spec::{Synthetic, SyntheticKind};
use crate::error::DataError;
use crate::rng::Rng;
use core::f64::consts::{PI, TAU};

/// Generates `spec.samples` points of `spec.kind`.
pub fn generate(spec: &Synthetic, mut rng: Rng) -> Result<Dataset, DataError> {
    let n = spec.samples;
    let noise = spec.noise;
    let classes = match spec.kind {
        SyntheticKind::Spirals { arms } => arms,
        SyntheticKind::Blobs { centers } => centers,
        _ => 2,
    };
    // the line of the `linear` set, drawn first so it depends only on the seed
    let angle = rng.uniform_in(0.0, TAU);
    let normal = (angle.cos(), angle.sin());
    let mut features = Vec::with_capacity(2 * n);
    let mut labels = Vec::with_capacity(n);
    for i in 0..n {
        let class = i % classes;
        let (x, y) = match spec.kind {
            SyntheticKind::Xor => {
                // draw a point in the quadrants of this class
                let (sx, sy) = if class == 0 { (1.0, 1.0) } else { (1.0, -1.0) };
                let flip = if rng.uniform() < 0.5 { -1.0 } else { 1.0 };
                let (u, v) = (rng.uniform(), rng.uniform());
                (
                    flip * sx * u + noise * rng.normal(),
                    flip * sy * v + noise * rng.normal(),
                )
            }
            SyntheticKind::Circles { factor } => {
                let t = rng.uniform_in(0.0, TAU);
                let r = if class == 0 { 1.0 } else { factor };
                (
                    r * t.cos() + noise * rng.normal(),
                    r * t.sin() + noise * rng.normal(),
                )
            }
            SyntheticKind::Moons => {
                let t = rng.uniform_in(0.0, PI);
                let (x, y) = if class == 0 {
                    (t.cos(), t.sin())
                } else {
                    (1.0 - t.cos(), 0.5 - t.sin())
                };
                (x + noise * rng.normal(), y + noise * rng.normal())
            }
            SyntheticKind::Spirals { .. } => {
                // cs231n: radius t, angle 4k + 4t radians (arms 4 radians apart) plus noise
                let t = rng.uniform();
                let theta = 4.0 * (class as f64 + t) + noise * rng.normal();
                (t * theta.sin(), t * theta.cos())
            }
            SyntheticKind::Blobs { centers } => {
                let a = TAU * class as f64 / centers as f64;
                (
                    5.0 * a.cos() + noise * rng.normal(),
                    5.0 * a.sin() + noise * rng.normal(),
                )
            }
            SyntheticKind::Linear => loop {
                let (u, v) = (rng.uniform_in(-1.0, 1.0), rng.uniform_in(-1.0, 1.0));
                let side = u * normal.0 + v * normal.1 > 0.0;
                if side == (class == 1) {
                    break (u + noise * rng.normal(), v + noise * rng.normal());
                }
            },
        };
        features.push(x as f32);
        features.push(y as f32);
        labels.push(class as u32);
    }
    let name = super::spec::DatasetSpec::Synthetic(*spec).to_string();
    Dataset::new(name, features, labels, vec![2], classes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn make(kind: SyntheticKind, noise: f64) -> Dataset {
        generate(
            &Synthetic {
                kind,
                samples: 600,
                noise,
            },
            Rng::new(5),
        )
        .unwrap()
    }

    #[test]
    fn same_seed_same_data_and_balanced_classes() {
        let a = make(SyntheticKind::Spirals { arms: 3 }, 0.2);
        assert_eq!(a, make(SyntheticKind::Spirals { arms: 3 }, 0.2));
        assert_eq!(a.class_counts(), vec![200, 200, 200]);
        assert_eq!(a.sample_shape, vec![2]);
    }

    #[test]
    fn noiseless_sets_have_their_defining_property() {
        let xor = make(SyntheticKind::Xor, 0.0);
        for i in 0..xor.len() {
            let s = xor.sample(i);
            assert_eq!((s[0] > 0.0) != (s[1] > 0.0), xor.labels[i] == 1, "{s:?}");
        }
        let circles = make(SyntheticKind::Circles { factor: 0.5 }, 0.0);
        for i in 0..circles.len() {
            let s = circles.sample(i);
            let r = (s[0] * s[0] + s[1] * s[1]).sqrt();
            assert!((r - if circles.labels[i] == 0 { 1.0 } else { 0.5 }).abs() < 1e-5);
        }
        let spirals = make(SyntheticKind::Spirals { arms: 3 }, 0.0);
        assert!((0..spirals.len()).all(|i| spirals.sample(i).iter().all(|v| v.abs() <= 1.0)));
    }
}
