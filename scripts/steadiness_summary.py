#!/usr/bin/env python3
"""What the slow training steps of `--out` JSON files had in common.

    nonlin bench train --out a.json; python scripts/pytorch_bench.py train --out b.json
    python scripts/steadiness_summary.py a.json [more.json …] -- b.json [more.json …]

Reads each file's per-step observations (`steadiness.steps`: time, run-queue wait, CPU time, page
faults, reference loop), as `nonlin bench train` / `bench transformer` and
`scripts/pytorch_bench.py train` / `transformer` write them, and prints per group of files (groups
split by `--`): how many steps, how many took page faults, how many were slower than 1.4× the
fastest step of their measurement, and of those how many had page faults and how many were
interrupted (threads off their CPUs for more than half the fastest step, as the benches count).
Standard library only.
"""

import json
import sys

SLOW = 1.4


def measurements(path):
    with open(path) as f:
        data = json.load(f)
    results = data["results"] if isinstance(data, dict) else data
    for r in results:
        steadiness = r.get("steadiness")
        if steadiness and steadiness.get("steps"):
            yield steadiness


def off_cpu(step, busy_threads):
    """Seconds the threads running `step` were off their CPUs: the run-queue wait or, with
    `busy_threads` running all along, the CPU time they missed (nonlin's StepObservation::off_cpu;
    scripts/pytorch_bench.py counts with it too). None where the OS gave no figures."""
    if step.get("wait") is None:
        return None
    missing = busy_threads * step["step"] - step["cpu"] if busy_threads and step.get("cpu") is not None else 0.0
    return max(step["wait"], missing)


def interrupted(step, fastest, busy_threads):
    off = off_cpu(step, busy_threads)
    return off is not None and off > fastest / 2


def summary(paths):
    counts = dict(measurements=0, steps=0, faulting=0, slow=0, slow_faulting=0, slow_interrupted=0)
    for path in paths:
        for s in measurements(path):
            steps = s["steps"]
            fastest = min(o["step"] for o in steps)
            counts["measurements"] += 1
            for o in steps:
                counts["steps"] += 1
                faulted = (o.get("page_faults") or 0) > 0
                counts["faulting"] += faulted
                if o["step"] > SLOW * fastest:
                    counts["slow"] += 1
                    counts["slow_faulting"] += faulted
                    counts["slow_interrupted"] += interrupted(o, fastest, s.get("busy_threads", 0))
    return counts


def main():
    args = sys.argv[1:]
    if not args or args == ["--"]:
        sys.exit(__doc__)
    groups, current = [], []
    for a in args:
        if a == "--":
            groups.append(current)
            current = []
        else:
            current.append(a)
    groups.append(current)
    for paths in groups:
        if not paths:
            continue
        c = summary(paths)
        print(
            f"{' '.join(paths)}: {c['measurements']} measurements, {c['steps']} steps, "
            f"{c['faulting']} with page faults; {c['slow']} over {SLOW}× their measurement's "
            f"fastest, of which {c['slow_faulting']} with page faults and "
            f"{c['slow_interrupted']} interrupted"
        )


if __name__ == "__main__":
    main()
