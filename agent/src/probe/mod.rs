//! Hardware probe: identity, CPU, memory, batteries, disks and network, read from a `SysRoot`.

pub mod model;
