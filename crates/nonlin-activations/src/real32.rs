//! float32 arithmetic that vectorises: the [`Real`] the CPU kernels use for float32 tensors.
//!
//! The activation formulas of [`crate::activations`] run unchanged on [`F32`]. Every function here is
//! branch-free straight-line code (conditions are selects, `exp` scales by building the exponent's
//! bits), so the compiler turns a loop over a buffer into SIMD code: 8 lanes with AVX2, which the
//! kernels in [`crate::cpu`] enable at run time where the CPU has it. libm's `expf`, `erff`, … are
//! scalar calls and would cap the loop at one element per call.
//!
//! Accuracy: `exp` and `ln` are Cephes' single-precision algorithms (about 1 ulp); `ln(1 + f)` on
//! `[0, 1]` and `erfcx` are polynomial fits made by the scripts in `scripts/` (relative error below
//! 1.5e-7 and 3e-7); `erf` is a Maclaurin series near 0 and `1 − erfc` beyond (absolute error about
//! 2e-7), and `erfc = erfcx · exp(−x²)` keeps its relative accuracy in the tail up to the rounding
//! of `x²` to float32 (a few 1e-6 at |x| = 6); the rest is composed from these in float32, as
//! PyTorch composes it. The results stay
//! within the crate's parity bound (`max(1e-6, 4 ulp)` of PyTorch or of the exact answer), which
//! `tests/pytorch_parity.rs` checks on every activation. Comparisons against configuration
//! constants are exact (as if made in f64, as on the f64 path), so kinks and thresholds select the
//! same branch on both.

use crate::real::{Mask, Real};
use core::ops::{Add, Div, Mul, Neg, Sub};

/// A float32 value in a vectorisable kernel.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct F32(pub f32);

/// A condition on an [`F32`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct F32Mask(pub bool);

impl Mask for F32Mask {
    type Value = F32;
    #[inline(always)]
    fn and(self, other: Self) -> Self {
        // `&` rather than `&&`: both sides are already computed, and no branch keeps it vectorisable
        Self(self.0 & other.0)
    }
    #[inline(always)]
    fn or(self, other: Self) -> Self {
        Self(self.0 | other.0)
    }
    #[inline(always)]
    fn select(self, if_true: F32, if_false: F32) -> F32 {
        if self.0 { if_true } else { if_false }
    }
}

macro_rules! binary_ops {
    ($($trait:ident $method:ident $op:tt;)*) => {$(
        impl $trait for F32 {
            type Output = Self;
            #[inline(always)]
            fn $method(self, rhs: Self) -> Self {
                Self(self.0 $op rhs.0)
            }
        }
        impl $trait<f64> for F32 {
            type Output = Self;
            #[inline(always)]
            fn $method(self, rhs: f64) -> Self {
                // a constant rounds to float32 first, as PyTorch casts a Python scalar
                Self(self.0 $op rhs as f32)
            }
        }
    )*};
}

binary_ops! {
    Add add +;
    Sub sub -;
    Mul mul *;
    Div div /;
}

impl Neg for F32 {
    type Output = Self;
    #[inline(always)]
    fn neg(self) -> Self {
        Self(-self.0)
    }
}

#[inline(always)]
fn select(condition: bool, if_true: f32, if_false: f32) -> f32 {
    if condition { if_true } else { if_false }
}

/// `c[0] xⁿ⁻¹ + c[1] xⁿ⁻² + … + c[n−1]` by Horner's rule (unrolled: `N` is a constant), each
/// step one fused multiply-add: one instruction where the kernels run (AVX2 + FMA, AVX-512,
/// aarch64), and the same result everywhere, since `mul_add` rounds once on every target.
#[inline(always)]
fn polynomial<const N: usize>(x: f32, coefficients: [f32; N]) -> f32 {
    coefficients[1..]
        .iter()
        .fold(coefficients[0], |acc, &c| acc.mul_add(x, c))
}

