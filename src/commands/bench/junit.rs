//! JUnit XML for `bench --junit`: one `<testsuite>` per GPU, one
//! `<testcase>` per check (the run itself and each metric), so Jenkins,
//! GitLab and GitHub show the results natively. The shape is checked in CI
//! against `tests/junit.xsd`.

use crate::report::{CheckStatus, Report};
use std::fmt::Write;

/// Text safe inside an XML attribute or element.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // XML 1.0 forbids most control characters, even escaped.
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// The report as a JUnit XML document.
pub fn render(report: &Report) -> String {
    let count = |status: CheckStatus| {
        report
            .gpus
            .iter()
            .flat_map(|g| g.checks.iter().flatten())
            .filter(|c| c.status == status)
            .count()
    };
    let total: usize = report
        .gpus
        .iter()
        .map(|g| g.checks.as_ref().map_or(0, Vec::len))
        .sum();
    let mut x = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        x,
        "<testsuites name=\"gpuctl {}\" tests=\"{total}\" failures=\"{}\" errors=\"0\" skipped=\"{}\">",
        esc(&report.command),
        count(CheckStatus::Fail),
        count(CheckStatus::Skip)
    );
    for g in &report.gpus {
        let checks = g.checks.as_deref().unwrap_or(&[]);
        let fails = checks
            .iter()
            .filter(|c| c.status == CheckStatus::Fail)
            .count();
        let skips = checks
            .iter()
            .filter(|c| c.status == CheckStatus::Skip)
            .count();
        let _ = writeln!(
            x,
            "  <testsuite name=\"GPU {} {}\" tests=\"{}\" failures=\"{fails}\" errors=\"0\" \
             skipped=\"{skips}\" timestamp=\"{}\" hostname=\"{}\">",
            g.index,
            esc(g.name.as_deref().unwrap_or("")),
            checks.len(),
            esc(&report.timestamp),
            esc(report.host.as_deref().unwrap_or(""))
        );
        let _ = writeln!(
            x,
            "    <properties>\n      <property name=\"uuid\" value=\"{}\"/>\n      \
             <property name=\"pci_bus_id\" value=\"{}\"/>\n    </properties>",
            esc(g.uuid.as_deref().unwrap_or("")),
            esc(g.pci_bus_id.as_deref().unwrap_or(""))
        );
        for c in checks {
            let _ = write!(
                x,
                "    <testcase classname=\"gpuctl.{}.gpu{}\" name=\"{}\"",
                esc(&report.command),
                g.index,
                esc(&c.name)
            );
            let body = match c.status {
                CheckStatus::Fail => {
                    let remedy = c.remedy.as_deref().unwrap_or("");
                    format!(
                        "      <failure message=\"{}\" type=\"{}\">{}</failure>\n",
                        esc(&c.message),
                        esc(&c.name),
                        esc(remedy)
                    )
                }
                CheckStatus::Skip => format!("      <skipped message=\"{}\"/>\n", esc(&c.message)),
                CheckStatus::Interrupted => {
                    format!(
                        "      <skipped message=\"interrupted: {}\"/>\n",
                        esc(&c.message)
                    )
                }
                CheckStatus::Pass | CheckStatus::Warn => {
                    format!("      <system-out>{}</system-out>\n", esc(&c.message))
                }
            };
            let _ = write!(x, ">\n{body}    </testcase>\n");
        }
        x.push_str("  </testsuite>\n");
    }
    x.push_str("</testsuites>\n");
    x
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_control_characters() {
        assert_eq!(esc("a<b & \"c\"\u{1}"), "a&lt;b &amp; &quot;c&quot; ");
    }

    #[test]
    fn an_empty_report_is_a_document() {
        let x = render(&Report::new("bench"));
        assert!(x.starts_with("<?xml"));
        assert!(x.contains("tests=\"0\""));
        assert!(x.trim_end().ends_with("</testsuites>"));
    }
}
