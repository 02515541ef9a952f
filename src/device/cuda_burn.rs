//! The real GEMM burn engine: cuBLASLt (loaded at run time) or gpuctl's own
//! kernels from `kernels/gemm.cu`, with on-GPU verification.
//!
//! Both engines compute the same product with the same layouts ("TN": A is
//! n x n row-major, B is stored n x n row-major as N x K, C = A * B^T is
//! n x n row-major) and write fp32 results (fp64 for [`Dtype::Fp64`]), so one
//! verification path serves both.
//!
//! Verification must not eat into the burn: each batch fills every result
//! buffer, then one memory-bound checksum kernel per buffer reduces it to a
//! u64 that is compared with the reference product's checksum. Results are
//! bitwise reproducible (a fixed kernel or a fixed cuBLASLt algorithm on the
//! same inputs), so any difference is a fault; only then is the buffer
//! compared element by element to count the damage.
//!
//! cuBLASLt is reached through a small hand-written FFI over `libloading`
//! rather than cudarc's module: cudarc only tries CUDA 12 sonames and panics on
//! a missing symbol, while this must load cuBLASLt 13 too and fail politely.

use super::burn::{BatchResult, BurnConfig, BurnSetup, BurnWorker, Dtype, Engine};
use super::cuda::{describe, guarded, MISSING_SYMBOL};
use super::QueryError;
use crate::kernels;
use cudarc::driver::result::{self as cu, DriverError};
use cudarc::driver::sys::CUdevice_attribute_enum as Attr;
use cudarc::driver::{
    CudaContext, CudaEvent, CudaFunction, CudaStream, LaunchConfig, PushKernelArg,
};
use cudarc::nvrtc::Ptx;
use std::ffi::{c_int, c_void};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Arc, OnceLock};
use std::time::Instant;

/// Square matrix size for every dtype: ~1.1 TFLOP per product, long enough
/// to keep the tensor cores saturated, and a multiple of the built-in
/// kernels' 128 x 128 tiles and 32-deep K steps.
pub const MATRIX_SIZE: u32 = 8192;

/// Matrix size for `dtype`. The tensor-core types use 16384: a product then
/// takes ~13 ms on an H100 while checksumming its 1 GiB result takes ~0.35 ms,
/// so checking every product costs under 5% of throughput. The slow SIMT
/// types keep 8192 (their products take tens of ms anyway).
pub fn matrix_size(dtype: Dtype) -> u32 {
    match dtype {
        Dtype::Bf16 | Dtype::Fp16 | Dtype::Tf32 => 2 * MATRIX_SIZE,
        Dtype::Fp32 | Dtype::Fp64 => MATRIX_SIZE,
    }
}
/// cuBLASLt workspace (its heuristics pick faster kernels given some).
const WORKSPACE_BYTES: usize = 32 << 20;
/// Left free besides the budget: the driver, cuBLASLt and the JIT need some.
const MARGIN_BYTES: u64 = 256 << 20;
/// More buffers add nothing but checksum launches.
const MAX_RESULT_BUFFERS: u64 = 256;
/// A batch may stretch to this many times its target to write every result
/// buffer at least once.
const COVER_ALL_LIMIT_S: f64 = 2.0;
/// Cap on products per batch: each has its own checksum slot, and a batch
/// of this many is far more than a second of work for any real GPU.
const MAX_PRODUCTS_PER_BATCH: u64 = 4096;
/// Checksum slots: one per product of a batch, plus one for the reference.
const SLOT_COUNT: u64 = MAX_PRODUCTS_PER_BATCH + 1;
/// Value written by fault injection; no product of values in [-1, 1) over
/// at most 16384 terms reaches it, so it always differs from the reference.
const INJECTED_VALUE: f64 = 1.0e6;

/// Whether cuBLASLt can be loaded; the error names every library tried.
pub fn cublaslt_available() -> Result<(), String> {
    lt_lib().map(|_| ())
}

/// Sets up a burn worker on `ordinal`: context, operands, reference product,
/// result buffers, and the batch length.
pub fn start(ordinal: u32, config: &BurnConfig) -> Result<Box<dyn BurnWorker>, QueryError> {
    let f = config.memory_fraction;
    if !(f > 0.0 && f <= 1.0) {
        return Err(QueryError::Failed(format!(
            "memory fraction must be in (0, 1], got {f}"
        )));
    }
    if config.engine == Engine::Cublas {
        cublaslt_available().map_err(QueryError::Failed)?;
    }
    let size_ok = |n: u32| n >= 128 && n % 128 == 0;
    if !(config.batch_seconds > 0.0 && config.matrix_size.is_none_or(size_ok)) {
        return Err(QueryError::Failed(format!(
            "bad burn configuration: batch {} s, matrix size {:?}",
            config.batch_seconds, config.matrix_size
        )));
    }
    guarded(|| {
        Burn::new(ordinal, config)
            .map(|w| Box::new(w) as Box<dyn BurnWorker>)
            .map_err(QueryError::Failed)
    })
}

// ---------------------------------------------------------------------------
// cuBLASLt FFI (values from cublasLt.h / library_types.h, unchanged 11.x-13.x)

mod lt {
    use std::ffi::{c_int, c_void};

    pub type Status = c_int;
    pub type Handle = *mut c_void;
    pub type MatmulDesc = *mut c_void;
    pub type Layout = *mut c_void;
    pub type Preference = *mut c_void;

    pub const STATUS_SUCCESS: Status = 0;

    // cudaDataType_t
    pub const R_16F: c_int = 2;
    pub const R_16BF: c_int = 14;
    pub const R_32F: c_int = 0;
    pub const R_64F: c_int = 1;
    // cublasComputeType_t
    pub const COMPUTE_32F: c_int = 68;
    pub const COMPUTE_32F_FAST_TF32: c_int = 77;
    pub const COMPUTE_64F: c_int = 70;
    // cublasOperation_t
    pub const OP_N: c_int = 0;
    pub const OP_T: c_int = 1;
    // cublasLtMatmulDescAttributes_t
    pub const DESC_TRANSA: c_int = 3;
    pub const DESC_TRANSB: c_int = 4;
    // cublasLtMatmulPreferenceAttributes_t
    pub const PREF_MAX_WORKSPACE_BYTES: c_int = 1;

    /// `cublasLtMatmulAlgo_t`: opaque, 8 x u64.
    #[repr(C)]
    #[derive(Clone, Copy, Default)]
    pub struct Algo {
        pub data: [u64; 8],
    }

