//! Names of the enumerated SMBIOS values (DSP0134 3.7 §7), in the short forms dmidecode prints,
//! so a technician reading `reprise decode` and `dmidecode` side by side sees the same words.
//! A value outside these tables is not named: callers show it as "unknown (0x..)".

/// Looks a code up in a table of consecutive names starting at `first`.
fn from_list(code: u16, first: u16, names: &'static [&'static str]) -> Option<&'static str> {
    code.checked_sub(first)
        .and_then(|i| names.get(usize::from(i)))
        .copied()
}

/// 7.2.2 System — Wake-up Type (0x00 is "Reserved").
pub fn wake_up_type(code: u16) -> Option<&'static str> {
    from_list(
        code,
        0,
        &[
            "Reserved",
            "Other",
            "Unknown",
            "APM Timer",
            "Modem Ring",
            "LAN Remote",
            "Power Switch",
            "PCI PME#",
            "AC Power Restored",
        ],
    )
}

/// 7.3.1 Base board feature flags, bits 0-4.
pub const BOARD_FEATURES: [&str; 5] = [
    "Board is a hosting board",
    "Board requires at least one daughter board",
    "Board is removable",
    "Board is replaceable",
    "Board is hot swappable",
];

/// 7.3.2 Board Type.
pub fn board_type(code: u16) -> Option<&'static str> {
    from_list(
        code,
        1,
        &[
            "Unknown",
            "Other",
            "Server Blade",
            "Connectivity Switch",
            "System Management Module",
            "Processor Module",
            "I/O Module",
            "Memory Module",
            "Daughter Board",
            "Motherboard",
            "Processor+Memory Module",
            "Processor+I/O Module",
            "Interconnect Board",
        ],
    )
}

/// 7.4.1 Chassis Types (bits 6:0 of byte 05h).
pub fn chassis_type(code: u16) -> Option<&'static str> {
    from_list(
        code,
        1,
        &[
            "Other",
            "Unknown",
            "Desktop",
            "Low Profile Desktop",
            "Pizza Box",
            "Mini Tower",
            "Tower",
            "Portable",
            "Laptop",
            "Notebook",
            "Hand Held",
            "Docking Station",
            "All In One",
            "Sub Notebook",
            "Space-saving",
            "Lunch Box",
            "Main Server Chassis",
            "Expansion Chassis",
            "Sub Chassis",
            "Bus Expansion Chassis",
            "Peripheral Chassis",
            "RAID Chassis",
            "Rack Mount Chassis",
            "Sealed-case PC",
            "Multi-system",
            "CompactPCI",
            "AdvancedTCA",
            "Blade",
            "Blade Enclosing",
            "Tablet",
            "Convertible",
            "Detachable",
            "IoT Gateway",
            "Embedded PC",
            "Mini PC",
            "Stick PC",
        ],
    )
}

/// 7.4.2 Chassis State (boot-up, power supply, thermal).
pub fn chassis_state(code: u16) -> Option<&'static str> {
    from_list(
        code,
        1,
        &[
            "Other",
            "Unknown",
            "Safe",
            "Warning",
            "Critical",
            "Non-recoverable",
        ],
    )
}

/// 7.4.3 Chassis Security Status.
pub fn chassis_security(code: u16) -> Option<&'static str> {
    from_list(
        code,
        1,
        &[
            "Other",
            "Unknown",
            "None",
            "External Interface Locked Out",
            "External Interface Enabled",
        ],
    )
}

