//! The firmware-erase half of the simulated drives: real state machines behind the
//! [`Passthrough`] seam, so that the plan, every technique and every failure path run in tests
//! without hardware.
//!
//! - [`SimMedia`]: the bytes of a simulated drive, shared with the block view ([`SimBlock`]) the
//!   wipe engine and the before/after check read, and changed by the firmware's erases. Its
//!   visible length follows the drive's accessible capacity (HPA, DCO).
//! - ATA ([`SimAtaFirmware`], on `SimAta`): the security feature set with its states SEC1–SEC6
//!   (ACS-3 §4.18: SEC0 and SEC3 are the powered-off forms of SEC1 and SEC4, reached here by
//!   [`SimAta::power_cycle`]), passwords, the five-attempt counter, ERASE PREPARE / ERASE UNIT
//!   (normal and enhanced); SANITIZE (crypto scramble, block erase, overwrite) with its status,
//!   frozen state and failure state; READ NATIVE MAX / SET MAX ADDRESS (HPA), the accessible max
//!   address commands, and DEVICE CONFIGURATION IDENTIFY / RESTORE (DCO). IDENTIFY reflects all
//!   of it (words 59, 60-61, 82-87, 89-90, 100-103, 119, 128, and the integrity word).
//! - NVMe ([`SimNvmeFirmware`], on `SimNvme`): Sanitize (crypto, block, overwrite) progressing
//!   through the Sanitize Status log, Format NVM (SES 0, 1, 2) per namespace or controller-wide
//!   as FNA says, the active namespace list.
//! - SCSI ([`SimScsi`]): REPORT SUPPORTED OPERATION CODES and SANITIZE with IMMED, progress in
//!   REQUEST SENSE.
//!
//! Failures a test can ask for: a command aborted (with its sense), a timeout, a drive that
//! stays locked, a sanitize or format that fails, a sanitize that ends before anyone could see it
//! in progress, an idle drive that reports success, a drive that vanishes.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use nix::libc;

use super::blockdev::BlockIo;
use super::passthrough::{
    AtaCommand, AtaData, NvmeCommand, PassthroughError, ScsiData, ScsiStatus, ata, nvme, scsi,
};
use super::simdrive::{SimAta, SimNvme, fix_checksum};
use crate::parse::sat::AtaRegisters;

// -------------------------------------------------------------------------------------------
// Media

/// A seed never used before: two crypto erases never leave the same bytes.
pub fn fresh_seed() -> u64 {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0x5eed_0000);
    NEXT.fetch_add(0x9e37_79b9, std::sync::atomic::Ordering::Relaxed)
}

/// What an erase leaves on the media.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Erased {
    Zeros,
    Ones,
    /// Unpredictable bytes (a new encryption key: the old data decrypts to noise).
    Random(u64),
    /// A 32-bit pattern repeated (ATA/NVMe overwrite).
    Pattern(u32),
}

#[derive(Debug)]
struct MediaState {
    data: Vec<u8>,
    /// Bytes the host can address (less than `data` when an HPA or DCO hides the end).
    visible: u64,
    sector: u32,
    gone: bool,
    /// Reads fail with EIO at these sectors.
    unreadable: Vec<u64>,
}

/// The bytes of a simulated drive (cheap to clone: clones share the media).
#[derive(Debug, Clone)]
pub struct SimMedia(Arc<Mutex<MediaState>>);

/// Deterministic pseudo-random bytes (xorshift64*), for "old data" and crypto erases.
pub fn noise(len: usize, mut state: u64) -> Vec<u8> {
    state |= 1;
    let mut v = Vec::with_capacity(len + 8);
    while v.len() < len {
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        v.extend_from_slice(&state.wrapping_mul(0x2545_f491_4f6c_dd1d).to_le_bytes());
    }
    v.truncate(len);
    v
}

impl SimMedia {
    /// `len` bytes of `sector`-byte sectors holding pseudo-random "old data" from `seed`.
    pub fn new(len: usize, sector: u32, seed: u64) -> SimMedia {
        SimMedia(Arc::new(Mutex::new(MediaState {
            data: noise(len, seed),
            visible: len as u64,
            sector,
            gone: false,
            unreadable: Vec::new(),
        })))
    }

    fn lock(&self) -> MutexGuard<'_, MediaState> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A copy of every byte, hidden ones included.
    pub fn snapshot(&self) -> Vec<u8> {
        self.lock().data.clone()
    }

    pub fn total_bytes(&self) -> u64 {
        self.lock().data.len() as u64
    }

    pub fn sector(&self) -> u32 {
        self.lock().sector
    }

    pub fn visible_bytes(&self) -> u64 {
        self.lock().visible
    }

    /// Sets the addressable length (the host sees only this much).
    pub fn set_visible(&self, bytes: u64) {
        let mut m = self.lock();
        m.visible = bytes.min(m.data.len() as u64);
    }

    /// Replaces bytes `from..to` with what an erase leaves.
    pub fn erase(&self, from: u64, to: u64, what: Erased) {
        let mut m = self.lock();
        let to = (to as usize).min(m.data.len());
        let from = (from as usize).min(to);
        let range = &mut m.data[from..to];
        match what {
            Erased::Zeros => range.fill(0),
            Erased::Ones => range.fill(0xff),
            Erased::Random(seed) => range.copy_from_slice(&noise(range.len(), seed)),
            Erased::Pattern(p) => {
                let b = p.to_le_bytes();
                for (i, x) in range.iter_mut().enumerate() {
                    *x = b[(from + i) % 4];
                }
            }
        }
    }

    /// Erases every byte, hidden ones included.
    pub fn erase_all(&self, what: Erased) {
        let len = self.total_bytes();
        self.erase(0, len, what);
    }

    /// The drive disappears: every read and write fails with ENODEV.
    pub fn vanish(&self) {
        self.lock().gone = true;
    }

    pub fn is_gone(&self) -> bool {
        self.lock().gone
    }

    /// Reads of sector `lba` fail with EIO from now on.
    pub fn make_unreadable(&self, lba: u64) {
        self.lock().unreadable.push(lba);
    }

    /// The block device the host sees of this media.
    pub fn block(&self, path: impl Into<PathBuf>) -> SimBlock {
        SimBlock {
            path: path.into(),
            media: self.clone(),
        }
    }
}

