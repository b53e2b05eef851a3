#!/usr/bin/env bash
# Sweeps side by side against one warm MLflow server (issue 13, "Speed"), whole-command wall time:
#  A. exercise 4's grid loop in Python (python_grid_sweep.py: PyTorch + MLflow client, 18 runs,
#     1 epoch each) vs `harness sweep` on the same 18-point grid, data and epochs;
#  B. hyperopt + scikit-learn (python_tpe_sweep.py: fmin(tpe.suggest), 50 GradientBoosting
#     trials on wine, nested runs) vs `harness sweep` strategy tpe, 50 trials, same space and
#     split, for SEEDS seeds; compares total time and the median best val_loss.
# Every side gets fresh experiment names, so harness never resumes an earlier sweep.
# Usage: harness/benches/side_by_side_sweep.sh [SEEDS=5]   (builds harness in release first)
# env:   PYTHON (torch, mlflow, scikit-learn, hyperopt; default the fixtures venv), TORCH_THREADS (1)
set -euo pipefail
cd "$(dirname "$0")/../.."
seeds="${1:-5}"
home="${HARNESS_HOME:-$HOME/.cache/harness}"
py="${PYTHON:-$home/fixtures-venv/bin/python}"
"$py" -c 'import torch, mlflow, sklearn, hyperopt' 2>/dev/null \
  || { echo "error: $py lacks torch, mlflow, scikit-learn or hyperopt (set PYTHON)" >&2; exit 2; }
cargo build -q --release -p harness
bin=$PWD/target/release/harness
eval "$($bin mlflow up --instance bench --quiet)"
tag="sbs-$(date +%s)"
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
now() { date +%s.%N; }
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"

# A. The 18-run MNIST grid.
cat > "$work/grid.yaml" <<YAML
experiment_name: $tag-grid-harness
seed: 7
data: {dataset: mnist, train_split: 0.7, val_split: 0.15, test_split: 0.15}
model: {architecture: mlp, hidden_sizes: [128], dropout: 0.3}
training: {num_epochs: 1, optimizer: adam, learning_rate: 0.001, batch_size: 32}
sweep:
  strategy: grid
  metric: val_accuracy
  goal: maximize
  parameters:
    training.learning_rate: [0.0001, 0.001, 0.01]
    training.batch_size: [16, 32, 64]
    model.dropout: [0.3, 0.5]
YAML
s=$(now); TORCH_THREADS=${TORCH_THREADS:-1} "$py" harness/benches/python_grid_sweep.py \
  "$MLFLOW_TRACKING_URI" "$tag-grid-python" tasks/data/mnist 7 | tail -1; e=$(now)
grid_py=$(awk "BEGIN{print $e - $s}")
s=$(now); $bin sweep --config "$work/grid.yaml" --quiet --tracking-uri "$MLFLOW_TRACKING_URI" \
  | grep '^Best val_accuracy'; e=$(now)
grid_rs=$(awk "BEGIN{print $e - $s}")
printf 'A. 18-run grid   python %.2f s   harness %.2f s   ratio %.1fx (target >= 5x)\n' \
  "$grid_py" "$grid_rs" "$(awk "BEGIN{print $grid_py / $grid_rs}")"

# B. 50-trial TPE on wine's gradient boosting, SEEDS seeds.
tpe_py=0; tpe_rs=0; best_py=(); best_rs=()
for seed in $(seq "$seeds"); do
  cat > "$work/tpe$seed.yaml" <<YAML
experiment_name: $tag-tpe-harness-$seed
seed: $seed
data: {dataset: wine, train_split: 0.7, val_split: 0.15, test_split: 0.15}
model: {architecture: gradient_boosting}
sweep:
  strategy: tpe
  metric: val_loss
  goal: minimize
  max_evals: 50
  parameters:
    model.n_estimators: {quniform: [10, 100, 10]}
    model.learning_rate: {loguniform: [0.01, 0.5]}
    model.max_depth: {randint: [1, 5]}
    model.min_samples_leaf: {quniform: [1, 20, 1]}
YAML
  s=$(now); out=$("$py" harness/benches/python_tpe_sweep.py "$MLFLOW_TRACKING_URI" "$tag-tpe-python-$seed" "$seed"); e=$(now)
  tpe_py=$(awk "BEGIN{print $tpe_py + $e - $s}"); best_py+=("$(echo "$out" | awk '/^best val_loss/ {print $3}')")
  s=$(now); out=$($bin sweep --config "$work/tpe$seed.yaml" --quiet --tracking-uri "$MLFLOW_TRACKING_URI"); e=$(now)
  tpe_rs=$(awk "BEGIN{print $tpe_rs + $e - $s}"); best_rs+=("$(echo "$out" | awk '/^Best val_loss/ {print $3}')")
  echo "seed $seed: best val_loss hyperopt ${best_py[-1]}  harness ${best_rs[-1]}"
done
median() { printf '%s\n' "$@" | sort -g | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
printf 'B. %d x 50-trial TPE   hyperopt %.2f s   harness %.2f s   ratio %.1fx (target >= 10x)\n' \
  "$seeds" "$tpe_py" "$tpe_rs" "$(awk "BEGIN{print $tpe_py / $tpe_rs}")"
printf '   median best val_loss   hyperopt %s   harness %s (lower is better)\n' \
  "$(median "${best_py[@]}")" "$(median "${best_rs[@]}")"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
