//! Pure parsers of untrusted text and bytes read from the machine — SMBIOS tables, ATA IDENTIFY
//! and SMART sectors, NVMe identify data and log pages, partition tables, procfs and sysfs text,
//! time servers' replies: bytes in, structs out, no I/O.
//!
//! One module per format; one small function per field, each tested alone and with its own
//! property test (no input makes a parser panic). `sys` reads the bytes, `probe` makes sense of
//! what the parsers return.

pub mod ata;
pub mod ata_smart;
pub mod cmdline;
pub mod cpuinfo;
pub mod erase;
pub mod gpt;
pub mod json;
pub mod libata;
pub mod live;
pub mod meminfo;
pub mod mountinfo;
pub mod names;
pub mod nvme;
pub mod render;
pub mod sat;
pub mod scsi;
pub mod smbios;
pub mod sntp;
pub mod swaps;
