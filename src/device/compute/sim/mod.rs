//! The simulated GPU: [`Context`] on host memory. Buffers are ranges of
//! a device's [`mem::Arena`] (real host memory, a small size per fixture
//! standing in for the card's total); kernels run their Rust reference
//! ([`kernels`]); copies copy; events read a per-stream clock that each
//! operation advances by what it moved or computed at the fixture's rates,
//! so bandwidths the workloads compute come from their own byte counts.
//!
//! Faults are injected at this level, from the GPU's `compute` section of
//! the fixture ([`SimCompute`]): memory faults (stuck bits, coupling), a
//! corrupted GEMM element, a dropped copy, a hung or lost device at a
//! given call. The workloads then find them (or not) by themselves.

mod gemm;
pub mod kernels;
pub mod mem;

use super::{Arg, Context, DevPtr, Dim, Event, GemmSpec, Graph, Plan, Props, Stream};
use crate::device::types::DeviceError;
use mem::{device_base, Arena, Mem, MemoryFault, HOST_BASE};
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

/// A GEMM whose output is wrong in one element.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GemmCorrupt {
    /// Element index into C (row-major), whose lowest mantissa bit is
    /// flipped.
    pub element: u64,
    /// From this GEMM on (1-based, counted per GPU); default the first.
    #[serde(default = "one")]
    pub from_call: u64,
}

fn one() -> u64 {
    1
}

/// A GPU's `compute` section: its simulated memory, rates and faults.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SimCompute {
    /// Device memory the simulator really holds.
    pub memory_bytes: u64,
    /// Device memory bandwidth, GB/s (bytes read plus written).
    pub hbm_gbps: f64,
    /// Host copies, GB/s each way.
    pub pcie_gbps: f64,
    /// Copies to a peer, GB/s.
    pub peer_gbps: f64,
    /// L2 cache size the context reports.
    pub l2_bytes: u64,
    /// SMs the context reports (workloads size their grids by it): few by
    /// default, so debug builds run the kernels' references quickly.
    /// `list` still shows the `cuda` section's count.
    pub sm_count: u32,
    /// GEMM rate, TFLOP/s.
    pub tflops: f64,
    /// Time from one kernel's end to the next one's start, us.
    pub kernel_spacing_us: f64,
    /// Each operation's time varies by up to this percent either way (a
    /// deterministic hash of the call): an erratic GPU.
    pub jitter_pct: f64,
    pub memory_faults: Vec<MemoryFault>,
    pub gemm_corrupt: Option<GemmCorrupt>,
    /// This copy (1-based, counted per GPU) does nothing.
    pub drop_copy_at: Option<u64>,
    /// This call (1-based, every context call counted per GPU) never
    /// returns.
    pub hang_at_call: Option<u64>,
    /// This call panics (a bug in a worker, as the harness must survive).
    pub panic_at_call: Option<u64>,
    /// From this call on, every call fails as a GPU fallen off the bus.
    pub lost_at_call: Option<u64>,
    /// Kernels that fail to launch with `CUDA_ERROR_ILLEGAL_ADDRESS`.
    pub failing_kernels: Vec<String>,
    /// Peers this GPU cannot map, by fixture position (`gpus[]` index):
    /// cuDeviceCanAccessPeer says no; copies are still staged by the driver.
    pub no_peer_access: Vec<u32>,
}

impl Default for SimCompute {
    fn default() -> Self {
        Self {
            memory_bytes: 16 << 20,
            l2_bytes: 256 << 10,
            sm_count: 4,
            hbm_gbps: 3000.0,
            pcie_gbps: 55.0,
            peer_gbps: 390.0,
            tflops: 700.0,
            kernel_spacing_us: 1.0,
            jitter_pct: 0.0,
            memory_faults: Vec::new(),
            gemm_corrupt: None,
            drop_copy_at: None,
            hang_at_call: None,
            panic_at_call: None,
            lost_at_call: None,
            failing_kernels: Vec::new(),
            no_peer_access: Vec::new(),
        }
    }
}

/// A launch kept by a capture, replayed by its graph.
#[derive(Debug, Clone)]
struct Recorded {
    kernel: String,
    dim: Dim,
    args: Vec<Arg>,
}

