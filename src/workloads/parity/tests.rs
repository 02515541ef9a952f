//! The parity check run with the references on both sides, through a tiny
//! [`Context`] that executes them directly on a [`Mem`]; and with one side
//! broken on purpose.

use super::*;
use crate::device::compute::sim::kernels::{self, Launch};
use crate::device::compute::sim::mem::{device_base, Arena, FaultKind, Mem, MemoryFault};
use crate::device::compute::{Event, GemmSpec, Graph, Plan, Props};
use std::sync::Mutex;

const MEMORY: u64 = 8 << 20;

/// One device's memory and a bump allocator; kernels run at once on
/// launch (every stream is in order with every other).
struct RefContext {
    props: Props,
    mem: Mutex<Mem>,
    next: Mutex<u64>,
    streams: Mutex<u64>,
    /// Flip this bit of the first word of every download (a broken GPU).
    flip: Option<u32>,
}

impl RefContext {
    fn new(faults: &[MemoryFault], flip: Option<u32>) -> Self {
        Self {
            props: Props {
                ordinal: 0,
                name: "reference".into(),
                compute_capability: (9, 0),
                sm_count: 4,
                l2_bytes: 1 << 20,
                total_bytes: MEMORY,
            },
            mem: Mutex::new(Mem {
                devices: vec![Arena::new(MEMORY, faults)],
                host: Default::default(),
            }),
            next: Mutex::new(0),
            streams: Mutex::new(0),
            flip,
        }
    }

    fn mem(&self) -> std::sync::MutexGuard<'_, Mem> {
        self.mem.lock().unwrap_or_else(|e| e.into_inner())
    }
}

fn fault(why: String) -> DeviceError {
    DeviceError::Invalid(why)
}

fn unsupported(what: &str) -> DeviceError {
    DeviceError::Invalid(format!("{what}: not in the test context"))
}

