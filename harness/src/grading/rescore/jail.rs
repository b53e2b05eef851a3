//! The process side of the rescoring sandbox: runs one program with nothing of the host to write
//! to, no network, no privileges, and hard limits, and reports how it ended.
//!
//! Three processes, all set up between `fork` and `exec` (so no shell or helper binary is
//! trusted with it):
//! - the *keeper* (the [`std::process::Child`]): enters fresh mount, network, IPC, UTS and PID
//!   namespaces, builds a read-only root from bind mounts plus a private tmpfs `/tmp`, pivots into
//!   it and waits. Killing it is how the harness stops everything.
//! - the *init* (PID 1 of the new PID namespace, still privileged, never runs untrusted code):
//!   dies with the keeper (`PR_SET_PDEATHSIG`), and when it dies the kernel kills every process
//!   in the namespace, so nothing the program forks, daemonised or not, outlives the run or keeps
//!   its pipes open. It reports the program's wait status on a pipe only it holds.
//! - the *program*: rlimits, `nobody` with no groups and `no_new_privs`, then `exec`.
//!
//! Without root, the keeper first enters a user namespace that maps only the caller's own ids
//! (where unprivileged user namespaces are allowed): the mounts are the same, and the program
//! keeps the caller's uid but loses every capability at `exec`, so it can undo none of them.

use std::ffi::CString;
use std::fs::File;
use std::io::Read;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// The user the program runs as.
pub(crate) const NOBODY: libc::uid_t = 65534;

/// Where the inputs folder appears inside the sandbox.
pub(crate) const INPUTS: &str = "/sandbox";

/// What of stdout and stderr is kept: the start and the end, where a traceback's last line is.
const KEEP_HEAD: usize = 16 << 10;
const KEEP_TAIL: usize = 16 << 10;
/// A reply larger than this is not a reply.
const RESULT_CAP: usize = 16 << 20;
/// How long readers may take to see end-of-file once the sandbox is gone.
const DRAIN_GRACE: Duration = Duration::from_secs(2);

/// Limits on one run.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    pub(crate) wall: Duration,
    pub(crate) cpu: Duration,
    pub(crate) memory_bytes: u64,
    /// Size of the private `/tmp` (tmpfs memory counts against no rlimit).
    pub(crate) tmp_bytes: u64,
}

/// The host paths the program sees, read-only, at the same place.
#[derive(Debug, Clone)]
pub(crate) struct Jail {
    /// Directories bound read-only at the same path.
    binds: Vec<PathBuf>,
    /// Top-level symlinks (`/bin -> usr/bin` on merged-/usr systems) recreated as they are.
    links: Vec<(PathBuf, PathBuf)>,
}

impl Jail {
    /// The system directories a dynamically linked program needs, plus `extra` (an interpreter's
    /// prefixes), each canonicalised and bound once.
    pub(crate) fn new(extra: &[PathBuf]) -> Jail {
        let mut binds = Vec::new();
        let mut links = Vec::new();
        for name in [
            "/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc",
        ] {
            let path = Path::new(name);
            match std::fs::symlink_metadata(path) {
                Ok(m) if m.file_type().is_symlink() => {
                    if let Ok(target) = std::fs::read_link(path) {
                        links.push((path.to_path_buf(), target));
                    }
                }
                Ok(m) if m.is_dir() => binds.push(path.to_path_buf()),
                _ => {}
            }
        }
        let mut extra: Vec<PathBuf> = extra
            .iter()
            .filter_map(|p| std::fs::canonicalize(p).ok())
            .collect();
        extra.sort();
        for p in extra {
            // A prefix of `/` would bind the whole host over the sandbox's root.
            if p.parent().is_some() && !binds.iter().any(|b| p.starts_with(b)) {
                binds.push(p);
            }
        }
        Jail { binds, links }
    }

