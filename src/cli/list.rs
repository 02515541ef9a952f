//! `gpuctl list`'s options.

use crate::model::list_query::{list_query_help, parse_list_query, ListQuery};
use clap::Args;

#[derive(Debug, Clone, Default, Args)]
pub struct ListArgs {
    /// Columns to show, comma-separated (a table, or CSV with --format csv);
    /// nvidia-smi's --query-gpu names are accepted where they mean the same.
    #[arg(long, value_name = "FIELD,...", long_help = list_query_help(), value_parser = parse_list_query)]
    pub query: Option<ListQuery>,
}