/// The host's block view of a [`SimMedia`].
#[derive(Debug, Clone)]
pub struct SimBlock {
    path: PathBuf,
    media: SimMedia,
}

impl BlockIo for SimBlock {
    fn path(&self) -> &Path {
        &self.path
    }
    fn len(&self) -> u64 {
        self.media.visible_bytes()
    }
    fn sector_size(&self) -> u32 {
        self.media.sector()
    }
    fn write_at(&self, buf: &[u8], offset: u64) -> io::Result<usize> {
        let mut m = self.media.lock();
        if m.gone {
            return Err(io::Error::from_raw_os_error(libc::ENODEV));
        }
        let end = (offset + buf.len() as u64).min(m.visible) as usize;
        let start = (offset as usize).min(end);
        m.data[start..end].copy_from_slice(&buf[..end - start]);
        Ok(end - start)
    }
    fn read_at(&self, buf: &mut [u8], offset: u64) -> io::Result<usize> {
        let m = self.media.lock();
        if m.gone {
            return Err(io::Error::from_raw_os_error(libc::ENODEV));
        }
        let sector = u64::from(m.sector.max(1));
        let end = (offset + buf.len() as u64).min(m.visible);
        if m.unreadable
            .iter()
            .any(|l| *l * sector < end && (*l + 1) * sector > offset)
        {
            return Err(io::Error::from_raw_os_error(libc::EIO));
        }
        let (start, end) = ((offset as usize).min(end as usize), end as usize);
        buf[..end - start].copy_from_slice(&m.data[start..end]);
        Ok(end - start)
    }
    fn flush(&mut self) -> io::Result<()> {
        if self.media.is_gone() {
            return Err(io::Error::from_raw_os_error(libc::ENODEV));
        }
        Ok(())
    }
}

// -------------------------------------------------------------------------------------------
// ATA

/// ATA security states (ACS-3 Figure 8), the powered states.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecState {
    /// SEC1: security disabled, not frozen.
    Sec1,
    /// SEC2: security disabled, frozen.
    Sec2,
    /// SEC4: security enabled, locked.
    Sec4,
    /// SEC5: security enabled, unlocked, not frozen.
    Sec5,
    /// SEC6: security enabled, unlocked, frozen.
    Sec6,
}

/// How a simulated SECURITY ERASE UNIT misbehaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum EraseUnitFault {
    #[default]
    None,
    /// Aborted at once (status 51h, error 04h); nothing erased, the password stays set.
    Aborted,
    /// The host gives up waiting (SG_IO times out): half the media erased, the password set.
    Timeout,
    /// Erases, but security stays enabled and SECURITY DISABLE PASSWORD is refused.
    StaysLocked,
}

/// The ATA security feature set of a simulated drive.
#[derive(Debug, Clone)]
pub struct SimSecurity {
    pub state: SecState,
    pub user_password: Option<[u8; 32]>,
    pub enhanced_supported: bool,
    /// Wrong passwords left before the drive refuses until power-off (word 128 bit 4).
    pub attempts_left: u8,
    /// ERASE PREPARE was the previous command.
    pub prepared: bool,
    /// Words 89 and 90 (2-minute units).
    pub erase_time: u16,
    pub enhanced_erase_time: u16,
    /// The BIOS freezes the drive at every power-on (most laptops); also on resume when
    /// `freeze_on_resume`.
    pub freeze_on_power_on: bool,
    pub freeze_on_resume: bool,
    pub fault: EraseUnitFault,
}

impl SimSecurity {
    /// Security supported, disabled, frozen by the BIOS as most laptops do, enhanced erase.
    pub fn frozen_by_bios() -> SimSecurity {
        SimSecurity {
            state: SecState::Sec2,
            user_password: None,
            enhanced_supported: true,
            attempts_left: 5,
            prepared: false,
            erase_time: 1,
            enhanced_erase_time: 2,
            freeze_on_power_on: true,
            freeze_on_resume: false,
            fault: EraseUnitFault::None,
        }
    }

    /// Security supported, disabled, not frozen.
    pub fn ready() -> SimSecurity {
        SimSecurity {
            state: SecState::Sec1,
            freeze_on_power_on: false,
            ..SimSecurity::frozen_by_bios()
        }
    }

    fn word128(&self) -> u16 {
        let (enabled, locked, frozen) = match self.state {
            SecState::Sec1 => (false, false, false),
            SecState::Sec2 => (false, false, true),
            SecState::Sec4 => (true, true, false),
            SecState::Sec5 => (true, false, false),
            SecState::Sec6 => (true, false, true),
        };
        1 | u16::from(enabled) << 1
            | u16::from(locked) << 2
            | u16::from(frozen) << 3
            | u16::from(self.attempts_left == 0) << 4
            | u16::from(self.enhanced_supported) << 5
    }
}

/// The state of a simulated ATA SANITIZE.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SanState {
    Idle,
    InProgress {
        feature: u16,
        pattern: u32,
        left: u8,
        total: u8,
    },
    /// The last sanitize failed; only SANITIZE STATUS EXT with CLEAR leaves this state.
    Failed,
}

/// The ATA SANITIZE feature set of a simulated drive.
#[derive(Debug, Clone)]
pub struct SimSanitize {
    pub crypto: bool,
    pub block: bool,
    pub overwrite: bool,
    pub frozen: bool,
    pub state: SanState,
    /// The last sanitize completed without error (COUNT bit 15).
    pub completed_ok: bool,
    /// Status reads an operation stays in progress for.
    pub duration_polls: u8,
    /// Report "completed without error" even when no sanitize ever ran (some drives do).
    pub idle_reports_success: bool,
    /// Completes within the command itself: nobody can see it in progress.
    pub instant: bool,
    /// The operation ends in the failure state (half the media erased).
    pub fails: bool,
    /// What a block erase leaves.
    pub block_content: Erased,
}

impl SimSanitize {
    pub fn all() -> SimSanitize {
        SimSanitize {
            crypto: true,
            block: true,
            overwrite: true,
            frozen: false,
            state: SanState::Idle,
            completed_ok: false,
            duration_polls: 3,
            idle_reports_success: false,
            instant: false,
            fails: false,
            block_content: Erased::Zeros,
        }
    }
}

