//! CUDA driver errors as [`DeviceError`]s: one place that turns a `CUresult`
//! into a typed error naming the step, and that turns cudarc's lazy-loader
//! panic (a missing libcuda symbol) into a host-library error.
//!
//! Kept apart from `cuda.rs` so the buffer and burn modules can use it
//! without a module cycle (`cuda.rs` itself starts burns).

use super::{DeviceError, QueryError, CUDA_ERROR_OUT_OF_MEMORY};
use cudarc::driver::result::DriverError;
use cudarc::driver::sys::CUresult;
use std::panic::{catch_unwind, AssertUnwindSafe};

/// The library cudarc loads for the driver API.
pub const LIBCUDA: &str = "libcuda.so.1";

/// What a lazy-loader panic means: the library lacks a symbol we call.
pub fn missing_symbol() -> DeviceError {
    DeviceError::HostLibrary {
        library: LIBCUDA.into(),
        reason: "too old or broken: missing symbol".into(),
    }
}

/// `CUDA_ERROR_NO_DEVICE (100)`: the enum's own name, so no driver call (and
/// no chance of a second failure) is needed to describe an error.
pub fn describe(e: CUresult) -> String {
    format!("{e:?} ({})", e as u32)
}

/// A failed driver call at `step`. Out-of-memory becomes its own variant
/// (requested and free bytes unknown here: 0; allocation sites say more).
pub fn cuda_err(step: impl Into<String>, e: CUresult) -> DeviceError {
    let code = e as u32;
    DeviceError::Cuda {
        step: step.into(),
        code,
        name: format!("{e:?}"),
    }
}

/// `map_err` adaptor for cudarc's safe API.
pub fn de(step: &'static str) -> impl Fn(DriverError) -> DeviceError {
    move |e| cuda_err(step, e.0)
}

/// Whether `e` is CUDA's out-of-memory code.
pub fn is_oom(e: CUresult) -> bool {
    e as u32 == CUDA_ERROR_OUT_OF_MEMORY
}

/// Runs `f`, turning a lazy-loader panic (missing symbol) into an error.
pub fn guarded<T>(f: impl FnOnce() -> Result<T, QueryError>) -> Result<T, QueryError> {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|_| Err(missing_symbol().into()))
}

/// As [`guarded`], for functions that return a [`DeviceError`].
pub fn guarded_dev<T>(f: impl FnOnce() -> Result<T, DeviceError>) -> Result<T, DeviceError> {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|_| Err(missing_symbol()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::Blame;

    #[test]
    fn errors_keep_step_code_and_blame() {
        let e = cuda_err("module load", CUresult::CUDA_ERROR_UNSUPPORTED_PTX_VERSION);
        assert_eq!(
            e.to_string(),
            "module load: CUDA_ERROR_UNSUPPORTED_PTX_VERSION (222)"
        );
        assert_eq!(e.blame(), Blame::Host);
        let oom = cuda_err(
            "cuMemAlloc result buffer 3",
            CUresult::CUDA_ERROR_OUT_OF_MEMORY,
        );
        assert!(oom.is_out_of_memory());
        assert_eq!(oom.blame(), Blame::Contention);
        let ill = cuda_err("batch", CUresult::CUDA_ERROR_ILLEGAL_ADDRESS);
        assert_eq!(ill.blame(), Blame::Gpu);
        assert!(is_oom(CUresult::CUDA_ERROR_OUT_OF_MEMORY));
        assert_eq!(missing_symbol().blame(), Blame::Host);
    }

    #[test]
    fn a_panic_becomes_a_host_library_error() {
        let r: Result<(), DeviceError> = guarded_dev(|| panic!("lazy loader"));
        assert!(matches!(r, Err(DeviceError::HostLibrary { .. })));
    }
}
