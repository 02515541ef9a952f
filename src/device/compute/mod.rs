//! The GPU as capabilities, not commands: a context with device buffers,
//! kernels launched by name from the shipped PTX, streams and events,
//! copies (host, device, peer, all through unified addresses), graphs and
//! cuBLASLt GEMM plans. The workloads (`crate::workloads`: memtest, bench,
//! p2p, burn, the self-test) are written once over [`Context`]; the real
//! backend ([`cuda`]) drives the driver, the simulated one ([`sim`]) runs
//! the same calls on host memory with a Rust reference of every kernel, so
//! CI runs the real workload code and finds what it finds.
//!
//! Handles ([`DevPtr`], [`Stream`], [`Event`], [`Graph`], [`Plan`]) are
//! plain numbers owned by the context that made them; the context frees
//! what is left when it drops. Device addresses are unified: a peer's
//! buffer or a pinned host buffer is addressed the same way as one's own.

pub mod cuda;
pub mod sim;

pub use super::burn::Dtype;
use super::types::DeviceError;

/// A device (or pinned host) address in the unified address space.
pub type DevPtr = u64;

/// A stream of ordered work; [`Stream::DEFAULT`] is the context's own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Stream(pub u64);

impl Stream {
    /// The stream every context has without asking for one.
    pub const DEFAULT: Stream = Stream(0);
}

/// A recorded point on a stream: for timing, and for one stream (of any
/// context) to wait for another.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Event(pub u64);

/// A captured sequence of launches, replayed as one (CUDA graph).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Graph(pub u64);

/// A cuBLASLt matrix-multiply plan for one [`GemmSpec`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Plan(pub u64);

/// One kernel argument, as the kernel's parameter list declares it.
/// Device pointers travel as [`Arg::U64`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Arg {
    U32(u32),
    I32(i32),
    U64(u64),
    F32(f32),
    F64(f64),
}

impl Arg {
    /// The argument as a u64 (pointers, sizes); other kinds convert.
    pub fn u64(self) -> u64 {
        match self {
            Arg::U32(v) => u64::from(v),
            Arg::I32(v) => v as u64,
            Arg::U64(v) => v,
            Arg::F32(v) => v as u64,
            Arg::F64(v) => v as u64,
        }
    }
    pub fn u32(self) -> u32 {
        self.u64() as u32
    }
    pub fn i32(self) -> i32 {
        match self {
            Arg::I32(v) => v,
            other => other.u64() as i32,
        }
    }
    pub fn f32(self) -> f32 {
        match self {
            Arg::F32(v) => v,
            Arg::F64(v) => v as f32,
            other => other.u64() as f32,
        }
    }
    pub fn f64(self) -> f64 {
        match self {
            Arg::F64(v) => v,
            Arg::F32(v) => f64::from(v),
            other => other.u64() as f64,
        }
    }
}

/// Grid and block shape of a launch (blocks 1-D in x; grids in x, and in
/// y for the built-in GEMMs' tiles), and dynamic shared memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dim {
    pub grid: u32,
    /// Grid rows (1 for every kernel but the built-in GEMMs).
    pub grid_y: u32,
    pub block: u32,
    pub shared_bytes: u32,
}

impl Dim {
    /// A 1-D launch.
    pub const fn new(grid: u32, block: u32) -> Self {
        Self {
            grid,
            grid_y: 1,
            block,
            shared_bytes: 0,
        }
    }

    /// A grid of `grid` x `grid_y` blocks.
    pub const fn new_2d(grid: u32, grid_y: u32, block: u32) -> Self {
        Self {
            grid_y,
            ..Self::new(grid, block)
        }
    }
}

/// The shipped PTX modules; a kernel is named by its entry point and found
/// in the module that [`Module::of`] says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Module {
    Selftest,
    Gemm,
    Bench,
    P2p,
    Memtest,
}

impl Module {
    pub const ALL: [Module; 5] = [
        Module::Selftest,
        Module::Gemm,
        Module::Bench,
        Module::P2p,
        Module::Memtest,
    ];

