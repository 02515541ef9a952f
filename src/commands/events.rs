//! `--events PATH` (burn, memtest): the run with its event stream teed
//! into a file (`report::events`), the report as the file's last line.

use crate::error::AppError;
use crate::report::progress::ProgressSink;
use crate::report::Report;

/// Runs a command with `--events PATH`: the file is created first (a
/// failure is an environment error before any GPU work), gets every event
/// as it happens and, last, the report line; a write that failed joins the
/// report as a host check.
pub fn with_events(
    name: &str,
    path: Option<&std::path::Path>,
    sink: Box<dyn ProgressSink>,
    run: impl FnOnce(&dyn ProgressSink) -> Result<Report, AppError>,
) -> Result<Report, AppError> {
    use crate::report::events::EventsFile;
    let Some(path) = path else {
        return run(sink.as_ref());
    };
    let file = EventsFile::create(path).map_err(|e| {
        AppError::environment(format!("--events '{}': cannot create: {e}", path.display()))
    })?;
    let sink = file.tee(sink);
    let mut report = run(sink.as_ref()).unwrap_or_else(|e| Report::from_error(name, &e));
    if let Err(e) = file.finish(&report) {
        crate::outfile::side_file_failed(&mut report, "--events", file.path(), &e);
    }
    Ok(report)
}
