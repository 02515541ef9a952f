//! The config file for every command (issue 24): a table per command whose
//! values act as flags (a typed flag wins), one-line errors naming file,
//! line, key and value, discovery, and `gpuctl config show`.

mod common;

use common::*;
use serde_json::{json, Value};

/// A config file with `text` in a temporary directory.
struct Config {
    dir: tempfile::TempDir,
    path: String,
}

fn config(text: &str) -> Config {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("gpuctl.toml");
    std::fs::write(&path, text).unwrap();
    Config {
        path: path.to_str().unwrap().to_string(),
        dir,
    }
}

/// `two_h100.json` with no kernel gap: burn runs at the simulated 700
/// TFLOP/s.
fn small() -> Variant {
    variant(|f| {
        for g in f["gpus"].as_array_mut().unwrap() {
            g["compute"]["kernel_spacing_us"] = json!(0.0);
        }
    })
}

/// `two_h100.json` as memtest's tests run it: a little memory at 50 GB/s.
fn small_memory() -> Variant {
    variant(|f| {
        for g in f["gpus"].as_array_mut().unwrap() {
            g["compute"] = json!({
                "memory_bytes": 4_237_824,
                "l2_bytes": 65536,
                "hbm_gbps": 50.0,
                "kernel_spacing_us": 0,
            });
        }
    })
}

fn json_run(fixture: &str, args: &[&str], env: &[(&str, &str)]) -> (Run, Value) {
    let mut all = args.to_vec();
    all.push("--json");
    let r = run_env(fixture, &all, env);
    let doc: Value = serde_json::from_str(&r.stdout).expect("one JSON document");
    (r, doc)
}

#[test]
fn a_burn_table_sets_the_burn_and_a_flag_beats_it() {
    let f = small();
    let cfg = config("[burn]\nduration = \"300ms\"\nexpect_tflops = 800\n");
    let (r, doc) = json_run(f.path(), &["burn", "-q", "--config", &cfg.path], &[]);
    assert_valid(&doc);
    assert_eq!(doc["outcome"], "warn", "{}", r.stdout);
    let rep = r.report();
    for g in &rep.gpus {
        let c = g.check("throughput");
        assert_eq!(c.status, "warn");
        assert_eq!(c.threshold, Some(json!(800.0)), "the file's floor");
    }
    // The flag wins over the file.
    let (r, _) = json_run(
        f.path(),
        &[
            "burn",
            "-q",
            "--config",
            &cfg.path,
            "--expect-tflops",
            "650",
        ],
        &[],
    );
    let rep = r.report();
    assert_eq!(rep.outcome, "pass");
    for g in &rep.gpus {
        assert_eq!(g.check("throughput").threshold, Some(json!(650.0)));
    }
    // Found through $GPUCTL_CONFIG too.
    let (r, _) = json_run(f.path(), &["burn", "-q"], &[("GPUCTL_CONFIG", &cfg.path)]);
    assert_eq!(r.report().outcome, "warn");
}

#[test]
fn a_memtest_table_chooses_the_work_and_a_typed_rival_rules_a_key_out() {
    let f = small_memory();
    let cfg = config("[memtest]\npatterns = [\"address\", \"random\"]\npasses = 2\n");
    let (r, _) = json_run(f.path(), &["memtest", "-q", "--config", &cfg.path], &[]);
    let rep = r.report();
    assert_eq!(rep.exit_code, 0, "{}", r.stdout);
    let m = rep.gpu(0).memtest.as_ref().expect("memtest section");
    let names: Vec<&str> = m.patterns.iter().map(|p| p.pattern.as_str()).collect();
    assert_eq!(names, ["address", "random"]);
    assert_eq!(m.passes, 2);
    // --duration conflicts with passes: the typed flag rules the key out.
    let (r, _) = json_run(
        f.path(),
        &["memtest", "-q", "--config", &cfg.path, "-d", "1s"],
        &[],
    );
    let rep = r.report();
    assert_eq!(rep.exit_code, 0, "{}", r.stdout);
    let m = rep.gpu(0).memtest.as_ref().expect("memtest section");
    let names: Vec<&str> = m.patterns.iter().map(|p| p.pattern.as_str()).collect();
    assert_eq!(
        names,
        ["address", "random"],
        "the file's patterns still apply"
    );
    // Both in the file: refused, naming both keys and lines.
    let cfg = config("[memtest]\nduration = \"1s\"\npasses = 2\n");
    let r = run(f.path(), &["memtest", "--config", &cfg.path]);
    r.assert_code(2);
    let line = r.stderr_line();
    for part in ["memtest.passes", "memtest.duration", "line 3", "line 2"] {
        assert!(line.contains(part), "{line}");
    }
}

