//! `erf`, `erfc` and the normal CDF and density in float32, from a fitted `erfcx`.

use super::exp::{exp_m1_reduced, exp_reduce, pow2i};
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
/// subnormal result is rounded once. The same bits as `2³² exp(−x²/2)`
/// where the latter is normal.
#[inline(always)]
fn gaussian_times_2_32(abs_x: f32) -> f32 {
    let (r, n) = exp_reduce(-0.5 * (abs_x * abs_x));
    let y = exp_m1_reduced(r) + 1.0;
    y * pow2i(n + 32)
}

/// `(Φ(x), φ(x))`, the standard normal CDF and density, from one exponential `exp(−x²/2)`:
/// `Φ(x) = erfc(−x/√2)/2`, whose tail keeps its relative accuracy. GELU's forward uses the CDF
/// alone (the density is then dead code), its backward both.
#[inline(always)]
pub fn normal_cdf_and_pdf(x: f32) -> (f32, f32) {
    let abs_x = x.abs();
    // (NaN > 14.5 is false: NaN goes through to both results)
    let abs_x = select(abs_x > NORMAL_TAILS_END, NORMAL_TAILS_END, abs_x);
    let gaussian = gaussian_times_2_32(abs_x);
    let half_tail = erfcx_abs_times(abs_x, core::f32::consts::FRAC_1_SQRT_2, pow2i(-33)) * gaussian;
    let cdf = select(x < 0.0, half_tail, 1.0 - half_tail);
    let pdf = gaussian * (crate::math::real::FRAC_1_SQRT_2PI as f32 * pow2i(-32));
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
