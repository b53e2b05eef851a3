#!/usr/bin/env bash
# Serving the champion, side by side on one machine in one run: `harness serve` (release build),
# `mlflow models serve --env-manager local` (MLflow 3.17.2, the champion's ONNX/pyfunc flavor
# through onnxruntime) and the course's FastAPI app (harness/benches/fastapi_serve.py, seed
# exercise 6). Load comes from wrk in a second process on loopback: single-row requests,
# CONNECTIONS connections (default 32), 2 wrk threads, DURATION seconds each (default 10),
# after a 2 s warm-up. Prints requests/s, p50 and p99 per server and harness's ratio to each anchor,
# for the wine champion and the MNIST champion (quick profile).
#
# usage: harness/benches/side_by_side_serve.sh [DURATION=10]
# env:   CONNECTIONS (32), HARNESS_HOME (the venv with mlflow 3.17.2 and onnxruntime)
set -euo pipefail
cd "$(dirname "$0")/../.."
duration=${1:-10}
connections=${CONNECTIONS:-32}
command -v wrk >/dev/null || { echo "error: wrk not found (apt-get install wrk)" >&2; exit 2; }
cargo build -q --release -p harness
bin=$PWD/target/release/harness
home="${HARNESS_HOME:-$HOME/.cache/harness}"
venv="$home/mlflow-3.17.2/venv"
py="$venv/bin/python"
"$py" -c 'import onnxruntime, fastapi, uvicorn, prometheus_client' 2>/dev/null ||
  "$py" -m pip install -q onnxruntime fastapi uvicorn prometheus-client
eval "$($bin mlflow up --instance bench --quiet)"
export MLFLOW_TRACKING_URI
prefix=sbs-serve-
$bin run wine --replace --quiet --name-prefix "$prefix" --tracking-uri "$MLFLOW_TRACKING_URI" >/dev/null
$bin run mnist --profile quick --replace --quiet --name-prefix "$prefix" --tracking-uri "$MLFLOW_TRACKING_URI" >/dev/null

work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

# One wine test row (13 features) and one MNIST row (784 pixels scaled to [0, 1]).
wine_row=$("$py" -c 'from sklearn.datasets import load_wine; print(",".join(map(str, load_wine().data[0])))' 2>/dev/null ||
  echo "14.23,1.71,2.43,15.6,127.0,2.8,3.06,0.28,2.29,5.64,1.04,3.92,1065.0")
mnist_row=$("$py" -c 'print(",".join(["0.5"] * 784))')

wait_up() { # URL PID LOG
  for _ in $(seq 600); do
    curl -sf -o /dev/null "$1" && return 0
    kill -0 "$2" 2>/dev/null || { echo "error: server died:" >&2; tail -20 "$3" >&2; exit 1; }
    sleep 0.5
  done
  echo "error: $1 did not answer in 300 s" >&2; exit 1
}

# bench NAME URL BODY -> "NAME rps p50_ms p99_ms"
bench() {
  local lua="$work/post.lua"
  printf 'wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\nwrk.body = [[%s]]\n' "$3" > "$lua"
  curl -sf -H 'Content-Type: application/json' --data-binary "$3" "$2" >/dev/null ||
    { echo "error: $1 does not answer $2" >&2; curl -s -H 'Content-Type: application/json' --data-binary "$3" "$2" >&2; exit 1; }
  wrk -t2 -c"$connections" -d2s -s "$lua" "$2" >/dev/null
  wrk -t2 -c"$connections" -d"${duration}s" --latency -s "$lua" "$2" > "$work/wrk.txt"
  awk -v n="$1" '
    function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; return v }
    $1 == "50%" { p50 = ms($2) } $1 == "99%" { p99 = ms($2) }
    $1 == "Requests/sec:" { rps = $2 } / Non-2xx/ { bad = $NF }
    END { printf "%s %.0f %.3f %.3f %d\n", n, rps, p50, p99, bad }' "$work/wrk.txt"
}

start() { # NAME PORT CMD... (background; log in $work/NAME.log)
  local name=$1 port=$2; shift 2
  "$@" > "$work/$name.log" 2>&1 &
  pids+=($!)
  wait_up "http://127.0.0.1:$port/${PING:-ping}" "$!" "$work/$name.log"
}

results=()
for task in wine mnist; do
  case $task in
    wine) model="models:/${prefix}wine-quality-classifier@champion"; row=$wine_row ;;
    mnist) model="models:/${prefix}mnist-digit-classifier@champion"; row=$mnist_row ;;
  esac
  start "harness-$task" 18080 "$bin" --quiet serve "$model" --port 18080 --poll-interval 0
  results+=("$(bench "$task:harness-serve" http://127.0.0.1:18080/invocations "{\"inputs\": [[$row]]}")")
  results+=("$(bench "$task:harness-predict" http://127.0.0.1:18080/predict "{\"features\": [$row]}")")
  kill "${pids[-1]}"; wait "${pids[-1]}" 2>/dev/null || true
  PATH="$venv/bin:$PATH" start "mlflow-$task" 18081 "$venv/bin/mlflow" models serve -m "$model" \
    --env-manager local --host 127.0.0.1 -p 18081 -w 1
  results+=("$(bench "$task:mlflow-models-serve" http://127.0.0.1:18081/invocations "{\"inputs\": [[$row]]}")")
  pkill -P "${pids[-1]}" 2>/dev/null || true; kill "${pids[-1]}"; wait "${pids[-1]}" 2>/dev/null || true
  PING=docs start "fastapi-$task" 18082 "$py" harness/benches/fastapi_serve.py "$model" 18082
  results+=("$(bench "$task:fastapi-seed-app" http://127.0.0.1:18082/predict "{\"features\": [$row]}")")
  kill "${pids[-1]}"; wait "${pids[-1]}" 2>/dev/null || true
done

echo "== single-row requests, $connections connections, ${duration} s each (wrk -t2), $(nproc) CPUs"
printf '%-28s %10s %9s %9s %8s\n' server requests/s p50_ms p99_ms non-2xx
for r in "${results[@]}"; do printf '%-28s %10s %9s %9s %8s\n' $r; done
for task in wine mnist; do
  ours=$(printf '%s\n' "${results[@]}" | awk -v n="$task:harness-serve" '$1 == n { print $2 }')
  for anchor in mlflow-models-serve fastapi-seed-app; do
    theirs=$(printf '%s\n' "${results[@]}" | awk -v n="$task:$anchor" '$1 == n { print $2 }')
    awk -v t="$task" -v a="$anchor" -v o="$ours" -v r="$theirs" 'BEGIN { printf "%s: harness serve / %s = %.1fx\n", t, a, o / r }'
  done
done
