//! Headless Chromium, which looks at the MLflow UI (screenshots for reports) and renders pages
//! (DOM dumps, to test rendered reports); found on this machine, or installed like the MLflow venv.
//!
//! [`Browser::find_or_install`] uses `HARNESS_CHROMIUM` or a Chromium on PATH. When there is none,
//! or the fonts are missing (without any font Chromium draws no text and captures look blank;
//! the Thai font renders the students' names and the homework's Thai headers), it installs
//! Debian's packages with `apt-get` when it may (as root, or with passwordless sudo): once, under
//! a lock in `$HARNESS_HOME/chromium/` so parallel processes wait for each other, with the output
//! in `$HARNESS_HOME/chromium/install.log` and every step bounded in time. When it may not, the
//! error says exactly what to install.
//!
//! Each run gets a fresh profile directory so no cookie, cache or extension state leaks between
//! runs. Credentials never go into a URL: any user:password part is stripped before Chromium
//! sees it.

use std::ffi::OsStr;
use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::Home;
use super::install::{Lock, LockError, StepFailure, is_executable, run_logged, tail, which};
use crate::progress::Progress;

/// Executable names tried on PATH, in order (Debian's is `chromium`).
pub const BROWSER_NAMES: [&str; 4] = [
    "chromium",
    "chromium-browser",
    "google-chrome",
    "google-chrome-stable",
];

/// The variable that names a browser explicitly (then nothing is searched or installed).
pub(crate) const BROWSER_VAR: &str = "HARNESS_CHROMIUM";

/// Debian's package of the browser.
pub(crate) const BROWSER_PACKAGE: &str = "chromium";

/// Debian's packages of the fonts captures need: Latin text, and Thai.
pub(crate) const FONT_PACKAGES: [&str; 2] = ["fonts-dejavu-core", "fonts-tlwg-loma"];

/// The longest `apt-get update` may run.
pub(crate) const APT_UPDATE_TIMEOUT: Duration = Duration::from_secs(5 * 60);

/// The longest `apt-get install` may run.
pub(crate) const APT_INSTALL_TIMEOUT: Duration = Duration::from_secs(15 * 60);

/// How long a process waits for another that installs: both steps, and some.
const LOCK_WAIT: Duration = Duration::from_secs(25 * 60);

/// Errors from finding, installing or running the browser.
#[derive(Debug, thiserror::Error)]
pub enum BrowserError {
    #[error(
        "no Chromium on this machine (looked for {} on PATH, and {BROWSER_VAR} is not set), and harness cannot install it: {reason}. {advice}",
        looked_for.join(", ")
    )]
    NotFound {
        looked_for: Vec<String>,
        reason: String,
        advice: String,
    },
    #[error("installing {packages} failed ({step}); last lines of {log}:\n{tail}\n{advice}")]
    Install {
        packages: String,
        step: String,
        log: PathBuf,
        tail: String,
        advice: String,
    },
    #[error(
        "gave up after {secs} s waiting for another harness process that holds {lock} (it installs Chromium; its log is {log})"
    )]
    LockTimeout {
        lock: PathBuf,
        secs: u64,
        log: PathBuf,
    },
    #[error("{action} {path}: {source}")]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{browser} failed on {url}: {message}")]
    Run {
        browser: PathBuf,
        url: String,
        message: String,
    },
    #[error("invalid URL {url}: {message}")]
    Url { url: String, message: String },
}

impl BrowserError {
    /// True when there is no browser to use on this machine (none found, and it could not be
    /// installed): callers that can do without one skip its work with a note.
    pub(crate) fn is_unavailable(&self) -> bool {
        matches!(
            self,
            BrowserError::NotFound { .. }
                | BrowserError::Install { .. }
                | BrowserError::LockTimeout { .. }
                | BrowserError::Io { .. }
        )
    }
}

type Result<T, E = BrowserError> = std::result::Result<T, E>;

/// Who may run `apt-get install` here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Privilege {
    Root,
    /// Not root, but `sudo -n true` succeeds (passwordless sudo).
    Sudo,
    Neither,
}

