"""Coefficients of `exp_reduced_of_scaled_times` in crates/nonlin-activations/src/math/f32/exp.rs.

e^r for the reduced argument r of Cephes' reduction (|r| ≤ ln 2 / 2, a little more after the
rounding of n), as one polynomial evaluated by Horner's rule: where a caller needs e^r itself and
not e^r − 1 (the normal density and CDF), this is two instructions fewer than `1 + (r + r² P(r))`,
and degree 6 is enough: its error is about 2e-9, far below float32's rounding. The fit minimises the
largest relative error (Lawson's iteratively reweighted least squares, as scripts/fit_erfc.py),
pins the constant term at 1 (so e^0 = 1 exactly), is rounded to float32 and checked by evaluating
it as the kernel does (float32 Horner with fused multiply-adds) against float64 exp.

    python scripts/fit_exp.py [DEGREE]     # default 6, the degree the kernel uses
"""

import sys

import numpy as np

degree = int(sys.argv[1]) if len(sys.argv) > 1 else 6
R_MAX = 0.3466  # ln 2 / 2 = 0.34657…, with room for n's rounding

nodes = 4000
r = R_MAX * np.cos(np.pi * (np.arange(nodes) + 0.5) / nodes)
target = np.exp(r)
# e^r = 1 + r · q(r): fit q, degree − 1, relative to e^r
design = (r[:, None] * np.vander(r, degree, increasing=True)) / target[:, None]
rhs = (target - 1) / target
weights = np.ones_like(r)
best = (np.inf, None)
for _ in range(100):
    root = np.sqrt(weights)
    fit, *_ = np.linalg.lstsq(design * root[:, None], rhs * root, rcond=None)
    error = np.abs(design @ fit - rhs)
    if error.max() < best[0]:
        best = (error.max(), fit)
    weights *= error + 1e-300
    weights /= weights.sum()
coefficients = np.concatenate([[1.0], best[1]]).astype(np.float32)  # lowest power first

rs = np.linspace(-R_MAX, R_MAX, 400_001).astype(np.float32)
acc = np.full_like(rs, coefficients[-1])
for c in coefficients[-2::-1]:
    acc = (acc.astype(np.float64) * rs.astype(np.float64) + np.float64(c)).astype(np.float32)
exact = np.exp(rs.astype(np.float64))
relative = np.abs(acc.astype(np.float64) / exact - 1)
ulp = np.abs(acc.astype(np.float64) - exact) / np.spacing(exact.astype(np.float32)).astype(np.float64)

print(f"degree {degree} on [-{R_MAX}, {R_MAX}]: max relative error of the float64 fit {best[0]:.3e},")
print(f"in float32 {relative.max():.3e} ({ulp.max():.3f} ulp, at r = {rs[ulp.argmax()]})")
print("coefficients, highest power of r first:")
for c in coefficients[::-1]:
    print(f"    {np.format_float_positional(c, unique=True)},")
