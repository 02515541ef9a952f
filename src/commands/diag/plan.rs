//! What each `diag` level runs: the one table of phases, their options and
//! their expected durations (printed before the run).

use crate::cli::DiagArgs;
use std::time::Duration;

/// One phase: the command it runs (the same code as that command) with its
/// options.
#[derive(Debug, Clone, PartialEq)]
pub struct PhaseSpec {
    /// `health`, `fabric`, `burn`, `memtest`, `p2p`, `bench`.
    pub name: &'static str,
    /// The phase's options as on that command's line (empty for `fabric`,
    /// which has no command of its own).
    pub args: Vec<String>,
    /// What the phase does, for the plan line ("30s", "1 pass of 3
    /// patterns").
    pub what: String,
    /// About how long it takes on one GPU model of today (all GPUs run at
    /// once); `None` when it depends on the memory size.
    pub expected: Option<Duration>,
}

impl PhaseSpec {
    /// The equivalent command line, `gpuctl burn --duration 30s`.
    pub fn command_line(&self) -> String {
        if self.name == "fabric" {
            return "NVML GPU fabric info".to_string();
        }
        let mut words = vec!["gpuctl", self.name];
        words.extend(self.args.iter().map(String::as_str));
        words.join(" ")
    }
}

/// Memtest's fast patterns (level 2): one sweep pair each, and between them
/// stuck bits, address decoding and data-dependent faults.
pub const FAST_PATTERNS: &str = "zeros-ones,address,random";

/// Each level's burn, memtest passes and whether p2p and bench are quick.
struct Level {
    compute: bool,
    burn: Option<Duration>,
    /// The burn runs `--mode mixed` (GEMM and HBM streaming together).
    mixed_burn: bool,
    memtest_passes: Option<u32>,
    fast_patterns: bool,
    /// memtest's retention (bit-fade) pattern with this pause per wait.
    retention: Option<Duration>,
    quick: bool,
}

/// Level 4's retention pause: each of the bit-fade pattern's two waits
/// (zeros, then ones) lasts this long.
pub const LEVEL4_RETENTION: Duration = Duration::from_secs(5 * 60);

fn level(n: u32) -> Level {
    let min = |m: u64| Duration::from_secs(60 * m);
    match n {
        1 => Level {
            compute: false,
            burn: None,
            mixed_burn: false,
            memtest_passes: None,
            fast_patterns: false,
            retention: None,
            quick: true,
        },
        2 => Level {
            compute: true,
            burn: Some(Duration::from_secs(30)),
            mixed_burn: false,
            memtest_passes: Some(1),
            fast_patterns: true,
            retention: None,
            quick: true,
        },
        3 => Level {
            compute: true,
            burn: Some(min(10)),
            mixed_burn: true,
            memtest_passes: Some(1),
            fast_patterns: false,
            retention: None,
            quick: false,
        },
        _ => Level {
            compute: true,
            burn: Some(min(60)),
            mixed_burn: true,
            memtest_passes: Some(3),
            fast_patterns: false,
            retention: Some(LEVEL4_RETENTION),
            quick: false,
        },
    }
}

fn secs(s: u64) -> Option<Duration> {
    Some(Duration::from_secs(s))
}

