//! Hostile hand-ins: a corpus built at test time from the real fixture stores
//! (`tests/fixtures/submissions/`, made by the Python MLflow client) by mutating copies of
//! them — FIFOs, device links, huge and deeply nested files, alias bombs, symlinks that leave
//! the hand-in, broken SQLite stores, hostile tracking servers, secrets in URIs — and run
//! through the real `harness` binary, one subprocess per case under a memory cap and a wall
//! timeout. Every case must hold every invariant:
//!
//! - no panic (`panicked at`, exit 101), no abort or signal, no hang (done before the timeout);
//! - nothing outside the hand-in read or listed: no output (stdout, stderr, any file under
//!   `--out`) carries a canary planted outside it, `/etc/passwd`'s first line, or `/proc/`;
//! - no secret from a tracking URI or the environment in any output;
//! - the hand-in byte-identical afterwards, with no new files in it;
//! - a clear message: the output mentions the case's expected phrase (see `cases.rs`; cases
//!   whose exact wording is not settled only need a non-empty message).
//!
//! All failing cases are reported together at the end. `HARNESS_CORPUS_CASE=a,b` runs only the
//! cases whose name contains `a` or `b`; `HARNESS_CORPUS_THREADS` (default 4) and
//! `HARNESS_CORPUS_TIMEOUT_S` (default 30) tune the run; `HARNESS_CORPUS_REPORT=path` also
//! writes the summary there.

mod cases;
mod servers;

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::io::Read;
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use harness_e2e::{harness_bin, sha256};

/// Address-space cap for each `harness` run.
const MEMORY_CAP: u64 = 2 << 30;
/// What is kept of each output stream and of each file under `--out`.
const KEEP: usize = 16 << 20;

/// Everything a case builder needs: where the fixtures are, the canaries, the fake servers.
#[derive(Debug)]
pub(crate) struct Ctx {
    pub(crate) repo: PathBuf,
    pub(crate) fixtures: PathBuf,
    /// A folder beside every hand-in (never inside one) with the canaries.
    pub(crate) outside: PathBuf,
    pub(crate) uuid: String,
    /// `CANARY-<uuid>`: the name of every planted file.
    pub(crate) canary_name: String,
    /// `CANARY-CONTENT-<uuid>`: what they hold.
    pub(crate) canary_content: String,
    pub(crate) ports: BTreeMap<&'static str, u16>,
    pub(crate) python: String,
}

/// What one case runs, built in its own folder.
#[derive(Debug, Default)]
pub(crate) struct Plan {
    pub(crate) args: Vec<OsString>,
    pub(crate) env: Vec<(String, String)>,
    /// Folders that must be byte-identical afterwards (the hand-ins).
    pub(crate) inputs: Vec<PathBuf>,
    /// The `--out` folder whose files count as output.
    pub(crate) out: PathBuf,
    /// Case-specific strings no output may contain (secrets, "malformed", …).
    pub(crate) forbid: Vec<String>,
    /// Rows `gradebook.csv` (under `out`) must have, for class-folder runs.
    pub(crate) rows: Vec<Row>,
}

/// A `gradebook.csv` row a class run must produce.
#[derive(Debug, Clone)]
pub(crate) struct Row {
    /// The sub-folder's name; with `prefix`, the start of it (names that are not UTF-8).
    pub(crate) name: String,
    pub(crate) prefix: bool,
    pub(crate) want: Want,
}

#[derive(Debug, Clone, Copy)]
pub(crate) enum Want {
    /// Only that the row is there.
    Present,
    /// A non-empty `problem` cell: the TA learns why nothing was graded.
    Reason,
    /// Some points: the valid store beside the stray file was graded.
    Graded,
    /// Exactly this many points (the untouched neighbour in a class folder).
    Points(u32),
}

/// Builds a case's files in its folder and says how to run it.
pub(crate) type Build = Box<dyn Fn(&Ctx, &Path) -> Plan + Send + Sync>;

/// One corpus entry.
pub(crate) struct Case {
    pub(crate) name: String,
    /// Phrases (any one, case-insensitive) the output must mention; `None` where the wording
    /// is not settled: then only a non-empty message is required.
    pub(crate) expect: Option<&'static [&'static str]>,
    /// Why the case cannot run here, if it cannot.
    pub(crate) skip: Option<String>,
    pub(crate) build: Build,
}

