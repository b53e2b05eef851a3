use harness::mlflow::{
    KeyValue, LoggedModelStatus, ModelUri, NewLoggedModel, NewModelVersion, Stage,
};
use harness_e2e::{Scene, client, unique};

/// A scene with a registered model holding `n` versions, each backed by a logged model whose
/// `MLmodel` names its version.
struct Registry {
    scene: Scene,
    name: String,
}

impl Registry {
    fn new(n: usize) -> Registry {
        let scene = Scene::new("reg");
        let name = scene.model_name("model");
        let c = &scene.client;
        c.create_registered_model(
            &name,
            &[KeyValue::new("task", "classification")],
            Some("first description"),
        )
        .unwrap();
        for v in 1..=n {
            let run = scene.run(&format!("v{v}"));
            let lm = c
                .create_logged_model(&NewLoggedModel {
                    experiment_id: scene.experiment_id.clone(),
                    name: "model".into(),
                    source_run_id: Some(run.info.run_id.clone()),
                    ..Default::default()
                })
                .unwrap();
            c.upload_artifact(
                &lm.info.artifact_uri,
                "MLmodel",
                format!("version: {v}\n").into_bytes(),
            )
            .unwrap();
            c.upload_artifact(&lm.info.artifact_uri, "data/model.json", b"{}".to_vec())
                .unwrap();
            c.finalize_logged_model(&lm.info.model_id, LoggedModelStatus::Ready)
                .unwrap();
            let mv = c
                .create_model_version(&NewModelVersion {
                    name: name.clone(),
                    source: format!("models:/{}", lm.info.model_id),
                    run_id: Some(run.info.run_id.clone()),
                    model_id: Some(lm.info.model_id.clone()),
                    tags: vec![KeyValue::new("model_type", format!("type{v}"))],
                    description: None,
                })
                .unwrap();
            assert_eq!(mv.version, v.to_string());
            assert_eq!(mv.run_id, run.info.run_id);
            scene.finish(&run);
        }
        Registry { scene, name }
    }
}

#[test]
fn registered_model_create_get_update_tags_search_delete() {
    let r = Registry::new(1);
    let c = &r.scene.client;
    let got = c.get_registered_model(&r.name).unwrap();
    assert_eq!(got.description, "first description");
    assert_eq!(got.tag("task"), Some("classification"));
    c.update_registered_model_description(&r.name, "Wine classifiers: DT, RF, GB")
        .unwrap();
    c.set_registered_model_tag(&r.name, "team", "harness")
        .unwrap();
    c.delete_registered_model_tag(&r.name, "task").unwrap();
    let got = c.get_registered_model(&r.name).unwrap();
    assert_eq!(got.description, "Wine classifiers: DT, RF, GB");
    assert_eq!(got.tag("team"), Some("harness"));
    assert_eq!(got.tag("task"), None);
    let found = c
        .search_registered_models(Some(&format!("name LIKE '{}%'", r.scene.name)))
        .unwrap();
    assert_eq!(found.len(), 1);
    c.delete_registered_model(&r.name).unwrap();
    assert!(c.find_registered_model(&r.name).unwrap().is_none());
}

#[test]
fn model_versions_get_update_search_tags_and_download_uri() {
    let r = Registry::new(2);
    let c = &r.scene.client;
    let v2 = c.get_model_version(&r.name, "2").unwrap();
    assert_eq!(v2.tag("model_type"), Some("type2"));
    assert!(v2.source.starts_with("models:/m-"), "{}", v2.source);
    c.update_model_version_description(&r.name, "2", "the better one")
        .unwrap();
    c.set_model_version_tag(&r.name, "2", "status", "staging")
        .unwrap();
    c.delete_model_version_tag(&r.name, "2", "model_type")
        .unwrap();
    let v2 = c.get_model_version(&r.name, "2").unwrap();
    assert_eq!(v2.description, "the better one");
    assert_eq!(v2.tag("status"), Some("staging"));
    assert_eq!(v2.tag("model_type"), None);
    let versions = c
        .search_model_versions(Some(&format!("name='{}'", r.name)))
        .unwrap();
    let mut numbers: Vec<&str> = versions.iter().map(|v| v.version.as_str()).collect();
    numbers.sort();
    assert_eq!(numbers, ["1", "2"]);
    let uri = c.get_model_version_download_uri(&r.name, "1").unwrap();
    assert!(uri.starts_with("mlflow-artifacts:/"), "{uri}");
    assert_eq!(
        c.download_artifact(&uri, "MLmodel").unwrap(),
        b"version: 1\n"
    );
}

