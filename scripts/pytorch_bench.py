#!/usr/bin/env python3
"""PyTorch side of nonlin's benchmarks, measured the way `nonlin bench` measures.

    pip install -r scripts/requirements.txt
    python scripts/pytorch_bench.py activations [--sizes 65536,1048576,16777216] [--out FILE]
    python scripts/pytorch_bench.py train [--batch-sizes 32,128,512] [--steps 20] [--out FILE]
    python scripts/pytorch_bench.py transformer [--over-activations "gelu;swiglu"] [--batch-size 16]
        [--context 128] [--layers 4] [--d-model 128] [--steps 10] [--out FILE]

- activations: forward and forward+backward (``y.sum().backward()``, then reading the input
  gradient) on normal(0, 3) float32 inputs; a copy (``x * 1``) is the baseline, as in nonlin.
- train: MLP 784-512-512-10 and 784-256-256-256-10 with Adam (lr 1e-3) on MNIST-shaped random
  batches; time per step (forward, cross-entropy, backward, update).
- transformer: ``pytorch_lm.py``'s model (the twin of nonlin's) on Tiny Shakespeare windows drawn
  before timing, AdamW with weight decay 0.1 and per-tensor clipping at 1 as in a default run;
  time per step, characters/s, and the process's peak resident set while the model is built and
  trained (``VmHWM`` after resetting it through ``/proc/self/clear_refs``, as ``nonlin bench
  transformer`` reads it).

Warm-up then repetitions, median and spread, the same counts as nonlin's. Threads: PyTorch's
default (one per core), like rayon's pool in nonlin. Prints Markdown tables; ``--out`` writes JSON.
"""

import argparse
import json
import statistics
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

ACTIVATIONS = {
    "relu": F.relu,
    "leaky_relu": F.leaky_relu,
    "elu": F.elu,
    "selu": F.selu,
    "gelu": F.gelu,
    "gelu_tanh": lambda x: F.gelu(x, approximate="tanh"),
    "quick_gelu": lambda x: x * torch.sigmoid(1.702 * x),
    "silu": F.silu,
    "mish": F.mish,
    "softplus": F.softplus,
    "sigmoid": torch.sigmoid,
    "tanh": torch.tanh,
    "softsign": F.softsign,
    "log_sigmoid": F.logsigmoid,
    "hard_swish": F.hardswish,
    # the GLU family: value = first half, gate = second half (torch.nn.functional.glu's convention)
    "glu": lambda x: F.glu(x, -1),
    "swiglu": lambda x: (lambda a, b: a * F.silu(b))(*x.chunk(2, -1)),
    "geglu": lambda x: (lambda a, b: a * F.gelu(b))(*x.chunk(2, -1)),
    # max over groups of 2 consecutive elements; `max` sends the gradient to one piece, as nonlin
    "maxout(k=2)": lambda x: x.unflatten(-1, (-1, 2)).max(-1).values,
}

class Maxout(nn.Module):
    """nonlin's Maxout: the max over consecutive groups of `k` features (the layer before it is
    `k` times as wide); the gradient goes to one piece."""

    def __init__(self, k=2):
        super().__init__()
        self.k = k

    def forward(self, x):
        return x.unflatten(-1, (-1, self.k)).max(-1).values


MODULES = {
    "maxout": Maxout,
    "relu": nn.ReLU,
    "gelu": nn.GELU,
    "tanh": nn.Tanh,
    "silu": nn.SiLU,
    "leaky_relu": nn.LeakyReLU,
    "elu": nn.ELU,
    "sigmoid": nn.Sigmoid,
}


def repetitions(elements):
    """Warm-up and timed runs per size; nonlin_eval::bench::repetitions."""
    if elements <= 1 << 16:
        return 5, 50
    if elements <= 1 << 20:
        return 3, 15
    return 1, 5


STEP_WARMUP_CALLS, STEP_WARMUP_SECONDS = 3, 0.5


def timed_steps(steps, f):
    """Training steps after at least 3 untimed ones and half a second of them
    (nonlin_eval::bench::time_steps: the second vCPU of a VM wakes slowly), each observed as
    nonlin's are (steadiness), the untimed ones too: the step timing and the steadiness."""
    start, calls = time.perf_counter(), 0
    while calls < STEP_WARMUP_CALLS or time.perf_counter() - start < STEP_WARMUP_SECONDS:
        observe(f)
        calls += 1
    observed = [observe(f) for _ in range(max(steps, 1))]
    return summary([o["step"] for o in observed]), steadiness(observed, torch.get_num_threads())


