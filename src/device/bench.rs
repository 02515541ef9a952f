//! The bandwidth and latency benchmark's interface: what `bench` asks of a
//! GPU besides GEMM (which goes through the burn engine).
//!
//! A [`BenchWorker`] owns one GPU's context, device buffers and a pinned
//! host buffer. Each call times its repetitions with CUDA events after a
//! warm-up and verifies the data moved; a wrong result is an error
//! ([`DeviceError::WrongResult`]), since a bandwidth figure over corrupted
//! data means nothing. [`BenchWorker::finish`] wipes the device buffers,
//! verified, before they are freed.

use super::burn::WipeReport;
use super::DeviceError;
use serde::{Deserialize, Serialize};

/// One data movement `bench` measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Transfer {
    /// Device copy kernel: bytes read plus bytes written.
    HbmCopy,
    /// Device read-only kernel (reduces what it reads).
    HbmRead,
    /// Device write-only kernel.
    HbmWrite,
    /// Pinned host memory to the device (copy engine).
    HostToDevice,
    /// The device to pinned host memory (copy engine).
    DeviceToHost,
}

/// What the command asks for.
#[derive(Debug, Clone, PartialEq)]
pub struct BenchConfig {
    /// Bytes per device buffer for the HBM kernels (two buffers are held).
    pub device_bytes: u64,
    /// Bytes of the pinned host buffer for host transfers.
    pub host_bytes: u64,
}

/// One measurement's repetitions.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Timed {
    /// Seconds of device time per repetition (CUDA events).
    pub seconds: Vec<f64>,
    /// Bytes each repetition counts (read plus written for a copy).
    pub bytes_per_rep: u64,
    /// Bytes whose contents were checked after the repetitions.
    pub verified_bytes: u64,
}

/// One GPU under benchmark; lives on its own thread.
pub trait BenchWorker: Send {
    /// Free-form: buffer sizes, launch configuration.
    fn detail(&self) -> String;
    /// Warm-up, then `reps` timed repetitions of `what`, then a check of
    /// the data moved.
    fn transfer(&mut self, what: Transfer, reps: u32) -> Result<Timed, DeviceError>;
    /// GPU kernel spacing: `reps` repetitions, each timing `launches`
    /// back-to-back empty kernels replayed from a CUDA graph (the GPU's
    /// time from one kernel to the next, the host's CPU out of it); seconds
    /// per kernel for each repetition.
    fn kernel_spacing(&mut self, reps: u32, launches: u32) -> Result<Vec<f64>, DeviceError>;
    /// Host launch overhead: `reps` repetitions of `launches` empty kernels,
    /// each launched alone and waited for (stream synchronise) before the
    /// next, timed on the host's wall clock from before the launch to the
    /// return of the wait; the median seconds per launch of each
    /// repetition.
    fn launch_overhead(&mut self, reps: u32, launches: u32) -> Result<Vec<f64>, DeviceError>;
    /// Overwrites the device buffers with zeros and verifies it, before they
    /// are freed (dropping the worker without this still wipes them, but
    /// the result is lost). Call once, after the last measurement or an
    /// error. No default: a report of nothing wiped would pass for a wipe.
    fn finish(&mut self) -> Result<WipeReport, DeviceError>;
}
