//! `erf`, `erfc` and the normal CDF and density in float32, from a fitted `erfcx`.

use super::*;

/// `erfcx |x| = exp(x²) erfc |x|` as `t · G(2t − 1)`, `t = 1 / (1 + |x|/2)`, `G` a degree-10
/// polynomial fitted by `scripts/fit_erfc.py` (relative error below 3e-7 for every |x|, the tail
/// included). Keeping the Gaussian factor `exp(−x²)` outside lets GELU's backward share it with
/// the normal density.
#[inline(always)]
pub(super) fn erfcx_abs(x: f32) -> f32 {
    let t = 1.0 / (0.5 * x.abs() + 1.0);
    let g = polynomial(
        t + t - 1.0,
        [
            0.000_042_161_2,
            -0.000_036_601_876,
            -0.000_299_382_72,
            0.000_430_670_48,
            0.001_529_157_2,
            -0.003_243_452,
            -0.010_751_626,
            0.018_221_669,
            0.139_735_73,
            0.343_580_3,
            0.510_791_36,
        ],
    );
    t * g
}

/// `erfc |x| = erfcx |x| · exp(−x²)`, relative accuracy everywhere (A&S 7.1.26, which PyTorch's
/// vectorised erf uses, only bounds the absolute error).
#[inline(always)]
pub(super) fn erfc_abs(x: f32) -> f32 {
    erfcx_abs(x) * exp(-(x * x))
}

/// `(Φ(x), φ(x))`, the standard normal CDF and density, from one exponential `exp(−x²/2)`:
/// `Φ(x) = erfc(−x/√2)/2`, whose tail keeps its relative accuracy.
#[inline(always)]
pub fn normal_cdf_and_pdf(x: f32) -> (f32, f32) {
    let gaussian = exp(-0.5 * (x * x));
    let half_tail = 0.5 * erfcx_abs(x * core::f32::consts::FRAC_1_SQRT_2) * gaussian;
    // (NaN stays NaN through both)
    let cdf = select(x < 0.0, half_tail, 1.0 - half_tail);
    (cdf, gaussian * crate::math::real::FRAC_1_SQRT_2PI as f32)
}

/// Below this |x|, erf is its Taylor series: `1 − erfc` cancels there.
pub(super) const ERF_SERIES_BELOW: f32 = 0.6;

/// `erf x` for |x| < 0.6 by its Maclaurin series `2/√π Σ (−1)ⁿ x²ⁿ⁺¹ / (n! (2n + 1))`, n ≤ 8
/// (the next term is below 1e-11).
#[inline(always)]
pub(super) fn erf_series(x: f32) -> f32 {
    let series = polynomial(
        x * x,
        [
            1.0 / 685_440.0,
            -1.0 / 75600.0,
            1.0 / 9360.0,
            -1.0 / 1320.0,
            1.0 / 216.0,
            -1.0 / 42.0,
            1.0 / 10.0,
            -1.0 / 3.0,
            1.0,
        ],
    );
    series * x * core::f32::consts::FRAC_2_SQRT_PI
}

/// `erf x`, absolute error about 2e-7: the series near 0, else `1 − erfc |x|`.
#[inline(always)]
pub fn erf(x: f32) -> f32 {
    let magnitude = 1.0 - erfc_abs(x);
    let far = select(x < 0.0, -magnitude, magnitude);
    select(
        x.abs() < ERF_SERIES_BELOW,
        erf_series(x),
        select(x.is_nan(), x, far),
    )
}

/// `1 − erf x`: the fit's `q` for x ≥ 0 (relative accuracy everywhere, the tail included), `2 − q`
/// below 0.
#[inline(always)]
pub fn erfc(x: f32) -> f32 {
    let q = erfc_abs(x);
    select(x.is_nan(), x, select(x < 0.0, 2.0 - q, q))
}
