#!/usr/bin/env bash
# A nonlin sweep in SHARDS shards with GNU parallel, on this machine or over ssh hosts, then the
# table. Run it again after a failure and only the failed shards run (--joblog + --resume-failed;
# finished runs inside a shard are skipped anyway).
#
#   deploy/parallel/sweep.sh SHARDS OUT [nonlin sweep flags...]
#   NONLIN_HOSTS=hosts.txt NONLIN_JOBS=1 deploy/parallel/sweep.sh 9 /shared/sweeps/ffn --sweep ffn.toml
#
# Environment (all optional):
#   NONLIN        the nonlin binary (default: nonlin on PATH; on every host)
#   NONLIN_HOSTS  a --sshloginfile (one `[N/]host` per line, `:` for this machine); without it
#                 everything runs here. OUT must then be on a file system every host mounts at
#                 the same path (NFS): each shard writes its own files into it.
#   NONLIN_JOBS   shards at once per host (default 1: a shard uses the host's cores)
#   NONLIN_RETRIES  attempts per shard (default 2)
set -euo pipefail

if [[ $# -lt 2 || ! $1 =~ ^[1-9][0-9]*$ ]]; then
    echo "usage: $0 SHARDS OUT [nonlin sweep flags...]  (SHARDS: a whole number >= 1)" >&2
    exit 2
fi
shards=$1
out=$2
shift 2
command -v parallel >/dev/null || {
    echo "GNU parallel is not installed (Debian/Ubuntu: apt install parallel)" >&2
    exit 2
}
nonlin=${NONLIN:-nonlin}
# an absolute OUT: remote commands start in the remote home directory
mkdir -p "$(dirname "$out")"
out=$(cd "$(dirname "$out")" && pwd)/$(basename "$out")
hosts=()
[[ -n ${NONLIN_HOSTS:-} ]] && hosts=(--sshloginfile "$NONLIN_HOSTS")
flags=$(printf '%q ' "$@")
parallel --will-cite --joblog "$out.joblog" --resume-failed --retries "${NONLIN_RETRIES:-2}" \
    --jobs "${NONLIN_JOBS:-1}" --halt never --line-buffer --tagstring 'shard {}' "${hosts[@]}" \
    "$(printf %q "$nonlin") sweep --out $(printf %q "$out") --shard {}/$shards $flags" \
    ::: $(seq 1 "$shards") || {
    echo "some shards failed (see $out.joblog); run the same command again to rerun only them" >&2
    exit 1
}
"$nonlin" merge "$out" --out "$out"
