//! `ln x`, `ln(1 + x)` in float32 (Cephes `logf` and a fitted `ln(1 + f)` on `[0, 1]`).

use super::*;

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
