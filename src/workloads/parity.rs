//! The kernel parity check: every shipped PTX kernel and its Rust
//! reference (`device::compute::sim::kernels`) run on the same inputs, and
//! every buffer they leave is compared.
//!
//! A case uploads its buffers to both contexts ([`Context::upload`]),
//! launches the same kernels with the same arguments ([`Context::launch`];
//! the only arguments that differ are functions of a buffer's address, for
//! the memtest patterns whose values depend on the address: each side
//! passes the parameters that make its values a function of the offset, on
//! a buffer aligned to its own size), synchronises, downloads every buffer
//! and compares it word by word: exactly, except
//! - the tensor-core GEMMs (bf16, fp16, tf32), whose `mma.sync` adds in an
//!   unspecified order and precision: f32 results within
//!   [`tensor_core_tolerance`] (the reference sums exact products);
//! - a memtest error log: count and recorded exactly, the records as a set
//!   (which thread's atomic comes first is not the kernel's to promise),
//!   addresses as offsets into the tested buffer;
//! - the ping-pong's elapsed time (a clock reading).
//!
//! It fails closed: a case that could not run on either side, compared
//! nothing, or whose reference left every output as it was is a failure,
//! and an entry point without a case fails as such.

mod cases;

use crate::device::compute::sim::kernels::ENTRY_POINTS;
use crate::device::compute::{download_u64, upload_u64, Arg, Context, DevPtr, Dim, Stream};
use crate::device::memtest::MAX_RECORDS;
use crate::device::types::DeviceError;
use serde::Serialize;

pub use cases::tensor_core_tolerance;

/// One entry point run on both contexts.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ParityCase {
    /// The entry point under test.
    pub kernel: String,
    /// What it ran on (sizes, seeds, injected faults, launch shape).
    pub inputs: String,
    /// How the buffers were compared.
    pub compared: String,
    /// Words compared.
    pub words: u64,
    /// Whether every buffer matched as stated.
    pub matched: bool,
    /// The first word that did not.
    pub difference: Option<Difference>,
    /// Why the case could not be judged (a context error, nothing run).
    pub error: Option<String>,
}

/// The first word where the GPU and the reference differ; in JSON the
/// words are hex strings (bit patterns, and beyond a double's integers).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Difference {
    pub buffer: String,
    /// Index of the 64-bit word in the buffer.
    pub word: u64,
    #[serde(serialize_with = "hex")]
    pub gpu: u64,
    #[serde(serialize_with = "hex")]
    pub reference: u64,
}

fn hex<S: serde::Serializer>(v: &u64, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&format!("{v:#018x}"))
}

/// How a buffer's words are compared.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Compare {
    Exact,
    /// The first `n` words exactly; the rest is a clock reading.
    ExactFirst(usize),
    /// Pairs of f32 within an absolute tolerance (tensor-core GEMMs).
    F32Within(f64),
    /// A memtest `MtLog` of the buffer with index `of`.
    MtLog {
        of: usize,
    },
}

impl Compare {
    fn describe(self) -> String {
        match self {
            Compare::Exact => "exact".into(),
            Compare::ExactFirst(n) => format!("exact but for the clock after word {n}"),
            Compare::F32Within(t) => {
                format!("f32 within {t} (tensor-core accumulation order)")
            }
            Compare::MtLog { .. } => "error log: counts exact, records as a set".into(),
        }
    }
}

/// A device buffer of a case: its initial words and how it is compared.
struct Buf {
    name: &'static str,
    init: Vec<u64>,
    /// Alignment of its address (a power of two).
    align: u64,
    compare: Compare,
    /// Whether the kernels write it (a case whose reference changes none
    /// of its outputs has compared nothing).
    output: bool,
}

/// A kernel argument: a value, a buffer's address (plus a byte offset),
/// or a value computed from a buffer's address.
enum A {
    Val(Arg),
    Ptr(usize, u64),
    Based(usize, Box<dyn Fn(u64) -> Arg>),
}

