"""Exercise 4 of the course's MLOps day as written there: itertools over the 18-point grid, one
MLflow run per point (params, then `val_accuracy`, `is_best` on a new best), PyTorch MLP
784-128-10 with dropout, Adam, 1 epoch. Same data as `harness sweep` (the 10 000 MNIST digits in
tasks/data/mnist, pixels / 255, scikit-learn's train_test_split 70/15/15 with the sweep's seed).
Usage: python python_grid_sweep.py TRACKING_URI EXPERIMENT DATA_DIR [SEED=7]"""
import gzip, itertools, os, struct, sys

import mlflow
import numpy as np
import torch
import torch.nn as nn
from sklearn.model_selection import train_test_split

uri, experiment, data = sys.argv[1], sys.argv[2], sys.argv[3]
seed = int(sys.argv[4]) if len(sys.argv) > 4 else 7
torch.manual_seed(seed)
torch.set_num_threads(int(os.environ.get("TORCH_THREADS", "1")))
mlflow.set_tracking_uri(uri)
mlflow.set_experiment(experiment)


def idx(path):
    b = gzip.open(path).read()
    nd = struct.unpack(">I", b[:4])[0] & 0xFF
    dims = struct.unpack(">" + "I" * nd, b[4:4 + 4 * nd])
    return np.frombuffer(b[4 + 4 * nd:], np.uint8).reshape(dims)


X = torch.tensor(idx(f"{data}/images-idx3-ubyte.gz").reshape(-1, 784) / 255.0, dtype=torch.float32)
y = torch.tensor(idx(f"{data}/labels-idx1-ubyte.gz").astype(np.int64))
rest, test = train_test_split(np.arange(len(y)), test_size=0.15, random_state=seed)
train, val = train_test_split(rest, test_size=0.15 / 0.85, random_state=seed)
Xtr, ytr, Xval, yval = X[train], y[train], X[val], y[val]


def create_model(params):
    return nn.Sequential(nn.Linear(784, 128), nn.ReLU(), nn.Dropout(params["dropout"]), nn.Linear(128, 10))


def train_and_evaluate(model, params):
    opt = torch.optim.Adam(model.parameters(), lr=params["learning_rate"])
    lossf = nn.CrossEntropyLoss()
    bs = params["batch_size"]
    model.train()
    perm = torch.randperm(len(ytr))
    for i in range(0, len(ytr), bs):
        b = perm[i:i + bs]
        opt.zero_grad()
        lossf(model(Xtr[b]), ytr[b]).backward()
        opt.step()
    model.eval()
    with torch.no_grad():
        return (model(Xval).argmax(1) == yval).float().mean().item()


# The exercise's loop, unchanged.
param_grid = {
    'learning_rate': [0.0001, 0.001, 0.01],
    'batch_size': [16, 32, 64],
    'dropout': [0.3, 0.5]
}
keys = param_grid.keys()
values = param_grid.values()
combinations = [dict(zip(keys, v)) for v in itertools.product(*values)]
print(f"Running {len(combinations)} experiments...")
best_accuracy = 0
best_params = None
for params in combinations:
    with mlflow.start_run(run_name=f"lr{params['learning_rate']}_bs{params['batch_size']}"):
        mlflow.log_params(params)
        model = create_model(params)
        accuracy = train_and_evaluate(model, params)
        mlflow.log_metric("val_accuracy", accuracy)
        if accuracy > best_accuracy:
            best_accuracy = accuracy
            best_params = params
            mlflow.log_param("is_best", True)
print(f"\nBest params: {best_params}")
print(f"Best accuracy: {best_accuracy:.4f}")
