//! Accuracy of the float32 functions against f64 and libm over a grid of 400,000+ inputs.

use super::*;

/// Inputs from -200 to 200 in float32 steps of varying size, plus the special values.
fn grid() -> Vec<f32> {
    let mut xs: Vec<f32> = (-200_000..=200_000).map(|i| i as f32 * 1e-3).collect();
    xs.extend((-60..=60).map(|e| 2f32.powi(e)));
    xs.extend((-60..=60).map(|e| -(2f32.powi(e))));
    xs.extend([
        0.0,
        -0.0,
        f32::MAX,
        -f32::MAX,
        f32::MIN_POSITIVE,
        1e-45,
        f32::INFINITY,
        f32::NEG_INFINITY,
        88.7,
        88.72,
        88.73,
        -87.3,
        -103.9,
        -104.1,
    ]);
    xs
}

/// Largest error of `fast` against the f64 function, measured as `max(|Δ| / max(1, |exact|))`
/// over the grid (so relative for large values, absolute for small ones), with inf and NaN
/// required to match exactly.
fn worst(fast: fn(f32) -> f32, exact: fn(f64) -> f64, domain: fn(f32) -> bool) -> (f32, f64) {
    let mut worst = (0.0, 0.0);
    for x in grid().into_iter().filter(|&x| domain(x)) {
        let want = exact(f64::from(x)) as f32;
        let got = fast(x);
        if want.is_nan() || want.is_infinite() {
            assert!(
                got.to_bits() == want.to_bits() || (got.is_nan() && want.is_nan()),
                "at {x}: {got} vs {want}"
            );
            continue;
        }
        assert!(got.is_finite(), "at {x}: {got} vs {want}");
        let error = f64::from((got - want).abs()) / f64::from(want.abs()).max(1.0);
        if error > worst.1 {
            worst = (x, error);
        }
    }
    worst
}

fn all(_: f32) -> bool {
    true
}

#[test]
fn exp_is_within_two_ulp() {
    let (_, error) = worst(exp, f64::exp, all);
    assert!(error < 2.5e-7, "{error}");
    for x in [-0.5f32, 0.0, 1.0, 10.0, 80.0, -80.0, -95.0] {
        let want = f64::from(x).exp();
        assert!(
            (f64::from(exp(x)) / want - 1.0).abs() < 3e-7 || x < -87.3,
            "{x}"
        );
    }
    assert!(exp(f32::NAN).is_nan());
    assert_eq!(exp(-1000.0), 0.0);
}

#[test]
fn exp_m1_keeps_relative_accuracy_near_zero() {
    let (_, error) = worst(exp_m1, f64::exp_m1, all);
    assert!(error < 2.5e-7, "{error}");
    for x in [1e-30f32, -1e-8, 0.3, -0.34, 0.36] {
        let want = f64::from(x).exp_m1();
        assert!((f64::from(exp_m1(x)) / want - 1.0).abs() < 3e-7, "{x}");
    }
}

#[test]
fn ln_and_ln_1p() {
    let (x, error) = worst(ln, f64::ln, all);
    assert!(error < 2.5e-7, "ln at {x}: {error}");
    let (x, error) = worst(ln_1p, f64::ln_1p, all);
    assert!(error < 2.5e-7, "ln_1p at {x}: {error}");
    assert_eq!(ln(0.0), f32::NEG_INFINITY);
    assert!(ln(-1.0).is_nan() && ln(f32::NAN).is_nan());
    assert_eq!(ln_1p(-1.0), f32::NEG_INFINITY);
    assert_eq!(ln_1p(1e-30), 1e-30);
    let small = ln(1e-45); // a subnormal input
    assert!(
        (f64::from(small) - f64::from(1e-45f32).ln()).abs() < 1e-4,
        "{small}"
    );
}

#[test]
fn ln_1p_unit_is_within_about_one_ulp() {
    let mut worst: f64 = 0.0;
    for i in 1..=1 << 20 {
        let f = i as f32 / (1 << 20) as f32;
        let want = f64::from(f).ln_1p();
        worst = worst.max((f64::from(ln_1p_unit(f)) / want - 1.0).abs());
    }
    for e in 1..=149 {
        let f = 2f32.powi(-e);
        let want = f64::from(f).ln_1p();
        worst = worst.max((f64::from(ln_1p_unit(f)) / want - 1.0).abs());
    }
    assert!(worst < 1.6e-7, "{worst}");
    assert_eq!(ln_1p_unit(0.0), 0.0);
    assert!(ln_1p_unit(f32::NAN).is_nan());
}

