//! The report of a run a stop signal (SIGINT, SIGTERM) ended: exit 130,
//! outcome `interrupted`, and which GPUs were never reached, whatever the
//! command and however far it got (even before the GPUs were enumerated).

use super::{CheckStatus, Outcome, Report};

/// The report of `command` after a stop signal, from what it returned:
/// its partial report, or the error the stop caused (a driver call cut
/// short while the GPUs were being enumerated).
pub fn settle(command: &str, result: Result<Report, crate::error::AppError>) -> Report {
    let mut report = match result {
        Ok(report) => report,
        Err(e) => {
            let mut report = Report::new(command);
            report.warnings.push(format!("interrupted: {}", e.message));
            report
        }
    };
    report.outcome = Outcome::Interrupted;
    report.exit_code = crate::exit::INTERRUPTED;
    report.error = None;
    if report.gpus.is_empty() {
        report.summary =
            format!("{command} interrupted before the GPUs were enumerated: no GPU was reached");
        report
            .warnings
            .push("interrupted before the GPUs were enumerated: no GPU was reached".to_string());
        return report;
    }
    let unreached: Vec<String> = report
        .gpus
        .iter()
        .filter(|g| g.status == Some(CheckStatus::Interrupted))
        .map(|g| g.index.to_string())
        .collect();
    if !unreached.is_empty() {
        report.warnings.push(format!(
            "interrupted before GPU(s) {} were fully checked",
            unreached.join(", ")
        ));
    }
    let partial = "interrupted (partial report)";
    if !report.summary.contains(partial) {
        report.summary = if report.summary.is_empty() {
            format!("{command} {partial}")
        } else {
            format!("{command} {partial}: {}", report.summary)
        };
    }
    report
}

/// What the signal watchdog prints when the run did not report in time.
pub fn fallback(command: &str) -> Report {
    let mut report = Report::new(command);
    report.outcome = Outcome::Interrupted;
    report.exit_code = crate::exit::INTERRUPTED;
    report.summary = format!(
        "{command} interrupted: the run did not stop in time (a driver call is stuck); \
         no GPU's result was reported"
    );
    report
        .warnings
        .push("interrupted while a driver call was stuck: no GPU's result was reported".into());
    report
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::AppError;

    #[test]
    fn a_stop_before_enumeration_is_an_interrupted_report_naming_it() {
        let r = settle(
            "list",
            Err(AppError::environment("NVML: interrupted".to_string())),
        );
        assert_eq!(r.outcome, Outcome::Interrupted);
        assert_eq!(r.exit_code, 130);
        assert!(r.error.is_none());
        assert!(r.summary.contains("no GPU was reached"), "{}", r.summary);
        assert!(r.warnings.iter().any(|w| w.contains("NVML: interrupted")));
    }

    #[test]
    fn a_finished_report_becomes_interrupted_and_keeps_its_summary() {
        let mut r = Report::new("list");
        r.summary = "2 GPUs".into();
        let r = settle("list", Ok(r));
        assert_eq!(r.exit_code, 130);
        assert_eq!(r.outcome, Outcome::Interrupted);
    }
}
