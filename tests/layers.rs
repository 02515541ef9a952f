//! The layout rules of ARCHITECTURE.md ("Layers"), checked on the source:
//! no module imports from a layer above its own, and no file in `src/`
//! grows past 800 lines.

use std::path::{Path, PathBuf};

/// The layers, top to bottom. A module may use its own layer and any layer
/// below it, never one above.
const LAYERS: &[&str] = &[
    "main",
    "app",
    "commands",
    "cli",
    "harness",
    "workloads",
    "checks",
    "config",
    "device",
    "report",
];

/// Each top-level module of the crate and its layer. A new module must be
/// placed here (and in ARCHITECTURE.md), or the test fails.
const MODULES: &[(&str, &str)] = &[
    ("main", "main"),
    ("app", "app"),
    ("docs", "app"),
    ("journal", "app"),
    ("commands", "commands"),
    ("outfile", "commands"),
    ("cli", "cli"),
    ("examples", "cli"),
    ("harness", "harness"),
    ("workloads", "workloads"),
    ("checks", "checks"),
    ("config", "config"),
    ("parse", "config"),
    ("device", "device"),
    ("kernels", "device"),
    ("signal", "device"),
    ("trace", "device"),
    ("panics", "device"),
    ("report", "report"),
    ("model", "report"),
    ("error", "report"),
    ("exit", "report"),
];

const MAX_LINES: usize = 800;

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|x| x == "rs") {
            out.push(path);
        }
    }
}

fn src_files() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&root, &mut files);
    assert!(files.len() > 50, "found only {} files in src/", files.len());
    files
}

/// `src/device/sim.rs` -> `device`; `src/cli.rs` -> `cli`.
fn top_module(path: &Path) -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let rel = path.strip_prefix(&root).unwrap();
    let first = rel
        .components()
        .next()
        .unwrap()
        .as_os_str()
        .to_string_lossy();
    first.trim_end_matches(".rs").to_string()
}

fn layer_of(module: &str) -> Option<usize> {
    let layer = MODULES.iter().find(|(m, _)| *m == module)?.1;
    LAYERS.iter().position(|l| *l == layer)
}

/// Every `crate::<module>` a file names outside comments, with its line.
fn crate_imports(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let code = line.split("//").next().unwrap_or("");
        let mut rest = code;
        while let Some(at) = rest.find("crate::") {
            let before = rest[..at].chars().last();
            let after = &rest[at + "crate::".len()..];
            let name: String = after
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            // `$crate::` in a macro is the crate root too.
            if !before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_') && !name.is_empty() {
                out.push((n + 1, name));
            }
            rest = after;
        }
    }
    out
}

#[test]
fn every_module_has_a_layer() {
    let mut missing = Vec::new();
    for file in src_files() {
        let module = top_module(&file);
        if module != "lib" && layer_of(&module).is_none() {
            missing.push(file.display().to_string());
        }
    }
    assert!(
        missing.is_empty(),
        "modules with no layer (add them to MODULES here and to ARCHITECTURE.md): {missing:#?}"
    );
}

#[test]
fn no_module_imports_from_a_higher_layer() {
    let mut violations = Vec::new();
    for file in src_files() {
        let module = top_module(&file);
        let Some(own) = layer_of(&module) else {
            continue;
        };
        let text = std::fs::read_to_string(&file).unwrap();
        for (line, used) in crate_imports(&text) {
            let Some(theirs) = layer_of(&used) else {
                continue;
            };
            if theirs < own {
                violations.push(format!(
                    "{}:{line}: {} ({}) uses crate::{used} ({})",
                    file.display(),
                    module,
                    LAYERS[own],
                    LAYERS[theirs]
                ));
            }
        }
    }
    assert!(
        violations.is_empty(),
        "imports from a higher layer:\n{}",
        violations.join("\n")
    );
}

#[test]
fn the_import_scanner_finds_paths_and_skips_comments() {
    let text = "use crate::device::Gpu;\n// crate::app in a comment\nlet x = crate::report::x(); $crate::cli\nfoo_crate::bar";
    let found: Vec<String> = crate_imports(text).into_iter().map(|(_, m)| m).collect();
    assert_eq!(found, ["device", "report", "cli"]);
}

#[test]
fn no_source_file_exceeds_800_lines() {
    let mut long = Vec::new();
    for file in src_files() {
        let lines = std::fs::read_to_string(&file).unwrap().lines().count();
        if lines > MAX_LINES {
            long.push(format!("{} ({lines} lines)", file.display()));
        }
    }
    assert!(
        long.is_empty(),
        "files over {MAX_LINES} lines (split them by responsibility): {long:#?}"
    );
}