/// Structure type names used by chassis contained elements (7.4.4) whose bit 7 is set.
pub fn structure_type(code: u16) -> Option<&'static str> {
    from_list(
        code,
        0,
        &[
            "BIOS",
            "System",
            "Base Board",
            "Chassis",
            "Processor",
            "Memory Controller",
            "Memory Module",
            "Cache",
            "Port Connector",
            "System Slots",
            "On Board Devices",
            "OEM Strings",
            "System Configuration Options",
            "BIOS Language",
            "Group Associations",
            "System Event Log",
            "Physical Memory Array",
            "Memory Device",
            "32-bit Memory Error",
            "Memory Array Mapped Address",
            "Memory Device Mapped Address",
            "Built-in Pointing Device",
            "Portable Battery",
            "System Reset",
            "Hardware Security",
            "System Power Controls",
            "Voltage Probe",
            "Cooling Device",
            "Temperature Probe",
            "Electrical Current Probe",
            "Out-of-band Remote Access",
            "Boot Integrity Services",
            "System Boot",
            "64-bit Memory Error",
            "Management Device",
            "Management Device Component",
            "Management Device Threshold Data",
            "Memory Channel",
            "IPMI Device",
            "Power Supply",
            "Additional Information",
            "Onboard Device",
            "Management Controller Host Interface",
            "TPM Device",
            "Processor",
            "Firmware",
            "String Property",
        ],
    )
}

/// 7.5.1 Processor Type.
pub fn processor_type(code: u16) -> Option<&'static str> {
    from_list(
        code,
        1,
        &[
            "Other",
            "Unknown",
            "Central Processor",
            "Math Processor",
            "DSP Processor",
            "Video Processor",
        ],
    )
}

/// 7.5.0 Processor status (bits 2:0 of byte 18h); 5 and 6 are reserved.
pub fn cpu_status(code: u16) -> Option<&'static str> {
    match code {
        0 => Some("Unknown"),
        1 => Some("Enabled"),
        2 => Some("Disabled By User"),
        3 => Some("Disabled By BIOS"),
        4 => Some("Idle"),
        7 => Some("Other"),
        _ => None,
    }
}

/// 7.5.5 Processor Upgrade.
pub fn processor_upgrade(code: u16) -> Option<&'static str> {
    from_list(
        code,
        1,
        &[
            "Other",
            "Unknown",
            "Daughter Board",
            "ZIF Socket",
            "Replaceable Piggy Back",
            "None",
            "LIF Socket",
            "Slot 1",
            "Slot 2",
            "370-pin Socket",
            "Slot A",
            "Slot M",
            "Socket 423",
            "Socket A (Socket 462)",
            "Socket 478",
            "Socket 754",
            "Socket 940",
            "Socket 939",
            "Socket mPGA604",
            "Socket LGA771",
            "Socket LGA775",
            "Socket S1",
            "Socket AM2",
            "Socket F (1207)",
            "Socket LGA1366",
            "Socket G34",
            "Socket AM3",
            "Socket C32",
            "Socket LGA1156",
            "Socket LGA1567",
            "Socket PGA988A",
            "Socket BGA1288",
            "Socket rPGA988B",
            "Socket BGA1023",
            "Socket BGA1224",
            "Socket BGA1155",
            "Socket LGA1356",
            "Socket LGA2011",
            "Socket FS1",
            "Socket FS2",
            "Socket FM1",
            "Socket FM2",
            "Socket LGA2011-3",
            "Socket LGA1356-3",
            "Socket LGA1150",
            "Socket BGA1168",
            "Socket BGA1234",
            "Socket BGA1364",
            "Socket AM4",
            "Socket LGA1151",
            "Socket BGA1356",
            "Socket BGA1440",
            "Socket BGA1515",
            "Socket LGA3647-1",
            "Socket SP3",
            "Socket SP3r2",
            "Socket LGA2066",
            "Socket BGA1392",
            "Socket BGA1510",
            "Socket BGA1528",
            "Socket LGA4189",
            "Socket LGA1200",
            "Socket LGA4677",
            "Socket LGA1700",
            "Socket BGA1744",
            "Socket BGA1781",
            "Socket BGA1211",
            "Socket BGA2422",
            "Socket LGA1211",
            "Socket LGA2422",
            "Socket LGA5773",
            "Socket BGA5773",
            "Socket AM5",
            "Socket SP5",
            "Socket SP6",
            "Socket BGA883",
            "Socket BGA1190",
            "Socket BGA4129",
            "Socket LGA4710",
            "Socket LGA7529",
        ],
    )
}

