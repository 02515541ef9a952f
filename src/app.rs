//! Dispatch and output: parse arguments, run the command, print the report
//! in the chosen format, and return the exit code.
//!
//! This is the only place that writes to stdout. Errors become reports too,
//! so `--json` consumers always get one valid JSON document, and `probe`'s
//! exit code is folded into 0/1 here whatever went wrong.

use crate::cli::{Command, Format};
use crate::error::AppError;
use crate::report::progress::{self, ProgressSink};
use crate::report::{json, table, Report};
use crate::{commands, exit};
use std::ffi::OsString;
use std::io::{IsTerminal, Write};

/// Runs gpuctl with the process arguments; returns the exit code.
pub fn main() -> i32 {
    crate::trace::init();
    // One line instead of a backtrace, should a bug ever panic.
    std::panic::set_hook(Box::new(|info| {
        // A worker's panic is caught and becomes a FAIL check in the report.
        if !crate::harness::panic_is_reported() {
            eprintln!("gpuctl: internal error: {info}");
        }
    }));
    let args: Vec<OsString> = std::env::args_os().collect();
    let sniffed = Sniffed::from_args(&args);
    if crate::outfile::stdout_closed() {
        // Rust drops writes to a closed fd 1 without an error: the report
        // would vanish and the run look clean. Stop before any work.
        let _ = writeln!(
            std::io::stderr(),
            "gpuctl: error: stdout is closed (fd 1), so the report would be lost; \
             redirect it to a file, or to /dev/null to discard it"
        );
        return if sniffed.is_probe() {
            exit::for_probe(exit::ENVIRONMENT)
        } else {
            exit::ENVIRONMENT
        };
    }
    match std::panic::catch_unwind(|| run(args)) {
        Ok(code) => code,
        Err(_) => {
            let error = AppError::internal("gpuctl hit an internal error (see the line above)");
            finish(
                sniffed.command,
                &Report::from_error(sniffed.command, &error),
                sniffed.format,
                sniffed.is_probe(),
                sniffed.verbose,
                sniffed.lines,
            )
        }
    }
}

