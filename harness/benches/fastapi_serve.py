"""The course's serving app (seed mlops-fundamentals-day.md, exercise 6) as a benchmark anchor:
FastAPI + uvicorn, the champion loaded once with mlflow.pyfunc (its ONNX flavor through
onnxruntime), POST /predict with the seed's Prometheus metrics, GET /metrics.

usage: python fastapi_serve.py MODEL_URI PORT   (MLFLOW_TRACKING_URI set)
body:  {"features": [v0, v1, ...]}  -> {"class": k, "probabilities": [...]}
"""

import sys
import time

import mlflow
import numpy as np
import pandas as pd
import uvicorn
from fastapi import FastAPI
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Gauge, Histogram, generate_latest
from pydantic import BaseModel

model_uri, port = sys.argv[1], int(sys.argv[2])
model = mlflow.pyfunc.load_model(model_uri)
inputs = model.metadata.get_input_schema()
columns = inputs.input_names() if inputs is not None and inputs.has_input_names() else None

REQUEST_COUNT = Counter("model_predictions_total", "Total predictions")
REQUEST_LATENCY = Histogram("model_prediction_latency_seconds", "Prediction latency")
MODEL_ACCURACY = Gauge("model_accuracy", "Current model accuracy")
PREDICTION_DISTRIBUTION = Counter("prediction_class", "Prediction class distribution", ["class"])

app = FastAPI()


class InputData(BaseModel):
    features: list[float]


@app.post("/predict")
async def predict(data: InputData):
    REQUEST_COUNT.inc()
    start = time.time()
    if columns is not None:
        frame = pd.DataFrame([data.features], columns=columns)
    else:
        frame = np.asarray([data.features], dtype=np.float32)
    out = model.predict(frame)
    n_classes = sum(1 for c in out if str(c).startswith("probability_"))
    probabilities = [float(np.asarray(out[f"probability_{k}"])[0]) for k in range(n_classes)]
    result = {"class": int(np.asarray(out["label"])[0]), "probabilities": probabilities}
    REQUEST_LATENCY.observe(time.time() - start)
    PREDICTION_DISTRIBUTION.labels(result["class"]).inc()
    return result


@app.get("/metrics")
async def metrics():
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)


if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")
