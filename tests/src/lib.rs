//! Shared helpers of the end-to-end tests: build the live image once, boot it in QEMU (TCG only),
//! and look at the results from outside (serial console, disk images, the stick's data partition).
//!
//! Every test works in its own temporary directory: it copies `out/reprise.img` there (the
//! original stays pristine) and creates its own sparse disk images. Nothing here ever opens a
//! device of the host: the only files written are inside the test's temporary directory.

pub mod family;

use std::fs::{self, File};
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::thread::sleep;
use std::time::{Duration, Instant, SystemTime};

use anyhow::{Context, Result, bail, ensure};

/// The repository root (the workspace holding `scripts/build-image`).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent")
        .to_path_buf()
}

/// The files `scripts/build-image` writes into `out/`.
#[derive(Debug, Clone)]
pub struct Outputs {
    /// The `out/` directory.
    pub dir: PathBuf,
}

impl Outputs {
    /// Debian's signed kernel, as UEFI boots it.
    pub fn vmlinuz(&self) -> PathBuf {
        self.dir.join("vmlinuz")
    }
    /// The same kernel in a zstd bzImage, as a legacy BIOS boots it (the stick's SYSLINUX, iPXE
    /// on a BIOS), and so as the tests boot it directly (`-kernel`).
    pub fn vmlinuz_bios(&self) -> PathBuf {
        self.dir.join("vmlinuz-bios")
    }
    pub fn initrd(&self) -> PathBuf {
        self.dir.join("initrd.img")
    }
    pub fn reprise_img(&self) -> PathBuf {
        self.dir.join("reprise.img")
    }
    pub fn boot_ipxe(&self) -> PathBuf {
        self.dir.join("boot.ipxe")
    }
    /// Debian's signed shim, as UEFI firmware loads it over the network.
    pub fn bootx64_efi(&self) -> PathBuf {
        self.dir.join("bootx64.efi")
    }
    /// Debian's signed network GRUB, as shim loads it from beside itself.
    pub fn grubx64_efi(&self) -> PathBuf {
        self.dir.join("grubx64.efi")
    }
    /// The test-only initramfs overlay with smartctl and nvme-cli.
    pub fn tools_overlay(&self) -> PathBuf {
        self.dir.join("test/tools.cpio.lz4")
    }
    /// The image digest as the agent reports it: `sha256:` + SHA-256 of `image-manifest`.
    pub fn image_digest(&self) -> Result<String> {
        let out = Command::new("sha256sum")
            .arg(self.dir.join("image-manifest"))
            .output()
            .context("running sha256sum")?;
        let text = String::from_utf8(out.stdout)?;
        let hex = text
            .split_whitespace()
            .next()
            .context("sha256sum printed nothing")?;
        Ok(format!("sha256:{hex}"))
    }
}

/// Files whose change makes `out/` stale.
fn build_inputs(root: &Path) -> Vec<PathBuf> {
    let mut files = vec![
        root.join("scripts/build-image"),
        root.join("scripts/bios-kernel"),
        root.join("Cargo.lock"),
        root.join("agent/Cargo.toml"),
        // The agent links the certificate crate: a change there changes the image's agent.
        root.join("cert/Cargo.toml"),
    ];
    for dir in ["image", "agent/src", "cert/src"] {
        collect_files(&root.join(dir), &mut files);
    }
    files
}

fn collect_files(dir: &Path, files: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect_files(&path, files);
        } else {
            files.push(path);
        }
    }
}

fn mtime(path: &Path) -> Option<SystemTime> {
    fs::metadata(path).and_then(|m| m.modified()).ok()
}

static BUILD: Mutex<()> = Mutex::new(());

/// Returns `out/`, running `scripts/build-image` first when an output is missing or older than
/// an input. Test processes run in parallel: a file lock makes exactly one of them build.
pub fn outputs() -> Result<Outputs> {
    let root = repo_root();
    let out = Outputs {
        dir: root.join("out"),
    };
    let _in_process = BUILD.lock().unwrap_or_else(|e| e.into_inner());
    fs::create_dir_all(root.join("target")).context("creating target/")?;
    let lock_path = root.join("target/e2e-build-image.lock");
    let lock =
        File::create(&lock_path).with_context(|| format!("creating {}", lock_path.display()))?;
    lock.lock()
        .with_context(|| format!("locking {}", lock_path.display()))?;
    let sums = out.dir.join("SHA256SUMS");
    let stale = match mtime(&sums) {
        None => true,
        Some(built) => build_inputs(&root)
            .iter()
            .any(|f| mtime(f).is_some_and(|t| t > built)),
    };
    if stale {
        eprintln!("e2e: out/ is missing or stale: running scripts/build-image");
        let status = Command::new(root.join("scripts/build-image"))
            .current_dir(&root)
            .status()
            .context("running scripts/build-image")?;
        ensure!(status.success(), "scripts/build-image failed: {status}");
    }
    for f in [
        out.vmlinuz(),
        out.vmlinuz_bios(),
        out.initrd(),
        out.reprise_img(),
        out.boot_ipxe(),
        out.bootx64_efi(),
        out.grubx64_efi(),
        out.tools_overlay(),
    ] {
        ensure!(
            f.is_file(),
            "{} missing after scripts/build-image",
            f.display()
        );
    }
    Ok(out)
}

/// The firmware QEMU starts with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Firmware {
    /// SeaBIOS (legacy BIOS).
    Bios,
    /// OVMF without Secure Boot.
    Uefi,
    /// OVMF with Secure Boot enforced and Microsoft's keys enrolled.
    SecureBoot,
}

const OVMF: &str = "/usr/share/OVMF";