/// One device's bookkeeping.
#[derive(Debug, Default)]
struct DeviceState {
    spec: SimCompute,
    /// Live allocations: offset -> bytes.
    allocs: BTreeMap<u64, u64>,
    calls: u64,
    copies: u64,
    gemms: u64,
    /// A sticky error: every later call returns it (as CUDA's are).
    sticky: Option<DeviceError>,
}

/// Every simulated device of one fixture: memory, clocks, handles.
#[derive(Debug, Default)]
pub struct World {
    mem: Mem,
    devices: Vec<DeviceState>,
    /// Per (device, stream) clock, ns.
    clocks: HashMap<(u32, u64), f64>,
    events: HashMap<u64, f64>,
    captures: HashMap<(u32, u64), Vec<Recorded>>,
    graphs: HashMap<u64, Vec<Recorded>>,
    plans: HashMap<u64, GemmSpec>,
    host_owner: HashMap<u64, u32>,
    /// The slot (fixture position) of each CUDA ordinal opened.
    slots: HashMap<u32, u32>,
    next: u64,
}

impl World {
    /// Devices by CUDA ordinal, each with its `compute` section.
    pub fn new(specs: Vec<SimCompute>) -> Self {
        let mut w = World {
            next: 1,
            ..World::default()
        };
        for spec in specs {
            w.mem
                .devices
                .push(Arena::new(spec.memory_bytes, &spec.memory_faults));
            w.devices.push(DeviceState {
                spec,
                ..DeviceState::default()
            });
        }
        w
    }

    fn id(&mut self) -> u64 {
        self.next += 1;
        self.next
    }

    /// The simulated memory, for tests that look at it directly.
    pub fn mem(&mut self) -> &mut Mem {
        &mut self.mem
    }
}

/// A simulated device's context.
pub struct SimContext {
    world: Arc<Mutex<World>>,
    /// The device's place in the world (its fixture position).
    slot: u32,
    props: Props,
    streams: Mutex<Vec<u64>>,
    /// This context's live allocations (device and host), freed when it
    /// is dropped, as a CUDA context's are.
    owned: Mutex<Vec<DevPtr>>,
}

fn sim_err(step: &str, code: u32, name: &str) -> DeviceError {
    DeviceError::Cuda {
        step: step.into(),
        code,
        name: name.into(),
    }
}

fn illegal(step: &str, why: &str) -> DeviceError {
    sim_err(&format!("{step}: {why}"), 700, "CUDA_ERROR_ILLEGAL_ADDRESS")
}

impl SimContext {
    /// A context on the device at `slot` of a shared world, seen as CUDA
    /// ordinal `props.ordinal`.
    pub fn open(world: Arc<Mutex<World>>, slot: u32, props: Props) -> Self {
        world
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .slots
            .insert(props.ordinal, slot);
        Self {
            world,
            slot,
            props,
            streams: Mutex::new(vec![0]),
            owned: Mutex::new(Vec::new()),
        }
    }

    fn own(&self) -> MutexGuard<'_, Vec<DevPtr>> {
        self.owned.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A context with its own world of one device (the reference in the
    /// kernel parity check).
    pub fn standalone(props: Props, memory_bytes: u64) -> SimContext {
        let mut specs: Vec<SimCompute> = (0..props.ordinal)
            .map(|_| SimCompute {
                memory_bytes: 0,
                ..SimCompute::default()
            })
            .collect();
        specs.push(SimCompute {
            memory_bytes,
            ..SimCompute::default()
        });
        let props = Props {
            total_bytes: memory_bytes,
            ..props
        };
        let slot = props.ordinal;
        Self::open(Arc::new(Mutex::new(World::new(specs))), slot, props)
    }

    /// The world this context lives in (tests look at its memory).
    pub fn world(&self) -> Arc<Mutex<World>> {
        Arc::clone(&self.world)
    }

    fn d(&self) -> usize {
        self.slot as usize
    }

    /// Counts the call, answers a lost or hung GPU, and locks the world.
    fn enter(&self, step: &str) -> Result<MutexGuard<'_, World>, DeviceError> {
        let hang = {
            let mut w = self.lock();
            let d = self.d();
            let dev = w
                .devices
                .get_mut(d)
                .ok_or_else(|| sim_err(step, 101, "CUDA_ERROR_INVALID_DEVICE"))?;
            dev.calls += 1;
            let n = dev.calls;
            if dev.spec.lost_at_call.is_some_and(|at| n >= at) && dev.sticky.is_none() {
                dev.sticky = Some(sim_err(
                    "the GPU has fallen off the bus",
                    999,
                    "CUDA_ERROR_UNKNOWN",
                ));
            }
            if let Some(e) = &dev.sticky {
                return Err(match e {
                    DeviceError::Cuda { code, name, .. } => DeviceError::Cuda {
                        step: step.into(),
                        code: *code,
                        name: name.clone(),
                    },
                    other => other.clone(),
                });
            }
            if dev.spec.panic_at_call == Some(n) {
                drop(w);
                panic!("simulated panic at call {n} ({step})");
            }
            dev.spec.hang_at_call == Some(n)
        };
        if hang {
            // A hung GPU: the call never answers; the caller's bound (the
            // harness's step timeout) reports it. The world is not locked.
            loop {
                std::thread::sleep(Duration::from_secs(3600));
            }
        }
        Ok(self.lock())
    }