def scheduler_times():
    """(seconds run, seconds waited runnable) of this process's threads: each thread's CPU-time
    clock and the second field of /proc/self/task/*/schedstat; None where there is none
    (nonlin's scheduler_times)."""
    import os

    ran, waited = 0.0, 0
    try:
        tasks = os.listdir("/proc/self/task")
    except OSError:
        return None
    for task in tasks:
        try:
            with open(f"/proc/self/task/{task}/schedstat") as f:
                wait = int(f.read().split()[1])
            # the kernel's MAKE_THREAD_CPUCLOCK(tid, CPUCLOCK_SCHED)
            cpu = time.clock_gettime((~int(task) << 3) | 6)
        except OSError:
            continue
        ran, waited = ran + cpu, waited + wait
    return ran, waited * 1e-9


def reference_loop():
    """A fixed single-thread arithmetic loop, timed: its spread is the machine's (nonlin's
    reference loop, on 16 times the floats in a third of the passes, so that numpy's work and
    not the interpreter's calls is most of the time)."""
    import numpy as np

    values = (np.arange(65536) % 1024).astype(np.float32) / np.float32(1024)
    scratch = np.empty_like(values)
    start = time.perf_counter()
    for _ in range(3):
        # in place: a fresh 256 KiB array per operation would be mmap'd and page-faulted each time
        np.multiply(values, np.float32(0.999), out=scratch)
        np.add(scratch, np.float32(1e-4), out=scratch)
        np.multiply(scratch, values, out=scratch)
        np.multiply(scratch, np.float32(0.5), out=scratch)
        np.add(scratch, np.float32(0.25), out=values)
    return time.perf_counter() - start


def page_faults():
    import resource

    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_minflt + usage.ru_majflt


def observe(f):
    faults = page_faults()
    before = scheduler_times()
    start = time.perf_counter()
    f()
    step = time.perf_counter() - start
    after = scheduler_times()
    faults = page_faults() - faults
    cpu = wait = None
    if before is not None and after is not None:
        cpu, wait = max(after[0] - before[0], 0.0), max(after[1] - before[1], 0.0)
    return {"step": step, "wait": wait, "cpu": cpu, "page_faults": faults, "reference": reference_loop()}


def steadiness(observed, busy_threads):
    """nonlin's Steadiness: steps whose threads were off their CPUs for more than half the
    fastest step (run-queue wait, or CPU time missing from the busy_threads that run through a
    step: the calling thread and OpenMP's, which spin between parallel regions), the rest's
    timing, the reference loop's."""
    from steadiness_summary import off_cpu  # this script's folder is on sys.path

    fastest = min(o["step"] for o in observed)
    off = [off_cpu(o, busy_threads) for o in observed]
    kept = None if None in off else [o["step"] for o, x in zip(observed, off) if x <= fastest / 2]
    return {
        "busy_threads": busy_threads,
        "interrupted_steps": None if kept is None else len(observed) - len(kept),
        "uninterrupted": summary(kept) if kept else None,
        "reference": summary([o["reference"] for o in observed]),
        "steps": observed,
    }


def timed(warmup, runs, f):
    for _ in range(warmup):
        f()
    times = []
    for _ in range(max(runs, 1)):
        start = time.perf_counter()
        f()
        times.append(time.perf_counter() - start)
    return summary(times)