/// Parses `args` and runs the command.
pub fn run(args: Vec<OsString>) -> i32 {
    let sniffed = Sniffed::from_args(&args);
    // The config file's values for this command, as flags (`probe` has no
    // table and stays fast).
    let args = if sniffed.is_probe() {
        args
    } else {
        match crate::config::apply(&crate::cli::command(), &args) {
            Ok(args) => args,
            Err(e) => {
                return finish(
                    sniffed.command,
                    &Report::from_error(sniffed.command, &e),
                    sniffed.format,
                    false,
                    sniffed.verbose,
                    sniffed.lines,
                )
            }
        }
    };
    let cli = match crate::cli::parse_from(&args) {
        Ok(cli) => cli,
        Err(e) => {
            use clap::error::ErrorKind as K;
            if matches!(e.kind(), K::DisplayHelp | K::DisplayVersion) {
                let _ = write_stdout(&e.to_string());
                return exit::SUCCESS;
            }
            if e.kind() == K::DisplayHelpOnMissingArgumentOrSubcommand
                && sniffed.command != "gpuctl"
            {
                let _ = e.print();
                return if sniffed.is_probe() {
                    exit::CHECK_FAILED
                } else {
                    exit::USAGE
                };
            }
            let mut message = first_line(&e.to_string());
            if let Some(similar) = suggestion(&e) {
                message.push_str(&format!(" (did you mean {similar}?)"));
            }
            let commands = || -> String {
                let names: Vec<String> = crate::cli::command()
                    .get_subcommands()
                    .filter(|c| !c.is_hide_set())
                    .map(|c| c.get_name().to_string())
                    .collect();
                names.join(", ")
            };
            match e.kind() {
                // `gpuctl` alone: one line, not the whole help.
                K::DisplayHelpOnMissingArgumentOrSubcommand | K::MissingSubcommand
                    if sniffed.command == "gpuctl" =>
                {
                    message = format!(
                        "no command given; expected one of: {}; `gpuctl --help` explains them",
                        commands()
                    );
                }
                K::InvalidSubcommand => {
                    message.push_str(&format!("; expected one of: {}", commands()));
                }
                K::UnknownArgument => {
                    let help = match sniffed.command {
                        "gpuctl" => "gpuctl --help".to_string(),
                        command => format!("gpuctl {command} --help"),
                    };
                    message.push_str(&format!("; `{help}` lists the accepted options"));
                }
                _ => {}
            }
            let error = AppError::usage(message);
            return finish(
                sniffed.command,
                &Report::from_error(sniffed.command, &error),
                sniffed.format,
                sniffed.is_probe(),
                sniffed.verbose,
                sniffed.lines,
            );
        }
    };
    let format = cli.global.format();
    if let Some(name) = stops_on_signal(&cli.command) {
        // Before anything touches the driver: a hung enumeration must still
        // answer SIGINT/SIGTERM with a report and 130.
        let fallback = render_fallback(name, format, cli.global.json_lines);
        if let Err(e) = crate::signal::install(fallback) {
            crate::trace::mark(&e);
        }
    }
    // Every output file and address, before any GPU work (exit 2).
    if let Err(e) = crate::outfile::check_all(&commands::outputs(&cli.command)) {
        return finish(
            sniffed.command,
            &Report::from_error(sniffed.command, &e),
            format,
            sniffed.is_probe(),
            cli.global.verbose,
            false,
        );
    }
    if format == Format::Csv && !commands::CSV_COMMANDS.contains(&sniffed.command) {
        let error = AppError::usage(format!(
            "--format csv: only {} print CSV; `{}` takes table or json",
            commands::CSV_COMMANDS.join(", "),
            sniffed.command
        ));
        return finish(
            sniffed.command,
            &Report::from_error(sniffed.command, &error),
            Format::Table,
            sniffed.is_probe(),
            sniffed.verbose,
            false,
        );
    }
    let (name, result) = match &cli.command {
        Command::List(args) => {
            let result = commands::list::run(&cli.global);
            let columns = match (&args.query, format) {
                (Some(q), Format::Table | Format::Csv) => Some(q.clone()),
                (None, Format::Csv) => Some(crate::model::list_query::defaults()),
                _ => None,
            };
            if let (Ok(report), Some(columns)) = (&result, columns) {
                if report.error.is_none() {
                    let text =
                        crate::report::csv::list_columns(report, &columns, format == Format::Csv);
                    return finish_text(Some(text), "list", report, format, false, false, false);
                }
            }
            ("list", result)
        }
        Command::Probe(args) => {
            crate::signal::probe_answers_signals(probe_signal_answer(format));
            ("probe", commands::probe::run(&cli.global, args))
        }
        Command::Health(args) => (
            "health",
            with_bundle(&cli.global, args.report.as_deref(), || {
                commands::health::run(&cli.global, args)
            }),
        ),
        Command::Burn(args) => {
            let sink = progress_sink(&cli.global, args.duration);
            let run = |sink: &dyn ProgressSink| commands::burn::run(&cli.global, args, sink);
            (
                "burn",
                commands::events::with_events("burn", args.events.events.as_deref(), sink, run),
            )
        }
        Command::Bench(args) => ("bench", commands::bench::run(&cli.global, args)),
        Command::P2p(args) => ("p2p", commands::p2p::run(&cli.global, args)),
        Command::Memtest(args) => {
            // Bars need a length: the duration, or about one default pass.
            let total = args.duration.unwrap_or(std::time::Duration::from_secs(30));
            let sink = progress_sink(&cli.global, total);
            let run = |sink: &dyn ProgressSink| commands::memtest::run(&cli.global, args, sink);
            let events = args.events.events.as_deref();
            (
                "memtest",
                commands::events::with_events("memtest", events, sink, run),
            )
        }
        Command::Monitor(args) => {
            let mut out = MonitorStdout {
                terminal: std::io::stdout().is_terminal(),
            };
            (
                "monitor",
                commands::monitor::run(&cli.global, args, &mut out),
            )
        }
        Command::Diag(args) => (
            "diag",
            with_bundle(&cli.global, args.report.as_deref(), || {
                run_diag(&cli.global, args)
            }),
        ),
        Command::Schema => {
            let _ = write_stdout(&crate::commands::schema());
            return exit::SUCCESS;
        }
        Command::Config {
            action: crate::cli::ConfigAction::Show { path },
        } => {
            let cmd = crate::cli::command();
            match crate::config::show(&cmd, path.config.as_deref(), format == Format::Json) {
                Ok(text) => {
                    let _ = write_stdout(&text);
                    return exit::SUCCESS;
                }
                Err(e) => ("config", Err(e)),
            }
        }
        Command::Completions { shell } => {
            let script = crate::docs::completions(*shell);
            let written = std::io::stdout()
                .lock()
                .write_all(&script)
                .and_then(|()| std::io::stdout().lock().flush());
            return match classify_write(&written) {
                WriteOutcome::Written | WriteOutcome::ReaderGone => exit::SUCCESS,
                WriteOutcome::Failed(e) => {
                    let _ = writeln!(
                        std::io::stderr(),
                        "gpuctl completions: error: cannot write the script to stdout: {e}"
                    );
                    exit::ENVIRONMENT
                }
            };
        }
        Command::GenerateDocs { dir } => match crate::docs::generate(dir) {
            Ok(()) => return exit::SUCCESS,
            Err(e) => (
                "generate-docs",
                Err(AppError::environment(format!(
                    "cannot write docs under '{}': {e}",
                    dir.display()
                ))),
            ),
        },
    };
    // `monitor` ends on a signal by design (exit 0 with its summary) once
    // it runs; a stop before it could start is an interruption like any.
    let report = if crate::signal::stopped() && (name != "monitor" || result.is_err()) {
        crate::report::interrupt::settle(name, result)
    } else {
        result.unwrap_or_else(|e| Report::from_error(name, &e))
    };
    if !crate::signal::claim_stdout() {
        // The signal watchdog already printed its report.
        return exit::INTERRUPTED;
    }
    finish(
        name,
        &report,
        format,
        matches!(cli.command, Command::Probe(_)),
        cli.global.verbose,
        cli.global.json_lines,
    )
}

