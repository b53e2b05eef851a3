"""Regenerates sklearn_regression.json: scikit-learn's own regressors on the diabetes data (raw
features, as harness embeds them), for the regression fidelity tests.

Run with scikit-learn 1.9.1 (numpy/scipy as pip resolves them):
    python sklearn_regression.py > sklearn_regression.json
"""
import json

import sklearn
from sklearn.datasets import load_diabetes
from sklearn.ensemble import GradientBoostingRegressor, RandomForestRegressor
from sklearn.metrics import mean_absolute_error, r2_score, root_mean_squared_error
from sklearn.model_selection import train_test_split
from sklearn.tree import DecisionTreeRegressor

X, y = load_diabetes(return_X_y=True, scaled=False)
cases = []
for split_seed, test_size in [(42, 0.2), (0, 0.25), (7, 0.3)]:
    idx_train, idx_test = train_test_split(range(len(y)), test_size=test_size, random_state=split_seed)
    Xtr, Xte, ytr, yte = X[idx_train], X[idx_test], y[idx_train], y[idx_test]
    case = {"split_seed": split_seed, "test_size": test_size, "test": list(idx_test)}
    for name, make in [
        ("DecisionTree", lambda s: DecisionTreeRegressor(random_state=s)),
        ("DecisionTreeDepth4", lambda s: DecisionTreeRegressor(max_depth=4, random_state=s)),
        ("RandomForest", lambda s: RandomForestRegressor(n_estimators=100, random_state=s)),
        ("RandomForestDepth6", lambda s: RandomForestRegressor(n_estimators=50, max_depth=6, min_samples_leaf=2, random_state=s)),
        ("GradientBoosting", lambda s: GradientBoostingRegressor(n_estimators=100, random_state=s)),
    ]:
        runs = []
        for model_seed in range(5):
            model = make(model_seed).fit(Xtr, ytr)
            pred = model.predict(Xte)
            runs.append({
                "rmse": root_mean_squared_error(yte, pred),
                "mae": mean_absolute_error(yte, pred),
                "r2": r2_score(yte, pred),
                "predictions": pred.tolist(),
            })
        case[name] = {"runs": runs}
    cases.append(case)
print(json.dumps({"sklearn_version": sklearn.__version__, "cases": cases}))
