//! The PXE rack: which machine gets automatic mode, and the iPXE script each machine boots.
//!
//! Pure: marks, a MAC and an address in, a decision and a script out. A machine that PXE-boots
//! by accident must never be wiped without someone at it: only a machine marked by its MAC, or
//! booting from a marked subnet, gets `reprise.auto=`; every other one gets the interactive
//! agent, which wipes nothing before the operator types `yes` at that machine.

use std::net::IpAddr;

use reprise_cert::model::Level;

use crate::store::Mark;

/// The kernel command line the live image boots with over PXE (as `image/boot.ipxe`, tested):
/// serial and screen consoles, quiet, the kernel's crypto self-tests and kprobe trace set-up
/// skipped (as on the stick: `image/syslinux.cfg`), DHCP in the initramfs. No `reprise.wait`: a
/// kernel no boot loader loaded from a disk has no boot medium, and init does not wait for one.
/// `initrd=initrd.img`
/// names the image iPXE loaded: the kernel's EFI stub loads the initramfs by that name under
/// UEFI (Debian 12's iPXE has no other way to hand it over; without it the kernel finds no root
/// file system), and legacy BIOS boots ignore it.
pub const BASE_CMDLINE: &str = concat!(
    "initrd=initrd.img console=ttyS0,115200 console=tty0 quiet ",
    "cryptomgr.notests initcall_blacklist=init_kprobe_trace ip=dhcp"
);

/// The boot files served from `--boot-dir` (the `out/` of `scripts/build-image`), and nothing
/// else of that directory: Debian's signed kernel (UEFI), the same kernel in a zstd bzImage
/// (a BIOS: 3.5 s less of decompression under emulation, see the image's README), the initramfs.
pub const BOOT_FILES: [&str; 3] = ["vmlinuz", "vmlinuz-bios", "initrd.img"];

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

/// A site name that the iPXE script and the kernel command line carry as one word: neither
/// quotes reliably, so no white space, no quotes, no `$` (iPXE expands `${...}`), no `\`.
pub fn check_cmdline_word(what: &str, s: &str) -> Result<(), String> {
    if s.is_empty()
        || s.chars()
            .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '"' | '\'' | '$' | '\\'))
    {
        return Err(format!(
            "{what} {s:?} must be one word for the kernel command line (no spaces, quotes, $ or \\), \
             e.g. college-pasteur"
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
}

/// The kernel command line of one machine.
pub fn cmdline(input: &ScriptInput<'_>) -> String {
    let mut line = format!("{BASE_CMDLINE} reprise.server={}", input.base_url);
    if let Some(auto) = input.auto {
        line.push_str(&format!(" reprise.auto={} reprise.poweroff=1", auto.mode));
        if let Some(site) = auto
            .site
            .as_deref()
            .filter(|s| check_cmdline_word("site", s).is_ok())
        {
            line.push_str(&format!(" reprise.site={site}"));
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

/// The iPXE script for one machine.
pub fn script(input: &ScriptInput<'_>) -> String {
    let who = format!(
        "{} ({})",
        input.mac.unwrap_or("unknown MAC"),
        unmap(input.ip)
    );
    let (comment, echo) = match input.auto {
        Some(a) => (
            format!("automatic {} because of {}", a.mode, a.because),
            format!(
                "Reprise: AUTOMATIC {} of this machine's disks ({}), then power off",
                a.mode.as_str().to_uppercase(),
                a.because
            ),
        ),
        None => (
            "interactive (not marked for automatic mode)".to_string(),
            "Reprise: interactive - nothing is wiped without confirmation at this machine"
                .to_string(),
        ),
    };
    format!(
        "#!ipxe\n# Reprise for {who}: {comment}\necho {echo}\n{KERNEL_CHOICE}\nkernel {base}/boot/${{reprise-kernel}} {cmdline}\ninitrd {base}/boot/initrd.img\nboot\n",
        base = input.base_url,
        cmdline = cmdline(input),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mark(kind: &str, value: &str, mode: &str) -> Mark {
        Mark {
            kind: kind.into(),
            value: value.into(),
            mode: mode.into(),
            site: None,
            created_at: "t".into(),
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
        assert_eq!(kernel, BASE_CMDLINE);
        assert!(boot_ipxe.lines().any(|l| l == KERNEL_CHOICE));
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
        });
        assert_eq!(
            interactive,
            "#!ipxe\n# Reprise for 52:54:00:12:34:56 (10.0.2.15): interactive (not marked for automatic mode)\n\
             echo Reprise: interactive - nothing is wiped without confirmation at this machine\n\
             iseq ${platform} pcbios && set reprise-kernel vmlinuz-bios || set reprise-kernel vmlinuz\n\
             kernel http://10.0.2.2:8080/boot/${reprise-kernel} initrd=initrd.img console=ttyS0,115200 console=tty0 quiet cryptomgr.notests initcall_blacklist=init_kprobe_trace ip=dhcp reprise.server=http://10.0.2.2:8080\n\
             initrd http://10.0.2.2:8080/boot/initrd.img\nboot\n"
        );
        assert!(!interactive.contains("reprise.auto"));
        let auto = AutoMode {
            mode: Level::Clear,
            because: "MAC 52:54:00:12:34:56".into(),
            site: Some("college-pasteur".into()),
        };
        let line = cmdline(&ScriptInput {
            base_url: base,
            mac: None,
            ip,
            auto: Some(&auto),
            enroll_token: Some("ab12"),
        });
        assert!(
            line.ends_with(
                "reprise.server=http://10.0.2.2:8080 reprise.auto=clear reprise.poweroff=1 \
             reprise.site=college-pasteur reprise.enroll=ab12"
            ),
            "{line}"
        );
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
        for bad in ["Lycée Jean Moulin", "a\"b", "${x}", ""] {
            assert!(check_cmdline_word("site", bad).is_err(), "{bad}");
        }
    }
}