    /// Runs `program` with `args` and `env` (nothing else inherited) in the sandbox, with
    /// `inputs` (a host folder readable by [`NOBODY`]) at [`INPUTS`], and waits at most
    /// `limits.wall`. `stage` is an empty host folder for the sandbox's root mount point.
    pub(crate) fn run(
        &self,
        program: &Path,
        args: &[&str],
        env: &[(&str, &str)],
        inputs: &Path,
        stage: &Path,
        limits: Limits,
    ) -> Result<Outcome, JailError> {
        let root = stage.join("root");
        std::fs::create_dir_all(&root).map_err(|e| JailError::Stage(root.clone(), e))?;
        let plan = Plan::new(self, &root, inputs, limits)?;
        let (result_r, result_w) = pipe()?;
        let (status_r, status_w) = pipe()?;
        let mut cmd = Command::new(program);
        cmd.args(args)
            .env_clear()
            .envs(env.iter().copied())
            .env(RESULT_FD_ENV, result_w.as_raw_fd().to_string())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let (result_fd, status_fd) = (result_w.as_raw_fd(), status_w.as_raw_fd());
        // SAFETY: the closure runs in the forked child and only makes system calls on data
        // prepared before the fork (no allocation, no locks); see `child`.
        unsafe {
            cmd.pre_exec(move || child::keeper(&plan, result_fd, status_fd));
        }
        let began = Instant::now();
        let spawned = cmd.spawn();
        // Only the sandbox holds the write ends now, so end-of-file means it is gone.
        drop(result_w);
        drop(status_w);
        let status_reader = drain(Some(status_r), 4096, 0);
        let mut child = match spawned {
            Ok(c) => c,
            Err(e) => {
                let report = status_reader.recv_timeout(DRAIN_GRACE).unwrap_or_default();
                return Err(match Report::parse(&report.head) {
                    Some(Report::Failed(step, errno)) => {
                        JailError::Setup(step, std::io::Error::from_raw_os_error(errno).to_string())
                    }
                    _ => JailError::Spawn(program.into(), e),
                });
            }
        };
        let pid = child.id() as libc::pid_t;
        let stdout = drain(child.stdout.take().map(OwnedFd::from), KEEP_HEAD, KEEP_TAIL);
        let stderr = drain(child.stderr.take().map(OwnedFd::from), KEEP_HEAD, KEEP_TAIL);
        let result = drain(Some(result_r), RESULT_CAP, 0);
        let mut timed_out = false;
        loop {
            match child.try_wait() {
                Ok(Some(_)) => break,
                Ok(None) if began.elapsed() >= limits.wall => {
                    timed_out = true;
                    // The keeper leads its own process group; its death takes the PID namespace
                    // (and so every descendant, wherever it moved) with it.
                    // SAFETY: plain signals to the process group this run created.
                    unsafe {
                        libc::killpg(pid, libc::SIGKILL);
                    }
                    let _ = child.kill();
                    let _ = child.wait();
                    break;
                }
                Ok(None) => std::thread::sleep(Duration::from_millis(10)),
                Err(e) => return Err(JailError::Wait(e)),
            }
        }
        let elapsed = began.elapsed();
        let deadline = Instant::now() + DRAIN_GRACE;
        let take = |rx: mpsc::Receiver<Captured>| {
            rx.recv_timeout(deadline.saturating_duration_since(Instant::now()))
                .unwrap_or_default()
        };
        let status = take(status_reader);
        let ended = if timed_out {
            Ended::TimedOut
        } else {
            match Report::parse(&status.head) {
                Some(Report::Exited(raw)) if libc::WIFSIGNALED(raw) => {
                    Ended::Signaled(libc::WTERMSIG(raw))
                }
                Some(Report::Exited(raw)) => Ended::Exited(libc::WEXITSTATUS(raw)),
                Some(Report::Failed(step, errno)) => Ended::SetupFailed(format!(
                    "{step}: {}",
                    std::io::Error::from_raw_os_error(errno)
                )),
                None => Ended::Vanished,
            }
        };
        Ok(Outcome {
            ended,
            elapsed,
            stdout: take(stdout),
            stderr: take(stderr),
            result: take(result),
        })
    }
}

#[derive(Debug, thiserror::Error)]
pub(crate) enum JailError {
    #[error("cannot prepare {0}: {1}")]
    Stage(PathBuf, std::io::Error),
    #[error("path {0} cannot be passed to the kernel (it contains a NUL byte)")]
    Path(PathBuf),
    #[error("cannot create a pipe: {0}")]
    Pipe(std::io::Error),
    #[error("cannot start {0}: {1}")]
    Spawn(PathBuf, std::io::Error),
    #[error("cannot set up the sandbox ({0}): {1}")]
    Setup(String, String),
    #[error("cannot wait for the sandbox: {0}")]
    Wait(std::io::Error),
}

