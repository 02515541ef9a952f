//! Every command in one list: its name, the shape of its `--json` output
//! and its part of the human table. `app` finds a command's entry here by
//! name (even for a parse error, so the answer has the right shape), and
//! the renderer core (`report::table`) never names a command: a new
//! command adds its line here.

use super::OutputMode;
use crate::report::table::{Overview, Section};

/// One command's entry.
pub struct Spec {
    pub name: &'static str,
    /// How its `--json` output is shaped.
    pub output: OutputMode,
    /// What its human table shows beside the core's parts.
    pub table: &'static dyn Section,
}

const fn spec(name: &'static str, output: OutputMode, table: &'static dyn Section) -> Spec {
    Spec {
        name,
        output,
        table,
    }
}

/// Every command, by name.
pub const COMMANDS: &[Spec] = &[
    spec("list", OutputMode::Document, &super::list::render::Table),
    spec("probe", OutputMode::Document, &Overview),
    spec(
        "health",
        OutputMode::Document,
        &super::health::render::Table,
    ),
    spec("burn", OutputMode::Document, &super::burn::render::Table),
    spec("bench", OutputMode::Document, &super::bench::render::Table),
    spec("p2p", OutputMode::Document, &super::p2p::render::Table),
    spec(
        "memtest",
        OutputMode::Document,
        &super::memtest::render::Table,
    ),
    spec("monitor", OutputMode::Lines, &super::monitor::Table),
    spec("diag", OutputMode::Document, &Overview),
    spec("completions", OutputMode::Document, &Overview),
    spec("schema", OutputMode::Document, &Overview),
];

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
}