/// The commands that answer SIGINT/SIGTERM with a partial report and 130,
/// by name; `probe` answers signals its own way, and the rest touch no GPU.
fn stops_on_signal(command: &Command) -> Option<&'static str> {
    Some(match command {
        Command::List(_) => "list",
        Command::Health(_) => "health",
        Command::Burn(_) => "burn",
        Command::Bench(_) => "bench",
        Command::P2p(_) => "p2p",
        Command::Memtest(_) => "memtest",
        Command::Monitor(_) => "monitor",
        Command::Diag(_) => "diag",
        _ => return None,
    })
}

/// The report the signal watchdog prints if a stuck run cannot report.
fn render_fallback(name: &str, format: Format, lines: bool) -> Vec<u8> {
    let report = crate::report::interrupt::fallback(name);
    match (
        format,
        lines || commands::output_mode(name) == commands::OutputMode::Lines,
    ) {
        (Format::Json, true) => json::render_line(&Report {
            event: Some("report"),
            ..report
        }),
        (Format::Json, false) => json::render(&report),
        (Format::Table | Format::Csv, _) => format!("{}\n", report.summary),
    }
    .into_bytes()
}

/// Runs a command that takes `--report DIR`: the directory is checked
/// before the run, the bundle written after it and named on stderr.
fn with_bundle(
    global: &crate::cli::GlobalArgs,
    dir: Option<&std::path::Path>,
    run: impl FnOnce() -> Result<Report, AppError>,
) -> Result<Report, AppError> {
    if let Some(dir) = dir {
        commands::bundle::check_dir(dir)?;
    }
    let report = commands::bundle::attach(global, dir, run()?);
    if let (Some(path), false) = (&report.bundle, global.quiet) {
        let _ = writeln!(std::io::stderr(), "RMA bundle: {path}");
    }
    Ok(report)
}

