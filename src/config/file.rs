//! Finding the config file, reading it (bounded, regular files only) and
//! splitting it into `table.key = value` entries that keep their line.

use super::MAX_BYTES;
use crate::error::AppError;
use std::collections::BTreeMap;
use std::ffi::OsString;
use std::io::Read;
use std::path::{Path, PathBuf};
use toml::Spanned;

/// The environment variable naming the config file when `--config` does not.
pub const CONFIG_ENV: &str = "GPUCTL_CONFIG";
/// The system-wide config file, used when it exists.
pub const SYSTEM_CONFIG: &str = "/etc/gpuctl/config.toml";

/// How the config file was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// `--config PATH`.
    Flag,
    /// `$GPUCTL_CONFIG`.
    Env,
    /// [`SYSTEM_CONFIG`].
    System,
    /// `$XDG_CONFIG_HOME/gpuctl/config.toml` or `~/.config/gpuctl/config.toml`.
    User,
}

impl Origin {
    /// As `config show` says it.
    pub fn describe(self) -> &'static str {
        match self {
            Origin::Flag => "--config",
            Origin::Env => "$GPUCTL_CONFIG",
            Origin::System => "the system file",
            Origin::User => "the user's config dir",
        }
    }
}

/// The config file that applies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    pub path: PathBuf,
    pub origin: Origin,
}

/// The search order, in words (`config show`, help text).
pub fn search_order() -> Vec<String> {
    vec![
        "--config PATH".to_string(),
        format!("${CONFIG_ENV}"),
        SYSTEM_CONFIG.to_string(),
        "$XDG_CONFIG_HOME/gpuctl/config.toml, else ~/.config/gpuctl/config.toml".to_string(),
    ]
}

/// Which config file applies: `--config`, then `$GPUCTL_CONFIG` (each must
/// exist), then [`SYSTEM_CONFIG`], then the user's config dir, each only if
/// it exists. None: defaults only.
pub fn discover(explicit: Option<&Path>) -> Result<Option<Found>, AppError> {
    discover_in(
        explicit,
        &|name| std::env::var_os(name),
        Path::new(SYSTEM_CONFIG),
    )
}

/// [`discover`] over a given environment and system path (tests never touch
/// the real `/etc`).
pub(super) fn discover_in(
    explicit: Option<&Path>,
    env: &dyn Fn(&str) -> Option<OsString>,
    system: &Path,
) -> Result<Option<Found>, AppError> {
    if let Some(path) = explicit {
        return Ok(Some(Found {
            path: path.to_path_buf(),
            origin: Origin::Flag,
        }));
    }
    let var = |name: &str| env(name).filter(|v| !v.is_empty());
    if let Some(value) = var(CONFIG_ENV) {
        let path = PathBuf::from(value);
        if !path.exists() {
            return Err(AppError::usage(format!(
                "${CONFIG_ENV}: config file '{}' does not exist",
                path.display()
            )));
        }
        return Ok(Some(Found {
            path,
            origin: Origin::Env,
        }));
    }
    let user_dir = var("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .or_else(|| var("HOME").map(|h| PathBuf::from(h).join(".config")));
    let candidates = std::iter::once((system.to_path_buf(), Origin::System))
        .chain(user_dir.map(|d| (d.join("gpuctl").join("config.toml"), Origin::User)));
    for (path, origin) in candidates {
        if path.exists() {
            return Ok(Some(Found { path, origin }));
        }
    }
    Ok(None)
}

/// One `key = value` of a table, with its position.
#[derive(Debug, Clone)]
pub(super) struct RawEntry {
    pub table: String,
    pub key: String,
    pub value: Spanned<toml::Value>,
}

/// Reads the file and splits it into entries, file order.
pub(super) fn read(path: &Path) -> Result<(String, Vec<RawEntry>), AppError> {
    let text = read_bounded(path).map_err(|msg| {
        AppError::usage(format!(
            "cannot read config file '{}': {msg}",
            path.display()
        ))
    })?;
    let entries = entries(&text)
        .map_err(|msg| AppError::usage(format!("config file '{}' {msg}", path.display())))?;
    Ok((text, entries))
}

type Tables = BTreeMap<Spanned<String>, BTreeMap<Spanned<String>, Spanned<toml::Value>>>;

/// Tables of keys; anything else at the top level is refused by TOML's
/// error, which names the line.
pub(super) fn entries(text: &str) -> Result<Vec<RawEntry>, String> {
    let tables: Tables = toml::from_str(text).map_err(|e| {
        let message = one_line(e.message());
        match e.span() {
            Some(span) => format!("{}: {message}", locate(text, span.start)),
            None => message,
        }
    })?;
    let mut out: Vec<RawEntry> = tables
        .into_iter()
        .flat_map(|(table, keys)| {
            let table = table.into_inner();
            keys.into_iter().map(move |(key, value)| RawEntry {
                table: table.clone(),
                key: key.into_inner(),
                value,
            })
        })
        .collect();
    out.sort_by_key(|e| e.value.span().start);
    Ok(out)
}

/// A regular file of at most [`MAX_BYTES`], as UTF-8. The type is checked
/// on the opened file (no race with a swap) before any read, so a FIFO or a
/// device never blocks or streams; the read itself is bounded too.
fn read_bounded(path: &Path) -> Result<String, String> {
    // O_NONBLOCK: opening a FIFO with no writer would otherwise block.
    #[cfg(unix)]
    let file = {
        use std::os::unix::fs::OpenOptionsExt;
        std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NONBLOCK)
            .open(path)
    };
    #[cfg(not(unix))]
    let file = std::fs::File::open(path);
    let file = file.map_err(|e| e.to_string())?;
    let meta = file.metadata().map_err(|e| e.to_string())?;
    if !meta.is_file() {
        return Err("not a regular file (a FIFO, device or directory is refused)".into());
    }
    if meta.len() > MAX_BYTES {
        return Err(format!(
            "{} bytes is larger than the {MAX_BYTES}-byte limit",
            meta.len()
        ));
    }
    let mut bytes = Vec::new();
    file.take(MAX_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| e.to_string())?;
    if bytes.len() as u64 > MAX_BYTES {
        return Err(format!("larger than the {MAX_BYTES}-byte limit"));
    }
    String::from_utf8(bytes).map_err(|_| "not UTF-8 text".to_string())
}