/// Everything of a simulated ATA drive that firmware erases and hidden areas touch.
#[derive(Debug, Clone, Default)]
pub struct SimAtaFirmware {
    /// The drive's media (absent: the older simulation, IDENTIFY as stored).
    pub media: Option<SimMedia>,
    pub security: Option<SimSecurity>,
    pub sanitize: Option<SimSanitize>,
    /// Native capacity (sectors) and the accessible maximum (less when an HPA is set).
    pub native_sectors: u64,
    pub max_sectors: u64,
    /// A SET MAX ADDRESS was accepted since power-on (a second one is refused).
    pub set_max_done: bool,
    /// The factory capacity a DCO hides part of (supports DEVICE CONFIGURATION when set).
    pub dco_factory_sectors: Option<u64>,
    /// Accessible Max Address Configuration (ACS-3) instead of SET MAX ADDRESS.
    pub amac: bool,
    /// Commands (ATA command codes) aborted whatever the state.
    pub abort: Vec<u8>,
    /// After this many more commands, the drive vanishes.
    pub vanish_after: Option<u32>,
    pub gone: bool,
}

fn set_word(id: &mut [u8], w: usize, v: u16) {
    id[2 * w..2 * w + 2].copy_from_slice(&v.to_le_bytes());
}

fn get_word(id: &[u8], w: usize) -> u16 {
    u16::from_le_bytes([id[2 * w], id[2 * w + 1]])
}

fn regs(count: u16, lba: u64) -> AtaRegisters {
    AtaRegisters {
        status: 0x50,
        error: 0,
        count,
        lba,
        device: 0x40,
    }
}

/// The 32 password bytes of a security command's data (words 1-16).
fn password_of(data: &AtaData<'_>) -> Option<[u8; 32]> {
    match data {
        AtaData::Out(b) if b.len() >= 34 => b[2..34].try_into().ok(),
        _ => None,
    }
}

/// How one security command ends.
enum SecOutcome {
    Done,
    Abort,
    Timeout,
}

/// One security command against the security state (ACS-3 Table 14, "Security mode command
/// actions"); erases the media for ERASE UNIT.
fn security_step(
    s: &mut SimSecurity,
    command: u8,
    password: Option<[u8; 32]>,
    control: u16,
    media: &SimMedia,
    native: u64,
) -> SecOutcome {
    use SecOutcome::{Abort, Done, Timeout};
    use SecState::*;
    let was_prepared = std::mem::replace(&mut s.prepared, false);
    match command {
        // Only the user password (word 0 bit 0 clear); master passwords are not simulated.
        ata::SECURITY_SET_PASSWORD => match (s.state, password) {
            (Sec1 | Sec5, Some(p)) if control & 1 == 0 => {
                s.user_password = Some(p);
                s.state = Sec5;
                Done
            }
            _ => Abort,
        },
        ata::SECURITY_UNLOCK => match (s.state, password) {
            (Sec4, Some(p)) if s.attempts_left > 0 => {
                if s.user_password == Some(p) {
                    s.state = Sec5;
                    Done
                } else {
                    s.attempts_left -= 1;
                    Abort
                }
            }
            (Sec5 | Sec1, Some(_)) => Done,
            _ => Abort,
        },
        ata::SECURITY_ERASE_PREPARE => match s.state {
            Sec1 | Sec4 | Sec5 => {
                s.prepared = true;
                Done
            }
            _ => Abort,
        },
        ata::SECURITY_ERASE_UNIT => {
            let enhanced = control & 2 != 0;
            if !was_prepared || !matches!(s.state, Sec4 | Sec5) {
                return Abort;
            }
            if enhanced && !s.enhanced_supported {
                return Abort;
            }
            if password.is_none() || s.user_password != password {
                if s.state == Sec4 {
                    s.attempts_left = s.attempts_left.saturating_sub(1);
                }
                return Abort;
            }
            match s.fault {
                EraseUnitFault::Aborted => Abort,
                EraseUnitFault::Timeout => {
                    media.erase(0, native / 2, Erased::Zeros);
                    Timeout
                }
                fault => {
                    // The whole native area, a Host Protected Area included (ACS-3 §7.40.3):
                    // normal erase writes zeros, enhanced a vendor pattern.
                    let content = if enhanced {
                        Erased::Random(fresh_seed())
                    } else {
                        Erased::Zeros
                    };
                    media.erase(0, native, content);
                    if fault != EraseUnitFault::StaysLocked {
                        s.user_password = None;
                        s.state = Sec1;
                    }
                    Done
                }
            }
        }
        ata::SECURITY_FREEZE_LOCK => match s.state {
            Sec1 | Sec2 => {
                s.state = Sec2;
                Done
            }
            Sec5 | Sec6 => {
                s.state = Sec6;
                Done
            }
            Sec4 => Abort,
        },
        ata::SECURITY_DISABLE_PASSWORD => match (s.state, password) {
            (Sec5, Some(p))
                if s.user_password == Some(p) && s.fault != EraseUnitFault::StaysLocked =>
            {
                s.user_password = None;
                s.state = Sec1;
                Done
            }
            _ => Abort,
        },
        _ => Abort,
    }
}

impl SimAta {
    /// A drive of `sectors` sectors of 512 bytes with real firmware state: media holding
    /// pseudo-random old data, no security, no sanitize, no HPA.
    pub fn with_firmware(name: &str, identify: Vec<u8>, sectors: u64, seed: u64) -> SimAta {
        let mut d = SimAta::new(name, identify, None, None);
        d.fw = SimAtaFirmware {
            media: Some(SimMedia::new((sectors * 512) as usize, 512, seed)),
            native_sectors: sectors,
            max_sectors: sectors,
            ..SimAtaFirmware::default()
        };
        d
    }

    /// The media and its block view.
    pub fn media(&self) -> &SimMedia {
        self.fw.media.as_ref().expect("a drive made with_firmware")
    }

    /// Sets a Host Protected Area hiding the last `sectors` sectors.
    pub fn set_hpa(&mut self, sectors: u64) {
        self.fw.max_sectors = self.fw.native_sectors - sectors;
        self.media().set_visible(self.fw.max_sectors * 512);
    }

