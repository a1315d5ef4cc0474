#!/usr/bin/env python3
"""Generate the PyTorch reference values that nonlin-activations is tested against.

    python -m venv .venv && .venv/bin/pip install -r scripts/requirements.txt
    .venv/bin/python scripts/pytorch_fixtures.py

writes crates/nonlin-activations/tests/fixtures/pytorch.json. The tests only read that file; they never
run Python. Every value is float32, computed by PyTorch on the CPU in float32, and stored as its IEEE-754
bit pattern (an unsigned integer) so that NaN, +-inf, -0.0 and subnormals survive the round trip exactly.

Each pointwise case holds, over one shared input grid:
  y      f(x)
  dx     d sum(f(x)) / dx, i.e. f'(x) with PyTorch's convention at kinks
  dparam for learnable activations, d f(x_i) / d p_i with one parameter per grid point, so each
         element's parameter gradient is checked, not only their sum.
and the same three computed by PyTorch in float64 from the same float32 inputs, then rounded to
float32 (y64, dx64, dparam64): the exact answer, to within rounding. PyTorch's float32 result can be
further from it than the tolerance (cancellation in 1 - sigmoid, overflow of an intermediate, NaN from
inf * 0); the tests accept a value that matches either.
Activations that PyTorch does not ship (QuickGELU, Swish with beta, squared ReLU, Squareplus, Snake) are the
float32 PyTorch expressions that Hugging Face transformers and the papers use, written so that they stay
finite wherever the true value is finite.
"""

import json
import math
import pathlib

import torch
import torch.nn.functional as F

OUT = pathlib.Path(__file__).resolve().parent.parent / "crates/nonlin-activations/tests/fixtures/pytorch.json"
F32 = torch.float32
MAX = torch.finfo(F32).max


def bits(t):
    """float32 tensor -> list of IEEE-754 bit patterns."""
    return t.detach().contiguous().reshape(-1).to(F32).view(torch.int32).to(torch.int64).bitwise_and(0xFFFFFFFF).tolist()


def grid():
    """-1000..1000, dense near zero, every kink and threshold with its float32 neighbours, and edge inputs."""
    pts = set()
    # every 0.01 in [-10, 10]: includes 0, +-0.5, +-1, +-2, +-3, +-6 exactly
    for k in range(-1000, 1001):
        pts.add(k / 100.0)
    # geometric out to 1000, both signs
    for i in range(201):
        v = 10.0 ** (1.0 + 2.0 * i / 200.0)
        pts.add(v)
        pts.add(-v)
    # tiny magnitudes and the smallest subnormal
    for v in [1e-45, 1e-40, 1e-38, 1e-30, 1e-20, 1e-10, 1e-7, 1e-5, 1e-4, 1e-3]:
        pts.add(v)
        pts.add(-v)
    # thresholds where formulas switch branch or overflow: softplus (20, 10 for beta=2 -> 5), exp overflow
    # (88.72), the ELU family's old NaN zone (>= 89), sigmoid/tanh saturation, sin of large arguments
    for v in [0.25, 0.5, 1.0, 1.5, 2.0, 3.0, 5.0, 6.0, 9.0, 10.0, 15.0, 17.0, 20.0, 30.0, 40.0, 50.0,
              80.0, 87.0, 88.0, 88.72283935546875, 89.0, 90.0, 100.0, 103.0, 104.0, 200.0, 500.0, 999.0, 1000.0]:
        pts.add(v)
        pts.add(-v)
    base = torch.tensor(sorted(pts), dtype=torch.float64).to(F32)
    # float32 neighbours of every kink
    kinks = torch.tensor([0.0, 0.5, -0.5, 1.0, -1.0, 2.0, -2.0, 3.0, -3.0, 6.0, -6.0, 5.0, 10.0, 20.0, -20.0],
                         dtype=F32)
    up = torch.nextafter(kinks, torch.full_like(kinks, math.inf))
    down = torch.nextafter(kinks, torch.full_like(kinks, -math.inf))
    edge = torch.tensor([MAX, -MAX, 1e30, -1e30, 1e20, -1e20, math.inf, -math.inf, math.nan, -0.0], dtype=F32)
    allv = torch.cat([base, up, down, edge])
    # de-duplicate by bit pattern, keep a deterministic order (NaN sorts last)
    seen, out = set(), []
    for b, v in sorted(zip(bits(allv), allv.tolist()), key=lambda p: (math.isnan(p[1]), p[1], p[0])):
        if b not in seen:
            seen.add(b)
            out.append(b)
    return torch.tensor(out, dtype=torch.int64).to(torch.int32).view(F32)