    /// The module's PTX text.
    pub fn ptx(self) -> &'static str {
        use crate::kernels as k;
        match self {
            Module::Selftest => k::SELFTEST_PTX,
            Module::Gemm => k::GEMM_PTX,
            Module::Bench => k::BENCH_PTX,
            Module::P2p => k::P2P_PTX,
            Module::Memtest => k::MEMTEST_PTX,
        }
    }

    /// The module whose entry point `kernel` is, from the shipped names'
    /// prefixes (`gpuctl_memtest_*`, `gpuctl_bench_*`, `gpuctl_p2p_*`,
    /// `gpuctl_selftest`; the GEMM, fill, compare, checksum and wipe
    /// kernels are all in `gemm`).
    pub fn of(kernel: &str) -> Option<Module> {
        let rest = kernel.strip_prefix("gpuctl_")?;
        Some(if rest.starts_with("memtest_") {
            Module::Memtest
        } else if rest.starts_with("bench_") {
            Module::Bench
        } else if rest.starts_with("p2p_") {
            Module::P2p
        } else if rest == "selftest" {
            Module::Selftest
        } else {
            Module::Gemm
        })
    }
}

/// What a context knows of its device without asking again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Props {
    /// CUDA ordinal (after `CUDA_VISIBLE_DEVICES`).
    pub ordinal: u32,
    pub name: String,
    pub compute_capability: (u32, u32),
    pub sm_count: u32,
    pub l2_bytes: u64,
    pub total_bytes: u64,
}

/// A cuBLASLt product in the layout of `kernels/gemm.cu` and
/// [`crate::device::cublaslt::LtPlan`]: A is m x k row-major, B is stored
/// n x k row-major, `C = A * B^T` is m x n row-major; 16-bit and TF32
/// inputs give an f32 output, f32 gives f32, f64 gives f64.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GemmSpec {
    pub m: u64,
    pub n: u64,
    pub k: u64,
    pub dtype: Dtype,
}

impl GemmSpec {
    /// Bytes of one input element.
    pub fn input_bytes(&self) -> u64 {
        match self.dtype {
            Dtype::Bf16 | Dtype::Fp16 => 2,
            Dtype::Tf32 | Dtype::Fp32 => 4,
            Dtype::Fp64 => 8,
        }
    }
    /// Bytes of one output element.
    pub fn output_bytes(&self) -> u64 {
        if self.dtype == Dtype::Fp64 {
            8
        } else {
            4
        }
    }
}

/// One GPU as capabilities. Every method may fail with the driver's error;
/// a lost or hung GPU answers every later call with an error (the hang
/// itself is bounded by the caller: the harness's step timeout).
pub trait Context: Send {
    fn props(&self) -> &Props;

    // -- device memory
    /// (free, total) bytes, as `cuMemGetInfo`.
    fn mem_info(&self) -> Result<(u64, u64), DeviceError>;
    /// A device allocation, or `Ok(None)` when the GPU is out of memory.
    fn alloc(&self, bytes: u64) -> Result<Option<DevPtr>, DeviceError>;
    /// Page-locked host memory reachable by the device's copy engines.
    fn alloc_host(&self, bytes: u64) -> Result<Option<DevPtr>, DeviceError>;
    /// Frees an allocation of this context (device or host).
    fn free(&self, ptr: DevPtr) -> Result<(), DeviceError>;
    /// Sets `bytes` bytes from `ptr` to `value`, in stream order.
    fn memset(&self, stream: Stream, ptr: DevPtr, value: u8, bytes: u64)
        -> Result<(), DeviceError>;
    /// Copies host bytes to `dst` (waits for the context's work first).
    fn upload(&self, dst: DevPtr, src: &[u8]) -> Result<(), DeviceError>;
    /// Copies bytes at `src` to the host (waits for the context's work).
    fn download(&self, src: DevPtr, dst: &mut [u8]) -> Result<(), DeviceError>;
    /// Reads a pinned host buffer of this context (no device work).
    fn read_host(&self, src: DevPtr, dst: &mut [u8]) -> Result<(), DeviceError>;
    /// Writes a pinned host buffer of this context (no device work).
    fn write_host(&self, dst: DevPtr, src: &[u8]) -> Result<(), DeviceError>;

