//! Pure parsers of untrusted bytes (SMBIOS, ATA IDENTIFY/SMART, NVMe): bytes in, structs out.
pub mod ata;
pub mod ata_smart;
pub mod json;
pub mod mountinfo;
pub mod nvme;
pub mod render;
pub mod smbios;
