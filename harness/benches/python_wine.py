"""Homework task 1 the Python way, for the side-by-side timing in side_by_side_wine.sh: the
MLflow client + scikit-learn doing what `harness run wine` does (three runs, log_model with a
signature and input example, registry description/tags/aliases, champion loaded by alias).
Usage: python python_wine.py TRACKING_URI NAME_PREFIX"""
import sys, time

t0 = time.perf_counter()
import mlflow, mlflow.sklearn
from mlflow.models import infer_signature
from sklearn.datasets import load_wine
from sklearn.ensemble import GradientBoostingClassifier, RandomForestClassifier
from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import train_test_split
from sklearn.tree import DecisionTreeClassifier

uri, prefix = sys.argv[1], sys.argv[2]
mlflow.set_tracking_uri(uri)
client = mlflow.MlflowClient()
name = prefix + "wine-quality-classifier"
try:
    client.delete_registered_model(name)
except Exception:
    pass
mlflow.set_experiment(prefix + "wine-quality-homework")
X, y = load_wine(return_X_y=True, as_frame=True)
Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.2, random_state=42)
models = [
    ("DecisionTree", DecisionTreeClassifier(random_state=42)),
    ("RandomForest", RandomForestClassifier(n_estimators=100, random_state=42)),
    ("GradientBoosting", GradientBoostingClassifier(n_estimators=100, random_state=42)),
]
scores = []
for i, (algo, model) in enumerate(models, 1):
    with mlflow.start_run(run_name=f"wine-v{i}-{algo}"):
        model.fit(Xtr, ytr)
        pred = model.predict(Xte)
        acc, f1 = accuracy_score(yte, pred), f1_score(yte, pred, average="weighted")
        mlflow.log_params({**model.get_params(), "algorithm": algo, "test_size": 0.2})
        mlflow.log_metrics({"accuracy": acc, "f1_score": f1})
        mlflow.sklearn.log_model(
            model, name="model", signature=infer_signature(Xtr, model.predict(Xtr)),
            input_example=Xtr.iloc[:2], registered_model_name=name,
            serialization_format="cloudpickle",
        )
        scores.append((acc, f1, i))
client.update_registered_model(name, description="Wine classifiers: DecisionTree, RandomForest, GradientBoosting")
for k, v in {"task": "classification", "dataset": "wine", "team": "harness"}.items():
    client.set_registered_model_tag(name, k, v)
ranked = sorted(scores, key=lambda s: (-s[0], -s[1], s[2]))
for v in (1, 2, 3):
    client.set_model_version_tag(name, str(v), "model_type", models[v - 1][0])
    client.set_model_version_tag(name, str(v), "status", "candidate")
client.set_registered_model_alias(name, "baseline", "1")
client.set_registered_model_alias(name, "champion", str(ranked[0][2]))
client.set_registered_model_alias(name, "staging", str(ranked[1][2]))
champion = mlflow.pyfunc.load_model(f"models:/{name}@champion")
print("predictions:", list(champion.predict(Xte.iloc[:10])), "actual:", list(yte.iloc[:10]))
print(f"python: {time.perf_counter() - t0:.2f} s")