impl Privilege {
    /// Root, else passwordless sudo (`sudo -n` never prompts; bounded at 10 s all the same).
    pub(crate) fn detect() -> Privilege {
        // SAFETY: geteuid has no preconditions and cannot fail.
        if unsafe { libc::geteuid() } == 0 {
            return Privilege::Root;
        }
        if which("sudo").is_none() {
            return Privilege::Neither;
        }
        let ok = run_logged(
            Command::new("sudo").args(["-n", "true"]),
            Path::new("/dev/null"),
            Duration::from_secs(10),
            "checking for sudo",
            &Progress::hidden(),
        );
        if ok.is_ok() {
            Privilege::Sudo
        } else {
            Privilege::Neither
        }
    }
}

/// What this machine has and lacks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Survey {
    /// The browser to use, if there is one.
    pub(crate) browser: Option<PathBuf>,
    /// The Debian packages to install: [`BROWSER_PACKAGE`] when there is no browser, and the
    /// [`FONT_PACKAGES`] that dpkg does not list as installed (none where there is no dpkg).
    pub(crate) missing: Vec<String>,
}

impl Survey {
    /// Looks at this machine: `HARNESS_CHROMIUM`, PATH, and dpkg's list of installed packages.
    pub(crate) fn take() -> Survey {
        let browser = Browser::find().ok().map(|b| b.path);
        let mut missing = Vec::new();
        if browser.is_none() {
            missing.push(BROWSER_PACKAGE.to_string());
        }
        if which("dpkg-query").is_some() {
            missing.extend(
                FONT_PACKAGES
                    .iter()
                    .filter(|p| !dpkg_installed(p))
                    .map(|p| p.to_string()),
            );
        }
        Survey { browser, missing }
    }
}

/// Whether dpkg lists `package` as installed.
fn dpkg_installed(package: &str) -> bool {
    Command::new("dpkg-query")
        .args(["-W", "-f=${Status}", package])
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .is_ok_and(|out| out.status.success() && status_is_installed(&out.stdout))
}

/// dpkg's `${Status}` of an installed package is `install ok installed`; a removed one with its
/// configuration left is `deinstall ok config-files`.
fn status_is_installed(status: &[u8]) -> bool {
    String::from_utf8_lossy(status)
        .trim()
        .ends_with(" installed")
}

/// What [`Browser::find_or_install`] does about a [`Survey`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Decision {
    /// Nothing is missing.
    Ready(PathBuf),
    /// Install `packages` with apt-get, through `sudo -n` when `sudo`.
    Install { packages: Vec<String>, sudo: bool },
    /// The browser is there, the fonts are not and cannot be installed: use it (captures may
    /// lack text) and say why.
    ReadyWithoutFonts {
        browser: PathBuf,
        missing: Vec<String>,
        reason: String,
    },
    /// No browser, and none can be installed; `missing` is what to install by hand.
    Impossible {
        missing: Vec<String>,
        reason: String,
    },
}

/// Decides what to do about `survey` on a machine with (`apt`) or without apt-get, where harness
/// runs with `privilege`.
pub(crate) fn decide(survey: &Survey, apt: bool, privilege: Privilege) -> Decision {
    if survey.missing.is_empty()
        && let Some(browser) = &survey.browser
    {
        return Decision::Ready(browser.clone());
    }
    let reason = if !apt {
        Some("apt-get is not on PATH (harness installs only Debian or Ubuntu packages)".to_string())
    } else if privilege == Privilege::Neither {
        Some("harness is not running as root and `sudo -n true` is not allowed".to_string())
    } else {
        None
    };
    match (reason, &survey.browser) {
        (None, _) => Decision::Install {
            packages: survey.missing.clone(),
            sudo: privilege == Privilege::Sudo,
        },
        (Some(reason), Some(browser)) => Decision::ReadyWithoutFonts {
            browser: browser.clone(),
            missing: survey.missing.clone(),
            reason,
        },
        (Some(reason), None) => Decision::Impossible {
            missing: survey.missing.clone(),
            reason,
        },
    }
}

