//! `--events PATH` (burn, memtest): the event stream into a file.

use clap::Args;
use std::path::PathBuf;

#[derive(Debug, Clone, Default, Args)]
pub struct EventsPath {
    /// Also write the event stream (the lines --json-lines prints: progress,
    /// then the report as the last line) to this file, as it happens, while
    /// stdout takes the table or the --json document. `-` is refused: use
    /// --json-lines for the stream on stdout.
    #[arg(long, value_name = "PATH")]
    pub events: Option<PathBuf>,
}