#[derive(Debug)]
enum Verdict {
    Pass,
    Skip(String),
    Fail(Vec<String>),
}

#[test]
fn hostile_corpus_holds_every_invariant() {
    let began = Instant::now();
    let bin = harness_bin();
    let root = tempfile::Builder::new()
        .prefix("hostile-corpus-")
        .tempdir()
        .unwrap();
    let ctx = cases::context(root.path());
    let outside_before = tree_state(&ctx.outside);
    let mut all = cases::all(&ctx);
    let total = all.len();
    assert!(
        total >= 100,
        "the corpus must hold at least 100 cases, has {total}"
    );
    let mut names: Vec<&str> = all.iter().map(|c| c.name.as_str()).collect();
    names.sort();
    names.dedup();
    assert_eq!(names.len(), total, "case names must be unique");

    if let Ok(filter) = std::env::var("HARNESS_CORPUS_CASE")
        && !filter.trim().is_empty()
    {
        let parts: Vec<String> = filter
            .split(',')
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect();
        all.retain(|c| parts.iter().any(|p| c.name.contains(p.as_str())));
        assert!(
            !all.is_empty(),
            "HARNESS_CORPUS_CASE={filter} matches no case"
        );
    }
    let threads = env_num("HARNESS_CORPUS_THREADS", 4).max(1);
    let timeout = Duration::from_secs(env_num("HARNESS_CORPUS_TIMEOUT_S", 30));

    let queue = Mutex::new(all.iter().enumerate().collect::<Vec<_>>());
    let results = Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                loop {
                    let next = queue.lock().unwrap().pop();
                    let Some((i, case)) = next else { break };
                    let dir = root.path().join(format!("case-{i:03}"));
                    std::fs::create_dir_all(&dir).unwrap();
                    let t = Instant::now();
                    let verdict = match &case.skip {
                        Some(why) => Verdict::Skip(why.clone()),
                        None => std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                            run_case(&ctx, &bin, case, &dir, timeout)
                        }))
                        .unwrap_or_else(|p| {
                            let msg = p
                                .downcast_ref::<String>()
                                .cloned()
                                .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                                .unwrap_or_default();
                            Verdict::Fail(vec![format!(
                                "the case could not be built or run: {msg}"
                            )])
                        }),
                    };
                    // Big sparse files and copies go as soon as a case is done.
                    let _ = std::fs::remove_dir_all(&dir);
                    results
                        .lock()
                        .unwrap()
                        .push((case.name.clone(), verdict, t.elapsed()));
                }
            });
        }
    });

    let mut results = results.into_inner().unwrap();
    if tree_state(&ctx.outside) != outside_before {
        results.push((
            "(corpus) outside folder".into(),
            Verdict::Fail(vec![
                "the canary folder outside every hand-in was modified".into(),
            ]),
            Duration::ZERO,
        ));
    }
    results.sort_by(|a, b| a.0.cmp(&b.0));
    let failed: Vec<_> = results
        .iter()
        .filter_map(|(n, v, t)| match v {
            Verdict::Fail(why) => Some((n, why, t)),
            _ => None,
        })
        .collect();
    let skipped: Vec<_> = results
        .iter()
        .filter_map(|(n, v, _)| match v {
            Verdict::Skip(why) => Some((n, why)),
            _ => None,
        })
        .collect();
    let passed = results
        .iter()
        .filter(|(_, v, _)| matches!(v, Verdict::Pass))
        .count();
    let mut summary = format!(
        "hostile corpus: {} cases run ({} in the corpus), {} passed, {} failed, {} skipped, {:.1}s \
         ({threads} threads, {}s timeout each)\n",
        results.len(),
        total,
        passed,
        failed.len(),
        skipped.len(),
        began.elapsed().as_secs_f64(),
        timeout.as_secs()
    );
    let mut slow: Vec<_> = results
        .iter()
        .filter(|(_, v, t)| matches!(v, Verdict::Pass) && t.as_secs_f64() > 5.0)
        .collect();
    slow.sort_by_key(|r| std::cmp::Reverse(r.2));
    for (name, _, t) in slow.iter().take(8) {
        summary.push_str(&format!(
            "  SLOW {name}: passed in {:.1}s\n",
            t.as_secs_f64()
        ));
    }
    for (name, why) in &skipped {
        summary.push_str(&format!("  SKIP {name}: {why}\n"));
    }
    for (name, why, t) in &failed {
        summary.push_str(&format!("  FAIL {name} ({:.1}s)\n", t.as_secs_f64()));
        for w in *why {
            summary.push_str(&format!("       - {w}\n"));
        }
    }
    eprintln!("{summary}");
    if let Ok(path) = std::env::var("HARNESS_CORPUS_REPORT") {
        let _ = std::fs::write(path, &summary);
    }
    assert!(failed.is_empty(), "{summary}");
}