    /// `cublasLtMatmulHeuristicResult_t` (96 bytes).
    #[repr(C)]
    #[derive(Clone, Copy, Default)]
    pub struct HeuristicResult {
        pub algo: Algo,
        pub workspace_size: usize,
        pub state: Status,
        pub waves_count: f32,
        pub reserved: [c_int; 4],
    }

    /// The entry points used, resolved once at load.
    pub struct Api {
        pub create: unsafe extern "C" fn(*mut Handle) -> Status,
        pub destroy: unsafe extern "C" fn(Handle) -> Status,
        pub get_version: unsafe extern "C" fn() -> usize,
        pub desc_create: unsafe extern "C" fn(*mut MatmulDesc, c_int, c_int) -> Status,
        pub desc_destroy: unsafe extern "C" fn(MatmulDesc) -> Status,
        pub desc_set: unsafe extern "C" fn(MatmulDesc, c_int, *const c_void, usize) -> Status,
        pub layout_create: unsafe extern "C" fn(*mut Layout, c_int, u64, u64, i64) -> Status,
        pub layout_destroy: unsafe extern "C" fn(Layout) -> Status,
        pub pref_create: unsafe extern "C" fn(*mut Preference) -> Status,
        pub pref_destroy: unsafe extern "C" fn(Preference) -> Status,
        pub pref_set: unsafe extern "C" fn(Preference, c_int, *const c_void, usize) -> Status,
        #[allow(clippy::type_complexity)]
        pub heuristic: unsafe extern "C" fn(
            Handle,
            MatmulDesc,
            Layout,
            Layout,
            Layout,
            Layout,
            Preference,
            c_int,
            *mut HeuristicResult,
            *mut c_int,
        ) -> Status,
        #[allow(clippy::type_complexity)]
        pub matmul: unsafe extern "C" fn(
            Handle,
            MatmulDesc,
            *const c_void,
            *const c_void,
            Layout,
            *const c_void,
            Layout,
            *const c_void,
            *const c_void,
            Layout,
            *mut c_void,
            Layout,
            *const Algo,
            *mut c_void,
            usize,
            *mut c_void,
        ) -> Status,
    }

    impl Api {
        /// Resolves every symbol; a missing one is an error naming it.
        pub fn load(lib: &libloading::Library) -> Result<Self, String> {
            // SAFETY: each symbol is given the signature cublasLt.h declares
            // for it; the pointers stay valid while `lib` is loaded, and the
            // library is kept loaded for the life of the process.
            unsafe {
                Ok(Self {
                    create: sym(lib, b"cublasLtCreate\0")?,
                    destroy: sym(lib, b"cublasLtDestroy\0")?,
                    get_version: sym(lib, b"cublasLtGetVersion\0")?,
                    desc_create: sym(lib, b"cublasLtMatmulDescCreate\0")?,
                    desc_destroy: sym(lib, b"cublasLtMatmulDescDestroy\0")?,
                    desc_set: sym(lib, b"cublasLtMatmulDescSetAttribute\0")?,
                    layout_create: sym(lib, b"cublasLtMatrixLayoutCreate\0")?,
                    layout_destroy: sym(lib, b"cublasLtMatrixLayoutDestroy\0")?,
                    pref_create: sym(lib, b"cublasLtMatmulPreferenceCreate\0")?,
                    pref_destroy: sym(lib, b"cublasLtMatmulPreferenceDestroy\0")?,
                    pref_set: sym(lib, b"cublasLtMatmulPreferenceSetAttribute\0")?,
                    heuristic: sym(lib, b"cublasLtMatmulAlgoGetHeuristic\0")?,
                    matmul: sym(lib, b"cublasLtMatmul\0")?,
                })
            }
        }
    }

    /// # Safety
    /// `T` must be the symbol's true function-pointer type.
    unsafe fn sym<T: Copy>(lib: &libloading::Library, name: &[u8]) -> Result<T, String> {
        lib.get::<T>(name).map(|s| *s).map_err(|e| {
            let n = String::from_utf8_lossy(name.strip_suffix(b"\0").unwrap_or(name));
            format!("missing symbol {n}: {e}")
        })
    }

    /// `CUBLAS_STATUS_NAME (code)`.
    pub fn status_name(s: Status) -> String {
        let name = match s {
            0 => "CUBLAS_STATUS_SUCCESS",
            1 => "CUBLAS_STATUS_NOT_INITIALIZED",
            3 => "CUBLAS_STATUS_ALLOC_FAILED",
            7 => "CUBLAS_STATUS_INVALID_VALUE",
            8 => "CUBLAS_STATUS_ARCH_MISMATCH",
            11 => "CUBLAS_STATUS_MAPPING_ERROR",
            13 => "CUBLAS_STATUS_EXECUTION_FAILED",
            14 => "CUBLAS_STATUS_INTERNAL_ERROR",
            15 => "CUBLAS_STATUS_NOT_SUPPORTED",
            16 => "CUBLAS_STATUS_LICENSE_ERROR",
            _ => "CUBLAS_STATUS_UNKNOWN",
        };
        format!("{name} ({s})")
    }
}

/// The loaded library: kept for the life of the process, so the resolved
/// function pointers never dangle.
struct LtLib {
    _lib: libloading::Library,
    soname: String,
    api: lt::Api,
}

/// Environment variable naming a cuBLASLt library to try first.
pub const CUBLASLT_ENV: &str = "GPUCTL_CUBLASLT";

fn lt_candidates() -> Vec<String> {
    let mut names = Vec::new();
    if let Some(p) = std::env::var_os(CUBLASLT_ENV) {
        if !p.is_empty() {
            names.push(p.to_string_lossy().into_owned());
        }
    }
    // Newest first: cuBLASLt 13 for CUDA 13 drivers, 12 for older ones.
    names.extend(["libcublasLt.so.13", "libcublasLt.so.12", "libcublasLt.so"].map(String::from));
    names
}

fn lt_lib() -> Result<&'static LtLib, String> {
    static LIB: OnceLock<Result<LtLib, String>> = OnceLock::new();
    LIB.get_or_init(load_lt).as_ref().map_err(Clone::clone)
}

