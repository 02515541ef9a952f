//! One module per subcommand. Each turns arguments into a [`Report`]
//! (or an [`AppError`] when it cannot run) and never prints.
//!
//! [`Report`]: crate::report::Report
//! [`AppError`]: crate::error::AppError

pub mod bench;
pub mod bench_gate;
pub mod bench_verdict;
pub mod bundle;
pub mod burn;
pub mod diag;
pub mod events;
pub mod health;
pub mod list;
pub mod memtest;
pub mod memtest_plan;
pub mod monitor;
pub mod p2p;
pub mod probe;
pub mod registry;

use crate::cli::GlobalArgs;
use crate::device::inventory::{self, Enumerate, Inventory};
use crate::device::{select, Backend, Gpu};
use crate::error::AppError;
use crate::report::table::Overview;
use registry::{spec, Spec};

/// How a command's `--json` output is shaped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputMode {
    /// One JSON document (`--json-lines`: any events, then the report as
    /// one line with `"event":"report"`).
    Document,
    /// JSON Lines even with `--json`, its natural form (`monitor`'s
    /// samples); an error is answered as one line, the report.
    Lines,
}

/// Every command by name, with its output shape and its table: the one
/// list of commands (see [`registry`]).
pub const COMMANDS: &[Spec] = &[
    spec("list", OutputMode::Document, &list::render::Table),
    spec("probe", OutputMode::Document, &Overview),
    spec("health", OutputMode::Document, &health::render::Table),
    spec("burn", OutputMode::Document, &burn::render::Table),
    spec("bench", OutputMode::Document, &bench::render::Table),
    spec("p2p", OutputMode::Document, &p2p::render::Table),
    spec("memtest", OutputMode::Document, &memtest::render::Table),
    spec("monitor", OutputMode::Lines, &monitor::Table),
    spec("diag", OutputMode::Document, &Overview),
    spec("completions", OutputMode::Document, &Overview),
    spec("schema", OutputMode::Document, &Overview),
    spec("config", OutputMode::Document, &Overview),
];

/// The commands `--format csv` prints (`report::csv`; monitor its own rows).
pub const CSV_COMMANDS: &[&str] = &["list", "health", "bench", "monitor"];

/// Every file or address `command` was asked to write or serve, by option:
/// `app` validates them all ([`crate::outfile::check_all`]) before the
/// command starts, so none is found unwritable after the work.
pub fn outputs(command: &crate::cli::Command) -> Vec<crate::outfile::Output<'_>> {
    use crate::cli::Command;
    use crate::outfile::Output;
    fn file<'a>(option: &'static str, path: &'a Option<std::path::PathBuf>) -> Option<Output<'a>> {
        path.as_deref().map(|path| Output::File { option, path })
    }
    match command {
        Command::Burn(args) => file("--events", &args.events.events).into_iter().collect(),
        Command::Memtest(args) => file("--events", &args.events.events).into_iter().collect(),
        Command::Bench(args) => [
            file("--save-baseline", &args.save_baseline),
            file("--junit", &args.junit),
        ]
        .into_iter()
        .flatten()
        .collect(),
        Command::Monitor(args) => [
            file("--textfile", &args.textfile),
            args.listen.as_deref().map(|address| Output::Listen {
                option: "--listen",
                address,
            }),
        ]
        .into_iter()
        .flatten()
        .collect(),
        _ => Vec::new(),
    }
}

/// The command named `word`, as a static name; `gpuctl` when none is.
pub fn known(word: &str) -> &'static str {
    registry::find(word).map_or("gpuctl", |spec| spec.name)
}

/// The output shape of the command named `name` (a document for unknowns).
pub fn output_mode(name: &str) -> OutputMode {
    registry::find(name).map_or(OutputMode::Document, |spec| spec.output)
}

/// The backend, inventory and the GPUs the user selected: what every
/// command starts from.
pub struct Selected {
    pub backend: Backend,
    pub inventory: Inventory,
    /// Positions in `inventory.gpus`.
    pub picked: Vec<usize>,
}