impl Context for RefContext {
    fn props(&self) -> &Props {
        &self.props
    }
    fn mem_info(&self) -> Result<(u64, u64), DeviceError> {
        let used = *self.next.lock().unwrap_or_else(|e| e.into_inner());
        Ok((MEMORY - used, MEMORY))
    }
    fn alloc(&self, bytes: u64) -> Result<Option<DevPtr>, DeviceError> {
        // Freed memory is not reused: every case fits in MEMORY.
        let mut next = self.next.lock().unwrap_or_else(|e| e.into_inner());
        let at = next.next_multiple_of(256);
        if at + bytes > MEMORY {
            return Ok(None);
        }
        *next = at + bytes;
        Ok(Some(device_base(0) + at))
    }
    fn alloc_host(&self, _: u64) -> Result<Option<DevPtr>, DeviceError> {
        Err(unsupported("alloc_host"))
    }
    fn free(&self, _: DevPtr) -> Result<(), DeviceError> {
        Ok(())
    }
    fn memset(&self, _: Stream, ptr: DevPtr, value: u8, bytes: u64) -> Result<(), DeviceError> {
        let mut m = self.mem();
        (0..bytes).try_for_each(|b| m.write(ptr + b, 1, u64::from(value)).map_err(fault))
    }
    fn upload(&self, dst: DevPtr, src: &[u8]) -> Result<(), DeviceError> {
        let mut m = self.mem();
        for (i, c) in src.chunks(8).enumerate() {
            let a = dst + 8 * i as u64;
            if c.len() == 8 {
                let w = u64::from_le_bytes(c.try_into().map_err(|_| unsupported("chunk"))?);
                m.w64(a, w).map_err(fault)?;
            } else {
                for (j, &b) in c.iter().enumerate() {
                    m.write(a + j as u64, 1, u64::from(b)).map_err(fault)?;
                }
            }
        }
        Ok(())
    }
    fn download(&self, src: DevPtr, dst: &mut [u8]) -> Result<(), DeviceError> {
        let m = self.mem();
        for (i, b) in dst.iter_mut().enumerate() {
            *b = m.read(src + i as u64, 1).map_err(fault)? as u8;
        }
        if let Some(bit) = self.flip {
            if let Some(b) = dst.get_mut((bit / 8) as usize) {
                *b ^= 1 << (bit % 8);
            }
        }
        Ok(())
    }
    fn read_host(&self, _: DevPtr, _: &mut [u8]) -> Result<(), DeviceError> {
        Err(unsupported("read_host"))
    }
    fn write_host(&self, _: DevPtr, _: &[u8]) -> Result<(), DeviceError> {
        Err(unsupported("write_host"))
    }
    fn copy(&self, _: Stream, dst: DevPtr, src: DevPtr, bytes: u64) -> Result<(), DeviceError> {
        self.mem().copy(dst, src, bytes).map_err(fault)
    }
    fn copy_peer(
        &self,
        _: Stream,
        _: &dyn Context,
        _: DevPtr,
        _: DevPtr,
        _: u64,
    ) -> Result<(), DeviceError> {
        Err(unsupported("copy_peer"))
    }
    fn enable_peer(&self, _: &dyn Context) -> Result<Result<(), String>, DeviceError> {
        Ok(Err("one device".into()))
    }
    fn launch(&self, _: Stream, kernel: &str, dim: Dim, args: &[Arg]) -> Result<(), DeviceError> {
        let launch = Launch {
            device: 0,
            dim,
            args,
        };
        kernels::run(kernel, &mut self.mem(), &launch)
            .map(|_| ())
            .map_err(fault)
    }
    fn stream(&self) -> Result<Stream, DeviceError> {
        let mut n = self.streams.lock().unwrap_or_else(|e| e.into_inner());
        *n += 1;
        Ok(Stream(*n))
    }
    fn record(&self, _: Stream) -> Result<Event, DeviceError> {
        Ok(Event(0))
    }
    fn elapsed_ms(&self, _: Event, _: Event) -> Result<f32, DeviceError> {
        Ok(0.0)
    }
    fn release(&self, _: &[Event]) -> Result<(), DeviceError> {
        Ok(())
    }
    fn wait(&self, _: Stream, _: Event) -> Result<(), DeviceError> {
        Ok(())
    }
    fn sync(&self, _: Stream) -> Result<(), DeviceError> {
        Ok(())
    }
    fn done(&self, _: Stream) -> Result<bool, DeviceError> {
        Ok(true)
    }
    fn begin_capture(&self, _: Stream) -> Result<(), DeviceError> {
        Err(unsupported("graphs"))
    }
    fn end_capture(&self, _: Stream) -> Result<Graph, DeviceError> {
        Err(unsupported("graphs"))
    }
    fn replay(&self, _: Stream, _: Graph) -> Result<(), DeviceError> {
        Err(unsupported("graphs"))
    }
    fn gemm_plan(&self, _: GemmSpec, _: u64) -> Result<Plan, DeviceError> {
        Err(unsupported("cuBLASLt"))
    }
    fn gemm(&self, _: Stream, _: Plan, _: DevPtr, _: DevPtr, _: DevPtr) -> Result<(), DeviceError> {
        Err(unsupported("cuBLASLt"))
    }
}

fn kernels_of(cases: &[ParityCase]) -> Vec<String> {
    let mut k: Vec<String> = cases.iter().map(|c| c.kernel.clone()).collect();
    k.sort_unstable();
    k.dedup();
    k
}

fn is_tensor_core(kernel: &str) -> bool {
    ["gpuctl_gemm_bf16", "gpuctl_gemm_fp16", "gpuctl_gemm_tf32"].contains(&kernel)
}

#[test]
fn the_references_agree_with_themselves_on_every_entry_point() {
    let (gpu, reference) = (RefContext::new(&[], None), RefContext::new(&[], None));
    let cases = run(&gpu, &reference);
    for c in &cases {
        assert!(c.matched, "{}", line(c));
        assert!(c.words > 0, "{}", line(c));
        assert!(line(c).starts_with("PASS"));
    }
    let mut want: Vec<String> = ENTRY_POINTS.iter().map(|k| k.to_string()).collect();
    want.sort_unstable();
    assert_eq!(kernels_of(&cases), want, "one case or more per entry point");
    let json = serde_json::to_value(&cases).unwrap();
    assert_eq!(json[0]["kernel"], "gpuctl_memtest_pass");
    assert_eq!(json[0]["matched"], true);
}