/// How a run ended.
#[derive(Debug)]
pub(crate) enum Ended {
    Exited(i32),
    Signaled(i32),
    /// The wall-clock limit passed; everything in the sandbox was killed.
    TimedOut,
    /// The sandbox could not be built (after the program was forked).
    SetupFailed(String),
    /// The sandbox went away without reporting (its init was killed from outside).
    Vanished,
}

#[derive(Debug)]
pub(crate) struct Outcome {
    pub(crate) ended: Ended,
    pub(crate) elapsed: Duration,
    pub(crate) stdout: Captured,
    pub(crate) stderr: Captured,
    /// What the program wrote to its result descriptor (named by [`RESULT_FD_ENV`]).
    pub(crate) result: Captured,
}

/// The environment variable naming the program's result descriptor.
pub(crate) const RESULT_FD_ENV: &str = "HARNESS_RESULT_FD";

/// The start and end of a stream, and how long it really was.
#[derive(Debug, Default, Clone)]
pub(crate) struct Captured {
    pub(crate) head: Vec<u8>,
    pub(crate) tail: Vec<u8>,
    pub(crate) total: u64,
}

impl Captured {
    pub(crate) fn truncated(&self) -> bool {
        self.total > (self.head.len() + self.tail.len()) as u64
    }

    /// The kept text: head, an elision mark when bytes were dropped, tail.
    pub(crate) fn text(&self) -> String {
        let mut s = String::from_utf8_lossy(&self.head).into_owned();
        if self.truncated() {
            s.push_str(&format!(
                "\n[… {} bytes not kept …]\n",
                self.total - (self.head.len() + self.tail.len()) as u64
            ));
        }
        s.push_str(&String::from_utf8_lossy(&self.tail));
        s
    }

    pub(crate) fn last_line(&self) -> Option<String> {
        self.text()
            .lines()
            .rev()
            .map(str::trim)
            .find(|l| !l.is_empty())
            .map(|l| l.chars().take(300).collect())
    }
}

/// What the init (or a failed setup step) wrote on the status pipe.
enum Report {
    Exited(libc::c_int),
    Failed(String, i32),
}

impl Report {
    fn parse(bytes: &[u8]) -> Option<Report> {
        match bytes.split_first()? {
            (b'W', rest) if rest.len() == 4 => Some(Report::Exited(libc::c_int::from_le_bytes(
                rest.try_into().ok()?,
            ))),
            (b'E', rest) if rest.len() >= 4 => {
                let (errno, step) = rest.split_at(4);
                let step = step.split(|&b| b == b'\n').next().unwrap_or_default();
                Some(Report::Failed(
                    String::from_utf8_lossy(step).into_owned(),
                    i32::from_le_bytes(errno.try_into().ok()?),
                ))
            }
            _ => None,
        }
    }
}

fn pipe() -> Result<(OwnedFd, OwnedFd), JailError> {
    let mut fds = [0 as RawFd; 2];
    // SAFETY: `fds` has room for the two descriptors pipe2 writes.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        return Err(JailError::Pipe(std::io::Error::last_os_error()));
    }
    // SAFETY: pipe2 succeeded, so both are fresh descriptors owned by nobody else.
    let (r, w) = unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
    Ok((above_stdio(r)?, above_stdio(w)?))
}

/// `fd`, moved above 2 when it is not: a harness started with stdio closed gets pipes at 0–2,
/// where the child's own stdio replaces them before the sandbox is built.
fn above_stdio(fd: OwnedFd) -> Result<OwnedFd, JailError> {
    if fd.as_raw_fd() > 2 {
        return Ok(fd);
    }
    // SAFETY: duplicating a descriptor we own; the copy is owned by the returned OwnedFd.
    let copy = unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_DUPFD_CLOEXEC, 3) };
    if copy < 0 {
        return Err(JailError::Pipe(std::io::Error::last_os_error()));
    }
    // SAFETY: fcntl returned a fresh descriptor.
    Ok(unsafe { OwnedFd::from_raw_fd(copy) })
}

