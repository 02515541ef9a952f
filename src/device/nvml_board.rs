//! A board's identity for `list` and the RMA bundle: VBIOS, InfoROM
//! versions, board part number and PCI ids, each read on its own.

use super::nvml::{query_error, reading};
use super::types::{BoardIdentity, Reading};
use nvml_wrapper::enum_wrappers::device::InfoRom;
use nvml_wrapper::Device;

pub(super) fn board_identity(device: &Device<'_>) -> BoardIdentity {
    let pci = device.pci_info();
    let (device_id, subsystem_id) = match pci {
        Ok(p) => (
            Reading::Value(p.pci_device_id),
            p.pci_sub_system_id
                .map_or_else(Reading::default, Reading::Value),
        ),
        Err(e) => {
            let e = query_error(e);
            (Reading::err(e.clone()), Reading::err(e))
        }
    };
    BoardIdentity {
        vbios_version: reading(device.vbios_version()),
        inforom_image: reading(device.info_rom_image_version()),
        inforom_oem: reading(device.info_rom_version(InfoRom::OEM)),
        inforom_ecc: reading(device.info_rom_version(InfoRom::ECC)),
        inforom_power: reading(device.info_rom_version(InfoRom::Power)),
        board_part_number: reading(device.board_part_number()),
        pci_device_id: device_id,
        pci_subsystem_id: subsystem_id,
    }
}