fn env_num(key: &str, default: u64) -> u64 {
    std::env::var(key)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// What a run left: the streams, the files under `--out`, and how it ended.
struct Outcome {
    status: Option<ExitStatus>,
    stdout: String,
    stderr: String,
    files: Vec<(String, String)>,
}

impl Outcome {
    fn sources(&self) -> impl Iterator<Item = (&str, &str)> {
        [
            ("stdout", self.stdout.as_str()),
            ("stderr", self.stderr.as_str()),
        ]
        .into_iter()
        .chain(self.files.iter().map(|(n, t)| (n.as_str(), t.as_str())))
    }

    /// The message a TA would read first, for the summary.
    fn gist(&self) -> String {
        let err = self.stderr.trim();
        if !err.is_empty() {
            return excerpt(err, 0, 220);
        }
        let line = self
            .stdout
            .lines()
            .find(|l| l.trim_start().starts_with('!'))
            .or_else(|| self.stdout.lines().find(|l| !l.trim().is_empty()))
            .unwrap_or("");
        excerpt(line.trim(), 0, 220)
    }
}

fn run_case(ctx: &Ctx, bin: &Path, case: &Case, dir: &Path, timeout: Duration) -> Verdict {
    let plan = (case.build)(ctx, dir);
    let before: Vec<_> = plan.inputs.iter().map(|p| tree_state(p)).collect();
    let outcome = run(bin, &plan, dir, timeout);
    let after: Vec<_> = plan.inputs.iter().map(|p| tree_state(p)).collect();

    let mut fails = Vec::new();
    match outcome.status {
        None => fails.push(format!(
            "hang: still running after {}s (killed); last output: {}",
            timeout.as_secs(),
            outcome.gist()
        )),
        Some(st) => {
            if let Some(sig) = st.signal() {
                fails.push(format!(
                    "signal: killed by signal {sig}{} — {}",
                    if sig == libc::SIGABRT { " (abort)" } else { "" },
                    excerpt(outcome.stderr.trim(), 0, 220)
                ));
            }
            if matches!(st.code(), Some(101) | Some(134)) {
                fails.push(format!("panic/abort: exit code {}", st.code().unwrap()));
            }
        }
    }
    if let Some(at) = outcome.stderr.find("panicked at") {
        fails.push(format!("panic: {}", excerpt(&outcome.stderr, at, 240)));
    }

    let mut forbidden = vec![
        ctx.canary_name.clone(),
        ctx.canary_content.clone(),
        "root:x:0:0".to_string(),
        "/proc/".to_string(),
    ];
    forbidden.extend(plan.forbid.iter().cloned());
    for f in &forbidden {
        for (src, text) in outcome.sources() {
            if let Some(at) = text.find(f.as_str()) {
                fails.push(format!(
                    "must not appear: `{f}` in {src}: {}",
                    excerpt(text, at, 160)
                ));
                break;
            }
        }
    }

    for (path, (b, a)) in plan.inputs.iter().zip(before.iter().zip(&after)) {
        if b != a {
            let mut diffs = Vec::new();
            for (k, v) in b {
                match a.get(k) {
                    None => diffs.push(format!("removed {}", k.display())),
                    Some(w) if w != v => diffs.push(format!("changed {}", k.display())),
                    _ => {}
                }
            }
            for k in a.keys().filter(|k| !b.contains_key(*k)) {
                diffs.push(format!("new {}", k.display()));
            }
            let n = diffs.len();
            diffs.truncate(4);
            fails.push(format!(
                "input modified: {} ({n} entries): {}",
                path.file_name().unwrap_or_default().to_string_lossy(),
                diffs.join(", ")
            ));
        }
    }

    // The phrase is looked for in what a TA reads as text: the streams and the reports, but
    // not the HTML (its stylesheet says `page-break-inside`).
    let text = outcome
        .sources()
        .filter(|(name, _)| !name.ends_with(".html"))
        .map(|(_, t)| t.to_lowercase())
        .collect::<Vec<_>>()
        .join("\n");
    match case.expect {
        Some(phrases) => {
            if !phrases.iter().any(|p| text.contains(&p.to_lowercase())) {
                fails.push(format!(
                    "message: none of {phrases:?} in the output; it said: {}",
                    outcome.gist()
                ));
            }
        }
        None => {
            if outcome.stdout.trim().is_empty() && outcome.stderr.trim().is_empty() {
                fails.push("message: no output at all".into());
            }
        }
    }

    if !plan.rows.is_empty() {
        check_rows(&plan, &mut fails);
    }

    if fails.is_empty() {
        Verdict::Pass
    } else {
        Verdict::Fail(fails)
    }
}

fn check_rows(plan: &Plan, fails: &mut Vec<String>) {
    let path = plan.out.join("gradebook.csv");
    let Ok(csv) = std::fs::read_to_string(&path) else {
        fails.push("gradebook: no gradebook.csv under --out".into());
        return;
    };
    let mut lines = csv.lines().map(csv_cells);
    let header = lines.next().unwrap_or_default();
    let col = |name: &str| header.iter().position(|h| h == name);
    let (Some(points), Some(problem)) = (col("points"), col("problem")) else {
        fails.push(format!(
            "gradebook: no points/problem columns in {header:?}"
        ));
        return;
    };
    let rows: Vec<Vec<String>> = lines.collect();
    for want in &plan.rows {
        let row = rows.iter().find(|r| {
            r.first().is_some_and(|c| {
                let c = c.trim_start_matches('\'');
                if want.prefix {
                    c.starts_with(&want.name)
                } else {
                    c == want.name
                }
            })
        });
        let Some(row) = row else {
            fails.push(format!(
                "gradebook: no row for `{}` (rows: {:?})",
                want.name,
                rows.iter().filter_map(|r| r.first()).collect::<Vec<_>>()
            ));
            continue;
        };
        let pts: Option<u32> = row.get(points).and_then(|p| p.parse().ok());
        let reason = row.get(problem).map(|s| s.trim()).unwrap_or("");
        match want.want {
            Want::Present => {}
            Want::Reason if reason.is_empty() => fails.push(format!(
                "gradebook: `{}` has no reason in the problem column ({pts:?} points)",
                want.name
            )),
            Want::Graded if pts.is_none_or(|p| p == 0) => fails.push(format!(
                "gradebook: `{}` was not graded from its valid store: {pts:?} points, problem: {}",
                want.name,
                excerpt(reason, 0, 160)
            )),
            Want::Points(n) if pts != Some(n) => fails.push(format!(
                "gradebook: `{}` should have {n} points, has {pts:?} ({})",
                want.name,
                excerpt(reason, 0, 160)
            )),
            _ => {}
        }
    }
}

/// The cells of one CSV line (quotes honoured; no multi-line cells expected).
fn csv_cells(line: &str) -> Vec<String> {
    let mut cells = vec![String::new()];
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                chars.next();
                cells.last_mut().unwrap().push('"');
            }
            ('"', _) => quoted = !quoted,
            (',', false) => cells.push(String::new()),
            _ => cells.last_mut().unwrap().push(c),
        }
    }
    cells
}

