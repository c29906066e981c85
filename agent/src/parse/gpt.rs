//! Parser of a GUID partition table (UEFI 2.10 §5.3) from the first sectors of a disk: the
//! header (checked by its CRC32), the disk GUID and the partition entries (checked by theirs).
//!
//! The probe uses it to recognise the Reprise stick by its fixed GUIDs — a fact of the medium
//! itself, true whether or not anything on it is mounted.

use std::fmt;

/// A GUID in its usual text form ("52455052-4953-4500-0000-000000000003"). On disk the first
/// three fields are little-endian, the last two big-endian (mixed-endian, as UEFI stores it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Guid(pub [u8; 16]);

impl Guid {
    /// From the 16 bytes as stored on disk.
    pub fn from_disk(b: &[u8; 16]) -> Guid {
        let mut g = [0u8; 16];
        g[0..4].copy_from_slice(&[b[3], b[2], b[1], b[0]]);
        g[4..6].copy_from_slice(&[b[5], b[4]]);
        g[6..8].copy_from_slice(&[b[7], b[6]]);
        g[8..16].copy_from_slice(&b[8..16]);
        Guid(g)
    }

    /// From the text form; `None` when it is not one.
    pub fn parse(s: &str) -> Option<Guid> {
        let hex: String = s.chars().filter(|c| *c != '-').collect();
        let groups: Vec<usize> = s.split('-').map(str::len).collect();
        if groups != [8, 4, 4, 4, 12] {
            return None;
        }
        let bytes = hex::decode(hex).ok()?;
        Some(Guid(bytes.try_into().ok()?))
    }

    pub fn is_zero(&self) -> bool {
        self.0 == [0; 16]
    }
}

impl fmt::Display for Guid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let h = hex::encode(self.0);
        write!(
            f,
            "{}-{}-{}-{}-{}",
            &h[0..8],
            &h[8..12],
            &h[12..16],
            &h[16..20],
            &h[20..32]
        )
    }
}

/// One used partition entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GptPartition {
    /// 1-based entry number (the kernel's partition number).
    pub number: u32,
    pub type_guid: Guid,
    pub unique_guid: Guid,
    pub first_lba: u64,
    pub last_lba: u64,
    /// The partition name (UTF-16LE, up to 36 characters).
    pub name: String,
}

/// A parsed partition table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Gpt {
    /// Logical sector size the header was found with (512 or 4096).
    pub sector_size: u32,
    pub disk_guid: Guid,
    pub partitions: Vec<GptPartition>,
}

/// Why the bytes hold no usable GPT.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GptError {
    #[error("no GPT header (signature \"EFI PART\") at LBA 1 for 512- or 4096-byte sectors")]
    NoHeader,
    #[error("GPT header at byte {offset}: {what}")]
    BadHeader { offset: usize, what: String },
    #[error("GPT entries at byte {offset}: {what}")]
    BadEntries { offset: usize, what: String },
}

/// CRC-32 (IEEE 802.3, reflected, the one UEFI uses for GPT), bit by bit: a few kilobytes are
/// checked once per probe, speed does not matter.
pub fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

fn le32(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(b[at..at + 4].try_into().expect("4 bytes"))
}

fn le64(b: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(b[at..at + 8].try_into().expect("8 bytes"))
}

fn guid_at(b: &[u8], at: usize) -> Guid {
    Guid::from_disk(b[at..at + 16].try_into().expect("16 bytes"))
}

/// Parses the GPT in `head`, the first bytes of a disk (at least 2 sectors plus the entries:
/// 24 KiB covers 128 entries with 4096-byte sectors). Tries 512-byte then 4096-byte sectors.
pub fn parse(head: &[u8]) -> Result<Gpt, GptError> {
    for sector in [512usize, 4096] {
        if head.len() >= 2 * sector && &head[sector..sector + 8] == b"EFI PART" {
            return parse_at(head, sector);
        }
    }
    Err(GptError::NoHeader)
}