/// The emulated laptop's chipset (QEMU's machine type).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Chipset {
    /// q35: ICH9 and PCIe, the generation of the laptops the workshop takes in; the default.
    /// Not QEMU's own default, i440fx: its ACPI tables build the PCI routing table with a
    /// 128-turn AML loop that Linux evaluates again at every device's interrupt set-up, 0.2 s a
    /// device under TCG (1.3 s more from init to the data partition, side by side), where a
    /// laptop's firmware returns a fixed table (scripts/bench-boot, MACHINE="q35 pc").
    Q35,
    /// i440fx (1996's PIIX), for what q35 does not emulate well enough.
    I440fx,
}

/// A QEMU machine under construction; [`Vm::run`] boots it and waits for it to power off,
/// [`Vm::run_until_finished`] for the agent to end whatever init then does.
#[derive(Debug)]
pub struct Vm {
    work: PathBuf,
    firmware: Firmware,
    chipset: Chipset,
    args: Vec<String>,
    disks: usize,
    /// What to do on the laptop when a text appears on the serial console, in order: press
    /// keys, or take a picture of its screen.
    inputs: Vec<(String, usize, Action)>,
}

/// Something done to the emulated laptop from outside.
#[derive(Debug, Clone)]
enum Action {
    /// QEMU key names (`ret`, `f10`, `esc`, `a`...), pressed one after the other.
    Keys(Vec<String>),
    /// The VGA screen, saved by the QEMU monitor's `screendump` under this name.
    Screendump(String),
    /// A QEMU monitor command (HMP), e.g. `device_add` of a disk.
    Monitor(String),
}

/// What a finished run left behind.
#[derive(Debug)]
pub struct Run {
    /// Everything the guest printed on its serial console.
    pub serial: String,
    /// Time from QEMU's start to init starting the agent (for reports; never asserted).
    pub to_first_output: Option<Duration>,
    /// Times from QEMU's start to lines of the serial console the tests mark (`marks`).
    pub marks: Vec<(String, Duration)>,
    /// The screens saved by `screendump_after`, by name (PPM files).
    pub screens: Vec<(String, PathBuf)>,
    /// Keys pressed on the laptop's keyboard (`press_after`, `type_after`).
    pub keystrokes: usize,
    /// The agent's exit status as init reported it (0 when the machine powered off).
    pub agent_status: Option<i32>,
}

impl Run {
    /// The settings of the boot as init logged them (`reprise settings`, one `KEY=VALUE` word
    /// after another), or "" when init printed none.
    pub fn settings(&self) -> &str {
        self.serial
            .lines()
            .find_map(|l| l.trim_end().strip_prefix("reprise-init: settings: "))
            .unwrap_or("")
    }
}

/// Init's line once the agent has ended and the logs are on the data partition.
const AGENT_FINISHED: &str = "reprise-init: agent finished (status ";

/// The agent's exit status from init's "agent finished (status N)" line.
fn agent_status(serial: &str) -> Option<i32> {
    let start = serial.find(AGENT_FINISHED)? + AGENT_FINISHED.len();
    let end = serial[start..].find(')')?;
    serial[start..start + end].parse().ok()
}

/// How a boot is expected to end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ending {
    /// The guest powers off by itself.
    PowerOff,
    /// Init says the agent finished; the machine then stays on (a failure shown to the
    /// operator), so the test stops it.
    AgentFinished,
}

impl Vm {
    /// A machine whose files (firmware variables, serial log) live in `work`.
    pub fn new(work: &Path, firmware: Firmware) -> Self {
        Vm {
            work: work.to_path_buf(),
            firmware,
            chipset: Chipset::Q35,
            args: Vec::new(),
            disks: 0,
            inputs: Vec::new(),
        }
    }

    /// Emulates another chipset than q35 (under SeaBIOS only).
    pub fn chipset(&mut self, chipset: Chipset) -> &mut Self {
        self.chipset = chipset;
        self
    }

    /// Types `text` on the emulated keyboard (QEMU's `sendkey`, so it reaches the agent on
    /// the VGA console as an operator's keystrokes would) once `after` has appeared on the
    /// serial console. Letters, digits, space and `\r` (Enter).
    pub fn type_after(&mut self, after: &str, text: &str) -> &mut Self {
        let keys = text.chars().map(key_name).collect::<Result<Vec<_>>>();
        let keys = keys.unwrap_or_else(|e| panic!("type_after({text:?}): {e}"));
        self.inputs.push((after.to_owned(), 1, Action::Keys(keys)));
        self
    }

    /// Types `text` as [`Vm::type_after`] does, once `after` has appeared `nth` times on the
    /// serial console (a question asked again).
    pub fn type_after_nth(&mut self, after: &str, nth: usize, text: &str) -> &mut Self {
        let keys = text.chars().map(key_name).collect::<Result<Vec<_>>>();
        let keys = keys.unwrap_or_else(|e| panic!("type_after_nth({text:?}): {e}"));
        self.inputs
            .push((after.to_owned(), nth, Action::Keys(keys)));
        self
    }

    /// Presses keys by their QEMU names (`ret`, `f10`, `esc`, `tab`, `down`, `spc`...) once
    /// `after` has appeared on the serial console.
    pub fn press_after(&mut self, after: &str, keys: &[&str]) -> &mut Self {
        self.inputs.push((
            after.to_owned(),
            1,
            Action::Keys(keys.iter().map(|k| (*k).to_owned()).collect()),
        ));
        self
    }

    /// Saves the laptop's screen (the emulated VGA) as `name` once `after` has appeared on the
    /// serial console; `Run::screens` has it, [`read_screen`] reads its text.
    pub fn screendump_after(&mut self, after: &str, name: &str) -> &mut Self {
        self.inputs
            .push((after.to_owned(), 1, Action::Screendump(name.to_owned())));
        self
    }

