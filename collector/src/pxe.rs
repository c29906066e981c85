//! The PXE rack: which machine gets automatic mode, and what each machine boots — an iPXE
//! script (legacy BIOS), or a GRUB configuration (UEFI, Secure Boot: the firmware loads
//! Debian's signed shim, shim the signed network GRUB, GRUB this configuration over TFTP).
//!
//! Pure: marks, a MAC and an address in, a decision and a script out. A machine that PXE-boots
//! by accident must never be wiped without someone at it: only a machine marked by its MAC, or
//! booting from a marked subnet, gets `reprise.auto=`; every other one gets the interactive
//! agent, which wipes nothing before the operator types `yes` at that machine. Both boot paths
//! give the same kernel command line ([`cmdline`]).

use std::net::IpAddr;

use reprise_cert::model::Level;

use crate::store::Mark;

/// The kernel command line the live image boots with over the network (as `image/boot.ipxe`,
/// tested, and the stick's menu with `ip=dhcp`): serial and screen consoles, quiet, the kernel's
/// crypto self-tests and kprobe trace set-up skipped (as on the stick: `image/syslinux.cfg`),
/// DHCP in the initramfs. No `reprise.wait`: a kernel no boot loader loaded from a disk has no
/// boot medium, and init does not wait for one.
pub const BASE_CMDLINE: &str = concat!(
    "console=ttyS0,115200 console=tty0 quiet ",
    "cryptomgr.notests initcall_blacklist=init_kprobe_trace ip=dhcp"
);

/// What iPXE puts before [`BASE_CMDLINE`]: the name of the image it loaded. Under UEFI the
/// kernel's EFI stub loads the initramfs by that name (Debian 12's iPXE has no other way to hand
/// it over; without it the kernel finds no root file system); legacy BIOS boots ignore it. GRUB
/// hands the initramfs over itself.
pub const IPXE_INITRD_ARG: &str = "initrd=initrd.img";

/// The boot files served from `--boot-dir` (the `out/` of `scripts/build-image`), and nothing
/// else of that directory: Debian's signed kernel (UEFI), the same kernel in a zstd bzImage
/// (a BIOS: 3.5 s less of decompression under emulation, see the image's README), the
/// initramfs, and for UEFI network boot Debian's signed shim and network GRUB under the names
/// the firmware and shim ask for.
pub const BOOT_FILES: [&str; 5] = [
    "vmlinuz",
    "vmlinuz-bios",
    "initrd.img",
    "bootx64.efi",
    "grubx64.efi",
];

/// The script's choice of kernel, made by iPXE itself: only it knows whether it runs on a BIOS
/// or on UEFI, whose firmware may enforce Secure Boot on the kernel's signature.
const KERNEL_CHOICE: &str =
    "iseq ${platform} pcbios && set reprise-kernel vmlinuz-bios || set reprise-kernel vmlinuz";

/// `aa:bb:cc:dd:ee:ff` (lower case) from the usual spellings (`:`/`-` separated or bare hex).
pub fn parse_mac(s: &str) -> Result<String, String> {
    let hexdigits: String = s
        .trim()
        .chars()
        .filter(|c| *c != ':' && *c != '-' && *c != '.')
        .collect();
    if hexdigits.len() != 12 || !hexdigits.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(format!("{s:?} is not a MAC address (aa:bb:cc:dd:ee:ff)"));
    }
    let lower = hexdigits.to_ascii_lowercase();
    Ok((0..6)
        .map(|i| &lower[2 * i..2 * i + 2])
        .collect::<Vec<_>>()
        .join(":"))
}

/// An IPv4 or IPv6 subnet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Subnet {
    network: IpAddr,
    prefix: u8,
}

fn bits(ip: IpAddr) -> (u128, u8) {
    match ip {
        IpAddr::V4(v4) => (u128::from(u32::from(v4)), 32),
        IpAddr::V6(v6) => (u128::from(v6), 128),
    }
}

fn mask(prefix: u8, width: u8) -> u128 {
    let all = if width == 32 {
        u128::from(u32::MAX)
    } else {
        u128::MAX
    };
    if prefix == 0 {
        0
    } else {
        all & !((1u128 << (width - prefix)) - 1) & all
    }
}

