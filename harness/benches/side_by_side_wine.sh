#!/usr/bin/env bash
# Homework task 1, side by side against the same warm MLflow server: the Python way
# (python_wine.py: MLflow client + scikit-learn) and `harness run wine`. Whole-command wall time,
# alternating the two RUNS times; prints each side's best and the ratio.
# Usage: harness/benches/side_by_side_wine.sh [RUNS]   (builds harness in release first)
set -euo pipefail
cd "$(dirname "$0")/../.."
runs="${1:-3}"
cargo build -q --release -p harness
bin=target/release/harness
home="${HARNESS_HOME:-$HOME/.cache/harness}"
py="$home/mlflow-3.17.2/venv/bin/python"
eval "$($bin mlflow up --instance bench --quiet)"
"$py" -c 'import sklearn' 2>/dev/null || "$py" -m pip install -q scikit-learn==1.9.1
best() { sort -n | head -1; }
ours=(); theirs=()
for i in $(seq "$runs"); do
  s=$(date +%s.%N); "$py" harness/benches/python_wine.py "$MLFLOW_TRACKING_URI" "sbs-py-" >/dev/null; e=$(date +%s.%N)
  theirs+=("$(awk "BEGIN{print $e - $s}")")
  s=$(date +%s.%N); $bin run wine --replace --quiet --name-prefix "sbs-rs-" --tracking-uri "$MLFLOW_TRACKING_URI" >/dev/null; e=$(date +%s.%N)
  ours+=("$(awk "BEGIN{print $e - $s}")")
done
py_best=$(printf '%s\n' "${theirs[@]}" | best); rs_best=$(printf '%s\n' "${ours[@]}" | best)
printf 'python (mlflow + scikit-learn): %.2f s   runs: %s\n' "$py_best" "${theirs[*]}"
printf 'harness run wine:               %.2f s   runs: %s\n' "$rs_best" "${ours[*]}"
printf "ratio: %.1fx\n" "$(awk "BEGIN{print $py_best / $rs_best}")"