/// Reads `fd` to end-of-file on a thread of its own, so a full pipe never blocks the program,
/// keeping the first `head` and the last `tail` bytes.
fn drain(fd: Option<OwnedFd>, head: usize, tail: usize) -> mpsc::Receiver<Captured> {
    let (tx, rx) = mpsc::channel();
    let Some(fd) = fd else {
        let _ = tx.send(Captured::default());
        return rx;
    };
    std::thread::spawn(move || {
        let mut file = File::from(fd);
        let mut got = Captured::default();
        let mut ring: std::collections::VecDeque<u8> = std::collections::VecDeque::new();
        let mut buf = [0u8; 8192];
        loop {
            match file.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => {
                    got.total += n as u64;
                    let mut chunk = &buf[..n];
                    let room = head - got.head.len().min(head);
                    let take = room.min(chunk.len());
                    got.head.extend_from_slice(&chunk[..take]);
                    chunk = &chunk[take..];
                    if tail > 0 {
                        ring.extend(chunk);
                        let excess = ring.len().saturating_sub(tail);
                        ring.drain(..excess);
                    }
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(_) => break,
            }
        }
        got.tail = ring.into_iter().collect();
        let _ = tx.send(got);
    });
    rx
}

fn cpath(p: &Path) -> Result<CString, JailError> {
    CString::new(p.as_os_str().as_bytes()).map_err(|_| JailError::Path(p.into()))
}

/// One mount-namespace step, with its description for error reports.
#[derive(Debug)]
struct Step {
    what: Vec<u8>,
    op: Op,
}

#[derive(Debug)]
enum Op {
    Mkdir(CString, libc::mode_t),
    Symlink(CString, CString),
    Touch(CString),
    /// A bind mount, then a remount that applies `flags` (read-only and friends) to it.
    Bind(CString, CString, libc::c_ulong),
    Tmpfs(CString, CString),
}

/// Everything the forked processes do, prepared here so that they only make system calls.
#[derive(Debug)]
struct Plan {
    root: CString,
    steps: Vec<Step>,
    limits: Limits,
    /// Without root: the `uid_map` and `gid_map` lines of a user namespace mapping only the
    /// caller's own ids.
    user: Option<(CString, CString)>,
}

impl Plan {
    fn new(jail: &Jail, root: &Path, inputs: &Path, limits: Limits) -> Result<Plan, JailError> {
        let mut steps = Vec::new();
        let mut made: Vec<PathBuf> = vec![root.to_path_buf()];
        let inside = |p: &Path| root.join(p.strip_prefix("/").unwrap_or(p));
        let mut mkdirs = |steps: &mut Vec<Step>, dir: &Path, mode| -> Result<(), JailError> {
            let mut at = root.to_path_buf();
            let rel = dir.strip_prefix(root).unwrap_or(dir);
            for part in rel.components() {
                at.push(part);
                if !made.contains(&at) {
                    made.push(at.clone());
                    steps.push(Step {
                        what: format!("mkdir {}", at.display()).into_bytes(),
                        op: Op::Mkdir(cpath(&at)?, mode),
                    });
                }
            }
            Ok(())
        };
        steps.push(Step {
            what: b"tmpfs root".to_vec(),
            op: Op::Tmpfs(cpath(root)?, c"mode=0755,size=4m".to_owned()),
        });
        // Before the binds: a venv under /tmp (HARNESS_HOME there) is bound on top of it.
        let tmp = inside(Path::new("/tmp"));
        mkdirs(&mut steps, &tmp, 0o755)?;
        steps.push(Step {
            what: b"tmpfs /tmp".to_vec(),
            op: Op::Tmpfs(
                cpath(&tmp)?,
                CString::new(format!("mode=1777,size={}", limits.tmp_bytes))
                    .map_err(|_| JailError::Path(tmp.clone()))?,
            ),
        });
        let ro = libc::MS_RDONLY | libc::MS_NOSUID | libc::MS_NODEV;
        for (link, target) in &jail.links {
            steps.push(Step {
                what: format!("symlink {}", link.display()).into_bytes(),
                op: Op::Symlink(cpath(target)?, cpath(&inside(link))?),
            });
        }
        for dir in &jail.binds {
            let at = inside(dir);
            mkdirs(&mut steps, &at, 0o755)?;
            steps.push(Step {
                what: format!("bind {}", dir.display()).into_bytes(),
                op: Op::Bind(cpath(dir)?, cpath(&at)?, ro | mount_flags(dir)),
            });
        }
        let dev = inside(Path::new("/dev"));
        mkdirs(&mut steps, &dev, 0o755)?;
        for node in ["null", "zero", "full", "random", "urandom"] {
            let host = Path::new("/dev").join(node);
            if !host.exists() {
                continue;
            }
            let at = dev.join(node);
            steps.push(Step {
                what: format!("create {}", at.display()).into_bytes(),
                op: Op::Touch(cpath(&at)?),
            });
            steps.push(Step {
                what: format!("bind {}", host.display()).into_bytes(),
                op: Op::Bind(
                    cpath(&host)?,
                    cpath(&at)?,
                    libc::MS_NOSUID | libc::MS_NOEXEC | mount_flags(&host),
                ),
            });
        }
        let at = inside(Path::new(INPUTS));
        mkdirs(&mut steps, &at, 0o755)?;
        steps.push(Step {
            what: format!("bind {}", inputs.display()).into_bytes(),
            op: Op::Bind(
                cpath(inputs)?,
                cpath(&at)?,
                ro | libc::MS_NOEXEC | mount_flags(inputs),
            ),
        });
        // SAFETY: getuid, geteuid and getgid have no preconditions.
        let user = (unsafe { libc::geteuid() } != 0).then(|| unsafe {
            let map = |id: u32| CString::new(format!("{id} {id} 1")).unwrap_or_default();
            (map(libc::getuid()), map(libc::getgid()))
        });
        Ok(Plan {
            root: cpath(root)?,
            steps,
            limits,
            user,
        })
    }
}