    // -- copies (copy engines), in stream order
    /// Device to device, host to device or device to host through unified
    /// addresses, on this context's copy engines.
    fn copy(&self, stream: Stream, dst: DevPtr, src: DevPtr, bytes: u64)
        -> Result<(), DeviceError>;
    /// A copy from this context's `src` into `peer`'s `dst` (peer access
    /// enabled or staged by the driver), in this context's stream order.
    fn copy_peer(
        &self,
        stream: Stream,
        peer: &dyn Context,
        dst: DevPtr,
        src: DevPtr,
        bytes: u64,
    ) -> Result<(), DeviceError>;
    /// Whether this device can map `peer`'s memory, and enables it (already
    /// enabled counts as enabled). `Ok(Err(why))` when the platform says no.
    fn enable_peer(&self, peer: &dyn Context) -> Result<Result<(), String>, DeviceError>;

    // -- kernels
    /// Launches `kernel` (an entry point of the shipped PTX) in stream
    /// order. The module is loaded on first use.
    fn launch(
        &self,
        stream: Stream,
        kernel: &str,
        dim: Dim,
        args: &[Arg],
    ) -> Result<(), DeviceError>;

    // -- streams, events, graphs
    /// A new stream (non-blocking with respect to the default stream).
    fn stream(&self) -> Result<Stream, DeviceError>;
    /// Records an event on `stream`.
    fn record(&self, stream: Stream) -> Result<Event, DeviceError>;
    /// Milliseconds of device time between two recorded events.
    fn elapsed_ms(&self, start: Event, end: Event) -> Result<f32, DeviceError>;
    /// Destroys events no longer needed (a long run records many).
    fn release(&self, events: &[Event]) -> Result<(), DeviceError>;
    /// Makes `stream` wait for `event` (of any context).
    fn wait(&self, stream: Stream, event: Event) -> Result<(), DeviceError>;
    /// Blocks until `stream`'s work is done; a fault in it surfaces here.
    fn sync(&self, stream: Stream) -> Result<(), DeviceError>;
    /// Whether `stream`'s work is done, without blocking.
    fn done(&self, stream: Stream) -> Result<bool, DeviceError>;
    /// Starts capturing `stream`'s launches into a graph.
    fn begin_capture(&self, stream: Stream) -> Result<(), DeviceError>;
    /// Ends the capture and makes the graph ready to replay.
    fn end_capture(&self, stream: Stream) -> Result<Graph, DeviceError>;
    /// Replays a graph in `stream` order.
    fn replay(&self, stream: Stream, graph: Graph) -> Result<(), DeviceError>;

    // -- cuBLASLt
    /// A plan for `spec` with a workspace of `workspace` bytes; `Err` with
    /// [`DeviceError::HostLibrary`] when cuBLASLt cannot be loaded.
    fn gemm_plan(&self, spec: GemmSpec, workspace: u64) -> Result<Plan, DeviceError>;
    /// `c = a * b` with the plan, in stream order.
    fn gemm(
        &self,
        stream: Stream,
        plan: Plan,
        a: DevPtr,
        b: DevPtr,
        c: DevPtr,
    ) -> Result<(), DeviceError>;
}

/// Reads `n` u64 words at `src` (a convenience over [`Context::download`]).
pub fn download_u64(ctx: &dyn Context, src: DevPtr, n: usize) -> Result<Vec<u64>, DeviceError> {
    let mut bytes = vec![0u8; n * 8];
    ctx.download(src, &mut bytes)?;
    Ok(bytes
        .chunks_exact(8)
        .map(|c| u64::from_le_bytes(c.try_into().unwrap_or([0; 8])))
        .collect())
}

/// Writes u64 words to `dst` (a convenience over [`Context::upload`]).
pub fn upload_u64(ctx: &dyn Context, dst: DevPtr, words: &[u64]) -> Result<(), DeviceError> {
    let bytes: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
    ctx.upload(dst, &bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_shipped_entry_point_names_its_module() {
        for (m, names) in [
            (Module::Memtest, "gpuctl_memtest_pass gpuctl_memtest_flip"),
            (Module::Bench, "gpuctl_bench_copy gpuctl_bench_empty"),
            (Module::P2p, "gpuctl_p2p_fill gpuctl_p2p_pingpong"),
            (Module::Selftest, "gpuctl_selftest"),
            (
                Module::Gemm,
                "gpuctl_gemm_f32 gpuctl_checksum_mix64 gpuctl_count_nonzero",
            ),
        ] {
            for name in names.split(' ') {
                assert_eq!(Module::of(name), Some(m), "{name}");
                assert!(m.ptx().contains(name), "{name} is not in {m:?}'s PTX");
            }
        }
        assert_eq!(Module::of("cuda_memcpy"), None);
    }
}
