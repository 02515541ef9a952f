//! From the file to the command line: each entry is checked by its flag's
//! own clap value parser, then the entries of the running command whose
//! flag was not given are added to the arguments, so a flag always wins and
//! a file value is exactly as if it had been typed.

use super::file::{self, Found, Origin, RawEntry};
use super::tables::{self, KeySpec, Kind};
use crate::error::AppError;
use clap::error::{ContextKind, ContextValue};
use clap::parser::ValueSource;
use std::ffi::OsString;
use std::path::PathBuf;

/// One validated `table.key = value`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub table: &'static str,
    pub spec: &'static KeySpec,
    /// The value as the flag takes it (a list comma-joined); switches:
    /// "true" or "false".
    pub text: String,
    /// 1-based line in the file.
    pub line: usize,
}

impl Entry {
    /// The arguments this entry stands for (none for a switch left off).
    fn args(&self, long: &str) -> Vec<OsString> {
        match self.spec.kind {
            Kind::Switch if self.text == "true" => vec![format!("--{long}").into()],
            Kind::Negated if self.text == "false" => vec![format!("--{long}").into()],
            Kind::Switch | Kind::Negated => Vec::new(),
            _ => vec![format!("--{long}={}", self.text).into()],
        }
    }
}

/// A config file, read and every entry validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Loaded {
    pub found: Found,
    pub entries: Vec<Entry>,
}

impl Loaded {
    /// Where an entry came from, as `config show` says it.
    pub fn source(&self, entry: &Entry) -> String {
        let place = format!("{}:{}", self.found.path.display(), entry.line);
        match self.found.origin {
            Origin::Env => format!("env {}={place}", file::CONFIG_ENV),
            _ => format!("file:{place}"),
        }
    }
}

/// Reads the file and validates every entry of every table against `cmd`
/// (the whole CLI): unknown tables and keys, wrong TOML types and values
/// the flag's parser refuses are one-line usage errors naming the file,
/// line, key and value.
pub fn load_checked(cmd: &clap::Command, found: Found) -> Result<Loaded, AppError> {
    let (text, raw) = file::read(&found.path)?;
    let fail =
        |msg: String| AppError::usage(format!("config file '{}' {msg}", found.path.display()));
    let mut entries = Vec::new();
    for r in raw {
        entries.push(check(cmd, &text, r).map_err(fail)?);
    }
    Ok(Loaded { found, entries })
}

fn check(cmd: &clap::Command, text: &str, r: RawEntry) -> Result<Entry, String> {
    let at = file::locate(text, r.value.span().start);
    let Some(table) = tables::table(&r.table) else {
        return Err(format!(
            "{at}: unknown table [{}]; accepted tables: {}",
            r.table,
            tables::table_names()
        ));
    };
    let Some(spec) = table.find(&r.key) else {
        return Err(format!(
            "{at}: unknown key '{}.{}'; [{}] accepts: {}",
            r.table,
            r.key,
            table.name,
            table.key_names()
        ));
    };
    let shown = match r.value.get_ref() {
        toml::Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let shown: String = shown.chars().take(80).collect();
    let bad = |why: &str| {
        format!(
            "{at}: key '{}.{}': invalid value '{shown}': {why}",
            table.name, spec.key
        )
    };
    let value = flag_text(spec.kind, r.value.get_ref()).map_err(&bad)?;
    if !matches!(spec.kind, Kind::Switch | Kind::Negated) {
        let arg = find_arg(cmd, table.name, spec.arg).ok_or_else(|| bad("no such flag"))?;
        parse_as_flag(arg, &value).map_err(|why| bad(&why))?;
    }
    Ok(Entry {
        table: table.name,
        spec,
        text: value,
        line: file::line_of(text, r.value.span().start),
    })
}

/// The TOML value as the text its flag would be given.
fn flag_text(kind: Kind, value: &toml::Value) -> Result<String, &'static str> {
    use toml::Value as V;
    match (kind, value) {
        (Kind::Text, V::String(s)) => Ok(s.clone()),
        (Kind::Text, _) => Err("expected a quoted string"),
        (Kind::Number, V::String(s)) => Ok(s.clone()),
        (Kind::Number, V::Integer(i)) => Ok(i.to_string()),
        (Kind::Number, V::Float(f)) => Ok(f.to_string()),
        (Kind::Number, _) => Err("expected a number"),
        (Kind::List, V::Array(items)) => items
            .iter()
            .map(|i| i.as_str().map(str::to_string))
            .collect::<Option<Vec<_>>>()
            .map(|v| v.join(","))
            .ok_or("expected a list of quoted strings, like [\"a\", \"b\"]"),
        (Kind::List, _) => Err("expected a list of quoted strings, like [\"a\", \"b\"]"),
        (Kind::Switch | Kind::Negated, V::Boolean(b)) => Ok(b.to_string()),
        (Kind::Switch | Kind::Negated, _) => Err("expected true or false"),
    }
}

