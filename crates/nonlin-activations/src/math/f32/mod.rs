//! float32 arithmetic that vectorises: the [`Real`] the CPU kernels use for float32 tensors.
//!
//! The activation formulas of [`crate::activations`] run unchanged on [`F32`]. Every function here is
//! branch-free straight-line code (conditions are selects, `exp` scales by building the exponent's
//! bits), so the compiler turns a loop over a buffer into SIMD code: 8 lanes with AVX2, which the
//! kernels in `crate::cpu` enable at run time where the CPU has it. libm's `expf`, `erff`, … are
//! scalar calls and would cap the loop at one element per call.
//!
//! Accuracy: `ln` is Cephes' single-precision algorithm, `exp` Cephes' argument reduction with a
//! fitted degree-6 polynomial for `e^r` (both about 1 ulp; `expm1` and `tanh` keep Cephes'
//! `r + r² P(r)`, exact near 0); `e^r`, `ln(1 + f)` on `[0, 1]` and `erfcx` are polynomial fits
//! made by the scripts in `scripts/` (relative error below 1e-7, 1.5e-7 and about 3e-7, the last
//! on the interval its callers need); `erf` is a Maclaurin series near 0 and `1 − erfc` beyond
//! (absolute error about 2e-7), and `erfc = erfcx · exp(−x²)` keeps its relative accuracy in the
//! tail up to the rounding of `x²` to float32 (a few 1e-6 at |x| = 6); the rest is composed from
//! these in float32, as PyTorch composes it. The results stay within the crate's parity bound
//! (`max(1e-6, 4 ulp)` of PyTorch or of the exact answer), which `tests/pytorch_parity.rs` checks
//! on every activation. Comparisons against configuration constants are exact (as if made in f64,
//! as on the f64 path), so kinks and thresholds select the same branch on both.

mod erf;
mod exp;
mod log;
#[cfg(test)]
mod tests;

use super::real::{Mask, Real};
use core::ops::{Add, Div, Mul, Neg, Sub};
pub use erf::{erf, erfc, normal_cdf_and_pdf, times_normal_cdf};
pub use exp::{exp, exp_m1, tanh};
pub use log::{ln, ln_1p, ln_1p_unit};

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
        Self(1.0 / (1.0 + exp::exp_for_reciprocal(-self.0)))
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
    fn times_normal_cdf(self) -> Self {
        Self(times_normal_cdf(self.0))
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