#[test]
fn the_cases_inject_what_the_kernels_must_find() {
    // The errors the cases inject reach the outputs: memtest's logs count
    // them, the checks count the corrupted words.
    let ctx = RefContext::new(&[], None);
    for spec in cases::all() {
        let out = execute(&ctx, &spec).unwrap();
        let first = out.words[0].first().copied();
        let log = spec
            .bufs
            .iter()
            .position(|b| matches!(b.compare, Compare::MtLog { .. }));
        let want = match spec.kernel {
            "gpuctl_memtest_pass" => Some(4),
            "gpuctl_memtest_select" | "gpuctl_memtest_ordered" => Some(3),
            _ => None,
        };
        let counted = match spec.kernel {
            "gpuctl_bench_check" => Some(3),
            "gpuctl_p2p_verify" | "gpuctl_compare_f32" | "gpuctl_compare_f64" => Some(2),
            "gpuctl_count_nonzero" => Some(4096 - 2900),
            _ => None,
        };
        if counted.is_some() {
            assert_eq!(first, counted, "{}", spec.kernel);
        }
        if let (Some(n), Some(l)) = (want, log) {
            assert_eq!(out.words[l][0], n, "{}", spec.kernel);
        }
    }
}

#[test]
fn a_flipped_bit_fails_every_case_and_is_named() {
    // Bit 0 of the first word of every download: found at word 0 of each
    // case's first buffer, except in the tensor-core GEMMs' C, which the
    // tolerance lets pass: their operand A, compared exactly, names it.
    let (gpu, reference) = (RefContext::new(&[], Some(0)), RefContext::new(&[], None));
    for c in run(&gpu, &reference) {
        assert!(!c.matched, "{}", line(&c));
        assert!(line(&c).starts_with("FAIL"));
        let d = c.difference.clone().expect("a difference is named");
        assert_eq!((d.word, d.gpu ^ d.reference), (0, 1), "{}", line(&c));
        let first = if is_tensor_core(&c.kernel) { "A" } else { "" };
        if !first.is_empty() {
            assert_eq!(d.buffer, first, "{}", line(&c));
        }
    }
    let c = run(&gpu, &reference).remove(0);
    let json = serde_json::to_value(&c).unwrap();
    assert_eq!(json["matched"], false);
    assert_eq!(json["difference"]["word"], 0);
    let (g, r) = (&json["difference"]["gpu"], &json["difference"]["reference"]);
    assert!(g.as_str().unwrap().starts_with("0x") && g != r, "{json}");
    // An exponent bit of C is beyond the tolerance.
    let (gpu, reference) = (RefContext::new(&[], Some(30)), RefContext::new(&[], None));
    for c in run(&gpu, &reference) {
        assert!(!c.matched, "{}", line(&c));
        if is_tensor_core(&c.kernel) {
            assert_eq!(c.difference.map(|d| d.buffer), Some("C".into()));
        }
    }
}

#[test]
fn a_stuck_bit_on_one_side_is_named_where_it_is() {
    // The first case's memtest buffer is the test context's first
    // allocation: a stuck bit at its word 9 on the "GPU" side is in the
    // log the GPU leaves, not in the reference's.
    let stuck = MemoryFault {
        offset: 9 * 8,
        bit: 3,
        kind: FaultKind::Stuck1,
        victim: None,
    };
    let (gpu, reference) = (RefContext::new(&[stuck], None), RefContext::new(&[], None));
    let cases = run(&gpu, &reference);
    let pass = cases
        .iter()
        .find(|c| c.kernel == "gpuctl_memtest_pass")
        .unwrap();
    assert!(!pass.matched, "{}", line(pass));
}