/// What to tell someone to install `missing` by hand.
pub(crate) fn install_advice(missing: &[String]) -> String {
    let missing = if missing.is_empty() {
        std::iter::once(BROWSER_PACKAGE)
            .chain(FONT_PACKAGES)
            .map(str::to_string)
            .collect()
    } else {
        missing.to_vec()
    };
    format!(
        "Install it yourself: `sudo apt-get update && sudo apt-get install -y --no-install-recommends {}` (Debian/Ubuntu; elsewhere: Chromium or Chrome, and fonts with Latin and Thai glyphs), or set {BROWSER_VAR} to a Chromium or Chrome executable",
        missing.join(" ")
    )
}

/// A Chromium-family browser on this machine.
#[derive(Debug, Clone)]
pub struct Browser {
    pub(crate) path: PathBuf,
}

impl Browser {
    /// `HARNESS_CHROMIUM` when set, else the first of [`BROWSER_NAMES`] on PATH. Installs
    /// nothing; see [`Browser::find_or_install`].
    pub(crate) fn find() -> Result<Browser> {
        let explicit = std::env::var_os(BROWSER_VAR);
        let path = std::env::var_os("PATH").unwrap_or_default();
        match find_in(explicit.as_deref(), &path) {
            Some(path) => Ok(Browser { path }),
            None => Err(not_found(
                "Browser::find does not install it".into(),
                &[BROWSER_PACKAGE.to_string()],
            )),
        }
    }

    /// The browser [`Browser::find`] finds, with the fonts it needs; what is missing is installed
    /// with apt-get when harness runs as root or may `sudo -n` (once, under a lock in
    /// [`Home::browser_dir`], logged there). Without a way to install it, the error says what to
    /// install by hand. With a browser but no way to install missing fonts, the browser is used
    /// and `progress` says so.
    pub fn find_or_install(home: &Home, progress: &Progress) -> Result<Browser> {
        let survey = Survey::take();
        if survey.missing.is_empty()
            && let Some(path) = survey.browser
        {
            return Ok(Browser { path });
        }
        let apt = which("apt-get").is_some();
        let privilege = Privilege::detect();
        let decision = decide(&survey, apt, privilege);
        if !matches!(decision, Decision::Install { .. }) {
            return act(decision, home, progress);
        }
        let dir = home.browser_dir();
        let lock_path = dir.join("install.lock");
        let log = dir.join("install.log");
        let _lock = Lock::acquire_within(&lock_path, LOCK_WAIT, || {
            progress.set_message(format!(
                "waiting for another harness process that installs Chromium (lock {})",
                lock_path.display()
            ))
        })
        .map_err(|e| match e {
            LockError::Io(source) => BrowserError::Io {
                action: "lock",
                path: lock_path.clone(),
                source,
            },
            LockError::Timeout => BrowserError::LockTimeout {
                lock: lock_path.clone(),
                secs: LOCK_WAIT.as_secs(),
                log: log.clone(),
            },
        })?;
        // Another process may have installed it while this one waited.
        act(decide(&Survey::take(), apt, privilege), home, progress)
    }

    /// Captures `url` at 1400×1800 into PNG bytes (no blankness check).
    pub fn screenshot(&self, url: &str, budget_ms: u64) -> Result<Vec<u8>> {
        let url = strip_credentials(url)?;
        let work = self.workdir(&url)?;
        let png_path = work.path().join("shot.png");
        self.run(
            &url,
            budget_ms,
            &[format!("--screenshot={}", png_path.display())],
            work.path(),
        )?;
        std::fs::read(&png_path).map_err(|e| BrowserError::Run {
            browser: self.path.clone(),
            url: crate::mlflow::redact_str(&url),
            message: format!("no screenshot written ({e})"),
        })
    }

    /// The DOM after scripts ran for `budget_ms` of virtual time (`--dump-dom`).
    pub fn dump_dom(&self, url: &str, budget_ms: u64) -> Result<String> {
        let url = strip_credentials(url)?;
        let work = self.workdir(&url)?;
        let out = self.run(&url, budget_ms, &["--dump-dom".to_string()], work.path())?;
        Ok(out)
    }