fn parse_at(head: &[u8], sector: usize) -> Result<Gpt, GptError> {
    let h = &head[sector..];
    let bad = |what: String| GptError::BadHeader {
        offset: sector,
        what,
    };
    let size = le32(h, 12) as usize;
    if !(92..=sector).contains(&size) {
        return Err(bad(format!("header size {size}")));
    }
    let mut copy = h[..size].to_vec();
    copy[16..20].fill(0);
    let stated = le32(h, 16);
    if crc32(&copy) != stated {
        return Err(bad(format!("header CRC32 {stated:#010x} does not match")));
    }
    let entries_lba = le64(h, 72);
    let count = le32(h, 80) as usize;
    let entry_size = le32(h, 84) as usize;
    if entry_size < 128 || !entry_size.is_multiple_of(8) || count > 1024 {
        return Err(bad(format!("{count} entries of {entry_size} bytes")));
    }
    let start = usize::try_from(entries_lba)
        .ok()
        .and_then(|l| l.checked_mul(sector))
        .ok_or_else(|| bad(format!("entries at LBA {entries_lba}")))?;
    let len = count * entry_size;
    let entries = head
        .get(start..start + len)
        .ok_or_else(|| GptError::BadEntries {
            offset: start,
            what: format!(
                "{len} bytes of entries beyond the {} bytes read",
                head.len()
            ),
        })?;
    let stated = le32(h, 88);
    if crc32(entries) != stated {
        return Err(GptError::BadEntries {
            offset: start,
            what: format!("CRC32 {stated:#010x} does not match"),
        });
    }
    let partitions = entries
        .chunks(entry_size)
        .enumerate()
        .filter_map(|(i, e)| {
            let type_guid = guid_at(e, 0);
            if type_guid.is_zero() {
                return None;
            }
            let units: Vec<u16> = e[56..128]
                .chunks(2)
                .map(|c| u16::from_le_bytes([c[0], c[1]]))
                .take_while(|u| *u != 0)
                .collect();
            Some(GptPartition {
                number: i as u32 + 1,
                type_guid,
                unique_guid: guid_at(e, 16),
                first_lba: le64(e, 32),
                last_lba: le64(e, 40),
                name: String::from_utf16_lossy(&units),
            })
        })
        .collect();
    Ok(Gpt {
        sector_size: sector as u32,
        disk_guid: guid_at(h, 56),
        partitions,
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use proptest::prelude::*;

    /// A minimal, valid GPT head (512-byte sectors) with the given disk GUID and partitions
    /// (unique GUID, name); used by tests elsewhere too.
    pub(crate) fn head(disk: Guid, parts: &[(Guid, &str)]) -> Vec<u8> {
        let mut img = vec![0u8; 34 * 512];
        let to_disk = |g: Guid| {
            let b = g.0;
            let mut d = [0u8; 16];
            d[0..4].copy_from_slice(&[b[3], b[2], b[1], b[0]]);
            d[4..6].copy_from_slice(&[b[5], b[4]]);
            d[6..8].copy_from_slice(&[b[7], b[6]]);
            d[8..16].copy_from_slice(&b[8..16]);
            d
        };
        for (i, (g, name)) in parts.iter().enumerate() {
            let e = &mut img[1024 + i * 128..1024 + (i + 1) * 128];
            e[0..16].copy_from_slice(&to_disk(
                Guid::parse("ebd0a0a2-b9e5-4433-87c0-68b6b72699c7").unwrap(),
            ));
            e[16..32].copy_from_slice(&to_disk(*g));
            e[32..40].copy_from_slice(&(2048u64 * (i as u64 + 1)).to_le_bytes());
            e[40..48].copy_from_slice(&(2048u64 * (i as u64 + 2) - 1).to_le_bytes());
            for (j, u) in name.encode_utf16().enumerate() {
                e[56 + 2 * j..58 + 2 * j].copy_from_slice(&u.to_le_bytes());
            }
        }
        let entries_crc = crc32(&img[1024..1024 + 128 * 128]);
        let h = &mut img[512..];
        h[0..8].copy_from_slice(b"EFI PART");
        h[8..12].copy_from_slice(&0x0001_0000u32.to_le_bytes());
        h[12..16].copy_from_slice(&92u32.to_le_bytes());
        h[24..32].copy_from_slice(&1u64.to_le_bytes());
        h[56..72].copy_from_slice(&to_disk(disk));
        h[72..80].copy_from_slice(&2u64.to_le_bytes());
        h[80..84].copy_from_slice(&128u32.to_le_bytes());
        h[84..88].copy_from_slice(&128u32.to_le_bytes());
        h[88..92].copy_from_slice(&entries_crc.to_le_bytes());
        let crc = crc32(&h[..92]);
        h[16..20].copy_from_slice(&crc.to_le_bytes());
        img
    }

    #[test]
    fn crc32_check_value() {
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
    }

    #[test]
    fn guid_text_round_trip_and_disk_order() {
        let g = Guid::parse("52455052-4953-4500-0000-000000000003").unwrap();
        assert_eq!(g.to_string(), "52455052-4953-4500-0000-000000000003");
        let disk = [
            0x52, 0x50, 0x45, 0x52, 0x53, 0x49, 0x00, 0x45, 0, 0, 0, 0, 0, 0, 0, 3,
        ];
        assert_eq!(Guid::from_disk(&disk), g);
        assert!(Guid::parse("52455052-4953-4500-0000").is_none());
        assert!(Guid::parse("zz455052-4953-4500-0000-000000000003").is_none());
    }

    #[test]
    fn parses_what_it_builds_and_checks_crcs() {
        let disk = Guid::parse("52455052-4953-4500-0000-000000000000").unwrap();
        let p3 = Guid::parse("52455052-4953-4500-0000-000000000003").unwrap();
        let img = head(disk, &[(p3, "REPRISE")]);
        let gpt = parse(&img).unwrap();
        assert_eq!(gpt.disk_guid, disk);
        assert_eq!(gpt.sector_size, 512);
        assert_eq!(gpt.partitions.len(), 1);
        assert_eq!(gpt.partitions[0].unique_guid, p3);
        assert_eq!(gpt.partitions[0].name, "REPRISE");
        assert_eq!(gpt.partitions[0].number, 1);
        let mut bad = img.clone();
        bad[512 + 60] ^= 1;
        assert!(matches!(parse(&bad), Err(GptError::BadHeader { .. })));
        let mut bad = img.clone();
        bad[1024 + 60] ^= 1;
        assert!(matches!(parse(&bad), Err(GptError::BadEntries { .. })));
        assert_eq!(parse(&img[..1000]), Err(GptError::NoHeader));
        assert!(matches!(
            parse(&img[..2000]),
            Err(GptError::BadEntries { .. })
        ));
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..20_000)) {
            let _ = parse(&bytes);
        }

        #[test]
        fn flipped_real_tables_never_panic(at in 0usize..(34 * 512), bit in 0u8..8) {
            let disk = Guid::parse("52455052-4953-4500-0000-000000000000").unwrap();
            let mut img = head(disk, &[(disk, "EFI"), (disk, "REPRISE")]);
            img[at] ^= 1 << bit;
            if let Ok(g) = parse(&img) {
                prop_assert!(g.partitions.len() <= 128);
            }
        }

        #[test]
        fn truncations_never_panic(len in 0usize..(34 * 512)) {
            let disk = Guid::parse("52455052-4953-4500-0000-000000000000").unwrap();
            let img = head(disk, &[(disk, "REPRISE")]);
            let _ = parse(&img[..len]);
        }
    }
}
