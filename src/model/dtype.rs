//! The GEMM operand types: the one enum `burn --dtype` parses, the device
//! layer runs, bench's `gemm_*` metrics are named after and reports print.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Operand type of a GEMM (accumulation is at least fp32).
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
#[serde(rename_all = "snake_case")]
pub enum Dtype {
    Bf16,
    Fp16,
    Tf32,
    Fp32,
    Fp64,
}

impl Dtype {
    /// Every dtype, in the order bench reports its `gemm_*` metrics.
    pub const ALL: [Dtype; 5] = [
        Dtype::Bf16,
        Dtype::Fp16,
        Dtype::Tf32,
        Dtype::Fp32,
        Dtype::Fp64,
    ];

    /// The name `--dtype` takes and reports print (`bf16`).
    pub fn name(self) -> &'static str {
        match self {
            Dtype::Bf16 => "bf16",
            Dtype::Fp16 => "fp16",
            Dtype::Tf32 => "tf32",
            Dtype::Fp32 => "fp32",
            Dtype::Fp64 => "fp64",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::ValueEnum;

    #[test]
    fn one_name_per_dtype_for_cli_json_and_reports() {
        let cli: Vec<String> = Dtype::value_variants()
            .iter()
            .filter_map(|d| d.to_possible_value())
            .map(|v| v.get_name().to_string())
            .collect();
        let names: Vec<&str> = Dtype::ALL.iter().map(|d| d.name()).collect();
        assert_eq!(cli, names);
        for d in Dtype::ALL {
            assert_eq!(serde_json::to_value(d).unwrap(), d.name());
        }
    }
}
