//! NVML reads built on field values (`nvmlDeviceGetFieldValues`): the
//! probe's verdict reads and the instantaneous power field. Apart from
//! `nvml.rs` so that file stays within its size.

use super::nvml::{milliwatts, reading, row_remap};
use super::{PowerSource, ProbeReadings, Reading, RowRemap};
use nvml_wrapper::enum_wrappers::device::{
    EccCounter, MemoryError, TemperatureSensor, TemperatureThreshold,
};
use nvml_wrapper::enums::device::SampleValue;
use nvml_wrapper::error::NvmlError;
use nvml_wrapper::structs::device::FieldId;
use nvml_wrapper::Device;

/// Everything `probe` judges, read one after another on one handle.
pub(super) fn probe_readings(device: &Device<'_>) -> ProbeReadings {
    use crate::trace::timed;
    let (ecc_volatile_uncorrected, row_remap) =
        timed("ecc and remap fields", || probe_fields(device)).unwrap_or_else(|_| {
            // Field values unavailable: the individual queries.
            (
                reading(device.total_ecc_errors(MemoryError::Uncorrected, EccCounter::Volatile)),
                reading(row_remap(device)),
            )
        });
    ProbeReadings {
        ecc_volatile_uncorrected,
        row_remap,
        temperature_gpu_c: timed("temperature", || {
            reading(device.temperature(TemperatureSensor::Gpu))
        }),
        slowdown_c: timed("slowdown threshold", || {
            reading(device.temperature_threshold(TemperatureThreshold::Slowdown))
        }),
    }
}

/// A field value as an unsigned count.
fn field_u64(value: SampleValue) -> Result<u64, NvmlError> {
    match value {
        SampleValue::U32(v) => Ok(u64::from(v)),
        SampleValue::U64(v) => Ok(v),
        SampleValue::I64(v) => u64::try_from(v).map_err(|_| NvmlError::NotSupported),
        SampleValue::F64(v) if v >= 0.0 => Ok(v as u64),
        SampleValue::F64(_) => Err(NvmlError::NotSupported),
    }
}

/// Volatile uncorrectable ECC total and the four row-remap fields in one
/// `nvmlDeviceGetFieldValues` call: each separate query is a driver round
/// trip of about a millisecond, and the probe's budget is a few of them.
fn probe_fields(device: &Device<'_>) -> Result<(Reading<u64>, Reading<RowRemap>), NvmlError> {
    use nvml_wrapper::sys_exports::field_id::{
        NVML_FI_DEV_ECC_DBE_VOL_TOTAL, NVML_FI_DEV_REMAPPED_COR, NVML_FI_DEV_REMAPPED_FAILURE,
        NVML_FI_DEV_REMAPPED_PENDING, NVML_FI_DEV_REMAPPED_UNC,
    };
    let ids = [
        NVML_FI_DEV_ECC_DBE_VOL_TOTAL,
        NVML_FI_DEV_REMAPPED_COR,
        NVML_FI_DEV_REMAPPED_UNC,
        NVML_FI_DEV_REMAPPED_PENDING,
        NVML_FI_DEV_REMAPPED_FAILURE,
    ]
    .map(FieldId);
    let mut values = device
        .field_values_for(&ids)?
        .into_iter()
        .map(|sample| sample.and_then(|s| s.value).and_then(field_u64));
    let mut next = || values.next().unwrap_or(Err(NvmlError::NotSupported));
    let ecc = reading(next());
    let (cor, unc, pending, failure) = (next(), next(), next(), next());
    let remap = reading((|| {
        Ok(RowRemap {
            correctable: cor?,
            uncorrectable: unc?,
            pending: pending? != 0,
            failure: failure? != 0,
        })
    })());
    Ok((ecc, remap))
}

/// Board power in watts: NVML's instantaneous field where the GPU has it,
/// else `nvmlDeviceGetPowerUsage`, a 1-second average on Ampere and later
/// that smooths peaks and the time to plateau (issue 21).
pub(super) fn power(device: &Device<'_>) -> (Reading<f64>, PowerSource) {
    use nvml_wrapper::sys_exports::field_id::NVML_FI_DEV_POWER_INSTANT;
    let instant = device
        .field_values_for(&[FieldId(NVML_FI_DEV_POWER_INSTANT)])
        .ok()
        .and_then(|v| v.into_iter().next())
        .and_then(|sample| sample.and_then(|s| s.value).and_then(field_u64).ok());
    match instant {
        // Milliwatts, as the average; zero is a GPU that lists the field
        // without filling it.
        Some(mw) if mw > 0 => (Reading::Value(mw as f64 / 1000.0), PowerSource::Instant),
        _ => (
            reading(device.power_usage().map(milliwatts)),
            PowerSource::Average,
        ),
    }
}