/// The flags of the mount holding `path` that a bind remount must repeat: in a user namespace
/// the kernel refuses to clear them (they are locked), and elsewhere dropping them would loosen
/// the host's own choice.
fn mount_flags(path: &Path) -> libc::c_ulong {
    let Ok(c) = cpath(path) else { return 0 };
    // SAFETY: `st` is a valid out-pointer and `c` a NUL-terminated path.
    let mut st: libc::statvfs = unsafe { std::mem::zeroed() };
    if unsafe { libc::statvfs(c.as_ptr(), &mut st) } != 0 {
        return 0;
    }
    [
        (libc::ST_NOSUID, libc::MS_NOSUID),
        (libc::ST_NODEV, libc::MS_NODEV),
        (libc::ST_NOEXEC, libc::MS_NOEXEC),
        (libc::ST_NOATIME, libc::MS_NOATIME),
        (libc::ST_NODIRATIME, libc::MS_NODIRATIME),
        (libc::ST_RELATIME, libc::MS_RELATIME),
    ]
    .iter()
    .filter(|(st_flag, _)| st.f_flag & st_flag != 0)
    .fold(0, |acc, (_, ms)| acc | ms)
}

/// The code that runs between fork and exec. Every function here only makes system calls on
/// memory prepared before the fork: the harness is multi-threaded, so an allocation could wait
/// forever on a lock another thread held at the fork.
mod child {
    use super::{NOBODY, Op, Plan};
    use std::ffi::CStr;
    use std::io;

