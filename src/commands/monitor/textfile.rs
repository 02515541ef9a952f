//! `monitor --textfile`: the exposition written every interval through the
//! one side-file writer ([`crate::outfile::write`]), with failures counted
//! and told: on stderr (and as a JSON Lines event) when writing stops and
//! when it works again, and in the summary report at the end.

use crate::outfile;
use crate::report::{Check, CheckStatus, Outcome, Report};
use std::path::{Path, PathBuf};

/// The option, as errors and events name it.
const OPTION: &str = "--textfile";

/// The textfile and what became of its writes.
#[derive(Debug)]
pub struct Textfile {
    path: PathBuf,
    writes: u64,
    failures: u64,
    /// The last write's error, while writes are failing.
    failing: Option<String>,
}

/// `"event":"textfile_failing"`: `--textfile` writes started failing.
#[derive(Debug, serde::Serialize, schemars::JsonSchema)]
pub(crate) struct TextfileFailing<'a> {
    /// Always `textfile_failing`.
    #[schemars(extend("const" = "textfile_failing"))]
    event: &'static str,
    timestamp: &'a str,
    path: &'a str,
    error: &'a str,
}

/// `"event":"textfile_recovered"`: `--textfile` written again after
/// `failures` failed writes.
#[derive(Debug, serde::Serialize, schemars::JsonSchema)]
pub(crate) struct TextfileRecovered<'a> {
    /// Always `textfile_recovered`.
    #[schemars(extend("const" = "textfile_recovered"))]
    event: &'static str,
    timestamp: &'a str,
    path: &'a str,
    failures: u64,
}

/// A change worth telling the operator, once (not every interval).
#[derive(Debug, PartialEq, Eq)]
pub enum Change {
    /// Writes started failing.
    Failing(String),
    /// Writes work again after `failures` failed ones.
    Recovered { failures: u64 },
}

impl Change {
    /// The line for stderr.
    pub fn notice(&self, path: &Path) -> String {
        match self {
            Change::Failing(e) => format!(
                "cannot write {OPTION} {}: {e} (its metrics are stale; retrying every interval)",
                path.display()
            ),
            Change::Recovered { failures } => format!(
                "{OPTION} {} written again after {failures} failed writes",
                path.display()
            ),
        }
    }

    /// The JSON Lines event.
    pub fn event(&self, path: &Path, timestamp: &str) -> String {
        let path = path.display().to_string();
        let line = match self {
            Change::Failing(e) => serde_json::to_string(&TextfileFailing {
                event: "textfile_failing",
                timestamp,
                path: &path,
                error: e,
            }),
            Change::Recovered { failures } => serde_json::to_string(&TextfileRecovered {
                event: "textfile_recovered",
                timestamp,
                path: &path,
                failures: *failures,
            }),
        };
        // Serializing strings and numbers cannot fail.
        line.unwrap_or_default()
    }
}

impl Textfile {
    pub fn new(path: &Path) -> Self {
        Self {
            path: path.to_path_buf(),
            writes: 0,
            failures: 0,
            failing: None,
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Writes that failed so far.
    pub fn failures(&self) -> u64 {
        self.failures
    }

    /// Writes `text`; returns a change to tell, if this write made one.
    pub fn write(&mut self, text: &str) -> Option<Change> {
        self.writes += 1;
        match outfile::write(&self.path, text.as_bytes()) {
            Ok(()) => self.failing.take().map(|_| Change::Recovered {
                failures: self.failures,
            }),
            Err(e) => {
                self.failures += 1;
                let first = self.failing.is_none();
                self.failing = Some(e.to_string());
                first.then(|| Change::Failing(e.to_string()))
            }
        }
    }

    /// Adds the textfile's fate to the summary: a FAIL when the last write
    /// failed (node_exporter is left with stale metrics), a WARN when some
    /// writes failed but the last one worked; nothing when all worked.
    pub fn conclude(&self, report: &mut Report) {
        if let Some(e) = &self.failing {
            let why = format!("{e} ({} of {} writes failed)", self.failures, self.writes);
            outfile::side_file_failed(report, OPTION, &self.path, &why);
        } else if self.failures > 0 {
            report.host_checks.push(
                Check::new(
                    outfile::CHECK,
                    CheckStatus::Warn,
                    format!(
                        "{} of {} writes of {OPTION} '{}' failed; the last one worked",
                        self.failures,
                        self.writes,
                        self.path.display()
                    ),
                )
                .value(self.failures, Some("failed writes"))
                .remedy(crate::checks::remedy::OUTPUT_FILE),
            );
            if report.outcome == Outcome::Pass {
                report.outcome = Outcome::Warn;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_are_told_once_and_recovery_too() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub").join("gpu.prom");
        let mut file = Textfile::new(&path);
        assert!(matches!(file.write("a\n"), Some(Change::Failing(_))));
        assert_eq!(file.write("a\n"), None, "told once");
        let mut report = Report::new("monitor");
        file.conclude(&mut report);
        assert_eq!(report.host_checks[0].status, CheckStatus::Fail);
        assert!(report.host_checks[0]
            .message
            .contains("2 of 2 writes failed"));
        assert_eq!(report.exit_code, crate::exit::ENVIRONMENT);

        std::fs::create_dir(dir.path().join("sub")).unwrap();
        assert_eq!(file.write("b\n"), Some(Change::Recovered { failures: 2 }));
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "b\n");
        let mut report = Report::new("monitor");
        file.conclude(&mut report);
        assert_eq!(report.host_checks[0].status, CheckStatus::Warn);
        assert_eq!(report.outcome, Outcome::Warn);
        assert_eq!(report.exit_code, crate::exit::SUCCESS);
    }

    #[test]
    fn the_failures_so_far_are_a_counter_in_the_exposition() {
        use super::super::metrics::{render_openmetrics, to_prometheus_text, MetricNames};
        for names in [MetricNames::Gpuctl, MetricNames::Dcgm] {
            let text = to_prometheus_text(&render_openmetrics(&[], names, "h", Some(2)));
            assert!(
                text.contains("# TYPE gpuctl_textfile_write_failures_total counter\n"),
                "{text}"
            );
            let host = match names {
                MetricNames::Gpuctl => "hostname",
                MetricNames::Dcgm => "Hostname",
            };
            assert!(
                text.lines().any(|l| l.starts_with(&format!(
                    "gpuctl_textfile_write_failures_total{{{host}=\"h\"}} 2"
                ))),
                "{text}"
            );
            let none = render_openmetrics(&[], names, "h", None);
            assert!(!none.contains("textfile"), "{none}");
        }
    }

    #[test]
    fn a_clean_run_adds_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let mut file = Textfile::new(&dir.path().join("gpu.prom"));
        assert_eq!(file.write("a\n"), None);
        let mut report = Report::new("monitor");
        file.conclude(&mut report);
        assert!(report.host_checks.is_empty());
    }
}
