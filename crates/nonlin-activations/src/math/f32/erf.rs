//! `erf`, `erfc` and the normal CDF and density in float32, from a fitted `erfcx`.

use super::exp::{
    exp_reduce_scaled_one_step, exp_reduced_of_scaled_times, pow2i, times_pow2_normal,
};
use super::*;

/// `erfcx |x| = exp(x²) erfc |x|` as `t · G(t)`, `t = 1 / (1 + |x|/2)`, `G` a degree-8
/// polynomial fitted by `scripts/fit_erfc.py` for |x| ≤ 10.3 (relative error about 3e-7 there,
/// the float32 rounding of `t` and of Horner's steps included). Beyond 10.3 the value is finite but
/// not erfcx: every caller multiplies it by a Gaussian factor that is 0 in float32 there. Keeping
/// that factor outside lets GELU's backward share it with the normal density.
#[inline(always)]
pub(super) fn erfcx_abs(x: f32) -> f32 {
    erfcx_abs_times(x, 1.0, 1.0)
}

/// `erfcx |x·k| · scale` for `k > 0` and a power of two `scale`: `k` is folded into `t`'s
/// multiplication and `scale` into the coefficients (exact), so neither costs an instruction.
#[inline(always)]
fn erfcx_abs_times(x: f32, k: f32, scale: f32) -> f32 {
    let t = 1.0 / (0.5 * k).mul_add(x.abs(), 1.0);
    let g = polynomial(
        t,
        [
            -0.059_149_19,
            0.284_967_2,
            -0.488_013_95,
            0.279_000_76,
            -0.027_270_496,
            0.202_960_48,
            0.243_034_41,
            0.282_384_87,
            0.282_085_87,
        ]
        .map(|c| c * scale),
    );
    t * g
}

/// `erfc |x| = erfcx |x| · exp(−x²)`, relative accuracy everywhere (A&S 7.1.26, which PyTorch's
/// vectorised erf uses, only bounds the absolute error); `exp` is 0 beyond |x| = 10.2, inside
/// the fit's interval.
#[inline(always)]
pub(super) fn erfc_abs(x: f32) -> f32 {
    erfcx_abs(x) * exp(-(x * x))
}

/// Beyond this |x|, `Φ(−|x|)` and `φ(x)` round to 0 in float32 (both are below 1e-46): |x| is
/// clamped here, which keeps `exp(−x²/2)`'s exponent in `[−152, 0]` and erfcx's argument inside
/// its fit.
const NORMAL_TAILS_END: f32 = 14.5;

/// `2³² exp(−x²/2)` for `|x| ≤ 14.5`: a normal float32 (at least 2⁻¹²⁰), so `exp`'s subnormal
/// results and overflow need no handling; the caller's other factor carries the `2⁻³²`, and a
/// subnormal result is rounded once. Its error is `exp`'s plus at most `|x|²/2 · 2.7e-9` from the
/// one-step reduction (a twentieth of what `x²`'s own rounding costs).
#[inline(always)]
fn gaussian_times_2_32(abs_x: f32) -> f32 {
    // exp(−x²/2) reduced as exp(s·x²), s = −1/2 folded into the constants: −x²/2 is never formed
    let (r_over_s, n) = exp_reduce_scaled_one_step(abs_x * abs_x, -0.5);
    // e^r is in [0.7, 1.5] and the product at least 2⁻¹²⁰: both normal
    times_pow2_normal(exp_reduced_of_scaled_times(r_over_s, -0.5, 1.0), n + 32)
}

/// `Φ(−|x|) = erfc(|x|/√2)/2` for `|x|` clamped at [`NORMAL_TAILS_END`] (NaN stays NaN), and
/// `2³² exp(−x²/2)`: the two halves of [`normal_cdf_and_pdf`] and [`times_normal_cdf`].
#[inline(always)]
fn half_tail_and_gaussian(clamped_abs_x: f32) -> (f32, f32) {
    let gaussian = gaussian_times_2_32(clamped_abs_x);
    let half_tail =
        erfcx_abs_times(clamped_abs_x, core::f32::consts::FRAC_1_SQRT_2, pow2i(-33)) * gaussian;
    (half_tail, gaussian)
}

/// `|x|` clamped at [`NORMAL_TAILS_END`]; NaN stays NaN (`NaN > 14.5` is false).
#[inline(always)]
fn clamped_abs(x: f32) -> f32 {
    let abs_x = x.abs();
    select(abs_x > NORMAL_TAILS_END, NORMAL_TAILS_END, abs_x)
}

/// `x Φ(x)` (GELU) as `max(x, 0) − |x| Φ(−|x|)`, one fused multiply-add for both signs: for
/// `x < 0` the bits of `x · Φ(x)`, for `x > 0` one rounding of `x − x Φ(−x)` where
/// `x · (1 − Φ(−x))` had two; three vector instructions (max, fused multiply-add, sign) where
/// choosing between `Φ(−|x|)` and `1 − Φ(−|x|)` and multiplying took four. The sign of `x` is put
/// back, so zeros keep it (−0 below −14.5 and at −0, as `x · Φ(x)`). `|x|` is the clamped one, so
/// +inf gives inf and −inf the limit −0 (not inf · 0).
#[inline(always)]
pub fn times_normal_cdf(x: f32) -> f32 {
    let abs_x = clamped_abs(x);
    let (half_tail, _) = half_tail_and_gaussian(abs_x);
    abs_x
        .mul_add(-half_tail, select(x > 0.0, x, 0.0))
        .copysign(x)
}

/// `(Φ(x), φ(x))`, the standard normal CDF and density, from one exponential `exp(−x²/2)`:
/// `Φ(x) = erfc(−x/√2)/2`, whose tail keeps its relative accuracy. GELU's backward uses both (its
/// forward, [`times_normal_cdf`]).
#[inline(always)]
pub fn normal_cdf_and_pdf(x: f32) -> (f32, f32) {
    let (half_tail, gaussian) = half_tail_and_gaussian(clamped_abs(x));
    let cdf = select(x < 0.0, half_tail, 1.0 - half_tail);
    let pdf = gaussian * (crate::math::real::FRAC_1_SQRT_2PI as f32 * pow2i(-32));
    // the exponent-field scale does not keep a NaN (the CDF keeps it through erfcx's t)
    let pdf = select(x.is_nan(), x, pdf);
    (cdf, pdf)
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