    fn lock(&self) -> MutexGuard<'_, World> {
        self.world.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn advance(&self, w: &mut World, stream: Stream, ns: f64) {
        let spacing = w.devices[self.d()].spec.kernel_spacing_us * 1e3;
        self.advance_spaced(w, stream, ns, spacing);
    }

    /// Advances `stream`'s clock by `ns` plus `spacing`, with the fixture's
    /// jitter.
    fn advance_spaced(&self, w: &mut World, stream: Stream, ns: f64, spacing: f64) {
        let dev = &w.devices[self.d()];
        // A factor in [1 - j, 1 + j] from the call number.
        let u = crate::device::mix::fmix64(dev.calls) as f64 / u64::MAX as f64;
        let jitter = 1.0 + dev.spec.jitter_pct / 100.0 * (2.0 * u - 1.0);
        *w.clocks.entry((self.slot, stream.0)).or_insert(0.0) += (ns + spacing) * jitter;
    }

    fn run_kernel(
        &self,
        w: &mut World,
        stream: Stream,
        kernel: &str,
        dim: Dim,
        args: &[Arg],
    ) -> Result<(), DeviceError> {
        let d = self.d();
        if w.devices[d]
            .spec
            .failing_kernels
            .iter()
            .any(|k| k == kernel)
        {
            let e = illegal(&format!("kernel {kernel}"), "injected fault");
            w.devices[d].sticky = Some(e.clone());
            return Err(e);
        }
        let launch = kernels::Launch {
            device: self.slot,
            dim,
            args,
        };
        let cost = match kernels::run(kernel, &mut w.mem, &launch) {
            Ok(c) => c,
            Err(why) => {
                let e = illegal(&format!("kernel {kernel}"), &why);
                w.devices[d].sticky = Some(e.clone());
                return Err(e);
            }
        };
        let spec = &w.devices[d].spec;
        let ns = cost.bytes as f64 / spec.hbm_gbps.max(1e-9)
            + cost.flops as f64 / (spec.tflops.max(1e-9) * 1e3)
            + cost.wait_ns;
        self.advance(w, stream, ns);
        Ok(())
    }

    fn copy_in(
        &self,
        w: &mut World,
        stream: Stream,
        dst: DevPtr,
        src: DevPtr,
        bytes: u64,
    ) -> Result<(), DeviceError> {
        let d = self.d();
        w.devices[d].copies += 1;
        let n = w.devices[d].copies;
        let spec = w.devices[d].spec.clone();
        if spec.drop_copy_at != Some(n) {
            w.mem
                .copy(dst, src, bytes)
                .map_err(|why| illegal("cuMemcpyAsync", &why))?;
        }
        let own = (device_base(self.slot), device_base(self.slot + 1));
        let mine = |p: DevPtr| p >= own.0 && p < own.1;
        let host = |p: DevPtr| p < mem::DEVICE_BASE;
        let gbps = if host(dst) || host(src) {
            spec.pcie_gbps
        } else if mine(dst) && mine(src) {
            spec.hbm_gbps / 2.0
        } else {
            spec.peer_gbps
        };
        self.advance(w, stream, bytes as f64 / gbps.max(1e-9));
        Ok(())
    }
}

