//! The arithmetic that activation formulas are written in.
//!
//! Every activation states its value and derivative once, generic over [`Real`]. The same text then
//! runs three ways:
//! - on [`crate::math::f32::F32`] lanes, inside the single-pass CPU kernels (flex, ndarray) for float32
//!   tensors: vectorised float32 arithmetic, within the parity bound of PyTorch;
//! - on `f64` scalars, in the same kernels for float64 tensors;
//! - on a backend's float tensors ([`TensorReal`]), where each operation becomes a tensor primitive.
//!   On wgpu, Burn's fusion turns the chain into one kernel.
//!
//! Branches are written as `mask.select(if_true, if_false)`: both sides are computed and one is
//! kept, so a side that overflows or divides by zero where it is not selected does no harm. Each
//! condition is written the way PyTorch's kernel writes it (`x <= 0` rather than `!(x > 0)`), which
//! fixes what a NaN input selects.

use burn::backend::{
    Backend, TensorMetadata, get_or_init_device_settings,
    tensor::{BoolTensor, FloatTensor},
};
use core::ops::{Add, Div, Mul, Neg, Sub};

/// `1/√(2π)`, the normal density's constant.
pub(crate) const FRAC_1_SQRT_2PI: f64 = 0.398_942_280_401_432_7;

/// A boolean per element: `bool` for scalars, a bool tensor for tensors.
pub trait Mask: Clone {
    /// The real type this mask selects between.
    type Value;
    /// Element-wise logical and.
    fn and(self, other: Self) -> Self;
    /// Element-wise logical or.
    fn or(self, other: Self) -> Self;
    /// `if self { if_true } else { if_false }`, element-wise.
    fn select(self, if_true: Self::Value, if_false: Self::Value) -> Self::Value;
}

