//! The real CUDA driver backend (libcuda.so.1, loaded at run time).
//!
//! Enumeration uses only `cuDevice*` queries (no context: creating one costs
//! 200-340 ms per GPU); the self-test creates the primary context, runs the
//! embedded PTX kernel and checks every value against the host reference.
//!
//! cudarc loads symbols lazily and *panics* when the library or a symbol is
//! missing, so the library's presence is checked first and every entry point
//! runs under `catch_unwind`: a broken driver becomes an error, not a crash.

use super::cuerr::{cuda_err, describe, guarded, missing_symbol};
use super::{CudaApi, CudaDevice, DeviceError, QueryError, SelfTestOutcome};
use crate::kernels;
use cudarc::driver::result::DriverError;
use cudarc::driver::sys::{self, CUdevice_attribute_enum as Attr, CUresult};
use cudarc::driver::{CudaContext, LaunchConfig, PushKernelArg};
use cudarc::nvrtc::Ptx;
use std::ffi::{c_char, c_int, CStr};
use std::mem::MaybeUninit;
use std::panic::catch_unwind;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Self-test size: 8 blocks of 256 threads per SM of a 132-SM H100 (a multiple
/// of 256, ~270k threads), enough to touch every SM on any current GPU.
pub const SELFTEST_N: u32 = 132 * 256 * 8;
/// Loop iterations per thread: long enough to exercise the FP32/INT pipes,
/// short enough that the host reference stays in the tens of milliseconds.
pub const SELFTEST_ITERS: u32 = 256;

/// Opens the CUDA driver, or says plainly which library is missing.
pub fn open() -> Result<Arc<dyn CudaApi>, String> {
    // SAFETY: only tries to dlopen the library and drops it again.
    if !unsafe { sys::is_culib_present() } {
        return Err("libcuda.so.1 (CUDA driver) not found".into());
    }
    // SAFETY: cuInit has no preconditions; the lazy loader may panic on a
    // missing symbol, which catch_unwind turns into an error.
    let init =
        catch_unwind(|| unsafe { sys::cuInit(0) }).map_err(|_| missing_symbol().to_string())?;
    match init {
        CUresult::CUDA_SUCCESS => Ok(Arc::new(RealCuda { no_device: false })),
        // No visible device (e.g. CUDA_VISIBLE_DEVICES=""): a valid, empty view.
        CUresult::CUDA_ERROR_NO_DEVICE => Ok(Arc::new(RealCuda { no_device: true })),
        e => Err(format!("CUDA driver failed to initialise: {}", describe(e))),
    }
}

/// The driver, initialised; stateless beyond whether any device is visible.
struct RealCuda {
    /// cuInit said CUDA_ERROR_NO_DEVICE: later device calls would fail with
    /// NOT_INITIALIZED, so answer "no devices" without asking.
    no_device: bool,
}

impl CudaApi for RealCuda {
    fn driver_version(&self) -> Result<i32, QueryError> {
        guarded(|| {
            let mut v: c_int = 0;
            // SAFETY: writes one int.
            check(
                unsafe { sys::cuDriverGetVersion(&mut v) },
                "cuDriverGetVersion",
            )?;
            Ok(v)
        })
    }

    fn devices(&self) -> Result<Vec<CudaDevice>, QueryError> {
        if self.no_device {
            return Ok(Vec::new());
        }
        guarded(|| {
            let mut count: c_int = 0;
            // SAFETY: writes one int.
            check(
                unsafe { sys::cuDeviceGetCount(&mut count) },
                "cuDeviceGetCount",
            )?;
            (0..count.max(0)).map(device_info).collect()
        })
    }

    fn self_test(&self, ordinal: u32, busy: Duration) -> Result<SelfTestOutcome, QueryError> {
        if self.no_device {
            return Err(QueryError::Failed("no CUDA device is visible".into()));
        }
        guarded(|| run_self_test(ordinal, busy))
    }

    fn hold_context(&self, ordinal: u32) -> Result<super::ContextHold, QueryError> {
        if self.no_device {
            return Err(QueryError::Failed("no CUDA device is visible".into()));
        }
        guarded(|| {
            CudaContext::new(ordinal as usize)
                .map(|ctx| Box::new(ctx) as super::ContextHold)
                .map_err(|e| failed("context creation failed", e.0))
        })
    }

    fn open(&self, ordinal: u32) -> Result<Box<dyn super::compute::Context>, QueryError> {
        if self.no_device {
            return Err(DeviceError::HostLibrary {
                library: super::cuerr::LIBCUDA.into(),
                reason: "no CUDA device is visible".into(),
            }
            .into());
        }
        super::compute::cuda::open(ordinal).map_err(QueryError::from)
    }

    fn cublaslt_available(&self) -> Result<(), String> {
        super::cublaslt::available()
    }

    fn start_memtest(
        &self,
        ordinal: u32,
        config: &super::memtest::MemtestConfig,
    ) -> Result<Box<dyn super::memtest::MemtestWorker>, QueryError> {
        super::cuda_memtest::start(ordinal, config)
            .map(|w| Box::new(w) as Box<dyn super::memtest::MemtestWorker>)
    }
}

/// Everything CUDA says about one ordinal, from attribute queries only.
fn device_info(ordinal: c_int) -> Result<CudaDevice, QueryError> {
    let step = |what: &str| format!("device {ordinal}: {what}");
    let mut dev: sys::CUdevice = 0;
    // SAFETY: writes one CUdevice.
    check(
        unsafe { sys::cuDeviceGet(&mut dev, ordinal) },
        &step("cuDeviceGet"),
    )?;

    let mut name_buf = [0 as c_char; 256];
    // SAFETY: the driver writes at most len bytes, NUL-terminated.
    check(
        unsafe { sys::cuDeviceGetName(name_buf.as_mut_ptr(), name_buf.len() as c_int, dev) },
        &step("cuDeviceGetName"),
    )?;
    let name = c_buf_to_string(&name_buf);

    let uuid = device_uuid(dev).map_err(|e| failed(&step("cuDeviceGetUuid"), e))?;
    let pci_bus_id = pci_bus_id(dev).map_err(|e| failed(&step("PCI bus id"), e))?;

    let attr = |a: Attr| -> Result<i32, QueryError> {
        let mut v: c_int = 0;
        // SAFETY: writes one int for a valid device.
        check(
            unsafe { sys::cuDeviceGetAttribute(&mut v, a, dev) },
            &step("cuDeviceGetAttribute"),
        )?;
        Ok(v)
    };
    let major = attr(Attr::CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR)?;
    let minor = attr(Attr::CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR)?;
    let sm_count = attr(Attr::CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT)?;

    let mut total: usize = 0;
    // SAFETY: writes one size_t.
    check(
        unsafe { sys::cuDeviceTotalMem_v2(&mut total, dev) },
        &step("cuDeviceTotalMem"),
    )?;

    Ok(CudaDevice {
        ordinal: ordinal as u32,
        name,
        uuid,
        pci_bus_id,
        compute_capability: (major.max(0) as u32, minor.max(0) as u32),
        sm_count: sm_count.max(0) as u32,
        total_memory_bytes: total as u64,
    })
}

/// `GPU-...` or `MIG-...` as NVML prints it.
///
/// `cuDeviceGetUuid_v2` gives a MIG instance's own UUID; the legacy
/// `cuDeviceGetUuid` gives the parent GPU's. They differ only on a MIG
/// instance, which is how one is told apart.
fn device_uuid(dev: sys::CUdevice) -> Result<String, CUresult> {
    let mut v2 = MaybeUninit::<sys::CUuuid>::zeroed();
    // SAFETY: writes 16 bytes.
    let r = unsafe { sys::cuDeviceGetUuid_v2(v2.as_mut_ptr(), dev) };
    if r != CUresult::CUDA_SUCCESS {
        return Err(r);
    }
    // SAFETY: zero-initialised plain bytes, filled in by the driver.
    let v2 = unsafe { v2.assume_init() }.bytes.map(|b| b as u8);
    let mut v1 = MaybeUninit::<sys::CUuuid>::zeroed();
    // SAFETY: as above; on failure it stays zero and is just not used.
    let r1 = unsafe { sys::cuDeviceGetUuid(v1.as_mut_ptr(), dev) };
    let v1 = unsafe { v1.assume_init() }.bytes.map(|b| b as u8);
    let mig = r1 == CUresult::CUDA_SUCCESS && v1 != v2;
    Ok(format_uuid(if mig { "MIG-" } else { "GPU-" }, &v2))
}

/// `PREFIX` + 8-4-4-4-12 lowercase hex, NVML's format.
fn format_uuid(prefix: &str, b: &[u8; 16]) -> String {
    let hex =
        |r: std::ops::Range<usize>| b[r].iter().map(|x| format!("{x:02x}")).collect::<String>();
    format!(
        "{prefix}{}-{}-{}-{}-{}",
        hex(0..4),
        hex(4..6),
        hex(6..8),
        hex(8..10),
        hex(10..16)
    )
}

/// `0000:18:00.0` (lowercase); from the attributes if the string call fails.
fn pci_bus_id(dev: sys::CUdevice) -> Result<String, CUresult> {
    let mut buf = [0 as c_char; 32];
    // SAFETY: the driver writes at most len bytes, NUL-terminated.
    let r = unsafe { sys::cuDeviceGetPCIBusId(buf.as_mut_ptr(), buf.len() as c_int, dev) };
    if r == CUresult::CUDA_SUCCESS {
        let s = c_buf_to_string(&buf).to_ascii_lowercase();
        if !s.is_empty() {
            return Ok(s);
        }
    }
    let attr = |a: Attr| -> Result<i32, CUresult> {
        let mut v: c_int = 0;
        // SAFETY: writes one int.
        match unsafe { sys::cuDeviceGetAttribute(&mut v, a, dev) } {
            CUresult::CUDA_SUCCESS => Ok(v),
            e => Err(e),
        }
    };
    let domain = attr(Attr::CU_DEVICE_ATTRIBUTE_PCI_DOMAIN_ID)?;
    let bus = attr(Attr::CU_DEVICE_ATTRIBUTE_PCI_BUS_ID)?;
    let device = attr(Attr::CU_DEVICE_ATTRIBUTE_PCI_DEVICE_ID)?;
    Ok(format!("{domain:04x}:{bus:02x}:{device:02x}.0"))
}

/// Context, module, launch, copy back, compare. Every step's error names it.
/// Iterations per busy-phase launch: a few milliseconds on an H100.
const BUSY_ITERS: u32 = 16_384;

fn run_self_test(ordinal: u32, busy: Duration) -> Result<SelfTestOutcome, QueryError> {
    let started = Instant::now();
    let n = SELFTEST_N;
    let iters = SELFTEST_ITERS;
    let block = kernels::SELFTEST_BLOCK;
    let grid = n.div_ceil(block);
    let seed = fresh_seed(ordinal);

    let ctx =
        CudaContext::new(ordinal as usize).map_err(|e| failed("context creation failed", e.0))?;
    crate::trace::mark(&format!("self-test: context on CUDA device {ordinal}"));
    let module = ctx
        .load_module(Ptx::from_src(kernels::SELFTEST_PTX))
        .map_err(|e| failed("module load failed", e.0))?;
    let func = module
        .load_function(kernels::SELFTEST_ENTRY)
        .map_err(|e| failed("kernel lookup failed", e.0))?;
    let stream = ctx.default_stream();
    let alloc = |e: DriverError| failed("device allocation failed", e.0);
    let mut out = stream.alloc_zeros::<u32>(n as usize).map_err(alloc)?;
    let mut sums = stream.alloc_zeros::<u32>(grid as usize).map_err(alloc)?;
    let timing = Some(sys::CUevent_flags::CU_EVENT_DEFAULT);
    let ev = |e: DriverError| failed("event creation failed", e.0);
    let start = ctx.new_event(timing).map_err(ev)?;
    let end = ctx.new_event(timing).map_err(ev)?;

    let cfg = LaunchConfig {
        grid_dim: (grid, 1, 1),
        block_dim: (block, 1, 1),
        shared_mem_bytes: 0,
    };
    let launch_err = |e: DriverError| failed("kernel launch failed", e.0);
    // Warm-up with zero iterations: pays the JIT / lazy-loading cost outside
    // the timed launch. The timed launch rewrites every output.
    let zero = 0u32;
    let mut warm = stream.launch_builder(&func);
    warm.arg(&mut out)
        .arg(&mut sums)
        .arg(&n)
        .arg(&zero)
        .arg(&seed);
    // SAFETY: argument list matches gpuctl_selftest(u32*, u32*, u32, u32, u32);
    // `out` has n elements and `sums` one per block, as the kernel writes.
    unsafe { warm.launch(cfg) }.map_err(launch_err)?;

    start
        .record(&stream)
        .map_err(|e| failed("event record failed", e.0))?;
    let mut timed = stream.launch_builder(&func);
    timed
        .arg(&mut out)
        .arg(&mut sums)
        .arg(&n)
        .arg(&iters)
        .arg(&seed);
    // SAFETY: as above.
    unsafe { timed.launch(cfg) }.map_err(launch_err)?;
    end.record(&stream)
        .map_err(|e| failed("event record failed", e.0))?;

    // The host reference runs while the GPU works.
    let (want_out, want_sums) = kernels::selftest_reference(n, iters, seed, block);

    // A fault inside the kernel (Xid, ECC, illegal address) surfaces here.
    stream
        .synchronize()
        .map_err(|e| failed("kernel execution failed", e.0))?;
    let kernel_ms = f64::from(
        start
            .elapsed_ms(&end)
            .map_err(|e| failed("event timing failed", e.0))?,
    );
    let copy = |e: DriverError| failed("copy to host failed", e.0);
    let got_out = stream.clone_dtoh(&out).map_err(copy)?;
    let got_sums = stream.clone_dtoh(&sums).map_err(copy)?;
    stream.synchronize().map_err(copy)?;

    let mismatches =
        count_mismatches(&got_out, &want_out) + count_mismatches(&got_sums, &want_sums);

    // Keep the GPU busy so callers can sample it under load (idle PCIe
    // links downtrain; throttle reasons only matter when busy). Results of
    // these launches are not checked: the checked launch above did that.
    let busy_start = Instant::now();
    while busy_start.elapsed() < busy {
        let heavy = BUSY_ITERS;
        let mut load = stream.launch_builder(&func);
        load.arg(&mut out)
            .arg(&mut sums)
            .arg(&n)
            .arg(&heavy)
            .arg(&seed);
        // SAFETY: as above.
        unsafe { load.launch(cfg) }.map_err(launch_err)?;
        stream
            .synchronize()
            .map_err(|e| failed("kernel execution failed", e.0))?;
    }
    Ok(SelfTestOutcome {
        mismatches,
        checked: (want_out.len() + want_sums.len()) as u64,
        kernel_ms,
        total_ms: started.elapsed().as_secs_f64() * 1e3,
    })
}

/// Differing positions, plus any the device did not return at all.
fn count_mismatches(got: &[u32], want: &[u32]) -> u64 {
    let differ = got.iter().zip(want).filter(|(g, w)| g != w).count();
    (differ + want.len().abs_diff(got.len())) as u64
}

/// A different seed each run and GPU, so a stuck-at fault cannot hide behind
/// a cached or precomputed answer (splitmix64 of time and ordinal).
fn fresh_seed(ordinal: u32) -> u32 {
    use super::mix::{clock_nanos_or, splitmix64_finish, GOLDEN};
    let z = splitmix64_finish(clock_nanos_or(0) ^ (u64::from(ordinal) << 56) ^ GOLDEN);
    (z ^ (z >> 32)) as u32
}

fn check(r: CUresult, what: &str) -> Result<(), QueryError> {
    match r {
        CUresult::CUDA_SUCCESS => Ok(()),
        e => Err(failed(&format!("{what} failed"), e)),
    }
}

/// One line: `<step>: CUDA_ERROR_NAME (code)`, with the code kept.
fn failed(step: &str, e: CUresult) -> QueryError {
    cuda_err(step, e).into()
}

/// A NUL-terminated C buffer as a String; no NUL means use the whole buffer.
fn c_buf_to_string(buf: &[c_char]) -> String {
    let bytes: Vec<u8> = buf.iter().map(|&c| c as u8).collect();
    match CStr::from_bytes_until_nul(&bytes) {
        Ok(s) => s.to_string_lossy().into_owned(),
        Err(_) => String::from_utf8_lossy(&bytes).into_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuid_formats_like_nvml() {
        let b: [u8; 16] = [
            0x1a, 0x2b, 0x3c, 0x4d, 0x5e, 0x6f, 0x70, 0x81, 0x92, 0xa3, 0xb4, 0xc5, 0xd6, 0xe7,
            0xf8, 0x09,
        ];
        assert_eq!(
            format_uuid("GPU-", &b),
            "GPU-1a2b3c4d-5e6f-7081-92a3-b4c5d6e7f809"
        );
        assert_eq!(
            format_uuid("MIG-", &[0; 16]),
            "MIG-00000000-0000-0000-0000-000000000000"
        );
    }

    #[test]
    fn errors_name_the_step_and_code() {
        let e = failed(
            "module load failed",
            CUresult::CUDA_ERROR_UNSUPPORTED_PTX_VERSION,
        );
        assert_eq!(
            e.to_string(),
            "module load failed: CUDA_ERROR_UNSUPPORTED_PTX_VERSION (222)"
        );
        assert!(matches!(
            e,
            QueryError::Device(DeviceError::Cuda { code: 222, .. })
        ));
        assert_eq!(
            describe(CUresult::CUDA_ERROR_NO_DEVICE),
            "CUDA_ERROR_NO_DEVICE (100)"
        );
    }

    #[test]
    fn mismatches_count_short_reads() {
        assert_eq!(count_mismatches(&[1, 2, 3], &[1, 2, 3]), 0);
        assert_eq!(count_mismatches(&[1, 9, 3], &[1, 2, 3]), 1);
        assert_eq!(count_mismatches(&[1], &[1, 2, 3]), 2);
    }

    #[test]
    fn c_buffers_convert_without_panicking() {
        let with_nul = [b'H' as c_char, b'1' as c_char, 0, b'x' as c_char];
        assert_eq!(c_buf_to_string(&with_nul), "H1");
        let without = [b'a' as c_char, b'b' as c_char];
        assert_eq!(c_buf_to_string(&without), "ab");
    }

    #[test]
    fn seeds_vary_with_ordinal() {
        assert_ne!(fresh_seed(0), fresh_seed(1));
    }

    #[test]
    fn self_test_size_is_whole_blocks() {
        assert_eq!(SELFTEST_N % kernels::SELFTEST_BLOCK, 0);
    }

    #[test]
    fn open_never_panics() {
        // On a machine without a driver this is the "not found" error; with
        // one, it opens. Either way no panic, and no-device is not an error.
        if let Ok(api) = open() {
            let _ = api.driver_version();
            let _ = api.devices();
        }
    }
}
