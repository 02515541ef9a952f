//! A board's identity as reported (`list`, the RMA bundle's identity
//! sheet): null where it could not be read.

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