    /// Sets a Device Configuration Overlay hiding the last `sectors` of the factory capacity.
    pub fn set_dco(&mut self, sectors: u64) {
        self.fw.dco_factory_sectors = Some(self.fw.native_sectors);
        self.fw.native_sectors -= sectors;
        self.fw.max_sectors = self.fw.max_sectors.min(self.fw.native_sectors);
        self.media().set_visible(self.fw.max_sectors * 512);
    }

    /// The drive loses power and gets it back (suspend-to-RAM and resume when `resume`; a cold
    /// power-on when not, which lets the BIOS freeze it again).
    pub fn power_cycle(&mut self, resume: bool) {
        if let Some(s) = self.fw.security.as_mut() {
            let freeze = if resume {
                s.freeze_on_resume
            } else {
                s.freeze_on_power_on
            };
            s.state = match (s.user_password.is_some(), freeze) {
                (true, _) => SecState::Sec4,
                (false, true) => SecState::Sec2,
                (false, false) => SecState::Sec1,
            };
            s.attempts_left = 5;
            s.prepared = false;
        }
        if let Some(s) = self.fw.sanitize.as_mut() {
            s.frozen = false;
        }
        self.fw.set_max_done = false;
    }

    /// IDENTIFY DEVICE as the drive would answer now.
    pub(super) fn identify_now(&self) -> Vec<u8> {
        let mut id = self.identify.clone();
        if self.fw.media.is_none() || id.len() != 512 {
            return id;
        }
        let fw = &self.fw;
        let max = fw.max_sectors;
        set_word(&mut id, 60, (max.min(0x0FFF_FFFF) & 0xFFFF) as u16);
        set_word(&mut id, 61, (max.min(0x0FFF_FFFF) >> 16) as u16);
        for i in 0..4 {
            set_word(&mut id, 100 + i, (max >> (16 * i)) as u16);
        }
        let hpa = fw.max_sectors < fw.native_sectors;
        let sec = fw.security.as_ref();
        let w82 = 0x4000 | u16::from(sec.is_some()) << 1 | 1 << 10;
        let w83 = 0x4000 | 1 << 10 | u16::from(fw.dco_factory_sectors.is_some()) << 11;
        let w85 = (get_word(&id, 85) & !(1 << 10 | 1 << 1))
            | u16::from(hpa) << 10
            | u16::from(sec.is_some_and(|s| s.user_password.is_some())) << 1;
        set_word(&mut id, 82, w82);
        set_word(&mut id, 83, w83);
        let w84 = get_word(&id, 84) | 0x4000;
        set_word(&mut id, 84, w84);
        set_word(&mut id, 85, w85);
        set_word(&mut id, 86, w83 & 0x3fff);
        let w87 = get_word(&id, 87) | 0x4000;
        set_word(&mut id, 87, w87);
        set_word(&mut id, 119, 0x4000 | u16::from(fw.amac) << 8);
        if let Some(s) = sec {
            set_word(&mut id, 128, s.word128());
            set_word(&mut id, 89, s.erase_time);
            set_word(&mut id, 90, s.enhanced_erase_time);
        } else {
            set_word(&mut id, 128, 0);
        }
        let w59 = get_word(&id, 59) & 0x01FF;
        let w59 = match &fw.sanitize {
            Some(s) => {
                w59 | 1 << 12
                    | u16::from(s.crypto) << 13
                    | u16::from(s.overwrite) << 14
                    | u16::from(s.block) << 15
            }
            None => w59,
        };
        set_word(&mut id, 59, w59);
        id[510] = 0xA5;
        fix_checksum(&mut id);
        id
    }

    fn fw_aborted(&self, cmd: &AtaCommand, error: u8, lba: u64) -> PassthroughError {
        PassthroughError::Aborted {
            dev: self.name.clone(),
            command: cmd.command,
            status: 0x51,
            error,
            lba,
            count: 0,
        }
    }

    /// Whether the drive is (now) gone; counts commands towards `vanish_after`.
    pub(super) fn firmware_gone(&mut self) -> bool {
        if let Some(n) = self.fw.vanish_after.as_mut() {
            if *n == 0 {
                self.fw.gone = true;
                if let Some(m) = &self.fw.media {
                    m.vanish();
                }
            } else {
                *n -= 1;
            }
        }
        self.fw.gone
    }

    /// Commands of the firmware erases and hidden areas (everything `SimAta::ata` does not
    /// answer itself).
    pub(super) fn firmware_command(
        &mut self,
        cmd: &AtaCommand,
        data: AtaData<'_>,
    ) -> Result<AtaRegisters, PassthroughError> {
        if self.fw.media.is_none() || self.fw.abort.contains(&cmd.command) {
            return Err(self.fw_aborted(cmd, 0x04, 0));
        }
        if matches!(
            self.fw.sanitize.as_ref().map(|s| s.state),
            Some(SanState::InProgress { .. })
        ) && cmd.command != ata::SANITIZE
        {
            // While a sanitize runs, the drive refuses everything but its status and IDENTIFY.
            return Err(self.fw_aborted(cmd, 0x04, 0));
        }
        match (cmd.command, cmd.features) {
            (ata::READ_NATIVE_MAX_ADDRESS_EXT, _) if !self.fw.amac => {
                Ok(regs(0, self.fw.native_sectors - 1))
            }
            (ata::ACCESSIBLE_MAX_ADDRESS, ata::AMAC_GET_NATIVE_MAX) if self.fw.amac => {
                Ok(regs(0, self.fw.native_sectors - 1))
            }
            (ata::SET_MAX_ADDRESS_EXT, _) if !self.fw.amac => self.set_max(cmd, true),
            (ata::ACCESSIBLE_MAX_ADDRESS, ata::AMAC_SET_ACCESSIBLE_MAX) if self.fw.amac => {
                self.set_max(cmd, false)
            }
            (ata::DEVICE_CONFIGURATION, ata::DCO_IDENTIFY) => {
                let Some(factory) = self.fw.dco_factory_sectors else {
                    return Err(self.fw_aborted(cmd, 0x04, 0));
                };
                let mut b = vec![0u8; 512];
                set_word(&mut b, 0, 2);
                for i in 0..4 {
                    set_word(&mut b, 3 + i, ((factory - 1) >> (16 * i)) as u16);
                }
                set_word(&mut b, 7, 1 << 8);
                b[510] = 0xA5;
                fix_checksum(&mut b);
                if let AtaData::In(buf) = data {
                    let n = buf.len().min(512);
                    buf[..n].copy_from_slice(&b[..n]);
                }
                Ok(regs(0, 0))
            }
            (ata::DEVICE_CONFIGURATION, ata::DCO_RESTORE) => {
                let Some(factory) = self.fw.dco_factory_sectors else {
                    return Err(self.fw_aborted(cmd, 0x04, 0));
                };
                // ACS-2: RESTORE is aborted while a Host Protected Area is set.
                if self.fw.max_sectors != self.fw.native_sectors {
                    return Err(self.fw_aborted(cmd, 0x04, 0));
                }
                self.fw.native_sectors = factory;
                self.fw.max_sectors = factory;
                self.fw.dco_factory_sectors = None;
                let bytes = factory * 512;
                self.media().set_visible(bytes);
                Ok(regs(0, 0))
            }
            (
                ata::SECURITY_SET_PASSWORD
                | ata::SECURITY_UNLOCK
                | ata::SECURITY_ERASE_PREPARE
                | ata::SECURITY_ERASE_UNIT
                | ata::SECURITY_FREEZE_LOCK
                | ata::SECURITY_DISABLE_PASSWORD,
                _,
            ) if self.fw.security.is_some() => self.security_command(cmd, data),
            (ata::SANITIZE, _) if self.fw.sanitize.is_some() => self.sanitize_command(cmd),
            _ => Err(self.fw_aborted(cmd, 0x04, 0)),
        }
    }

