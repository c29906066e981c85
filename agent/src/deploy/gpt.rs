//! The GPT of an image being installed (UEFI 2.10 §5.3): what it needs of the disk before a
//! byte is written ([`Layout`]: sector size, where its last partition ends), and the fix-up
//! after writing ([`fix`]): the backup header and entries moved to the disk's new end, the
//! usable area and the protective MBR stretched to it, the last partition grown to it, every
//! CRC32 recomputed. Pure: bytes in, the sectors to write out.

use crate::parse::gpt::{self, crc32};

/// Why an image's partition table cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GptFixError {
    #[error("the image holds no valid GPT")]
    NotGpt(#[source] gpt::GptError),
    #[error("the image's GPT holds no partition")]
    NoPartition,
    #[error("GPT header field {field} is out of range ({value})")]
    BadField { field: &'static str, value: u64 },
    #[error(
        "the disk ({disk_bytes} bytes) is smaller than the image needs ({needed} bytes: its last partition and the backup GPT)"
    )]
    DiskTooSmall { disk_bytes: u64, needed: u64 },
}

/// What an image's GPT needs of a disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    /// The sector size the table was written for: the disk's must be the same.
    pub sector_size: u32,
    /// Partitions in use.
    pub partitions: usize,
    /// First byte after the last partition.
    pub last_partition_end: u64,
    /// Sectors of one copy of the entry array.
    pub entry_sectors: u64,
}

impl Layout {
    /// The smallest disk that holds every partition and a backup GPT after them.
    pub fn min_disk_bytes(&self) -> u64 {
        self.last_partition_end + (self.entry_sectors + 1) * u64::from(self.sector_size)
    }
}

/// The header fields the fix-up reads (byte offsets in the header sector, UEFI table 5.5).
struct Header<'a> {
    sector: u64,
    raw: &'a [u8],
    size: usize,
    alternate_lba: u64,
    last_usable: u64,
    entries_lba: u64,
    count: usize,
    entry_size: usize,
}

fn le32(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

fn le64(b: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(b[at..at + 8].try_into().unwrap_or([0; 8]))
}

fn header(head: &[u8]) -> Result<(Header<'_>, gpt::Gpt), GptFixError> {
    // The parser checks both CRCs and that the entries are within `head`.
    let table = gpt::parse(head).map_err(GptFixError::NotGpt)?;
    let sector = u64::from(table.sector_size);
    let raw = &head[sector as usize..2 * sector as usize];
    let h = Header {
        sector,
        raw,
        size: le32(raw, 12) as usize,
        alternate_lba: le64(raw, 32),
        last_usable: le64(raw, 48),
        entries_lba: le64(raw, 72),
        count: le32(raw, 80) as usize,
        entry_size: le32(raw, 84) as usize,
    };
    Ok((h, table))
}

/// How many bytes of the image's start [`layout`] and [`fix`] need: the entries may sit
/// anywhere the header says, but never beyond this in any image Reprise accepts.
pub const HEAD_BYTES: usize = 1 << 20;

/// What the GPT at the start of an image (`head`, its first bytes) needs of a disk.
pub fn layout(head: &[u8]) -> Result<Layout, GptFixError> {
    let (h, table) = header(head)?;
    let last = table
        .partitions
        .iter()
        .map(|p| p.last_lba)
        .max()
        .ok_or(GptFixError::NoPartition)?;
    Ok(Layout {
        sector_size: table.sector_size,
        partitions: table.partitions.len(),
        last_partition_end: (last + 1) * h.sector,
        entry_sectors: ((h.count * h.entry_size) as u64).div_ceil(h.sector),
    })
}

/// The last partition, grown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grown {
    /// 1-based partition number.
    pub number: u32,
    pub first_lba: u64,
    pub old_last_lba: u64,
    pub new_last_lba: u64,
    /// Its type GUID, in text form.
    pub type_guid: String,
}

/// The fix-up of an installed image's GPT for a disk of a given size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fixed {
    pub sector_size: u32,
    /// Where the backup header was, and where it goes (LBAs).
    pub backup_lba_before: u64,
    pub backup_lba_after: u64,
    /// The last partition, when it was grown (it already ended at the disk's end otherwise).
    pub grown: Option<Grown>,
    /// The last partition (grown or not): number, first and last LBA.
    pub last_partition: (u32, u64, u64),
    /// Sectors to write, in order: byte offset and whole sectors. The backup copy goes first
    /// and the primary header last, so a cut leaves one valid copy.
    pub writes: Vec<(u64, Vec<u8>)>,
}

/// Sets the header CRC32 over its first `size` bytes (the CRC field counted as zero).
fn seal(header: &mut [u8], size: usize) {
    header[16..20].fill(0);
    let crc = crc32(&header[..size]);
    header[16..20].copy_from_slice(&crc.to_le_bytes());
}