def evaluate(fn, grid, param_init, dtype):
    """(y, dx, dparam or None) of fn on grid, computed in dtype."""
    x = grid.to(dtype).requires_grad_(True)
    if param_init is None:
        y = fn(x)
        (dx,) = torch.autograd.grad(y.sum(), [x])
        return y, dx, None
    p = torch.full_like(x, param_init).detach().requires_grad_(True)
    y = fn(x, p)
    dx, dp = torch.autograd.grad(y.sum(), [x, p])
    return y, dx, dp


# Special inputs, each in a block of BLOCK copies: PyTorch's CPU kernels treat the elements of a vector
# loop and those of its scalar tail differently at NaN (ELU's gradient at NaN is NaN in the first, 1 in
# the second), and the grid above has NaN as its last element, in the tail. A block fills whole vectors,
# which is what a user's tensor gets; the script checks that every copy in a block agrees.
SPECIAL = [math.nan, math.inf, -math.inf, MAX, -MAX, 0.0, -0.0, 1e-45, -1e-45]
BLOCK = 64


def special_grid():
    return torch.tensor(SPECIAL, dtype=F32).repeat_interleave(BLOCK)


def per_block(t, spec):
    """The one value of each block, as bits; fails if PyTorch gave the copies of a block different values
    (NaNs of any sign or payload count as one value)."""
    v = t.detach().to(F32).reshape(-1, BLOCK)
    nan = torch.isnan(v)
    b = torch.tensor(bits(v), dtype=torch.int64).reshape(-1, BLOCK)
    same = (b == b[:, :1]) | (nan & nan[:, :1])
    assert bool(same.all()), f"{spec}: PyTorch's values differ within a block of equal inputs"
    return b[:, 0].tolist()


def pointwise(spec, fn, reference, param_init=None):
    """fn(x) or fn(x, p) with p holding one parameter per element (broadcast as PyTorch's channel dim 1)."""
    y, dx, dp = evaluate(fn, GRID, param_init, F32)
    y64, dx64, dp64 = evaluate(fn, GRID, param_init, torch.float64)
    assert y.dtype == F32 and dx.dtype == F32 and y64.dtype == torch.float64, spec
    case = {"spec": spec, "reference": reference, "y": bits(y), "dx": bits(dx), "y64": bits(y64), "dx64": bits(dx64)}
    case["dparam"] = None if dp is None else bits(dp)
    case["dparam64"] = None if dp64 is None else bits(dp64)
    special = {}
    for suffix, dtype in (("", F32), ("64", torch.float64)):
        sy, sdx, sdp = evaluate(fn, special_grid(), param_init, dtype)
        special["y" + suffix] = per_block(sy, spec)
        special["dx" + suffix] = per_block(sdx, spec)
        special["dparam" + suffix] = None if sdp is None else per_block(sdp, spec)
    case["special"] = special
    return case


def glu_special_cases():
    """The GLU family where value a and gate b are special (ReReLU's gate gradient at a = inf, b <= 0 is the
    case PyTorch's threshold_backward answers 0): x is [2, n] split along dim 0, so each half is
    contiguous, every (a, b) pair is a block of BLOCK copies, and the upstream gradient is 1."""
    values = [math.inf, -math.inf, math.nan, MAX, -MAX, 1.0]
    gates = [-math.inf, -88.0, -1.0, 0.0, 1.0, math.inf, math.nan]
    pairs = [(a, b) for a in values for b in gates]
    a = torch.tensor([p[0] for p in pairs], dtype=F32).repeat_interleave(BLOCK)
    b = torch.tensor([p[1] for p in pairs], dtype=F32).repeat_interleave(BLOCK)
    glu = {"glu": torch.sigmoid, "geglu": F.gelu, "swiglu": F.silu, "reglu": F.relu, "bilinear": lambda t: t}
    cases = []
    for name, act in glu.items():
        def run(dtype):
            x = torch.stack([a, b]).to(dtype).requires_grad_(True)
            y = x[0] * act(x[1])
            (dx,) = torch.autograd.grad(y.sum(), [x])
            return y, dx
        y, dx = run(F32)
        y64, dx64 = run(torch.float64)
        cases.append({"spec": f"{name}(dim=0)", "a": [bits(torch.tensor([p[0]], dtype=F32))[0] for p in pairs],
                      "b": [bits(torch.tensor([p[1]], dtype=F32))[0] for p in pairs],
                      "y": per_block(y, name), "da": per_block(dx[0], name), "db": per_block(dx[1], name),
                      "y64": per_block(y64.to(F32), name), "da64": per_block(dx64[0].to(F32), name),
                      "db64": per_block(dx64[1].to(F32), name)})
    return cases