#[test]
fn normal_cdf_and_pdf_from_one_exponential() {
    for i in -1300..=900 {
        let x = i as f32 * 0.01;
        let (cdf, pdf) = normal_cdf_and_pdf(x);
        let x64 = f64::from(x);
        let want_cdf = 0.5 * libm::erfc(-x64 * core::f64::consts::FRAC_1_SQRT_2);
        let want_pdf = (-0.5 * x64 * x64).exp() * crate::math::real::FRAC_1_SQRT_2PI;
        // relative in the left tail too; x² rounded to float32 sets the floor (x²/2 · 2^-24)
        let floor = 3e-7 + 0.5 * x64 * x64 * 6e-8;
        assert!(
            (f64::from(cdf) / want_cdf - 1.0).abs() < floor,
            "Φ({x}) = {cdf}"
        );
        assert!(
            (f64::from(pdf) / want_pdf - 1.0).abs() < floor,
            "φ({x}) = {pdf}"
        );
    }
    // the far tails, where the results are subnormal and then 0: one rounding of the exact value
    // (half a subnormal step), not more
    for i in 1300..=1600 {
        let x = -(i as f32) * 0.01;
        let (cdf, pdf) = normal_cdf_and_pdf(x);
        let x64 = f64::from(x);
        let want_cdf = 0.5 * libm::erfc(-x64 * core::f64::consts::FRAC_1_SQRT_2);
        let want_pdf = (-0.5 * x64 * x64).exp() * crate::math::real::FRAC_1_SQRT_2PI;
        let floor = 3e-7 + 0.5 * x64 * x64 * 6e-8;
        let half_step = 0.5 * f64::from(f32::from_bits(1));
        assert!(
            (f64::from(cdf) - want_cdf).abs() <= want_cdf * floor + half_step,
            "Φ({x}) = {cdf}, want {want_cdf}"
        );
        assert!(
            (f64::from(pdf) - want_pdf).abs() <= want_pdf * floor + half_step,
            "φ({x}) = {pdf}, want {want_pdf}"
        );
        assert_eq!(normal_cdf_and_pdf(-x), (1.0, pdf), "{}", -x);
    }
    for x in [-14.6, -20.0, -1e10, -f32::MAX] {
        assert_eq!(normal_cdf_and_pdf(x), (0.0, 0.0), "{x}");
        assert_eq!(normal_cdf_and_pdf(-x), (1.0, 0.0), "{}", -x);
    }
    assert_eq!(normal_cdf_and_pdf(-0.0), (0.5, normal_cdf_and_pdf(0.0).1));
    assert_eq!(normal_cdf_and_pdf(f32::NEG_INFINITY), (0.0, 0.0));
    assert_eq!(normal_cdf_and_pdf(f32::INFINITY), (1.0, 0.0));
    let (cdf, pdf) = normal_cdf_and_pdf(f32::NAN);
    assert!(cdf.is_nan() && pdf.is_nan());
}

/// GELU's value: the bits of `x · Φ(x)` below 0; above 0 (one rounding fewer) within one ulp of
/// it and within Φ's relative error (3e-7) plus a rounding of the exact value.
#[test]
fn times_normal_cdf_is_x_times_the_cdf() {
    for x in grid() {
        let (cdf, _) = normal_cdf_and_pdf(x);
        let (got, product) = (times_normal_cdf(x), x * cdf);
        if x.is_nan() {
            assert!(got.is_nan());
        } else if x < 0.0 && x.is_finite() {
            assert_eq!(got.to_bits(), product.to_bits(), "x = {x}");
        } else if x > 0.0 && x.is_finite() {
            let x64 = f64::from(x);
            let exact = x64 * 0.5 * libm::erfc(-x64 * core::f64::consts::FRAC_1_SQRT_2);
            // (plus half a subnormal step, for results that round to one)
            let half_step = 0.5 * f64::from(f32::from_bits(1));
            assert!(
                (f64::from(got) - exact).abs() <= exact * 3.6e-7 + half_step,
                "x = {x}: {got}, exactly {exact}"
            );
            assert!(
                got.to_bits().abs_diff(product.to_bits()) <= 1,
                "x = {x}: {got} against x·Φ(x) = {product}"
            );
        }
    }
    assert_eq!(times_normal_cdf(f32::INFINITY), f32::INFINITY);
    assert_eq!(
        times_normal_cdf(f32::NEG_INFINITY).to_bits(),
        (-0.0f32).to_bits()
    );
    assert_eq!(times_normal_cdf(-0.0).to_bits(), (-0.0f32).to_bits());
    assert_eq!(times_normal_cdf(0.0).to_bits(), 0.0f32.to_bits());
    assert_eq!(times_normal_cdf(-20.0).to_bits(), (-0.0f32).to_bits());
    assert_eq!(times_normal_cdf(f32::MAX), f32::MAX);
}