/// The sectors that fit the GPT in `head` (at least [`HEAD_BYTES`] of the disk's start, or all
/// of a smaller image) to a disk of `disk_bytes`.
pub fn fix(head: &[u8], disk_bytes: u64) -> Result<Fixed, GptFixError> {
    let (h, table) = header(head)?;
    let layout = layout(head)?;
    if disk_bytes < layout.min_disk_bytes() {
        return Err(GptFixError::DiskTooSmall {
            disk_bytes,
            needed: layout.min_disk_bytes(),
        });
    }
    let s = h.sector;
    let disk_sectors = disk_bytes / s;
    let backup = disk_sectors - 1;
    let backup_entries = backup - layout.entry_sectors;
    let last_usable = backup_entries - 1;
    if h.size < 92 || h.size > s as usize {
        return Err(GptFixError::BadField {
            field: "header size",
            value: h.size as u64,
        });
    }
    let start = (h.entries_lba * s) as usize;
    let mut entries = head[start..start + h.count * h.entry_size].to_vec();
    entries.resize((layout.entry_sectors * s) as usize, 0);
    let last = table
        .partitions
        .iter()
        .max_by_key(|p| p.last_lba)
        .ok_or(GptFixError::NoPartition)?;
    let mut grown = None;
    let mut last_partition = (last.number, last.first_lba, last.last_lba);
    if last.last_lba < last_usable {
        let at = (last.number as usize - 1) * h.entry_size + 40;
        entries[at..at + 8].copy_from_slice(&last_usable.to_le_bytes());
        grown = Some(Grown {
            number: last.number,
            first_lba: last.first_lba,
            old_last_lba: last.last_lba,
            new_last_lba: last_usable,
            type_guid: last.type_guid.to_string(),
        });
        last_partition.2 = last_usable;
    }
    let entries_crc = crc32(&entries[..h.count * h.entry_size]);

    let mut primary = vec![0u8; s as usize];
    primary[..h.size].copy_from_slice(&h.raw[..h.size]);
    primary[32..40].copy_from_slice(&backup.to_le_bytes());
    primary[48..56].copy_from_slice(&last_usable.to_le_bytes());
    primary[88..92].copy_from_slice(&entries_crc.to_le_bytes());
    let mut secondary = primary.clone();
    seal(&mut primary, h.size);
    secondary[24..32].copy_from_slice(&backup.to_le_bytes());
    secondary[32..40].copy_from_slice(&1u64.to_le_bytes());
    secondary[72..80].copy_from_slice(&backup_entries.to_le_bytes());
    seal(&mut secondary, h.size);

    let mut writes = Vec::new();
    // The image's own backup header, now inside the disk: erased, so that no tool finds a
    // stale copy that disagrees with the new one.
    if h.alternate_lba != backup
        && h.alternate_lba > h.last_usable
        && h.alternate_lba < disk_sectors
    {
        writes.push((h.alternate_lba * s, vec![0u8; s as usize]));
    }
    writes.push((backup_entries * s, entries.clone()));
    writes.push((backup * s, secondary));
    writes.push((h.entries_lba * s, entries));
    // The protective MBR's one partition covers the whole disk (capped, as UEFI says).
    let mut mbr = head[..s as usize].to_vec();
    if mbr[510..512] == [0x55, 0xAA] && mbr[446 + 4] == 0xEE {
        let size = u32::try_from(disk_sectors - 1).unwrap_or(u32::MAX);
        mbr[446 + 12..446 + 16].copy_from_slice(&size.to_le_bytes());
        writes.push((0, mbr));
    }
    writes.push((s, primary));
    Ok(Fixed {
        sector_size: table.sector_size,
        backup_lba_before: h.alternate_lba,
        backup_lba_after: backup,
        grown,
        last_partition,
        writes,
    })
}

/// Whether `superblock` (the 1024 bytes at byte 1024 of a partition) is an ext2/3/4
/// filesystem's: magic 0xEF53 at offset 0x38.
pub fn is_ext4_superblock(superblock: &[u8]) -> bool {
    superblock.get(0x38..0x3A) == Some(&[0x53, 0xEF])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn garbage_is_no_gpt() {
        assert!(matches!(layout(&[0u8; 4096]), Err(GptFixError::NotGpt(_))));
        assert!(matches!(
            fix(&[7u8; 100], 1 << 20),
            Err(GptFixError::NotGpt(_))
        ));
    }

    #[test]
    fn ext4_magic() {
        let mut sb = vec![0u8; 1024];
        assert!(!is_ext4_superblock(&sb));
        sb[0x38] = 0x53;
        sb[0x39] = 0xEF;
        assert!(is_ext4_superblock(&sb));
        assert!(!is_ext4_superblock(&sb[..10]));
    }
}
