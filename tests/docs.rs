//! The committed man pages, shell completions and JSON Schema match what
//! the binary renders from its CLI definition and report types (regenerate
//! with `cargo run -- generate-docs .`), and say nothing they cannot keep.

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

#[test]
fn committed_schema_is_the_one_derived_from_the_report_types() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let committed = std::fs::read_to_string(root.join(gpuctl::docs::SCHEMA_PATH)).unwrap();
    assert!(
        committed == gpuctl::commands::schema(),
        "src/report/schema.json is stale: run `cargo run -- generate-docs .` and commit"
    );
    // `gpuctl schema` prints the same text, so users need no source tree.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_gpuctl"))
        .arg("schema")
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(String::from_utf8_lossy(&out.stdout), committed);
}

#[test]
fn identity_fields_are_nullable_in_the_schema() {
    let schema: serde_json::Value = serde_json::from_str(&gpuctl::commands::schema()).unwrap();
    let gpu = &schema["$defs"]["GpuReport"]["properties"];
    for field in ["name", "uuid", "pci_bus_id", "serial", "cuda_index", "lost"] {
        let types = gpu[field]["type"].to_string();
        assert!(types.contains("null"), "{field} is not nullable: {types}");
    }
    assert_eq!(schema["properties"]["simulated"]["type"], "boolean");
    let host = schema["properties"]["host"]["type"].to_string();
    assert!(host.contains("null"), "host is not nullable: {host}");
}

#[test]
fn completions_offer_no_hidden_command_and_complete_gpus() {
    for shell in [
        clap_complete::Shell::Bash,
        clap_complete::Shell::Zsh,
        clap_complete::Shell::Fish,
    ] {
        let text = String::from_utf8(gpuctl::docs::completions(shell)).unwrap();
        assert!(
            !text.contains("generate-docs"),
            "{shell}: hidden command offered"
        );
        assert!(
            text.contains("gpuctl list --json"),
            "{shell}: -i does not complete GPUs"
        );
    }
}

#[test]
fn man_pages_reference_only_pages_that_exist_and_not_the_source_tree() {
    let pages = gpuctl::docs::man_pages().expect("render");
    let names: Vec<&str> = pages.iter().map(|(n, _)| n.as_str()).collect();
    assert!(!names.contains(&"gpuctl-help.1"), "{names:?}");
    for (name, page) in &pages {
        let text = String::from_utf8_lossy(page);
        assert!(
            !text.contains("src/report"),
            "{name} points into the source tree"
        );
        for (at, _) in text.match_indices("gpuctl\\-") {
            let sub: String = text[at + 8..]
                .chars()
                // Digits too: `gpuctl-p2p`.
                .take_while(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-')
                .collect();
            let page = format!("gpuctl-{sub}.1");
            assert!(names.contains(&page.as_str()), "{name} refers to {page}");
        }
        assert!(text.contains(".nh"), "{name}: hyphenation splits words");
    }
}

#[test]
fn version_names_the_commit_and_the_oldest_driver() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_gpuctl"))
        .arg("--version")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success());
    assert!(
        text.starts_with(&format!("gpuctl {} (commit ", env!("CARGO_PKG_VERSION"))),
        "{text}"
    );
    assert!(
        text.contains("CUDA 12.2") && text.contains("R535"),
        "{text}"
    );
}

#[test]
fn long_help_headings_are_man_sections() {
    let pages = gpuctl::docs::man_pages().expect("render");
    let page = |name: &str| {
        String::from_utf8_lossy(&pages.iter().find(|(n, _)| n == name).unwrap().1).into_owned()
    };
    for (name, headings) in [
        (
            "gpuctl.1",
            &["EXIT CODES", "GPU SELECTION", "JSON", "ENVIRONMENT"][..],
        ),
        (
            "gpuctl-health.1",
            &[
                "CHECKS",
                "REMEDIES",
                "TABLE",
                "CONFIG FILE",
                "EXIT",
                "EXAMPLES",
            ],
        ),
        ("gpuctl-probe.1", &["CHECKS", "OUTPUT AND EXIT", "EXAMPLES"]),
        (
            "gpuctl-burn.1",
            &["LOAD", "CORRECTNESS", "SIGNALS AND EXIT"],
        ),
    ] {
        let text = page(name);
        for h in headings {
            assert!(
                text.contains(&format!(".SH \"{h}")),
                "{name}: {h} is not a section heading"
            );
        }
    }
}