    fn set_max(&mut self, cmd: &AtaCommand, once: bool) -> Result<AtaRegisters, PassthroughError> {
        let want = cmd.lba + 1;
        if (once && self.fw.set_max_done) || want > self.fw.native_sectors || want == 0 {
            // ID NOT FOUND (10h) for an address beyond the native maximum; ABORT otherwise.
            let error = if want > self.fw.native_sectors {
                0x10
            } else {
                0x04
            };
            return Err(self.fw_aborted(cmd, error, 0));
        }
        self.fw.max_sectors = want;
        self.fw.set_max_done = true;
        self.media().set_visible(want * 512);
        Ok(regs(0, want - 1))
    }

    fn security_command(
        &mut self,
        cmd: &AtaCommand,
        data: AtaData<'_>,
    ) -> Result<AtaRegisters, PassthroughError> {
        let password = password_of(&data);
        let control = match &data {
            AtaData::Out(b) if b.len() >= 2 => u16::from_le_bytes([b[0], b[1]]),
            _ => 0,
        };
        let media = self.media().clone();
        let native = self.fw.native_sectors * 512;
        let mut s = self.fw.security.take().expect("checked by the caller");
        let out = security_step(&mut s, cmd.command, password, control, &media, native);
        self.fw.security = Some(s);
        match out {
            SecOutcome::Done => Ok(regs(0, 0)),
            SecOutcome::Abort => Err(self.fw_aborted(cmd, 0x04, 0)),
            SecOutcome::Timeout => Err(PassthroughError::Transport {
                dev: self.name.clone(),
                command: cmd.command,
                status: 0,
                host: 0x03,
                driver: 0x06,
                sense: String::new(),
            }),
        }
    }

    fn sanitize_status_regs(s: &SimSanitize) -> AtaRegisters {
        match s.state {
            SanState::InProgress { left, total, .. } => {
                let done = u64::from(total - left) * 65536 / u64::from(total.max(1));
                regs(1 << 14 | u16::from(s.frozen) << 13, done.min(0xFFFF))
            }
            _ => regs(
                u16::from(s.completed_ok || s.idle_reports_success) << 15
                    | u16::from(s.frozen) << 13,
                0xFFFF,
            ),
        }
    }

    fn finish_sanitize(&mut self, feature: u16, pattern: u32) {
        let media = self.media().clone();
        let native = self.fw.native_sectors * 512;
        let s = self.fw.sanitize.as_mut().expect("sanitize present");
        let content = match feature {
            ata::SANITIZE_CRYPTO_SCRAMBLE_EXT => Erased::Random(fresh_seed()),
            ata::SANITIZE_BLOCK_ERASE_EXT => s.block_content,
            _ => Erased::Pattern(pattern),
        };
        if s.fails {
            media.erase(0, native / 2, content);
            s.state = SanState::Failed;
            s.completed_ok = false;
        } else {
            media.erase(0, native, content);
            s.state = SanState::Idle;
            s.completed_ok = true;
        }
    }

