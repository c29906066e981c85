//! Pure parsers of untrusted text and bytes read from the machine: bytes in, structs out, no I/O.
//!
//! One module per format; one small function per field, each tested alone and with its own
//! property test (no input makes a parser panic). `sys` reads the bytes, `probe` makes sense of
//! what the parsers return.

pub mod cmdline;
pub mod cpuinfo;
pub mod gpt;
pub mod libata;
pub mod live;
pub mod meminfo;
pub mod mountinfo;
pub mod names;
pub mod scsi;
pub mod swaps;