    /// Sets the laptop's clock (its RTC) at boot: `2009-06-01` is a school laptop whose CMOS
    /// battery went flat in a cupboard.
    pub fn rtc(&mut self, base: &str) -> &mut Self {
        self.arg("-rtc").arg(format!("base={base}"))
    }

    /// Plugs a raw image in as a USB disk (behind the stick's xHCI controller) once `after` has
    /// appeared on the serial console: a disk that shows up while the run is under way.
    pub fn usb_disk_after(&mut self, after: &str, img: &Path) -> &mut Self {
        let id = self.drive(img);
        self.inputs.push((
            after.to_owned(),
            1,
            Action::Monitor(format!(
                "device_add usb-storage,bus=xhci.0,drive={id},id=hot{id}"
            )),
        ));
        self
    }

    /// Attaches a raw image as an NVMe controller with one namespace of `sector`-byte logical
    /// blocks (512 or 4096).
    pub fn nvme_sectors(&mut self, img: &Path, serial: &str, sector: u32) -> &mut Self {
        let id = self.drive(img);
        self.arg("-device").arg(format!(
            "nvme,serial={serial},drive={id},logical_block_size={sector},physical_block_size={sector}"
        ))
    }

    fn arg(&mut self, a: impl Into<String>) -> &mut Self {
        self.args.push(a.into());
        self
    }

    fn drive(&mut self, file: &Path) -> String {
        self.disks += 1;
        let id = format!("d{}", self.disks);
        self.arg("-drive").arg(format!(
            "if=none,id={id},format=raw,file={}",
            file.display()
        ));
        id
    }

    /// Attaches a raw image as a USB stick behind an xHCI controller, first in boot order
    /// (unless a kernel is booted directly).
    pub fn usb_stick(&mut self, img: &Path) -> &mut Self {
        let id = self.drive(img);
        self.xhci();
        self.arg("-device")
            .arg(format!("usb-storage,bus=xhci.0,drive={id},bootindex=0"))
    }

    /// The laptop's xHCI controller (`xhci`), once.
    fn xhci(&mut self) {
        if !self.args.iter().any(|a| a == "qemu-xhci,id=xhci") {
            self.arg("-device").arg("qemu-xhci,id=xhci");
        }
    }

    /// Attaches a raw image as an NVMe controller with one namespace.
    pub fn nvme(&mut self, img: &Path, serial: &str) -> &mut Self {
        let id = self.drive(img);
        self.arg("-device")
            .arg(format!("nvme,serial={serial},drive={id}"))
    }

    /// Attaches a raw image as an SD card in the laptop's reader (an SDHCI controller on PCI).
    /// QEMU wants a card whose size is a power of two: the image is grown to one (a GPT's
    /// primary table, at the start, is all a reader needs).
    pub fn sd_card(&mut self, img: &Path) -> Result<&mut Self> {
        let len = fs::metadata(img)
            .with_context(|| format!("sizing {}", img.display()))?
            .len();
        fs::OpenOptions::new()
            .write(true)
            .open(img)
            .and_then(|f| f.set_len(len.next_power_of_two()))
            .with_context(|| format!("growing {} to a power of two", img.display()))?;
        let id = self.drive(img);
        // The controller's bus is named "sd-bus" whatever its id: the card finds it alone (one
        // reader per laptop).
        self.arg("-device").arg("sdhci-pci");
        Ok(self.arg("-device").arg(format!("sd-card,drive={id}")))
    }

    /// Attaches a raw image as a SATA disk on its own AHCI controller.
    pub fn ahci(&mut self, img: &Path, serial: &str) -> &mut Self {
        let id = self.drive(img);
        let ctl = format!("ahci{}", self.disks);
        self.arg("-device").arg(format!("ahci,id={ctl}"));
        self.arg("-device")
            .arg(format!("ide-hd,drive={id},bus={ctl}.0,serial={serial}"))
    }

    /// Attaches a raw image as a SATA disk whose writes fail with EIO at `sector` (QEMU's
    /// blkdebug driver): the guest kernel sees `I/O error, dev sdX, sector N`.
    pub fn ahci_failing_write(
        &mut self,
        img: &Path,
        serial: &str,
        sector: u64,
    ) -> Result<&mut Self> {
        let rules = self.work.join(format!("blkdebug-{serial}.conf"));
        fs::write(
            &rules,
            format!(
                "[inject-error]\nevent = \"none\"\niotype = \"write\"\nerrno = \"5\"\nsector = \"{sector}\"\n"
            ),
        )
        .with_context(|| format!("writing {}", rules.display()))?;
        self.disks += 1;
        let id = format!("d{}", self.disks);
        self.arg("-drive").arg(format!(
            "if=none,id={id},driver=blkdebug,config={},image.driver=raw,image.file.driver=file,image.file.filename={}",
            rules.display(),
            img.display()
        ));
        let ctl = format!("ahci{}", self.disks);
        self.arg("-device").arg(format!("ahci,id={ctl}"));
        self.arg("-device")
            .arg(format!("ide-hd,drive={id},bus={ctl}.0,serial={serial}"));
        Ok(self)
    }

    /// Sets the SMBIOS system identity (type 1).
    pub fn smbios(&mut self, manufacturer: &str, product: &str, serial: &str) -> &mut Self {
        self.arg("-smbios").arg(format!(
            "type=1,manufacturer={manufacturer},product={product},serial={serial}"
        ))
    }

