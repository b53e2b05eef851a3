use harness::mlflow::{KeyValue, LoggedModelStatus, NewLoggedModel};
use harness_e2e::{Scene, sha256};

/// Deterministic pseudo-random bytes, so a corrupted byte anywhere would show.
fn bytes(n: usize) -> Vec<u8> {
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

#[test]
fn five_megabyte_artifact_round_trip_is_byte_identical() {
    let s = Scene::new("art");
    let run = s.run("upload");
    let data = bytes(5 * 1024 * 1024);
    s.client
        .upload_artifact(&run.info.artifact_uri, "blobs/big.bin", data.clone())
        .unwrap();
    let back = s
        .client
        .download_artifact(&run.info.artifact_uri, "blobs/big.bin")
        .unwrap();
    assert_eq!(back.len(), data.len());
    assert_eq!(sha256(&back), sha256(&data));
}

#[test]
fn listing_and_recursive_download_keep_the_tree() {
    let s = Scene::new("tree");
    let run = s.run("tree");
    let src = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(src.path().join("model/sub")).unwrap();
    std::fs::write(src.path().join("model/MLmodel"), "flavors: {}\n").unwrap();
    std::fs::write(src.path().join("model/sub/weights.bin"), bytes(1000)).unwrap();
    std::fs::write(src.path().join("model/notes with space.txt"), "hello").unwrap();
    s.client
        .upload_path(&run.info.artifact_uri, "model", &src.path().join("model"))
        .unwrap();

    let top = s.client.list_artifacts(&run.info.artifact_uri, "").unwrap();
    let names: Vec<(&str, bool)> = top.iter().map(|f| (f.path.as_str(), f.is_dir)).collect();
    assert!(names.contains(&("model", true)), "{names:?}");
    let inner = s
        .client
        .list_artifacts(&run.info.artifact_uri, "model")
        .unwrap();
    let mlmodel = inner
        .iter()
        .find(|f| f.path == "model/MLmodel")
        .expect("model/MLmodel listed");
    assert_eq!(mlmodel.file_size, Some(12));

    let dest = tempfile::tempdir().unwrap();
    let files = s
        .client
        .download_dir(&run.info.artifact_uri, "model", dest.path())
        .unwrap();
    assert_eq!(
        files,
        vec!["MLmodel", "notes with space.txt", "sub/weights.bin"]
    );
    assert_eq!(
        std::fs::read(dest.path().join("sub/weights.bin")).unwrap(),
        bytes(1000)
    );
}

#[test]
fn logged_model_lifecycle_and_run_outputs() {
    let s = Scene::new("lm");
    let run = s.run("train");
    let model = s
        .client
        .create_logged_model(&NewLoggedModel {
            experiment_id: s.experiment_id.clone(),
            name: "model".into(),
            model_type: Some("harness-tree".into()),
            source_run_id: Some(run.info.run_id.clone()),
            params: vec![KeyValue::new("max_depth", "3")],
            tags: vec![KeyValue::new("flavor", "harness")],
        })
        .unwrap();
    assert!(
        model.info.model_id.starts_with("m-"),
        "{}",
        model.info.model_id
    );
    assert_eq!(model.info.status, LoggedModelStatus::Pending);
    s.client
        .upload_artifact(
            &model.info.artifact_uri,
            "MLmodel",
            b"flavors: {}\n".to_vec(),
        )
        .unwrap();
    s.client
        .set_logged_model_tags(&model.info.model_id, &[KeyValue::new("extra", "yes")])
        .unwrap();
    s.client
        .log_logged_model_params(&model.info.model_id, &[KeyValue::new("seed", "42")])
        .unwrap();
    let ready = s
        .client
        .finalize_logged_model(&model.info.model_id, LoggedModelStatus::Ready)
        .unwrap();
    assert_eq!(ready.info.status, LoggedModelStatus::Ready);
    s.client
        .log_outputs(&run.info.run_id, &[(&model.info.model_id, 0)])
        .unwrap();

    let got = s.client.get_logged_model(&model.info.model_id).unwrap();
    assert_eq!(harness::mlflow::find(&got.info.tags, "extra"), Some("yes"));
    assert_eq!(harness::mlflow::find(&got.data.params, "seed"), Some("42"));
    assert_eq!(
        harness::mlflow::find(&got.data.params, "max_depth"),
        Some("3")
    );
    let found = s
        .client
        .search_logged_models(std::slice::from_ref(&s.experiment_id))
        .unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].info.model_id, model.info.model_id);
    let mlmodel = s
        .client
        .download_artifact(&got.info.artifact_uri, "MLmodel")
        .unwrap();
    assert_eq!(mlmodel, b"flavors: {}\n");
}