fn load_lt() -> Result<LtLib, String> {
    let mut tried = Vec::new();
    for name in lt_candidates() {
        // SAFETY: runs the library's initialisers, which cuBLASLt keeps benign
        // (no GPU work happens until cublasLtCreate).
        match unsafe { libloading::Library::new(&name) } {
            Ok(lib) => match lt::Api::load(&lib) {
                Ok(api) => {
                    return Ok(LtLib {
                        _lib: lib,
                        soname: name,
                        api,
                    })
                }
                Err(e) => tried.push(format!("{name} ({e})")),
            },
            Err(e) => {
                let e = e.to_string();
                // dlopen's message usually starts with the name already.
                tried.push(if e.contains(&name) {
                    e
                } else {
                    format!("{name}: {e}")
                });
            }
        }
    }
    Err(format!(
        "cuBLASLt could not be loaded (tried {}; set {CUBLASLT_ENV} to its path)",
        tried.join("; ")
    ))
}

/// `13.1.0` from cuBLASLt's `major * 10000 + minor * 100 + patch`.
fn format_lt_version(v: usize) -> String {
    format!("{}.{}.{}", v / 10_000, (v / 100) % 100, v % 100)
}

fn lt_check(s: lt::Status, step: &str) -> Result<(), String> {
    if s == lt::STATUS_SUCCESS {
        Ok(())
    } else {
        Err(format!("{step}: {}", lt::status_name(s)))
    }
}

/// One cuBLASLt product, fully described and with its algorithm fixed: the
/// same algorithm every time keeps results bitwise reproducible.
struct LtPlan {
    api: &'static lt::Api,
    /// Keeps the context alive and current while cuBLASLt objects are freed.
    ctx: Arc<CudaContext>,
    handle: lt::Handle,
    desc: lt::MatmulDesc,
    /// Layouts in cuBLAS (column-major) terms: `la` describes our B, `lb`
    /// our A, `lc` the output (C and D).
    la: lt::Layout,
    lb: lt::Layout,
    lc: lt::Layout,
    pref: lt::Preference,
    algo: lt::Algo,
    /// fp64 products take fp64 alpha/beta.
    f64_scale: bool,
}

// SAFETY: the handles are plain pointers into cuBLASLt, used by one thread at
// a time (the worker owns the plan); cuBLASLt handles may move across threads.
unsafe impl Send for LtPlan {}

impl LtPlan {
    fn new(
        lib: &'static LtLib,
        ctx: &Arc<CudaContext>,
        dtype: Dtype,
        n: u64,
    ) -> Result<Self, String> {
        let api = &lib.api;
        let (in_type, out_type, compute, scale) = match dtype {
            Dtype::Bf16 => (lt::R_16BF, lt::R_32F, lt::COMPUTE_32F, lt::R_32F),
            Dtype::Fp16 => (lt::R_16F, lt::R_32F, lt::COMPUTE_32F, lt::R_32F),
            Dtype::Tf32 => (lt::R_32F, lt::R_32F, lt::COMPUTE_32F_FAST_TF32, lt::R_32F),
            Dtype::Fp32 => (lt::R_32F, lt::R_32F, lt::COMPUTE_32F, lt::R_32F),
            Dtype::Fp64 => (lt::R_64F, lt::R_64F, lt::COMPUTE_64F, lt::R_64F),
        };
        ctx.bind_to_thread()
            .map_err(|e| format!("cuBLASLt setup: binding context: {}", describe(e.0)))?;
        let mut plan = Self {
            api,
            ctx: ctx.clone(),
            handle: std::ptr::null_mut(),
            desc: std::ptr::null_mut(),
            la: std::ptr::null_mut(),
            lb: std::ptr::null_mut(),
            lc: std::ptr::null_mut(),
            pref: std::ptr::null_mut(),
            algo: lt::Algo::default(),
            f64_scale: dtype == Dtype::Fp64,
        };
        // Every object goes into `plan` as soon as it exists, so an error on
        // the way out still frees what was made (Drop skips nulls).
        // SAFETY (this block): each call gets valid out-pointers and objects
        // created just above; attribute buffers match the attribute's type
        // (int32 for TRANSA/B, uint64 for the workspace size).
        unsafe {
            lt_check((api.create)(&mut plan.handle), "cublasLtCreate")?;
            lt_check(
                (api.desc_create)(&mut plan.desc, compute, scale),
                "cublasLtMatmulDescCreate",
            )?;
            // Row-major C = A * B^T is column-major C^T = B * A^T. B stored
            // row-major N x K is column-major K x N, so cuBLAS "A" = our B
            // with op T; our A is column-major K x M = A^T, op N.
            let (ta, tb) = (lt::OP_T, lt::OP_N);
            let int = std::mem::size_of::<c_int>();
            lt_check(
                (api.desc_set)(
                    plan.desc,
                    lt::DESC_TRANSA,
                    (&ta as *const c_int).cast(),
                    int,
                ),
                "cublasLtMatmulDescSetAttribute(TRANSA)",
            )?;
            lt_check(
                (api.desc_set)(
                    plan.desc,
                    lt::DESC_TRANSB,
                    (&tb as *const c_int).cast(),
                    int,
                ),
                "cublasLtMatmulDescSetAttribute(TRANSB)",
            )?;
            let ld = n as i64;
            lt_check(
                (api.layout_create)(&mut plan.la, in_type, n, n, ld),
                "cublasLtMatrixLayoutCreate(A)",
            )?;
            lt_check(
                (api.layout_create)(&mut plan.lb, in_type, n, n, ld),
                "cublasLtMatrixLayoutCreate(B)",
            )?;
            lt_check(
                (api.layout_create)(&mut plan.lc, out_type, n, n, ld),
                "cublasLtMatrixLayoutCreate(C)",
            )?;
            lt_check(
                (api.pref_create)(&mut plan.pref),
                "cublasLtMatmulPreferenceCreate",
            )?;
            let ws = WORKSPACE_BYTES as u64;
            lt_check(
                (api.pref_set)(
                    plan.pref,
                    lt::PREF_MAX_WORKSPACE_BYTES,
                    (&ws as *const u64).cast(),
                    std::mem::size_of::<u64>(),
                ),
                "cublasLtMatmulPreferenceSetAttribute(MAX_WORKSPACE_BYTES)",
            )?;
            let mut result = lt::HeuristicResult::default();
            let mut count: c_int = 0;
            lt_check(
                (api.heuristic)(
                    plan.handle,
                    plan.desc,
                    plan.la,
                    plan.lb,
                    plan.lc,
                    plan.lc,
                    plan.pref,
                    1,
                    &mut result,
                    &mut count,
                ),
                "cublasLtMatmulAlgoGetHeuristic",
            )?;
            if count < 1 {
                return Err(format!(
                    "cublasLtMatmulAlgoGetHeuristic: no algorithm for {dtype:?} {n}x{n}x{n}"
                ));
            }
            lt_check(
                result.state,
                "cublasLtMatmulAlgoGetHeuristic (algorithm state)",
            )?;
            plan.algo = result.algo;
        }
        Ok(plan)
    }