    /// Boots a kernel and initramfs directly (QEMU's loader, no firmware boot menu).
    pub fn kernel(&mut self, kernel: &Path, initrd: &Path, append: &str) -> &mut Self {
        self.arg("-kernel").arg(kernel.display().to_string());
        self.arg("-initrd").arg(initrd.display().to_string());
        self.arg("-append").arg(append)
    }

    /// Boots over the network, user networking serving `tftp_dir` and naming `bootfile`: under
    /// SeaBIOS, iPXE on an e1000 (its option ROM); under OVMF, the firmware's own PXE on a
    /// virtio NIC without option ROM, as a laptop's firmware boots (QEMU's iPXE EFI ROMs are not
    /// signed: Secure Boot would refuse them).
    pub fn pxe(&mut self, tftp_dir: &Path, bootfile: &str) -> &mut Self {
        self.arg("-netdev").arg(format!(
            "user,id=n0,tftp={},bootfile={bootfile}",
            tftp_dir.display()
        ));
        if self.firmware == Firmware::Bios {
            self.arg("-device").arg("e1000,netdev=n0");
        } else {
            self.arg("-device")
                .arg("virtio-net-pci,netdev=n0,romfile=,bootindex=0");
        }
        self.arg("-boot").arg("n")
    }

    /// A laptop without an RJ45: no network card on PCI (QEMU's default one left out), a USB
    /// Ethernet adapter instead (QEMU's usb-net, which Linux drives with cdc_ether), on user
    /// networking, behind the laptop's xHCI controller; `mac` is the adapter's. Plugged in from
    /// the start, or, with `plugged_after`, once that text has appeared on the serial console
    /// (the monitor's `device_add`): an adapter that USB enumerates late.
    pub fn usb_ethernet_only(&mut self, mac: &str, plugged_after: Option<&str>) -> &mut Self {
        self.xhci();
        self.arg("-nic").arg("none");
        self.arg("-netdev").arg("user,id=u0");
        let device = format!("usb-net,netdev=u0,bus=xhci.0,mac={mac}");
        match plugged_after {
            None => self.arg("-device").arg(device),
            Some(after) => {
                self.inputs.push((
                    after.to_owned(),
                    1,
                    Action::Monitor(format!("device_add {device}")),
                ));
                self
            }
        }
    }

    /// Boots the machine and waits until it powers off by itself, at most `timeout`.
    pub fn run(&self, timeout: Duration) -> Result<Run> {
        self.boot(timeout, Ending::PowerOff)
    }

    /// Boots the machine and waits until init says the agent finished (the logs are then on
    /// the data partition), at most `timeout`; then stops the machine, which a failed run leaves
    /// on for the operator.
    pub fn run_until_finished(&self, timeout: Duration) -> Result<Run> {
        self.boot(timeout, Ending::AgentFinished)
    }

