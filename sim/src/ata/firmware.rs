//! The firmware-erase half of the simulated ATA drive ([`SimAtaFirmware`], on [`SimAta`]): the
//! security feature set with its states SEC1–SEC6 (ACS-3 §4.18: SEC0 and SEC3 are the
//! powered-off forms of SEC1 and SEC4, reached here by [`SimAta::power_cycle`]), passwords, the
//! five-attempt counter, ERASE PREPARE / ERASE UNIT (normal and enhanced); SANITIZE (crypto
//! scramble, block erase, overwrite) with its status, frozen state and failure state; READ
//! NATIVE MAX / SET MAX ADDRESS (HPA), the accessible max address commands, and DEVICE
//! CONFIGURATION IDENTIFY / RESTORE (DCO). IDENTIFY reflects all of it (words 59, 60-61, 82-87,
//! 89-90, 100-103, 119, 128, and the integrity word).
//!
//! Failures a test can ask for: a command aborted, an ERASE UNIT that times out or leaves the
//! drive locked, a sanitize that fails, ends before anyone could see it in progress, or reports
//! success when none ran, a firmware that reports every erase done without touching the media,
//! a drive that vanishes.

use reprise::parse::sat::AtaRegisters;
use reprise::sys::passthrough::{AtaCommand, AtaData, PassthroughError, ata};

use super::{SimAta, fix_checksum};
use crate::media::{Erased, SimMedia, fresh_seed};

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
    /// What a crypto scramble leaves: `None`, the old data under a new key (noise); an SSD that
    /// also deallocates reads as it says (zeros, usually).
    pub crypto_content: Option<Erased>,
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
            crypto_content: None,
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
    /// SANITIZE and SECURITY ERASE UNIT report success without touching the media (a lying
    /// firmware: the canary check must catch it).
    pub lies: bool,
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
/// actions"); erases the media for ERASE UNIT (unless the firmware `lies`).
fn security_step(
    s: &mut SimSecurity,
    command: u8,
    password: Option<[u8; 32]>,
    control: u16,
    media: &SimMedia,
    (native, lies): (u64, bool),
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
                    if !lies {
                        media.erase(0, native, content);
                    }
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
        let lies = self.fw.lies;
        let out = security_step(
            &mut s,
            cmd.command,
            password,
            control,
            &media,
            (native, lies),
        );
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
            ata::SANITIZE_CRYPTO_SCRAMBLE_EXT => s
                .crypto_content
                .unwrap_or_else(|| Erased::Random(fresh_seed())),
            ata::SANITIZE_BLOCK_ERASE_EXT => s.block_content,
            _ => Erased::Pattern(pattern),
        };
        let lies = self.fw.lies;
        if s.fails {
            media.erase(0, native / 2, content);
            s.state = SanState::Failed;
            s.completed_ok = false;
        } else {
            if !lies {
                media.erase(0, native, content);
            }
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
