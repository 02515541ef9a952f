//! What the registry of commands holds for each one: its name, the shape of
//! its `--json` output and its part of the human table. The list itself,
//! [`super::COMMANDS`], sits beside the command modules it names, so a new
//! command adds its module and its entry in one file. `app` finds a
//! command's entry by name (even for a parse error, so the answer has the
//! right shape); the renderer core (`report::table`) never names a command.

use super::{OutputMode, COMMANDS};
use crate::report::table::{Overview, Section};

/// One command's entry.
pub struct Spec {
    pub name: &'static str,
    /// How its `--json` output is shaped.
    pub output: OutputMode,
    /// What its human table shows beside the core's parts.
    pub table: &'static dyn Section,
}

pub const fn spec(name: &'static str, output: OutputMode, table: &'static dyn Section) -> Spec {
    Spec {
        name,
        output,
        table,
    }
}

/// The entry of the command named `name`, if there is one.
pub fn find(name: &str) -> Option<&'static Spec> {
    COMMANDS.iter().find(|spec| spec.name == name)
}

/// The table section of the command named `name`; the core's overview
/// alone for a name that is no command (`gpuctl`, a parse error).
pub fn section(name: &str) -> &'static dyn Section {
    find(name).map_or(&Overview, |spec| spec.table)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique() {
        let mut names: Vec<&str> = COMMANDS.iter().map(|s| s.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), COMMANDS.len());
    }

    /// The renderer core draws what every report has and asks the
    /// command's section for the rest: no command's name, nor the section
    /// of the report that belongs to one, in its code.
    #[test]
    fn the_renderer_core_names_no_command() {
        let core = [
            ("report/table.rs", include_str!("../report/table.rs")),
            ("report/layout.rs", include_str!("../report/layout.rs")),
        ];
        let sections = [
            ".burn", ".bench", ".memtest", ".monitor", ".p2p", ".diag", ".details",
        ];
        for (file, text) in core {
            let code: Vec<&str> = text
                .lines()
                .filter(|l| !l.trim_start().starts_with("//"))
                .collect();
            let code = code.join("\n");
            for spec in COMMANDS {
                let quoted = format!("\"{}\"", spec.name);
                assert!(!code.contains(&quoted), "{file} names {quoted}");
            }
            for field in sections {
                assert!(!code.contains(field), "{file} reads {field}");
            }
        }
    }
}