/// Like a CUDA context's (`compute::cuda`), a simulated context's
/// allocations end with it: a workload that opens one per task (p2p, a
/// context per pair) leaves the GPU's memory as it found it.
impl Drop for SimContext {
    fn drop(&mut self) {
        let owned = std::mem::take(&mut *self.own());
        for ptr in owned {
            let _ = self.free(ptr);
        }
    }
}

impl Context for SimContext {
    fn props(&self) -> &Props {
        &self.props
    }

    fn mem_info(&self) -> Result<(u64, u64), DeviceError> {
        let w = self.enter("cuMemGetInfo")?;
        let dev = &w.devices[self.d()];
        let used: u64 = dev.allocs.values().sum();
        Ok((
            dev.spec.memory_bytes.saturating_sub(used),
            dev.spec.memory_bytes,
        ))
    }

    fn alloc(&self, bytes: u64) -> Result<Option<DevPtr>, DeviceError> {
        let mut w = self.enter("cuMemAlloc")?;
        let dev = &mut w.devices[self.d()];
        let size = bytes.max(1).next_multiple_of(256);
        // First fit over the gaps between live allocations.
        let mut at = 0u64;
        for (&off, &len) in &dev.allocs {
            if off >= at + size {
                break;
            }
            at = (off + len).next_multiple_of(256);
        }
        if at + size > dev.spec.memory_bytes {
            return Ok(None);
        }
        dev.allocs.insert(at, size);
        let ptr = device_base(self.slot) + at;
        self.own().push(ptr);
        Ok(Some(ptr))
    }

    fn alloc_host(&self, bytes: u64) -> Result<Option<DevPtr>, DeviceError> {
        let mut w = self.enter("cuMemHostAlloc")?;
        let words = bytes.div_ceil(8) as usize;
        let base = w.mem.host.iter().next_back().map_or(HOST_BASE, |(b, v)| {
            (b + 8 * v.len() as u64).next_multiple_of(4096) + 4096
        });
        w.mem.host.insert(base, vec![0; words]);
        w.host_owner.insert(base, self.slot);
        self.own().push(base);
        Ok(Some(base))
    }

    fn free(&self, ptr: DevPtr) -> Result<(), DeviceError> {
        self.own().retain(|&p| p != ptr);
        let mut w = self.lock();
        if w.mem.host.remove(&ptr).is_some() {
            w.host_owner.remove(&ptr);
            return Ok(());
        }
        let off = ptr.wrapping_sub(device_base(self.slot));
        match w.devices.get_mut(self.d()).map(|d| d.allocs.remove(&off)) {
            Some(Some(_)) => Ok(()),
            _ => Err(sim_err(
                &format!("cuMemFree {ptr:#x}"),
                1,
                "CUDA_ERROR_INVALID_VALUE",
            )),
        }
    }

    fn memset(
        &self,
        stream: Stream,
        ptr: DevPtr,
        value: u8,
        bytes: u64,
    ) -> Result<(), DeviceError> {
        let mut w = self.enter("cuMemsetD8Async")?;
        let word = u64::from_ne_bytes([value; 8]);
        for i in 0..bytes / 8 {
            w.mem
                .w64(ptr + 8 * i, word)
                .map_err(|why| illegal("cuMemsetD8Async", &why))?;
        }
        for b in bytes / 8 * 8..bytes {
            w.mem
                .write(ptr + b, 1, u64::from(value))
                .map_err(|why| illegal("cuMemsetD8Async", &why))?;
        }
        let gbps = w.devices[self.d()].spec.hbm_gbps;
        self.advance(&mut w, stream, bytes as f64 / gbps.max(1e-9));
        Ok(())
    }

