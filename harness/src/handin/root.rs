use std::path::{Path, PathBuf};

use super::{HandinError, Kind, read_capped};

/// Most entries listed from one artefact folder; a hand-in with more is not a homework.
const MAX_LISTED: usize = 20_000;

/// A hand-in folder: every path read through it resolves inside it, links included.
#[derive(Debug, Clone)]
pub struct HandIn {
    root: PathBuf,
    canonical: PathBuf,
}

/// The files of a folder, and the entries that were not followed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Listing {
    /// Paths relative to the listed folder, `/`-separated, sorted.
    pub files: Vec<String>,
    /// Why some entries were left out (links leaving the hand-in, too many entries).
    pub refused: Vec<String>,
}

impl HandIn {
    /// The hand-in at `root` (a folder, or the folder around a store file).
    pub fn new(root: &Path) -> Result<HandIn, HandinError> {
        let canonical = std::fs::canonicalize(root).map_err(HandinError::io(root))?;
        Ok(HandIn {
            root: root.to_path_buf(),
            canonical,
        })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// `path` as the caller means it: absolute, already under the root as given (`hw/alice/x`
    /// for root `hw/alice`), or relative to the root.
    fn supplied(&self, path: &Path) -> PathBuf {
        if path.is_absolute() || (self.root.is_relative() && path.starts_with(&self.root)) {
            path.to_path_buf()
        } else {
            self.root.join(path)
        }
    }

    /// Where `path` (absolute, or relative to the root) really is, if that is inside the hand-in.
    pub fn resolve(&self, path: &Path) -> Result<PathBuf, HandinError> {
        let joined = self.supplied(path);
        let real = std::fs::canonicalize(&joined).map_err(HandinError::io(&joined))?;
        if real.starts_with(&self.canonical) {
            Ok(real)
        } else {
            Err(HandinError::Outside {
                path: joined,
                root: self.root.clone(),
            })
        }
    }

    /// True when `path` exists and resolves inside the hand-in.
    pub fn contains(&self, path: &Path) -> bool {
        self.resolve(path).is_ok()
    }

    /// A folder inside the hand-in.
    pub fn dir(&self, path: &Path) -> Result<PathBuf, HandinError> {
        let real = self.resolve(path)?;
        if real.is_dir() {
            Ok(real)
        } else {
            Err(HandinError::Io {
                path: self.supplied(path),
                source: std::io::Error::new(std::io::ErrorKind::NotADirectory, "not a folder"),
            })
        }
    }

    /// Reads a regular file inside the hand-in, capped by its kind.
    pub fn read_bytes(&self, path: &Path, kind: Kind) -> Result<Vec<u8>, HandinError> {
        let real = self.resolve(path)?;
        read_capped(&real, kind).map_err(|e| named(e, &self.supplied(path)))
    }

    /// [`read_bytes`](Self::read_bytes) as UTF-8 text.
    pub fn read_text(&self, path: &Path, kind: Kind) -> Result<String, HandinError> {
        let bytes = self.read_bytes(path, kind)?;
        String::from_utf8(bytes).map_err(|_| HandinError::NotText {
            path: self.supplied(path),
        })
    }

    /// Lists the files under `dir` (inside the hand-in). Links are listed when they resolve to a
    /// file inside the hand-in and refused otherwise; linked folders are never entered, so a
    /// link cycle or a link to `/` cannot make the listing endless.
    pub fn list_files(&self, dir: &Path) -> Result<Listing, HandinError> {
        let top = self.dir(dir)?;
        let mut out = Listing::default();
        let mut stack = vec![top.clone()];
        while let Some(d) = stack.pop() {
            let Ok(entries) = std::fs::read_dir(&d) else {
                continue;
            };
            for e in entries.flatten() {
                if out.files.len() + stack.len() >= MAX_LISTED {
                    out.refused.push(format!(
                        "more than {MAX_LISTED} entries; the rest not listed"
                    ));
                    return Ok(finish(out));
                }
                let p = e.path();
                let rel = p
                    .strip_prefix(&top)
                    .map(|r| r.to_string_lossy().replace('\\', "/"))
                    .unwrap_or_default();
                match e.file_type() {
                    Ok(t) if t.is_dir() => stack.push(p),
                    Ok(t) if t.is_file() => out.files.push(rel),
                    Ok(t) if t.is_symlink() => match self.resolve(&p) {
                        Ok(real) if real.is_file() => out.files.push(rel),
                        Ok(_) => out
                            .refused
                            .push(format!("{rel}: a link to a folder; not followed")),
                        Err(_) => out.refused.push(format!(
                            "{rel}: a link leading outside the hand-in (or nowhere); not followed"
                        )),
                    },
                    _ => out
                        .refused
                        .push(format!("{rel}: not a regular file; not listed")),
                }
            }
        }
        Ok(finish(out))
    }
}

fn finish(mut l: Listing) -> Listing {
    l.files.sort();
    l.refused.sort();
    l
}

/// Errors about the resolved path carry the path the hand-in supplied instead.
fn named(e: HandinError, supplied: &Path) -> HandinError {
    let path = supplied.to_path_buf();
    match e {
        HandinError::NotRegular { found, .. } => HandinError::NotRegular { path, found },
        HandinError::TooLarge {
            kind, size, limit, ..
        } => HandinError::TooLarge {
            path,
            kind,
            size,
            limit,
        },
        HandinError::Io { source, .. } => HandinError::Io { path, source },
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    fn hand_in() -> (tempfile::TempDir, HandIn) {
        let t = tempfile::tempdir().unwrap();
        let root = t.path().join("alice");
        std::fs::create_dir_all(root.join("art/sub")).unwrap();
        std::fs::write(root.join("art/MLmodel"), "flavors: {}\n").unwrap();
        std::fs::write(root.join("art/sub/model.pkl"), b"x").unwrap();
        std::fs::create_dir_all(t.path().join("outside")).unwrap();
        std::fs::write(t.path().join("outside/CANARY"), "secret").unwrap();
        let h = HandIn::new(&root).unwrap();
        (t, h)
    }

    #[test]
    fn reads_inside_and_refuses_links_that_leave() {
        let (t, h) = hand_in();
        assert_eq!(
            h.read_text(Path::new("art/MLmodel"), Kind::Mlmodel)
                .unwrap(),
            "flavors: {}\n"
        );
        symlink(t.path().join("outside/CANARY"), h.root().join("art/leak")).unwrap();
        symlink("/etc/passwd", h.root().join("passwd")).unwrap();
        for p in ["art/leak", "passwd", "../outside/CANARY"] {
            let err = h
                .read_text(Path::new(p), Kind::Text)
                .unwrap_err()
                .to_string();
            assert!(err.contains("outside the hand-in"), "{p}: {err}");
            assert!(!err.contains("CANARY") || p.contains("CANARY"), "{err}");
            assert!(!err.contains("/etc/passwd"), "{err}");
        }
        // A link that stays inside is fine.
        symlink("MLmodel", h.root().join("art/again")).unwrap();
        assert!(h.read_text(Path::new("art/again"), Kind::Text).is_ok());
    }

    #[test]
    fn relative_roots_take_paths_built_from_them() {
        let (t, _) = hand_in();
        let cwd = std::env::current_dir().unwrap();
        // A relative root, as `--store hw/alice/mlflow.db` gives: paths under it stay as built.
        let rel = pathdiff(t.path(), &cwd).join("alice");
        let h = HandIn::new(&rel).unwrap();
        assert!(h.read_text(&rel.join("art/MLmodel"), Kind::Mlmodel).is_ok());
        assert!(h.read_text(Path::new("art/MLmodel"), Kind::Mlmodel).is_ok());
    }

    /// `to` relative to `from` via `..` steps (both absolute).
    fn pathdiff(to: &Path, from: &Path) -> PathBuf {
        let ups = from.components().count() - 1;
        let mut out: PathBuf = std::iter::repeat_n("..", ups).collect();
        out.push(to.strip_prefix("/").unwrap());
        out
    }

    #[test]
    fn listing_never_enters_linked_folders() {
        let (t, h) = hand_in();
        symlink("/", h.root().join("art/root")).unwrap();
        symlink(t.path().join("outside"), h.root().join("art/out")).unwrap();
        symlink(t.path().join("outside/CANARY"), h.root().join("art/canary")).unwrap();
        symlink("sub/model.pkl", h.root().join("art/model-link.pkl")).unwrap();
        let l = h.list_files(Path::new("art")).unwrap();
        assert_eq!(l.files, ["MLmodel", "model-link.pkl", "sub/model.pkl"]);
        assert_eq!(l.refused.len(), 3, "{:?}", l.refused);
        assert!(l.refused.iter().all(|r| !r.contains("CANARY")));
        // A folder that is itself a link out of the hand-in is refused outright.
        symlink("/etc", h.root().join("etc")).unwrap();
        let err = h.list_files(Path::new("etc")).unwrap_err().to_string();
        assert!(err.contains("outside the hand-in"), "{err}");
    }
}