/// Numbers, or tensors of numbers, with the operations activation formulas need.
pub trait Real:
    Clone
    + Add<Output = Self>
    + Sub<Output = Self>
    + Mul<Output = Self>
    + Div<Output = Self>
    + Neg<Output = Self>
    + Add<f64, Output = Self>
    + Sub<f64, Output = Self>
    + Mul<f64, Output = Self>
    + Div<f64, Output = Self>
{
    /// The mask type that comparisons produce.
    type Mask: Mask<Value = Self>;

    /// The constant `c`, shaped like `self`.
    fn lit(&self, c: f64) -> Self;
    /// `c - self`.
    #[inline(always)]
    fn rsub(self, c: f64) -> Self {
        -self + c
    }
    /// `c / self`.
    #[inline(always)]
    fn rdiv(self, c: f64) -> Self {
        let one = self.lit(c);
        one / self
    }
    /// `self * self`.
    #[inline(always)]
    fn square(self) -> Self {
        self.clone() * self
    }

    fn exp(self) -> Self;
    /// `exp(self) - 1`, accurate near zero.
    fn exp_m1(self) -> Self;
    fn ln(self) -> Self;
    /// `ln(1 + self)`, accurate near zero.
    fn ln_1p(self) -> Self;
    fn sqrt(self) -> Self;
    fn abs(self) -> Self;
    fn sin(self) -> Self;
    fn cos(self) -> Self;
    fn tanh(self) -> Self;
    fn erf(self) -> Self;
    /// `1 - erf(self)`, accurate where erf is close to one.
    fn erfc(self) -> Self;
    /// `sqrt(self² + other²)` without overflow or underflow in the squares.
    fn hypot(self, other: Self) -> Self;

    /// `self · exp(x)` for `x ≤ 0` (or NaN), given `exp_x = exp(x)` as this type computes it
    /// (formulas have it already), with no subnormal intermediate, so the product is right
    /// wherever it is a normal number even when `exp(x)` alone is subnormal
    /// (`3.4e38 · exp(−88) = 2.06`). A GPU flushes subnormal float32 values to zero, so the plain
    /// product, the default (exact on the CPU), gives 0 there; [`TensorReal`] overrides it with an
    /// argument reduction (to ~2e-6 relative on lavapipe, whose compiler reassociates the
    /// reduction's two-part `ln 2`; a few ulps where it does not).
    #[inline(always)]
    fn mul_exp(self, x: Self, exp_x: Self) -> Self {
        let _ = x;
        self * exp_x
    }

    /// `1 / (1 + exp(-self))`: 0 at -inf, 1 at +inf, never NaN from a number.
    #[inline(always)]
    fn sigmoid(self) -> Self {
        ((-self).exp() + 1.0).rdiv(1.0)
    }

    /// `σ'(z) = σ(z) σ(−z) = e / (1 + e)²` with `e = exp(−|z|)`: one exponential, which cannot
    /// overflow, and no cancellation of `σ(z)(1 − σ(z))`; 0 when `z` is far out on either side,
    /// so `x · sigmoid_slope(z)` is 0, not NaN, whenever `x` is finite.
    #[inline(always)]
    fn sigmoid_slope(self) -> Self {
        let e = (-self.abs()).exp();
        e.clone() / (e + 1.0).square()
    }

    /// `(σ(z), σ'(z))` from one exponential `e = exp(−|z|)`: `σ(|z|) = 1 / (1 + e)`,
    /// `σ(−|z|) = e σ(|z|)`, `σ' = σ(|z|) σ(−|z|)`. For derivatives of the form `σ(z) + c · x σ'(z)`
    /// (SiLU, Swish, QuickGELU, GELU-tanh).
    #[inline(always)]
    fn sigmoid_and_slope(self) -> (Self, Self) {
        let e = (-self.clone().abs()).exp();
        let upper = (e.clone() + 1.0).rdiv(1.0);
        let lower = e * upper.clone();
        let slope = lower.clone() * upper.clone();
        (self.ge(0.0).select(upper, lower), slope)
    }

    /// `Φ(x)`, the standard normal CDF, as `erfc(−x/√2)/2`: accurate in the left tail.
    #[inline(always)]
    fn normal_cdf(self) -> Self {
        (-self * core::f64::consts::FRAC_1_SQRT_2).erfc() * 0.5
    }

    /// `(Φ(x), φ(x))`: [`Real::normal_cdf`] and the density `exp(−x²/2)/√(2π)`.
    #[inline(always)]
    fn normal_cdf_and_pdf(self) -> (Self, Self) {
        let pdf = (self.clone().square() * -0.5).exp() * FRAC_1_SQRT_2PI;
        (self.normal_cdf(), pdf)
    }

    /// `x Φ(x)`, GELU's value: `x · 0` = NaN at −inf (float32 kernels may give the limit −0).
    #[inline(always)]
    fn times_normal_cdf(self) -> Self {
        self.clone() * self.normal_cdf()
    }

    /// `ln(1 + exp(−|z|))`, in `(0, ln 2]`: the part of softplus and log-sigmoid that cannot
    /// overflow.
    #[inline(always)]
    fn ln_1p_exp_neg_abs(self) -> Self {
        (-self.abs()).exp().ln_1p()
    }

    /// `1 − tanh²(v) = 4 σ(2v) σ(−2v)`, accurate where tanh is close to ±1.
    #[inline(always)]
    fn sech2(self) -> Self {
        (self * 2.0).sigmoid_slope() * 4.0
    }

    fn gt(&self, c: f64) -> Self::Mask;
    fn ge(&self, c: f64) -> Self::Mask;
    fn lt(&self, c: f64) -> Self::Mask;
    fn le(&self, c: f64) -> Self::Mask;
}

impl Mask for bool {
    type Value = f64;
    fn and(self, other: Self) -> Self {
        self && other
    }
    fn or(self, other: Self) -> Self {
        self || other
    }
    fn select(self, if_true: f64, if_false: f64) -> f64 {
        if self { if_true } else { if_false }
    }
}

impl Real for f64 {
    type Mask = bool;

    fn lit(&self, c: f64) -> Self {
        c
    }
    fn rsub(self, c: f64) -> Self {
        c - self
    }
    fn rdiv(self, c: f64) -> Self {
        c / self
    }
    fn exp(self) -> Self {
        f64::exp(self)
    }
    fn exp_m1(self) -> Self {
        f64::exp_m1(self)
    }
    fn ln(self) -> Self {
        f64::ln(self)
    }
    fn ln_1p(self) -> Self {
        f64::ln_1p(self)
    }
    fn sqrt(self) -> Self {
        f64::sqrt(self)
    }
    fn abs(self) -> Self {
        f64::abs(self)
    }
    fn sin(self) -> Self {
        f64::sin(self)
    }
    fn cos(self) -> Self {
        f64::cos(self)
    }
    fn tanh(self) -> Self {
        f64::tanh(self)
    }
    fn erf(self) -> Self {
        libm::erf(self)
    }
    fn erfc(self) -> Self {
        libm::erfc(self)
    }
    fn hypot(self, other: Self) -> Self {
        f64::hypot(self, other)
    }
    fn sigmoid(self) -> Self {
        1.0 / (1.0 + f64::exp(-self))
    }
    fn gt(&self, c: f64) -> bool {
        *self > c
    }
    fn ge(&self, c: f64) -> bool {
        *self >= c
    }
    fn lt(&self, c: f64) -> bool {
        *self < c
    }
    fn le(&self, c: f64) -> bool {
        *self <= c
    }
}