fn find_arg<'a>(cmd: &'a clap::Command, table: &str, id: &str) -> Option<&'a clap::Arg> {
    cmd.find_subcommand(table)?
        .get_arguments()
        .find(|a| a.get_id() == id)
}

/// Runs `value` through the flag's own value parser (a one-argument
/// command, so no other option's rules apply); the error is what the
/// parser says, one line.
fn parse_as_flag(arg: &clap::Arg, value: &str) -> Result<(), String> {
    // A fresh argument with the flag's parser and value shape only: the
    // original's conflicts and requirements name options absent here.
    let long = arg.get_long().unwrap_or("value").to_string();
    let mut probe_arg = clap::Arg::new("value")
        .long(long.clone())
        .value_parser(arg.get_value_parser().clone())
        .action(clap::ArgAction::Append)
        .allow_hyphen_values(arg.is_allow_hyphen_values_set());
    if let Some(delimiter) = arg.get_value_delimiter() {
        probe_arg = probe_arg.value_delimiter(delimiter);
    }
    let probe = clap::Command::new("config")
        .no_binary_name(true)
        .disable_help_flag(true)
        .arg(probe_arg);
    match probe.try_get_matches_from([format!("--{long}={value}")]) {
        Ok(_) => Ok(()),
        Err(e) => Err(reason(&e)),
    }
}

/// What a clap error says about a value, without the usage around it.
fn reason(e: &clap::Error) -> String {
    if let Some(source) = std::error::Error::source(e) {
        return source.to_string();
    }
    if let Some(ContextValue::Strings(valid)) = e.get(ContextKind::ValidValue) {
        return format!("expected one of: {}", valid.join(", "));
    }
    let text = e.to_string();
    let first = text.lines().next().unwrap_or("");
    first.trim_start_matches("error: ").to_string()
}

/// The arguments with the config file's values for the command being run
/// added where its flags were not given. Arguments that do not parse are
/// returned as they are (clap then reports them as usual).
pub fn apply(cmd: &clap::Command, args: &[OsString]) -> Result<Vec<OsString>, AppError> {
    let unchanged = || Ok(args.to_vec());
    // Built: global options are part of each subcommand (conflicts).
    let mut cmd = cmd.clone();
    cmd.build();
    let cmd = &cmd;
    let Ok(matches) = cmd.clone().try_get_matches_from(args) else {
        return unchanged();
    };
    let Some((name, sub)) = matches.subcommand() else {
        return unchanged();
    };
    if tables::table(name).is_none() {
        return unchanged();
    }
    let explicit = sub.get_one::<PathBuf>("config").cloned();
    let Some(found) = file::discover(explicit.as_deref())? else {
        return unchanged();
    };
    let loaded = load_checked(cmd, found)?;
    let Some(subcmd) = cmd.find_subcommand(name) else {
        return unchanged();
    };
    let typed = |id: &str| sub.value_source(id) == Some(ValueSource::CommandLine);
    let mut added: Vec<(&Entry, &clap::Arg)> = Vec::new();
    for entry in loaded.entries.iter().filter(|e| e.table == name) {
        let Some(arg) = subcmd
            .get_arguments()
            .find(|a| a.get_id() == entry.spec.arg)
        else {
            continue;
        };
        if typed(entry.spec.arg) {
            continue;
        }
        let rivals = conflicts(subcmd, arg);
        if rivals.iter().any(|r| typed(r.get_id().as_str())) {
            // A flag given on the command line rules this key out.
            continue;
        }
        if let Some((other, _)) = added.iter().find(|(_, a)| rivals.contains(a)) {
            return Err(AppError::usage(format!(
                "config file '{}' line {}: key '{name}.{}' cannot be used with \
                 '{name}.{}' (line {}); keep one",
                loaded.found.path.display(),
                entry.line,
                entry.spec.key,
                other.spec.key,
                other.line
            )));
        }
        added.push((entry, arg));
    }
    let extra: Vec<OsString> = added
        .iter()
        .flat_map(|(e, a)| e.args(a.get_long().unwrap_or(e.spec.key)))
        .collect();
    // Before a `--` that ends the options, else at the end.
    let at = args.iter().position(|a| a == "--").unwrap_or(args.len());
    let mut out = args[..at].to_vec();
    out.extend(extra);
    out.extend_from_slice(&args[at..]);
    Ok(out)
}

/// The arguments `arg` cannot be used with, either way round.
fn conflicts<'a>(cmd: &'a clap::Command, arg: &'a clap::Arg) -> Vec<&'a clap::Arg> {
    let mut out = cmd.get_arg_conflicts_with(arg);
    for other in cmd.get_arguments() {
        if other.is_global_set() {
            continue;
        }
        if cmd
            .get_arg_conflicts_with(other)
            .iter()
            .any(|a| a.get_id() == arg.get_id())
        {
            out.push(other);
        }
    }
    out
}