    fn boot(&self, timeout: Duration, ending: Ending) -> Result<Run> {
        let serial_path = self.work.join("serial.log");
        let socket = self.work.join("serial.sock");
        let mut cmd = Command::new("qemu-system-x86_64");
        cmd.args(["-accel", "tcg", "-m", "1024", "-smp", "1"]);
        // The monitor: how the test presses keys on the emulated keyboard.
        let monitor = self.work.join("monitor.sock");
        cmd.args(["-display", "none", "-no-reboot"]);
        cmd.arg("-monitor")
            .arg(format!("unix:{},server=on,wait=off", monitor.display()));
        // An entropy source, as real laptops have (RDRAND, TPM): without it the emulated CPU
        // leaves the kernel's CRNG unseeded and getrandom() (station key, wipe key) blocks.
        cmd.args(["-device", "virtio-rng-pci"]);
        // The console: a socket the test types into, and a log file of everything printed.
        cmd.arg("-chardev").arg(format!(
            "socket,id=console,path={},server=on,wait=off,logfile={},logappend=off",
            socket.display(),
            serial_path.display()
        ));
        cmd.arg("-serial").arg("chardev:console");
        let machine = match (self.chipset, self.firmware) {
            (Chipset::Q35, Firmware::SecureBoot) => "q35,smm=on", // OVMF's SMM variable store
            (Chipset::Q35, _) => "q35",
            (Chipset::I440fx, Firmware::Bios) => "pc",
            (Chipset::I440fx, _) => {
                bail!("OVMF runs on q35 only here (its Secure Boot build needs q35's SMM)")
            }
        };
        cmd.args(["-machine", machine]);
        match self.firmware {
            Firmware::Bios => {}
            Firmware::Uefi | Firmware::SecureBoot => {
                let (code, vars) = if self.firmware == Firmware::Uefi {
                    ("OVMF_CODE_4M.fd", "OVMF_VARS_4M.fd")
                } else {
                    ("OVMF_CODE_4M.secboot.fd", "OVMF_VARS_4M.ms.fd")
                };
                let vars_copy = self.work.join("OVMF_VARS.fd");
                fs::copy(Path::new(OVMF).join(vars), &vars_copy)
                    .with_context(|| format!("copying {OVMF}/{vars}"))?;
                if self.firmware == Firmware::SecureBoot {
                    cmd.args(["-global", "driver=cfi.pflash01,property=secure,value=on"]);
                }
                cmd.arg("-drive").arg(format!(
                    "if=pflash,format=raw,unit=0,readonly=on,file={OVMF}/{code}"
                ));
                cmd.arg("-drive").arg(format!(
                    "if=pflash,format=raw,unit=1,file={}",
                    vars_copy.display()
                ));
            }
        }
        // QEMU's -kernel takes boot index 0: then the stick is only a disk, not the boot device.
        let direct_kernel = self.args.iter().any(|a| a == "-kernel");
        cmd.args(self.args.iter().map(|a| {
            if direct_kernel {
                a.replace(",bootindex=0", "")
            } else {
                a.clone()
            }
        }));
        cmd.stdin(Stdio::null()).stdout(Stdio::null());
        cmd.stderr(File::create(self.work.join("qemu.stderr"))?);
        eprintln!("e2e: {cmd:?}");
        let start = Instant::now();
        let mut child = cmd.spawn().context("starting qemu-system-x86_64")?;
        let mut to_first_output = None;
        let mut marks: Vec<(String, Duration)> = Vec::new();
        let mut screens: Vec<(String, PathBuf)> = Vec::new();
        let mut keystrokes = 0;
        let mut inputs = self.inputs.iter().peekable();
        let mut console: Option<std::os::unix::net::UnixStream> = None;
        let status = loop {
            if let Some(status) = child.try_wait()? {
                break status;
            }
            let text = read_lossy(&serial_path).unwrap_or_default();
            if to_first_output.is_none() && text.contains("reprise-init: starting:") {
                to_first_output = Some(start.elapsed());
            }
            for mark in MARKS {
                if !marks.iter().any(|(m, _)| m == mark) && text.contains(mark) {
                    marks.push(((*mark).to_owned(), start.elapsed()));
                }
            }
            while let Some((after, nth, action)) = inputs.peek()
                && text.matches(after.as_str()).count() >= *nth
            {
                if console.is_none() {
                    console = Some(
                        std::os::unix::net::UnixStream::connect(&monitor)
                            .context("connecting to the QEMU monitor")?,
                    );
                }
                let mon = console.as_mut().expect("connected above");
                match action {
                    Action::Keys(keys) => {
                        for key in keys {
                            send_key(mon, key)?;
                            keystrokes += 1;
                        }
                    }
                    Action::Screendump(name) => {
                        let file = self.work.join(format!("{name}.ppm"));
                        screendump(mon, &file)?;
                        screens.push((name.clone(), file));
                    }
                    Action::Monitor(command) => monitor_command(mon, command)?,
                }
                inputs.next();
            }
            // A guest kernel that panicked never powers off (-no-reboot): say so now rather
            // than at the timeout. (Seen under TCG on an overloaded host: "IO-APIC + timer
            // doesn't work", before the kernel's first line.)
            if text.contains("Kernel panic - not syncing") {
                let _ = child.kill();
                let _ = child.wait();
                bail!("the guest kernel panicked:\n{}", tail(&text, 40));
            }
            if ending == Ending::AgentFinished && agent_status(&text).is_some() {
                // Init has saved the logs and synced; the machine now waits for the operator.
                sleep(Duration::from_millis(500));
                let _ = child.kill();
                let _ = child.wait();
                let serial = read_lossy(&serial_path)?;
                return Ok(Run {
                    agent_status: agent_status(&serial),
                    serial,
                    to_first_output,
                    marks,
                    screens,
                    keystrokes,
                });
            }
            if start.elapsed() > timeout {
                let _ = child.kill();
                let _ = child.wait();
                let serial = read_lossy(&serial_path).unwrap_or_default();
                bail!(
                    "the guest did not power off within {timeout:?}; serial console:\n{}",
                    tail(&serial, 60)
                );
            }
            sleep(Duration::from_millis(100));
        };
        let serial = read_lossy(&serial_path)
            .with_context(|| format!("reading {}", serial_path.display()))?;
        let stderr = fs::read_to_string(self.work.join("qemu.stderr")).unwrap_or_default();
        ensure!(
            status.success(),
            "qemu exited with {status}: {stderr}\nserial console:\n{}",
            tail(&serial, 60)
        );
        if let Some(t) = to_first_output {
            eprintln!("e2e: QEMU start -> agent started: {:.1} s", t.as_secs_f64());
        }
        ensure!(
            ending == Ending::PowerOff,
            "the guest powered off before the agent finished:\n{}",
            tail(&serial, 60)
        );
        Ok(Run {
            agent_status: agent_status(&serial).or(Some(0)),
            serial,
            to_first_output,
            marks,
            screens,
            keystrokes,
        })
    }
}

/// Lines of the serial console whose time from QEMU's start a run records (`Run::marks`).
pub const MARKS: &[&str] = &[
    "SYSLINUX",
    "GNU GRUB",
    "reprise-init: Reprise live image",
    "reprise-init: data partition",
    "reprise-init: starting:",
    "reprise: screen machine",
    "reprise: screen wipe",
    "reprise: screen result",
];

impl Run {
    /// When a marked line appeared (`MARKS`), from QEMU's start.
    pub fn mark(&self, line: &str) -> Option<Duration> {
        self.marks.iter().find(|(m, _)| m == line).map(|(_, t)| *t)
    }

    /// Where the boot's time went, from QEMU's start to the agent's first screen: the firmware
    /// (to the boot loader's banner), the boot loader (reading the kernel and initrd), the
    /// kernel (init's uptime), init up to the data partition (drivers, USB), on to the agent,
    /// the agent to its first frame.
    pub fn boot_breakdown(&self) -> Option<String> {
        let uptime: f64 = self
            .serial
            .split("reprise-init: uptime ")
            .nth(1)?
            .split_whitespace()
            .next()?
            .parse()
            .ok()?;
        let s = |m: &str| self.mark(m).map(|d| d.as_secs_f64());
        // The boot loader's banner on the serial console: SYSLINUX (legacy BIOS), GRUB (UEFI).
        let loader = s("SYSLINUX").or_else(|| s("GNU GRUB"))?;
        let init = s("reprise-init: Reprise live image")?;
        let kernel_start = init - uptime;
        let data = s("reprise-init: data partition").unwrap_or(init);
        let start = s("reprise-init: starting:")?;
        let screen = s("reprise: screen machine")?;
        Some(format!(
            "first screen at {screen:.1} s: firmware {loader:.1} s, boot loader {:.1} s, kernel \
             {uptime:.1} s, init to data partition {:.1} s, to agent {:.1} s, agent to first \
             screen {:.1} s",
            kernel_start - loader,
            data - init,
            start - data,
            screen - start
        ))
    }
}

