#!/usr/bin/env bash
# Times the README's two commands as a newcomer meets them: a fresh clone of this repository's HEAD,
# an empty target directory and (with --fresh-registry) an empty Cargo registry, so that the crates'
# download is counted too. Prints one TIMING line per step and which crates the test command
# compiled (only nonlin's own when Burn's feature set is shared, as it should be).
#
#   scripts/measure_cold_build.sh [--fresh-registry] [--keep]
#
# Takes some 25-30 minutes on 2 cores. Everything goes under one temporary directory, removed at the
# end unless --keep is given; nothing of the checkout or of ~/.cargo is touched.
set -euo pipefail

fresh_registry=0
keep=0
for arg in "$@"; do
    case "$arg" in
        --fresh-registry) fresh_registry=1 ;;
        --keep) keep=1 ;;
        *) echo "unknown argument '$arg' (expected --fresh-registry or --keep)" >&2; exit 2 ;;
    esac
done

repo="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d "${TMPDIR:-/tmp}/nonlin-cold.XXXXXX")"
[ "$keep" -eq 1 ] || trap 'rm -rf "$work"' EXIT

git clone -q "$repo" "$work/clone"
cd "$work/clone"
echo "commit $(git rev-parse --short HEAD), $(nproc) cores, $(date -u +%Y-%m-%dT%H:%MZ)"

export CARGO_TARGET_DIR="$work/target"
[ "$fresh_registry" -eq 1 ] && export CARGO_HOME="$work/cargo-home"
# Mesa wants a runtime dir for the wgpu tests.
export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-$work/xdg}"
mkdir -p "$XDG_RUNTIME_DIR"

step() {
    local start=$EPOCHREALTIME
    "$@"
    awk -v a="$start" -v b="$EPOCHREALTIME" -v cmd="$*" 'BEGIN { printf "TIMING %8.1f s  %s\n", b - a, cmd }'
}

# The first README command is `cargo run --release -- train`: its build, then its run.
step cargo build --release
step cargo run --release -- train
# The second is `cargo test --release --workspace`: its compilation, then the tests.
step cargo test --release --workspace --no-run 2>&1 | tee "$work/test-build.log"
echo "the test command compiled:"
grep -E '^\s+Compiling' "$work/test-build.log" | sed 's/^ */  /' || echo "  nothing"
step cargo test --release --workspace