    fn upload(&self, dst: DevPtr, src: &[u8]) -> Result<(), DeviceError> {
        let mut w = self.enter("cuMemcpyHtoD")?;
        let mut i = 0;
        while i < src.len() {
            let at = dst + i as u64;
            // Whole aligned words at once (a MiB byte by byte is slow).
            let word = src.get(i..i + 8).filter(|_| at % 8 == 0);
            let done = match word.and_then(|b| <[u8; 8]>::try_from(b).ok()) {
                Some(b) => w.mem.w64(at, u64::from_le_bytes(b)).map(|()| 8),
                None => w.mem.write(at, 1, u64::from(src[i])).map(|()| 1),
            };
            i += done.map_err(|why| illegal("cuMemcpyHtoD", &why))?;
        }
        Ok(())
    }

    fn download(&self, src: DevPtr, dst: &mut [u8]) -> Result<(), DeviceError> {
        let w = self.enter("cuMemcpyDtoH")?;
        let mut i = 0;
        while i < dst.len() {
            let at = src + i as u64;
            let n = if at % 8 == 0 && i + 8 <= dst.len() {
                8
            } else {
                1
            };
            let v = w
                .mem
                .read(at, n as u32)
                .map_err(|why| illegal("cuMemcpyDtoH", &why))?;
            dst[i..i + n].copy_from_slice(&v.to_le_bytes()[..n]);
            i += n;
        }
        Ok(())
    }

    fn read_host(&self, src: DevPtr, dst: &mut [u8]) -> Result<(), DeviceError> {
        self.download(src, dst)
    }

    fn write_host(&self, dst: DevPtr, src: &[u8]) -> Result<(), DeviceError> {
        self.upload(dst, src)
    }

    fn copy(
        &self,
        stream: Stream,
        dst: DevPtr,
        src: DevPtr,
        bytes: u64,
    ) -> Result<(), DeviceError> {
        let mut w = self.enter("cuMemcpyAsync")?;
        self.copy_in(&mut w, stream, dst, src, bytes)
    }

    fn copy_peer(
        &self,
        stream: Stream,
        _peer: &dyn Context,
        dst: DevPtr,
        src: DevPtr,
        bytes: u64,
    ) -> Result<(), DeviceError> {
        let mut w = self.enter("cuMemcpyPeerAsync")?;
        self.copy_in(&mut w, stream, dst, src, bytes)
    }

    fn enable_peer(&self, peer: &dyn Context) -> Result<Result<(), String>, DeviceError> {
        let w = self.enter("cuCtxEnablePeerAccess")?;
        let slot = w.slots.get(&peer.props().ordinal).copied();
        Ok(if slot.is_none_or(|s| s as usize >= w.devices.len()) {
            Err("the peer is not a device of this node".into())
        } else if slot.is_some_and(|s| w.devices[self.d()].spec.no_peer_access.contains(&s)) {
            Err("cuDeviceCanAccessPeer says the platform does not allow it".into())
        } else {
            Ok(())
        })
    }

    fn launch(
        &self,
        stream: Stream,
        kernel: &str,
        dim: Dim,
        args: &[Arg],
    ) -> Result<(), DeviceError> {
        let mut w = self.enter("cuLaunchKernel")?;
        if super::Module::of(kernel).is_none() {
            return Err(sim_err(
                &format!("kernel lookup {kernel}"),
                500,
                "CUDA_ERROR_NOT_FOUND",
            ));
        }
        let key = (self.slot, stream.0);
        if let Some(c) = w.captures.get_mut(&key) {
            c.push(Recorded {
                kernel: kernel.into(),
                dim,
                args: args.to_vec(),
            });
            return Ok(());
        }
        self.run_kernel(&mut w, stream, kernel, dim, args)
    }

    fn stream(&self) -> Result<Stream, DeviceError> {
        let mut w = self.enter("cuStreamCreate")?;
        let id = w.id();
        self.streams
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(id);
        Ok(Stream(id))
    }

    fn record(&self, stream: Stream) -> Result<Event, DeviceError> {
        let mut w = self.enter("cuEventRecord")?;
        let t = *w.clocks.get(&(self.slot, stream.0)).unwrap_or(&0.0);
        let id = w.id();
        w.events.insert(id, t);
        Ok(Event(id))
    }

    fn elapsed_ms(&self, start: Event, end: Event) -> Result<f32, DeviceError> {
        let w = self.enter("cuEventElapsedTime")?;
        match (w.events.get(&start.0), w.events.get(&end.0)) {
            (Some(a), Some(b)) => Ok(((b - a) / 1e6) as f32),
            _ => Err(sim_err(
                "cuEventElapsedTime",
                400,
                "CUDA_ERROR_INVALID_HANDLE",
            )),
        }
    }

