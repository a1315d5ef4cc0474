//! The float types the CPU kernels compute in (float32 and float64) and what the kernels need of
//! them, written once: float32's `exp` is the crate's branch-free one, so that loops over it
//! vectorise.

use core::ops::{Add, Div, Mul, Sub};

pub(super) trait Float:
    Copy
    + Send
    + Sync
    + 'static
    + PartialOrd
    + Add<Output = Self>
    + Sub<Output = Self>
    + Mul<Output = Self>
    + Div<Output = Self>
{
    const ZERO: Self;
    const ONE: Self;
    const NEG_INFINITY: Self;
    fn from_f64(x: f64) -> Self;
    fn from_usize(n: usize) -> Self;
    fn exp(self) -> Self;
    fn sqrt(self) -> Self;
    fn recip(self) -> Self;
}

impl Float for f32 {
    const ZERO: Self = 0.0;
    const ONE: Self = 1.0;
    const NEG_INFINITY: Self = f32::NEG_INFINITY;
    fn from_f64(x: f64) -> Self {
        x as f32
    }
    fn from_usize(n: usize) -> Self {
        n as f32
    }
    #[inline(always)]
    fn exp(self) -> Self {
        // 2 ulp, branch-free (`std`'s calls libm per element)
        crate::math::f32::exp(self)
    }
    #[inline(always)]
    fn sqrt(self) -> Self {
        f32::sqrt(self)
    }
    #[inline(always)]
    fn recip(self) -> Self {
        1.0 / self
    }
}

impl Float for f64 {
    const ZERO: Self = 0.0;
    const ONE: Self = 1.0;
    const NEG_INFINITY: Self = f64::NEG_INFINITY;
    fn from_f64(x: f64) -> Self {
        x
    }
    fn from_usize(n: usize) -> Self {
        n as f64
    }
    #[inline(always)]
    fn exp(self) -> Self {
        f64::exp(self)
    }
    #[inline(always)]
    fn sqrt(self) -> Self {
        f64::sqrt(self)
    }
    #[inline(always)]
    fn recip(self) -> Self {
        1.0 / self
    }
}
