//! Whether stdout is the systemd journal (issue 23): systemd sets
//! `JOURNAL_STREAM=DEV:INODE` for a unit whose stdout is the journal, and a
//! pretty JSON report there would become hundreds of journal entries, one
//! per line. The check compares the variable with stdout itself, so a child
//! whose stdout was redirected elsewhere still gets pretty output.

use std::os::fd::AsRawFd;

/// True when `JOURNAL_STREAM` names the file stdout is.
pub fn stdout_is_journal() -> bool {
    let Some(value) = std::env::var_os("JOURNAL_STREAM") else {
        return false;
    };
    let Some((dev, ino)) = value.to_str().and_then(|v| v.split_once(':')) else {
        return false;
    };
    let (Ok(dev), Ok(ino)) = (dev.parse::<libc::dev_t>(), ino.parse::<libc::ino_t>()) else {
        return false;
    };
    // SAFETY: a zeroed stat is a valid value of this plain C struct.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    // SAFETY: fstat on stdout's descriptor with a writable stat buffer.
    if unsafe { libc::fstat(std::io::stdout().as_raw_fd(), &mut st) } != 0 {
        return false;
    }
    st.st_dev == dev && st.st_ino == ino
}

#[cfg(test)]
mod tests {
    #[test]
    fn without_the_variable_stdout_is_not_the_journal() {
        if std::env::var_os("JOURNAL_STREAM").is_none() {
            assert!(!super::stdout_is_journal());
        }
    }
}