/// Issue 24: completion offers health's check names for `--checks` and
/// `--skip`, from the one list (`commands::health::CHECK_NAMES`), while
/// `--help` does not list them all.
#[test]
fn completions_offer_check_names_for_checks_and_skip() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let read = |p: &str| std::fs::read_to_string(root.join(p)).unwrap();
    let bash = read("completions/gpuctl.bash");
    let zsh = read("completions/_gpuctl");
    let fish = read("completions/gpuctl.fish");
    for name in gpuctl::commands::health::CHECK_NAMES {
        assert!(bash.contains(name), "bash lacks {name}");
        assert!(zsh.contains(name), "zsh lacks {name}");
        assert!(fish.contains(name), "fish lacks {name}");
    }
    // bash: the --skip case completes the names, not files.
    let skip_case = bash
        .split("--skip)")
        .nth(1)
        .and_then(|rest| rest.split(";;").next())
        .unwrap();
    assert!(
        skip_case.contains("ecc_volatile_uncorrected"),
        "{skip_case}"
    );
    assert!(!skip_case.contains("compgen -f"), "{skip_case}");
    let help = read("man/gpuctl-health.1");
    assert!(
        !help.contains("possible values: driver"),
        "help lists every name"
    );
}

/// Issue 24: `--skip ''` and an unknown name name the option.
#[test]
fn an_unknown_check_name_names_its_option() {
    for (option, value) in [
        ("--skip", ""),
        ("--checks", "bogus"),
        ("--skip", "ecc,bogus"),
    ] {
        let out = assert_cmd::Command::cargo_bin("gpuctl")
            .unwrap()
            .env("GPUCTL_SIMULATE", root_fixture())
            .args(["health", option, value])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2));
        let err = String::from_utf8(out.stderr).unwrap();
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains(&format!("for '{option}'")), "{err}");
        assert!(err.contains("unknown check"), "{err}");
    }
}

fn root_fixture() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/two_h100.json")
}

/// Issue 24: `-i <TAB>` answers within about a second even with a hung GPU
/// (it took 5 s): bash's GPU lookup, run as the script runs it.
#[test]
fn gpu_completion_is_bounded_with_a_hung_gpu() {
    let bash = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("completions/gpuctl.bash"),
    )
    .unwrap();
    for shell in [
        "completions/gpuctl.bash",
        "completions/_gpuctl",
        "completions/gpuctl.fish",
    ] {
        let text =
            std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(shell)).unwrap();
        assert!(
            !text.contains("$(gpuctl list") && !text.contains("(gpuctl list"),
            "{shell}: an unbounded lookup"
        );
    }
    let line = bash
        .lines()
        .find(|l| l.contains("timeout -s KILL 1 gpuctl list"))
        .expect("bash's -i lookup");
    let lookup = line
        .split("$(")
        .nth(2)
        .and_then(|rest| rest.rsplit_once(")\" --"))
        .map(|(cmd, _)| cmd.to_string())
        .expect("the lookup command");
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_gpuctl")).parent().unwrap();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    for fixture in ["nvml_hang.json", "two_h100.json"] {
        let started = std::time::Instant::now();
        let out = std::process::Command::new("bash")
            .args(["-c", &lookup])
            .env("PATH", &path)
            .env(
                "GPUCTL_SIMULATE",
                Path::new(env!("CARGO_MANIFEST_DIR"))
                    .join("tests/fixtures")
                    .join(fixture),
            )
            .output()
            .unwrap();
        let took = started.elapsed();
        assert!(
            took < std::time::Duration::from_millis(1500),
            "{fixture}: {took:?}"
        );
        let found = String::from_utf8_lossy(&out.stdout).to_string();
        if fixture == "two_h100.json" {
            assert!(found.contains("00000000:18:00.0"), "{found}");
        }
    }
}

