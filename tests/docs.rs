//! The committed man pages and shell completions match what the binary
//! renders from its CLI definition (regenerate with
//! `cargo run -- generate-docs .`).

use std::path::Path;

#[test]
fn committed_man_pages_and_completions_are_current() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let fresh = tempfile::tempdir().expect("temp dir");
    gpuctl::docs::generate(fresh.path()).expect("render docs");
    for dir in ["man", "completions"] {
        let mut names: Vec<_> = std::fs::read_dir(fresh.path().join(dir))
            .expect("generated dir")
            .map(|e| e.expect("entry").file_name())
            .collect();
        names.sort();
        assert!(!names.is_empty(), "nothing generated under {dir}");
        for name in names {
            let generated =
                std::fs::read(fresh.path().join(dir).join(&name)).expect("read generated");
            let committed = std::fs::read(root.join(dir).join(&name)).unwrap_or_default();
            assert!(
                generated == committed,
                "{dir}/{} is stale: run `cargo run -- generate-docs .` and commit",
                name.to_string_lossy()
            );
        }
    }
}

#[test]
fn man_page_documents_the_exit_codes() {
    let pages = gpuctl::docs::man_pages().expect("render");
    let (_, top) = pages
        .iter()
        .find(|(n, _)| n == "gpuctl.1")
        .expect("gpuctl.1");
    let text = String::from_utf8_lossy(top);
    for needle in ["EXIT CODES", "130", "environment error", "probe"] {
        assert!(text.contains(needle), "gpuctl.1 lacks {needle:?}");
    }
}