    fn workdir(&self, url: &str) -> Result<tempfile::TempDir> {
        tempfile::Builder::new()
            .prefix("harness-chromium-")
            .tempdir()
            .map_err(|e| BrowserError::Run {
                browser: self.path.clone(),
                url: crate::mlflow::redact_str(url),
                message: format!("cannot create a profile directory: {e}"),
            })
    }

    /// Runs the browser with the fixed flag set, killing it if it outlives the budget by a
    /// minute (a hung GPU process or a page that never settles must not hang grading).
    fn run(&self, url: &str, budget_ms: u64, extra: &[String], work: &Path) -> Result<String> {
        let err = |message: String| BrowserError::Run {
            browser: self.path.clone(),
            url: crate::mlflow::redact_str(url),
            message,
        };
        let profile = work.join("profile");
        let stdout_path = work.join("stdout");
        let stderr_path = work.join("stderr");
        let stdout = std::fs::File::create(&stdout_path).map_err(|e| err(e.to_string()))?;
        let stderr = std::fs::File::create(&stderr_path).map_err(|e| err(e.to_string()))?;
        let mut cmd = Command::new(&self.path);
        cmd.args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
            "--hide-scrollbars",
            "--window-size=1400,1800",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(format!("--virtual-time-budget={budget_ms}"))
        .args(extra)
        .arg(url)
        .stdin(Stdio::null())
        .stdout(stdout)
        .stderr(stderr);
        let mut child = cmd.spawn().map_err(|e| err(format!("cannot start: {e}")))?;
        let deadline = Instant::now() + Duration::from_millis(budget_ms) + Duration::from_secs(60);
        let status = loop {
            match child.try_wait() {
                Ok(Some(status)) => break status,
                Ok(None) if Instant::now() > deadline => {
                    let _ = child.kill();
                    let _ = child.wait();
                    return Err(err("timed out".into()));
                }
                Ok(None) => std::thread::sleep(Duration::from_millis(100)),
                Err(e) => return Err(err(e.to_string())),
            }
        };
        let mut out = String::new();
        std::fs::File::open(&stdout_path)
            .and_then(|mut f| f.read_to_string(&mut out))
            .map_err(|e| err(e.to_string()))?;
        if !status.success() {
            let stderr = std::fs::read_to_string(&stderr_path).unwrap_or_default();
            let tail: Vec<&str> = stderr.lines().rev().take(5).collect();
            let tail: Vec<&str> = tail.into_iter().rev().collect();
            return Err(err(format!("exited with {status}: {}", tail.join(" / "))));
        }
        Ok(out)
    }
}

/// `explicit` (the value of `HARNESS_CHROMIUM`) when it is set, else the first of
/// [`BROWSER_NAMES`] in the directories of `path` (a PATH value).
fn find_in(explicit: Option<&OsStr>, path: &OsStr) -> Option<PathBuf> {
    if let Some(p) = explicit.filter(|p| !p.is_empty()) {
        return Some(p.into());
    }
    BROWSER_NAMES.iter().find_map(|name| {
        std::env::split_paths(path)
            .map(|dir| dir.join(name))
            .find(|candidate| is_executable(candidate))
    })
}

fn not_found(reason: String, missing: &[String]) -> BrowserError {
    BrowserError::NotFound {
        looked_for: BROWSER_NAMES.iter().map(|s| s.to_string()).collect(),
        reason,
        advice: install_advice(missing),
    }
}

/// Carries out `decision`: installs when told to, then looks again.
fn act(decision: Decision, home: &Home, progress: &Progress) -> Result<Browser> {
    match decision {
        Decision::Ready(path) => Ok(Browser { path }),
        Decision::ReadyWithoutFonts {
            browser,
            missing,
            reason,
        } => {
            progress.println(format!(
                "note: {} not installed, so screenshots may show no text; harness cannot install them: {reason}. {}",
                missing.join(" "),
                install_advice(&missing)
            ));
            Ok(Browser { path: browser })
        }
        Decision::Impossible { missing, reason } => Err(not_found(reason, &missing)),
        Decision::Install { packages, sudo } => {
            apt_install(&home.browser_dir(), &packages, sudo, progress)?;
            let after = Survey::take();
            match after.browser {
                Some(path) if after.missing.is_empty() => Ok(Browser { path }),
                _ => {
                    let log = home.browser_dir().join("install.log");
                    Err(BrowserError::Install {
                        packages: packages.join(" "),
                        step: format!(
                            "apt-get succeeded, but {} still missing",
                            after.missing.join(" ")
                        ),
                        tail: tail(&log, 15),
                        log,
                        advice: install_advice(&after.missing),
                    })
                }
            }
        }
    }
}