def squareplus(x, b=4.0):
    # (x + sqrt(x^2 + b)) / 2, rewritten for x < 0 as b / (2 (sqrt(x^2 + b) - x)) so neither branch
    # overflows or cancels; hypot keeps sqrt(x^2 + b) finite up to f32::MAX.
    r = torch.hypot(x, torch.tensor(math.sqrt(b), dtype=x.dtype))
    pos = 0.5 * x + 0.5 * r
    neg = (0.5 * b) / (r - x)
    return torch.where(x >= 0, pos, neg)


def snake(x, a):
    # Ziyin et al. 2020: x + sin^2(a x) / a
    return x + torch.sin(a * x) ** 2 / a


CASES = [
    ("identity", lambda x: x * 1.0, "x"),
    ("relu", F.relu, "F.relu(x)"),
    ("leaky_relu", lambda x: F.leaky_relu(x, 0.01), "F.leaky_relu(x, 0.01)"),
    ("leaky_relu(0.2)", lambda x: F.leaky_relu(x, 0.2), "F.leaky_relu(x, 0.2)"),
    ("rrelu", lambda x: F.rrelu(x, training=False), "F.rrelu(x, 1/8, 1/3, training=False)"),
    ("rrelu(lower=0.1, upper=0.3)", lambda x: F.rrelu(x, 0.1, 0.3, training=False),
     "F.rrelu(x, 0.1, 0.3, training=False)"),
    ("relu6", F.relu6, "F.relu6(x)"),
    ("elu", F.elu, "F.elu(x)"),
    ("elu(alpha=0.5)", lambda x: F.elu(x, 0.5), "F.elu(x, 0.5)"),
    ("selu", F.selu, "F.selu(x)"),
    ("celu", F.celu, "F.celu(x)"),
    ("celu(alpha=0.5)", lambda x: F.celu(x, 0.5), "F.celu(x, 0.5)"),
    ("gelu", F.gelu, "F.gelu(x)"),
    ("gelu_tanh", lambda x: F.gelu(x, approximate="tanh"), "F.gelu(x, approximate='tanh')"),
    ("quick_gelu", lambda x: x * torch.sigmoid(1.702 * x), "x * torch.sigmoid(1.702 * x)  # HF QuickGELU"),
    ("silu", F.silu, "F.silu(x)"),
    ("swish(beta=2)", lambda x: x * torch.sigmoid(2.0 * x), "x * torch.sigmoid(2 * x)"),
    ("mish", F.mish, "F.mish(x)"),
    ("softplus", F.softplus, "F.softplus(x)"),
    ("softplus(beta=2, threshold=10)", lambda x: F.softplus(x, 2.0, 10.0), "F.softplus(x, 2, 10)"),
    ("sigmoid", torch.sigmoid, "torch.sigmoid(x)"),
    ("hard_sigmoid", F.hardsigmoid, "F.hardsigmoid(x)"),
    ("tanh", torch.tanh, "torch.tanh(x)"),
    ("hardtanh", F.hardtanh, "F.hardtanh(x)"),
    ("hardtanh(min_val=-2, max_val=3)", lambda x: F.hardtanh(x, -2.0, 3.0), "F.hardtanh(x, -2, 3)"),
    ("hard_swish", F.hardswish, "F.hardswish(x)"),
    ("softsign", F.softsign, "F.softsign(x)"),
    ("log_sigmoid", F.logsigmoid, "F.logsigmoid(x)"),
    ("tanhshrink", F.tanhshrink, "F.tanhshrink(x)"),
    ("threshold(threshold=0.5, value=-1)", lambda x: F.threshold(x, 0.5, -1.0), "F.threshold(x, 0.5, -1)"),
    ("threshold(threshold=-2, value=3)", lambda x: F.threshold(x, -2.0, 3.0), "F.threshold(x, -2, 3)"),
    ("hardshrink", F.hardshrink, "F.hardshrink(x)"),
    ("hardshrink(lambd=1)", lambda x: F.hardshrink(x, 1.0), "F.hardshrink(x, 1)"),
    ("softshrink", F.softshrink, "F.softshrink(x)"),
    ("softshrink(lambd=1)", lambda x: F.softshrink(x, 1.0), "F.softshrink(x, 1)"),
    ("relu2", lambda x: torch.square(F.relu(x)), "torch.square(F.relu(x))  # Primer / HF relu2"),
    ("squareplus", squareplus, "(x + sqrt(x^2 + 4)) / 2, overflow-free form"),
    ("squareplus(b=1)", lambda x: squareplus(x, 1.0), "(x + sqrt(x^2 + 1)) / 2, overflow-free form"),
]