    fn release(&self, events: &[Event]) -> Result<(), DeviceError> {
        let mut w = self.lock();
        for e in events {
            w.events.remove(&e.0);
        }
        Ok(())
    }

    fn wait(&self, stream: Stream, event: Event) -> Result<(), DeviceError> {
        let mut w = self.enter("cuStreamWaitEvent")?;
        let t = *w.events.get(&event.0).unwrap_or(&0.0);
        let c = w.clocks.entry((self.slot, stream.0)).or_insert(0.0);
        *c = c.max(t);
        Ok(())
    }

    fn sync(&self, _stream: Stream) -> Result<(), DeviceError> {
        self.enter("cuStreamSynchronize").map(|_| ())
    }

    fn done(&self, _stream: Stream) -> Result<bool, DeviceError> {
        self.enter("cuStreamQuery").map(|_| true)
    }

    fn begin_capture(&self, stream: Stream) -> Result<(), DeviceError> {
        let mut w = self.enter("cuStreamBeginCapture")?;
        w.captures.insert((self.slot, stream.0), Vec::new());
        Ok(())
    }

    fn end_capture(&self, stream: Stream) -> Result<Graph, DeviceError> {
        let mut w = self.enter("cuStreamEndCapture")?;
        let launches = w
            .captures
            .remove(&(self.slot, stream.0))
            .ok_or_else(|| sim_err("cuStreamEndCapture", 401, "CUDA_ERROR_ILLEGAL_STATE"))?;
        let id = w.id();
        w.graphs.insert(id, launches);
        Ok(Graph(id))
    }

    fn replay(&self, stream: Stream, graph: Graph) -> Result<(), DeviceError> {
        let mut w = self.enter("cuGraphLaunch")?;
        let launches = w
            .graphs
            .get(&graph.0)
            .cloned()
            .ok_or_else(|| sim_err("cuGraphLaunch", 400, "CUDA_ERROR_INVALID_HANDLE"))?;
        for l in &launches {
            self.run_kernel(&mut w, stream, &l.kernel, l.dim, &l.args)?;
        }
        Ok(())
    }

    fn gemm_plan(&self, spec: GemmSpec, _workspace: u64) -> Result<Plan, DeviceError> {
        let mut w = self.enter("cublasLtMatmulAlgoGetHeuristic")?;
        let id = w.id();
        w.plans.insert(id, spec);
        Ok(Plan(id))
    }

    fn gemm(
        &self,
        stream: Stream,
        plan: Plan,
        a: DevPtr,
        b: DevPtr,
        c: DevPtr,
    ) -> Result<(), DeviceError> {
        let mut w = self.enter("cublasLtMatmul")?;
        let spec = *w
            .plans
            .get(&plan.0)
            .ok_or_else(|| sim_err("cublasLtMatmul", 400, "CUDA_ERROR_INVALID_HANDLE"))?;
        gemm::reference_gemm(&mut w.mem, spec, a, b, c)
            .map_err(|why| illegal("cublasLtMatmul", &why))?;
        let d = self.d();
        w.devices[d].gemms += 1;
        let n = w.devices[d].gemms;
        if let Some(g) = w.devices[d].spec.gemm_corrupt.filter(|g| n >= g.from_call) {
            let addr = c + g.element * spec.output_bytes();
            let v = w
                .mem
                .read(addr, 1)
                .map_err(|why| illegal("cublasLtMatmul", &why))?;
            w.mem
                .write(addr, 1, v ^ 1)
                .map_err(|why| illegal("cublasLtMatmul", &why))?;
        }
        let spec_d = &w.devices[d].spec;
        let ns = (2 * spec.m * spec.n * spec.k) as f64 / (spec_d.tflops.max(1e-9) * 1e3);
        // The product's time alone: the simulated products are tiny
        // (128 x 128), so a launch gap would dominate and misstate the
        // rate a GPU reaches on its large ones.
        self.advance_spaced(&mut w, stream, ns, 0.0);
        Ok(())
    }
}

#[cfg(test)]
mod tests;