fn run(bin: &Path, plan: &Plan, dir: &Path, timeout: Duration) -> Outcome {
    let mut cmd = Command::new(bin);
    cmd.args(&plan.args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for k in [
        "MLFLOW_TRACKING_URI",
        "MLFLOW_TRACKING_USERNAME",
        "MLFLOW_TRACKING_PASSWORD",
        "MLFLOW_TRACKING_TOKEN",
        "RUST_BACKTRACE",
        "RUST_LOG",
    ] {
        cmd.env_remove(k);
    }
    for (k, v) in &plan.env {
        cmd.env(k, v);
    }
    // SAFETY: only async-signal-safe calls between fork and exec.
    unsafe {
        cmd.pre_exec(|| {
            // Own process group, so a timeout kills whatever the run started too.
            libc::setpgid(0, 0);
            let cap = libc::rlimit {
                rlim_cur: MEMORY_CAP as libc::rlim_t,
                rlim_max: MEMORY_CAP as libc::rlim_t,
            };
            if libc::setrlimit(libc::RLIMIT_AS, &cap) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            let none = libc::rlimit {
                rlim_cur: 0,
                rlim_max: 0,
            };
            libc::setrlimit(libc::RLIMIT_CORE, &none);
            Ok(())
        });
    }
    let mut child = cmd.spawn().expect("spawn harness");
    let pid = child.id() as libc::pid_t;
    let out = reader(child.stdout.take().unwrap());
    let err = reader(child.stderr.take().unwrap());
    let began = Instant::now();
    let status = loop {
        if let Some(st) = child.try_wait().unwrap() {
            break Some(st);
        }
        if began.elapsed() > timeout {
            // SAFETY: plain syscall on the group this test started.
            unsafe {
                libc::kill(-pid, libc::SIGKILL);
            }
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    if status.is_some() {
        // Anything the run left behind in its group goes too.
        // SAFETY: as above.
        unsafe {
            libc::kill(-pid, libc::SIGKILL);
        }
    }
    let stdout = String::from_utf8_lossy(&out.join().unwrap()).into_owned();
    let stderr = String::from_utf8_lossy(&err.join().unwrap()).into_owned();
    let mut files = Vec::new();
    if plan.out.is_dir() {
        collect_files(&plan.out, &plan.out, &mut files);
    }
    Outcome {
        status,
        stdout,
        stderr,
        files,
    }
}

fn reader(mut r: impl Read + Send + 'static) -> std::thread::JoinHandle<Vec<u8>> {
    std::thread::spawn(move || {
        let mut kept = Vec::new();
        let mut buf = [0u8; 65536];
        loop {
            match r.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    let room = KEEP.saturating_sub(kept.len());
                    kept.extend_from_slice(&buf[..n.min(room)]);
                }
            }
        }
        kept
    })
}

/// Regular files under `dir` (symlinks not followed), as lossy text.
fn collect_files(base: &Path, dir: &Path, out: &mut Vec<(String, String)>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        let Ok(m) = std::fs::symlink_metadata(&p) else {
            continue;
        };
        if m.is_dir() {
            collect_files(base, &p, out);
        } else if m.is_file() {
            let mut bytes = Vec::new();
            if let Ok(f) = std::fs::File::open(&p) {
                let _ = f.take(KEEP as u64).read_to_end(&mut bytes);
            }
            let name = p.strip_prefix(base).unwrap_or(&p).display().to_string();
            out.push((
                format!("out/{name}"),
                String::from_utf8_lossy(&bytes).into_owned(),
            ));
        }
    }
}

