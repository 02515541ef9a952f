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

#[cfg(test)]
mod tests {
    use crate::config::{Kind, TABLES};

    /// Every config key stands for a real flag of its command, of the
    /// shape its kind says, and every command with a table takes --config.
    #[test]
    fn every_config_key_names_a_flag_of_its_command() {
        let cmd = crate::cli::command();
        for table in TABLES {
            let sub = cmd
                .find_subcommand(table.name)
                .unwrap_or_else(|| panic!("no command `{}`", table.name));
            assert!(
                sub.get_arguments().any(|a| a.get_id() == "config"),
                "`{}` takes no --config",
                table.name
            );
            for spec in table.keys {
                let arg = sub
                    .get_arguments()
                    .find(|a| a.get_id() == spec.arg)
                    .unwrap_or_else(|| panic!("{}.{}: no flag", table.name, spec.key));
                let switch = matches!(arg.get_action(), clap::ArgAction::SetTrue);
                assert_eq!(
                    switch,
                    matches!(spec.kind, Kind::Switch | Kind::Negated),
                    "{}.{}",
                    table.name,
                    spec.key
                );
                assert!(!arg.is_hide_set(), "{}.{} is hidden", table.name, spec.key);
                if spec.kind != Kind::Negated {
                    assert_eq!(
                        arg.get_long(),
                        Some(spec.key.replace('_', "-").as_str()),
                        "a key is its flag's name"
                    );
                }
            }
        }
    }
}
