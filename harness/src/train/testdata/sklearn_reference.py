"""Regenerates sklearn_reference.json: scikit-learn's own results on wine, for the fidelity tests.

Run with scikit-learn 1.9.1 (numpy/scipy as pip resolves them):
    python sklearn_reference.py > sklearn_reference.json
"""
import json

from sklearn.datasets import load_wine
from sklearn.ensemble import GradientBoostingClassifier, RandomForestClassifier
from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import train_test_split
from sklearn.tree import DecisionTreeClassifier
import sklearn

X, y = load_wine(return_X_y=True)
cases = []
for split_seed, test_size in [(42, 0.2), (0, 0.2), (7, 0.3), (2024, 0.3)]:
    idx_train, idx_test = train_test_split(range(len(y)), test_size=test_size, random_state=split_seed)
    Xtr, Xte, ytr, yte = X[idx_train], X[idx_test], y[idx_train], y[idx_test]
    case = {"split_seed": split_seed, "test_size": test_size, "test": list(idx_test)}
    for name, make in [
        ("DecisionTree", lambda s: DecisionTreeClassifier(random_state=s)),
        ("RandomForest", lambda s: RandomForestClassifier(n_estimators=100, random_state=s)),
        ("GradientBoosting", lambda s: GradientBoostingClassifier(n_estimators=100, random_state=s)),
    ]:
        runs = []
        for model_seed in range(5):
            model = make(model_seed).fit(Xtr, ytr)
            pred = model.predict(Xte)
            runs.append({
                "accuracy": accuracy_score(yte, pred),
                "f1_weighted": f1_score(yte, pred, average="weighted"),
                "predictions": pred.tolist(),
            })
        case[name] = {"runs": runs}
    cases.append(case)
print(json.dumps({"sklearn_version": sklearn.__version__, "cases": cases}))