/// `diag`: the plan and each phase's start on stderr (unless --quiet), bars
/// for its burn and memtest on a terminal; with --json one document, so no
/// progress lines on stdout.
fn run_diag(
    global: &crate::cli::GlobalArgs,
    args: &crate::cli::DiagArgs,
) -> Result<Report, AppError> {
    let say = |line: &str| {
        if !global.quiet {
            let _ = writeln!(std::io::stderr(), "{line}");
        }
    };
    say(&commands::diag::plan_text(args));
    let sink = |total: std::time::Duration| -> Box<dyn ProgressSink> {
        if global.format() == Format::Json {
            Box::new(progress::Silent)
        } else {
            progress_sink(global, total)
        }
    };
    let mut starting = |i: usize, n: usize, spec: &commands::diag::plan::PhaseSpec| {
        say(&format!("[{}/{n}] {}", i + 1, spec.command_line()));
    };
    commands::diag::run(
        global,
        args,
        commands::diag::Hooks {
            sink: &sink,
            starting: &mut starting,
        },
    )
}

/// What `probe` prints if a signal (a container runtime's timeout) ends it:
/// the same shape as any other unhealthy answer.
fn probe_signal_answer(format: Format) -> Vec<u8> {
    let message = "probe was stopped by a signal before it finished (the caller's timeout?)";
    match format {
        Format::Json => {
            let mut report =
                Report::from_error("probe", &AppError::environment(message.to_string()));
            report.exit_code = exit::CHECK_FAILED;
            json::render(&report).into_bytes()
        }
        Format::Table | Format::Csv => format!("unhealthy: {message}\n").into_bytes(),
    }
}

/// JSON Lines with `--json-lines`; nothing else on stdout with `--json`
/// (one document); bars on a terminal; otherwise nothing.
fn progress_sink(
    global: &crate::cli::GlobalArgs,
    total: std::time::Duration,
) -> Box<dyn ProgressSink> {
    if global.json_lines {
        Box::new(progress::JsonLines)
    } else if global.format() == Format::Json {
        Box::new(progress::Silent)
    } else if !global.quiet && std::io::stderr().is_terminal() {
        Box::new(progress::Bars::new(total))
    } else {
        Box::new(progress::Silent)
    }
}

/// The end of probe's one line on a simulated backend, so a simulated
/// `healthy` can never pass for a real one.
fn simulated_mark(report: &Report) -> &'static str {
    if report.simulated {
        " [SIMULATED GPUs]"
    } else {
        ""
    }
}

/// Prints the report and returns its exit code (0/1 only for probe);
/// `lines`: `--json-lines`, the report as one line.
fn finish(
    command: &str,
    report: &Report,
    format: Format,
    is_probe: bool,
    verbose: bool,
    lines: bool,
) -> i32 {
    finish_text(None, command, report, format, is_probe, verbose, lines)
}

