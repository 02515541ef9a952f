//! `CUDA_VISIBLE_DEVICES` and `CUDA_DEVICE_ORDER`, read the way the CUDA
//! driver reads them.
//!
//! The real driver applies these itself; this module is for the paths that
//! do not go through it: the simulated backend, and NVML-only enumeration
//! (the fast `probe`, or a container without libcuda), so that the same GPUs
//! are chosen either way.

/// How CUDA numbers devices before `CUDA_VISIBLE_DEVICES` picks from them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeviceOrder {
    /// CUDA's default: fastest first, ties in PCI order.
    FastestFirst,
    /// `CUDA_DEVICE_ORDER=PCI_BUS_ID`: the order NVML and nvidia-smi use.
    PciBusId,
}

impl DeviceOrder {
    pub fn from_env() -> Self {
        match std::env::var("CUDA_DEVICE_ORDER").as_deref() {
            Ok("PCI_BUS_ID") => DeviceOrder::PciBusId,
            _ => DeviceOrder::FastestFirst,
        }
    }
}

/// The raw `CUDA_VISIBLE_DEVICES` value; `None` when unset.
pub fn visible_devices_env() -> Option<String> {
    std::env::var("CUDA_VISIBLE_DEVICES").ok()
}

/// Picks devices from `uuids` (already in CUDA order) as the CUDA driver
/// does for the `CUDA_VISIBLE_DEVICES` value `spec`, and returns their
/// positions in the new CUDA order.
///
/// Entries are indices or UUIDs (`GPU-...`/`MIG-...`, a unique prefix is
/// enough). Like the driver, the list ends at the first entry that is
/// invalid, out of range, ambiguous or repeated: later entries are ignored.
pub fn apply(spec: Option<&str>, uuids: &[&str]) -> Vec<usize> {
    let Some(spec) = spec else {
        return (0..uuids.len()).collect();
    };
    let mut picked: Vec<usize> = Vec::new();
    for entry in spec.split(',') {
        let entry = entry.trim();
        let position = match entry.parse::<i64>() {
            Ok(i) if i >= 0 && (i as usize) < uuids.len() => Some(i as usize),
            Ok(_) => None,
            Err(_) => match_uuid(entry, uuids),
        };
        match position {
            Some(p) if !picked.contains(&p) => picked.push(p),
            _ => break,
        }
    }
    picked
}

fn match_uuid(entry: &str, uuids: &[&str]) -> Option<usize> {
    let wanted = entry.to_ascii_lowercase();
    if !(wanted.starts_with("gpu-") || wanted.starts_with("mig-")) || wanted.len() <= 4 {
        return None;
    }
    let mut hits = uuids
        .iter()
        .enumerate()
        .filter(|(_, u)| u.to_ascii_lowercase().starts_with(&wanted));
    match (hits.next(), hits.next()) {
        (Some((p, _)), None) => Some(p),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const UUIDS: [&str; 3] = ["GPU-aaaa-1111", "GPU-bbbb-2222", "GPU-abcd-3333"];

    #[test]
    fn unset_means_every_device() {
        assert_eq!(apply(None, &UUIDS), vec![0, 1, 2]);
    }

    #[test]
    fn empty_means_none() {
        assert_eq!(apply(Some(""), &UUIDS), Vec::<usize>::new());
    }

    #[test]
    fn indices_reorder() {
        assert_eq!(apply(Some("2,0"), &UUIDS), vec![2, 0]);
    }

    #[test]
    fn list_stops_at_first_invalid_entry() {
        assert_eq!(apply(Some("1,7,0"), &UUIDS), vec![1]);
        assert_eq!(apply(Some("-1,0"), &UUIDS), Vec::<usize>::new());
        assert_eq!(apply(Some("0,0,1"), &UUIDS), vec![0]);
    }

    #[test]
    fn uuids_and_unique_prefixes_match_case_insensitively() {
        assert_eq!(apply(Some("GPU-bbbb-2222"), &UUIDS), vec![1]);
        assert_eq!(apply(Some("gpu-abc"), &UUIDS), vec![2]);
        // "GPU-a" matches two devices: ambiguous, so the list ends there.
        assert_eq!(apply(Some("GPU-a,1"), &UUIDS), Vec::<usize>::new());
    }
}