    /// Enqueues `c = a * b^T` on `stream` (raw device pointers).
    fn matmul(
        &self,
        a: u64,
        b: u64,
        c: u64,
        workspace: u64,
        stream: &CudaStream,
    ) -> Result<(), String> {
        let (one32, zero32, one64, zero64) = (1.0f32, 0.0f32, 1.0f64, 0.0f64);
        let (alpha, beta): (*const c_void, *const c_void) = if self.f64_scale {
            (
                (&one64 as *const f64).cast(),
                (&zero64 as *const f64).cast(),
            )
        } else {
            (
                (&one32 as *const f32).cast(),
                (&zero32 as *const f32).cast(),
            )
        };
        // SAFETY: descriptors were built for these buffers' types and sizes;
        // the pointers are live device allocations owned by the worker; beta
        // is 0 so C is not read (it is D itself).
        let s = unsafe {
            (self.api.matmul)(
                self.handle,
                self.desc,
                alpha,
                b as *const c_void,
                self.la,
                a as *const c_void,
                self.lb,
                beta,
                c as *const c_void,
                self.lc,
                c as *mut c_void,
                self.lc,
                &self.algo,
                workspace as *mut c_void,
                WORKSPACE_BYTES,
                stream.cu_stream().cast(),
            )
        };
        lt_check(s, "cublasLtMatmul")
    }
}

impl Drop for LtPlan {
    fn drop(&mut self) {
        // Errors are ignored: nothing useful can be done with them here.
        let _ = self.ctx.bind_to_thread();
        // SAFETY: each object was created by this plan and is freed once.
        unsafe {
            if !self.pref.is_null() {
                (self.api.pref_destroy)(self.pref);
            }
            for l in [self.lc, self.lb, self.la] {
                if !l.is_null() {
                    (self.api.layout_destroy)(l);
                }
            }
            if !self.desc.is_null() {
                (self.api.desc_destroy)(self.desc);
            }
            if !self.handle.is_null() {
                (self.api.destroy)(self.handle);
            }
        }
    }
}

// ---------------------------------------------------------------------------
// The worker

enum Gemm {
    Builtin {
        func: CudaFunction,
        cfg: LaunchConfig,
    },
    Lt {
        plan: LtPlan,
        workspace: DevBuf,
    },
}

/// How results are checked against the reference.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Verify {
    /// Checksums must be equal (the engine is bitwise reproducible).
    Exact,
    /// The engine was seen not to be reproducible: every buffer is compared
    /// element-wise with this relative tolerance.
    Tolerance(f64),
}

struct Burn {
    setup: BurnSetup,
    // Kernels and GEMM before the buffers: they are released first.
    gemm: Gemm,
    checksum: CudaFunction,
    compare: CudaFunction,
    a: DevBuf,
    b: DevBuf,
    reference: DevBuf,
    results: Vec<DevBuf>,
    /// One checksum per result buffer (plus one for setup checks).
    slots: DevBuf,
    /// Compare kernel outputs: mismatches, checksum.
    counters: DevBuf,
    start_ev: CudaEvent,
    end_ev: CudaEvent,
    /// One (start, end) pair per product of a batch, so product time is
    /// measured without the checksums interleaved between products.
    product_events: Vec<(CudaEvent, CudaEvent)>,
    stream: Arc<CudaStream>,
    ctx: Arc<CudaContext>,
    dtype: Dtype,
    n: u64,
    sm_count: u32,
    reference_sum: u64,
    verify: Verify,
    products_per_batch: u64,
    /// Target device time of one batch (from the config).
    batch_seconds: f64,
    /// Next result buffer to write: batches cycle through all of them.
    cursor: usize,
    batch: u64,
    inject_at: Option<u64>,
}

/// `step: CUDA_ERROR_NAME (code)`, for `map_err`.
fn de(step: &'static str) -> impl Fn(DriverError) -> String {
    move |e| format!("{step}: {}", describe(e.0))
}

fn in_elem_bytes(d: Dtype) -> u64 {
    match d {
        Dtype::Bf16 | Dtype::Fp16 => 2,
        Dtype::Tf32 | Dtype::Fp32 => 4,
        Dtype::Fp64 => 8,
    }
}

fn out_elem_bytes(d: Dtype) -> u64 {
    if d == Dtype::Fp64 {
        8
    } else {
        4
    }
}

fn dtype_name(d: Dtype) -> &'static str {
    match d {
        Dtype::Bf16 => "bf16",
        Dtype::Fp16 => "fp16",
        Dtype::Tf32 => "tf32",
        Dtype::Fp32 => "f32",
        Dtype::Fp64 => "f64",
    }
}

/// Tolerance used only when an engine turns out not to be reproducible.
fn fallback_tolerance(d: Dtype) -> f64 {
    match d {
        Dtype::Fp64 => 1e-12,
        _ => 1e-5,
    }
}

/// The fill kernels' 32-bit seeds for A and B from the run's seed (the same
/// on every GPU of a run, so their reference products can be compared). All
/// 64 bits count, and A and B always differ.
fn operand_seeds(seed: u64) -> (u32, u32) {
    let folded = (seed as u32) ^ ((seed >> 32) as u32);
    (folded, folded ^ 0x5BD1_E995)
}

/// Result buffers that fit the budget after the fixed allocations.
fn result_buffer_count(budget: u64, fixed: u64, out_bytes: u64) -> u64 {
    (budget.saturating_sub(fixed).saturating_sub(MARGIN_BYTES) / out_bytes.max(1))
        .clamp(1, MAX_RESULT_BUFFERS)
}

/// About a second of products; stretched to write every buffer once when
/// that stays within [`COVER_ALL_LIMIT_S`].
fn products_per_batch(t_product_s: f64, buffers: u64, target_s: f64) -> u64 {
    if !(t_product_s.is_finite() && t_product_s > 0.0) {
        return buffers.max(1);
    }
    let p = ((target_s / t_product_s).round() as u64).clamp(1, MAX_PRODUCTS_PER_BATCH);
    if p < buffers && buffers as f64 * t_product_s <= COVER_ALL_LIMIT_S * target_s {
        buffers
    } else {
        p
    }
}

