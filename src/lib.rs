//! gpuctl: NVIDIA GPU fleet diagnostics and burn-in.
//!
//! Layout (see ARCHITECTURE.md, "Layers"): [`app`] dispatches and prints,
//! [`commands`] hold one module per subcommand, [`cli`] defines arguments,
//! [`harness`] runs work on every GPU, [`checks`] judge readings,
//! [`config`] reads the config file, [`device`] is the only code that talks
//! to the driver (real or simulated), and [`report`] is the one output
//! model, with [`model`] the plain data every layer shares. A module uses
//! only its own layer and those below (`tests/layers.rs`).

pub mod app;
pub mod checks;
pub mod cli;
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
pub mod model;
pub mod outfile;
pub mod panics;
pub mod parse;
pub mod report;
pub mod signal;
pub mod trace;
pub mod workloads;
