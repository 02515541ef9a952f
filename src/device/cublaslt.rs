//! cuBLASLt, loaded at run time: a small hand-written FFI over `libloading`,
//! the library search (`GPUCTL_CUBLASLT` first, then cuBLASLt 13 and 12), and
//! [`LtPlan`], one fully described matmul with a fixed algorithm, for any
//! [`Dtype`]. Used by burn; meant for `bench` too.
//!
//! Not cudarc's module: cudarc only tries CUDA 12 sonames and panics on a
//! missing symbol, while this must load cuBLASLt 13 too and fail politely.

use super::burn::Dtype;
use super::cuerr::cuda_err;
use super::DeviceError;
use cudarc::driver::{CudaContext, CudaStream};
use std::ffi::{c_int, c_void};
use std::sync::{Arc, OnceLock};

/// cuBLASLt workspace (its heuristics pick faster kernels given some).
pub const WORKSPACE_BYTES: usize = 32 << 20;

/// Whether cuBLASLt can be loaded; the error names every library tried.
pub fn available() -> Result<(), String> {
    lib().map(|_| ())
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
    pub const PREF_REDUCTION_SCHEME_MASK: c_int = 3;
    /// cublasLtReductionScheme_t mask allowing CUBLASLT_REDUCTION_SCHEME_NONE
    /// alone: no split-K, whose reductions may add in a varying order.
    pub const REDUCTION_SCHEME_NONE_ONLY: u32 = 0;

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
}

/// The loaded library: kept for the life of the process, so the resolved
/// function pointers never dangle.
pub struct LtLib {
    _lib: libloading::Library,
    pub soname: String,
    api: lt::Api,
}

/// Environment variable naming a cuBLASLt library to try first.
pub const CUBLASLT_ENV: &str = "GPUCTL_CUBLASLT";

fn candidates() -> Vec<String> {
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

static LIB: OnceLock<Result<LtLib, String>> = OnceLock::new();

/// The library, loaded once per process.
pub fn lib() -> Result<&'static LtLib, String> {
    LIB.get_or_init(load).as_ref().map_err(Clone::clone)
}

/// What [`LtLib::describe`] says of the library, if this process loaded it
/// (a plan was made on a GPU); never loads it.
pub fn describe_loaded() -> Option<String> {
    LIB.get().and_then(|l| l.as_ref().ok()).map(LtLib::describe)
}

/// As [`lib`], as a host-library error.
pub fn lib_or_host_error() -> Result<&'static LtLib, DeviceError> {
    lib().map_err(|reason| DeviceError::HostLibrary {
        library: "libcublasLt".into(),
        reason,
    })
}

impl LtLib {
    /// `13.1.0 (libcublasLt.so.13)`.
    pub fn describe(&self) -> String {
        // SAFETY: no arguments, returns a number.
        let version = unsafe { (self.api.get_version)() };
        format!("{} ({})", format_lt_version(version), self.soname)
    }
}