/// 7.5.9 Processor Characteristics, bits 2-9 (bit 1 is "Unknown", bit 0 reserved).
pub const PROCESSOR_CHARACTERISTICS: [&str; 8] = [
    "64-bit capable",
    "Multi-Core",
    "Hardware Thread",
    "Execute Protection",
    "Enhanced Virtualization",
    "Power/Performance Control",
    "128-bit Capable",
    "Arm64 SoC ID",
];

/// 7.17.1 Memory Array Location.
pub fn memory_array_location(code: u16) -> Option<&'static str> {
    match code {
        0xA0..=0xA4 => from_list(
            code,
            0xA0,
            &[
                "PC-98/C20 Add-on Card",
                "PC-98/C24 Add-on Card",
                "PC-98/E Add-on Card",
                "PC-98/Local Bus Add-on Card",
                "CXL Add-on Card",
            ],
        ),
        _ => from_list(
            code,
            1,
            &[
                "Other",
                "Unknown",
                "System Board Or Motherboard",
                "ISA Add-on Card",
                "EISA Add-on Card",
                "PCI Add-on Card",
                "MCA Add-on Card",
                "PCMCIA Add-on Card",
                "Proprietary Add-on Card",
                "NuBus",
            ],
        ),
    }
}

/// 7.17.2 Memory Array Use.
pub fn memory_array_use(code: u16) -> Option<&'static str> {
    from_list(
        code,
        1,
        &[
            "Other",
            "Unknown",
            "System Memory",
            "Video Memory",
            "Flash Memory",
            "Non-volatile RAM",
            "Cache Memory",
        ],
    )
}

/// 7.17.3 Memory Array Error Correction Types.
pub fn memory_array_ecc(code: u16) -> Option<&'static str> {
    from_list(
        code,
        1,
        &[
            "Other",
            "Unknown",
            "None",
            "Parity",
            "Single-bit ECC",
            "Multi-bit ECC",
            "CRC",
        ],
    )
}

/// 7.18.1 Memory Device Form Factor.
pub fn memory_form_factor(code: u16) -> Option<&'static str> {
    from_list(
        code,
        1,
        &[
            "Other",
            "Unknown",
            "SIMM",
            "SIP",
            "Chip",
            "DIP",
            "ZIP",
            "Proprietary Card",
            "DIMM",
            "TSOP",
            "Row Of Chips",
            "RIMM",
            "SODIMM",
            "SRIMM",
            "FB-DIMM",
            "Die",
        ],
    )
}

/// 7.18.2 Memory Device Type (0x15-0x17 are reserved and stay unnamed).
pub fn memory_type(code: u16) -> Option<&'static str> {
    match code {
        0x15..=0x17 => None,
        _ => from_list(
            code,
            1,
            &[
                "Other",
                "Unknown",
                "DRAM",
                "EDRAM",
                "VRAM",
                "SRAM",
                "RAM",
                "ROM",
                "Flash",
                "EEPROM",
                "FEPROM",
                "EPROM",
                "CDRAM",
                "3DRAM",
                "SDRAM",
                "SGRAM",
                "RDRAM",
                "DDR",
                "DDR2",
                "DDR2 FB-DIMM",
                "Reserved",
                "Reserved",
                "Reserved",
                "DDR3",
                "FBD2",
                "DDR4",
                "LPDDR",
                "LPDDR2",
                "LPDDR3",
                "LPDDR4",
                "Logical non-volatile device",
                "HBM",
                "HBM2",
                "DDR5",
                "LPDDR5",
                "HBM3",
            ],
        ),
    }
}