/// Environment variable that, when set, makes a cuBLASLt worker compare its
/// reference product with the built-in kernel's at setup (result in `detail`).
pub const CROSS_CHECK_ENV: &str = "GPUCTL_BURN_CROSSCHECK";

/// The built-in GEMM kernel for `dtype`, its launch configuration (LAUNCH
/// notes in kernels/gemm.cu: 128 threads for the tensor-core kernels, 256 for
/// the SIMT ones, one block per 128 x 128 tile, no dynamic shared memory) and
/// its name.
fn builtin_gemm(
    load: &impl Fn(&str) -> Result<CudaFunction, String>,
    dtype: Dtype,
    n: u32,
) -> Result<(CudaFunction, LaunchConfig, String), String> {
    let name = format!("gpuctl_gemm_{}", dtype_name(dtype));
    let threads = match dtype {
        Dtype::Bf16 | Dtype::Fp16 | Dtype::Tf32 => 128,
        Dtype::Fp32 | Dtype::Fp64 => 256,
    };
    let cfg = LaunchConfig {
        grid_dim: (n / 128, n / 128, 1),
        block_dim: (threads, 1, 1),
        shared_mem_bytes: 0,
    };
    Ok((load(&name)?, cfg, name))
}

/// Grid for the grid-stride fill/compare kernels.
fn stride_grid(n: u64) -> LaunchConfig {
    LaunchConfig {
        grid_dim: (n.div_ceil(256).clamp(1, 65_535) as u32, 1, 1),
        block_dim: (256, 1, 1),
        shared_mem_bytes: 0,
    }
}

/// A plain device allocation (`cuMemAlloc` / `cuMemFree`) rather than
/// cudarc's stream-ordered pool: a pool keeps freed memory reserved while the
/// context lives, and cuBLASLt's runtime keeps the primary context alive, so
/// a finished burn would hold tens of GiB until the process exits.
struct DevBuf {
    ptr: u64,
    bytes: usize,
    ctx: Arc<CudaContext>,
}

impl DevBuf {
    fn new(ctx: &Arc<CudaContext>, bytes: usize) -> Result<Self, DriverError> {
        ctx.bind_to_thread()?;
        // SAFETY: plain allocation in the current (just bound) context.
        let ptr = unsafe { cu::malloc_sync(bytes) }?;
        Ok(Self {
            ptr,
            bytes,
            ctx: ctx.clone(),
        })
    }
}

impl Drop for DevBuf {
    fn drop(&mut self) {
        let _ = self.ctx.bind_to_thread();
        // SAFETY: allocated by `new`, freed once; the owner synchronized the
        // stream first, so no queued work still uses it.
        let _ = unsafe { cu::free_sync(self.ptr) };
    }
}

impl Burn {
    fn new(ordinal: u32, config: &BurnConfig) -> Result<Self, String> {
        let dtype = config.dtype;
        let n = u64::from(config.matrix_size.unwrap_or(matrix_size(dtype)));
        let elems = n * n;
        let in_bytes = elems * in_elem_bytes(dtype);
        let out_bytes = elems * out_elem_bytes(dtype);

        let ctx = CudaContext::new(ordinal as usize).map_err(de("context creation failed"))?;
        // The legacy default stream: one stream means cudarc never records
        // per-buffer events, and cuBLASLt and synchronous copies order with it.
        let stream = ctx.default_stream();
        let module = ctx
            .load_module(Ptx::from_src(kernels::GEMM_PTX))
            .map_err(de("GEMM module load failed"))?;
        let func = |name: &str| {
            module
                .load_function(name)
                .map_err(|e| format!("kernel {name} lookup failed: {}", describe(e.0)))
        };
        let fill = func(match dtype {
            Dtype::Bf16 => "gpuctl_fill_bf16",
            Dtype::Fp16 => "gpuctl_fill_f16",
            Dtype::Tf32 | Dtype::Fp32 => "gpuctl_fill_f32",
            Dtype::Fp64 => "gpuctl_fill_f64",
        })?;
        let checksum = func("gpuctl_checksum_words")?;
        let compare = func(if dtype == Dtype::Fp64 {
            "gpuctl_compare_f64"
        } else {
            "gpuctl_compare_f32"
        })?;
        let sm_count = ctx
            .attribute(Attr::CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT)
            .map_err(de("SM count query failed"))?
            .max(1) as u32;

        let (free, _total) = ctx.mem_get_info().map_err(de("memory query failed"))?;
        let budget = (free as f64 * config.memory_fraction) as u64;

        // Contents are written (fill, GEMM, memset) before anything reads them.
        let alloc = |bytes: u64, what: &str| -> Result<DevBuf, String> {
            DevBuf::new(&ctx, bytes as usize).map_err(|e| {
                format!(
                    "allocating {what} ({} MiB) failed: {}",
                    bytes >> 20,
                    describe(e.0)
                )
            })
        };
        let a = alloc(in_bytes, "matrix A")?;
        let b = alloc(in_bytes, "matrix B")?;
        let reference = alloc(out_bytes, "reference product")?;
        let slots = alloc(SLOT_COUNT * 8, "checksum slots")?;
        let counters = alloc(2 * 8, "compare counters")?;

        let (gemm, engine_detail, ws_bytes) = match config.engine {
            Engine::Cublas => {
                let lib = lt_lib()?;
                let workspace = alloc(WORKSPACE_BYTES as u64, "cuBLASLt workspace")?;
                let plan = LtPlan::new(lib, &ctx, dtype, n)?;
                // SAFETY: no arguments, returns a number.
                let version = unsafe { (lib.api.get_version)() };
                let detail = format!("cuBLASLt {} ({})", format_lt_version(version), lib.soname);
                (Gemm::Lt { plan, workspace }, detail, WORKSPACE_BYTES as u64)
            }
            Engine::Builtin => {
                let (func, cfg, name) = builtin_gemm(&func, dtype, n as u32)?;
                (Gemm::Builtin { func, cfg }, format!("built-in {name}"), 0)
            }
        };
        // Development aid: check cuBLASLt's product (layouts, transposes)
        // against the independent built-in kernel once at setup.
        let cross_check = match config.engine {
            Engine::Cublas if std::env::var_os(CROSS_CHECK_ENV).is_some_and(|v| !v.is_empty()) => {
                Some(builtin_gemm(&func, dtype, n as u32)?)
            }
            _ => None,
        };

        let fixed = 2 * in_bytes + out_bytes + ws_bytes;
        let want = result_buffer_count(budget, fixed, out_bytes);
        let mut results = Vec::with_capacity(want as usize);
        for i in 0..want {
            // Every buffer is fully written by a product before it is read.
            match DevBuf::new(&ctx, out_bytes as usize) {
                Ok(s) => results.push(s),
                // Keep what fits; memory can shrink under us (other processes).
                Err(_) if i > 0 => break,
                Err(e) => {
                    return Err(format!(
                        "out of GPU memory: could not allocate even one {} MiB result buffer \
                         ({}); free memory was {} MiB",
                        out_bytes >> 20,
                        describe(e.0),
                        free >> 20
                    ))
                }
            }
        }

        let timing = Some(cudarc::driver::sys::CUevent_flags::CU_EVENT_DEFAULT);
        let start_ev = ctx.new_event(timing).map_err(de("event creation failed"))?;
        let end_ev = ctx.new_event(timing).map_err(de("event creation failed"))?;

        let memory_bytes = fixed + out_bytes * results.len() as u64 + (SLOT_COUNT + 2) * 8;
        let setup = BurnSetup {
            engine: config.engine,
            dtype,
            matrix_size: n as u32,
            result_buffers: results.len() as u32,
            memory_bytes,
            detail: engine_detail,
        };
        let mut w = Burn {
            setup,
            gemm,
            checksum,
            compare,
            a,
            b,
            reference,
            results,
            slots,
            counters,
            start_ev,
            end_ev,
            product_events: Vec::new(),
            stream,
            ctx,
            dtype,
            n,
            sm_count,
            reference_sum: 0,
            verify: Verify::Exact,
            products_per_batch: 1,
            batch_seconds: config.batch_seconds,
            cursor: 0,
            batch: 0,
            inject_at: config.inject_fault_at_batch,
        };

        // Operands from the run's seed: fresh each run (a stuck fault cannot
        // hide behind a cached answer), shared by the run's GPUs (comparable).
        let (seed_a, seed_b) = operand_seeds(config.seed);
        w.fill(&fill, &w.a, elems, seed_a)?;
        w.fill(&fill, &w.b, elems, seed_b)?;
        w.reference_product_and_timing()?;
        if let Some((func, cfg, name)) = cross_check {
            w.cross_check(&func, cfg, &name)?;
        }
        Ok(w)
    }

