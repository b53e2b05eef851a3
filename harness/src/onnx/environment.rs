//! The environment files MLflow keeps beside a model (`requirements.txt`, `python_env.yaml`,
//! `conda.yaml`), written as `mlflow.onnx.log_model` writes them, so `mlflow models serve` and
//! `mlflow.pyfunc` know what to install: the pinned mlflow, onnx and onnxruntime.

use crate::server::{MLFLOW_VERSION, ONNX_PACKAGES};

pub const REQUIREMENTS_FILE: &str = "requirements.txt";
pub const PYTHON_ENV_FILE: &str = "python_env.yaml";
pub const CONDA_FILE: &str = "conda.yaml";

/// The Python the environment files ask for. MLflow writes the logging interpreter's version;
/// harness logs without Python, so it names the minor version its pinned packages are tested
/// with (pyenv/uv pick the patch release).
pub const PYTHON_VERSION: &str = "3.11";

/// Pinned pip requirements, sorted, mlflow first (what `mlflow.onnx` infers for these models).
pub fn requirements() -> Vec<String> {
    let mut all = vec![format!("mlflow=={MLFLOW_VERSION}")];
    all.extend(ONNX_PACKAGES.iter().map(|r| (*r).to_owned()));
    all
}

/// `requirements.txt`: one requirement a line, no trailing newline (MLflow's `"\n".join`).
pub fn requirements_txt() -> String {
    requirements().join("\n")
}

/// `python_env.yaml`, keys in MLflow's order (it dumps with `sort_keys=False`).
pub fn python_env_yaml() -> String {
    format!(
        "python: '{PYTHON_VERSION}'\nbuild_dependencies:\n- pip\n- setuptools\n- wheel\n\
         dependencies:\n- -r {REQUIREMENTS_FILE}\n"
    )
}

/// `conda.yaml`, as MLflow's `_mlflow_conda_env` writes it (sorted keys).
pub fn conda_yaml() -> String {
    let pip: String = requirements()
        .iter()
        .map(|r| format!("  - {r}\n"))
        .collect();
    format!(
        "channels:\n- conda-forge\ndependencies:\n- python={PYTHON_VERSION}\n- pip\n- pip:\n\
         {pip}name: mlflow-env\n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_files_name_the_pinned_mlflow_and_onnxruntime_and_parse_as_yaml() {
        let req = requirements_txt();
        assert!(
            req.starts_with(&format!("mlflow=={MLFLOW_VERSION}\n")),
            "{req}"
        );
        assert!(req.contains("onnxruntime=="), "{req}");
        let env: serde_yaml_ng::Value = serde_yaml_ng::from_str(&python_env_yaml()).unwrap();
        assert_eq!(env["python"].as_str(), Some(PYTHON_VERSION));
        assert_eq!(env["dependencies"][0].as_str(), Some("-r requirements.txt"));
        let conda: serde_yaml_ng::Value = serde_yaml_ng::from_str(&conda_yaml()).unwrap();
        let pip = conda["dependencies"][2]["pip"].as_sequence().unwrap();
        let pip: Vec<&str> = pip.iter().filter_map(|v| v.as_str()).collect();
        assert_eq!(pip, requirements());
        assert_eq!(conda["name"].as_str(), Some("mlflow-env"));
    }
}
