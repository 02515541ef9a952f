//! A board's identity as the report shows it (`report::board`): the
//! device layer's readings become text, null where unread. Here, not in
//! the report, so the report model knows no device type.

use super::types::BoardIdentity;
use crate::report::board::BoardReport;

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