struct Step {
    kernel: &'static str,
    dim: Dim,
    args: Vec<A>,
    /// 0: the default stream; others: streams made for the case.
    stream: usize,
}

/// One case: buffers, then launches in order.
struct Spec {
    kernel: &'static str,
    inputs: String,
    bufs: Vec<Buf>,
    steps: Vec<Step>,
}

/// What a context left: each buffer's address and words.
struct Outcome {
    bases: Vec<DevPtr>,
    words: Vec<Vec<u64>>,
}

fn oom(bytes: u64) -> DeviceError {
    DeviceError::OutOfMemory {
        step: "parity buffer".into(),
        requested_bytes: bytes,
        free_bytes: 0,
    }
}

/// Runs `spec` on `ctx`; its buffers are freed whatever happens.
fn execute(ctx: &dyn Context, spec: &Spec) -> Result<Outcome, DeviceError> {
    let mut raw = Vec::new();
    let result = execute_in(ctx, spec, &mut raw);
    for p in raw {
        let _ = ctx.free(p);
    }
    result
}

fn execute_in(
    ctx: &dyn Context,
    spec: &Spec,
    raw: &mut Vec<DevPtr>,
) -> Result<Outcome, DeviceError> {
    let mut bases = Vec::with_capacity(spec.bufs.len());
    for b in &spec.bufs {
        let bytes = 8 * b.init.len() as u64;
        let p = ctx
            .alloc(bytes + b.align)?
            .ok_or_else(|| oom(bytes + b.align))?;
        raw.push(p);
        let base = p.next_multiple_of(b.align);
        upload_u64(ctx, base, &b.init)?;
        bases.push(base);
    }
    let mut streams = vec![Stream::DEFAULT];
    let wanted = spec.steps.iter().map(|s| s.stream).max().unwrap_or(0);
    for _ in 0..wanted {
        streams.push(ctx.stream()?);
    }
    for step in &spec.steps {
        let args: Vec<Arg> = step
            .args
            .iter()
            .map(|a| match a {
                A::Val(v) => *v,
                A::Ptr(b, off) => Arg::U64(bases[*b] + off),
                A::Based(b, f) => f(bases[*b]),
            })
            .collect();
        ctx.launch(streams[step.stream], step.kernel, step.dim, &args)?;
    }
    for s in &streams {
        ctx.sync(*s)?;
    }
    let words = spec
        .bufs
        .iter()
        .zip(&bases)
        .map(|(b, &p)| download_u64(ctx, p, b.init.len()))
        .collect::<Result<_, _>>()?;
    Ok(Outcome { bases, words })
}

/// A memtest log's (count, recorded, records with offsets), sorted.
fn log_view(words: &[u64], base: u64) -> Vec<u64> {
    let kept = words.get(1).copied().unwrap_or(0).min(MAX_RECORDS as u64) as usize;
    let mut recs: Vec<[u64; 3]> = (0..kept)
        .filter_map(|i| words.get(2 + 3 * i..5 + 3 * i))
        .map(|r| [r[0].wrapping_sub(base), r[1], r[2]])
        .collect();
    recs.sort_unstable();
    let mut v: Vec<u64> = words.iter().take(2).copied().collect();
    v.extend(recs.into_iter().flatten());
    v
}

fn f32_pair_close(g: u64, r: u64, tol: f64) -> bool {
    g == r
        || [0, 32].iter().all(|&s| {
            let (x, y) = (
                f32::from_bits((g >> s) as u32),
                f32::from_bits((r >> s) as u32),
            );
            x.to_bits() == y.to_bits() || f64::from((x - y).abs()) <= tol
        })
}