/// 7.18.3 Memory Device Type Detail, bits 1-15 (bit 0 reserved).
pub const MEMORY_TYPE_DETAIL: [&str; 15] = [
    "Other",
    "Unknown",
    "Fast-paged",
    "Static Column",
    "Pseudo-static",
    "RAMBus",
    "Synchronous",
    "CMOS",
    "EDO",
    "Window DRAM",
    "Cache DRAM",
    "Non-Volatile",
    "Registered (Buffered)",
    "Unbuffered (Unregistered)",
    "LRDIMM",
];

/// 7.23.1 Portable Battery Device Chemistry.
pub fn battery_chemistry(code: u16) -> Option<&'static str> {
    from_list(
        code,
        1,
        &[
            "Other",
            "Unknown",
            "Lead Acid",
            "Nickel Cadmium",
            "Nickel Metal Hydride",
            "Lithium Ion",
            "Zinc Air",
            "Lithium Polymer",
        ],
    )
}

/// 7.44.1 TPM Device Characteristics, bits 2-5.
pub const TPM_CHARACTERISTICS: [&str; 4] = [
    "TPM Device characteristics not supported",
    "Family configurable via firmware update",
    "Family configurable via platform software support",
    "Family configurable via OEM proprietary mechanism",
];

/// 7.5.2 Processor Family (byte 06h, or word 28h when byte 06h is FEh). 0xBE is ambiguous in
/// the specification (Intel Core 2 or AMD K7) and is named as such, not guessed.
pub fn processor_family(code: u16) -> Option<&'static str> {
    Some(match code {
        0xBE => "Core 2 or K7",
        0x01 => "Other",
        0x02 => "Unknown",
        0x03 => "8086",
        0x04 => "80286",
        0x05 => "80386",
        0x06 => "80486",
        0x07 => "8087",
        0x08 => "80287",
        0x09 => "80387",
        0x0A => "80487",
        0x0B => "Pentium",
        0x0C => "Pentium Pro",
        0x0D => "Pentium II",
        0x0E => "Pentium MMX",
        0x0F => "Celeron",
        0x10 => "Pentium II Xeon",
        0x11 => "Pentium III",
        0x12 => "M1",
        0x13 => "M2",
        0x14 => "Celeron M",
        0x15 => "Pentium 4 HT",
        0x16 => "Intel",
        0x18 => "Duron",
        0x19 => "K5",
        0x1A => "K6",
        0x1B => "K6-2",
        0x1C => "K6-3",
        0x1D => "Athlon",
        0x1E => "AMD29000",
        0x1F => "K6-2+",
        0x20 => "Power PC",
        0x21 => "Power PC 601",
        0x22 => "Power PC 603",
        0x23 => "Power PC 603+",
        0x24 => "Power PC 604",
        0x25 => "Power PC 620",
        0x26 => "Power PC x704",
        0x27 => "Power PC 750",
        0x28 => "Core Duo",
        0x29 => "Core Duo Mobile",
        0x2A => "Core Solo Mobile",
        0x2B => "Atom",
        0x2C => "Core M",
        0x2D => "Core m3",
        0x2E => "Core m5",
        0x2F => "Core m7",
        0x30 => "Alpha",
        0x31 => "Alpha 21064",
        0x32 => "Alpha 21066",
        0x33 => "Alpha 21164",
        0x34 => "Alpha 21164PC",
        0x35 => "Alpha 21164a",
        0x36 => "Alpha 21264",
        0x37 => "Alpha 21364",
        0x38 => "Turion II Ultra Dual-Core Mobile M",
        0x39 => "Turion II Dual-Core Mobile M",
        0x3A => "Athlon II Dual-Core M",
        0x3B => "Opteron 6100",
        0x3C => "Opteron 4100",
        0x3D => "Opteron 6200",
        0x3E => "Opteron 4200",
        0x3F => "FX",
        0x40 => "MIPS",
        0x41 => "MIPS R4000",
        0x42 => "MIPS R4200",
        0x43 => "MIPS R4400",
        0x44 => "MIPS R4600",
        0x45 => "MIPS R10000",
        0x46 => "C-Series",
        0x47 => "E-Series",
        0x48 => "A-Series",
        0x49 => "G-Series",
        0x4A => "Z-Series",
        0x4B => "R-Series",
        0x4C => "Opteron 4300",
        0x4D => "Opteron 6300",
        0x4E => "Opteron 3300",
        0x4F => "FirePro",
        0x50 => "SPARC",
        0x51 => "SuperSPARC",
        0x52 => "MicroSPARC II",
        0x53 => "MicroSPARC IIep",
        0x54 => "UltraSPARC",
        0x55 => "UltraSPARC II",
        0x56 => "UltraSPARC IIi",
        0x57 => "UltraSPARC III",
        0x58 => "UltraSPARC IIIi",
        0x60 => "68040",
        0x61 => "68xxx",
        0x62 => "68000",
        0x63 => "68010",
        0x64 => "68020",
        0x65 => "68030",
        0x66 => "Athlon X4",
        0x67 => "Opteron X1000",
        0x68 => "Opteron X2000",
        0x69 => "Opteron A-Series",
        0x6A => "Opteron X3000",
        0x6B => "Zen",
        0x70 => "Hobbit",
        0x78 => "Crusoe TM5000",
        0x79 => "Crusoe TM3000",
        0x7A => "Efficeon TM8000",
        0x80 => "Weitek",
        0x82 => "Itanium",
        0x83 => "Athlon 64",
        0x84 => "Opteron",
        0x85 => "Sempron",
        0x86 => "Turion 64",
        0x87 => "Dual-Core Opteron",
        0x88 => "Athlon 64 X2",
        0x89 => "Turion 64 X2",
        0x8A => "Quad-Core Opteron",
        0x8B => "Third-Generation Opteron",
        0x8C => "Phenom FX",
        0x8D => "Phenom X4",
        0x8E => "Phenom X2",
        0x8F => "Athlon X2",
        0x90 => "PA-RISC",
        0x91 => "PA-RISC 8500",
        0x92 => "PA-RISC 8000",
        0x93 => "PA-RISC 7300LC",
        0x94 => "PA-RISC 7200",
        0x95 => "PA-RISC 7100LC",
        0x96 => "PA-RISC 7100",
        0xA0 => "V30",
        0xA1 => "Quad-Core Xeon 3200",
        0xA2 => "Dual-Core Xeon 3000",
        0xA3 => "Quad-Core Xeon 5300",
        0xA4 => "Dual-Core Xeon 5100",
        0xA5 => "Dual-Core Xeon 5000",
        0xA6 => "Dual-Core Xeon LV",
        0xA7 => "Dual-Core Xeon ULV",
        0xA8 => "Dual-Core Xeon 7100",
        0xA9 => "Quad-Core Xeon 5400",
        0xAA => "Quad-Core Xeon",
        0xAB => "Dual-Core Xeon 5200",
        0xAC => "Dual-Core Xeon 7200",
        0xAD => "Quad-Core Xeon 7300",
        0xAE => "Quad-Core Xeon 7400",
        0xAF => "Multi-Core Xeon 7400",
        0xB0 => "Pentium III Xeon",
        0xB1 => "Pentium III Speedstep",
        0xB2 => "Pentium 4",
        0xB3 => "Xeon",
        0xB4 => "AS400",
        0xB5 => "Xeon MP",
        0xB6 => "Athlon XP",
        0xB7 => "Athlon MP",
        0xB8 => "Itanium 2",
        0xB9 => "Pentium M",
        0xBA => "Celeron D",
        0xBB => "Pentium D",
        0xBC => "Pentium EE",
        0xBD => "Core Solo",
        0xBF => "Core 2 Duo",
        0xC0 => "Core 2 Solo",
        0xC1 => "Core 2 Extreme",
        0xC2 => "Core 2 Quad",
        0xC3 => "Core 2 Extreme Mobile",
        0xC4 => "Core 2 Duo Mobile",
        0xC5 => "Core 2 Solo Mobile",
        0xC6 => "Core i7",
        0xC7 => "Dual-Core Celeron",
        0xC8 => "IBM390",
        0xC9 => "G4",
        0xCA => "G5",
        0xCB => "ESA/390 G6",
        0xCC => "z/Architecture",
        0xCD => "Core i5",
        0xCE => "Core i3",
        0xCF => "Core i9",
        0xD2 => "C7-M",
        0xD3 => "C7-D",
        0xD4 => "C7",
        0xD5 => "Eden",
        0xD6 => "Multi-Core Xeon",
        0xD7 => "Dual-Core Xeon 3xxx",
        0xD8 => "Quad-Core Xeon 3xxx",
        0xD9 => "Nano",
        0xDA => "Dual-Core Xeon 5xxx",
        0xDB => "Quad-Core Xeon 5xxx",
        0xDD => "Dual-Core Xeon 7xxx",
        0xDE => "Quad-Core Xeon 7xxx",
        0xDF => "Multi-Core Xeon 7xxx",
        0xE0 => "Multi-Core Xeon 3400",
        0xE4 => "Opteron 3000",
        0xE5 => "Sempron II",
        0xE6 => "Embedded Opteron Quad-Core",
        0xE7 => "Phenom Triple-Core",
        0xE8 => "Turion Ultra Dual-Core Mobile",
        0xE9 => "Turion Dual-Core Mobile",
        0xEA => "Athlon Dual-Core",
        0xEB => "Sempron SI",
        0xEC => "Phenom II",
        0xED => "Athlon II",
        0xEE => "Six-Core Opteron",
        0xEF => "Sempron M",
        0xFA => "i860",
        0xFB => "i960",
        0x100 => "ARMv7",
        0x101 => "ARMv8",
        0x102 => "ARMv9",
        0x103 => "ARM",
        0x104 => "SH-3",
        0x105 => "SH-4",
        0x118 => "ARM",
        0x119 => "StrongARM",
        0x12C => "6x86",
        0x12D => "MediaGX",
        0x12E => "MII",
        0x140 => "WinChip",
        0x15E => "DSP",
        0x1F4 => "Video Processor",
        0x200 => "RV32",
        0x201 => "RV64",
        0x202 => "RV128",
        0x258 => "LoongArch",
        0x259 => "Loongson 1",
        0x25A => "Loongson 2",
        0x25B => "Loongson 3",
        0x25C => "Loongson 2K",
        0x25D => "Loongson 3A",
        0x25E => "Loongson 3B",
        0x25F => "Loongson 3C",
        0x260 => "Loongson 3D",
        0x261 => "Loongson 3E",
        0x262 => "Dual-Core Loongson 2K 2xxx",
        0x26C => "Quad-Core Loongson 3A 5xxx",
        0x26D => "Multi-Core Loongson 3A 5xxx",
        0x26E => "Quad-Core Loongson 3B 5xxx",
        0x26F => "Multi-Core Loongson 3B 5xxx",
        0x270 => "Multi-Core Loongson 3C 5xxx",
        0x271 => "Multi-Core Loongson 3D 5xxx",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn named_and_unnamed_codes() {
        assert_eq!(chassis_type(0x0A), Some("Notebook"));
        assert_eq!(chassis_type(0x00), None);
        assert_eq!(chassis_type(0x25), None);
        assert_eq!(memory_type(0x1A), Some("DDR4"));
        assert_eq!(memory_type(0x16), None);
        assert_eq!(memory_form_factor(0x0D), Some("SODIMM"));
        assert_eq!(processor_family(0xC6), Some("Core i7"));
        assert_eq!(processor_family(0x17), None);
        assert_eq!(battery_chemistry(0x05), Some("Nickel Metal Hydride"));
        assert_eq!(memory_array_location(0xA4), Some("CXL Add-on Card"));
        assert_eq!(cpu_status(5), None);
    }
}