    fn sanitize_command(&mut self, cmd: &AtaCommand) -> Result<AtaRegisters, PassthroughError> {
        let s = self.fw.sanitize.clone().expect("checked by the caller");
        match cmd.features {
            ata::SANITIZE_STATUS_EXT => {
                if let SanState::InProgress {
                    feature,
                    pattern,
                    left,
                    total,
                } = s.state
                {
                    let r = Self::sanitize_status_regs(&s);
                    if left <= 1 {
                        self.finish_sanitize(feature, pattern);
                    } else if let Some(x) = self.fw.sanitize.as_mut() {
                        x.state = SanState::InProgress {
                            feature,
                            pattern,
                            left: left - 1,
                            total,
                        };
                    }
                    return Ok(r);
                }
                if s.state == SanState::Failed {
                    if cmd.count & 1 != 0 {
                        if let Some(x) = self.fw.sanitize.as_mut() {
                            x.state = SanState::Idle;
                        }
                        return Ok(Self::sanitize_status_regs(&s));
                    }
                    return Err(self.fw_aborted(cmd, 0x04, 0x01));
                }
                Ok(Self::sanitize_status_regs(&s))
            }
            ata::SANITIZE_FREEZE_LOCK_EXT => {
                if let Some(x) = self.fw.sanitize.as_mut() {
                    x.frozen = true;
                }
                Ok(regs(1 << 13, 0))
            }
            f @ (ata::SANITIZE_CRYPTO_SCRAMBLE_EXT
            | ata::SANITIZE_BLOCK_ERASE_EXT
            | ata::SANITIZE_OVERWRITE_EXT) => {
                let (supported, key_ok) = match f {
                    ata::SANITIZE_CRYPTO_SCRAMBLE_EXT => {
                        (s.crypto, cmd.lba & 0xFFFF_FFFF == ata::SANITIZE_CRYPTO_KEY)
                    }
                    ata::SANITIZE_BLOCK_ERASE_EXT => {
                        (s.block, cmd.lba & 0xFFFF_FFFF == ata::SANITIZE_BLOCK_KEY)
                    }
                    _ => (
                        s.overwrite,
                        cmd.lba & 0xFFFF_0000_0000 == ata::SANITIZE_OVERWRITE_KEY,
                    ),
                };
                if s.frozen {
                    return Err(self.fw_aborted(cmd, 0x04, 0x03));
                }
                if s.state == SanState::Failed {
                    return Err(self.fw_aborted(cmd, 0x04, 0x01));
                }
                if !supported || !key_ok {
                    return Err(self.fw_aborted(cmd, 0x04, 0x02));
                }
                let pattern = (cmd.lba & 0xFFFF_FFFF) as u32;
                if s.instant {
                    self.finish_sanitize(f, pattern);
                    return Ok(regs(0, 0));
                }
                let total = s.duration_polls.max(1);
                if let Some(x) = self.fw.sanitize.as_mut() {
                    x.state = SanState::InProgress {
                        feature: f,
                        pattern,
                        left: total,
                        total,
                    };
                }
                Ok(regs(1 << 14, 0))
            }
            _ => Err(self.fw_aborted(cmd, 0x04, 0x02)),
        }
    }
}

// -------------------------------------------------------------------------------------------
// NVMe

/// The Sanitize state of a simulated NVMe controller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NvmeSanState {
    /// SSTAT 0 (never) or 1 (completed successfully) as given.
    Idle {
        sstat: u16,
    },
    InProgress {
        cdw10: u32,
        pattern: u32,
        left: u8,
        total: u8,
    },
    Failed,
}

/// Everything of a simulated NVMe controller that firmware erases touch.
#[derive(Debug, Clone, Default)]
pub struct SimNvmeFirmware {
    /// Media of each namespace (absent: the older simulation).
    pub media: std::collections::BTreeMap<u32, SimMedia>,
    /// The namespace of the node commands go through.
    pub node_nsid: u32,
    pub sanitize: Option<NvmeSanState>,
    /// Log reads a sanitize stays in progress for.
    pub sanitize_polls: u8,
    pub sanitize_fails: bool,
    /// The sanitize completes before its first log read.
    pub sanitize_instant: bool,
    /// Format NVM answers this status instead of formatting.
    pub format_status: Option<u16>,
    /// Sanitize and Format report success without touching the media (a lying firmware: the
    /// before/after check must catch it).
    pub lies: bool,
    /// Opcodes that fail with a status whatever they ask.
    pub fail: Vec<(u8, u16)>,
    pub vanish_after: Option<u32>,
    pub gone: bool,
}

impl SimNvme {
    /// A controller with real firmware state: namespace 1 of `blocks` blocks of 512 bytes
    /// holding pseudo-random old data; OACS, FNA, SANICAP and DLFEAT as the Identify data says.
    pub fn with_firmware(
        name: &str,
        id_ctrl: Vec<u8>,
        id_ns: Vec<u8>,
        blocks: u64,
        seed: u64,
    ) -> SimNvme {
        let mut d = SimNvme::new(name, id_ctrl, id_ns, vec![0; 512]);
        d.fw = SimNvmeFirmware {
            media: std::collections::BTreeMap::from([(
                1,
                SimMedia::new((blocks * 512) as usize, 512, seed),
            )]),
            node_nsid: 1,
            sanitize: Some(NvmeSanState::Idle { sstat: 0 }),
            sanitize_polls: 3,
            ..SimNvmeFirmware::default()
        };
        d
    }

    /// The media of namespace `nsid`.
    pub fn media(&self, nsid: u32) -> &SimMedia {
        &self.fw.media[&nsid]
    }

    fn id_byte(&self, at: usize) -> u8 {
        self.id_ctrl.get(at).copied().unwrap_or(0)
    }

    fn sanicap(&self) -> u32 {
        u32::from_le_bytes(
            self.id_ctrl
                .get(328..332)
                .and_then(|b| b.try_into().ok())
                .unwrap_or([0; 4]),
        )
    }

    pub(super) fn firmware_gone(&mut self) -> bool {
        if let Some(n) = self.fw.vanish_after.as_mut() {
            if *n == 0 {
                self.fw.gone = true;
                for m in self.fw.media.values() {
                    m.vanish();
                }
            } else {
                *n -= 1;
            }
        }
        self.fw.gone
    }

    fn status(&self, cmd: &NvmeCommand, status: u16) -> PassthroughError {
        PassthroughError::NvmeStatus {
            dev: self.name.clone(),
            opcode: cmd.opcode,
            status,
        }
    }

    /// What the deallocated blocks read as (DLFEAT bits 2:0 of namespace 1).
    fn dealloc_content(&self) -> Erased {
        match self.id_ns.get(&1).and_then(|n| n.get(33)).map(|b| b & 7) {
            Some(2) => Erased::Ones,
            _ => Erased::Zeros,
        }
    }

    /// Writes the Sanitize Status log from the state (and advances a sanitize in progress by
    /// one read).
    pub(super) fn tick_sanitize(&mut self) {
        let Some(state) = self.fw.sanitize else {
            return;
        };
        let (sprog, sstat, cdw10) = match state {
            NvmeSanState::Idle { sstat } => (0xFFFF, sstat, self.last_sanitize_cdw10()),
            NvmeSanState::Failed => (0xFFFF, 3, self.last_sanitize_cdw10()),
            NvmeSanState::InProgress {
                cdw10,
                pattern,
                left,
                total,
            } => {
                let done = (u32::from(total - left) * 65536 / u32::from(total.max(1))) as u16;
                if left <= 1 {
                    self.finish_nvme_sanitize(cdw10, pattern);
                } else {
                    self.fw.sanitize = Some(NvmeSanState::InProgress {
                        cdw10,
                        pattern,
                        left: left - 1,
                        total,
                    });
                }
                (done, 2, cdw10)
            }
        };
        let log = &mut self.sanitize_log;
        log[0..2].copy_from_slice(&sprog.to_le_bytes());
        log[2..4].copy_from_slice(&sstat.to_le_bytes());
        log[4..8].copy_from_slice(&cdw10.to_le_bytes());
        // Estimated times (seconds): overwrite, block erase, crypto erase.
        log[8..12].copy_from_slice(&600u32.to_le_bytes());
        log[12..16].copy_from_slice(&60u32.to_le_bytes());
        log[16..20].copy_from_slice(&2u32.to_le_bytes());
    }

