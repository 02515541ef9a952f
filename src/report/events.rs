//! `--events PATH`: the event stream `--json-lines` prints (progress, memtest
//! patterns, then the report as the last line), written to a file while
//! stdout carries the table or the `--json` document.
//!
//! The file is a stream, written as events happen (a reader can follow it
//! with `tail -f`), not a side file renamed into place at the end. A write
//! that fails is remembered and becomes a host check (`output_file`): the
//! report on stdout stays.

use super::progress::{PatternEvent, ProgressEvent, ProgressSink};
use super::{json, Report};
use serde::Serialize;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// The open events file; clones share it.
#[derive(Clone)]
pub struct EventsFile {
    path: PathBuf,
    state: Arc<Mutex<State>>,
}

struct State {
    out: std::io::BufWriter<std::fs::File>,
    /// The first write error, if any.
    failed: Option<String>,
}

impl EventsFile {
    /// Creates (truncates) the file.
    pub fn create(path: &Path) -> std::io::Result<Self> {
        let file = std::fs::File::create(path)?;
        Ok(Self {
            path: path.to_path_buf(),
            state: Arc::new(Mutex::new(State {
                out: std::io::BufWriter::new(file),
                failed: None,
            })),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn write(&self, line: &str) {
        let Ok(mut s) = self.state.lock() else { return };
        if s.failed.is_some() {
            return;
        }
        let written = s
            .out
            .write_all(line.as_bytes())
            .and_then(|()| s.out.write_all(b"\n"))
            .and_then(|()| s.out.flush());
        if let Err(e) = written {
            s.failed = Some(e.to_string());
        }
    }

    fn event(&self, event: &impl Serialize) {
        if let Some(line) = json::event_line(event) {
            self.write(&line);
        }
    }

    /// Writes the report as the stream's last line; the first write error
    /// of the whole stream, if any.
    pub fn finish(&self, report: &Report) -> Result<(), String> {
        let line = json::render_line(&Report {
            event: Some("report"),
            ..report.clone()
        });
        self.write(line.trim_end());
        match self.state.lock() {
            Ok(s) => s.failed.clone().map_or(Ok(()), Err),
            Err(_) => Err("the events writer failed".to_string()),
        }
    }

    /// A sink that writes every event here and passes it on to `inner`
    /// (bars on stderr, or nothing).
    pub fn tee(&self, inner: Box<dyn ProgressSink>) -> Box<dyn ProgressSink> {
        Box::new(Tee {
            file: self.clone(),
            inner,
        })
    }
}

struct Tee {
    file: EventsFile,
    inner: Box<dyn ProgressSink>,
}

impl ProgressSink for Tee {
    fn start(&self, gpu: u32, label: &str) {
        self.inner.start(gpu, label);
    }

    fn update(&self, event: &ProgressEvent) {
        self.file.event(event);
        self.inner.update(event);
    }

    fn pattern(&self, event: &PatternEvent) {
        self.file.event(event);
        self.inner.pattern(event);
    }

    fn finish(&self) {
        self.inner.finish();
    }
}