/// The QEMU key name of a character typed by `type_after`.
fn key_name(c: char) -> Result<String> {
    Ok(match c {
        'a'..='z' | '0'..='9' => c.to_string(),
        ' ' => "spc".into(),
        '\r' | '\n' => "ret".into(),
        other => bail!("no key name for {other:?}"),
    })
}

/// Presses and releases one key through the QEMU monitor (HMP `sendkey`).
fn send_key(monitor: &mut std::os::unix::net::UnixStream, key: &str) -> Result<()> {
    use std::io::Write as _;
    monitor
        .write_all(format!("sendkey {key}\n").as_bytes())
        .context("writing to the QEMU monitor")?;
    // The guest's keyboard driver needs the press and release apart.
    sleep(Duration::from_millis(150));
    Ok(())
}

/// Sends one HMP command through the QEMU monitor.
fn monitor_command(monitor: &mut std::os::unix::net::UnixStream, command: &str) -> Result<()> {
    use std::io::Write as _;
    monitor
        .write_all(format!("{command}\n").as_bytes())
        .with_context(|| format!("writing `{command}` to the QEMU monitor"))
}

/// Saves the VGA screen to `file` (PPM) through the QEMU monitor, and waits until it is whole.
fn screendump(monitor: &mut std::os::unix::net::UnixStream, file: &Path) -> Result<()> {
    use std::io::Write as _;
    monitor
        .write_all(format!("screendump {}\n", file.display()).as_bytes())
        .context("writing to the QEMU monitor")?;
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(10) {
        if let Ok(bytes) = fs::read(file)
            && ppm(&bytes).is_ok()
        {
            return Ok(());
        }
        sleep(Duration::from_millis(100));
    }
    bail!("screendump {} did not appear", file.display())
}

/// A PPM (P6, 8-bit) image: width, height, RGB bytes.
pub fn ppm(bytes: &[u8]) -> Result<(usize, usize, &[u8])> {
    let mut fields = Vec::new();
    let mut i = 0;
    while fields.len() < 4 {
        while i < bytes.len() && bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        if bytes.get(i) == Some(&b'#') {
            while i < bytes.len() && bytes[i] != b'\n' {
                i += 1;
            }
            continue;
        }
        let start = i;
        while i < bytes.len() && !bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        ensure!(i > start, "truncated PPM header");
        fields.push(std::str::from_utf8(&bytes[start..i])?.to_owned());
    }
    ensure!(fields[0] == "P6", "not a binary PPM: {}", fields[0]);
    let (w, h): (usize, usize) = (fields[1].parse()?, fields[2].parse()?);
    ensure!(fields[3] == "255", "PPM depth {}", fields[3]);
    let data = &bytes[i + 1..];
    ensure!(data.len() >= w * h * 3, "PPM shorter than {w}x{h}");
    Ok((w, h, &data[..w * h * 3]))
}

/// Code page 437, the VGA text mode's characters, in code order.
const CP437: &str = "\u{0}☺☻♥♦♣♠•◘○◙♂♀♪♫☼►◄↕‼¶§▬↨↑↓→←∟↔▲▼ !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~⌂ÇüéâäàåçêëèïîìÄÅÉæÆôöòûùÿÖÜ¢£¥₧ƒáíóúñÑªº¿⌐¬½¼¡«»░▒▓│┤╡╢╖╕╣║╗╝╜╛┐└┴┬├─┼╞╟╚╔╩╦╠═╬╧╨╤╥╙╘╒╓╫╪┘┌█▄▌▐▀αßΓπΣσµτΦΘΩδ∞φε∩≡±≥≤⌠⌡÷≈°∙·√ⁿ²■\u{a0}";

/// The 8×16 font of QEMU's VGA BIOS (SeaVGABIOS), the glyphs a text-mode screendump is drawn
/// with: found in the ROM by the standard glyph of `A`.
fn vga_font() -> Result<Vec<[u8; 16]>> {
    let rom = fs::read("/usr/share/seabios/vgabios-stdvga.bin")
        .context("reading QEMU's VGA BIOS (seabios package)")?;
    let a: [u8; 16] = [
        0, 0, 0x10, 0x38, 0x6c, 0xc6, 0xc6, 0xfe, 0xc6, 0xc6, 0xc6, 0xc6, 0, 0, 0, 0,
    ];
    let at = rom
        .windows(16)
        .position(|w| w == a)
        .context("no 8x16 font in the VGA BIOS")?;
    let base = at
        .checked_sub(0x41 * 16)
        .context("font table starts before the ROM")?;
    let table = rom
        .get(base..base + 256 * 16)
        .context("font table cut short")?;
    Ok(table
        .chunks(16)
        .map(|g| g.try_into().expect("16 rows"))
        .collect())
}