/// [`finish`], printing `text` instead of rendering the report when given.
fn finish_text(
    text: Option<String>,
    command: &str,
    report: &Report,
    format: Format,
    is_probe: bool,
    verbose: bool,
    lines: bool,
) -> i32 {
    if let (Some(err), false) = (&report.error, is_probe && format != Format::Json) {
        // `gpuctl list: error: ...`, or `gpuctl: error: ...` before a command is known.
        let who = if command == "gpuctl" {
            "gpuctl".to_string()
        } else {
            format!("gpuctl {command}")
        };
        let _ = writeln!(std::io::stderr(), "{who}: error: {}", err.message);
    }
    // A side file that was not written is in the report; say so on stderr
    // too, where `--json > file` leaves the operator looking.
    for check in report
        .host_checks
        .iter()
        .filter(|c| c.name == crate::outfile::CHECK && c.status == crate::report::CheckStatus::Fail)
    {
        let _ = writeln!(
            std::io::stderr(),
            "gpuctl {command}: error: {}",
            check.message
        );
    }
    let text = match (format, &report.error) {
        _ if text.is_some() => text.unwrap_or_default(),
        (Format::Json, _) if report.event.is_some() => json::render_line(report),
        // A JSON Lines stream ends with (or answers an error as) one line,
        // the report.
        (Format::Json, _)
            if lines || commands::output_mode(command) == commands::OutputMode::Lines =>
        {
            json::render_line(&Report {
                event: Some("report"),
                ..report.clone()
            })
        }
        // One line per report in the journal, not one entry per line.
        (Format::Json, _) if crate::journal::stdout_is_journal() => json::render_line(report),
        (Format::Json, _) => json::render(report),
        // The probe's one line says why it is unhealthy, whatever happened.
        (Format::Table | Format::Csv, Some(err)) if is_probe => {
            format!("unhealthy: {}{}\n", err.message, simulated_mark(report))
        }
        (Format::Table | Format::Csv, Some(_)) => String::new(),
        (Format::Table | Format::Csv, None) if is_probe => {
            format!("{}{}\n", report.summary, simulated_mark(report))
        }
        (Format::Csv, None) if report.command == "health" => crate::report::csv::checks(report),
        (Format::Csv, None) if report.command == "bench" => crate::report::csv::bench(report),
        (Format::Table | Format::Csv, None) => {
            let options = table::Options::from_env(std::io::stdout().is_terminal(), verbose);
            let section = crate::commands::registry::section(&report.command);
            table::render(report, section, &options)
        }
    };
    let written = write_stdout(&text);
    crate::trace::mark("output written");
    let code = match classify_write(&written) {
        WriteOutcome::Written => report.exit_code,
        WriteOutcome::ReaderGone => report.exit_code,
        WriteOutcome::Failed(e) => {
            let who = if command == "gpuctl" {
                "gpuctl".to_string()
            } else {
                format!("gpuctl {command}")
            };
            let _ = writeln!(
                std::io::stderr(),
                "{who}: error: cannot write the report to stdout: {e}"
            );
            exit::ENVIRONMENT
        }
    };
    if is_probe {
        exit::for_probe(code)
    } else {
        code
    }
}

/// What became of a write to stdout.
/// `monitor`'s stream on stdout, notes on stderr.
struct MonitorStdout {
    terminal: bool,
}

impl commands::monitor::MonitorOutput for MonitorStdout {
    fn line(&mut self, line: &str) -> std::io::Result<()> {
        let mut out = std::io::stdout().lock();
        writeln!(out, "{line}")?;
        out.flush()
    }

    fn notice(&mut self, message: &str) {
        let _ = writeln!(std::io::stderr(), "gpuctl monitor: {message}");
    }

    fn header_every(&self) -> Option<usize> {
        self.terminal.then_some(20)
    }
}

#[derive(Debug, PartialEq, Eq)]
enum WriteOutcome {
    Written,
    /// A closed pipe (`| head`): the reader chose to stop, not an error.
    ReaderGone,
    /// Full disk, I/O error: the report is lost, which must not pass silently.
    Failed(String),
}

fn classify_write(result: &std::io::Result<()>) -> WriteOutcome {
    match result {
        Ok(()) => WriteOutcome::Written,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => WriteOutcome::ReaderGone,
        Err(e) => WriteOutcome::Failed(e.to_string()),
    }
}

fn write_stdout(text: &str) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())?;
    out.flush()
}

/// clap's suggestion for a mistyped command, option or value, quoted
/// (`'health'`, `'--checks' or '--skip'`); clap puts it on a later line
/// that the one-line message would otherwise cut.
fn suggestion(e: &clap::Error) -> Option<String> {
    use clap::error::{ContextKind, ContextValue};
    [
        ContextKind::SuggestedSubcommand,
        ContextKind::SuggestedArg,
        ContextKind::SuggestedValue,
    ]
    .into_iter()
    .find_map(|kind| match e.get(kind)? {
        ContextValue::String(s) => Some(format!("'{s}'")),
        ContextValue::Strings(v) => {
            // clap's own `help` is no command a typo meant.
            let named: Vec<String> = v
                .iter()
                .filter(|s| *s != "help")
                .map(|s| format!("'{s}'"))
                .collect();
            (!named.is_empty()).then(|| named.join(" or "))
        }
        _ => None,
    })
}