#[test]
fn alias_set_get_delete_then_lookup_is_a_400() {
    let r = Registry::new(2);
    let c = &r.scene.client;
    c.set_alias(&r.name, "champion", "2").unwrap();
    c.set_alias(&r.name, "baseline", "1").unwrap();
    assert_eq!(
        c.get_model_version_by_alias(&r.name, "champion")
            .unwrap()
            .version,
        "2"
    );
    let rm = c.get_registered_model(&r.name).unwrap();
    assert_eq!(rm.alias("baseline"), Some("1"));
    c.delete_alias(&r.name, "champion").unwrap();
    let err = c
        .get_model_version_by_alias(&r.name, "champion")
        .unwrap_err();
    assert_eq!(err.status(), Some(400), "{err}");
    assert_eq!(err.error_code(), Some("INVALID_PARAMETER_VALUE"), "{err}");
}

#[test]
fn stage_transitions_and_stage_uris() {
    let r = Registry::new(2);
    let c = &r.scene.client;
    let mv = c
        .transition_model_version_stage(&r.name, "1", Stage::Production, false)
        .unwrap();
    assert_eq!(mv.current_stage, "Production");
    c.transition_model_version_stage(&r.name, "2", Stage::Production, true)
        .unwrap();
    assert_eq!(
        c.get_model_version(&r.name, "1").unwrap().current_stage,
        "Archived"
    );
    let prod = c
        .resolve_model_uri(&ModelUri::parse(&format!("models:/{}/Production", r.name)).unwrap())
        .unwrap();
    assert_eq!(prod.version.unwrap().version, "2");
}

#[test]
fn every_model_uri_form_downloads_the_right_files() {
    let r = Registry::new(3);
    let c = &r.scene.client;
    c.set_alias(&r.name, "champion", "2").unwrap();
    let dest = tempfile::tempdir().unwrap();
    let (resolved, files) = c
        .download_model(&format!("models:/{}@champion", r.name), dest.path())
        .unwrap();
    assert_eq!(resolved.version.as_ref().unwrap().version, "2");
    assert_eq!(files, vec!["MLmodel", "data/model.json"]);
    assert_eq!(
        std::fs::read(dest.path().join("MLmodel")).unwrap(),
        b"version: 2\n"
    );

    let by_version = c
        .resolve_model_uri(&ModelUri::parse(&format!("models:/{}/3", r.name)).unwrap())
        .unwrap();
    assert_eq!(
        c.download_artifact(&by_version.artifact_uri, "MLmodel")
            .unwrap(),
        b"version: 3\n"
    );

    let v1 = c.get_model_version(&r.name, "1").unwrap();
    let by_id = c
        .resolve_model_uri(&ModelUri::parse(&v1.source).unwrap())
        .unwrap();
    assert_eq!(
        c.download_artifact(&by_id.artifact_uri, "MLmodel").unwrap(),
        b"version: 1\n"
    );

    c.upload_artifact(
        &c.get_run(&v1.run_id).unwrap().info.artifact_uri,
        "extra/file.txt",
        b"run file".to_vec(),
    )
    .unwrap();
    let by_run = c
        .resolve_model_uri(&ModelUri::parse(&format!("runs:/{}/extra", v1.run_id)).unwrap())
        .unwrap();
    assert_eq!(
        c.download_artifact(&by_run.artifact_uri, "file.txt")
            .unwrap(),
        b"run file"
    );

    let latest = c
        .resolve_model_uri(&ModelUri::parse(&format!("models:/{}/latest", r.name)).unwrap())
        .unwrap();
    assert_eq!(latest.version.unwrap().version, "3");
}

#[test]
fn server_errors_surface_with_their_error_code() {
    let c = client();
    let name = unique("dup");
    c.create_registered_model(&name, &[], None).unwrap();
    let err = c.create_registered_model(&name, &[], None).unwrap_err();
    assert!(err.is_already_exists(), "{err}");
    assert_eq!(err.status(), Some(400));
    assert!(err.to_string().contains("RESOURCE_ALREADY_EXISTS"), "{err}");
    let err = c.get_registered_model(&unique("missing")).unwrap_err();
    assert!(err.is_not_found(), "{err}");
    assert_eq!(err.error_code(), Some("RESOURCE_DOES_NOT_EXIST"));
    c.delete_registered_model(&name).unwrap();
}