LEARNABLE = [
    # PReLU with one parameter per channel: x is viewed as [1, n], so channel i is grid point i.
    ("prelu", lambda x, a: F.prelu(x.view(1, -1), a).view(-1), "F.prelu(x, a), a = 0.25", 0.25),
    ("prelu(init=-0.5)", lambda x, a: F.prelu(x.view(1, -1), a).view(-1), "F.prelu(x, a), a = -0.5", -0.5),
    ("swish(beta=learnable)", lambda x, b: x * torch.sigmoid(b * x), "x * torch.sigmoid(b * x), b = 1", 1.0),
    ("swish(beta=learnable(0.5))", lambda x, b: x * torch.sigmoid(b * x), "x * torch.sigmoid(b * x), b = 0.5",
     0.5),
    ("snake", snake, "x + sin(a x)^2 / a, a = 1", 1.0),
    ("snake(alpha=0.5)", snake, "x + sin(a x)^2 / a, a = 0.5", 0.5),
]


def split_cases():
    """GLU family and the parameter-free Maxout on small random tensors, with a random upstream gradient."""
    gen = torch.Generator().manual_seed(20261128)
    x = (torch.randn(3, 8, generator=gen) * 3.0).to(F32)
    x[0, 0] = x[0, 1]  # a tie inside the first Maxout group (k = 2) and (k = 4)
    x[1, 4] = x[1, 6] = x[1, 5]  # a triple tie inside one k = 4 group
    x[2, 2] = 0.0  # a kink for ReGLU's gate
    g = torch.randn(3, 8, generator=gen).to(F32)
    cases = []
    glu = {
        "glu": ("torch.sigmoid", torch.sigmoid),
        "geglu": ("F.gelu", F.gelu),
        "swiglu": ("F.silu", F.silu),
        "reglu": ("F.relu", F.relu),
        "bilinear": ("identity", lambda t: t),
    }
    def run(fn, gy, dtype):
        xi = x.to(dtype).requires_grad_(True)
        y = fn(xi)
        (dx,) = torch.autograd.grad(y, [xi], gy.to(dtype))
        return y, dx

    def case(spec, reference, fn, gy):
        y, dx = run(fn, gy, F32)
        y64, dx64 = run(fn, gy, torch.float64)
        return {"spec": spec, "reference": reference, "shape": list(x.shape), "x": bits(x), "upstream": bits(gy),
                "y": bits(y), "dx": bits(dx), "y64": bits(y64), "dx64": bits(dx64)}

    for name, (act_name, act) in glu.items():
        def glu_fn(xi, act=act):
            a, b = xi.chunk(2, dim=-1)
            return a * act(b)
        cases.append(case(name, f"a, b = x.chunk(2, -1); a * {act_name}(b)", glu_fn, g[:, :4]))
    # any element-wise gate: Gemma's GeGLU with the tanh GELU, and a gate with a parameter
    for spec, act_name, act in [("glu(gate=gelu_tanh)", "F.gelu(approximate='tanh')", lambda t: F.gelu(t, approximate="tanh")),
                                ("glu(gate=leaky_relu(0.2))", "F.leaky_relu(0.2)", lambda t: F.leaky_relu(t, 0.2))]:
        def glu_fn(xi, act=act):
            a, b = xi.chunk(2, dim=-1)
            return a * act(b)
        cases.append(case(spec, f"a, b = x.chunk(2, -1); a * {act_name}(b)", glu_fn, g[:, :4]))
    for k in (2, 4):
        cases.append(case(f"maxout(k={k})", f"x.view(3, {8 // k}, {k}).max(-1)",
                          lambda xi, k=k: xi.view(3, 8 // k, k).max(dim=-1)[0], g[:, : 8 // k]))
    return cases


if __name__ == "__main__":
    torch.set_num_threads(1)
    GRID = grid()
    pointwise_cases = [pointwise(s, f, r) for s, f, r in CASES]
    pointwise_cases += [pointwise(s, f, r, init) for s, f, r, init in LEARNABLE]
    doc = {
        "generator": "scripts/pytorch_fixtures.py",
        "torch_version": torch.__version__,
        "grid": bits(GRID),
        "pointwise": pointwise_cases,
        "split": split_cases(),
        "special_inputs": bits(torch.tensor(SPECIAL, dtype=F32)),
        "special_block": BLOCK,
        "glu_special": glu_special_cases(),
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(doc, separators=(",", ":")) + "\n")
    print(f"wrote {OUT} ({len(GRID)} grid points, {len(pointwise_cases)} pointwise cases, "
          f"{len(doc['split'])} split cases, torch {torch.__version__})")
