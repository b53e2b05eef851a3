//! The Prometheus metrics of `/metrics`, named as seed exercise 6 names them
//! (`model_predictions_total`, `model_prediction_latency_seconds`, `model_accuracy`,
//! `prediction_class_total{class}`), plus request counts and durations by handler and status
//! as `prometheus-fastapi-instrumentator` names them, and `model_info{name,version,alias}`.

use std::sync::atomic::AtomicU64;
use std::time::Duration;

use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

use super::model::Identity;

type ClassLabel = [(&'static str, String); 1];
type RequestLabels = [(&'static str, String); 3];
type InfoLabels = [(&'static str, String); 3];

/// Buckets from 25 µs to ~0.8 s: a tree answers in microseconds, a big batch in milliseconds.
fn latency_histogram() -> Histogram {
    Histogram::new(exponential_buckets(25e-6, 2.0, 16))
}

#[derive(Debug)]
pub(crate) struct Metrics {
    registry: Registry,
    predictions: Counter,
    latency: Histogram,
    accuracy: Gauge<f64, AtomicU64>,
    classes: Family<ClassLabel, Counter>,
    requests: Family<RequestLabels, Counter>,
    durations: Family<RequestLabels, Histogram, fn() -> Histogram>,
    info: Family<InfoLabels, Gauge>,
}

impl Metrics {
    pub(crate) fn new() -> Self {
        let mut registry = Registry::default();
        let predictions = Counter::default();
        let latency = latency_histogram();
        let accuracy = Gauge::<f64, AtomicU64>::default();
        let classes = Family::<ClassLabel, Counter>::default();
        let requests = Family::<RequestLabels, Counter>::default();
        let durations = Family::<RequestLabels, Histogram, fn() -> Histogram>::new_with_constructor(
            latency_histogram,
        );
        let info = Family::<InfoLabels, Gauge>::default();
        // Counters get their `_total` suffix from the encoder.
        registry.register("model_predictions", "Rows predicted", predictions.clone());
        registry.register(
            "model_prediction_latency_seconds",
            "Time the model took to predict one request's rows",
            latency.clone(),
        );
        registry.register(
            "model_accuracy",
            "Test accuracy the served version's run logged (NaN when it logged none)",
            accuracy.clone(),
        );
        registry.register(
            "prediction_class",
            "Predicted rows by class",
            classes.clone(),
        );
        registry.register(
            "http_requests",
            "HTTP requests by handler, method and status",
            requests.clone(),
        );
        registry.register(
            "http_request_duration_seconds",
            "HTTP request durations by handler, method and status",
            durations.clone(),
        );
        registry.register(
            "model_info",
            "The model version answering (1) and earlier ones (removed when replaced)",
            info.clone(),
        );
        Metrics {
            registry,
            predictions,
            latency,
            accuracy,
            classes,
            requests,
            durations,
            info,
        }
    }

    /// A prediction of `labels` (one per row) that took `took`.
    pub(crate) fn predicted(&self, labels: &[usize], took: Duration) {
        self.predictions.inc_by(labels.len() as u64);
        self.latency.observe(took.as_secs_f64());
        for label in labels {
            self.classes
                .get_or_create(&[("class", label.to_string())])
                .inc();
        }
    }

    pub(crate) fn request(&self, handler: &str, method: &str, status: u16, took: Duration) {
        let labels = [
            ("handler", handler.to_owned()),
            ("method", method.to_owned()),
            ("status", status.to_string()),
        ];
        self.requests.get_or_create(&labels).inc();
        self.durations
            .get_or_create(&labels)
            .observe(took.as_secs_f64());
    }

    /// `identity` answers from now on (`previous`, if any, no longer does).
    pub(crate) fn serving(&self, identity: &Identity, previous: Option<&Identity>) {
        if let Some(old) = previous {
            self.info.remove(&info_labels(old));
        }
        self.info.get_or_create(&info_labels(identity)).set(1);
        self.accuracy.set(identity.accuracy.unwrap_or(f64::NAN));
    }

    /// The OpenMetrics text exposition.
    pub(crate) fn render(&self) -> String {
        let mut text = String::new();
        // Writing into a String cannot fail.
        let _ = encode(&mut text, &self.registry);
        text
    }
}

fn info_labels(identity: &Identity) -> InfoLabels {
    let name = if identity.name.is_empty() {
        identity.uri.clone()
    } else {
        identity.name.clone()
    };
    [
        ("name", name),
        ("version", identity.version.clone()),
        ("alias", identity.alias.clone()),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_exposition_names_every_metric_of_the_seed_and_follows_the_version() {
        let m = Metrics::new();
        let v1 = Identity {
            name: "wine".into(),
            version: "1".into(),
            alias: "champion".into(),
            accuracy: Some(0.75),
            ..Identity::default()
        };
        m.serving(&v1, None);
        m.predicted(&[0, 2, 2], Duration::from_micros(40));
        m.request("/invocations", "POST", 200, Duration::from_micros(90));
        let text = m.render();
        for line in [
            "model_predictions_total 3",
            "model_prediction_latency_seconds_count 1",
            "model_accuracy 0.75",
            "prediction_class_total{class=\"2\"} 2",
            "prediction_class_total{class=\"0\"} 1",
            "http_requests_total{handler=\"/invocations\",method=\"POST\",status=\"200\"} 1",
            "http_request_duration_seconds_count{handler=\"/invocations\",method=\"POST\",status=\"200\"} 1",
            "model_info{name=\"wine\",version=\"1\",alias=\"champion\"} 1",
        ] {
            assert!(text.lines().any(|l| l == line), "{line} in\n{text}");
        }
        let v2 = Identity {
            version: "2".into(),
            accuracy: None,
            ..v1.clone()
        };
        m.serving(&v2, Some(&v1));
        let text = m.render();
        assert!(text.contains("model_info{name=\"wine\",version=\"2\",alias=\"champion\"} 1"));
        assert!(!text.contains("version=\"1\""), "{text}");
        assert!(text.contains("model_accuracy NaN"), "{text}");
    }
}
