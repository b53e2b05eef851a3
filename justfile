# harness — run `just` to see the recipes.

default:
    @just --list

# Start MLflow, run every task, grade, render reports (see README)
grade *ARGS:
    cargo run --release -p harness -- grade {{ARGS}}

# Run the reference run of one task (wine, mnist, all)
run TASK="all" *ARGS:
    cargo run --release -p harness -- run {{TASK}} {{ARGS}}

# Grade an MLflow state (server, store file, mlruns dir, or a folder of submissions)
check *ARGS:
    cargo run --release -p harness -- check {{ARGS}}

# The README's test command
test *ARGS:
    cargo nextest run --workspace {{ARGS}}

# The tests that need a Docker engine
test-docker:
    cargo nextest run --workspace --features harness/docker --run-ignored only

# Criterion benchmarks (need a warm embedded server for the MLflow ones; started on demand)
bench *ARGS:
    cargo bench -p harness {{ARGS}}

mlflow-up INSTANCE="default":
    cargo run -q -p harness -- mlflow up --instance {{INSTANCE}}

mlflow-down INSTANCE="default":
    cargo run -q -p harness -- mlflow down --instance {{INSTANCE}}

# Exactly what CI runs
ci:
    bash .ci/run

# Regenerate the executed-notebook hand-in fixtures (tests/fixtures/handins; needs chromium); SCENARIOS: all when empty
fixtures-handins *SCENARIOS:
    test -x ~/.cache/harness/fixtures-venv/bin/python || (python3 -m venv ~/.cache/harness/fixtures-venv && ~/.cache/harness/fixtures-venv/bin/pip install -r tests/fixtures/handins/requirements.txt)
    ~/.cache/harness/fixtures-venv/bin/python tests/fixtures/handins/generate.py {{SCENARIOS}}

# The hostile hand-in corpus (tests/e2e/corpus); CASE filters by name substring(s), comma-separated
test-hostile CASE="":
    HARNESS_CORPUS_CASE="{{CASE}}" cargo nextest run -p harness-e2e -E 'test(/corpus::/)' --no-capture
