//! `e^x`, `e^x − 1` and `tanh x` in float32 (Cephes `expf` reduction).

use super::*;

/// `2^n` for `n` in `-126..=127`, by building the exponent bits.
#[inline(always)]
pub(super) fn pow2i(n: i32) -> f32 {
    f32::from_bits(((n + 127) as u32) << 23)
}

/// `P(r)` with `e^r ≈ 1 + r + r² P(r)` for `|r| ≤ ln 2 / 2` (Cephes `expf`).
#[inline(always)]
fn exp_polynomial(r: f32) -> f32 {
    polynomial(
        r,
        [
            1.987_569_1e-4,
            1.398_199_9e-3,
            8.333_452e-3,
            4.166_579_6e-2,
            1.666_666_5e-1,
            5.000_000_1e-1_f64 as f32,
        ],
    )
}

/// `e^r − 1 = r + r² P(r)` for the reduced argument: every exponential here finishes from it.
#[inline(always)]
pub(super) fn exp_m1_reduced(r: f32) -> f32 {
    exp_polynomial(r).mul_add(r * r, r)
}

/// `e^r` for the reduced argument by one degree-6 polynomial (`scripts/fit_exp.py`: 0.87 ulp in
/// float32), for callers that need `e^r` itself: two instructions fewer than
/// `1 + (e^r − 1)`. `scale`, a power of two, is folded into the coefficients (exact).
#[inline(always)]
pub(super) fn exp_reduced_times(r: f32, scale: f32) -> f32 {
    exp_reduced_of_scaled_times(r, 1.0, scale)
}

/// `e^(s·ρ) · scale` for `ρ` from [`exp_reduce_scaled`] and powers of two `s` and `scale`: `s^k`
/// is folded into the coefficient of `ρ^k`, so each Horner step is the unscaled one times a power
/// of two: the same bits as `exp_reduced_times(s·ρ, scale)`, one multiplication fewer.
#[inline(always)]
pub(super) fn exp_reduced_of_scaled_times(rho: f32, s: f32, scale: f32) -> f32 {
    let mut coefficients = [
        0.001_384_364_6,
        0.008_374_161,
        0.041_668,
        0.166_664_32,
        0.499_999_94,
        1.0,
        1.0,
    ];
    let mut power = scale;
    for c in coefficients.iter_mut().rev() {
        *c *= power;
        power *= s;
    }
    polynomial(rho, coefficients)
}

/// Above this, `e^x` overflows float32.
pub(super) const EXP_OVERFLOW: f32 = 88.722_84;

/// `x = n ln 2 + r` with `n = round(x log2 e)` and `|r| ≤ ln 2 / 2` (Cephes), for finite `x` in
/// `[-152 ln 2, EXP_OVERFLOW]`: `(r, n)`.
#[inline(always)]
pub(super) fn exp_reduce(x: f32) -> (f32, i32) {
    exp_reduce_scaled(x, 1.0)
}

/// `n = round(s·y · log2 e)` for a power of two `s`, as a float and as an integer, with the
/// 1.5 · 2^23 trick: the sum's low mantissa bits hold n.
#[inline(always)]
fn nearest_power_of_two(y: f32, s: f32) -> (f32, i32) {
    const SHIFTER: f32 = 12_582_912.0;
    let t = y.mul_add(s * core::f32::consts::LOG2_E, SHIFTER);
    (
        t - SHIFTER,
        (t.to_bits() as i32) - (SHIFTER.to_bits() as i32),
    )
}

/// [`exp_reduce`] of `x = s·y` for a power of two `s`, without computing `x`: `(r / s, n)`. Every
/// constant is divided by `s` (exact), so each rounding is the unscaled one's divided by `s`.
#[inline(always)]
pub(super) fn exp_reduce_scaled(y: f32, s: f32) -> (f32, i32) {
    let (n, ni) = nearest_power_of_two(y, s);
    // x − n ln 2 in two fused steps (ln 2 = C1 − C2, C1 with few bits): one rounding each
    let r_over_s = n.mul_add(2.121_944_4e-4 / s, n.mul_add(-0.693_359_4 / s, y));
    (r_over_s, ni)
}

/// [`exp_reduce_scaled`] with `n ln 2` subtracted in one fused step, `ln 2` rounded to float32
/// (1.9e-9 off): `r` is off by at most `|n| · 1.9e-9`, which for `exp(−x²/2)` (`|n| ≤ 152`, about
/// `x²/(2 ln 2)`) stays a twentieth of what rounding `x²` to float32 costs already (`x²/2 · 6e-8`).
/// One instruction fewer; not for `exp` itself, whose `|n|` reaches 128 with `x` exact: 2 ulp.
#[inline(always)]
pub(super) fn exp_reduce_scaled_one_step(y: f32, s: f32) -> (f32, i32) {
    let (n, ni) = nearest_power_of_two(y, s);
    (n.mul_add(-core::f32::consts::LN_2 / s, y), ni)
}