/// IPv4 clients seen through an IPv6 socket (`::ffff:10.0.5.3`) as plain IPv4.
pub fn unmap(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

impl Subnet {
    /// Parses `10.0.5.0/24` or `fd00::/64`; host bits are cleared (`10.0.5.7/24` is the same
    /// subnet as `10.0.5.0/24`).
    pub fn parse(s: &str) -> Result<Subnet, String> {
        let bad = || format!("{s:?} is not a subnet (like 10.0.5.0/24)");
        let (addr, prefix) = s.trim().split_once('/').ok_or_else(bad)?;
        let ip: IpAddr = addr.parse().map_err(|_| bad())?;
        let prefix: u8 = prefix.parse().map_err(|_| bad())?;
        let (value, width) = bits(ip);
        if prefix > width {
            return Err(bad());
        }
        let network = value & mask(prefix, width);
        let network = match ip {
            IpAddr::V4(_) => IpAddr::V4(u32::try_from(network).map_err(|_| bad())?.into()),
            IpAddr::V6(_) => IpAddr::V6(network.into()),
        };
        Ok(Subnet { network, prefix })
    }

    pub fn prefix(&self) -> u8 {
        self.prefix
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = unmap(ip);
        let (net, width) = bits(self.network);
        let (value, w) = bits(ip);
        w == width && value & mask(self.prefix, width) == net
    }
}

impl std::fmt::Display for Subnet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.network, self.prefix)
    }
}

/// A site name that the iPXE script, the GRUB configuration and the kernel command line carry
/// as one word: none of them quotes reliably, so no white space, no quotes, no `$` (iPXE and GRUB
/// expand `${...}`), no `\\`, and none of the characters GRUB's script language gives a meaning
/// (`;` `&` `|` `<` `>` `{` `}` `(` `)` `#`).
pub fn check_cmdline_word(what: &str, s: &str) -> Result<(), String> {
    const SPECIAL: &str = "\"'$\\`;&|<>{}()#";
    if s.is_empty()
        || s.chars()
            .any(|c| c.is_whitespace() || c.is_control() || SPECIAL.contains(c))
    {
        return Err(format!(
            "{what} {s:?} must be one word for the kernel command line (no spaces, quotes, or any of \
             $ \\ ; & | < > {{ }} ( ) #), e.g. college-pasteur"
        ));
    }
    Ok(())
}

/// Why a machine gets automatic mode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AutoMode {
    pub mode: Level,
    /// The mark that gave it: "MAC aa:.." or "subnet 10.0.5.0/24".
    pub because: String,
    pub site: Option<String>,
    /// The OS image the mark names (`reprise.deploy=`): deployed after a refurbish verdict.
    pub image: Option<String>,
}

/// The mark that applies to a machine: its MAC first, else the most specific subnet holding
/// its address. `None`: the interactive agent. A mark whose mode is not a level (the database
/// edited by hand) gives no automatic mode: nothing is wiped unasked.
pub fn decide(marks: &[Mark], mac: Option<&str>, ip: IpAddr) -> Option<AutoMode> {
    if let Some(mac) = mac
        && let Some(m) = marks.iter().find(|m| m.kind == "mac" && m.value == mac)
    {
        return Some(AutoMode {
            mode: m.mode.parse().ok()?,
            because: format!("MAC {}", m.value),
            site: m.site.clone(),
            image: m.image.clone(),
        });
    }
    marks
        .iter()
        .filter(|m| m.kind == "subnet")
        .filter_map(|m| Subnet::parse(&m.value).ok().map(|s| (s, m)))
        .filter(|(s, _)| s.contains(ip))
        .max_by_key(|(s, _)| s.prefix())
        .and_then(|(s, m)| {
            Some(AutoMode {
                mode: m.mode.parse().ok()?,
                because: format!("subnet {s}"),
                site: m.site.clone(),
                image: m.image.clone(),
            })
        })
}

/// What goes into one machine's script.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScriptInput<'a> {
    /// Base URL of the collector as the machine reaches it (no trailing slash).
    pub base_url: &'a str,
    pub mac: Option<&'a str>,
    pub ip: IpAddr,
    pub auto: Option<&'a AutoMode>,
    /// One-time PXE enrolment token for the agent's station key, if one was issued.
    pub enroll_token: Option<&'a str>,
    /// The fingerprint of the collector's server key (`sha256:…`): the agent believes only
    /// answers signed by it (a network boot has no stick to remember a key on).
    pub server_key_id: &'a str,
}

