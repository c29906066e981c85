//! What a simulated drive answers to a protocol it does not speak. A USB bridge that carries
//! no ATA commands and a SAS disk refuse ATA pass-through with the same words, as real ones
//! do (SAT's ILLEGAL REQUEST); a drive that is not NVMe refuses NVMe admin commands.

use reprise::sys::passthrough::PassthroughError;

/// ATA pass-through refused: a USB bridge or SCSI disk that does not translate ATA commands.
pub(crate) fn no_ata_passthrough(dev: &str) -> PassthroughError {
    PassthroughError::Unsupported {
        dev: dev.to_owned(),
        why: "ATA pass-through refused (ILLEGAL REQUEST, ASC 0x20/0x00): a USB bridge or SCSI disk that does not carry ATA commands".into(),
    }
}

/// An NVMe admin command sent to an ATA or SCSI drive.
pub(crate) fn not_nvme(dev: &str) -> PassthroughError {
    PassthroughError::Unsupported {
        dev: dev.to_owned(),
        why: "not an NVMe drive".into(),
    }
}