/// The text of a VGA text-mode screendump (80×25 cells of 9×16 or 8×16 pixels): each cell is
/// matched against the VGA font, both ways round (the cell's colours tell background from
/// foreground only by count).
pub fn read_screen(ppm_file: &Path) -> Result<String> {
    let bytes = fs::read(ppm_file).with_context(|| format!("reading {}", ppm_file.display()))?;
    let (w, h, rgb) = ppm(&bytes)?;
    ensure!(
        h == 400 && (w == 720 || w == 640),
        "{}: {w}x{h} is not an 80x25 text screen",
        ppm_file.display()
    );
    let font = vga_font()?;
    let cw = w / 80;
    let chars: Vec<char> = CP437.chars().collect();
    let mut out = String::new();
    for row in 0..25 {
        for col in 0..80 {
            let px = |x: usize, y: usize| {
                let i = ((row * 16 + y) * w + col * cw + x) * 3;
                (rgb[i], rgb[i + 1], rgb[i + 2])
            };
            // The background: the colour of most of the cell's pixels.
            let mut counts: Vec<((u8, u8, u8), usize)> = Vec::new();
            for y in 0..16 {
                for x in 0..8 {
                    let p = px(x, y);
                    match counts.iter_mut().find(|(c, _)| *c == p) {
                        Some((_, n)) => *n += 1,
                        None => counts.push((p, 1)),
                    }
                }
            }
            let bg = counts.iter().max_by_key(|(_, n)| *n).map(|(c, _)| *c);
            let mut bits = [0u8; 16];
            for (y, b) in bits.iter_mut().enumerate() {
                for x in 0..8 {
                    if Some(px(x, y)) != bg {
                        *b |= 0x80 >> x;
                    }
                }
            }
            let score = |g: &[u8; 16], invert: bool| -> u32 {
                g.iter()
                    .zip(bits.iter())
                    .map(|(a, b)| (if invert { !a } else { *a } ^ b).count_ones())
                    .sum()
            };
            let mut best = (u32::MAX, ' ');
            for (code, g) in font.iter().enumerate() {
                // Blank-looking glyphs (NUL, space, NBSP) read as space.
                let c = if matches!(code, 0 | 0x20 | 0xff) {
                    ' '
                } else {
                    chars[code]
                };
                for invert in [false, true] {
                    let s = score(g, invert);
                    if s < best.0 {
                        best = (s, c);
                    }
                }
            }
            out.push(best.1);
        }
        out.push('\n');
    }
    Ok(out)
}

/// The text of a QR code on a screendump, decoded.
pub fn read_qr(ppm_file: &Path) -> Result<String> {
    let bytes = fs::read(ppm_file)?;
    let (w, h, rgb) = ppm(&bytes)?;
    let mut img = rqrr::PreparedImage::prepare_from_greyscale(w, h, |x, y| {
        let i = (y * w + x) * 3;
        ((u16::from(rgb[i]) + u16::from(rgb[i + 1]) + u16::from(rgb[i + 2])) / 3) as u8
    });
    let grids = img.detect_grids();
    ensure!(!grids.is_empty(), "no QR code on {}", ppm_file.display());
    let (_, content) = grids[0]
        .decode()
        .map_err(|e| anyhow::anyhow!("the QR code does not decode: {e:?}"))?;
    Ok(content)
}

/// A console log as text (firmware prints escape sequences that are not always UTF-8).
fn read_lossy(path: &Path) -> std::io::Result<String> {
    Ok(String::from_utf8_lossy(&fs::read(path)?).into_owned())
}

/// The last `n` lines of a text.
pub fn tail(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

/// The text between the line `==== BEGIN-MARKER ====` and the next line starting with
/// `==== END-MARKER`, if both are present.
pub fn between<'a>(text: &'a str, begin: &str, end: &str) -> Option<&'a str> {
    let b = format!("==== {begin} ====");
    let start = text.find(&b)? + b.len();
    let len = text[start..].find(&format!("==== {end}"))?;
    Some(text[start..start + len].trim())
}

/// Creates a sparse file of `size` bytes (a fresh virtual disk).
pub fn sparse_disk(path: &Path, size: u64) -> Result<()> {
    let f = File::create(path).with_context(|| format!("creating {}", path.display()))?;
    f.set_len(size)
        .with_context(|| format!("sizing {}", path.display()))?;
    Ok(())
}

/// Copies the pristine `reprise.img` into `dir` and returns the copy's path.
pub fn copy_stick(out: &Outputs, dir: &Path) -> Result<PathBuf> {
    let copy = dir.join("stick.img");
    fs::copy(out.reprise_img(), &copy).with_context(|| {
        format!(
            "copying {} to {}",
            out.reprise_img().display(),
            copy.display()
        )
    })?;
    Ok(copy)
}

/// A copy of the stick, configured with a `reprise.conf`, and a snapshot of it taken before boot.
#[derive(Debug)]
pub struct Stick {
    pub path: PathBuf,
    pub data: DataPartition,
    before: PathBuf,
}

impl Stick {
    /// Copies `reprise.img` into `dir`, writes `conf` as its `reprise.conf`, and keeps a
    /// snapshot to compare with after the boot.
    pub fn configured(out: &Outputs, dir: &Path, conf: &str) -> Result<Self> {
        let path = copy_stick(out, dir)?;
        let data = DataPartition::of(&path)?;
        data.write("reprise.conf", conf, dir)?;
        let before = dir.join("before.img");
        fs::copy(&path, &before).with_context(|| format!("snapshot of {}", path.display()))?;
        Ok(Stick { path, data, before })
    }

    /// Whether the boot left every byte outside the data partition as it was.
    pub fn unchanged_outside_data(&self) -> Result<bool> {
        same_outside(&self.before, &self.path, gpt_partition(&self.path, 3)?)
    }
}

