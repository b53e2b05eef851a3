use harness::mlflow::{
    Dataset, DatasetInput, KeyValue, Metric, RunSearch, RunStatus, ViewType, now_ms,
};
use harness_e2e::{Scene, client, unique};

#[test]
fn experiments_create_get_search_and_get_or_create() {
    let c = client();
    let name = unique("exp");
    assert!(c.get_experiment_by_name(&name).unwrap().is_none());
    let id = c.get_or_create_experiment(&name).unwrap();
    assert_eq!(
        c.get_or_create_experiment(&name).unwrap(),
        id,
        "second call must reuse"
    );
    let exp = c.get_experiment_by_name(&name).unwrap().unwrap();
    assert_eq!(exp.experiment_id, id);
    assert_eq!(c.get_experiment(&id).unwrap().name, name);
    let found = c
        .search_experiments(Some(&format!("name = '{name}'")), ViewType::ActiveOnly)
        .unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].experiment_id, id);
}

#[test]
fn runs_carry_name_tags_start_time_and_status() {
    let s = Scene::new("runs");
    let start = now_ms() - 5_000;
    let run = s
        .client
        .create_run(&harness::mlflow::NewRun {
            experiment_id: s.experiment_id.clone(),
            run_name: Some("wine-v1-DecisionTree".into()),
            start_time: Some(start),
            tags: vec![KeyValue::new("owner", "e2e")],
        })
        .unwrap();
    assert_eq!(run.info.run_name, "wine-v1-DecisionTree");
    assert_eq!(run.info.start_time, start);
    assert_eq!(run.info.status, RunStatus::Running);
    s.client.set_tag(&run.info.run_id, "stage", "test").unwrap();
    s.client
        .set_run_note(&run.info.run_id, "a **markdown** note")
        .unwrap();
    s.client.log_param(&run.info.run_id, "seed", "42").unwrap();
    s.client
        .log_metric(&run.info.run_id, &Metric::new("single", 0.25, now_ms(), 0))
        .unwrap();
    let info = s
        .client
        .update_run(&run.info.run_id, RunStatus::Finished, Some(now_ms()))
        .unwrap();
    assert_eq!(info.status, RunStatus::Finished);
    let got = s.client.get_run(&run.info.run_id).unwrap();
    assert_eq!(got.tag("owner"), Some("e2e"));
    assert_eq!(got.tag("stage"), Some("test"));
    assert_eq!(got.tag("mlflow.note.content"), Some("a **markdown** note"));
    assert_eq!(got.param("seed"), Some("42"));
    assert_eq!(got.metric("single"), Some(0.25));
    assert!(got.info.end_time.is_some());
}

#[test]
fn log_batch_of_ten_thousand_points_arrives_complete_and_in_order() {
    let s = Scene::new("batch");
    let run = s.run("many-points");
    let t0 = now_ms();
    let points: Vec<Metric> = (0..10_000)
        .map(|i| Metric::new("loss", 1.0 / (i as f64 + 1.0), t0 + i, i))
        .collect();
    let params: Vec<KeyValue> = (0..150)
        .map(|i| KeyValue::new(format!("p{i:03}"), i.to_string()))
        .collect();
    let tags: Vec<KeyValue> = (0..120)
        .map(|i| KeyValue::new(format!("t{i:03}"), "x"))
        .collect();
    s.client
        .log_batch(&run.info.run_id, &points, &params, &tags)
        .unwrap();
    let history = s
        .client
        .get_metric_history(&run.info.run_id, "loss")
        .unwrap();
    assert_eq!(history.len(), 10_000);
    let steps: Vec<i64> = history.iter().map(|m| m.step).collect();
    assert_eq!(steps, (0..10_000).collect::<Vec<_>>());
    let mismatch: Vec<_> = history
        .iter()
        .zip(&points)
        .filter(|(a, b)| a.value != b.value)
        .take(3)
        .collect();
    assert!(mismatch.is_empty(), "{mismatch:?}");
    let got = s.client.get_run(&run.info.run_id).unwrap();
    assert_eq!(got.data.params.len(), 150);
    assert!(
        got.data
            .tags
            .iter()
            .filter(|t| t.key.starts_with('t'))
            .count()
            >= 120
    );
}

#[test]
fn non_finite_values_survive_the_round_trip() {
    let s = Scene::new("nan");
    let run = s.run("nan");
    let t = now_ms();
    let m = [
        Metric::new("a", f64::NAN, t, 0),
        Metric::new("b", f64::INFINITY, t, 0),
        Metric::new("c", f64::NEG_INFINITY, t, 0),
    ];
    s.client.log_batch(&run.info.run_id, &m, &[], &[]).unwrap();
    let got = s.client.get_run(&run.info.run_id).unwrap();
    assert!(got.metric("a").unwrap().is_nan());
    // MLflow stores ±Inf as ±f64::MAX.
    assert!(got.metric("b").unwrap() >= f64::MAX);
    assert!(got.metric("c").unwrap() <= -f64::MAX);
}

#[test]
fn search_filters_orders_and_paginates() {
    let s = Scene::new("search");
    for i in 0..7 {
        let run = s.run(&format!("r{i}"));
        s.client
            .log_batch(
                &run.info.run_id,
                &[Metric::new("accuracy", i as f64 / 10.0, now_ms(), 0)],
                &[KeyValue::new("i", i.to_string())],
                &[],
            )
            .unwrap();
        s.finish(&run);
    }
    let search = RunSearch {
        experiment_ids: vec![s.experiment_id.clone()],
        filter: Some("metrics.accuracy > 0.25".into()),
        order_by: vec!["metrics.accuracy DESC".into()],
        max_results: Some(2),
        ..Default::default()
    };
    let (page, token) = s.client.search_runs_page(&search, None).unwrap();
    assert_eq!(page.len(), 2);
    assert!(
        token.is_some(),
        "7 runs, 4 match, pages of 2: there must be a next page"
    );
    let all = s.client.search_runs(&search).unwrap();
    let accs: Vec<f64> = all.iter().map(|r| r.metric("accuracy").unwrap()).collect();
    assert_eq!(accs, vec![0.6, 0.5, 0.4, 0.3]);
}

#[test]
fn dataset_inputs_are_recorded_with_their_digest() {
    let s = Scene::new("inputs");
    let run = s.run("with-data");
    let input = DatasetInput {
        tags: vec![KeyValue::new("mlflow.data.context", "training")],
        dataset: Dataset {
            name: "wine".into(),
            digest: "10e8a802".into(),
            source_type: "local".into(),
            source: r#"{"uri": "tasks/data/wine/wine_data.csv"}"#.into(),
            schema: None,
            profile: Some(r#"{"num_rows": 178}"#.into()),
        },
    };
    s.client.log_inputs(&run.info.run_id, &[input]).unwrap();
    let got = s.client.get_run(&run.info.run_id).unwrap();
    assert_eq!(got.inputs.dataset_inputs.len(), 1);
    assert_eq!(got.inputs.dataset_inputs[0].dataset.digest, "10e8a802");
    assert_eq!(got.inputs.dataset_inputs[0].dataset.name, "wine");
}