/// `2^n` for `n` in `-126..=127`, by building the exponent bits.
#[inline(always)]
fn pow2i(n: i32) -> f32 {
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

/// Above this, `e^x` overflows float32.
const EXP_OVERFLOW: f32 = 88.722_84;

/// `x = n ln 2 + r` with `n = round(x log2 e)` and `|r| ≤ ln 2 / 2` (Cephes), for finite `x` in
/// `[-126 ln 2, EXP_OVERFLOW]`: `(r, n)`.
#[inline(always)]
fn exp_reduce(x: f32) -> (f32, i32) {
    // round(x · log2 e) with the 1.5 · 2^23 trick: the sum's low mantissa bits hold n
    const SHIFTER: f32 = 12_582_912.0;
    let t = x * core::f32::consts::LOG2_E + SHIFTER;
    let n = t - SHIFTER;
    let ni = (t.to_bits() as i32) - (SHIFTER.to_bits() as i32);
    (x - n * 0.693_359_4 - n * -2.121_944_4e-4, ni)
}

/// `y · 2^n` for `n` in `-252..=254`, the scale applied in two halves so that subnormal results
/// and `n = 128` come out right.
#[inline(always)]
fn times_pow2(y: f32, n: i32) -> f32 {
    let half = n >> 1;
    y * pow2i(half) * pow2i(n - half)
}

/// `e^x` (Cephes `expf`): `x = n ln 2 + r`, `e^r` by a degree-7 polynomial, times `2^n`. inf
/// above 88.72284, 0 below -104, NaN for NaN.
#[inline(always)]
pub fn exp(x: f32) -> f32 {
    const LO: f32 = -104.0;
    let (r, n) = exp_reduce(x.clamp(LO, EXP_OVERFLOW));
    let y = exp_polynomial(r) * (r * r) + r + 1.0;
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
    let em1 = exp_polynomial(r) * (r * r) + r;
    // 2^−n is only needed while it matters next to e^r (n < 25); capping keeps it a normal float
    let offset = 1.0 - pow2i(-n.min(100));
    let y = times_pow2(em1 + offset, n);
    // e^x − 1 has the sign of x, −0 included (the reduction above turns −0 into +0)
    select(x > EXP_OVERFLOW, f32::INFINITY, y.copysign(x))
}

/// `ln x` (Cephes `logf`): exponent and mantissa split, `ln(1 + m)` by a polynomial for
/// `1 + m` in `[√½, √2)`. Subnormal inputs are scaled up first; -inf at 0, NaN below 0.
#[inline(always)]
pub fn ln(x: f32) -> f32 {
    let subnormal = x < f32::MIN_POSITIVE;
    let scaled = select(subnormal, x * 8_388_608.0, x); // 2^23
    let bits = scaled.to_bits();
    // (a float-to-int `as` is a saturating conversion, which would not vectorise)
    let mut e = ((bits >> 23) & 0xff) as i32 - 126 - if subnormal { 23 } else { 0 };
    // mantissa in [0.5, 1)
    let m = f32::from_bits((bits & 0x007f_ffff) | 0x3f00_0000);
    let low = m < core::f32::consts::FRAC_1_SQRT_2;
    e -= low as i32;
    let m = select(low, m + m - 1.0, m - 1.0);
    let ef = e as f32;
    let z = m * m;
    let p = polynomial(
        m,
        [
            7.037_683_6e-2,
            -1.151_461e-1,
            1.167_699_9e-1,
            -1.242_014_1e-1,
            1.424_932_3e-1,
            -1.666_805_8e-1,
            2.000_071_4e-1,
            -2.499_999_4e-1,
            3.333_333_1e-1_f64 as f32,
        ],
    );
    let y = p * m * z + ef * -2.121_944_4e-4 - 0.5 * z;
    let r = m + y + ef * 0.693_359_4;
    select(
        x.is_nan() || x < 0.0,
        f32::NAN,
        select(
            x == 0.0,
            f32::NEG_INFINITY,
            select(x == f32::INFINITY, f32::INFINITY, r),
        ),
    )
}

/// `ln(1 + x)`, accurate near 0: `ln(u) − ((u − 1) − x) / u` with `u = 1 + x` corrects the rounding
/// of `u` (Goldberg), and `x` itself where `u` rounds to 1.
#[inline(always)]
pub fn ln_1p(x: f32) -> f32 {
    let u = 1.0 + x;
    let corrected = ln(u) - ((u - 1.0) - x) / u;
    select(
        u == 1.0,
        x,
        select(
            u == 0.0,
            f32::NEG_INFINITY,
            select(u == f32::INFINITY, f32::INFINITY, corrected),
        ),
    )
}

/// `ln(1 + f)` for `f` in `[0, 1]` (NaN passes through) as `f · Q(f)`, `Q` a degree-9 fit of
/// `ln(1 + f) / f` at Chebyshev nodes (`scripts/fit_ln_1p_unit.py`; relative error below 1.5e-7,
/// about one ulp): no division and no special cases, where the general `ln_1p` needs both.
/// Softplus and log-sigmoid need only this range.
#[inline(always)]
pub fn ln_1p_unit(f: f32) -> f32 {
    let q = polynomial(
        f,
        [
            -0.003_256_378_5,
            0.019_907_162,
            -0.057_064_2,
            0.106_142_65,
            -0.153_118_63,
            0.196_781_17,
            -0.249_545_59,
            0.333_300_05,
            -0.499_999_05,
            1.0,
        ],
    );
    f * q
}

/// `tanh x = −expm1(−2|x|) / (2 + expm1(−2|x|))`, sign restored: accurate near 0, exactly ±1 far out.
#[inline(always)]
pub fn tanh(x: f32) -> f32 {
    let e = exp_m1(-2.0 * x.abs());
    let t = -e / (e + 2.0);
    select(x < 0.0, -t, t)
}

/// `erfcx |x| = exp(x²) erfc |x|` as `t · G(2t − 1)`, `t = 1 / (1 + |x|/2)`, `G` a degree-10
/// polynomial fitted by `scripts/fit_erfc.py` (relative error below 3e-7 for every |x|, the tail
/// included). Keeping the Gaussian factor `exp(−x²)` outside lets GELU's backward share it with
/// the normal density.
#[inline(always)]
fn erfcx_abs(x: f32) -> f32 {
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
fn erfc_abs(x: f32) -> f32 {
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
    (cdf, gaussian * crate::real::FRAC_1_SQRT_2PI as f32)
}

/// Below this |x|, erf is its Taylor series: `1 − erfc` cancels there.
const ERF_SERIES_BELOW: f32 = 0.6;

/// `erf x` for |x| < 0.6 by its Maclaurin series `2/√π Σ (−1)ⁿ x²ⁿ⁺¹ / (n! (2n + 1))`, n ≤ 8
/// (the next term is below 1e-11).
#[inline(always)]
fn erf_series(x: f32) -> f32 {
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

/// The largest float32 `≤ c` (-inf below the float32 range, NaN for NaN): for every float32 `x`,
/// `x > c ⇔ x > at_or_below(c)` and `x ≤ c ⇔ x ≤ at_or_below(c)`, since no float32 lies strictly
/// between the two.
#[inline(always)]
fn at_or_below(c: f64) -> f32 {
    let nearest = c as f32;
    if f64::from(nearest) > c {
        nearest.next_down()
    } else {
        nearest
    }
}

/// The smallest float32 `≥ c`: `x ≥ c ⇔ x ≥ at_or_above(c)`, `x < c ⇔ x < at_or_above(c)`.
#[inline(always)]
fn at_or_above(c: f64) -> f32 {
    let nearest = c as f32;
    if f64::from(nearest) < c {
        nearest.next_up()
    } else {
        nearest
    }
}

impl Real for F32 {
    type Mask = F32Mask;

    #[inline(always)]
    fn lit(&self, c: f64) -> Self {
        Self(c as f32)
    }
    #[inline(always)]
    fn rsub(self, c: f64) -> Self {
        Self(c as f32 - self.0)
    }
    #[inline(always)]
    fn rdiv(self, c: f64) -> Self {
        Self(c as f32 / self.0)
    }
    #[inline(always)]
    fn exp(self) -> Self {
        Self(exp(self.0))
    }
    #[inline(always)]
    fn exp_m1(self) -> Self {
        Self(exp_m1(self.0))
    }
    #[inline(always)]
    fn ln(self) -> Self {
        Self(ln(self.0))
    }
    #[inline(always)]
    fn ln_1p(self) -> Self {
        Self(ln_1p(self.0))
    }
    #[inline(always)]
    fn sqrt(self) -> Self {
        Self(self.0.sqrt())
    }
    #[inline(always)]
    fn abs(self) -> Self {
        Self(self.0.abs())
    }
    // Snake is the only user of sin and cos; huge arguments need libm's exact range reduction.
    fn sin(self) -> Self {
        Self(f64::from(self.0).sin() as f32)
    }
    fn cos(self) -> Self {
        Self(f64::from(self.0).cos() as f32)
    }
    #[inline(always)]
    fn tanh(self) -> Self {
        Self(tanh(self.0))
    }
    #[inline(always)]
    fn erf(self) -> Self {
        Self(erf(self.0))
    }
    #[inline(always)]
    fn erfc(self) -> Self {
        Self(erfc(self.0))
    }
    #[inline(always)]
    fn hypot(self, other: Self) -> Self {
        // squares of float32 values cannot overflow or underflow in f64, and this vectorises
        let (a, b) = (f64::from(self.0), f64::from(other.0));
        Self((a * a + b * b).sqrt() as f32)
    }
    #[inline(always)]
    fn sigmoid(self) -> Self {
        Self(1.0 / (1.0 + exp(-self.0)))
    }
    #[inline(always)]
    fn ln_1p_exp_neg_abs(self) -> Self {
        Self(ln_1p_unit(exp(-self.0.abs())))
    }
    #[inline(always)]
    fn normal_cdf(self) -> Self {
        Self(normal_cdf_and_pdf(self.0).0)
    }
    #[inline(always)]
    fn normal_cdf_and_pdf(self) -> (Self, Self) {
        let (cdf, pdf) = normal_cdf_and_pdf(self.0);
        (Self(cdf), Self(pdf))
    }
    // Each comparison is the exact one against the f64 constant, made in float32 against the
    // nearest float32 on the right side of it (computed once per loop, not per lane).
    #[inline(always)]
    fn gt(&self, c: f64) -> F32Mask {
        F32Mask(self.0 > at_or_below(c))
    }
    #[inline(always)]
    fn ge(&self, c: f64) -> F32Mask {
        F32Mask(self.0 >= at_or_above(c))
    }
    #[inline(always)]
    fn lt(&self, c: f64) -> F32Mask {
        F32Mask(self.0 < at_or_above(c))
    }
    #[inline(always)]
    fn le(&self, c: f64) -> F32Mask {
        F32Mask(self.0 <= at_or_below(c))
    }
}

#[cfg(test)]
mod tests {
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
            let want_pdf = (-0.5 * x64 * x64).exp() * crate::real::FRAC_1_SQRT_2PI;
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
        assert_eq!(normal_cdf_and_pdf(f32::NEG_INFINITY), (0.0, 0.0));
        assert_eq!(normal_cdf_and_pdf(f32::INFINITY), (1.0, 0.0));
        let (cdf, pdf) = normal_cdf_and_pdf(f32::NAN);
        assert!(cdf.is_nan() && pdf.is_nan());
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
}