    /// Runs the built-in kernel into the first result buffer and counts the
    /// elements that differ from the reference by more than 1% (relative):
    /// rounding gives a few near-zero elements, a layout error nearly all.
    fn cross_check(
        &mut self,
        func: &CudaFunction,
        cfg: LaunchConfig,
        name: &str,
    ) -> Result<(), String> {
        let (a, b) = (self.a.ptr, self.b.ptr);
        let c = self.results[0].ptr;
        let m = self.n as c_int;
        let mut l = self.stream.launch_builder(func);
        l.arg(&a).arg(&b).arg(&c).arg(&m).arg(&m).arg(&m);
        // SAFETY: as in `product` for the built-in engine.
        unsafe { l.launch(cfg) }.map_err(de("cross-check kernel launch failed"))?;
        let beyond = self.compare_elements(c, 1e-2)?;
        self.setup.detail.push_str(&format!(
            "; cross-check vs {name}: {beyond} of {} elements differ by > 1%",
            self.n * self.n
        ));
        Ok(())
    }

    fn fill(&self, fill: &CudaFunction, buf: &DevBuf, elems: u64, seed: u32) -> Result<(), String> {
        let p = buf.ptr;
        let mut l = self.stream.launch_builder(fill);
        l.arg(&p).arg(&elems).arg(&seed);
        // SAFETY: gpuctl_fill_*(T* p, u64 n, u32 seed); buf holds n elements of T.
        unsafe { l.launch(stride_grid(elems)) }.map_err(de("fill kernel launch failed"))?;
        Ok(())
    }

    /// Enqueues zeroing `buf`.
    fn zero(&self, buf: &DevBuf) -> Result<(), DriverError> {
        // SAFETY: the whole live allocation, on the worker's stream.
        unsafe { cu::memset_d8_async(buf.ptr, 0, buf.bytes, self.stream.cu_stream()) }
    }

    /// `buf` as u64s, after all work queued before it; synchronous.
    fn download(&self, buf: &DevBuf) -> Result<Vec<u64>, DriverError> {
        let mut host = vec![0u64; buf.bytes / 8];
        // SAFETY: host holds exactly the bytes copied (rounded down to u64s).
        unsafe { cu::memcpy_dtoh_async(&mut host, buf.ptr, self.stream.cu_stream()) }?;
        self.stream.synchronize()?;
        Ok(host)
    }

    /// Enqueues one product into `c` (a raw device pointer to n*n outputs).
    fn product(&self, c: u64) -> Result<(), String> {
        let (a, b) = (self.a.ptr, self.b.ptr);
        match &self.gemm {
            Gemm::Builtin { func, cfg } => {
                let m = self.n as c_int;
                let mut l = self.stream.launch_builder(func);
                l.arg(&a).arg(&b).arg(&c).arg(&m).arg(&m).arg(&m);
                // SAFETY: gpuctl_gemm_*(A, B, C, int M, int N, int K) with
                // M = N = K = 8192 (multiples of 128 and 32) and buffers of
                // n*n elements of the kernel's types; cfg is its LAUNCH config.
                unsafe { l.launch(*cfg) }.map_err(de("GEMM kernel launch failed"))?;
                Ok(())
            }
            Gemm::Lt { plan, workspace } => plan.matmul(a, b, c, workspace.ptr, &self.stream),
        }
    }

    fn words(&self) -> u64 {
        self.n * self.n * out_elem_bytes(self.dtype) / 4
    }

    /// Enqueues the checksum of `buf` into slot `slot` (zeroed beforehand).
    fn checksum_into(&self, buf: u64, slot: usize) -> Result<(), String> {
        let out = self.slots.ptr + 8 * slot as u64;
        let nwords = self.words();
        let mut l = self.stream.launch_builder(&self.checksum);
        l.arg(&buf).arg(&nwords).arg(&out);
        let cfg = LaunchConfig {
            // Enough resident threads to saturate memory bandwidth.
            grid_dim: (self.sm_count * 8, 1, 1),
            block_dim: (256, 1, 1),
            shared_mem_bytes: 0,
        };
        // SAFETY: gpuctl_checksum_words(const u32* p, u64 nwords, u64* out);
        // buf holds nwords words, out is one u64 inside `slots`; block 256.
        unsafe { l.launch(cfg) }.map_err(de("checksum kernel launch failed"))?;
        Ok(())
    }