/// The kernel command line of one machine.
pub fn cmdline(input: &ScriptInput<'_>) -> String {
    let mut line = format!(
        "{BASE_CMDLINE} reprise.server={} reprise.server-key={}",
        input.base_url, input.server_key_id
    );
    if let Some(auto) = input.auto {
        line.push_str(&format!(" reprise.auto={} reprise.poweroff=1", auto.mode));
        if let Some(site) = auto
            .site
            .as_deref()
            .filter(|s| check_cmdline_word("site", s).is_ok())
        {
            line.push_str(&format!(" reprise.site={site}"));
        }
        // A name `mark --image` checked; one edited in by hand that is not a plain word is
        // left out rather than let it break the command line.
        if let Some(image) = auto
            .image
            .as_deref()
            .filter(|i| crate::images::check_name("image", i).is_ok())
        {
            line.push_str(&format!(" reprise.deploy={image}"));
        }
    }
    if let Some(token) = input.enroll_token {
        line.push_str(&format!(" reprise.enroll={token}"));
    }
    line
}

/// The script for a request that did not say which machine: fetch the real one with the MAC.
pub fn rechain_script(base_url: &str) -> String {
    format!("#!ipxe\nchain {base_url}/boot.ipxe?mac=${{net0/mac}}\n")
}

/// The first lines of a machine's script or configuration: a comment saying who and why, and
/// the line shown on its screen.
fn banner(input: &ScriptInput<'_>) -> (String, String) {
    let who = format!(
        "{} ({})",
        input.mac.unwrap_or("unknown MAC"),
        unmap(input.ip)
    );
    match input.auto {
        Some(a) => (
            format!(
                "# Reprise for {who}: automatic {} because of {}",
                a.mode, a.because
            ),
            format!(
                "Reprise: AUTOMATIC {} of this machine's disks ({}){}, then power off",
                a.mode.as_str().to_uppercase(),
                a.because,
                a.image
                    .as_deref()
                    .filter(|i| crate::images::check_name("image", i).is_ok())
                    .map(|i| format!(", image {i} on a refurbish verdict"))
                    .unwrap_or_default()
            ),
        ),
        None => (
            format!("# Reprise for {who}: interactive (not marked for automatic mode)"),
            "Reprise: interactive - nothing is wiped without confirmation at this machine"
                .to_string(),
        ),
    }
}

/// The iPXE script for one machine.
pub fn script(input: &ScriptInput<'_>) -> String {
    let (comment, echo) = banner(input);
    format!(
        "#!ipxe\n{comment}\necho {echo}\n{KERNEL_CHOICE}\nkernel {base}/boot/${{reprise-kernel}} {IPXE_INITRD_ARG} {cmdline}\ninitrd {base}/boot/initrd.img\nboot\n",
        base = input.base_url,
        cmdline = cmdline(input),
    )
}

/// Where GRUB fetches a machine's configuration: `grub/mac/<MAC>.cfg` on the collector's TFTP
/// server, the MAC as GRUB's `${net_default_mac}` spells it.
pub const GRUB_MACHINE_DIR: &str = "grub/mac/";

/// GRUB's name for the collector's TFTP server, `(tftp,HOST:PORT)`: the host of the public URL
/// (the address the rack's machines reach the collector at) and the TFTP port.
pub fn grub_tftp_device(public_url: &str, tftp_port: u16) -> Result<String, String> {
    let bad = || {
        format!("--public-url {public_url:?}: no host for GRUB to reach the collector's TFTP at")
    };
    let rest = public_url
        .strip_prefix("http://")
        .or_else(|| public_url.strip_prefix("https://"))
        .ok_or_else(bad)?;
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if authority.contains('@') {
        return Err(bad());
    }
    let host = if let Some(v6) = authority.strip_prefix('[') {
        // GRUB reads a bracketed IPv6 address followed by its port.
        format!("[{}]", v6.split(']').next().unwrap_or_default())
    } else {
        authority.split(':').next().unwrap_or_default().to_string()
    };
    if host.is_empty()
        || host == "[]"
        || !host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'))
    {
        return Err(bad());
    }
    Ok(format!("(tftp,{host}:{tftp_port})"))
}