/// `apt-get update`, then `apt-get install` of `packages`, non-interactive and bounded in time,
/// with the output in `dir/install.log`.
fn apt_install(dir: &Path, packages: &[String], sudo: bool, progress: &Progress) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|source| BrowserError::Io {
        action: "create",
        path: dir.into(),
        source,
    })?;
    let log = dir.join("install.log");
    std::fs::write(&log, "").map_err(|source| BrowserError::Io {
        action: "create",
        path: log.clone(),
        source,
    })?;
    let spec = packages.join(" ");
    let apt = |args: &[&str]| {
        let mut cmd = if sudo {
            let mut c = Command::new("sudo");
            c.args(["-n", "env", "DEBIAN_FRONTEND=noninteractive", "apt-get"]);
            c
        } else {
            let mut c = Command::new("apt-get");
            c.env("DEBIAN_FRONTEND", "noninteractive");
            c
        };
        // Wait for a dpkg lock that another apt holds instead of failing at once.
        cmd.args(["-q", "-o", "DPkg::Lock::Timeout=120"]).args(args);
        cmd
    };
    let steps: [(&str, Command, Duration); 2] = [
        ("apt-get update", apt(&["update"]), APT_UPDATE_TIMEOUT),
        (
            "apt-get install",
            {
                let mut c = apt(&["install", "-y", "--no-install-recommends"]);
                c.args(packages);
                c
            },
            APT_INSTALL_TIMEOUT,
        ),
    ];
    for (name, mut cmd, limit) in steps {
        let message = format!(
            "installing {spec} with {name}{} (once; log {})",
            if sudo { " through sudo" } else { "" },
            log.display()
        );
        progress.set_message(message.clone());
        if let Err(failure) = run_logged(&mut cmd, &log, limit, &message, progress) {
            let hint = match failure {
                StepFailure::Timeout(_) => {
                    "; if dpkg was interrupted, `dpkg --configure -a` repairs it"
                }
                _ => "",
            };
            return Err(BrowserError::Install {
                packages: spec,
                step: format!("{name}: {failure}{hint}"),
                log: log.clone(),
                tail: tail(&log, 15),
                advice: install_advice(packages),
            });
        }
    }
    Ok(())
}

