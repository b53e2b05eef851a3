//! What a hand-in folder holds besides its MLflow store: notebooks, scripts, captured output,
//! screenshots and PDF exports, found by a bounded search of the folder.

use std::path::{Path, PathBuf};

use super::images::{ImageFormat, ImageSize, image_size};
use super::{HandIn, HandinError, Kind, Limits};

/// Deepest folder searched below the hand-in root (`root/a/b/c/d/file` is found).
const MAX_DEPTH: usize = 4;

/// Most entries looked at; a hand-in with more is not a homework.
const MAX_ENTRIES: usize = 20_000;

/// Folders never searched: MLflow's own stores (read elsewhere) and tool caches, which can
/// hold thousands of files and never hold the student's work.
const SKIPPED: [&str; 8] = [
    "mlartifacts",
    "mlruns",
    ".ipynb_checkpoints",
    ".git",
    "__pycache__",
    ".venv",
    "venv",
    "node_modules",
];

/// The files of a hand-in by kind, each list sorted by path.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Inventory {
    /// `.ipynb`
    pub notebooks: Vec<HandInFile>,
    /// `.py`
    pub scripts: Vec<HandInFile>,
    /// `.txt` and `.log`: captured printed output (`requirements*.txt` left out).
    pub captures: Vec<HandInFile>,
    /// `.png`, `.jpg`, `.jpeg`, `.webp`
    pub images: Vec<ImageFile>,
    /// `.pdf` exports, listed only.
    pub pdfs: Vec<HandInFile>,
    /// Files and folders left out, and why.
    pub notes: Vec<Note>,
}

/// A file of the hand-in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HandInFile {
    /// Relative to the hand-in root, `/`-separated.
    pub path: String,
    pub bytes: u64,
}

/// An image of the hand-in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageFile {
    pub file: HandInFile,
    /// The format the extension names.
    pub named: ImageFormat,
    /// Format and dimensions from the header; `None` when it is not an image of a known
    /// format (a renamed file, a truncated download).
    pub size: Option<ImageSize>,
}

/// A file or folder left out of the inventory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    /// Relative to the hand-in root, `/`-separated.
    pub path: String,
    pub reason: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Found {
    Notebook,
    Script,
    Capture,
    Image(ImageFormat),
    Pdf,
}

fn classify(name: &str) -> Option<Found> {
    let lower = name.to_ascii_lowercase();
    let ext = lower.rsplit_once('.')?.1;
    match ext {
        "ipynb" => Some(Found::Notebook),
        "py" => Some(Found::Script),
        // Dependency lists are not output.
        "txt" if lower.starts_with("requirements") => None,
        "txt" | "log" => Some(Found::Capture),
        "pdf" => Some(Found::Pdf),
        _ => ImageFormat::from_name(&lower).map(Found::Image),
    }
}

impl HandIn {
    /// Searches the hand-in (at most four folders deep, store and cache folders
    /// skipped, links followed only to files inside the hand-in) and reads image headers.
    pub fn inventory(&self) -> Result<Inventory, HandinError> {
        let top = self.dir(Path::new("."))?;
        let mut inv = Inventory::default();
        let mut stack: Vec<(PathBuf, String, usize)> = vec![(top, String::new(), 0)];
        let mut seen = 0usize;
        while let Some((dir, prefix, depth)) = stack.pop() {
            let Ok(entries) = std::fs::read_dir(&dir) else {
                inv.note(&prefix, "folder not readable; not searched");
                continue;
            };
            for e in entries.flatten() {
                seen += 1;
                if seen > MAX_ENTRIES {
                    inv.note(
                        "",
                        &format!("more than {MAX_ENTRIES} entries; the rest not searched"),
                    );
                    return Ok(inv.sorted());
                }
                let name = e.file_name().to_string_lossy().into_owned();
                let rel = if prefix.is_empty() {
                    name.clone()
                } else {
                    format!("{prefix}/{name}")
                };
                let Ok(t) = e.file_type() else { continue };
                if t.is_dir() {
                    if SKIPPED.contains(&name.as_str()) {
                        continue;
                    }
                    if depth >= MAX_DEPTH {
                        inv.note(
                            &rel,
                            &format!("deeper than {MAX_DEPTH} folders; not searched"),
                        );
                    } else {
                        stack.push((e.path(), rel, depth + 1));
                    }
                    continue;
                }
                let found = classify(&name);
                if t.is_symlink() {
                    match self.resolve(Path::new(&rel)) {
                        Ok(real) if real.is_file() => {}
                        Ok(real) if real.is_dir() => {
                            inv.note(&rel, "a link to a folder; not followed");
                            continue;
                        }
                        Ok(_) => {
                            inv.note(&rel, "a link to something that is not a regular file");
                            continue;
                        }
                        Err(_) => {
                            inv.note(
                                &rel,
                                "a link leading outside the hand-in (or nowhere); not followed",
                            );
                            continue;
                        }
                    }
                } else if !t.is_file() {
                    if found.is_some() {
                        inv.note(&rel, "not a regular file; not read");
                    }
                    continue;
                }
                if let Some(found) = found {
                    self.add(&mut inv, rel, found);
                }
            }
        }
        Ok(inv.sorted())
    }

