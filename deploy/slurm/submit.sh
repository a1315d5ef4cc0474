#!/usr/bin/env bash
# Submits a nonlin sweep to Slurm: an array of SHARDS tasks (at most NONLIN_MAX_PARALLEL running
# at once) and a merge job that waits for all of them, writes the table, and resubmits failed
# tasks (NONLIN_RETRIES times, default 1).
#
#   deploy/slurm/submit.sh SHARDS [nonlin sweep flags...]
#   NONLIN_SWEEP_OUT=/shared/sweeps/ffn deploy/slurm/submit.sh 9 --sweep ffn.toml
#
# Extra sbatch options (partition, account) go in SBATCH_* environment variables, e.g.
# SBATCH_PARTITION=cpu SBATCH_ACCOUNT=lab; both jobs read them.
set -euo pipefail

if [[ $# -lt 1 || ! $1 =~ ^[1-9][0-9]*$ ]]; then
    echo "usage: $0 SHARDS [nonlin sweep flags...]  (SHARDS: a whole number >= 1)" >&2
    exit 2
fi
shards=$1
shift
here=$(cd "$(dirname "$0")" && pwd)
out=${NONLIN_SWEEP_OUT:-$PWD/sweep}
# the shared directory by absolute path: the tasks may start in another working directory
mkdir -p "$(dirname "$out")"
out=$(cd "$(dirname "$out")" && pwd)/$(basename "$out")
limit=${NONLIN_MAX_PARALLEL:+%$NONLIN_MAX_PARALLEL}
array=$(sbatch --parsable --array="0-$((shards - 1))$limit" \
    --export=ALL,NONLIN_SHARDS="$shards",NONLIN_ARRAY_MIN=0,NONLIN_SWEEP_OUT="$out" \
    "$here/sweep.sbatch" "$@")
array=${array%%;*} # --parsable prints JOBID or JOBID;CLUSTER
merge=$(sbatch --parsable --dependency=afterany:"$array" \
    --export=ALL,NONLIN_ARRAY_JOB="$array",NONLIN_SHARDS="$shards",NONLIN_SWEEP_OUT="$out",NONLIN_DEPLOY_DIR="$here" \
    "$here/merge.sbatch" "$@")
echo "sweep array $array ($shards tasks) -> $out; merge job ${merge%%;*} writes $out/results.md"
