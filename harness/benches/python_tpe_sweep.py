"""The Zoomcamp notes' hyperopt sweep on our wine task: `fmin(tpe.suggest)` over scikit-learn's
GradientBoostingClassifier, 50 trials, each a nested MLflow run (params + val_loss) under one
parent, as the course does with xgboost. Same split as `harness sweep` (train_test_split 70/15/15
with the seed) and the same space as harness/benches/tpe_sweep.yaml; minimises the validation
log loss. Prints `best val_loss: X`.
Usage: python python_tpe_sweep.py TRACKING_URI EXPERIMENT SEED [MAX_EVALS=50]"""
import sys

import mlflow
import numpy as np
from hyperopt import STATUS_OK, Trials, fmin, hp, tpe
from sklearn.datasets import load_wine
from sklearn.ensemble import GradientBoostingClassifier
from sklearn.metrics import log_loss
from sklearn.model_selection import train_test_split

uri, experiment, seed = sys.argv[1], sys.argv[2], int(sys.argv[3])
max_evals = int(sys.argv[4]) if len(sys.argv) > 4 else 50
mlflow.set_tracking_uri(uri)
mlflow.set_experiment(experiment)
X, y = load_wine(return_X_y=True)
X_rest, _, y_rest, _ = train_test_split(X, y, test_size=0.15, random_state=seed)
X_train, X_val, y_train, y_val = train_test_split(
    X_rest, y_rest, test_size=0.15 / 0.85, random_state=seed)

space = {
    "n_estimators": hp.quniform("n_estimators", 10, 100, 10),
    "learning_rate": hp.loguniform("learning_rate", np.log(0.01), np.log(0.5)),
    "max_depth": hp.randint("max_depth", 1, 5),
    "min_samples_leaf": hp.quniform("min_samples_leaf", 1, 20, 1),
}


def objective(params):
    params = {
        "n_estimators": int(params["n_estimators"]),
        "learning_rate": params["learning_rate"],
        "max_depth": int(params["max_depth"]),
        "min_samples_leaf": int(params["min_samples_leaf"]),
    }
    with mlflow.start_run(nested=True):
        mlflow.log_params(params)
        model = GradientBoostingClassifier(random_state=seed, **params).fit(X_train, y_train)
        loss = log_loss(y_val, model.predict_proba(X_val), labels=[0, 1, 2])
        mlflow.log_metric("val_loss", loss)
    return {"loss": loss, "status": STATUS_OK}


with mlflow.start_run(run_name=f"hyperopt-seed{seed}"):
    trials = Trials()
    fmin(objective, space, algo=tpe.suggest, max_evals=max_evals, trials=trials,
         rstate=np.random.default_rng(seed), show_progressbar=False)
    best = min(t["result"]["loss"] for t in trials.trials)
    mlflow.log_metric("best_val_loss", best)
print(f"best val_loss: {best:.6f}")
