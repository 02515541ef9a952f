//! `memtest`'s patterns: the one enum the CLI parses (`--patterns`, whose
//! help and man page come from the doc comments below), the device layer
//! runs, and the report names (each name is its kebab-case spelling).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A `memtest` pattern.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    JsonSchema,
    clap::ValueEnum,
)]
#[serde(rename_all = "kebab-case")]
pub enum Pattern {
    /// All zeros, then all ones: stuck bits.
    ZerosOnes,
    /// One bit set, walking through all 64 bits: stuck and shorted bits
    /// (data lines).
    WalkingOnes,
    /// One bit clear, walking the same way.
    WalkingZeros,
    /// memtest86's moving inversions, word by word in address order, up
    /// then down: coupling between cells.
    MovingInversions,
    /// Each word holds its own address: aliasing (address lines).
    Address,
    /// Random words from a new seed each run: pattern-sensitive faults.
    Random,
    /// memtest86's modulo-20: p every 20th word, the complement rewritten
    /// around it, then p checked: disturbance.
    Modulo,
    // Bit fade: not in `Pattern::ALL` nor a `--patterns` value; it runs
    // only with `--retention-pause`.
    #[value(skip)]
    Retention,
}

impl Pattern {
    /// What `--patterns` runs when none is named, in this order.
    pub const ALL: [Pattern; 7] = [
        Pattern::ZerosOnes,
        Pattern::WalkingOnes,
        Pattern::WalkingZeros,
        Pattern::MovingInversions,
        Pattern::Address,
        Pattern::Random,
        Pattern::Modulo,
    ];

    /// Every pattern a report may name: [`Pattern::ALL`] and retention.
    pub const REPORTED: [Pattern; 8] = [
        Pattern::ZerosOnes,
        Pattern::WalkingOnes,
        Pattern::WalkingZeros,
        Pattern::MovingInversions,
        Pattern::Address,
        Pattern::Random,
        Pattern::Modulo,
        Pattern::Retention,
    ];

    /// The name `--patterns` takes and reports print (`zeros-ones`).
    pub fn name(self) -> &'static str {
        match self {
            Pattern::ZerosOnes => "zeros-ones",
            Pattern::WalkingOnes => "walking-ones",
            Pattern::WalkingZeros => "walking-zeros",
            Pattern::MovingInversions => "moving-inversions",
            Pattern::Address => "address",
            Pattern::Random => "random",
            Pattern::Modulo => "modulo",
            Pattern::Retention => "retention",
        }
    }
}

/// The JSON Schema of a report's pattern name: a string, one of
/// [`Pattern::REPORTED`]'s names.
pub fn name_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    let names: Vec<&str> = Pattern::REPORTED.iter().map(|p| p.name()).collect();
    schemars::json_schema!({ "type": "string", "enum": names })
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::ValueEnum;

    #[test]
    fn one_name_per_pattern_for_cli_json_and_reports() {
        for p in Pattern::REPORTED {
            let json = serde_json::to_value(p).unwrap();
            assert_eq!(json, p.name(), "serde spelling of {p:?}");
        }
        let cli: Vec<String> = Pattern::value_variants()
            .iter()
            .filter_map(|p| p.to_possible_value())
            .map(|v| v.get_name().to_string())
            .collect();
        let all: Vec<&str> = Pattern::ALL.iter().map(|p| p.name()).collect();
        assert_eq!(cli, all, "--patterns offers ALL, not retention");
        assert_eq!(Pattern::REPORTED[..7], Pattern::ALL);
    }
}
