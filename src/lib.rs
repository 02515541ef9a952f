//! gpuctl: NVIDIA GPU fleet diagnostics and burn-in.
//!
//! Layout (see ARCHITECTURE.md): [`cli`] defines arguments, [`app`]
//! dispatches and prints, [`commands`] hold one module per subcommand,
//! [`checks`] judge readings, [`device`] is the only code that talks to the
//! driver (real or simulated), and [`report`] is the one output model.

pub mod app;
pub mod checks;
pub mod cli;
pub mod cli_burn;
pub mod cli_diag;
pub mod cli_memtest;
pub mod commands;
pub mod config;
pub mod device;
pub mod docs;
pub mod error;
pub mod examples;
pub mod exit;
pub mod harness;
pub mod journal;
pub mod kernels;
pub mod outfile;
pub mod parse;
pub mod report;
pub mod signal;
pub mod trace;
pub mod workloads;