    /// The keeper: namespaces, the read-only root, then fork the init and wait for it. Returns
    /// (to exec) only in the program's process.
    pub(super) fn keeper(plan: &Plan, result_fd: i32, status_fd: i32) -> io::Result<()> {
        // SAFETY (whole module): plain system calls on valid pointers to data owned by `plan`
        // or by this stack frame.
        unsafe {
            // Dies with the harness thread that waits for it, so nothing outlives a killed
            // harness.
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
            libc::setsid();
            let user = if plan.user.is_some() {
                libc::CLONE_NEWUSER
            } else {
                0
            };
            step(
                status_fd,
                b"unshare",
                libc::unshare(
                    user | libc::CLONE_NEWNS
                        | libc::CLONE_NEWNET
                        | libc::CLONE_NEWPID
                        | libc::CLONE_NEWIPC
                        | libc::CLONE_NEWUTS,
                ),
            )?;
            if let Some((uid_map, gid_map)) = &plan.user {
                // An unprivileged gid_map needs setgroups denied first.
                step(
                    status_fd,
                    b"deny setgroups",
                    write_file(c"/proc/self/setgroups", c"deny"),
                )?;
                step(
                    status_fd,
                    b"uid_map",
                    write_file(c"/proc/self/uid_map", uid_map),
                )?;
                step(
                    status_fd,
                    b"gid_map",
                    write_file(c"/proc/self/gid_map", gid_map),
                )?;
            }
            // Nothing mounted from here on propagates back to the host.
            step(
                status_fd,
                b"make / private",
                libc::mount(
                    std::ptr::null(),
                    c"/".as_ptr(),
                    std::ptr::null(),
                    libc::MS_REC | libc::MS_PRIVATE,
                    std::ptr::null(),
                ),
            )?;
            for s in &plan.steps {
                let rc = match &s.op {
                    Op::Mkdir(p, mode) => {
                        let rc = libc::mkdir(p.as_ptr(), *mode);
                        if rc != 0 && errno() == libc::EEXIST {
                            0
                        } else {
                            rc
                        }
                    }
                    Op::Symlink(target, p) => libc::symlink(target.as_ptr(), p.as_ptr()),
                    Op::Touch(p) => {
                        let fd = libc::open(
                            p.as_ptr(),
                            libc::O_CREAT | libc::O_WRONLY | libc::O_CLOEXEC,
                            0o644,
                        );
                        if fd >= 0 { libc::close(fd) } else { fd }
                    }
                    Op::Bind(src, dst, flags) => {
                        let rc = libc::mount(
                            src.as_ptr(),
                            dst.as_ptr(),
                            std::ptr::null(),
                            libc::MS_BIND,
                            std::ptr::null(),
                        );
                        if rc != 0 {
                            rc
                        } else {
                            // A bind mount takes its flags only from a remount.
                            libc::mount(
                                std::ptr::null(),
                                dst.as_ptr(),
                                std::ptr::null(),
                                libc::MS_BIND | libc::MS_REMOUNT | flags,
                                std::ptr::null(),
                            )
                        }
                    }
                    Op::Tmpfs(dst, data) => libc::mount(
                        c"tmpfs".as_ptr(),
                        dst.as_ptr(),
                        c"tmpfs".as_ptr(),
                        libc::MS_NOSUID | libc::MS_NODEV,
                        data.as_ptr().cast(),
                    ),
                };
                step(status_fd, &s.what, rc)?;
            }
            step(status_fd, b"chdir root", libc::chdir(plan.root.as_ptr()))?;
            // pivot_root(".", ".") stacks the old root on the new one; detaching it leaves no
            // path back. Where the root cannot be pivoted (an initramfs), chroot is enough: the
            // program will hold no capability to leave it.
            let dot = c".".as_ptr();
            if libc::syscall(libc::SYS_pivot_root, dot, dot) == 0 {
                step(
                    status_fd,
                    b"detach the old root",
                    libc::umount2(dot, libc::MNT_DETACH),
                )?;
            } else {
                step(status_fd, b"chroot", libc::chroot(dot))?;
            }
            step(status_fd, b"chdir /", libc::chdir(c"/".as_ptr()))?;
            step(
                status_fd,
                b"remount / read-only",
                libc::mount(
                    std::ptr::null(),
                    c"/".as_ptr(),
                    std::ptr::null(),
                    libc::MS_BIND
                        | libc::MS_REMOUNT
                        | libc::MS_RDONLY
                        | libc::MS_NOSUID
                        | libc::MS_NODEV,
                    std::ptr::null(),
                ),
            )?;
            let init = libc::fork();
            step(status_fd, b"fork the init", init)?;
            if init > 0 {
                close_from(0, -1);
                let _ = wait_for(init);
                libc::_exit(0);
            }
            // The init, PID 1 of the new namespace.
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
            let program = libc::fork();
            step(status_fd, b"fork the program", program)?;
            if program > 0 {
                close_from(0, status_fd);
                let status = wait_for(program);
                let mut report = [0u8; 5];
                report[0] = b'W';
                report[1..].copy_from_slice(&status.to_le_bytes());
                libc::write(status_fd, report.as_ptr().cast(), report.len());
                // Exiting takes every other process in the namespace with it.
                libc::_exit(0);
            }
            program_side(plan, result_fd, status_fd)
        }
    }