/// The phases of `args.level` with the user's overrides, in run order.
pub fn phases(args: &DiagArgs) -> Vec<PhaseSpec> {
    let l = level(args.level);
    let mut out = Vec::new();
    let mut health = Vec::new();
    if !l.compute {
        health.push("--no-compute".to_string());
    }
    if let Some(n) = args.expect_gpus {
        health.extend(["--expect-gpus".to_string(), n.to_string()]);
    }
    out.push(PhaseSpec {
        name: "health",
        args: health,
        what: if l.compute {
            "every health check, with the compute self-test".into()
        } else {
            "every health check without compute".into()
        },
        expected: if l.compute { secs(10) } else { secs(2) },
    });
    out.push(PhaseSpec {
        name: "fabric",
        args: Vec::new(),
        what: "NVSwitch fabric registration (SKIP without a fabric)".into(),
        expected: secs(1),
    });
    if args.level == 1 {
        return out;
    }
    if let Some(d) = args.burn_duration.or(l.burn) {
        let text = humantime::format_duration(d).to_string();
        let mut bargs = vec!["--duration".to_string(), text.clone()];
        if l.mixed_burn {
            bargs.extend(["--mode".to_string(), "mixed".to_string()]);
        }
        out.push(PhaseSpec {
            name: "burn",
            args: bargs,
            what: if l.mixed_burn {
                format!("GEMM and HBM streaming burn (--mode mixed) for {text}")
            } else {
                format!("GEMM burn for {text}")
            },
            expected: Some(d + Duration::from_secs(10)),
        });
    }
    if let Some(passes) = args.memtest_passes.or(l.memtest_passes) {
        let mut margs = vec!["--passes".to_string(), passes.to_string()];
        let patterns = if l.fast_patterns {
            margs.extend(["--patterns".to_string(), FAST_PATTERNS.to_string()]);
            FAST_PATTERNS
        } else {
            "every pattern"
        };
        let mut what = format!(
            "{passes} pass{} of {patterns}",
            if passes == 1 { "" } else { "es" }
        );
        if let Some(pause) = l.retention {
            let text = humantime::format_duration(pause).to_string();
            margs.extend(["--retention-pause".to_string(), text.clone()]);
            what.push_str(&format!(
                ", each ending with retention (bit fade, two {text} waits)"
            ));
        }
        out.push(PhaseSpec {
            name: "memtest",
            args: margs,
            what,
            expected: None,
        });
    }
    let p2p_args: Vec<String> = if l.quick {
        ["--size-mib", "64", "--repeats", "3"]
            .map(String::from)
            .into()
    } else {
        Vec::new()
    };
    out.push(PhaseSpec {
        name: "p2p",
        what: if l.quick {
            "peer access and a quick matrix (64 MiB copies)".into()
        } else {
            "the full peer-to-peer matrix".into()
        },
        args: p2p_args,
        expected: if l.quick { secs(10) } else { secs(60) },
    });
    out.push(PhaseSpec {
        name: "bench",
        args: if l.quick {
            vec!["--quick".into()]
        } else {
            Vec::new()
        },
        what: if l.quick {
            "bench --quick against the per-model expectations".into()
        } else {
            "the full bench against the per-model expectations".into()
        },
        // bench's GEMM bursts, then 4.5 s (--quick: 1.5 s) of sustained
        // load for each of bf16, fp16 and tf32, with HBM, host copies and
        // launch metrics: estimates until timed on a GPU.
        expected: if l.quick { secs(15) } else { secs(45) },
    });
    out
}

/// The sum of the phases' expected durations (those that have one).
pub fn expected_total(phases: &[PhaseSpec]) -> Duration {
    phases.iter().filter_map(|p| p.expected).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(level: u32) -> DiagArgs {
        DiagArgs {
            level,
            keep_going: false,
            burn_duration: None,
            memtest_passes: None,
            expect_gpus: None,
            report: None,
            config: Default::default(),
        }
    }

    fn names(level: u32) -> Vec<&'static str> {
        phases(&args(level)).iter().map(|p| p.name).collect()
    }

    #[test]
    fn each_level_runs_its_phases() {
        assert_eq!(names(1), ["health", "fabric"]);
        for level in 2..=4 {
            assert_eq!(
                names(level),
                ["health", "fabric", "burn", "memtest", "p2p", "bench"]
            );
        }
        assert_eq!(phases(&args(1))[0].args, ["--no-compute"]);
        assert!(phases(&args(2))[0].args.is_empty());
    }

    #[test]
    fn the_plan_names_memtest_beside_the_total_only_where_it_runs() {
        let first = |level| {
            crate::commands::diag::plan_text(&args(level))
                .lines()
                .next()
                .unwrap_or_default()
                .to_string()
        };
        assert!(!first(1).contains("memtest"), "{}", first(1));
        assert!(first(2).contains(" plus memtest "), "{}", first(2));
    }

    #[test]
    fn levels_grow_longer_and_overrides_win() {
        let burn = |a: &DiagArgs| {
            phases(a)
                .into_iter()
                .find(|p| p.name == "burn")
                .map(|p| p.args)
        };
        assert_eq!(burn(&args(2)).unwrap(), ["--duration", "30s"]);
        assert_eq!(
            burn(&args(3)).unwrap(),
            ["--duration", "10m", "--mode", "mixed"]
        );
        assert_eq!(
            burn(&args(4)).unwrap(),
            ["--duration", "1h", "--mode", "mixed"]
        );
        let mut a = args(3);
        a.burn_duration = Some(Duration::from_secs(5));
        a.memtest_passes = Some(2);
        assert_eq!(burn(&a).unwrap(), ["--duration", "5s", "--mode", "mixed"]);
        let memtest = phases(&a)
            .into_iter()
            .find(|p| p.name == "memtest")
            .unwrap();
        assert_eq!(memtest.args, ["--passes", "2"]);
        let memtest4 = phases(&args(4))
            .into_iter()
            .find(|p| p.name == "memtest")
            .unwrap();
        assert_eq!(
            memtest4.args,
            ["--passes", "3", "--retention-pause", "5m"],
            "level 4 adds the retention pattern"
        );
        assert!(expected_total(&phases(&args(2))) < expected_total(&phases(&args(3))));
        assert!(expected_total(&phases(&args(3))) < expected_total(&phases(&args(4))));
    }
}