/// clap's first line without its `error: ` prefix, plus the accepted
/// values when clap lists them on a later line: one line in all.
fn first_line(text: &str) -> String {
    let line = text.lines().next().unwrap_or("invalid arguments");
    let mut out = line.strip_prefix("error: ").unwrap_or(line).to_string();
    // "the following required arguments were not provided:" names them on
    // the next lines.
    if out.ends_with(':') {
        let names: Vec<&str> = text
            .lines()
            .skip(1)
            .map(str::trim)
            .take_while(|l| !l.is_empty())
            .collect();
        out.push(' ');
        out.push_str(&names.join(", "));
    }
    if let Some(values) = text
        .lines()
        .map(str::trim)
        .find(|l| l.starts_with("[possible values:"))
    {
        out.push(' ');
        out.push_str(values);
    }
    out
}

/// What can be told from raw arguments before (or without) parsing them:
/// enough to answer a parse error in the right format and exit code.
struct Sniffed {
    command: &'static str,
    format: Format,
    verbose: bool,
    /// `--json-lines`.
    lines: bool,
}

impl Sniffed {
    fn from_args(args: &[OsString]) -> Self {
        let args: Vec<String> = args
            .iter()
            .skip(1)
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        let mut format = Format::Table;
        let mut command = "gpuctl";
        let verbose = args.iter().any(|a| a == "-v" || a == "--verbose");
        let lines = args.iter().any(|a| a == "--json-lines");
        let mut i = 0;
        while i < args.len() {
            let a = args[i].as_str();
            match a {
                "--json" | "--json-lines" | "--format=json" => format = Format::Json,
                "--format" if args.get(i + 1).map(String::as_str) == Some("json") => {
                    format = Format::Json
                }
                _ => {}
            }
            let takes_value = matches!(a, "-i" | "--gpu" | "--format");
            if !a.starts_with('-') && command == "gpuctl" {
                command = commands::known(a);
            }
            i += if takes_value { 2 } else { 1 };
        }
        Self {
            command,
            format,
            verbose,
            lines,
        }
    }

    fn is_probe(&self) -> bool {
        self.command == "probe"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sniff(args: &[&str]) -> Sniffed {
        let mut v = vec![OsString::from("gpuctl")];
        v.extend(args.iter().map(OsString::from));
        Sniffed::from_args(&v)
    }

    #[test]
    fn finds_the_command_past_global_options_with_values() {
        assert!(sniff(&["-i", "0", "probe", "--expect", "x"]).is_probe());
        assert!(sniff(&["--format", "json", "probe"]).is_probe());
        assert!(!sniff(&["list"]).is_probe());
    }

    #[test]
    fn a_closed_pipe_is_success_and_any_other_write_error_fails() {
        use std::io::{Error, ErrorKind};
        assert_eq!(classify_write(&Ok(())), WriteOutcome::Written);
        assert_eq!(
            classify_write(&Err(Error::from(ErrorKind::BrokenPipe))),
            WriteOutcome::ReaderGone
        );
        // ENOSPC, as `> /dev/full` gives.
        let full = Error::from_raw_os_error(28);
        assert!(
            matches!(classify_write(&Err(full)), WriteOutcome::Failed(m) if m.contains("No space"))
        );
        for kind in [
            ErrorKind::PermissionDenied,
            ErrorKind::Other,
            ErrorKind::WriteZero,
        ] {
            assert!(matches!(
                classify_write(&Err(Error::from(kind))),
                WriteOutcome::Failed(_)
            ));
        }
    }

    #[test]
    fn a_missing_argument_is_named_on_the_one_line() {
        let text = "error: the following required arguments were not provided:\n  <SHELL>\n\nUsage: gpuctl completions <SHELL>\n";
        assert_eq!(
            first_line(text),
            "the following required arguments were not provided: <SHELL>"
        );
    }

    #[test]
    fn finds_json_in_every_spelling() {
        assert_eq!(sniff(&["list", "--json"]).format, Format::Json);
        assert_eq!(sniff(&["list", "--format", "json"]).format, Format::Json);
        assert_eq!(sniff(&["list", "--format=json"]).format, Format::Json);
        assert_eq!(sniff(&["list"]).format, Format::Table);
        let lines = sniff(&["burn", "--json-lines"]);
        assert_eq!((lines.format, lines.lines), (Format::Json, true));
        assert!(!sniff(&["burn", "--json"]).lines);
    }
}