    /// Elements of `buf` that differ from the reference by more than `tol`
    /// (relative); synchronous.
    fn compare_elements(&self, buf: u64, tol: f64) -> Result<u64, String> {
        self.zero(&self.counters)
            .map_err(de("zeroing compare counters failed"))?;
        let reference = self.reference.ptr;
        let counters = self.counters.ptr;
        let (mism, sum) = (counters, counters + 8);
        let elems = self.n * self.n;
        let tol32 = tol as f32;
        let mut l = self.stream.launch_builder(&self.compare);
        l.arg(&buf).arg(&reference).arg(&elems);
        if self.dtype == Dtype::Fp64 {
            l.arg(&tol);
        } else {
            l.arg(&tol32);
        }
        l.arg(&mism).arg(&sum);
        // SAFETY: gpuctl_compare_f32/f64(c, ref, u64 n, rel_tol, u64*, u64*)
        // with n elements in both buffers; block 256 as required.
        unsafe { l.launch(stride_grid(elems)) }.map_err(de("compare kernel launch failed"))?;
        let host = self
            .download(&self.counters)
            .map_err(de("compare kernel or copy failed"))?;
        Ok(host.first().copied().unwrap_or(0))
    }

    /// Checksums of the listed result buffers (slot i = buffer i), plus
    /// `extra` into the last slot; synchronous.
    fn checksums(&self, buffers: &[usize], extra: Option<u64>) -> Result<Vec<u64>, String> {
        self.zero(&self.slots)
            .map_err(de("zeroing checksum slots failed"))?;
        for &i in buffers {
            self.checksum_into(self.results[i].ptr, i)?;
        }
        if let Some(buf) = extra {
            self.checksum_into(buf, MAX_PRODUCTS_PER_BATCH as usize)?;
        }
        let host = self
            .download(&self.slots)
            .map_err(de("verification kernels or copy failed"))?;
        Ok(host)
    }

    /// Computes the reference, times the product, checks reproducibility and
    /// sizes the batch.
    fn reference_product_and_timing(&mut self) -> Result<(), String> {
        let reference = self.reference.ptr;
        // First product: also pays the JIT and cuBLASLt's lazy loading.
        self.product(reference)?;
        self.stream
            .synchronize()
            .map_err(de("reference product failed"))?;
        // Timed products into the first result buffer: the last one is
        // compared with the reference to see whether the engine reproduces.
        let first = self.results[0].ptr;
        const TIMED: u32 = 3;
        self.start_ev
            .record(&self.stream)
            .map_err(de("event record failed"))?;
        for _ in 0..TIMED {
            self.product(first)?;
        }
        self.end_ev
            .record(&self.stream)
            .map_err(de("event record failed"))?;
        let sums = self.checksums(&[0], Some(reference))?;
        let t_product = f64::from(
            self.start_ev
                .elapsed_ms(&self.end_ev)
                .map_err(de("event timing failed"))?,
        ) / 1e3
            / f64::from(TIMED);
        self.reference_sum = sums[MAX_PRODUCTS_PER_BATCH as usize];
        if sums[0] != self.reference_sum {
            // Not bitwise reproducible (or a fault already): fall back to a
            // tolerance, and say so in the report.
            let tol = fallback_tolerance(self.dtype);
            let beyond = self.compare_elements(first, tol)?;
            if beyond > 0 {
                return Err(format!(
                    "reference check failed: a repeated product differs from the first in \
                     {beyond} elements beyond relative tolerance {tol:e}"
                ));
            }
            self.verify = Verify::Tolerance(tol);
            self.setup.detail.push_str(&format!(
                "; not bitwise reproducible, comparing with relative tolerance {tol:e}"
            ));
        }
        self.products_per_batch =
            products_per_batch(t_product, self.results.len() as u64, self.batch_seconds);
        let timing = Some(cudarc::driver::sys::CUevent_flags::CU_EVENT_DEFAULT);
        self.product_events = (0..self.products_per_batch)
            .map(|_| {
                Ok((
                    self.ctx
                        .new_event(timing)
                        .map_err(de("event creation failed"))?,
                    self.ctx
                        .new_event(timing)
                        .map_err(de("event creation failed"))?,
                ))
            })
            .collect::<Result<_, String>>()?;
        Ok(())
    }

    /// The relative tolerance of the element-wise fallback.
    fn tolerance(&self) -> f64 {
        match self.verify {
            Verify::Tolerance(t) => t,
            Verify::Exact => 0.0,
        }
    }

    fn batch_inner(&mut self) -> Result<BatchResult, String> {
        let started = Instant::now();
        self.ctx
            .bind_to_thread()
            .map_err(de("binding the context failed"))?;
        let nbuf = self.results.len();
        let products = self.products_per_batch;
        // Every product is verified: each one is checksummed right after it
        // is computed (stream order), into its own slot, before a later
        // product may overwrite its buffer.
        let exact = matches!(self.verify, Verify::Exact);
        if exact {
            self.zero(&self.slots)
                .map_err(de("zeroing checksum slots failed"))?;
        }
        let mut gemm_seconds = 0.0;
        let mut last_write = vec![usize::MAX; nbuf];
        let mut mismatched_products = 0;
        let mut mismatched_elements = 0;
        for j in 0..products as usize {
            let i = (self.cursor + j) % nbuf;
            let (start, end) = &self.product_events[j];
            start
                .record(&self.stream)
                .map_err(de("event record failed"))?;
            self.product(self.results[i].ptr)?;
            end.record(&self.stream)
                .map_err(de("event record failed"))?;
            if j == 0 && self.inject_at == Some(self.batch) {
                self.inject_fault(i)?;
            }
            if exact {
                self.checksum_into(self.results[i].ptr, j)?;
            } else {
                // Element-wise fallback (an engine that does not reproduce
                // bit for bit): compare this product before it is overwritten.
                let bad = self.compare_elements(self.results[i].ptr, self.tolerance())?;
                if bad > 0 {
                    mismatched_products += 1;
                    mismatched_elements += bad;
                }
            }
            last_write[i] = j;
        }
        self.cursor = (self.cursor + products as usize) % nbuf;

        if exact {
            let sums = self
                .download(&self.slots)
                .map_err(de("verification kernels or copy failed"))?;
            for j in 0..products as usize {
                if sums.get(j).copied() != Some(self.reference_sum) {
                    mismatched_products += 1;
                    let i = (self.cursor + nbuf - (products as usize % nbuf) + j) % nbuf;
                    // Elements can be counted only where the buffer still
                    // holds this product (its last write in the batch).
                    if last_write[i] == j {
                        mismatched_elements += self.compare_elements(self.results[i].ptr, 0.0)?;
                    } else {
                        mismatched_elements += 1;
                    }
                }
            }
        }
        self.stream
            .synchronize()
            .map_err(de("batch execution failed"))?;
        // Product time only: each pair brackets one product, not the
        // checksum launched after it.
        for (start, end) in self.product_events.iter().take(products as usize) {
            let ms = start.elapsed_ms(end).map_err(de("event timing failed"))?;
            gemm_seconds += f64::from(ms) / 1e3;
        }
        self.batch += 1;
        let n = self.n as f64;
        Ok(BatchResult {
            products,
            flops: 2.0 * n * n * n * products as f64,
            gemm_seconds,
            batch_seconds: started.elapsed().as_secs_f64(),
            mismatched_products,
            mismatched_elements,
        })
    }