impl Selected {
    pub fn open(global: &GlobalArgs, mode: Enumerate) -> Result<Self, AppError> {
        let backend = Backend::from_env_bounded(global.call_timeout)?;
        let inventory = inventory::enumerate(&backend, mode)?;
        let picked = select::resolve(global.selectors(), &inventory)?;
        Ok(Self {
            backend,
            inventory,
            picked,
        })
    }

    pub fn gpus(&self) -> impl Iterator<Item = &Gpu> {
        self.picked.iter().map(|&p| &self.inventory.gpus[p])
    }
}

/// The harness's view of a GPU: NVML index when NVML can read it, CUDA
/// ordinal when CUDA can run work on the whole GPU, else why not.
pub fn harness_target(gpu: &Gpu) -> crate::harness::Target {
    let cuda_ordinal = gpu.cuda_index().ok_or_else(|| {
        if gpu.lost.is_some() {
            "the GPU is lost (fallen off the bus): no work can run on it".to_string()
        } else if gpu.cuda.iter().any(|d| d.uuid.starts_with("MIG-")) {
            "the GPU is in MIG mode: CUDA sees only its MIG instances, not the whole GPU"
                .to_string()
        } else {
            "CUDA does not see this GPU (CUDA unavailable, or hidden by CUDA_VISIBLE_DEVICES)"
                .to_string()
        }
    });
    crate::harness::Target {
        nvml_index: (gpu.has_nvml && gpu.lost.is_none()).then_some(gpu.index),
        cuda_ordinal,
    }
}

/// Whether a work command (burn, memtest, bench; `name` is its
/// `<command>_ran` check) tested the GPU: one rule for all three. A GPU it
/// could not test is never a pass: a MIG GPU FAILs naming MIG (not a
/// fault: its remedy says how to test it), any other the harness's
/// completion check decides.
pub fn ran_check<W: crate::harness::Workload>(
    name: &str,
    steps: &str,
    gpu: &Gpu,
    run: &crate::harness::GpuRun<W>,
    interrupted: bool,
) -> crate::report::Check {
    match crate::checks::basic::mig_instances(gpu) {
        0 => crate::harness::completion_check(name, steps, run, interrupted),
        n => crate::checks::basic::mig_untestable(name, name.trim_end_matches("_ran"), n),
    }
}

/// What a work command's XID watch saw (`harness::RunResult::xids`), to
/// judge each GPU with `checks::xid::verdict`: any XID while the GPU is
/// under test (`during`: "the burn") fails it. What the watch could not
/// read goes into the report's warnings.
pub fn xids_under_test<'a>(
    seen: Option<&'a crate::device::XidSeen>,
    during: &str,
    report: &mut crate::report::Report,
) -> crate::checks::xid::Evidence<'a> {
    let evidence = crate::checks::xid::Evidence {
        watch: seen,
        watch_label: format!("NVML events during {during}"),
        kernel: None,
        kernel_label: String::new(),
        strict: true,
    };
    report.warnings.extend(evidence.warnings());
    evidence
}

/// NVML's view of who holds each GPU's memory, for the message when a
/// workload's set-up runs out of it: then the remedy names those processes
/// and never blames the GPU.
pub struct MemoryHolders {
    nvml: Option<std::sync::Arc<dyn crate::device::NvmlApi>>,
    /// (CUDA ordinal, NVML index).
    indices: Vec<(u32, u32)>,
}

impl MemoryHolders {
    pub fn new(nvml: Option<std::sync::Arc<dyn crate::device::NvmlApi>>, gpus: &[&Gpu]) -> Self {
        let indices = gpus
            .iter()
            .filter(|g| g.has_nvml)
            .flat_map(|g| g.cuda.iter().map(|d| (d.ordinal, g.index)))
            .collect();
        Self { nvml, indices }
    }

    /// The harness error for a device error on CUDA device `ordinal`.
    pub fn work_error(
        &self,
        ordinal: u32,
        e: crate::device::QueryError,
    ) -> crate::harness::WorkError {
        let crate::device::QueryError::Device(d) = &e else {
            return e.into();
        };
        let holders = match (&self.nvml, d.is_out_of_memory()) {
            (Some(api), true) => self
                .indices
                .iter()
                .find(|(o, _)| *o == ordinal)
                .map(|&(_, index)| api.compute_processes(index)),
            _ => None,
        };
        let check = crate::checks::burn::device_error_check("", "", d, holders.as_ref());
        crate::harness::WorkError {
            message: check.message.trim_start_matches(": ").to_string(),
            blame: d.blame(),
            remedy: check.remedy,
        }
    }
}

