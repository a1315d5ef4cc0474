"""Coefficients of `ln_1p_unit` in crates/nonlin-activations/src/real32.rs.

ln(1 + f) = f * Q(f) on [0, 1]: Q is fitted by least squares at 4000 Chebyshev nodes (close to the
minimax polynomial), rounded to float32, and checked by evaluating it as the kernel does (float32
Horner with fused multiply-adds) against float64 log1p on 200,000 points.

    python scripts/fit_ln_1p_unit.py [DEGREE]     # default 9, the degree the kernel uses
"""

import sys

import numpy as np
from numpy.polynomial import chebyshev, polynomial

degree = int(sys.argv[1]) if len(sys.argv) > 1 else 9

nodes = 4000
k = np.arange(nodes)
x = 0.5 - 0.5 * np.cos(np.pi * (k + 0.5) / nodes)
fit = chebyshev.chebfit(2 * x - 1, np.log1p(x) / x, degree)

# from t = 2f - 1 back to powers of f
in_t = chebyshev.cheb2poly(fit)
in_f = np.zeros(1)
for c in in_t[::-1]:
    in_f = polynomial.polyadd(polynomial.polymul(in_f, [-1, 2]), [c])
coefficients = in_f.astype(np.float32)  # lowest power first

f = np.linspace(0, 1, 200_001)[1:].astype(np.float32)
acc = np.full_like(f, coefficients[-1])
for c in coefficients[-2::-1]:
    # one rounding per step, as a fused multiply-add
    acc = (acc.astype(np.float64) * f.astype(np.float64) + np.float64(c)).astype(np.float32)
value = (acc.astype(np.float64) * f.astype(np.float64)).astype(np.float32)
exact = np.log1p(f.astype(np.float64))
error = np.abs(value.astype(np.float64) - exact) / exact

print(f"degree {degree}: max relative error {error.max():.3e}")
print("coefficients, highest power first:")
for c in coefficients[::-1]:
    print(f"    {np.format_float_positional(c, unique=True)},")  # shortest that rounds back
