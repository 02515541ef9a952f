//! Build script: records the git commit for `gpuctl --version`.
//!
//! From `git rev-parse --short HEAD` when the source is a git checkout;
//! `unknown` when it is not (a release tarball, `cargo package`), so the
//! crate builds anywhere. `GPUCTL_BUILD_COMMIT` overrides it for packagers.

use std::path::Path;
use std::process::Command;

fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git")
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .ok()?;
    let text = String::from_utf8(out.stdout).ok()?.trim().to_string();
    (out.status.success() && !text.is_empty()).then_some(text)
}

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=GPUCTL_BUILD_COMMIT");
    let commit = match std::env::var("GPUCTL_BUILD_COMMIT") {
        Ok(c) if !c.trim().is_empty() => c.trim().to_string(),
        _ => git(&["rev-parse", "--short", "HEAD"]).unwrap_or_else(|| "unknown".into()),
    };
    // Rerun when HEAD moves: the HEAD file, the branch it names, packed refs.
    if let Some(head) = git(&["rev-parse", "--git-path", "HEAD"]) {
        watch(&head);
        if let Some(branch) = git(&["symbolic-ref", "-q", "HEAD"]) {
            if let Some(path) = git(&["rev-parse", "--git-path", &branch]) {
                watch(&path);
            }
        }
        if let Some(packed) = git(&["rev-parse", "--git-path", "packed-refs"]) {
            watch(&packed);
        }
    }
    println!("cargo:rustc-env=GPUCTL_COMMIT={commit}");
}

/// Watch `path` (relative to the manifest dir) only if it exists: a missing
/// watched file would rerun this script on every build.
fn watch(path: &str) {
    let full = Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
    if full.exists() {
        println!("cargo:rerun-if-changed={}", full.display());
    }
}