/// The GEMM engine for `--engine`: `auto` takes cuBLASLt when it loads and
/// the built-in kernel otherwise; `cublas` without the library is an
/// environment error that says what to use instead.
pub fn choose_engine(
    cuda: &dyn crate::device::CudaApi,
    choice: crate::cli::EngineChoice,
) -> Result<crate::device::burn::Engine, AppError> {
    use crate::cli::EngineChoice;
    use crate::device::burn::Engine;
    match choice {
        EngineChoice::Builtin => Ok(Engine::Builtin),
        EngineChoice::Cublas => cuda
            .cublaslt_available()
            .map(|()| Engine::Cublas)
            .map_err(|e| {
                AppError::environment(format!(
                    "--engine cublas: {e}; use --engine builtin or auto"
                ))
            }),
        EngineChoice::Auto => Ok(match cuda.cublaslt_available() {
            Ok(()) => Engine::Cublas,
            Err(_) => Engine::Builtin,
        }),
    }
}

impl Selected {
    /// The CUDA driver for a command that runs work on the GPUs: its absence
    /// is the environment error that names the command.
    pub fn cuda_for(
        &self,
        command: &str,
    ) -> Result<std::sync::Arc<dyn crate::device::CudaApi>, AppError> {
        self.backend
            .cuda()
            .cloned()
            .map_err(|e| AppError::environment(format!("{command} needs the CUDA driver: {e}")))
    }

    /// `--inject-fault GPU` must name a selected GPU.
    pub fn check_inject_target(&self, gpu: Option<u32>) -> Result<(), AppError> {
        match gpu {
            Some(i) if !self.gpus().any(|g| g.index == i) => Err(AppError::usage(format!(
                "--inject-fault {i}: no such selected GPU"
            ))),
            _ => Ok(()),
        }
    }
}

/// One seed per run, shared by the run's GPUs: fresh each run (a stuck
/// fault cannot hide behind a cached answer), the same on every GPU (GPUs of
/// one model then compute the same products, bit for bit).
pub fn run_seed() -> u64 {
    crate::device::mix::clock_nanos_or(0x5eed)
}

/// The JSON Schema gpuctl publishes (`gpuctl schema`, the committed
/// `src/report/schema.json`): the report's, with each check's value type
/// (`model::checks`; a name it does not declare is invalid, but for diag's
/// per-phase `diag_<phase>`) and every JSON Line any command prints (the report's
/// events, and `monitor`'s samples and events).
pub fn schema() -> String {
    crate::report::stream::schema_with_lines::<monitor::lines::MonitorLine>(
        &crate::model::checks::all(),
        &[diag::CHECK_PREFIX],
    )
}

#[cfg(test)]
mod tests {
    /// Each command declares its required checks once, beside its code; the
    /// fail-closed rule reads them. A typo there would require a check no
    /// command reports, and fail every GPU: each must be a catalogued check.
    #[test]
    fn every_required_check_is_a_catalogued_check() {
        let known: Vec<String> = crate::model::checks::all()
            .into_iter()
            .map(|t| t.name)
            .collect();
        let lists: [(&str, &[&str]); 10] = [
            ("probe", &super::probe::REQUIRED),
            ("probe --compute", &super::probe::REQUIRED_COMPUTE),
            ("health", &super::health::REQUIRED),
            ("burn", &super::burn::REQUIRED),
            ("burn --mode mixed", &super::burn::REQUIRED_MIXED),
            ("bench", &super::bench::REQUIRED),
            ("memtest", super::memtest::REQUIRED),
            ("p2p", &super::p2p::REQUIRED),
            ("p2p --enable-only", &super::p2p::REQUIRED_ENABLE_ONLY),
            ("monitor", &crate::checks::healthy::REQUIRED),
        ];
        for (command, required) in lists {
            assert!(!required.is_empty(), "{command} requires nothing");
            for name in required {
                assert!(
                    known.iter().any(|k| k == name),
                    "{command} requires '{name}', which is not in model::checks"
                );
            }
        }
    }
}