/// `y · 2^n` for a positive normal `y` whose product is normal too: `n` added to the exponent
/// field, two integer instructions instead of building `2^n` and multiplying (off the
/// multiply-add units, which the polynomials around it keep busy). The bits of `y * pow2i(n)`.
#[inline(always)]
pub(super) fn times_pow2_normal(y: f32, n: i32) -> f32 {
    f32::from_bits((y.to_bits() as i32 + (n << 23)) as u32)
}

/// `y · 2^n` for `n` in `-252..=254`, the scale applied in two halves so that subnormal results
/// and `n = 128` come out right.
#[inline(always)]
pub(super) fn times_pow2(y: f32, n: i32) -> f32 {
    let half = n >> 1;
    y * pow2i(half) * pow2i(n - half)
}

/// `e^x` (Cephes `expf`'s reduction): `x = n ln 2 + r`, `e^r` by a degree-6 polynomial, times
/// `2^n`. inf above 88.72284, 0 below -104, NaN for NaN.
#[inline(always)]
pub fn exp(x: f32) -> f32 {
    const LO: f32 = -104.0;
    let (r, n) = exp_reduce(x.clamp(LO, EXP_OVERFLOW));
    let y = exp_reduced_times(r, 1.0);
    select(
        x > EXP_OVERFLOW,
        f32::INFINITY,
        select(x < LO, 0.0, times_pow2(y, n)),
    )
}

/// `e^x − 1` from `exp`'s own reduction `x = n ln 2 + r`:
/// `2^n (e^r − 1) + (2^n − 1)`, with `e^r − 1 = r + r² P(r)` (no cancellation near 0, where
/// `n = 0` and `r = x` exactly), summed as `((e^r − 1) + (1 − 2^−n)) · 2^n` so one rounding is
/// made and `n = 128` cannot overflow the scale. -1 below -30, inf above 88.72284, NaN for NaN.
#[inline(always)]
pub fn exp_m1(x: f32) -> f32 {
    const LO: f32 = -30.0; // e^−30 is below half an ulp of 1
    let (r, n) = exp_reduce(x.clamp(LO, EXP_OVERFLOW));
    let em1 = exp_m1_reduced(r);
    // 2^−n is only needed while it matters next to e^r (n < 25); capping keeps it a normal float
    let offset = 1.0 - pow2i(-n.min(100));
    let y = times_pow2(em1 + offset, n);
    // e^x − 1 has the sign of x, −0 included (the reduction above turns −0 into +0)
    select(x > EXP_OVERFLOW, f32::INFINITY, y.copysign(x))
}

/// `e^x` for a reciprocal `1 / (1 + e^x)` (the sigmoid), which only needs `e^x` where it is a
/// normal number or inf: below −86 it is clamped (`1 + e^x` is 1 there either way), so `n ≥ −124`
/// and one scale by `2^(n−1)` (with the 2 folded into `2(1 + q)`) gives the same bits as [`exp`]
/// with six vector instructions fewer. inf above 88.72284, NaN for NaN.
#[inline(always)]
pub(super) fn exp_for_reciprocal(x: f32) -> f32 {
    let (r, n) = exp_reduce(x.clamp(-86.0, EXP_OVERFLOW));
    // 2 e^r: the 2 scales every coefficient, so these are exactly twice exp's bits
    let twice = exp_reduced_times(r, 2.0);
    select(x > EXP_OVERFLOW, f32::INFINITY, twice * pow2i(n - 1))
}

/// `tanh x = −expm1(−2|x|) / (2 + expm1(−2|x|))`, with the sign of `x` (±0 and NaN included):
/// accurate near 0, exactly ±1 far out. `expm1` of an argument in `[−30, 0]` (below −30 it is −1
/// to float32) needs neither [`exp_m1`]'s overflow branch nor its two-step scale (`n ≥ −44`): the
/// same bits with about ten vector instructions fewer.
#[inline(always)]
pub fn tanh(x: f32) -> f32 {
    let a = -2.0 * x.abs();
    // (NaN < −30 is false: NaN goes through)
    let (r, n) = exp_reduce(select(a < -30.0, -30.0, a));
    let em1 = exp_m1_reduced(r);
    let e = (em1 + (1.0 - pow2i(-n))) * pow2i(n);
    (-e / (e + 2.0)).copysign(x)
}