/// A float tensor of backend `B`, seen as a [`Real`]: each operation is one tensor primitive.
pub struct TensorReal<B: Backend>(pub FloatTensor<B>);

/// A bool tensor of backend `B`, the [`Mask`] of [`TensorReal`].
pub struct TensorMask<B: Backend>(pub BoolTensor<B>);

impl<B: Backend> Clone for TensorReal<B> {
    fn clone(&self) -> Self {
        Self(self.0.clone())
    }
}

impl<B: Backend> Clone for TensorMask<B> {
    fn clone(&self) -> Self {
        Self(self.0.clone())
    }
}

impl<B: Backend> Mask for TensorMask<B> {
    type Value = TensorReal<B>;
    fn and(self, other: Self) -> Self {
        Self(B::bool_and(self.0, other.0))
    }
    fn or(self, other: Self) -> Self {
        Self(B::bool_or(self.0, other.0))
    }
    fn select(self, if_true: TensorReal<B>, if_false: TensorReal<B>) -> TensorReal<B> {
        TensorReal(B::float_mask_where(if_false.0, self.0, if_true.0))
    }
}

/// Below this magnitude, `exp_m1` and `ln_1p` on tensors use their Taylor series (six terms: the
/// truncation error is below 2^-7·6 / 7 ≈ 1e-13, relative).
const SMALL: f64 = 1.0 / 128.0;

/// `exp(x) − 1 = x · (1 + x/2 + x²/6 + …)`: the coefficients of [`horner`] up to `x⁷/7!`.
const EXP_M1_TAYLOR: [f64; 7] = [
    1.0,
    1.0 / 2.0,
    1.0 / 6.0,
    1.0 / 24.0,
    1.0 / 120.0,
    1.0 / 720.0,
    1.0 / 5040.0,
];

/// `x · (c₀ + x · (c₁ + x · (c₂ + …)))`.
fn horner<R: Real>(x: R, coefficients: &[f64]) -> R {
    let (last, rest) = coefficients.split_last().expect("at least one coefficient");
    let mut acc = x.lit(*last);
    for &c in rest.iter().rev() {
        acc = acc * x.clone() + c;
    }
    acc * x
}

macro_rules! tensor_binary_ops {
    ($($trait:ident $method:ident $tensor_op:ident $scalar_op:ident;)*) => {$(
        impl<B: Backend> $trait for TensorReal<B> {
            type Output = Self;
            fn $method(self, rhs: Self) -> Self {
                Self(B::$tensor_op(self.0, rhs.0))
            }
        }
        impl<B: Backend> $trait<f64> for TensorReal<B> {
            type Output = Self;
            fn $method(self, rhs: f64) -> Self {
                Self(B::$scalar_op(self.0, rhs.into()))
            }
        }
    )*};
}

tensor_binary_ops! {
    Add add float_add float_add_scalar;
    Sub sub float_sub float_sub_scalar;
    Mul mul float_mul float_mul_scalar;
    Div div float_div float_div_scalar;
}

impl<B: Backend> Neg for TensorReal<B> {
    type Output = Self;
    fn neg(self) -> Self {
        Self(B::float_neg(self.0))
    }
}

impl<B: Backend> TensorReal<B> {
    fn bool_dtype(&self) -> burn::tensor::BoolDType {
        get_or_init_device_settings::<B>(&self.0.device()).bool_dtype
    }
}

impl<B: Backend> Real for TensorReal<B> {
    type Mask = TensorMask<B>;