    /// Overwrites element 0 of result buffer `i` on the device.
    fn inject_fault(&mut self, i: usize) -> Result<(), String> {
        self.stream
            .synchronize()
            .map_err(de("batch execution failed"))?;
        let dst = self.results[i].ptr;
        // SAFETY: writes one element inside a live allocation of n*n elements;
        // the stream is idle, so nothing races with the write.
        let r = if self.dtype == Dtype::Fp64 {
            unsafe { cu::memcpy_htod_sync(dst, &[INJECTED_VALUE]) }
        } else {
            unsafe { cu::memcpy_htod_sync(dst, &[INJECTED_VALUE as f32]) }
        };
        r.map_err(de("fault injection copy failed"))
    }
}

impl BurnWorker for Burn {
    fn setup(&self) -> &BurnSetup {
        &self.setup
    }

    fn reference_checksum(&self) -> u64 {
        self.reference_sum
    }

    fn run_batch(&mut self) -> Result<BatchResult, String> {
        catch_unwind(AssertUnwindSafe(|| self.batch_inner()))
            .unwrap_or_else(|_| Err(MISSING_SYMBOL.to_string()))
    }
}

impl Drop for Burn {
    fn drop(&mut self) {
        // Let queued work finish before buffers and cuBLASLt objects go.
        let _ = self.ctx.bind_to_thread();
        let _ = self.stream.synchronize();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ffi_layouts_match_cublaslt_h() {
        assert_eq!(std::mem::size_of::<lt::Algo>(), 64);
        assert_eq!(std::mem::size_of::<lt::HeuristicResult>(), 96);
    }

    #[test]
    fn operand_seeds_use_all_bits() {
        let (a, b) = operand_seeds(0x1234_5678_0000_0000);
        assert_ne!(a, b);
        assert_ne!(operand_seeds(1 << 40).0, operand_seeds(0).0);
        assert_eq!(operand_seeds(7), operand_seeds(7));
    }

    #[test]
    fn version_formats() {
        assert_eq!(format_lt_version(130_100), "13.1.0");
        assert_eq!(format_lt_version(120_902), "12.9.2");
    }

    #[test]
    fn status_names() {
        assert_eq!(lt::status_name(15), "CUBLAS_STATUS_NOT_SUPPORTED (15)");
        assert_eq!(lt::status_name(99), "CUBLAS_STATUS_UNKNOWN (99)");
    }

    #[test]
    fn buffer_count_is_clamped() {
        let mib = 1u64 << 20;
        // Budget below the fixed cost still gives one buffer.
        assert_eq!(result_buffer_count(100 * mib, 1024 * mib, 256 * mib), 1);
        // 40 GiB budget, 768 MiB fixed, 256 MiB margin, 256 MiB buffers.
        assert_eq!(
            result_buffer_count(40 * 1024 * mib, 768 * mib, 256 * mib),
            156
        );
        assert_eq!(result_buffer_count(u64::MAX / 2, 0, 256 * mib), 256);
    }

    #[test]
    fn batch_length() {
        // 1.5 ms products, 150 buffers: 667 products (> buffers).
        assert_eq!(products_per_batch(0.0015, 150, 1.0), 667);
        // 10 ms products, 150 buffers: 100 < 150 and 1.5 s covers all.
        assert_eq!(products_per_batch(0.010, 150, 1.0), 150);
        // 25 ms products, 150 buffers: covering all would take 3.75 s.
        assert_eq!(products_per_batch(0.025, 150, 1.0), 40);
        // Slow product: at least one.
        assert_eq!(products_per_batch(5.0, 1, 1.0), 1);
        // Broken timer: cover the buffers, never divide by zero.
        assert_eq!(products_per_batch(0.0, 7, 1.0), 7);
        assert_eq!(products_per_batch(f64::NAN, 7, 1.0), 7);
    }

    #[test]
    fn missing_library_is_an_error_not_a_panic() {
        // Whatever this machine has, asking twice gives the same answer.
        let first = cublaslt_available();
        assert_eq!(first, cublaslt_available());
        if let Err(e) = first {
            assert!(e.contains("libcublasLt.so.13"), "{e}");
            assert!(e.contains("libcublasLt.so.12"), "{e}");
        }
    }

    #[test]
    fn bad_memory_fraction_is_rejected() {
        let cfg = BurnConfig::new(Engine::Builtin, Dtype::Bf16, 0.0, 1);
        assert!(start(0, &cfg).is_err());
    }

    #[test]
    fn gemm_ptx_has_the_entry_points() {
        for name in [
            "gpuctl_gemm_bf16",
            "gpuctl_gemm_fp16",
            "gpuctl_gemm_tf32",
            "gpuctl_gemm_f32",
            "gpuctl_gemm_f64",
            "gpuctl_fill_bf16",
            "gpuctl_fill_f16",
            "gpuctl_fill_f32",
            "gpuctl_fill_f64",
            "gpuctl_compare_f32",
            "gpuctl_compare_f64",
            "gpuctl_checksum_words",
        ] {
            assert!(
                kernels::GEMM_PTX.contains(&format!(".entry {name}(")),
                "{name}"
            );
        }
        for d in [
            Dtype::Bf16,
            Dtype::Fp16,
            Dtype::Tf32,
            Dtype::Fp32,
            Dtype::Fp64,
        ] {
            let name = format!("gpuctl_gemm_{}", dtype_name(d));
            assert!(
                kernels::GEMM_PTX.contains(&format!(".entry {name}(")),
                "{name}"
            );
        }
    }
}