    fn last_sanitize_cdw10(&self) -> u32 {
        u32::from_le_bytes(self.sanitize_log[4..8].try_into().unwrap_or([0; 4]))
    }

    fn finish_nvme_sanitize(&mut self, cdw10: u32, pattern: u32) {
        let content = match cdw10 & 7 {
            4 => Erased::Random(fresh_seed()),
            2 => self.dealloc_content(),
            _ => Erased::Pattern(pattern),
        };
        for m in self.fw.media.values().filter(|_| !self.fw.lies) {
            if self.fw.sanitize_fails {
                let half = m.total_bytes() / 2;
                m.erase(0, half, content);
            } else {
                m.erase_all(content);
            }
        }
        self.fw.sanitize = Some(if self.fw.sanitize_fails {
            NvmeSanState::Failed
        } else {
            // Completed successfully, global data erased.
            NvmeSanState::Idle { sstat: 1 | 1 << 8 }
        });
    }

    /// Admin commands of the firmware erases (everything `SimNvme::nvme_admin` does not answer
    /// itself).
    pub(super) fn firmware_admin(
        &mut self,
        cmd: &NvmeCommand,
        _data: &mut [u8],
    ) -> Result<u32, PassthroughError> {
        if let Some((_, st)) = self.fw.fail.iter().find(|(op, _)| *op == cmd.opcode) {
            return Err(self.status(cmd, *st));
        }
        if matches!(self.fw.sanitize, Some(NvmeSanState::InProgress { .. })) {
            return Err(self.status(cmd, 0x001d));
        }
        match cmd.opcode {
            nvme::SANITIZE => {
                let action = cmd.cdw10 & 7;
                let cap = self.sanicap();
                let supported = match action {
                    2 => cap & 2 != 0,
                    3 => cap & 4 != 0,
                    4 => cap & 1 != 0,
                    1 => cap & 7 != 0,
                    _ => false,
                };
                if self.fw.media.is_empty() || !supported {
                    return Err(self.status(cmd, 0x0002));
                }
                if action == 1 {
                    self.fw.sanitize = Some(NvmeSanState::Idle { sstat: 0 });
                    return Ok(0);
                }
                if self.fw.sanitize == Some(NvmeSanState::Failed) && cmd.cdw10 & 8 == 0 {
                    return Err(self.status(cmd, 0x001c));
                }
                self.sanitize_log[4..8].copy_from_slice(&cmd.cdw10.to_le_bytes());
                if self.fw.sanitize_instant {
                    self.finish_nvme_sanitize(cmd.cdw10, cmd.cdw11);
                } else {
                    let total = self.fw.sanitize_polls.max(1);
                    self.fw.sanitize = Some(NvmeSanState::InProgress {
                        cdw10: cmd.cdw10,
                        pattern: cmd.cdw11,
                        left: total,
                        total,
                    });
                }
                Ok(0)
            }
            nvme::FORMAT_NVM => {
                let oacs = u16::from_le_bytes([self.id_byte(256), self.id_byte(257)]);
                let fna = self.id_byte(524);
                if oacs & 2 == 0 || self.fw.media.is_empty() {
                    return Err(self.status(cmd, 0x0001));
                }
                if let Some(st) = self.fw.format_status {
                    return Err(self.status(cmd, st));
                }
                let ses = (cmd.cdw10 >> 9) & 7;
                let lbaf = cmd.cdw10 & 0xF;
                let current = self
                    .id_ns
                    .get(&self.fw.node_nsid)
                    .and_then(|n| n.get(26))
                    .map_or(0, |f| u32::from(f & 0xF));
                if ses > 2 || (ses == 2 && fna & 4 == 0) {
                    return Err(self.status(cmd, 0x0002));
                }
                if lbaf != current {
                    return Err(self.status(cmd, 0x010a));
                }
                let all = cmd.nsid == nvme::NSID_ALL || fna & 1 != 0 || (ses > 0 && fna & 2 != 0);
                if !all && !self.fw.media.contains_key(&cmd.nsid) {
                    return Err(self.status(cmd, 0x000b));
                }
                let content = match ses {
                    2 => Erased::Random(fresh_seed()),
                    _ => self.dealloc_content(),
                };
                for (nsid, m) in &self.fw.media {
                    if (all || *nsid == cmd.nsid) && !self.fw.lies {
                        m.erase_all(content);
                    }
                }
                Ok(0)
            }
            _ => Err(self.status(cmd, 0x0001)),
        }
    }

    /// The Active Namespace ID list (Identify CNS 02h): the namespaces with media.
    pub(super) fn active_namespaces(&self) -> Vec<u8> {
        let mut list = vec![0u8; 4096];
        let ids: Vec<u32> = if self.fw.media.is_empty() {
            self.id_ns.keys().copied().collect()
        } else {
            self.fw.media.keys().copied().collect()
        };
        for (i, id) in ids.iter().take(1024).enumerate() {
            list[4 * i..4 * i + 4].copy_from_slice(&id.to_le_bytes());
        }
        list
    }
}

// -------------------------------------------------------------------------------------------
// SCSI