#[test]
fn tanh_erf_erfc() {
    let (x, error) = worst(tanh, f64::tanh, all);
    assert!(error < 3e-7, "tanh at {x}: {error}");
    assert_eq!(tanh(1e-30), 1e-30);
    let (x, error) = worst(erf, libm::erf, all);
    assert!(error < 2.5e-7, "erf at {x}: {error}");
    let (x, error) = worst(erfc, libm::erfc, all);
    assert!(error < 2.5e-7, "erfc at {x}: {error}");
    assert!(erf(f32::NAN).is_nan() && erfc(f32::NAN).is_nan());
    // relative accuracy in the tail, where GELU's Φ(x) = erfc(−x/√2)/2 lives for x < 0
    for i in 0..=540 {
        let x = 0.6 + i as f32 * 0.01;
        let want = libm::erfc(f64::from(x));
        let got = f64::from(erfc(x));
        // a few 1e-6: z² rounded to float32 inside exp(−z²) sets the floor
        assert!(
            (got / want - 1.0).abs() < 5e-6,
            "erfc({x}) = {got}, want {want}"
        );
    }
}

/// The shortened exponentials give the bits of the general ones wherever their results are used.
#[test]
fn the_shortened_exponentials_give_the_general_ones_bits() {
    for x in grid() {
        let reference = 1.0 / (1.0 + exp(x));
        let got = 1.0 / (1.0 + exp::exp_for_reciprocal(x));
        assert_eq!(got.to_bits(), reference.to_bits(), "1 / (1 + e^{x})");
        if x >= -86.0 || x.is_nan() {
            let (got, want) = (exp::exp_for_reciprocal(x), exp(x));
            assert!(
                got.to_bits() == want.to_bits() || got.is_nan() && want.is_nan(),
                "e^{x}"
            );
        }
        // tanh from the general expm1, the sign of x restored
        let e = exp_m1(-2.0 * x.abs());
        let want = (-e / (e + 2.0)).copysign(x);
        let got = tanh(x);
        assert!(
            got.to_bits() == want.to_bits() || got.is_nan() && want.is_nan(),
            "tanh {x}"
        );
    }
    // exp(−y/2) reduced with the −1/2 folded into the constants, against the plain reduction
    for i in 0..=210_250 {
        let y = i as f32 * 0.001;
        let (r, n) = exp::exp_reduce(-0.5 * y);
        let (r_over_s, m) = exp::exp_reduce_scaled(y, -0.5);
        // (== rather than bits: at y = 0 one is +0, the other −0)
        assert!(r == -0.5 * r_over_s && n == m, "{y}");
        let want = exp::exp_reduced_times(r, 1.0);
        let got = exp::exp_reduced_of_scaled_times(r_over_s, -0.5, 1.0);
        assert_eq!(got.to_bits(), want.to_bits(), "e^{r}");
        for scale in [n + 32, n - 1, -126 - n.min(0), 127 - n.max(0)] {
            let (got, want) = (exp::times_pow2_normal(got, scale), got * pow2i_test(scale));
            if want.is_normal() {
                assert_eq!(got.to_bits(), want.to_bits(), "{got} · 2^{scale}");
            }
        }
    }
    assert_eq!(tanh(-0.0).to_bits(), (-0.0f32).to_bits());
    assert_eq!(tanh(0.0).to_bits(), 0.0f32.to_bits());
    assert!(tanh(f32::NAN).is_nan());
}

/// `2^n` for `n` in `-126..=127`, computed without the code under test.
fn pow2i_test(n: i32) -> f32 {
    2f64.powi(n) as f32
}
