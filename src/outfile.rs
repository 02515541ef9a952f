//! Output files and addresses: checked before any GPU work, written so that
//! no reader sees half a file, and a failure that can never cost the report.
//!
//! - [`check_all`]: every output a command declares
//!   ([`crate::commands::outputs`]) is validated once, before the command
//!   starts; a bad one is a usage error (exit 2) naming the option, the path
//!   and why, so a long run never ends by finding it cannot save its results.
//! - [`write`]: the one writer of side files (baseline, JUnit, monitor's
//!   textfile): a temporary file in the same directory, renamed over the
//!   target, and never onto a directory, device node, FIFO or socket.
//! - [`side_file_failed`]: a side file that still could not be written
//!   (disk full since the start) joins the report as a host check; the
//!   report and its verdict stay.
//! - [`stdout_closed`]: fd 1 closed (`>&-`), where every report would be
//!   lost without an error (Rust's stdout drops writes to a closed fd).

use crate::checks::remedy;
use crate::error::AppError;
use crate::report::{Check, CheckStatus, Outcome, Report};
use std::io::Write;
use std::os::unix::fs::{FileTypeExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

/// The host check a side file that could not be written becomes.
pub const CHECK: &str = crate::model::checks::OUTPUT_FILE;

/// One output a command was asked to produce, named by its option.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Output<'a> {
    /// A file written at the end or every interval (`--junit PATH`).
    File {
        option: &'static str,
        path: &'a Path,
    },
    /// An address to listen on (`--listen ADDR`).
    Listen {
        option: &'static str,
        address: &'a str,
    },
}