/// The 1-based line of a byte offset.
pub(super) fn line_of(text: &str, offset: usize) -> usize {
    let offset = offset.min(text.len());
    text.as_bytes()[..offset]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

/// `line 3: `watch = "soon"``: where a byte offset is, as errors name it.
pub(super) fn locate(text: &str, offset: usize) -> String {
    let line_no = line_of(text, offset);
    let line = text.lines().nth(line_no - 1).unwrap_or("").trim();
    // A pathological line (one huge value) is cut to keep the error short.
    let shown: String = line.chars().take(120).collect();
    let cut = if shown.len() < line.len() { "..." } else { "" };
    format!("line {line_no}: `{shown}{cut}`")
}

fn one_line(message: &str) -> String {
    message.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env_of(vars: &[(&str, &Path)]) -> impl Fn(&str) -> Option<OsString> {
        let vars: Vec<(String, OsString)> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.as_os_str().to_owned()))
            .collect();
        move |name| vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
    }

    #[test]
    fn discovery_order_is_flag_env_system_user() {
        let dir = tempfile::tempdir().unwrap();
        let system = dir.path().join("etc.toml");
        let xdg = dir.path().join("xdg");
        let home = dir.path().join("home");
        let env_file = dir.path().join("env.toml");
        let xdg_file = xdg.join("gpuctl").join("config.toml");
        let home_file = home.join(".config").join("gpuctl").join("config.toml");
        for f in [&env_file, &xdg_file, &home_file] {
            std::fs::create_dir_all(f.parent().unwrap()).unwrap();
            std::fs::write(f, "").unwrap();
        }
        let find = |explicit: Option<&Path>, vars: &[(&str, &Path)]| {
            discover_in(explicit, &env_of(vars), &system).unwrap()
        };
        let all: &[(&str, &Path)] = &[
            (CONFIG_ENV, &env_file),
            ("XDG_CONFIG_HOME", &xdg),
            ("HOME", &home),
        ];
        let flag = Path::new("/given.toml");
        let got = find(Some(flag), all).unwrap();
        assert_eq!((got.path.as_path(), got.origin), (flag, Origin::Flag));
        let got = find(None, all).unwrap();
        assert_eq!((got.path, got.origin), (env_file.clone(), Origin::Env));
        // The user dir: XDG first, else ~/.config.
        let got = find(None, &all[1..]).unwrap();
        assert_eq!((got.path, got.origin), (xdg_file, Origin::User));
        let got = find(None, &all[2..]).unwrap();
        assert_eq!((got.path, got.origin), (home_file, Origin::User));
        // The system file beats the user's once it exists.
        std::fs::write(&system, "").unwrap();
        let got = find(None, &all[1..]).unwrap();
        assert_eq!((got.path, got.origin), (system.clone(), Origin::System));
        std::fs::remove_file(&system).unwrap();
        assert_eq!(find(None, &[]), None);
        // $GPUCTL_CONFIG naming a missing file is an error, not a fallback.
        let missing = dir.path().join("missing.toml");
        let err = discover_in(None, &env_of(&[(CONFIG_ENV, &missing)]), &system).unwrap_err();
        assert!(err.message.contains("GPUCTL_CONFIG"), "{}", err.message);
    }

    #[test]
    fn refuses_what_is_not_a_small_regular_file() {
        let dir = tempfile::tempdir().unwrap();
        let err = read(dir.path()).unwrap_err();
        assert!(
            err.message.contains("not a regular file"),
            "{}",
            err.message
        );
        let err = read(Path::new("/dev/zero")).unwrap_err();
        assert!(
            err.message.contains("not a regular file"),
            "{}",
            err.message
        );
        let big = dir.path().join("big.toml");
        std::fs::write(&big, vec![b'#'; (MAX_BYTES + 1) as usize]).unwrap();
        let err = read(&big).unwrap_err();
        assert!(err.message.contains("limit"), "{}", err.message);
    }

    #[test]
    fn syntax_errors_name_the_line() {
        let err = entries("[health\n").unwrap_err();
        assert!(err.contains("line 1") && !err.contains('\n'), "{err}");
        let err = entries("[health]\nwatch = \"1s\"\nwatch = \"2s\"\n").unwrap_err();
        assert!(err.contains("line 3"), "{err}");
    }
}