fn load() -> Result<LtLib, String> {
    let mut tried = Vec::new();
    for name in candidates() {
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

fn lt_check(s: lt::Status, step: &str) -> Result<(), DeviceError> {
    if s == lt::STATUS_SUCCESS {
        Ok(())
    } else {
        Err(DeviceError::Cublas {
            step: step.into(),
            status: s,
        })
    }
}

/// A product's shape: C (m x n) = A (m x k) * B^T (B stored n x k).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shape {
    pub m: u64,
    pub n: u64,
    pub k: u64,
}

/// One cuBLASLt product, fully described and with its algorithm fixed: the
/// same algorithm every time, and one without split-K reductions, keeps
/// results bitwise reproducible.
pub struct LtPlan {
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
    /// Describes `C = A * B^T` for n x n row-major operands of `dtype` (the
    /// "TN" layout of kernels/gemm.cu) and fixes cuBLASLt's first heuristic
    /// algorithm for it.
    pub fn new(
        lib: &'static LtLib,
        ctx: &Arc<CudaContext>,
        dtype: Dtype,
        n: u64,
    ) -> Result<Self, DeviceError> {
        Self::with_shape(lib, ctx, dtype, Shape { m: n, n, k: n })
    }

    /// As [`LtPlan::new`] for any shape: A is m x k row-major, B is stored
    /// n x k row-major, C = A * B^T is m x n row-major.
    pub fn with_shape(
        lib: &'static LtLib,
        ctx: &Arc<CudaContext>,
        dtype: Dtype,
        shape: Shape,
    ) -> Result<Self, DeviceError> {
        let Shape { m, n, k } = shape;
        let api = &lib.api;
        let (in_type, out_type, compute, scale) = match dtype {
            Dtype::Bf16 => (lt::R_16BF, lt::R_32F, lt::COMPUTE_32F, lt::R_32F),
            Dtype::Fp16 => (lt::R_16F, lt::R_32F, lt::COMPUTE_32F, lt::R_32F),
            Dtype::Tf32 => (lt::R_32F, lt::R_32F, lt::COMPUTE_32F_FAST_TF32, lt::R_32F),
            Dtype::Fp32 => (lt::R_32F, lt::R_32F, lt::COMPUTE_32F, lt::R_32F),
            Dtype::Fp64 => (lt::R_64F, lt::R_64F, lt::COMPUTE_64F, lt::R_64F),
        };
        ctx.bind_to_thread()
            .map_err(|e| cuda_err("cuBLASLt setup: binding context", e.0))?;
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
            // Column-major: cuBLAS "A" = our B as k x n (op T gives n x k),
            // "B" = our A as k x m, D = n x m (= our C, m x n row-major).
            lt_check(
                (api.layout_create)(&mut plan.la, in_type, k, n, k as i64),
                "cublasLtMatrixLayoutCreate(A)",
            )?;
            lt_check(
                (api.layout_create)(&mut plan.lb, in_type, k, m, k as i64),
                "cublasLtMatrixLayoutCreate(B)",
            )?;
            lt_check(
                (api.layout_create)(&mut plan.lc, out_type, n, m, n as i64),
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
            // Bitwise reproducible products: only algorithms without a
            // split-K reduction (burn has no tolerance fallback).
            let mask = lt::REDUCTION_SCHEME_NONE_ONLY;
            lt_check(
                (api.pref_set)(
                    plan.pref,
                    lt::PREF_REDUCTION_SCHEME_MASK,
                    (&mask as *const u32).cast(),
                    std::mem::size_of::<u32>(),
                ),
                "cublasLtMatmulPreferenceSetAttribute(REDUCTION_SCHEME_MASK)",
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
                return Err(DeviceError::HostLibrary {
                    library: lib.soname.clone(),
                    reason: format!("no matmul algorithm for {dtype:?} {m}x{n}x{k}"),
                });
            }
            lt_check(
                result.state,
                "cublasLtMatmulAlgoGetHeuristic (algorithm state)",
            )?;
            plan.algo = result.algo;
        }
        Ok(plan)
    }

    /// Enqueues `c = a * b^T` on `stream` (raw device pointers; `workspace`
    /// holds [`WORKSPACE_BYTES`]).
    pub fn matmul(
        &self,
        a: u64,
        b: u64,
        c: u64,
        workspace: u64,
        stream: &CudaStream,
    ) -> Result<(), DeviceError> {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ffi_layouts_match_cublaslt_h() {
        assert_eq!(std::mem::size_of::<lt::Algo>(), 64);
        assert_eq!(std::mem::size_of::<lt::HeuristicResult>(), 96);
    }

    #[test]
    fn version_formats() {
        assert_eq!(format_lt_version(130_100), "13.1.0");
        assert_eq!(format_lt_version(120_902), "12.9.2");
    }

    #[test]
    fn status_errors_name_the_status() {
        let e = lt_check(15, "cublasLtMatmul").unwrap_err();
        assert_eq!(
            e.to_string(),
            "cublasLtMatmul: CUBLAS_STATUS_NOT_SUPPORTED (15)"
        );
        assert_eq!(e.blame(), crate::device::Blame::Host);
        assert!(lt_check(3, "x").unwrap_err().is_out_of_memory());
        assert!(lt_check(0, "x").is_ok());
    }

    #[test]
    fn missing_library_is_an_error_not_a_panic() {
        // Whatever this machine has, asking twice gives the same answer.
        let first = available();
        assert_eq!(first, available());
        if let Err(e) = first {
            assert!(e.contains("libcublasLt.so.13"), "{e}");
            assert!(e.contains("libcublasLt.so.12"), "{e}");
            let host = lib_or_host_error().err();
            assert!(matches!(host, Some(DeviceError::HostLibrary { .. })));
        }
    }
}