#[test]
fn a_bad_value_names_file_line_key_and_value_for_every_table() {
    for (command, text, key, value, expected) in [
        (
            "burn",
            "[burn]\nduration = \"forever\"\n",
            "burn.duration",
            "'forever'",
            "from 100ms",
        ),
        (
            "burn",
            "[burn]\nengine = \"turbo\"\n",
            "burn.engine",
            "'turbo'",
            "auto, cublas, builtin",
        ),
        (
            "memtest",
            "[memtest]\npatterns = [\"ones\"]\n",
            "memtest.patterns",
            "ones",
            "zeros-ones",
        ),
        (
            "memtest",
            "[memtest]\npasses = \"many\"\n",
            "memtest.passes",
            "'many'",
            "whole number",
        ),
        (
            "p2p",
            "[p2p]\nsize_mib = 0\n",
            "p2p.size_mib",
            "'0'",
            "whole number",
        ),
        (
            "monitor",
            "[monitor]\ninterval = 5\n",
            "monitor.interval",
            "'5'",
            "quoted string",
        ),
        (
            "bench",
            "[bench]\nquick = \"yes\"\n",
            "bench.quick",
            "'yes'",
            "true or false",
        ),
        (
            "diag",
            "[diag]\nburn_duration = \"1 fortnight\"\n",
            "diag.burn_duration",
            "'1 fortnight'",
            "duration",
        ),
        (
            "health",
            "[health]\necc_corrected_max = -1\n",
            "health.ecc_corrected_max",
            "'-1'",
            "from 0 to",
        ),
    ] {
        let cfg = config(text);
        let mut args = vec![command, "--config", cfg.path.as_str()];
        if command == "diag" {
            args.extend(["--level", "1"]);
        }
        let r = run("two_h100.json", &args);
        r.assert_code(2);
        let line = r.stderr_line();
        for part in [cfg.path.as_str(), "line 2", key, value, expected] {
            assert!(line.contains(part), "{text}: {part} not in {line}");
        }
        // --json: one valid document saying the same.
        let (r, doc) = json_run("two_h100.json", &args, &[]);
        r.assert_code(2);
        assert_valid(&doc);
        assert!(
            doc["error"]["message"].as_str().unwrap().contains(key),
            "{doc}"
        );
    }
}

#[test]
fn a_bad_value_in_another_table_still_stops_the_run() {
    // The file is one fleet-wide document: a mistake anywhere fails closed.
    let cfg = config("[burn]\nduration = \"2s\"\n[monitor]\nlisten = 9\n");
    let r = run("two_h100.json", &["burn", "--config", &cfg.path]);
    r.assert_code(2);
    assert!(r.stderr_line().contains("monitor.listen"), "{}", r.stderr);
}

#[test]
fn unknown_tables_and_keys_name_what_is_accepted() {
    let cfg = config("[burn]\nspeed = 3\n");
    let r = run("two_h100.json", &["burn", "--config", &cfg.path]);
    r.assert_code(2);
    let line = r.stderr_line();
    assert!(line.contains("unknown key 'burn.speed'"), "{line}");
    assert!(
        line.contains("duration, engine, mode, dtype, memory"),
        "{line}"
    );
    let cfg = config("\n[brun]\nduration = \"1s\"\n");
    let r = run("two_h100.json", &["burn", "--config", &cfg.path]);
    r.assert_code(2);
    let line = r.stderr_line();
    assert!(line.contains("unknown table [brun]"), "{line}");
    assert!(line.contains("line 3"), "{line}");
    assert!(
        line.contains("health, burn, memtest, bench, p2p, monitor, diag"),
        "{line}"
    );
}

/// The rows of `config show --json`'s table `table`, by key.
fn shown<'a>(doc: &'a Value, table: &str, key: &str) -> &'a Value {
    doc["tables"][table]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["key"] == key)
        .unwrap_or_else(|| panic!("{table}.{key} not shown: {doc}"))
}