    fn add(&self, inv: &mut Inventory, rel: String, found: Found) {
        let bytes = match self
            .resolve(Path::new(&rel))
            .and_then(|real| std::fs::metadata(&real).map_err(HandinError::io(real)))
        {
            Ok(m) => m.len(),
            Err(e) => return inv.note(&rel, &format!("not read: {e}")),
        };
        let cap = |kind: Kind| {
            let limit = Limits::current().cap(kind);
            (bytes > limit).then(|| {
                format!(
                    "too large: {bytes} bytes, over the {limit}-byte limit for {} files \
                     (raise it with --limit {}=SIZE)",
                    kind.name(),
                    kind.name()
                )
            })
        };
        let refusal = match found {
            Found::Notebook => cap(Kind::Notebook),
            Found::Script | Found::Capture => cap(Kind::Text),
            Found::Image(_) => cap(Kind::Image),
            Found::Pdf => None,
        };
        if let Some(reason) = refusal {
            return inv.note(&rel, &reason);
        }
        let file = HandInFile { path: rel, bytes };
        match found {
            Found::Notebook => inv.notebooks.push(file),
            Found::Script => inv.scripts.push(file),
            Found::Capture => inv.captures.push(file),
            Found::Pdf => inv.pdfs.push(file),
            Found::Image(named) => match self.read_bytes(Path::new(&file.path), Kind::Image) {
                Ok(b) => inv.images.push(ImageFile {
                    size: image_size(&b),
                    file,
                    named,
                }),
                Err(e) => inv.note(&file.path, &format!("not read: {e}")),
            },
        }
    }
}

impl Inventory {
    fn note(&mut self, path: &str, reason: &str) {
        self.notes.push(Note {
            path: path.to_owned(),
            reason: reason.to_owned(),
        });
    }

    fn sorted(mut self) -> Inventory {
        for l in [
            &mut self.notebooks,
            &mut self.scripts,
            &mut self.captures,
            &mut self.pdfs,
        ] {
            l.sort_by(|a, b| a.path.cmp(&b.path));
        }
        self.images.sort_by(|a, b| a.file.path.cmp(&b.file.path));
        self.notes.sort_by(|a, b| a.path.cmp(&b.path));
        self
    }

