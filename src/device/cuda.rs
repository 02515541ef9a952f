//! The real CUDA driver backend (libcuda.so.1, loaded at run time).
//!
//! Enumeration uses only `cuDevice*` queries (no context: creating one costs
//! 200-340 ms per GPU); workloads (the self-test, memtest, ...) open a
//! context as capabilities through [`CudaApi::open`] (`compute::cuda`).
//!
//! cudarc loads symbols lazily and *panics* when the library or a symbol is
//! missing, so the library's presence is checked first and every entry point
//! runs under `catch_unwind`: a broken driver becomes an error, not a crash.

use super::cuerr::{cuda_err, describe, guarded, missing_symbol};
use super::{CudaApi, CudaDevice, DeviceError, QueryError};
use cudarc::driver::sys::{self, CUdevice_attribute_enum as Attr, CUresult};
use cudarc::driver::CudaContext;
use std::ffi::{c_char, c_int, CStr};
use std::mem::MaybeUninit;
use std::panic::catch_unwind;
use std::sync::Arc;

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
    fn c_buffers_convert_without_panicking() {
        let with_nul = [b'H' as c_char, b'1' as c_char, 0, b'x' as c_char];
        assert_eq!(c_buf_to_string(&with_nul), "H1");
        let without = [b'a' as c_char, b'b' as c_char];
        assert_eq!(c_buf_to_string(&without), "ab");
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
