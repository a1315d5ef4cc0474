"""Coefficients of `erfc_abs` in crates/nonlin-activations/src/real32.rs.

erfc(z) = t · exp(−z²) · G(t) for z ≥ 0, with t = 1 / (1 + z/2) in (0, 1]: G(t) = erfcx(z) / t is
smooth on (0, 1] (erfcx(z) = exp(z²) erfc(z)), so a polynomial fits it to float32 accuracy; its
argument is s = 2t − 1 in (−1, 1], where powers of s stay well conditioned. The fit is least
squares at Chebyshev nodes (close to minimax), rounded to float32, and checked by evaluating
t · G(t) as the kernel does (float32 Horner with fused multiply-adds) against float64 erfcx.
Keeping exp(−z²) a separate factor lets GELU's backward reuse it for the normal density.

    python scripts/fit_erfc.py [DEGREE]     # default 10, the degree the kernel uses
"""

import sys

import numpy as np
import torch
from numpy.polynomial import chebyshev

degree = int(sys.argv[1]) if len(sys.argv) > 1 else 10


def erfcx(z):
    return torch.special.erfcx(torch.from_numpy(np.asarray(z, dtype=np.float64))).numpy()


nodes = 8000
k = np.arange(nodes)
t = 0.5 - 0.5 * np.cos(np.pi * (k + 0.5) / nodes)
z = (1 - t) / (0.5 * t)
fit = chebyshev.chebfit(2 * t - 1, erfcx(z) / t, degree)
coefficients = chebyshev.cheb2poly(fit).astype(np.float32)  # powers of s, lowest first

zs = np.concatenate([np.linspace(0, 10, 400_001), np.geomspace(10, 1e18, 20_001)]).astype(np.float32)
ts = (np.float32(1) / (np.float32(0.5) * zs + np.float32(1))).astype(np.float32)
s = (np.float32(2) * ts - np.float32(1)).astype(np.float32)
acc = np.full_like(s, coefficients[-1])
for c in coefficients[-2::-1]:
    acc = (acc.astype(np.float64) * s.astype(np.float64) + np.float64(c)).astype(np.float32)
value = (ts.astype(np.float64) * acc.astype(np.float64)).astype(np.float32)
exact = erfcx(zs.astype(np.float64))
error = np.abs(value.astype(np.float64) / exact - 1)

print(f"degree {degree}: max relative error of t·G(t) {error.max():.3e} (at z = {zs[error.argmax()]})")
print("coefficients, highest power of s first:")
for c in coefficients[::-1]:
    print(f"    {np.format_float_positional(c, unique=True)},")
