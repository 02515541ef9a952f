//! A board's identity as reported (`list`, the RMA bundle's identity
//! sheet): null where it could not be read.

use crate::device::types::BoardIdentity;
use schemars::JsonSchema;
use serde::Serialize;

/// VBIOS, InfoROM versions, board part number and PCI ids.
#[derive(Debug, Clone, Default, PartialEq, Serialize, JsonSchema)]
pub struct BoardReport {
    pub vbios_version: Option<String>,
    /// The InfoROM image version.
    pub inforom_image_version: Option<String>,
    pub inforom_oem_version: Option<String>,
    pub inforom_ecc_version: Option<String>,
    pub inforom_power_version: Option<String>,
    pub board_part_number: Option<String>,
    /// Device and vendor id, `0x233010de`.
    pub pci_device_id: Option<String>,
    /// Subsystem id, `0x16c110de`.
    pub pci_subsystem_id: Option<String>,
}

impl From<&BoardIdentity> for BoardReport {
    fn from(b: &BoardIdentity) -> Self {
        let hex = |v: Option<&u32>| v.map(|v| format!("{v:#010x}"));
        Self {
            vbios_version: b.vbios_version.value().cloned(),
            inforom_image_version: b.inforom_image.value().cloned(),
            inforom_oem_version: b.inforom_oem.value().cloned(),
            inforom_ecc_version: b.inforom_ecc.value().cloned(),
            inforom_power_version: b.inforom_power.value().cloned(),
            board_part_number: b.board_part_number.value().cloned(),
            pci_device_id: hex(b.pci_device_id.value()),
            pci_subsystem_id: hex(b.pci_subsystem_id.value()),
        }
    }
}

impl BoardReport {
    /// The table's fields (the line is left out when nothing was read): `part 692-2G520-0200-000`, `VBIOS ...`,
    /// `InfoROM ...` (`-` where unread).
    pub fn fields(&self) -> Vec<String> {
        let text = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".into());
        vec![
            format!("part {}", text(&self.board_part_number)),
            format!("VBIOS {}", text(&self.vbios_version)),
            format!("InfoROM {}", text(&self.inforom_image_version)),
            format!(
                "PCI id {} sub {}",
                text(&self.pci_device_id),
                text(&self.pci_subsystem_id)
            ),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::types::Reading;

    #[test]
    fn unread_fields_are_null_and_ids_hex() {
        let b = BoardIdentity {
            vbios_version: Reading::Value("96.00.99.00.01".into()),
            pci_device_id: Reading::Value(0x2330_10de),
            ..BoardIdentity::default()
        };
        let r = BoardReport::from(&b);
        assert_eq!(r.vbios_version.as_deref(), Some("96.00.99.00.01"));
        assert_eq!(r.pci_device_id.as_deref(), Some("0x233010de"));
        assert_eq!(r.board_part_number, None);
        assert!(r.fields().contains(&"part -".to_string()));
    }
}