    unsafe fn program_side(plan: &Plan, result_fd: i32, status_fd: i32) -> io::Result<()> {
        // SAFETY: see `keeper`.
        unsafe {
            let limits = plan.limits;
            let mem = libc::rlimit {
                rlim_cur: limits.memory_bytes,
                rlim_max: limits.memory_bytes,
            };
            // The soft limit signals SIGXCPU (how a spin is told from other deaths); the hard
            // one, a second later, kills a program that ignores it.
            let cpu = limits.cpu.as_secs().max(1);
            let cpu = libc::rlimit {
                rlim_cur: cpu,
                rlim_max: cpu + 1,
            };
            let zero = libc::rlimit {
                rlim_cur: 0,
                rlim_max: 0,
            };
            let nproc = libc::rlimit {
                rlim_cur: 512,
                rlim_max: 512,
            };
            step(
                status_fd,
                b"memory limit",
                libc::setrlimit(libc::RLIMIT_AS, &mem),
            )?;
            step(
                status_fd,
                b"CPU limit",
                libc::setrlimit(libc::RLIMIT_CPU, &cpu),
            )?;
            step(
                status_fd,
                b"no core dumps",
                libc::setrlimit(libc::RLIMIT_CORE, &zero),
            )?;
            // Counted per real user, so only for `nobody`: a desktop user has more than this.
            if plan.user.is_none() {
                step(
                    status_fd,
                    b"process limit",
                    libc::setrlimit(libc::RLIMIT_NPROC, &nproc),
                )?;
            }
            // The result pipe is the one descriptor beyond stdio that survives exec.
            step(
                status_fd,
                b"result pipe",
                libc::fcntl(result_fd, libc::F_SETFD, 0),
            )?;
            // Leaving uid 0 clears every capability. In a user namespace the caller's uid is
            // the only one mapped; there the capabilities go at exec, the uid not being 0.
            if plan.user.is_none() {
                step(
                    status_fd,
                    b"drop groups",
                    libc::setgroups(0, std::ptr::null()),
                )?;
                step(
                    status_fd,
                    b"setgid nobody",
                    libc::setresgid(NOBODY, NOBODY, NOBODY),
                )?;
                step(
                    status_fd,
                    b"setuid nobody",
                    libc::setresuid(NOBODY, NOBODY, NOBODY),
                )?;
            }
            step(
                status_fd,
                b"no_new_privs",
                libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0),
            )?;
            step(status_fd, b"chdir /tmp", libc::chdir(c"/tmp".as_ptr()))?;
            Ok(())
        }
    }

    /// Writes `text` to the file at `path` (a /proc knob) in one write.
    unsafe fn write_file(path: &CStr, text: &CStr) -> libc::c_int {
        // SAFETY: see `keeper`.
        unsafe {
            let fd = libc::open(path.as_ptr(), libc::O_WRONLY | libc::O_CLOEXEC);
            if fd < 0 {
                return fd;
            }
            let bytes = text.to_bytes();
            let n = libc::write(fd, bytes.as_ptr().cast(), bytes.len());
            libc::close(fd);
            if n == bytes.len() as isize { 0 } else { -1 }
        }
    }

    /// Reports a failed step on the status pipe and turns it into the error `spawn` returns.
    fn step(status_fd: i32, what: &[u8], rc: impl Into<i64>) -> io::Result<()> {
        if rc.into() >= 0 {
            return Ok(());
        }
        let err = errno();
        let mut buf = [0u8; 256];
        buf[0] = b'E';
        buf[1..5].copy_from_slice(&err.to_le_bytes());
        let n = what.len().min(buf.len() - 6);
        buf[5..5 + n].copy_from_slice(&what[..n]);
        // The init may append its own report after this one.
        buf[5 + n] = b'\n';
        // SAFETY: `buf` holds 6 + n initialised bytes.
        unsafe {
            libc::write(status_fd, buf.as_ptr().cast(), 6 + n);
        }
        Err(io::Error::from_raw_os_error(err))
    }

    fn errno() -> i32 {
        io::Error::last_os_error().raw_os_error().unwrap_or(0)
    }

    /// Waits for `pid`, reaping any other child on the way (the init adopts orphans).
    unsafe fn wait_for(pid: libc::pid_t) -> libc::c_int {
        loop {
            let mut status = 0;
            // SAFETY: `status` is a valid out-pointer.
            let got = unsafe { libc::waitpid(-1, &mut status, 0) };
            if got == pid {
                return status;
            }
            if got < 0 && errno() != libc::EINTR {
                return 0;
            }
        }
    }

    /// Closes every descriptor from `first` on, except `keep` (-1 for none).
    unsafe fn close_from(first: i32, keep: i32) {
        let ranges: [(i32, i32); 2] = if keep >= first {
            [(first, keep - 1), (keep + 1, i32::MAX)]
        } else {
            [(first, i32::MAX), (1, 0)]
        };
        for (lo, hi) in ranges {
            if lo > hi {
                continue;
            }
            // SAFETY: closing descriptors this process owns.
            unsafe {
                if libc::syscall(libc::SYS_close_range, lo as u32, hi as u32, 0) != 0 {
                    for fd in lo..hi.min(4096) {
                        libc::close(fd);
                    }
                }
            }
        }
    }
}
