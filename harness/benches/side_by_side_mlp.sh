#!/usr/bin/env bash
# Side-by-side training throughput: PyTorch (harness/benches/pytorch_mlp.py, 1 thread, its fastest
# setting on a 2-core machine) and harness's fused engine, same data (tasks/data/mnist, first 70 %
# for training), same architectures and batch sizes, run one after the other. Prints both outputs
# and our/PyTorch ratio per architecture. The runs alternate REPEAT times (default 3) and the best
# rate of each side is compared, which damps the noise of a shared machine.
#
# usage: harness/benches/side_by_side_mlp.sh [EPOCHS=2]
# env:   PYTHON (an interpreter with torch + numpy; default python3)
#        PYTORCH_SCRIPT (default harness/benches/pytorch_mlp.py)
#        TORCH_THREADS (default 1), REPEAT (default 3)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
epochs=${1:-2}
python=${PYTHON:-python3}
script=${PYTORCH_SCRIPT:-$root/harness/benches/pytorch_mlp.py}
data=$root/tasks/data/mnist

if ! "$python" -c 'import torch, numpy' 2>/dev/null; then
  echo "error: $python cannot import torch and numpy (set PYTHON to a venv that has them)" >&2
  exit 2
fi
[ -f "$script" ] || { echo "error: PyTorch script not found: $script" >&2; exit 2; }

cd "$root"
cargo bench -p harness --bench mlp --no-run >/dev/null 2>&1 || cargo bench -p harness --bench mlp --no-run

repeat=${REPEAT:-3}
torch_all=""; ours_all=""
for i in $(seq "$repeat"); do
  echo "== run $i/$repeat: PyTorch $("$python" -c 'import torch; print(torch.__version__)') (TORCH_THREADS=${TORCH_THREADS:-1}), $epochs epochs"
  out=$(TORCH_THREADS=${TORCH_THREADS:-1} "$python" "$script" "$data" "$epochs")
  echo "$out"; torch_all+="$out"$'\n'
  echo "== run $i/$repeat: harness (fused engine), $epochs epochs"
  out=$(MLP_BENCH_EPOCHS=$epochs cargo bench -q -p harness --bench mlp 2>/dev/null)
  echo "$out"; ours_all+="$out"$'\n'
done

echo "== best of $repeat interleaved runs (harness / PyTorch samples/s)"
best() { echo "$1" | awk -v n="$2:" '$1 == n { for (i = 2; i <= NF; i++) if ($i == "samples/s" && $(i-1) > m) m = $(i-1) } END { print m + 0 }'; }
for name in shallow medium deep; do
  t=$(best "$torch_all" "$name"); o=$(best "$ours_all" "$name")
  awk -v n="$name" -v t="$t" -v o="$o" 'BEGIN { printf "%-8s torch %8.0f  harness %8.0f  ratio %.2fx\n", n, t, o, o / t }'
done