/// `grub/grub.cfg`, the same for every machine: what GRUB reads first from the TFTP server it
/// was loaded from (its prefix is `/grub`). It asks the collector for this machine's
/// configuration by its MAC, the way iPXE's first script does ([`rechain_script`]); if that
/// does not boot, it says so and gives the machine back to its firmware (the next boot entry).
pub fn grub_rechain(device: &str) -> String {
    format!(
        "# Reprise: UEFI network boot (shim, GRUB). The same file for every machine: the collector\n\
         # answers with this machine's configuration, by its MAC, from its TFTP server.\n\
         source \"{device}/{GRUB_MACHINE_DIR}${{net_default_mac}}.cfg\"\n\
         echo \"Reprise: no boot from the collector at {device} (see above); back to the firmware in 30 s\"\n\
         sleep 30\n\
         exit\n"
    )
}

/// The MAC a GRUB request names, when `filename` (leading `/` removed) is one: `Some(None)` for
/// a name in [`GRUB_MACHINE_DIR`] that is not a MAC (GRUB found none: the interactive agent).
pub fn grub_machine_request(filename: &str) -> Option<Option<String>> {
    let mac = filename
        .strip_prefix(GRUB_MACHINE_DIR)?
        .strip_suffix(".cfg")?;
    Some(parse_mac(mac).ok())
}