#[test]
fn config_show_says_where_each_value_came_from() {
    let cfg = config("[burn]\n\ntolerance = \"15%\"\n[memtest]\npatterns = [\"random\"]\n");
    let (r, doc) = json_run(
        "two_h100.json",
        &["config", "show", "--config", &cfg.path],
        &[],
    );
    r.assert_code(0);
    assert_eq!(doc["config_file"]["path"], cfg.path.as_str());
    assert_eq!(doc["config_file"]["found_by"], "--config");
    let t = shown(&doc, "burn", "tolerance");
    assert_eq!(t["value"], "15%");
    assert_eq!(t["source"], format!("file:{}:3", cfg.path));
    assert_eq!(t["flag"], "--tolerance");
    let d = shown(&doc, "burn", "duration");
    assert_eq!(
        (d["value"].as_str(), d["source"].as_str()),
        (Some("30s"), Some("default"))
    );
    assert_eq!(
        shown(&doc, "memtest", "patterns")["source"],
        format!("file:{}:5", cfg.path)
    );
    assert_eq!(shown(&doc, "health", "ecc_corrected_max")["value"], "1000");
    assert_eq!(doc["search_order"][2], "/etc/gpuctl/config.toml");

    // Through $GPUCTL_CONFIG: the environment is named.
    let (_, doc) = json_run(
        "two_h100.json",
        &["config", "show"],
        &[("GPUCTL_CONFIG", &cfg.path)],
    );
    assert_eq!(doc["config_file"]["found_by"], "$GPUCTL_CONFIG");
    assert_eq!(
        shown(&doc, "burn", "tolerance")["source"],
        format!("env GPUCTL_CONFIG={}:3", cfg.path)
    );

    // The user's config dir ($XDG_CONFIG_HOME/gpuctl/config.toml).
    let xdg = cfg.dir.path().join("xdg");
    std::fs::create_dir_all(xdg.join("gpuctl")).unwrap();
    std::fs::write(
        xdg.join("gpuctl").join("config.toml"),
        "[p2p]\nrepeats = 3\n",
    )
    .unwrap();
    let (_, doc) = json_run(
        "two_h100.json",
        &["config", "show"],
        &[("XDG_CONFIG_HOME", xdg.to_str().unwrap())],
    );
    assert_eq!(doc["config_file"]["found_by"], "the user's config dir");
    assert_eq!(shown(&doc, "p2p", "repeats")["value"], "3");

    // None found: every value is its default, and the table says so.
    let r = run("two_h100.json", &["config", "show"]);
    r.assert_code(0);
    assert!(
        r.stdout.starts_with("config file: none found"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.lines().all(|l| l.chars().count() <= 80),
        "{}",
        r.stdout
    );
    let (_, doc) = json_run("two_h100.json", &["config", "show"], &[]);
    assert_eq!(doc["config_file"], Value::Null);

    // A bad file is the same one-line usage error as for any command.
    let bad = config("[burn]\nmode = \"fast\"\n");
    let r = run("two_h100.json", &["config", "show", "--config", &bad.path]);
    r.assert_code(2);
    assert!(r.stderr_line().contains("burn.mode"), "{}", r.stderr);
}

#[test]
fn the_readme_lists_every_table_and_key() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let start = readme
        .find("## Config file")
        .expect("README has a Config file section");
    let section = &readme[start..];
    let section = &section[..section[3..].find("\n## ").map_or(section.len(), |i| i + 3)];
    let (_, doc) = json_run("two_h100.json", &["config", "show"], &[]);
    for (table, rows) in doc["tables"].as_object().unwrap() {
        assert!(
            section.contains(&format!("`[{table}]`")),
            "[{table}] missing"
        );
        for row in rows.as_array().unwrap() {
            let key = row["key"].as_str().unwrap();
            let flag = row["flag"].as_str().unwrap();
            assert!(
                section.contains(&format!("`{key}` ({flag})")),
                "README's Config file section lacks `{key}` ({flag}) in [{table}]"
            );
        }
    }
}

/// `[health] compute = false` is `--no-compute`; `--compute` on the command
/// line undoes it (a switch in the file is otherwise one-way), and the two
/// flags together are refused.
#[test]
fn health_compute_false_in_the_file_is_undone_by_compute() {
    let c = config("[health]\ncompute = false\n");
    let self_test = |doc: &Value| -> Option<String> {
        doc["gpus"][0]["checks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == "compute_self_test")
            .map(|c| c["status"].as_str().unwrap().to_string())
    };
    let (_, off) = json_run("two_h100.json", &["health", "--config", &c.path], &[]);
    assert_ne!(self_test(&off).as_deref(), Some("pass"), "{off:#}");
    let (r, on) = json_run(
        "two_h100.json",
        &["health", "--config", &c.path, "--compute"],
        &[],
    );
    r.assert_code(0);
    assert_eq!(self_test(&on).as_deref(), Some("pass"), "{on:#}");
    let both = run("two_h100.json", &["health", "--compute", "--no-compute"]);
    both.assert_code(2);
}