/// Every entry under `root` without following symlinks or opening anything that is not a
/// regular file: kind, mode, size and content hash (the first MiB plus size and mtime for big,
/// sparse files), or a link's target.
pub(crate) fn tree_state(root: &Path) -> BTreeMap<PathBuf, String> {
    let mut out = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(p) = stack.pop() {
        let Ok(m) = std::fs::symlink_metadata(&p) else {
            continue;
        };
        let rel = p.strip_prefix(root).unwrap_or(&p).to_path_buf();
        let ft = m.file_type();
        let mode = m.mode() & 0o7777;
        let desc = if ft.is_dir() {
            if let Ok(rd) = std::fs::read_dir(&p) {
                stack.extend(rd.flatten().map(|e| e.path()));
            }
            format!("dir {mode:o}")
        } else if ft.is_symlink() {
            format!("link -> {:?}", std::fs::read_link(&p).ok())
        } else if ft.is_file() {
            let hash = if m.len() <= 8 << 20 {
                std::fs::read(&p).map(|b| sha256(&b)).unwrap_or_default()
            } else {
                let mut head = Vec::new();
                if let Ok(f) = std::fs::File::open(&p) {
                    let _ = f.take(1 << 20).read_to_end(&mut head);
                }
                format!("{} mtime {}.{}", sha256(&head), m.mtime(), m.mtime_nsec())
            };
            format!("file {mode:o} {} {hash}", m.len())
        } else if ft.is_fifo() {
            format!("fifo {mode:o} mtime {}", m.mtime())
        } else {
            format!("other {:o}", m.mode())
        };
        out.insert(rel, desc);
    }
    out
}

fn excerpt(text: &str, at: usize, width: usize) -> String {
    let mut start = at.saturating_sub(width / 3);
    while !text.is_char_boundary(start) {
        start -= 1;
    }
    let mut end = (start + width).min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let s: String = text[start..end]
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    format!(
        "{}{}{}",
        if start > 0 { "…" } else { "" },
        s.trim(),
        if end < text.len() { "…" } else { "" }
    )
}