def summary(times):
    times = sorted(times)

    def at(q):  # nearest rank, as nonlin's Timing
        return times[int(round((len(times) - 1) * q + 1e-9))]

    return {"median": times[len(times) // 2], "min": times[0], "max": times[-1], "p10": at(0.1),
            "p90": at(0.9), "runs": len(times)}


def bench_activations(sizes):
    results = []
    for elements in sizes:
        warmup, runs = repetitions(elements)
        x = torch.randn(elements) * 3.0
        for name, f in [("copy", lambda t: t * 1.0)] + list(ACTIVATIONS.items()):
            with torch.no_grad():
                forward = timed(warmup, runs, lambda: f(x))

            def forward_backward():
                xg = x.detach().requires_grad_()
                f(xg).sum().backward()
                _ = xg.grad

            results.append(
                {
                    "activation": name,
                    "elements": elements,
                    "forward": forward,
                    "forward_backward": timed(warmup, runs, forward_backward),
                }
            )
    return results


def mlp(hidden, activation):
    layers, width = [], 784
    for h in hidden:
        act = MODULES[activation]()
        # Maxout consumes k features per unit, as nonlin's maxout_mlp
        layers += [nn.Linear(width, h * getattr(act, "k", 1)), act]
        width = h
    layers.append(nn.Linear(width, 10))
    return nn.Sequential(*layers)


def bench_train(activations, batch_sizes, steps):
    results = []
    for activation in activations:
        for hidden in ([512, 512], [256, 256, 256]):
            for batch in batch_sizes:
                torch.manual_seed(0)
                model = mlp(hidden, activation)
                optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
                x = torch.rand(batch, 784)
                y = torch.randint(0, 10, (batch,))

                def step():
                    optimizer.zero_grad(set_to_none=True)
                    F.cross_entropy(model(x), y).backward()
                    optimizer.step()

                timing, steady = timed_steps(steps, step)
                kind, name = ("maxout_mlp", "maxout(k=2)") if activation == "maxout" else ("mlp", activation)
                results.append(
                    {
                        "model": f"{kind} 784-{'-'.join(map(str, hidden))}-10 {name}",
                        "batch_size": batch,
                        "step": timing,
                        "steadiness": steady,
                        "samples_per_second": batch / timing["median"],
                    }
                )
    return results


def reset_peak_resident():
    """Linux resets VmHWM to the current resident set when 5 is written to clear_refs."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def peak_resident_bytes():
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def bench_transformer(activations, batch, context, layers, d_model, steps):
    import pathlib
    import sys
    from types import SimpleNamespace

    sys.path.insert(0, str(pathlib.Path(__file__).parent))
    import pytorch_lm

    results = []
    for activation in activations:
        reset = reset_peak_resident()
        symbols, train, _ = pytorch_lm.load_corpus()
        shape = SimpleNamespace(activation=activation, layers=layers, d_model=d_model,
                                heads=4, d_ff=4 * d_model, context=context,
                                no_match_parameters=False)
        torch.manual_seed(0)
        model = pytorch_lm.Transformer(len(symbols), shape)
        optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3, betas=(0.9, 0.999), eps=1e-8,
                                      weight_decay=0.1)
        generator = torch.Generator().manual_seed(1)
        batches = [pytorch_lm.windows(train, torch.randint(0, len(train) - context, (batch,),
                                                           generator=generator).tolist(), context)
                   for _ in range(steps + 3)]
        position = [0]

        def step():
            x, y = batches[position[0] % len(batches)]
            position[0] += 1
            loss = F.cross_entropy(model(x).flatten(0, 1), y.flatten())
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            for param in model.parameters():
                norm = param.grad.norm()
                param.grad.mul_(torch.clamp(1.0 / (norm + 1.1754944e-38), max=1.0))
            optimizer.step()

        timing, steady = timed_steps(steps, step)
        parameters = sum(p.numel() for p in model.parameters())
        results.append({
            "activation": activation,
            "model": f"{layers} × {d_model}, 4 heads, hidden {model.hidden}, {parameters} parameters",
            "batch_size": batch,
            "context": context,
            "step": timing,
            "steadiness": steady,
            "characters_per_second": batch * context / timing["median"],
            "peak_resident_bytes": peak_resident_bytes(),
            "peak_reset": reset,
        })
        del model, optimizer, batches
    return results


def ms(t):
    return f"{t * 1e3:.3f}"


def spread(s):
    return f"{s['p90'] / s['p10']:.2f} ({s['max'] / s['min']:.2f})"


STEADINESS_HEADER = "steps interrupted (max ÷ min of the rest) · reference loop p90 ÷ p10"


def steadiness_cell(s):
    """nonlin's steadiness_cell."""
    if s["interrupted_steps"] is None:
        rest = "—"
    elif s["uninterrupted"] is None:
        rest = f"{s['interrupted_steps']} (—)"
    else:
        u = s["uninterrupted"]
        rest = f"{s['interrupted_steps']} ({u['max'] / u['min']:.2f})"
    r = s["reference"]
    return f"{rest} · {r['p90'] / r['p10']:.2f}"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="what", required=True)
    act = sub.add_parser("activations")
    act.add_argument("--sizes", default="65536,1048576,16777216")
    act.add_argument("--over-activations", default=";".join(ACTIVATIONS))
    act.add_argument("--out")
    train = sub.add_parser("train")
    train.add_argument("--over-activations", default="relu;gelu;tanh;maxout")
    train.add_argument("--batch-sizes", default="32,128,512")
    train.add_argument("--steps", type=int, default=20)
    train.add_argument("--out")
    lm = sub.add_parser("transformer")
    lm.add_argument("--over-activations", default="gelu;swiglu")
    lm.add_argument("--batch-size", type=int, default=16)
    lm.add_argument("--context", type=int, default=128)
    lm.add_argument("--layers", type=int, default=4)
    lm.add_argument("--d-model", type=int, default=128)
    lm.add_argument("--steps", type=int, default=10)
    lm.add_argument("--out")
    args = parser.parse_args()
    print(f"<!-- torch {torch.__version__}, {torch.get_num_threads()} threads -->")

    if args.what == "activations":
        names = [n.strip() for n in args.over_activations.split(";") if n.strip()]
        unknown = [n for n in names if n not in ACTIVATIONS]
        if unknown:
            parser.error(f"unknown activations {unknown}; choose from {list(ACTIVATIONS)}")
        for n in list(ACTIVATIONS):
            if n not in names:
                del ACTIVATIONS[n]
        results = bench_activations([int(s) for s in args.sizes.split(",")])
        print("| backend | activation | elements | fwd ms (min–max) | fwd ÷ copy | fwd+bwd ms | fwd+bwd ÷ copy |")
        print("| --- | --- | ---: | ---: | ---: | ---: | ---: |")
        for r in results:
            copy = next(c for c in results if c["activation"] == "copy" and c["elements"] == r["elements"])
            f, fb = r["forward"], r["forward_backward"]
            print(
                f"| pytorch | {r['activation']} | {r['elements']} | {ms(f['median'])} ({ms(f['min'])}–{ms(f['max'])}) "
                f"| {f['median'] / copy['forward']['median']:.2f} | {ms(fb['median'])} "
                f"| {fb['median'] / copy['forward_backward']['median']:.2f} |"
            )
    elif args.what == "transformer":
        names = [n.strip() for n in args.over_activations.split(";") if n.strip()]
        results = bench_transformer(names, args.batch_size, args.context, args.layers, args.d_model,
                                    args.steps)
        print("| backend | activation | model | batch × context | ms/step (min–max) | p90 ÷ p10 (max ÷ min) "
              f"| {STEADINESS_HEADER} | characters/s | peak RSS MB |")
        print("| --- | --- | --- | --- | ---: | ---: | ---: | ---: | ---: |")
        for r in results:
            s = r["step"]
            peak = r["peak_resident_bytes"]
            print(
                f"| pytorch | {r['activation']} | {r['model']} | {r['batch_size']} × {r['context']} "
                f"| {ms(s['median'])} ({ms(s['min'])}–{ms(s['max'])}) | {spread(s)} "
                f"| {steadiness_cell(r['steadiness'])} | {r['characters_per_second']:.0f} "
                f"| {'—' if peak is None else f'{peak / 1e6:.0f}'} |"
            )
    else:
        names = [n.strip() for n in args.over_activations.split(";") if n.strip()]
        unknown = [n for n in names if n not in MODULES]
        if unknown:
            parser.error(f"unknown activations {unknown}; choose from {list(MODULES)}")
        results = bench_train(names, [int(s) for s in args.batch_sizes.split(",")], args.steps)
        print(f"| backend | model | batch | ms/step (min–max) | p90 ÷ p10 (max ÷ min) | {STEADINESS_HEADER} | samples/s |")
        print("| --- | --- | ---: | ---: | ---: | ---: | ---: |")
        for r in results:
            s = r["step"]
            print(
                f"| pytorch | {r['model']} | {r['batch_size']} | {ms(s['median'])} ({ms(s['min'])}–{ms(s['max'])}) "
                f"| {spread(s)} | {steadiness_cell(r['steadiness'])} | {r['samples_per_second']:.0f} |"
            )
    if args.out:
        with open(args.out + ".part", "w") as f:
            json.dump({"torch": torch.__version__, "threads": torch.get_num_threads(), "results": results}, f, indent=1)
        import os

        os.replace(args.out + ".part", args.out)


if __name__ == "__main__":
    main()