/// GRUB's configuration for one machine, fetched over TFTP from `device`: the signed kernel
/// (UEFI, Secure Boot checks it through shim) and the initramfs, with [`cmdline`].
pub fn grub_config(input: &ScriptInput<'_>, device: &str) -> String {
    let (comment, echo) = banner(input);
    format!(
        "{comment}\necho \"{echo}\"\nlinux {device}/boot/vmlinuz {cmdline}\ninitrd {device}/boot/initrd.img\nboot\n",
        cmdline = cmdline(input),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    fn mark(kind: &str, value: &str, mode: &str) -> Mark {
        Mark {
            kind: kind.into(),
            value: value.into(),
            mode: mode.into(),
            site: None,
            created_at: "t".into(),
            image: None,
        }
    }

    #[test]
    fn macs_are_normalized_and_garbage_refused() {
        for s in ["52:54:00:AB:cd:01", "52-54-00-ab-cd-01", "525400abcd01"] {
            assert_eq!(parse_mac(s).unwrap(), "52:54:00:ab:cd:01");
        }
        for s in ["", "52:54:00:ab:cd", "zz:54:00:ab:cd:01", "${net0/mac}"] {
            assert!(parse_mac(s).is_err(), "{s}");
        }
    }

    #[test]
    fn subnets_parse_canonically_and_contain_their_addresses() {
        let s = Subnet::parse("10.0.5.77/24").unwrap();
        assert_eq!(s.to_string(), "10.0.5.0/24");
        assert!(s.contains("10.0.5.3".parse().unwrap()));
        assert!(s.contains("::ffff:10.0.5.3".parse().unwrap()));
        assert!(!s.contains("10.0.6.3".parse().unwrap()));
        assert!(!s.contains("fd00::1".parse().unwrap()));
        assert!(
            Subnet::parse("0.0.0.0/0")
                .unwrap()
                .contains("1.2.3.4".parse().unwrap())
        );
        assert!(
            Subnet::parse("10.0.0.1/32")
                .unwrap()
                .contains("10.0.0.1".parse().unwrap())
        );
        let v6 = Subnet::parse("fd00:1::5/64").unwrap();
        assert_eq!(v6.to_string(), "fd00:1::/64");
        assert!(v6.contains("fd00:1::9".parse().unwrap()));
        for bad in ["10.0.5.0", "10.0.5.0/33", "x/8", "fd00::/129"] {
            assert!(Subnet::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn only_marked_machines_get_automatic_mode_mac_first_then_the_narrowest_subnet() {
        let marks = vec![
            mark("subnet", "10.0.0.0/8", "clear"),
            mark("subnet", "10.0.5.0/24", "purge"),
            mark("mac", "52:54:00:00:00:01", "clear"),
        ];
        let ip = "10.0.5.9".parse().unwrap();
        let by_mac = decide(&marks, Some("52:54:00:00:00:01"), ip).unwrap();
        assert_eq!(
            (by_mac.mode, by_mac.because.as_str()),
            (Level::Clear, "MAC 52:54:00:00:00:01")
        );
        let by_net = decide(&marks, Some("52:54:00:00:00:02"), ip).unwrap();
        assert_eq!(by_net.because, "subnet 10.0.5.0/24");
        assert_eq!(by_net.mode, Level::Purge);
        assert_eq!(decide(&marks, None, "192.168.1.4".parse().unwrap()), None);
        let unreadable = [mark("mac", "52:54:00:00:00:01", "wipe-everything")];
        assert_eq!(decide(&unreadable, Some("52:54:00:00:00:01"), ip), None);
    }

    #[test]
    fn the_command_line_and_the_choice_of_kernel_are_image_boot_ipxe_s() {
        // The image's own script, for PXE servers other than the collector: one command line.
        let boot_ipxe = include_str!("../../image/boot.ipxe");
        let kernel = boot_ipxe
            .lines()
            .find_map(|l| l.strip_prefix("kernel ${reprise-kernel} "))
            .expect("image/boot.ipxe has a kernel line");
        assert_eq!(kernel, format!("{IPXE_INITRD_ARG} {BASE_CMDLINE}"));
        assert!(boot_ipxe.lines().any(|l| l == KERNEL_CHOICE));
    }

    #[test]
    fn the_network_command_line_is_the_sticks_with_dhcp() {
        // The stick's first entry (UEFI GRUB and SYSLINUX alike) boots with the same options.
        let grub = include_str!("../../image/grub.cfg");
        let stick = grub
            .lines()
            .find_map(|l| l.trim().strip_prefix("linux /boot/vmlinuz "))
            .expect("image/grub.cfg has a linux line");
        assert_eq!(format!("{stick} ip=dhcp"), BASE_CMDLINE);
        let syslinux = include_str!("../../image/syslinux.cfg");
        let append = syslinux
            .lines()
            .find_map(|l| l.trim().strip_prefix("APPEND initrd=/boot/initrd.img "))
            .expect("image/syslinux.cfg has an APPEND line");
        assert_eq!(append, stick);
    }

    #[test]
    fn grub_reaches_the_collector_by_the_public_urls_host_and_the_tftp_port() {
        for (url, device) in [
            ("http://10.0.5.1:8080", "(tftp,10.0.5.1:6969)"),
            (
                "https://collector.atelier.example/reprise",
                "(tftp,collector.atelier.example:6969)",
            ),
            ("http://[fd00::1]:8080/", "(tftp,[fd00::1]:6969)"),
        ] {
            assert_eq!(grub_tftp_device(url, 6969).as_deref(), Ok(device), "{url}");
        }
        for bad in [
            "10.0.5.1:8080",
            "http://",
            "http://user@host/",
            "http://a;b/",
            "ftp://x",
        ] {
            assert!(grub_tftp_device(bad, 69).is_err(), "{bad}");
        }
    }

    #[test]
    fn grub_asks_for_its_machine_by_mac_and_gets_the_same_command_line_as_ipxe() {
        let device = "(tftp,10.0.2.2:6969)";
        let rechain = grub_rechain(device);
        assert!(
            rechain.contains("\nsource \"(tftp,10.0.2.2:6969)/grub/mac/${net_default_mac}.cfg\"\n"),
            "{rechain}"
        );
        assert!(rechain.ends_with("\nexit\n"), "{rechain}");
        assert_eq!(
            grub_machine_request("grub/mac/52:54:00:12:34:56.cfg"),
            Some(Some("52:54:00:12:34:56".into()))
        );
        assert_eq!(grub_machine_request("grub/mac/.cfg"), Some(None));
        assert_eq!(grub_machine_request("grub/grub.cfg"), None);
        assert_eq!(grub_machine_request("grub/mac/52:54:00:12:34:56"), None);

        let auto = AutoMode {
            mode: Level::Clear,
            because: "subnet 10.0.2.0/24".into(),
            site: Some("rack-1".into()),
            image: None,
        };
        let input = ScriptInput {
            base_url: "http://10.0.2.2:8080",
            mac: Some("52:54:00:12:34:56"),
            ip: "10.0.2.15".parse().unwrap(),
            auto: Some(&auto),
            enroll_token: Some("ab12"),
            server_key_id: KEY,
        };
        let config = grub_config(&input, device);
        assert_eq!(
            config,
            "# Reprise for 52:54:00:12:34:56 (10.0.2.15): automatic clear because of subnet 10.0.2.0/24\n\
             echo \"Reprise: AUTOMATIC CLEAR of this machine's disks (subnet 10.0.2.0/24), then power off\"\n\
             linux (tftp,10.0.2.2:6969)/boot/vmlinuz console=ttyS0,115200 console=tty0 quiet cryptomgr.notests initcall_blacklist=init_kprobe_trace ip=dhcp reprise.server=http://10.0.2.2:8080 reprise.server-key=sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef reprise.auto=clear reprise.poweroff=1 reprise.site=rack-1 reprise.enroll=ab12\n\
             initrd (tftp,10.0.2.2:6969)/boot/initrd.img\nboot\n"
        );
        // iPXE's kernel line: its initrd name, then the very same command line.
        let ipxe = script(&input);
        let kernel = ipxe.lines().find(|l| l.starts_with("kernel ")).unwrap();
        assert!(
            kernel.ends_with(&format!(" {IPXE_INITRD_ARG} {}", cmdline(&input))),
            "{ipxe}"
        );
        let linux = config.lines().find(|l| l.starts_with("linux ")).unwrap();
        assert!(
            linux.ends_with(&format!(" {}", cmdline(&input))),
            "{config}"
        );
    }

    #[test]
    fn the_script_boots_the_image_like_boot_ipxe_and_adds_auto_only_when_marked() {
        let base = "http://10.0.2.2:8080";
        let ip = "10.0.2.15".parse().unwrap();
        let interactive = script(&ScriptInput {
            base_url: base,
            mac: Some("52:54:00:12:34:56"),
            ip,
            auto: None,
            enroll_token: None,
            server_key_id: KEY,
        });
        assert_eq!(
            interactive,
            "#!ipxe\n# Reprise for 52:54:00:12:34:56 (10.0.2.15): interactive (not marked for automatic mode)\n\
             echo Reprise: interactive - nothing is wiped without confirmation at this machine\n\
             iseq ${platform} pcbios && set reprise-kernel vmlinuz-bios || set reprise-kernel vmlinuz\n\
             kernel http://10.0.2.2:8080/boot/${reprise-kernel} initrd=initrd.img console=ttyS0,115200 console=tty0 quiet cryptomgr.notests initcall_blacklist=init_kprobe_trace ip=dhcp reprise.server=http://10.0.2.2:8080 reprise.server-key=sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n\
             initrd http://10.0.2.2:8080/boot/initrd.img\nboot\n"
        );
        assert!(!interactive.contains("reprise.auto"));
        let auto = AutoMode {
            mode: Level::Clear,
            because: "MAC 52:54:00:12:34:56".into(),
            site: Some("college-pasteur".into()),
            image: Some("debian-12".into()),
        };
        let line = cmdline(&ScriptInput {
            base_url: base,
            mac: None,
            ip,
            auto: Some(&auto),
            enroll_token: Some("ab12"),
            server_key_id: KEY,
        });
        let expected = format!(
            "reprise.server=http://10.0.2.2:8080 reprise.server-key={KEY} reprise.auto=clear \
             reprise.poweroff=1 reprise.site=college-pasteur reprise.deploy=debian-12 \
             reprise.enroll=ab12"
        );
        assert!(line.ends_with(&expected), "{line}");
    }

    #[test]
    fn a_request_without_mac_is_sent_back_with_it() {
        assert_eq!(
            rechain_script("http://10.0.5.1:8080"),
            "#!ipxe\nchain http://10.0.5.1:8080/boot.ipxe?mac=${net0/mac}\n"
        );
    }

    #[test]
    fn sites_must_be_one_word_on_the_command_line() {
        assert!(check_cmdline_word("site", "lycée-jean-moulin").is_ok());
        for bad in [
            "Lycée Jean Moulin",
            "a\"b",
            "${x}",
            "",
            "a;reboot",
            "{x}",
            "#1",
            "a|b",
        ] {
            assert!(check_cmdline_word("site", bad).is_err(), "{bad}");
        }
    }
}