    fn lit(&self, c: f64) -> Self {
        let shape = self.0.shape();
        let device = self.0.device();
        Self(B::float_full(
            shape,
            c.into(),
            &device,
            self.0.dtype().into(),
        ))
    }
    fn rsub(self, c: f64) -> Self {
        Self(B::float_add_scalar(B::float_neg(self.0), c.into()))
    }
    fn rdiv(self, c: f64) -> Self {
        Self(B::float_mul_scalar(B::float_recip(self.0), c.into()))
    }
    fn exp(self) -> Self {
        Self(B::float_exp(self.0))
    }
    fn mul_exp(self, x: Self, _exp_x: Self) -> Self {
        // exp(x) = 2^-m · exp(r), m = −round(x / ln 2) ≥ 0, r = x + m ln 2 in [−ln2/2, ln2/2] (the
        // two-part ln 2 keeps r exact to rounding); 2^-m is applied to `self` in steps of normal powers of two, all exact, largest
        // first, so an intermediate is subnormal only if the result is. Below −200 the product is
        // below the smallest subnormal for any finite self, so x is clamped there (NaN kept).
        const LN2_HI: f64 = 0.693_145_751_953_125; // 0x3F317200: 16 bits, n · LN2_HI is exact
        const LN2_LO: f64 = 1.428_606_765_330_187e-6;
        let x = x.lt(-200.0).select(x.lit(-200.0), x);
        let m = Self(B::float_round((-x.clone() * core::f64::consts::LOG2_E).0));
        let r = (x + m.clone() * LN2_HI) + m.clone() * LN2_LO;
        let mut scaled = self;
        let mut m = m;
        for step in [64, 64, 64, 64, 32, 16, 8, 4, 2, 1] {
            let take = m.ge(f64::from(step));
            scaled = take
                .clone()
                .select(scaled.clone() * 2f64.powi(-step), scaled);
            m = take.select(m.clone() - f64::from(step), m);
        }
        // exp(r) by its Taylor polynomial (truncation below 0.35^8/8! ≈ 6e-9): a device's exp may
        // be accurate only to ~2^-20 (lavapipe's), too coarse once multiplied by a huge `self`
        let exp_r = horner(r.clone(), &EXP_M1_TAYLOR) + 1.0;
        scaled * exp_r
    }
    fn exp_m1(self) -> Self {
        // GPU exp and log are only accurate to an absolute ~1e-7 near 1 (the Vulkan spec allows
        // 2^-21 for log), so exp(x) − 1 loses all relative accuracy for small x. There, a Taylor
        // polynomial, which needs only multiply and add, is exact to rounding.
        let small = self.ge(-SMALL).and(self.le(SMALL));
        let series = horner(self.clone(), &EXP_M1_TAYLOR[..6]);
        small.select(series, self.exp() - 1.0)
    }
    fn ln(self) -> Self {
        Self(B::float_log(self.0))
    }
    fn ln_1p(self) -> Self {
        // As for exp_m1: a device's log1p may be a plain ln(1 + x), so near 0 use the series.
        let small = self.ge(-SMALL).and(self.le(SMALL));
        let series = horner(
            self.clone(),
            &[
                1.0,
                -1.0 / 2.0,
                1.0 / 3.0,
                -1.0 / 4.0,
                1.0 / 5.0,
                -1.0 / 6.0,
            ],
        );
        small.select(series, Self(B::float_log1p(self.0)))
    }
    fn sqrt(self) -> Self {
        Self(B::float_sqrt(self.0))
    }
    fn abs(self) -> Self {
        Self(B::float_abs(self.0))
    }
    fn sin(self) -> Self {
        Self(B::float_sin(self.0))
    }
    fn cos(self) -> Self {
        Self(B::float_cos(self.0))
    }
    fn tanh(self) -> Self {
        // tanh|x| = −expm1(−2|x|) / (2 + expm1(−2|x|)), sign restored: accurate near 0, exactly ±1
        // far out, where a driver's tanh may lose accuracy or return NaN.
        let positive = self.gt(0.0);
        let e = (self.clone().abs() * -2.0).exp_m1();
        let t = -e.clone() / (e + 2.0);
        let negated = -t.clone();
        positive.select(t, negated)
    }
    fn erf(self) -> Self {
        Self(B::float_erf(self.0))
    }
    fn erfc(self) -> Self {
        Self(B::float_erf(self.0)).rsub(1.0)
    }
    fn hypot(self, other: Self) -> Self {
        Self(B::float_hypot(self.0, other.0))
    }
    fn gt(&self, c: f64) -> TensorMask<B> {
        TensorMask(B::float_greater_elem(
            self.0.clone(),
            c.into(),
            self.bool_dtype(),
        ))
    }
    fn ge(&self, c: f64) -> TensorMask<B> {
        TensorMask(B::float_greater_equal_elem(
            self.0.clone(),
            c.into(),
            self.bool_dtype(),
        ))
    }
    fn lt(&self, c: f64) -> TensorMask<B> {
        TensorMask(B::float_lower_elem(
            self.0.clone(),
            c.into(),
            self.bool_dtype(),
        ))
    }
    fn le(&self, c: f64) -> TensorMask<B> {
        TensorMask(B::float_lower_equal_elem(
            self.0.clone(),
            c.into(),
            self.bool_dtype(),
        ))
    }
}
