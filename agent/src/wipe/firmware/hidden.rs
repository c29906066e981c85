//! Hidden areas of an ATA drive: a Host Protected Area is removed (SET MAX ADDRESS EXT, or SET
//! ACCESSIBLE MAX ADDRESS EXT on ACS-3 drives, to the native maximum, kept across power cycles)
//! and a Device Configuration Overlay restored to the factory capacity when the plan says so
//! (DEVICE CONFIGURATION RESTORE, refused by drives while an HPA is set: the HPA goes first).
//! The kernel is then told to re-read the capacity, and both areas are measured again — the
//! record says before and after as read from the drive, never as assumed.

use std::time::Duration;

use super::super::capability::read_native_max;
use super::super::report::{HiddenAreas, WipeError};
use super::super::strategy::HiddenPlan;
use super::ata::identify;
use crate::model::{ErrorKind, error_chain};
use crate::parse::erase::parse_dco_identify;
use crate::sys::blockdev::BlockIo;
use crate::sys::passthrough::{AtaCommand, AtaData, Passthrough, PassthroughError, ata};

/// (accessible, native, factory) sectors as the drive says now.
fn measure(
    drive: &mut dyn Passthrough,
    amac: bool,
) -> Result<(u64, u64, Option<u64>), PassthroughError> {
    let id = identify(drive)?;
    let native = drive.ata(&read_native_max(amac), AtaData::None)?.lba + 1;
    let factory = if id.dco_supported {
        let mut d = vec![0u8; 512];
        drive.ata(
            &AtaCommand {
                features: ata::DCO_IDENTIFY,
                ..AtaCommand::new(ata::DEVICE_CONFIGURATION)
            },
            AtaData::In(&mut d),
        )?;
        parse_dco_identify(&d).ok().map(|d| d.factory_sectors())
    } else {
        Some(native)
    };
    Ok((id.capacity_sectors, native, factory))
}

fn set_max(drive: &mut dyn Passthrough, amac: bool, sectors: u64) -> Result<(), PassthroughError> {
    let cmd = if amac {
        AtaCommand {
            features: ata::AMAC_SET_ACCESSIBLE_MAX,
            lba: sectors - 1,
            ext: true,
            timeout: Duration::from_secs(30),
            device: ata::DEVICE_LBA,
            ..AtaCommand::new(ata::ACCESSIBLE_MAX_ADDRESS)
        }
    } else {
        AtaCommand {
            lba: sectors - 1,
            // Bit 0 of COUNT: the new maximum survives power cycles (VV, "value volatile"
            // in ATA8-ACS's words, which means the opposite).
            count: 1,
            ext: true,
            timeout: Duration::from_secs(30),
            device: ata::DEVICE_LBA,
            ..AtaCommand::new(ata::SET_MAX_ADDRESS_EXT)
        }
    };
    drive.ata(&cmd, AtaData::None).map(|_| ())
}

/// Carries out `plan` on the drive and `io` (whose capacity the kernel re-reads). Returns the
/// areas before and after; on failure also the error (the areas then say what is known).
pub fn apply(
    drive: &mut dyn Passthrough,
    io: &mut dyn BlockIo,
    plan: &HiddenPlan,
    dev: &str,
) -> Result<HiddenAreas, Box<(HiddenAreas, WipeError)>> {
    let mut areas = HiddenAreas {
        hpa_sectors_before: plan.hpa_sectors,
        hpa_sectors_after: plan.hpa_sectors,
        dco_sectors_before: plan.dco_sectors,
        dco_sectors_after: plan.dco_sectors,
    };
    let err = |areas: &HiddenAreas, why: String| {
        Box::new((
            areas.clone(),
            WipeError {
                operation: ErrorKind::HiddenArea,
                lba: None,
                sectors: None,
                message: format!("{dev}: {why}"),
            },
        ))
    };
    let hpa = plan.hpa_sectors.unwrap_or(0);
    let dco = plan.dco_sectors.unwrap_or(0);
    let restore = plan.restore_dco && dco > 0;
    if !(restore || hpa > 0 && plan.remove_hpa) {
        return Ok(areas);
    }
    if hpa > 0 && plan.remove_hpa {
        let native = plan.native_sectors.unwrap_or(plan.identify_sectors);
        set_max(drive, plan.amac, native).map_err(|e| {
            err(
                &areas,
                format!(
                    "removing the Host Protected Area ({hpa} sectors) failed: {}",
                    error_chain(&e)
                ),
            )
        })?;
    }
    if restore {
        drive
            .ata(
                &AtaCommand {
                    features: ata::DCO_RESTORE,
                    timeout: Duration::from_secs(30),
                    ..AtaCommand::new(ata::DEVICE_CONFIGURATION)
                },
                AtaData::None,
            )
            .map_err(|e| {
                err(
                    &areas,
                    format!(
                        "restoring the Device Configuration Overlay ({dco} sectors) failed: {}",
                        error_chain(&e)
                    ),
                )
            })?;
    }
    let (accessible, native, factory) = measure(drive, plan.amac).map_err(|e| {
        err(
            &areas,
            format!("reading the capacity again failed: {}", error_chain(&e)),
        )
    })?;
    areas.hpa_sectors_after = Some(native.saturating_sub(accessible));
    areas.dco_sectors_after = factory.map(|f| f.saturating_sub(native));
    let len = io.reread_capacity().map_err(|e| {
        err(
            &areas,
            format!("the kernel could not re-read the capacity: {e}"),
        )
    })?;
    let sector = u64::from(io.sector_size().max(1));
    if len != accessible * sector {
        return Err(err(
            &areas,
            format!(
                "the drive now offers {accessible} sectors, but the kernel sees {} (run again after a reboot)",
                len / sector
            ),
        ));
    }
    Ok(areas)
}