/// Issue 24: a man page heading is its capitals alone (`CONFIG FILE`), so
/// it never wraps; the words after it open the section.
#[test]
fn man_page_headings_never_wrap() {
    for (name, page) in gpuctl::docs::man_pages().expect("render") {
        let text = String::from_utf8_lossy(&page).to_string();
        for line in text.lines().filter(|l| l.starts_with(".SH ")) {
            let heading = line.trim_start_matches(".SH ").trim_matches('"');
            assert!(
                heading.len() <= 30 && !heading.chars().any(|c| c.is_ascii_lowercase()),
                "{name}: heading '{heading}'"
            );
        }
    }
}

/// Issue 24: every man page has EXAMPLES, and every example runs on the
/// simulated backend as written, durations shortened and any pipe or
/// redirection left to the shell: a usage error (2) or an environment
/// error (3) fails.
#[test]
fn every_man_page_has_examples_that_run() {
    for (name, page) in gpuctl::docs::man_pages().expect("render") {
        let text = String::from_utf8_lossy(&page).to_string();
        assert!(text.contains(".SH \"EXAMPLES\""), "{name} has no EXAMPLES");
    }
    // memtest runs its kernels' references on the simulated GPUs' memory:
    // a few MiB each (2 MiB tested), quick in debug builds.
    let dir = tempfile::tempdir().unwrap();
    let mut small: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(root_fixture()).unwrap()).unwrap();
    for g in small["gpus"].as_array_mut().into_iter().flatten() {
        g["compute"] = serde_json::json!({ "memory_bytes": 4_237_824u64 });
    }
    let small_fixture = dir.path().join("small.json");
    std::fs::write(&small_fixture, small.to_string()).unwrap();
    for (command, examples) in gpuctl::examples::EXAMPLES {
        assert!(!examples.is_empty(), "{command}");
        for (example, _) in *examples {
            let line = example.split(['|', '>']).next().unwrap().trim();
            let mut args: Vec<String> = line.split_whitespace().skip(1).map(String::from).collect();
            assert!(line.starts_with("gpuctl "), "{example}");
            for i in 1..args.len() {
                if matches!(
                    args[i - 1].as_str(),
                    "-d" | "--duration" | "--interval" | "--burn-duration"
                ) {
                    args[i] = "300ms".into();
                }
                // A config file named in an example: an empty one here.
                if args[i - 1] == "--config" {
                    let path = dir.path().join("example.toml");
                    std::fs::write(&path, "").unwrap();
                    args[i] = path.display().to_string();
                }
            }
            let started = std::time::Instant::now();
            let fixture = if args.first().map(String::as_str) == Some("memtest") {
                small_fixture.clone()
            } else {
                root_fixture()
            };
            let out = assert_cmd::Command::cargo_bin("gpuctl")
                .unwrap()
                .env("GPUCTL_SIMULATE", fixture)
                .args(&args)
                .timeout(std::time::Duration::from_secs(60))
                .output()
                .unwrap();
            let code = out.status.code();
            assert!(
                matches!(code, Some(0 | 1)),
                "{example}: exit {code:?} after {:?}\n{}",
                started.elapsed(),
                String::from_utf8_lossy(&out.stderr)
            );
            assert!(!out.stdout.is_empty(), "{example}: no output");
            if args.iter().any(|a| a == "--json") {
                let _: serde_json::Value = serde_json::from_slice(&out.stdout)
                    .unwrap_or_else(|e| panic!("{example}: not one JSON document: {e}"));
            }
        }
    }
}
