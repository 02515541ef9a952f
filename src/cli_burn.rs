//! `burn --mode` as the CLI names it (the `--help` text and the man page
//! come from here).

use crate::device::burn::BurnMode;
use clap::ValueEnum;

/// What `burn` loads the GPU with.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub enum ModeChoice {
    /// The tensor-core GEMM alone, every product verified.
    #[default]
    Gemm,
    /// The GEMM and a verified HBM streaming copy together, on their own
    /// streams: GPU core and memory both at full load within the power
    /// limit.
    Mixed,
}

impl ModeChoice {
    /// The device layer's mode.
    pub fn mode(self) -> BurnMode {
        match self {
            ModeChoice::Gemm => BurnMode::Gemm,
            ModeChoice::Mixed => BurnMode::Mixed,
        }
    }
}