    /// True when nothing of the student's own work was found.
    pub fn is_empty(&self) -> bool {
        self.notebooks.is_empty()
            && self.scripts.is_empty()
            && self.captures.is_empty()
            && self.images.is_empty()
            && self.pdfs.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::handin::images::tests::{jpeg_bytes, png_bytes};
    use std::os::unix::fs::symlink;

    fn paths(l: &[HandInFile]) -> Vec<&str> {
        l.iter().map(|f| f.path.as_str()).collect()
    }

    #[test]
    fn finds_each_kind_bounded_and_notes_what_it_refuses() {
        let t = tempfile::tempdir().unwrap();
        let root = t.path().join("alice");
        let w = |p: &str, b: &[u8]| {
            let p = root.join(p);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, b).unwrap();
        };
        w("homework.ipynb", b"{}");
        w("src/train_wine.py", b"print(1)\n");
        w("outputs/run.log", b"Version 1: DT acc=0.94\n");
        w("outputs/task1_output.TXT", b"");
        w("requirements.txt", b"mlflow\n");
        w("screenshots/registry.png", &png_bytes(40, 30));
        w("screenshots/Versions.JPG", &jpeg_bytes(1366, 768));
        w("screenshots/broken.webp", b"RIFF");
        w("report.pdf", b"%PDF-1.7");
        w("a/b/c/d/deep.py", b"");
        w("a/b/c/d/e/too_deep.py", b"");
        w("mlruns/0/meta.yaml", b"");
        w("mlartifacts/1/x/artifacts/plot.png", &png_bytes(1, 1));
        w(".ipynb_checkpoints/homework-checkpoint.ipynb", b"{}");
        w(".venv/lib/site.py", b"");
        w("notes.md", b"not listed");
        std::fs::write(t.path().join("secret.txt"), "CANARY").unwrap();
        symlink(t.path().join("secret.txt"), root.join("leak.txt")).unwrap();
        symlink("report.pdf", root.join("copy.pdf")).unwrap();
        symlink("/", root.join("slash")).unwrap();
        symlink("screenshots", root.join("shots")).unwrap();
        let fifo = std::ffi::CString::new(root.join("out.log").to_str().unwrap()).unwrap();
        // SAFETY: a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(fifo.as_ptr(), 0o644) }, 0);

        let inv = HandIn::new(&root).unwrap().inventory().unwrap();
        assert_eq!(paths(&inv.notebooks), ["homework.ipynb"]);
        assert_eq!(
            paths(&inv.scripts),
            ["a/b/c/d/deep.py", "src/train_wine.py"]
        );
        assert_eq!(
            paths(&inv.captures),
            ["outputs/run.log", "outputs/task1_output.TXT"]
        );
        assert_eq!(paths(&inv.pdfs), ["copy.pdf", "report.pdf"]);
        assert_eq!(inv.pdfs[1].bytes, 8);
        let imgs: Vec<_> = inv
            .images
            .iter()
            .map(|i| {
                (
                    i.file.path.as_str(),
                    i.named,
                    i.size.map(|s| (s.width, s.height)),
                )
            })
            .collect();
        assert_eq!(
            imgs,
            [
                (
                    "screenshots/Versions.JPG",
                    ImageFormat::Jpeg,
                    Some((1366, 768))
                ),
                ("screenshots/broken.webp", ImageFormat::Webp, None),
                ("screenshots/registry.png", ImageFormat::Png, Some((40, 30))),
            ]
        );
        let notes: Vec<_> = inv
            .notes
            .iter()
            .map(|n| format!("{}: {}", n.path, n.reason))
            .collect();
        assert_eq!(
            notes,
            [
                "a/b/c/d/e: deeper than 4 folders; not searched",
                "leak.txt: a link leading outside the hand-in (or nowhere); not followed",
                "out.log: not a regular file; not read",
                "shots: a link to a folder; not followed",
                "slash: a link leading outside the hand-in (or nowhere); not followed",
            ]
        );
        assert!(!inv.is_empty());
    }

    #[test]
    fn refuses_files_over_their_cap_and_tolerates_an_empty_folder() {
        let t = tempfile::tempdir().unwrap();
        let h = HandIn::new(t.path()).unwrap();
        let inv = h.inventory().unwrap();
        assert!(inv.is_empty() && inv.notes.is_empty());
        let big = std::fs::File::create(t.path().join("huge.png")).unwrap();
        big.set_len(Limits::current().cap(Kind::Image) + 1).unwrap();
        let inv = h.inventory().unwrap();
        assert!(inv.images.is_empty());
        assert_eq!(inv.notes[0].path, "huge.png");
        assert!(
            inv.notes[0].reason.contains("--limit image="),
            "{:?}",
            inv.notes
        );
    }
}
