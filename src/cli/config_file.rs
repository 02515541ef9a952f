//! `gpuctl config`: the config file's effective settings, and the
//! `--config PATH` option every command with a table takes.

use clap::{Args, Subcommand};
use std::path::PathBuf;

/// `--config PATH`, as every command with a config table takes it.
#[derive(Debug, Clone, Default, Args)]
pub struct ConfigPath {
    /// TOML file of defaults for this command's options, in a table named
    /// after it (`gpuctl config show` lists every key); flags win. Else
    /// $GPUCTL_CONFIG, /etc/gpuctl/config.toml, ~/.config/gpuctl/config.toml.
    #[arg(long, value_name = "PATH")]
    pub config: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum ConfigAction {
    /// Print every command's config keys: the effective value and where it
    /// came from (default, file:PATH:LINE, env GPUCTL_CONFIG=PATH:LINE),
    /// which file was found and the search order (`--json`: one document).
    Show {
        #[command(flatten)]
        path: ConfigPath,
    },
}