/// `url` without any `user:password@` part, for handing to the browser (its query and fragment
/// stay: MLflow's UI routes by fragment).
pub fn strip_credentials(url: &str) -> Result<String> {
    if url.starts_with("file:") || url.starts_with("data:") {
        return Ok(url.to_string());
    }
    let u = url::Url::parse(url).map_err(|e| BrowserError::Url {
        url: crate::mlflow::redact_str(url),
        message: e.to_string(),
    })?;
    Ok(crate::mlflow::without_credentials(&u).to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn credentials_never_reach_the_browser() {
        let u = strip_credentials("http://alice:s3cret@127.0.0.1:5000/#/models/m").unwrap();
        assert_eq!(u, "http://127.0.0.1:5000/#/models/m");
        let bad = strip_credentials("http://alice:s3cret@[::1/x").unwrap_err();
        assert!(!bad.to_string().contains("s3cret"), "{bad}");
    }

    #[test]
    fn nothing_missing_means_nothing_to_do() {
        let s = Survey {
            browser: Some("/usr/bin/chromium".into()),
            missing: vec![],
        };
        for (apt, p) in [(true, Privilege::Neither), (false, Privilege::Root)] {
            assert_eq!(
                decide(&s, apt, p),
                Decision::Ready("/usr/bin/chromium".into())
            );
        }
    }

    #[test]
    fn what_is_missing_is_installed_when_root_or_sudo_may() {
        let s = Survey {
            browser: None,
            missing: strings(&["chromium", "fonts-tlwg-loma"]),
        };
        assert_eq!(
            decide(&s, true, Privilege::Root),
            Decision::Install {
                packages: strings(&["chromium", "fonts-tlwg-loma"]),
                sudo: false
            }
        );
        assert_eq!(
            decide(&s, true, Privilege::Sudo),
            Decision::Install {
                packages: strings(&["chromium", "fonts-tlwg-loma"]),
                sudo: true
            }
        );
        // Fonts alone are installed too: without them captures have no text.
        let fonts = Survey {
            browser: Some("/usr/bin/chromium".into()),
            missing: strings(&["fonts-dejavu-core"]),
        };
        assert!(matches!(
            decide(&fonts, true, Privilege::Root),
            Decision::Install { packages, .. } if packages == ["fonts-dejavu-core"]
        ));
    }

    #[test]
    fn without_a_way_to_install_the_reason_is_given() {
        let none = Survey {
            browser: None,
            missing: strings(&["chromium"]),
        };
        let Decision::Impossible { missing, reason } = decide(&none, true, Privilege::Neither)
        else {
            panic!()
        };
        assert_eq!(missing, ["chromium"]);
        assert!(reason.contains("not running as root") && reason.contains("sudo -n"));
        let Decision::Impossible { reason, .. } = decide(&none, false, Privilege::Root) else {
            panic!()
        };
        assert!(reason.contains("apt-get is not on PATH"), "{reason}");
        // A browser without fonts is still used.
        let fonts = Survey {
            browser: Some("/opt/chrome".into()),
            missing: strings(&["fonts-tlwg-loma"]),
        };
        assert!(matches!(
            decide(&fonts, true, Privilege::Neither),
            Decision::ReadyWithoutFonts { browser, .. } if browser == Path::new("/opt/chrome")
        ));
    }

    #[test]
    fn the_not_found_message_says_exactly_what_to_run() {
        let e = not_found(
            "harness is not running as root and `sudo -n true` is not allowed".into(),
            &strings(&["chromium", "fonts-dejavu-core", "fonts-tlwg-loma"]),
        );
        assert!(e.is_unavailable());
        let msg = e.to_string();
        for part in [
            "no Chromium on this machine",
            "chromium, chromium-browser, google-chrome, google-chrome-stable",
            "HARNESS_CHROMIUM",
            "not running as root",
            "sudo apt-get install -y --no-install-recommends chromium fonts-dejavu-core fonts-tlwg-loma",
        ] {
            assert!(msg.contains(part), "{part:?} not in {msg}");
        }
        assert_eq!(
            install_advice(&[]),
            install_advice(&strings(&[
                "chromium",
                "fonts-dejavu-core",
                "fonts-tlwg-loma"
            ]))
        );
    }

    #[test]
    fn run_failures_are_not_unavailability() {
        let e = BrowserError::Run {
            browser: "/usr/bin/chromium".into(),
            url: "http://h/".into(),
            message: "timed out".into(),
        };
        assert!(!e.is_unavailable());
    }

    #[test]
    fn dpkg_status_parsing() {
        assert!(status_is_installed(b"install ok installed"));
        assert!(!status_is_installed(b"deinstall ok config-files"));
        assert!(!status_is_installed(b""));
    }

    #[test]
    fn an_explicit_browser_wins_else_the_first_name_on_path() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (dir.path().join("a"), dir.path().join("b"));
        for d in [&a, &b] {
            std::fs::create_dir_all(d).unwrap();
        }
        // Not executable: skipped.
        std::fs::write(a.join("chromium"), "").unwrap();
        let chrome = b.join("google-chrome");
        std::fs::write(&chrome, "").unwrap();
        std::fs::set_permissions(&chrome, std::fs::Permissions::from_mode(0o755)).unwrap();
        let path = std::env::join_paths([&a, &b]).unwrap();
        assert_eq!(find_in(None, &path), Some(chrome.clone()));
        assert_eq!(find_in(Some(OsStr::new("")), &path), Some(chrome));
        assert_eq!(
            find_in(Some(OsStr::new("/opt/my-chrome")), &path),
            Some("/opt/my-chrome".into())
        );
        assert_eq!(find_in(None, OsStr::new("")), None);
    }
}