/// Validates every output; the first bad one is a usage error naming the
/// option, the value and why.
pub fn check_all(outputs: &[Output<'_>]) -> Result<(), AppError> {
    for output in outputs {
        let (option, value, result) = match output {
            Output::File { option, path } => {
                (*option, path.display().to_string(), check_file(path))
            }
            Output::Listen { option, address } => {
                (*option, (*address).to_string(), check_listen(address))
            }
        };
        result.map_err(|why| AppError::usage(format!("{option} '{value}': {why}")))?;
    }
    Ok(())
}

/// Why `path` cannot be written as a file, if it cannot.
pub fn check_file(path: &Path) -> Result<(), String> {
    let text = path.as_os_str().to_string_lossy();
    if text.is_empty() {
        return Err("the path is empty; give a file name".to_string());
    }
    if text == "-" {
        // Not stdout: that takes the report. A file named `-` is `./-`.
        return Err(
            "'-' is not stdout here (stdout takes the report); give a file name, \
                    or ./- for a file of that name"
                .to_string(),
        );
    }
    if text.ends_with('/') {
        return Err("names a directory; give a file name".to_string());
    }
    match std::fs::metadata(path) {
        Ok(meta) => not_a_regular_file(&meta).map_or(Ok(()), Err)?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(format!("cannot be examined: {e}")),
    }
    let dir = directory_of(path);
    match std::fs::metadata(&dir) {
        Ok(meta) if meta.is_dir() => {}
        Ok(_) => return Err(format!("'{}' is not a directory", dir.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(format!("directory '{}' does not exist", dir.display()))
        }
        Err(e) => return Err(format!("directory '{}': {e}", dir.display())),
    }
    // A trial file is the only honest test: permission bits say nothing of
    // a read-only mount, ACLs or root squash. It is removed on drop.
    temp_in(&dir)
        .map(drop)
        .map_err(|e| format!("directory '{}' is not writable: {e}", dir.display()))
}

/// Why an existing path is not a regular file we may replace, if it is not.
fn not_a_regular_file(meta: &std::fs::Metadata) -> Option<String> {
    let kind = meta.file_type();
    let what = if kind.is_dir() {
        "a directory"
    } else if kind.is_char_device() || kind.is_block_device() {
        "a device node"
    } else if kind.is_fifo() {
        "a FIFO"
    } else if kind.is_socket() {
        "a socket"
    } else if kind.is_file() {
        return None;
    } else {
        "not a regular file"
    };
    Some(format!("is {what}; give a regular file's path"))
}

/// Why `address` cannot be listened on, if it cannot: unparsable, or in
/// use (bound and released at once; the server binds it again).
pub fn check_listen(address: &str) -> Result<(), String> {
    use std::net::ToSocketAddrs;
    let addrs: Vec<std::net::SocketAddr> = address
        .to_socket_addrs()
        .map_err(|e| format!("not an address (expected HOST:PORT, e.g. 0.0.0.0:9835): {e}"))?
        .collect();
    let first = addrs
        .first()
        .ok_or_else(|| "resolves to no address".to_string())?;
    std::net::TcpListener::bind(first)
        .map(drop)
        .map_err(|e| format!("cannot listen: {e}"))
}

/// The directory a file at `path` lives in (`.` for a bare name).
fn directory_of(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

fn temp_in(dir: &Path) -> std::io::Result<tempfile::NamedTempFile> {
    tempfile::Builder::new()
        .prefix(".gpuctl-")
        .suffix(".tmp")
        // As a plain create would (0666 less the umask): readers such as
        // node_exporter often run as another user.
        .permissions(std::fs::Permissions::from_mode(0o666))
        .tempfile_in(dir)
}

/// Writes `bytes` to `path` by a temporary file in the same directory and
/// a rename, so a reader sees the old file or the new one, never half of
/// one; refuses to replace anything but a regular file.
pub fn write(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    if let Ok(meta) = std::fs::metadata(path) {
        if let Some(why) = not_a_regular_file(&meta) {
            return Err(std::io::Error::new(std::io::ErrorKind::InvalidInput, why));
        }
    }
    let mut tmp = temp_in(&directory_of(path))?;
    // The file itself, so an error does not name the temporary path.
    tmp.as_file_mut().write_all(bytes)?;
    tmp.persist(path).map(drop).map_err(|e| e.error)
}

/// Writes a side file of `report` ([`write`]); a failure, or `contents`
/// that could not be produced, joins the report ([`side_file_failed`]).
pub fn save(report: &mut Report, option: &str, path: &Path, contents: Result<String, String>) {
    let written = contents.and_then(|text| write(path, text.as_bytes()).map_err(|e| e.to_string()));
    if let Err(e) = written {
        side_file_failed(report, option, path, &e);
    }
}

/// Adds a side file that could not be written to `report` as a FAIL host
/// check, keeping the report and its verdict.
///
/// The exit code stays the verdict's when it already says something (1: a
/// check failed; 130: interrupted), so CI still learns what the GPUs did;
/// a run that passed exits 3 (the environment stopped us), since the file
/// CI asked for is missing.
pub fn side_file_failed(report: &mut Report, option: &str, path: &Path, error: &str) {
    let message = format!("cannot write {option} '{}': {error}", path.display());
    report.host_checks.push(
        Check::new(CHECK, CheckStatus::Fail, message.clone())
            .value(path.display().to_string(), None)
            .remedy(remedy::OUTPUT_FILE),
    );
    if report.exit_code == crate::exit::SUCCESS {
        report.exit_code = crate::exit::ENVIRONMENT;
    }
    if matches!(report.outcome, Outcome::Pass | Outcome::Warn) {
        report.outcome = Outcome::Fail;
    }
    report.summary = if report.summary.is_empty() {
        message
    } else {
        format!("{}; {message}", report.summary)
    };
}

/// fd 1 was closed when the process started ([`note_stdout_at_start`]).
static STDOUT_CLOSED_AT_START: AtomicBool = AtomicBool::new(false);

/// Records whether fd 1 is closed, before Rust's runtime starts: the
/// runtime quietly reopens a closed fd 1 on /dev/null before `main`, after
/// which nothing tells `>&-` from `>/dev/null`. The binary calls this from
/// an `.init_array` constructor.
pub fn note_stdout_at_start() {
    STDOUT_CLOSED_AT_START.store(fd_closed(libc::STDOUT_FILENO), Ordering::Relaxed);
}

/// True when fd 1 is (or was at start) closed (`>&-`): not a reader that
/// left (EPIPE), but no stdout at all, where every write would vanish
/// without an error.
pub fn stdout_closed() -> bool {
    STDOUT_CLOSED_AT_START.load(Ordering::Relaxed) || fd_closed(libc::STDOUT_FILENO)
}

fn fd_closed(fd: i32) -> bool {
    // SAFETY: F_GETFD only reads the descriptor's flags.
    let flags = unsafe { libc::fcntl(fd, libc::F_GETFD) };
    flags == -1 && std::io::Error::last_os_error().raw_os_error() == Some(libc::EBADF)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn why(path: &Path) -> String {
        check_file(path).expect_err("refused")
    }

    #[test]
    fn a_new_or_regular_file_in_a_writable_directory_is_accepted() {
        let dir = tempfile::tempdir().unwrap();
        check_file(&dir.path().join("new.json")).unwrap();
        let existing = dir.path().join("old.json");
        std::fs::write(&existing, "x").unwrap();
        check_file(&existing).unwrap();
        // The trial file is gone again.
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn every_unwritable_kind_of_path_is_refused_with_its_reason() {
        let dir = tempfile::tempdir().unwrap();
        assert!(why(&dir.path().join("no/such/x.xml")).contains("does not exist"));
        assert!(why(dir.path()).contains("is a directory"));
        assert!(why(Path::new("/dev/null")).contains("is a device node"));
        assert!(why(Path::new("some/dir/")).contains("names a directory"));
        assert!(why(Path::new("")).contains("empty"));
        let fifo = dir.path().join("fifo");
        let c = std::ffi::CString::new(fifo.as_os_str().as_encoded_bytes()).unwrap();
        // SAFETY: a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        assert!(why(&fifo).contains("is a FIFO"));
        let sock = dir.path().join("sock");
        let _listener = std::os::unix::net::UnixListener::bind(&sock).unwrap();
        assert!(why(&sock).contains("is a socket"));
        let file = dir.path().join("file");
        std::fs::write(&file, "").unwrap();
        assert!(why(&file.join("x")).contains("cannot be examined"));
    }

    #[test]
    fn a_read_only_directory_is_refused_unless_root() {
        let dir = tempfile::tempdir().unwrap();
        let ro = dir.path().join("ro");
        std::fs::create_dir(&ro).unwrap();
        std::fs::set_permissions(&ro, std::fs::Permissions::from_mode(0o555)).unwrap();
        let result = check_file(&ro.join("x.json"));
        // SAFETY: geteuid has no preconditions.
        if unsafe { libc::geteuid() } != 0 {
            assert!(result.expect_err("refused").contains("not writable"));
        }
        std::fs::set_permissions(&ro, std::fs::Permissions::from_mode(0o755)).unwrap();
    }

    #[test]
    fn write_replaces_a_file_whole_and_never_a_device_node() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("metrics.prom");
        write(&path, b"one\n").unwrap();
        write(&path, b"two\n").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "two\n");
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_ne!(mode & 0o044, 0, "readable by others: {mode:o}");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
        let e = write(Path::new("/dev/null"), b"x").expect_err("refused");
        assert!(e.to_string().contains("device node"), "{e}");
        assert!(write(dir.path(), b"x").is_err());
    }

    #[test]
    fn an_open_fd_is_not_closed_and_a_closed_one_is() {
        assert!(!fd_closed(libc::STDERR_FILENO));
        let file = std::fs::File::open("/dev/null").unwrap();
        let fd = std::os::fd::IntoRawFd::into_raw_fd(file);
        assert!(!fd_closed(fd));
        // SAFETY: closing the descriptor this test owns.
        unsafe { libc::close(fd) };
        assert!(fd_closed(fd));
    }

    #[test]
    fn listen_addresses_are_parsed_and_tried() {
        check_listen("127.0.0.1:0").unwrap();
        assert!(check_listen("not-an-address")
            .expect_err("refused")
            .contains("not an address"));
        let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let address = taken.local_addr().unwrap().to_string();
        assert!(check_listen(&address)
            .expect_err("refused")
            .contains("cannot listen"));
    }

    #[test]
    fn check_all_names_the_option_and_the_value() {
        let e = check_all(&[Output::File {
            option: "--junit",
            path: Path::new("/dev/null"),
        }])
        .expect_err("refused");
        assert_eq!(e.exit_code(), crate::exit::USAGE);
        assert!(e
            .message
            .starts_with("--junit '/dev/null': is a device node"));
    }

    #[test]
    fn a_side_file_failure_keeps_the_verdict_and_its_exit_code() {
        let mut passed = Report::new("bench");
        passed.summary = "bench: passed".into();
        side_file_failed(&mut passed, "--junit", Path::new("/x.xml"), "disk full");
        assert_eq!(passed.exit_code, crate::exit::ENVIRONMENT);
        assert_eq!(passed.outcome, Outcome::Fail);
        assert_eq!(passed.host_checks[0].name, CHECK);
        assert_eq!(passed.host_checks[0].status, CheckStatus::Fail);
        assert!(passed
            .summary
            .starts_with("bench: passed; cannot write --junit"));

        let mut failed = Report::new("bench");
        failed.outcome = Outcome::Fail;
        failed.exit_code = crate::exit::CHECK_FAILED;
        side_file_failed(&mut failed, "--junit", Path::new("/x.xml"), "disk full");
        assert_eq!(failed.exit_code, crate::exit::CHECK_FAILED);

        let mut stopped = Report::new("bench");
        stopped.outcome = Outcome::Interrupted;
        stopped.exit_code = crate::exit::INTERRUPTED;
        side_file_failed(&mut stopped, "--junit", Path::new("/x.xml"), "disk full");
        assert_eq!(stopped.outcome, Outcome::Interrupted);
        assert_eq!(stopped.exit_code, crate::exit::INTERRUPTED);
    }
}