/// Byte range (offset, length) of GPT partition `number` (1-based) of a disk image.
pub fn gpt_partition(img: &Path, number: u32) -> Result<(u64, u64)> {
    let mut f = File::open(img).with_context(|| format!("opening {}", img.display()))?;
    let mut header = [0u8; 92];
    f.seek(SeekFrom::Start(512))?;
    f.read_exact(&mut header)?;
    ensure!(
        &header[..8] == b"EFI PART",
        "{}: no GPT header",
        img.display()
    );
    let le64 = |b: &[u8]| u64::from_le_bytes(b[..8].try_into().expect("8 bytes"));
    let entries_lba = le64(&header[72..]);
    let entry_size = u64::from(u32::from_le_bytes(header[84..88].try_into()?));
    let mut entry = vec![0u8; usize::try_from(entry_size)?];
    f.seek(SeekFrom::Start(
        entries_lba * 512 + u64::from(number - 1) * entry_size,
    ))?;
    f.read_exact(&mut entry)?;
    let (first, last) = (le64(&entry[32..]), le64(&entry[40..]));
    ensure!(
        first != 0 && last >= first,
        "{}: no partition {number}",
        img.display()
    );
    Ok((first * 512, (last - first + 1) * 512))
}

/// The stick's data partition (the FAT labelled REPRISE), addressed through mtools.
#[derive(Debug)]
pub struct DataPartition {
    target: String,
}

impl DataPartition {
    /// The data partition (GPT partition 3) of a copy of `reprise.img`.
    pub fn of(img: &Path) -> Result<Self> {
        let (offset, _) = gpt_partition(img, 3)?;
        Ok(DataPartition {
            target: format!("{}@@{offset}", img.display()),
        })
    }

    fn mtools(&self, tool: &str, args: &[&str]) -> Result<Vec<u8>> {
        let out = Command::new(tool)
            .arg("-i")
            .arg(&self.target)
            .args(args)
            .env("MTOOLS_SKIP_CHECK", "1")
            .output()
            .with_context(|| format!("running {tool}"))?;
        ensure!(
            out.status.success(),
            "{tool} {args:?} on {}: {}",
            self.target,
            String::from_utf8_lossy(&out.stderr)
        );
        Ok(out.stdout)
    }

    /// Writes `contents` to `path` (e.g. "reprise.conf") on the partition.
    pub fn write(&self, path: &str, contents: &str, scratch: &Path) -> Result<()> {
        let local = scratch.join("mtools-upload");
        fs::write(&local, contents)?;
        self.mtools(
            "mcopy",
            &["-o", &local.display().to_string(), &format!("::{path}")],
        )?;
        Ok(())
    }

    /// Reads file `path` from the partition.
    pub fn read(&self, path: &str) -> Result<Vec<u8>> {
        self.mtools("mcopy", &["-n", &format!("::{path}"), "-"])
    }

    /// Names of the entries of directory `dir`.
    pub fn list(&self, dir: &str) -> Result<Vec<String>> {
        let out = self.mtools("mdir", &["-b", &format!("::{dir}")])?;
        Ok(String::from_utf8(out)?
            .lines()
            .filter_map(|l| l.rsplit('/').next())
            .filter(|n| !n.is_empty())
            .map(str::to_owned)
            .collect())
    }

    /// File names of the certificates in `certs/` (its `.json` files: not its subfolders, not
    /// a `.json.tmp` left by a cut write).
    pub fn certificates(&self) -> Result<Vec<String>> {
        Ok(self
            .list("certs")?
            .into_iter()
            .filter(|n| n.ends_with(".json"))
            .collect())
    }
}

/// Checks that two images have the same bytes everywhere except in `skip` (offset, length).
pub fn same_outside(a: &Path, b: &Path, skip: (u64, u64)) -> Result<bool> {
    let (x, y) = (fs::read(a)?, fs::read(b)?);
    if x.len() != y.len() {
        return Ok(false);
    }
    let (start, end) = (usize::try_from(skip.0)?, usize::try_from(skip.0 + skip.1)?);
    Ok(x[..start] == y[..start] && x[end..] == y[end..])
}

/// Runs a disk tool (sgdisk, mkfs, mtools, debugfs...) to its end; its standard output, or
/// its standard error in the error when it fails.
pub(crate) fn run(prog: &str, args: &[&str]) -> Result<Vec<u8>> {
    let out = Command::new(prog)
        .args(args)
        .env("MTOOLS_SKIP_CHECK", "1")
        .output()
        .with_context(|| format!("running {prog}"))?;
    ensure!(
        out.status.success(),
        "{prog} {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(out.stdout)
}

/// Makes `img` (`size` bytes of `fill`) look like a disk that came with a laptop and carries a
/// partition labelled REPRISE — GPT partition 1, FAT, holding `conf` as `reprise.conf` — made
/// with sgdisk, mkfs.vfat and mtools, the way anyone could make one.
pub fn donor_disk_with_reprise_partition(img: &Path, fill: &[u8], conf: &str) -> Result<()> {
    fs::write(img, fill).with_context(|| format!("writing {}", img.display()))?;
    let img_s = img.to_str().context("UTF-8 path")?;
    run(
        "sgdisk",
        &[
            "-n",
            "1:2048:34815",
            "-t",
            "1:0700",
            "-c",
            "1:REPRISE",
            img_s,
        ],
    )?;
    let fat = img.with_extension("fat");
    let fat_s = fat.to_str().context("UTF-8 path")?;
    let _ = fs::remove_file(&fat);
    run("mkfs.vfat", &["-n", "REPRISE", "-C", fat_s, "16384"])?;
    let conf_file = img.with_extension("conf");
    fs::write(&conf_file, conf)?;
    run(
        "mcopy",
        &[
            "-i",
            fat_s,
            conf_file.to_str().context("UTF-8 path")?,
            "::reprise.conf",
        ],
    )?;
    let bytes = fs::read(&fat)?;
    let mut disk = fs::OpenOptions::new().write(true).open(img)?;
    disk.seek(SeekFrom::Start(2048 * 512))?;
    std::io::Write::write_all(&mut disk, &bytes)?;
    disk.sync_all()?;
    Ok(())
}
