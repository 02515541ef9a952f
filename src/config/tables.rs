//! Every config key, declared once: its table (the command), its key, the
//! flag it stands for and what TOML type it takes. The value itself is
//! parsed by the flag's own parser (`apply.rs`); help, `config show`, the
//! README's list (checked by a test) and the parser derive from here.

use super::{
    ECC_CORRECTED_MAX, MEMORY_USED_MAX_PCT, NVLINK_CRC_MAX, NVLINK_RECOVERY_MAX, NVLINK_REPLAY_MAX,
    PCIE_REPLAY_MAX, REMAP_UNCORRECTABLE_MAX, RETIRED_PAGES_MAX, TEMPERATURE_MARGIN_C,
};

/// What TOML value a key takes; the text handed to the flag's parser.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A quoted string (durations, versions, names, paths): a TOML float
    /// would read `12.10` as 12.1.
    Text,
    /// A number, or a quoted string the flag accepts (`"95%"`).
    Number,
    /// A list of quoted strings, given to the flag comma-separated.
    List,
    /// true or false; true gives the flag.
    Switch,
    /// true or false; false gives the flag (`compute = false` is
    /// `--no-compute`).
    Negated,
}

/// One key of one table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeySpec {
    /// The key in the table.
    pub key: &'static str,
    /// The clap argument id of its flag.
    pub arg: &'static str,
    pub kind: Kind,
}

const fn key(key: &'static str, kind: Kind) -> KeySpec {
    KeySpec {
        key,
        arg: key,
        kind,
    }
}

/// One command's table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TableSpec {
    /// The table name, which is the command's name.
    pub name: &'static str,
    pub keys: &'static [KeySpec],
}

impl TableSpec {
    pub fn find(&self, key: &str) -> Option<&'static KeySpec> {
        self.keys.iter().find(|k| k.key == key)
    }

    /// `a, b, c`: the keys, as errors list them.
    pub fn key_names(&self) -> String {
        self.keys
            .iter()
            .map(|k| k.key)
            .collect::<Vec<_>>()
            .join(", ")
    }
}

use Kind::{List, Negated, Number, Switch, Text};

const HEALTH: &[KeySpec] = &[
    key("expect_gpus", Number),
    key("expect_model", Text),
    key("min_driver", Text),
    key("min_cuda", Text),
    key("watch", Text),
    key("since", Text),
    KeySpec {
        key: "compute",
        arg: "no_compute",
        kind: Negated,
    },
    key("compute_timeout", Text),
    key("checks", List),
    key("skip", List),
    key("fail_on", Text),
    key(TEMPERATURE_MARGIN_C.key, Number),
    key(ECC_CORRECTED_MAX.key, Number),
    key(REMAP_UNCORRECTABLE_MAX.key, Number),
    key(RETIRED_PAGES_MAX.key, Number),
    key(PCIE_REPLAY_MAX.key, Number),
    key(NVLINK_CRC_MAX.key, Number),
    key(NVLINK_REPLAY_MAX.key, Number),
    key(NVLINK_RECOVERY_MAX.key, Number),
    key(MEMORY_USED_MAX_PCT.key, Number),
];

const BURN: &[KeySpec] = &[
    key("duration", Text),
    key("engine", Text),
    key("mode", Text),
    key("dtype", Text),
    key("memory", Number),
    key("tolerance", Number),
    key("expect_tflops", Number),
    key("interval", Text),
];

const MEMTEST: &[KeySpec] = &[
    key("duration", Text),
    key("passes", Number),
    key("patterns", List),
    key("memory", Number),
    key("min_coverage", Number),
    key("interval", Text),
    key("retention_pause", Text),
];

const BENCH: &[KeySpec] = &[
    key("tests", List),
    key("quick", Switch),
    key("engine", Text),
    key("thresholds", Text),
    key("no_builtin_thresholds", Switch),
    key("baseline", Text),
    key("tolerance", Number),
];

const P2P: &[KeySpec] = &[
    key("size_mib", Number),
    key("repeats", Number),
    key("warn_below", Number),
    key("min_bandwidth", Number),
    key("timeout", Text),
];

const MONITOR: &[KeySpec] = &[
    key("interval", Text),
    key("metric_names", Text),
    key("query", List),
    key("listen", Text),
    key("textfile", Text),
];

const DIAG: &[KeySpec] = &[
    key("keep_going", Switch),
    key("burn_duration", Text),
    key("memtest_passes", Number),
    key("expect_gpus", Number),
];

/// Every table, in `config show` order.
pub const TABLES: &[TableSpec] = &[
    TableSpec {
        name: "health",
        keys: HEALTH,
    },
    TableSpec {
        name: "burn",
        keys: BURN,
    },
    TableSpec {
        name: "memtest",
        keys: MEMTEST,
    },
    TableSpec {
        name: "bench",
        keys: BENCH,
    },
    TableSpec {
        name: "p2p",
        keys: P2P,
    },
    TableSpec {
        name: "monitor",
        keys: MONITOR,
    },
    TableSpec {
        name: "diag",
        keys: DIAG,
    },
];

/// The table of a command, if it has one.
pub fn table(name: &str) -> Option<&'static TableSpec> {
    TABLES.iter().find(|t| t.name == name)
}

/// `health, burn, ...`: the tables, as errors list them.
pub fn table_names() -> String {
    TABLES.iter().map(|t| t.name).collect::<Vec<_>>().join(", ")
}
