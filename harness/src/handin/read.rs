use std::fs::{File, OpenOptions};
use std::io::Read;
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
use std::path::Path;

use super::{HandinError, Kind, Limits};

/// Reads a regular file of at most the cap for `kind`, never blocking on a FIFO or device.
///
/// The file is opened non-blocking (a FIFO opens at once instead of waiting for a writer) and
/// checked with `fstat` on the open descriptor, so what is checked is what is read. The read
/// itself stops at the cap even if the file grows meanwhile.
pub(crate) fn read_capped(path: &Path, kind: Kind) -> Result<Vec<u8>, HandinError> {
    let limit = Limits::current().cap(kind);
    let mut file = open_regular(path)?;
    let size = file.metadata().map_err(HandinError::io(path))?.len();
    let too_large = |size| HandinError::TooLarge {
        path: path.to_path_buf(),
        kind,
        size,
        limit,
    };
    if size > limit {
        return Err(too_large(size));
    }
    let mut out = Vec::with_capacity(size as usize);
    (&mut file)
        .take(limit + 1)
        .read_to_end(&mut out)
        .map_err(HandinError::io(path))?;
    if out.len() as u64 > limit {
        return Err(too_large(out.len() as u64));
    }
    Ok(out)
}

/// Opens `path` for reading if it is a regular file; names what it is otherwise.
pub(crate) fn open_regular(path: &Path) -> Result<File, HandinError> {
    // Refuse by type before opening where possible: opening some devices has effects.
    let meta = std::fs::metadata(path).map_err(HandinError::io(path))?;
    not_regular(path, &meta)?;
    let file = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(path)
        .map_err(HandinError::io(path))?;
    // The path may have been swapped between the two looks; the descriptor is what counts.
    let meta = file.metadata().map_err(HandinError::io(path))?;
    not_regular(path, &meta)?;
    Ok(file)
}

fn not_regular(path: &Path, meta: &std::fs::Metadata) -> Result<(), HandinError> {
    if meta.is_file() {
        return Ok(());
    }
    Err(HandinError::NotRegular {
        path: path.to_path_buf(),
        found: file_kind(&meta.file_type()),
    })
}

/// What a file that is not a regular one is, for a message ("a FIFO", "a character device").
pub(crate) fn file_kind(t: &std::fs::FileType) -> &'static str {
    if t.is_file() {
        "a regular file"
    } else if t.is_dir() {
        "a folder"
    } else if t.is_fifo() {
        "a FIFO"
    } else if t.is_char_device() {
        "a character device"
    } else if t.is_block_device() {
        "a block device"
    } else if t.is_socket() {
        "a socket"
    } else if t.is_symlink() {
        "a symlink"
    } else {
        "a special file"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};

    #[test]
    fn refuses_fifos_devices_and_folders_without_blocking() {
        let t = tempfile::tempdir().unwrap();
        let fifo = t.path().join("MLmodel");
        let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
        // SAFETY: a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0);
        let began = Instant::now();
        let err = read_capped(&fifo, Kind::Mlmodel).unwrap_err().to_string();
        assert!(err.contains("not a regular file (it is a FIFO)"), "{err}");
        assert!(began.elapsed() < Duration::from_secs(1));

        let zero = t.path().join("zero");
        std::os::unix::fs::symlink("/dev/zero", &zero).unwrap();
        let err = read_capped(&zero, Kind::Text).unwrap_err().to_string();
        assert!(err.contains("character device"), "{err}");
        let err = read_capped(t.path(), Kind::Text).unwrap_err().to_string();
        assert!(err.contains("a folder"), "{err}");
    }

    #[test]
    fn stops_at_the_cap_for_the_kind() {
        let t = tempfile::tempdir().unwrap();
        let big = t.path().join("MLmodel");
        let f = File::create(&big).unwrap();
        f.set_len(Limits::current().cap(Kind::Mlmodel) + 1).unwrap();
        let err = read_capped(&big, Kind::Mlmodel).unwrap_err().to_string();
        assert!(err.contains("too large"), "{err}");
        assert!(err.contains("--limit mlmodel="), "{err}");
        std::fs::write(&big, "flavors: {}\n").unwrap();
        assert_eq!(read_capped(&big, Kind::Mlmodel).unwrap(), b"flavors: {}\n");
    }
}