#[test]
fn a_reference_that_fails_or_does_nothing_fails_its_case() {
    let gpu = RefContext::new(&[], None);
    // A context out of memory cannot run any case.
    let full = RefContext::new(&[], None);
    *full.next.lock().unwrap() = MEMORY;
    let c = run_case(&gpu, &full, &cases::all().remove(0));
    assert!(!c.matched);
    assert!(
        c.error.as_deref().unwrap_or("").contains("reference: "),
        "{c:?}"
    );
    // A spec whose kernel writes nothing to its output proves nothing.
    let spec = Spec {
        kernel: "gpuctl_bench_empty",
        inputs: String::new(),
        bufs: vec![Buf {
            name: "out",
            init: vec![1],
            align: 256,
            compare: Compare::Exact,
            output: true,
        }],
        steps: vec![Step {
            kernel: "gpuctl_bench_empty",
            dim: Dim::new(1, 1),
            args: vec![],
            stream: 0,
        }],
    };
    let c = run_case(&gpu, &RefContext::new(&[], None), &spec);
    assert!(!c.matched);
    assert!(c.error.unwrap().contains("nothing was compared"));
}

#[test]
fn records_compare_as_a_set_at_their_offsets() {
    // Two logs with the same records in another order, at other bases.
    let a = [2, 2, 0x1000 + 8, 1, 2, 0x1000 + 16, 3, 4];
    let b = [2, 2, 0x9000 + 16, 3, 4, 0x9000 + 8, 1, 2];
    assert_eq!(log_view(&a, 0x1000), log_view(&b, 0x9000));
    let c = [2, 2, 0x9000 + 16, 3, 5, 0x9000 + 8, 1, 2];
    assert_ne!(log_view(&a, 0x1000), log_view(&c, 0x9000));
    assert!(f32_pair_close(
        u64::from(1f32.to_bits()),
        u64::from(1.0001f32.to_bits()),
        1e-3
    ));
    assert!(!f32_pair_close(
        u64::from(1f32.to_bits()) << 32,
        u64::from(1.01f32.to_bits()) << 32,
        1e-3
    ));
    assert_eq!(tensor_core_tolerance(128), 128.0 / 65536.0);
}

fn sim(faults: &[MemoryFault]) -> crate::device::compute::sim::SimContext {
    use crate::device::compute::sim::{SimCompute, SimContext, World};
    let props = RefContext::new(&[], None).props.clone();
    let spec = SimCompute {
        memory_bytes: MEMORY,
        memory_faults: faults.to_vec(),
        ..SimCompute::default()
    };
    let world = std::sync::Arc::new(Mutex::new(World::new(vec![spec])));
    SimContext::open(world, 0, props)
}

#[test]
fn the_simulated_gpu_runs_every_case_as_the_references_do() {
    // The simulated context (its allocator, copies, streams and launches)
    // against a standalone one, as the example binary makes it.
    let props = RefContext::new(&[], None).props.clone();
    let standalone = crate::device::compute::sim::SimContext::standalone(props, 64 << 20);
    for c in run(&sim(&[]), &standalone) {
        assert!(c.matched, "{}", line(&c));
    }
    // A stuck bit in the simulated GPU's memory fails the memtest cases
    // that run over it (the first allocation of each case): the GPU's log
    // counts a mismatch the reference's does not, or its memory differs.
    let stuck = MemoryFault {
        offset: 9 * 8,
        bit: 3,
        kind: FaultKind::Stuck1,
        victim: None,
    };
    let cases = run(&sim(&[stuck]), &standalone);
    for k in ["gpuctl_memtest_pass", "gpuctl_memtest_ordered"] {
        let c = cases.iter().find(|c| c.kernel == k).unwrap();
        assert!(!c.matched, "{}", line(c));
        let d = c.difference.as_ref().unwrap();
        let (memory, log) = (d.buffer == "memory", d.buffer == "log");
        assert!(
            (memory && d.word == 9 && d.gpu ^ d.reference == 1 << 3)
                || (log && d.word == 0 && d.gpu > d.reference),
            "{}",
            line(c)
        );
    }
}