/// Compares both sides' buffers: (words compared, first difference).
fn compare(spec: &Spec, gpu: &Outcome, reference: &Outcome) -> (u64, Option<Difference>) {
    let mut words = 0u64;
    for (i, b) in spec.bufs.iter().enumerate() {
        let (g, r) = (&gpu.words[i], &reference.words[i]);
        let (g, r): (Vec<u64>, Vec<u64>) = match b.compare {
            Compare::Exact | Compare::F32Within(_) => (g.clone(), r.clone()),
            Compare::ExactFirst(n) => (
                g.iter().take(n).copied().collect(),
                r.iter().take(n).copied().collect(),
            ),
            Compare::MtLog { of } => (log_view(g, gpu.bases[of]), log_view(r, reference.bases[of])),
        };
        let close = |x: u64, y: u64| match b.compare {
            Compare::F32Within(t) => f32_pair_close(x, y, t),
            _ => x == y,
        };
        words += g.len().max(r.len()) as u64;
        let first = (0..g.len().max(r.len())).find(|&w| match (g.get(w), r.get(w)) {
            (Some(&x), Some(&y)) => !close(x, y),
            _ => true,
        });
        if let Some(w) = first {
            return (
                words,
                Some(Difference {
                    buffer: b.name.to_string(),
                    word: w as u64,
                    gpu: g.get(w).copied().unwrap_or(0),
                    reference: r.get(w).copied().unwrap_or(0),
                }),
            );
        }
    }
    (words, None)
}

fn run_case(gpu: &dyn Context, reference: &dyn Context, spec: &Spec) -> ParityCase {
    let mut modes: Vec<String> = Vec::new();
    for b in &spec.bufs {
        let d = b.compare.describe();
        if !modes.contains(&d) {
            modes.push(d);
        }
    }
    let mut case = ParityCase {
        kernel: spec.kernel.to_string(),
        inputs: spec.inputs.clone(),
        compared: modes.join("; "),
        words: 0,
        matched: false,
        difference: None,
        error: None,
    };
    let (g, r) = match (execute(gpu, spec), execute(reference, spec)) {
        (Ok(g), Ok(r)) => (g, r),
        (g, r) => {
            case.error = Some(
                [("GPU", g.err()), ("reference", r.err())]
                    .into_iter()
                    .filter_map(|(who, e)| e.map(|e| format!("{who}: {e}")))
                    .collect::<Vec<_>>()
                    .join("; "),
            );
            return case;
        }
    };
    let outputs: Vec<usize> = (0..spec.bufs.len())
        .filter(|&i| spec.bufs[i].output)
        .collect();
    if !outputs.is_empty() && outputs.iter().all(|&i| r.words[i] == spec.bufs[i].init) {
        case.error = Some("the reference left every output as it was: nothing was compared".into());
        return case;
    }
    let (words, difference) = compare(spec, &g, &r);
    case.words = words;
    case.matched = difference.is_none() && words > 0;
    if words == 0 {
        case.error = Some("no words compared".into());
    }
    case.difference = difference;
    case
}

/// Runs every case on `gpu` and on `reference` and compares them: one
/// [`ParityCase`] per case, and a failed one for any entry point of
/// [`ENTRY_POINTS`] without a case.
pub fn run(gpu: &dyn Context, reference: &dyn Context) -> Vec<ParityCase> {
    let mut out: Vec<ParityCase> = cases::all()
        .iter()
        .map(|s| run_case(gpu, reference, s))
        .collect();
    for k in ENTRY_POINTS {
        if !out.iter().any(|c| c.kernel == *k) {
            out.push(ParityCase {
                kernel: k.to_string(),
                inputs: String::new(),
                compared: String::new(),
                words: 0,
                matched: false,
                difference: None,
                error: Some("no parity case runs this kernel".into()),
            });
        }
    }
    out
}

/// One line per case, as `kernel_parity` prints it.
pub fn line(c: &ParityCase) -> String {
    let verdict = if c.matched { "PASS" } else { "FAIL" };
    let mut s = format!(
        "{verdict}  {:<24} {} words, {}",
        c.kernel, c.words, c.compared
    );
    if let Some(d) = &c.difference {
        s += &format!(
            "; {} word {}: GPU {:#018x}, reference {:#018x}",
            d.buffer, d.word, d.gpu, d.reference
        );
    }
    if let Some(e) = &c.error {
        s += &format!("; {e}");
    }
    s + &format!("  [{}]", c.inputs)
}

#[cfg(test)]
mod tests;
