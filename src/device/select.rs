//! `-i/--gpu`: which GPUs a command runs on.
//!
//! Syntax is checked when arguments are parsed; whether a selector names a
//! real GPU is known only after enumeration, so resolution is separate. Both
//! failures are usage errors that say what is accepted or what exists.

use super::inventory::{canonical_pci, Inventory};
use crate::error::AppError;

/// One comma-separated item of `--gpu`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selector {
    All,
    /// NVML index, as nvidia-smi numbers GPUs.
    Index(u32),
    /// Full UUID or a unique prefix of one (`GPU-8932f937`).
    Uuid(String),
    /// PCI bus id in canonical form.
    PciBusId(String),
}

pub const ACCEPTED: &str = "an index (0), a UUID or unique prefix (GPU-8932f937), a PCI bus id \
                            (0000:18:00.0), a comma list of these, or 'all'";

/// Parses a `--gpu` value; the error names the bad item and what is accepted.
pub fn parse(value: &str) -> Result<Vec<Selector>, String> {
    let mut out = Vec::new();
    for raw in value.split(',') {
        let item = raw.trim();
        let selector = if item.is_empty() {
            return Err(format!(
                "empty GPU selector in '{value}': expected {ACCEPTED}"
            ));
        } else if item.eq_ignore_ascii_case("all") {
            Selector::All
        } else if let Ok(i) = item.parse::<u32>() {
            Selector::Index(i)
        } else if item.contains(':') {
            Selector::PciBusId(canonical_pci(item).ok_or_else(|| bad(item))?)
        } else {
            let lower = item.to_ascii_lowercase();
            if (lower.starts_with("gpu-") || lower.starts_with("mig-")) && item.len() > 4 {
                Selector::Uuid(lower)
            } else {
                return Err(bad(item));
            }
        };
        out.push(selector);
    }
    Ok(out)
}

fn bad(item: &str) -> String {
    format!("invalid GPU selector '{item}': expected {ACCEPTED}")
}

/// Positions in `inventory.gpus` that the selectors name, in inventory
/// order, without repeats. No selectors means every GPU.
pub fn resolve(selectors: &[Selector], inventory: &Inventory) -> Result<Vec<usize>, AppError> {
    let gpus = &inventory.gpus;
    if gpus.is_empty() {
        let hint = match std::env::var("CUDA_VISIBLE_DEVICES") {
            Ok(v) => format!(" (CUDA_VISIBLE_DEVICES='{v}' hides the others)"),
            Err(_) => String::new(),
        };
        return Err(AppError::environment(format!("no GPU found{hint}")));
    }
    // `all` picks every GPU, but the other items must still name real GPUs:
    // `all,99` is a typo to report, not to ignore.
    let everything = selectors.is_empty() || selectors.contains(&Selector::All);
    let mut picked = Vec::new();
    for selector in selectors.iter().filter(|s| **s != Selector::All) {
        let hits: Vec<usize> = (0..gpus.len())
            .filter(|&p| {
                let g = &gpus[p];
                match selector {
                    Selector::All => true,
                    Selector::Index(i) => g.index == *i,
                    Selector::Uuid(prefix) => {
                        g.uuid.to_ascii_lowercase().starts_with(prefix)
                            || g.cuda
                                .iter()
                                .any(|d| d.uuid.to_ascii_lowercase().starts_with(prefix))
                    }
                    Selector::PciBusId(id) => canonical_pci(&g.pci_bus_id).as_ref() == Some(id),
                }
            })
            .collect();
        match hits.as_slice() {
            [] => {
                return Err(AppError::usage(format!(
                    "--gpu: no GPU matches '{}'; GPUs here: {}",
                    describe(selector),
                    available(inventory)
                )))
            }
            [one] => picked.push(*one),
            many => {
                let names: Vec<String> = many
                    .iter()
                    .map(|&p| format!("{} {}", gpus[p].index, gpus[p].uuid))
                    .collect();
                return Err(AppError::usage(format!(
                    "--gpu: GPU selector '{}' is ambiguous: it matches {}",
                    describe(selector),
                    names.join(", ")
                )));
            }
        }
    }
    if everything {
        return Ok((0..gpus.len()).collect());
    }
    picked.sort_unstable();
    picked.dedup();
    Ok(picked)
}

fn describe(selector: &Selector) -> String {
    match selector {
        Selector::All => "all".into(),
        Selector::Index(i) => i.to_string(),
        Selector::Uuid(u) => u.clone(),
        Selector::PciBusId(p) => p.clone(),
    }
}

fn available(inventory: &Inventory) -> String {
    inventory
        .gpus
        .iter()
        .map(|g| format!("{} ({}, {})", g.index, g.uuid, g.pci_bus_id))
        .collect::<Vec<_>>()
        .join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_accepted_form() {
        assert_eq!(
            parse("0, GPU-ABC ,0000:1b:00.0,all").unwrap(),
            vec![
                Selector::Index(0),
                Selector::Uuid("gpu-abc".into()),
                Selector::PciBusId("0000:1b:00.0".into()),
                Selector::All
            ]
        );
        assert_eq!(
            parse("00000000:1B:00.0").unwrap(),
            vec![Selector::PciBusId("0000:1b:00.0".into())]
        );
    }

    #[test]
    fn rejects_garbage_naming_the_item() {
        let err = parse("0,bogus").unwrap_err();
        assert!(err.contains("'bogus'"), "{err}");
        assert!(err.contains("PCI bus id"), "{err}");
        assert!(parse("-1").is_err());
        assert!(parse("GPU-").is_err());
        assert!(parse("zz:00.0").is_err());
        assert!(parse("").unwrap_err().contains("empty"));
        assert!(parse("0,,1").unwrap_err().contains("'0,,1'"));
        assert!(parse("4294967296").unwrap_err().contains("'4294967296'"));
    }
}
