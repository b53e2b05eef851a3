//! The git commit a run is made from, for provenance tags.

/// `git rev-parse HEAD` in the current directory: the commit a run was made from, for the
/// `mlflow.source.git.commit` tag. `None` outside a repository or without git (a release
/// binary run anywhere), which is not an error.
pub(crate) fn git_commit() -> Option<String> {
    let out = std::process::Command::new("git")
        .args(["rev-parse", "HEAD"])
        .stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .output()
        .ok()?;
    let commit = String::from_utf8(out.stdout).ok()?.trim().to_owned();
    (out.status.success() && commit.len() >= 40 && commit.chars().all(|c| c.is_ascii_hexdigit()))
        .then_some(commit)
}