/// A simulated SCSI (SAS) disk that may support SANITIZE.
#[derive(Debug, Clone)]
pub struct SimScsi {
    pub name: String,
    pub media: SimMedia,
    /// SANITIZE service actions supported: overwrite, block erase, crypto erase.
    pub overwrite: bool,
    pub block: bool,
    pub crypto: bool,
    /// REPORT SUPPORTED OPERATION CODES is not implemented (ILLEGAL REQUEST).
    pub no_rsoc: bool,
    pub state: ScsiSanState,
    pub duration_polls: u8,
    pub fails: bool,
    pub commands: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScsiSanState {
    Idle,
    InProgress { action: u8, left: u8, total: u8 },
    Failed,
}

fn fixed_sense(key: u8, asc: u8, ascq: u8, progress: Option<u16>) -> Vec<u8> {
    let mut s = vec![0u8; 18];
    s[0] = 0x70;
    s[2] = key;
    s[7] = 10;
    s[12] = asc;
    s[13] = ascq;
    if let Some(p) = progress {
        s[15] = 0x80;
        s[16..18].copy_from_slice(&p.to_be_bytes());
    }
    s
}

impl SimScsi {
    pub fn new(name: &str, blocks: u64, seed: u64) -> SimScsi {
        SimScsi {
            name: name.to_owned(),
            media: SimMedia::new((blocks * 512) as usize, 512, seed),
            overwrite: true,
            block: false,
            crypto: true,
            no_rsoc: false,
            state: ScsiSanState::Idle,
            duration_polls: 3,
            fails: false,
            commands: Vec::new(),
        }
    }

    fn check(sense: Vec<u8>) -> ScsiStatus {
        ScsiStatus { status: 2, sense }
    }

    fn sense_now(&mut self) -> Vec<u8> {
        match self.state {
            ScsiSanState::Idle => Vec::new(),
            ScsiSanState::Failed => fixed_sense(3, 0x31, 0x03, None),
            ScsiSanState::InProgress {
                action,
                left,
                total,
            } => {
                let done = (u32::from(total - left) * 65536 / u32::from(total.max(1))) as u16;
                if left <= 1 {
                    let content = match action {
                        scsi::SANITIZE_CRYPTO_ERASE => Erased::Random(fresh_seed()),
                        scsi::SANITIZE_BLOCK_ERASE => Erased::Zeros,
                        _ => Erased::Pattern(0),
                    };
                    if self.fails {
                        let half = self.media.total_bytes() / 2;
                        self.media.erase(0, half, content);
                        self.state = ScsiSanState::Failed;
                    } else {
                        self.media.erase_all(content);
                        self.state = ScsiSanState::Idle;
                    }
                } else {
                    self.state = ScsiSanState::InProgress {
                        action,
                        left: left - 1,
                        total,
                    };
                }
                fixed_sense(2, 0x04, 0x1B, Some(done))
            }
        }
    }
}

impl super::passthrough::Passthrough for SimScsi {
    fn name(&self) -> &str {
        &self.name
    }
    fn ata(
        &mut self,
        cmd: &AtaCommand,
        _data: AtaData<'_>,
    ) -> Result<AtaRegisters, PassthroughError> {
        self.commands.push(format!("ata {:#04x}", cmd.command));
        Err(PassthroughError::Unsupported {
            dev: self.name.clone(),
            why: "ATA pass-through refused (ILLEGAL REQUEST, ASC 0x20/0x00): a USB bridge or SCSI disk that does not carry ATA commands".into(),
        })
    }
    fn nvme_admin(&mut self, cmd: &NvmeCommand, _data: &mut [u8]) -> Result<u32, PassthroughError> {
        self.commands.push(format!("nvme {:#04x}", cmd.opcode));
        Err(PassthroughError::Unsupported {
            dev: self.name.clone(),
            why: "not an NVMe drive".into(),
        })
    }
    fn scsi(
        &mut self,
        cdb: &[u8],
        data: ScsiData<'_>,
        _timeout: Duration,
    ) -> Result<ScsiStatus, PassthroughError> {
        let op = cdb.first().copied().unwrap_or(0);
        self.commands.push(format!("scsi {op:#04x}"));
        if self.media.is_gone() {
            return Err(PassthroughError::Gone {
                dev: self.name.clone(),
            });
        }
        let illegal = || Self::check(fixed_sense(5, 0x20, 0, None));
        match op {
            scsi::REQUEST_SENSE => {
                let sense = self.sense_now();
                if let ScsiData::In(buf) = data {
                    let n = buf.len().min(sense.len());
                    buf[..n].copy_from_slice(&sense[..n]);
                }
                Ok(ScsiStatus {
                    status: 0,
                    sense: Vec::new(),
                })
            }
            scsi::MAINTENANCE_IN if cdb.get(1).map(|b| b & 0x1f) == Some(0x0C) => {
                if self.no_rsoc {
                    return Ok(illegal());
                }
                let (opcode, sa) = (cdb.get(3).copied(), cdb.get(4..6));
                let supported = match (opcode, sa.map(|s| s[1])) {
                    (Some(scsi::SANITIZE), Some(scsi::SANITIZE_OVERWRITE)) => self.overwrite,
                    (Some(scsi::SANITIZE), Some(scsi::SANITIZE_BLOCK_ERASE)) => self.block,
                    (Some(scsi::SANITIZE), Some(scsi::SANITIZE_CRYPTO_ERASE)) => self.crypto,
                    _ => false,
                };
                if let ScsiData::In(buf) = data
                    && buf.len() >= 4
                {
                    buf.fill(0);
                    buf[1] = if supported { 3 } else { 1 };
                    buf[3] = 10;
                }
                Ok(ScsiStatus {
                    status: 0,
                    sense: Vec::new(),
                })
            }
            scsi::SANITIZE => {
                if matches!(self.state, ScsiSanState::InProgress { .. }) {
                    return Ok(Self::check(fixed_sense(2, 0x04, 0x1B, None)));
                }
                let action = cdb.get(1).map_or(0, |b| b & 0x1f);
                let supported = match action {
                    scsi::SANITIZE_OVERWRITE => self.overwrite,
                    scsi::SANITIZE_BLOCK_ERASE => self.block,
                    scsi::SANITIZE_CRYPTO_ERASE => self.crypto,
                    _ => false,
                };
                if !supported {
                    return Ok(Self::check(fixed_sense(5, 0x24, 0, None)));
                }
                let total = self.duration_polls.max(1);
                self.state = ScsiSanState::InProgress {
                    action,
                    left: total,
                    total,
                };
                Ok(ScsiStatus {
                    status: 0,
                    sense: Vec::new(),
                })
            }
            _ => Ok(illegal()),
        }
    }
}
