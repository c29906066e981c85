//! The settings of a run, resolved once into one [`Config`]: the agent's own flags, then the
//! kernel command line's `reprise.KEY=VALUE` words, then the boot medium's `reprise.conf`, then
//! the defaults. Every front-end (the console, the screen, the demo) and init (through `reprise
//! settings`) read the same resolution, so a rule such as "French means the AZERTY keyboard" is
//! written here and nowhere else.
//!
//! Settings come only from the medium that booted (init mounts nothing else at the data folder)
//! or the kernel command line: a disk that came with the laptop never configures the run.

use std::path::PathBuf;
use std::time::Duration;

use super::{DataDir, Settings};
use crate::checks::keyboard::Layout;
use crate::model::{Language, Level};
use crate::parse::cmdline::SETTING_PREFIX;
use crate::probe::model::SelfTestKind;
use crate::sys::SysRoot;
use crate::wipe::{Method, VerifySpec};

/// Where a setting was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// The agent's own command line (`--auto clear`).
    Flags,
    /// The kernel command line (`reprise.auto=clear`).
    KernelCommandLine,
    /// The boot medium's `reprise.conf`.
    ConfFile,
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Source::Flags => "the agent's command line",
            Source::KernelCommandLine => "the kernel command line",
            Source::ConfFile => "reprise.conf",
        })
    }
}

/// A setting that cannot be understood.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{source_name}: reprise.{key}={value}: {why}")]
    Value {
        source_name: Source,
        key: String,
        value: String,
        why: &'static str,
    },
    #[error("cannot read the settings file {path}")]
    Read {
        path: PathBuf,
        #[source]
        source: crate::sys::file::FileError,
    },
}

/// The settings one source gives; `None`: this source says nothing of it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Given {
    /// Automatic mode and its level.
    pub auto: Option<Level>,
    pub poweroff: Option<bool>,
    pub language: Option<Language>,
    pub keymap: Option<Layout>,
    pub operator: Option<String>,
    pub site: Option<String>,
    pub organisation: Option<String>,
    pub server: Option<String>,
    /// The fingerprint of the workshop server's key (`sha256:…`), pinned.
    pub server_key: Option<String>,
    pub enroll: Option<String>,
    pub self_test: Option<SelfTestKind>,
    /// The maintenance shell offered at the end (`reprise.shell=1`), beside power off and
    /// reboot; without it, only a key named on no button reaches it.
    pub shell: Option<bool>,
    /// The workshop image to install after a verified sanitization with a refurbish verdict
    /// (`reprise.deploy=NAME`): the stick's `images/NAME.img[.zst]`, else the server's NAME.
    pub deploy: Option<String>,
}

impl Given {
    /// The settings among `(KEY, VALUE)` pairs, `reprise.` taken off (`("auto", "clear")`);
    /// settings of init alone (`wait`) and of the tests (`cmd`) are not the agent's.
    pub fn from_settings<'a>(
        settings: impl IntoIterator<Item = (&'a str, &'a str)>,
        source: Source,
    ) -> Result<Given, ConfigError> {
        let mut g = Given::default();
        for (key, value) in settings {
            let bad = |why| ConfigError::Value {
                source_name: source,
                key: key.to_owned(),
                value: value.to_owned(),
                why,
            };
            let text = || (!value.is_empty()).then(|| value.to_owned());
            // Later words win, as the kernel's own parameters do.
            match key {
                "auto" => g.auto = Some(value.parse().map_err(|_| bad("expected clear or purge"))?),
                "poweroff" => {
                    g.poweroff = Some(match value {
                        "1" | "yes" => true,
                        "0" | "no" => false,
                        _ => return Err(bad("expected 1 or 0")),
                    })
                }
                "shell" => {
                    g.shell = Some(match value {
                        "1" | "yes" => true,
                        "0" | "no" => false,
                        _ => return Err(bad("expected 1 or 0")),
                    })
                }
                "lang" => g.language = Some(value.parse().map_err(|_| bad("expected fr or en"))?),
                "keymap" => g.keymap = Some(keymap(value).ok_or_else(|| bad("expected fr or us"))?),
                "operator" => g.operator = text(),
                "site" => g.site = text(),
                "org" => g.organisation = text(),
                "server" => {
                    g.server = text();
                    if let Some(url) = &g.server {
                        check_server_url(url).map_err(bad)?;
                    }
                }
                "server-key" => {
                    g.server_key = text();
                    if let Some(id) = &g.server_key {
                        check_server_key(id).map_err(bad)?;
                    }
                }
                "enroll" => g.enroll = text(),
                "deploy" => {
                    g.deploy = text();
                    if let Some(name) = &g.deploy {
                        check_image_name(name).map_err(bad)?;
                    }
                }
                // The run waits for a short test (a minute or two); an extended one takes hours.
                "self-test" => {
                    g.self_test = Some(match value.parse() {
                        Ok(SelfTestKind::Short) => SelfTestKind::Short,
                        _ => return Err(bad("expected short")),
                    })
                }
                _ => {}
            }
        }
        Ok(g)
    }

    /// The settings of `reprise.conf`: `reprise.KEY=VALUE` lines, `#` comments, blank lines, DOS
    /// line ends (the file is edited on the workshop's computers).
    pub fn from_conf(text: &str) -> Result<Given, ConfigError> {
        let settings = text
            .lines()
            .map(|l| l.trim_end_matches('\r').trim())
            .filter(|l| !l.starts_with('#'))
            .filter_map(|l| l.strip_prefix(SETTING_PREFIX)?.split_once('='));
        Given::from_settings(settings, Source::ConfFile)
    }

    /// `self`, with what it does not say taken from `fallback`.
    pub fn or(self, fallback: Given) -> Given {
        Given {
            auto: self.auto.or(fallback.auto),
            poweroff: self.poweroff.or(fallback.poweroff),
            language: self.language.or(fallback.language),
            keymap: self.keymap.or(fallback.keymap),
            operator: self.operator.or(fallback.operator),
            site: self.site.or(fallback.site),
            organisation: self.organisation.or(fallback.organisation),
            server: self.server.or(fallback.server),
            server_key: self.server_key.or(fallback.server_key),
            enroll: self.enroll.or(fallback.enroll),
            self_test: self.self_test.or(fallback.self_test),
            shell: self.shell.or(fallback.shell),
            deploy: self.deploy.or(fallback.deploy),
        }
    }
}

/// Whether `url` is a workshop server the agent can talk to: `http://` and a host. An
/// `https://` server is refused here, before anything is written: the agent speaks plain HTTP
/// on the workshop's network (no TLS stack in the static binary) and believes the server by its
/// signed answers, checked against the pinned server key (`reprise.server-key=`), not by a
/// certificate authority.
pub fn check_server_url(url: &str) -> Result<(), &'static str> {
    if url.starts_with("https://") {
        return Err(
            "https:// is not supported: the agent speaks plain HTTP on the workshop's network and \
             believes the server by its signed answers (reprise.server-key=); give the \
             collector's http:// address",
        );
    }
    if !url.starts_with("http://") {
        return Err("expected an http:// URL (http://10.0.5.1:8080)");
    }
    crate::sys::http::host_port(url)
        .map(|_| ())
        .map_err(|_| "expected an http:// URL with a host (http://10.0.5.1:8080)")
}

/// Whether `name` can name an image: a file name on the stick and a path segment on the
/// server, so letters, digits, `.`, `_` and `-`, not starting with a dot.
pub fn check_image_name(name: &str) -> Result<(), &'static str> {
    let ok = !name.starts_with('.')
        && name.len() <= 100
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if ok {
        Ok(())
    } else {
        Err("expected an image name: letters, digits, '.', '_' and '-' (famille-2026)")
    }
}

/// Whether `id` is a server key's fingerprint, as `reprise-collector server-key` prints it.
pub fn check_server_key(id: &str) -> Result<(), &'static str> {
    if crate::cert::exchange::is_key_id(id) {
        Ok(())
    } else {
        Err(
            "expected sha256: and 64 lower-case hex digits, as `reprise-collector server-key` prints it",
        )
    }
}

fn keymap(value: &str) -> Option<Layout> {
    match value {
        "fr" => Some(Layout::FrAzerty),
        "us" => Some(Layout::UsQwerty),
        _ => None,
    }
}

/// The short name of a keyboard map, as settings and init's keymap files name it.
pub fn keymap_name(layout: Layout) -> &'static str {
    match layout {
        Layout::FrAzerty => "fr",
        Layout::UsQwerty => "us",
    }
}

/// The language a locale name means (`fr_FR.UTF-8`, `en_GB`), if it is one of ours.
pub fn language_of_locale(locale: &str) -> Option<Language> {
    if locale.starts_with("fr") {
        Some(Language::Fr)
    } else if locale.starts_with("en") {
        Some(Language::En)
    } else {
        None
    }
}

/// The keyboard map of a language when none is named: AZERTY for French, QWERTY otherwise.
pub fn default_keymap(lang: Language) -> Layout {
    match lang {
        Language::Fr => Layout::FrAzerty,
        Language::En => Layout::UsQwerty,
    }
}

/// Who powers the machine off at the end of a run that sanitized every disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PowerOff {
    No,
    /// The boot's setting (`reprise.poweroff=1`): init does it, once the boot log is saved and
    /// the data partition unmounted.
    ByInit,
    /// The agent's own `--poweroff` (a run started by hand on the live image).
    ByAgent,
}

/// The workshop server and what a network boot needs of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Server {
    /// Base URL (`http://10.0.0.1:8080`).
    pub url: String,
    /// The one-time enrolment token of a network boot (`reprise.enroll=`): the station key, new
    /// at each network boot, is enrolled with the server (by its hello, and before uploading).
    pub enroll: Option<String>,
    /// The server key's fingerprint it must sign with (`reprise.server-key=`); without it, the
    /// key of the first answer is pinned (`flow::trust`).
    pub key: Option<String>,
}

/// Who performed the sanitization, as the certificate records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issuer {
    pub organisation: Option<String>,
    pub site: String,
    pub operator: String,
}

/// Everything a run was told, resolved once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// The system view: `/`, or a recorded tree (tests, the demo).
    pub root: SysRoot,
    pub data: DataDir,
    /// Automatic mode: no keystroke, and its level; `None`: the operator decides.
    pub auto: Option<Level>,
    /// How every disk is sanitized (the level of an interactive run is where its screen
    /// starts; the operator may change it).
    pub sanitize: Settings,
    /// Suspend to RAM to unfreeze frozen drives: offered in an interactive run, done in an
    /// automatic one; never when false.
    pub unfreeze: bool,
    pub self_test: Option<SelfTestKind>,
    /// Power off at the end of a run that sanitized every disk, and who does it.
    pub poweroff: PowerOff,
    pub issuer: Issuer,
    pub language: Language,
    pub keymap: Layout,
    /// The verdict policy named on the command line (else the data folder's, else built in).
    pub policy: Option<PathBuf>,
    pub server: Option<Server>,
    /// The RAM test runs while the disks are wiped (the screen).
    pub ram_test: bool,
    /// How long the result stays on screen in automatic mode before the agent ends.
    pub linger: Duration,
    /// Where the operator's choice at the end goes (`flow::end`; init's `/run/reprise/next`);
    /// `None`: the run asks nothing at its end (a run started by hand, the tests).
    pub choice_file: Option<PathBuf>,
    /// The end's choice lists the maintenance shell (`reprise.shell=1`).
    pub shell: bool,
    /// The workshop image to install after a verified sanitization with a refurbish verdict.
    pub deploy: Option<String>,
}

/// The flags of `reprise run` that only the agent's command line gives (not settings of the
/// boot medium).
#[derive(Debug, Clone)]
pub struct RunFlags {
    pub root: SysRoot,
    pub data: DataDir,
    /// The level of an interactive run (`--auto` sets its own).
    pub level: Level,
    pub method: Method,
    pub verify: VerifySpec,
    pub then_zero: bool,
    pub dco_restore: bool,
    pub unfreeze: bool,
    pub policy: Option<PathBuf>,
    pub ram_test: bool,
    pub linger: Duration,
    /// Where the operator's choice at the end goes (`--choice-file`).
    pub choice_file: Option<PathBuf>,
}

impl RunFlags {
    /// The defaults of `reprise run`'s flags, over `root` and `data`.
    pub fn new(root: SysRoot, data: DataDir) -> RunFlags {
        let defaults = Settings::default();
        RunFlags {
            root,
            data,
            level: defaults.level,
            method: defaults.method,
            verify: defaults.verify,
            then_zero: false,
            dco_restore: false,
            unfreeze: true,
            policy: None,
            ram_test: true,
            linger: Duration::from_secs(5),
            choice_file: None,
        }
    }
}

/// The settings the booted system gives: the kernel command line under `root`, then the data
/// folder's `reprise.conf` (absent: nothing).
pub fn booted(root: &SysRoot, data: &DataDir) -> Result<Given, ConfigError> {
    let cmdline = crate::sys::fs::read_text(root, "proc/cmdline").unwrap_or_default();
    let settings = crate::parse::cmdline::reprise_settings(&cmdline);
    let kernel = Given::from_settings(
        settings.iter().map(|(k, v)| (k.as_str(), v.as_str())),
        Source::KernelCommandLine,
    )?;
    let path = data.settings();
    let conf = match crate::sys::file::read_optional(&path) {
        Ok(Some(text)) => Given::from_conf(&text)?,
        Ok(None) => Given::default(),
        Err(source) => return Err(ConfigError::Read { path, source }),
    };
    Ok(kernel.or(conf))
}

/// Resolves a run's settings: `flags` (the agent's command line) win over `booted` (kernel
/// command line, then `reprise.conf`), then the defaults — the language of the locale
/// (`locale`, e.g. `LANG`), else French.
pub fn resolve(flags: Given, booted: Given, run: RunFlags, locale: Option<&str>) -> Config {
    let poweroff = if flags.poweroff == Some(true) {
        PowerOff::ByAgent
    } else if flags.poweroff.or(booted.poweroff) == Some(true) {
        PowerOff::ByInit
    } else {
        PowerOff::No
    };
    let g = flags.or(booted);
    let language = g
        .language
        .or_else(|| locale.and_then(language_of_locale))
        .unwrap_or(Language::Fr);
    let server = g.server.map(|url| Server {
        url,
        enroll: g.enroll,
        key: g.server_key,
    });
    Config {
        root: run.root,
        data: run.data,
        auto: g.auto,
        sanitize: Settings {
            level: g.auto.unwrap_or(run.level),
            method: run.method,
            verify: run.verify,
            then_zero: run.then_zero,
            dco_restore: run.dco_restore,
        },
        unfreeze: run.unfreeze,
        self_test: g.self_test,
        poweroff,
        issuer: Issuer {
            organisation: g.organisation,
            site: g.site.unwrap_or_else(|| "unknown".to_owned()),
            operator: g.operator.unwrap_or_else(|| "unknown".to_owned()),
        },
        language,
        keymap: g.keymap.unwrap_or_else(|| default_keymap(language)),
        policy: run.policy,
        server,
        ram_test: run.ram_test,
        linger: run.linger,
        choice_file: run.choice_file,
        shell: g.shell == Some(true),
        deploy: g.deploy,
    }
}

impl Config {
    /// The settings as `reprise settings` prints them for init and the boot log: `KEY=VALUE`
    /// lines (values are never evaluated as shell code), in a fixed order. The enrolment token
    /// is a secret: only whether one was given.
    pub fn lines(&self) -> Vec<(&'static str, String)> {
        let mut out = vec![
            (
                "lang",
                match self.language {
                    Language::Fr => "fr",
                    Language::En => "en",
                }
                .to_owned(),
            ),
            ("keymap", keymap_name(self.keymap).to_owned()),
        ];
        if let Some(level) = self.auto {
            out.push(("auto", level.as_str().to_owned()));
        }
        out.push((
            "poweroff",
            u8::from(self.poweroff != PowerOff::No).to_string(),
        ));
        if self.self_test.is_some() {
            out.push(("self-test", "short".to_owned()));
        }
        if self.shell {
            out.push(("shell", "1".to_owned()));
        }
        if let Some(name) = &self.deploy {
            out.push(("deploy", name.clone()));
        }
        out.push(("operator", self.issuer.operator.clone()));
        out.push(("site", self.issuer.site.clone()));
        if let Some(org) = &self.issuer.organisation {
            out.push(("org", org.clone()));
        }
        if let Some(s) = &self.server {
            out.push(("server", s.url.clone()));
            if let Some(key) = &s.key {
                out.push(("server-key", key.clone()));
            }
            if s.enroll.is_some() {
                out.push(("enroll", "given".to_owned()));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run_flags() -> RunFlags {
        RunFlags::new(SysRoot::host(), DataDir(PathBuf::from("/run/reprise/data")))
    }

    #[test]
    fn the_image_to_install_is_a_setting() {
        let kernel =
            Given::from_settings([("deploy", "famille-2026")], Source::KernelCommandLine).unwrap();
        let conf = Given::from_conf("reprise.deploy=autre\n").unwrap();
        let c = resolve(Given::default(), kernel.or(conf), run_flags(), None);
        assert_eq!(c.deploy.as_deref(), Some("famille-2026"));
        assert!(c.lines().contains(&("deploy", "famille-2026".to_owned())));
        let e = Given::from_conf("reprise.deploy=../etc/passwd\n").unwrap_err();
        assert!(e.to_string().contains("expected an image name"), "{e}");
    }

    #[test]
    fn the_agents_flags_win_then_the_kernel_then_the_stick() {
        let conf = Given::from_conf(
            "# from the stick\r\nreprise.operator=Camille Martin\r\nreprise.site=Site du stick\r\n\
             reprise.lang=en\r\nreprise.auto=clear\r\n",
        )
        .unwrap();
        let kernel = Given::from_settings(
            [
                ("lang", "fr"),
                ("site", "Lycee Jean Moulin"),
                ("poweroff", "1"),
                ("wait", "3"),
            ],
            Source::KernelCommandLine,
        )
        .unwrap();
        let flags = Given {
            operator: Some("Flag".into()),
            ..Given::default()
        };
        let c = resolve(flags, kernel.or(conf), run_flags(), Some("en_GB.UTF-8"));
        assert_eq!(c.issuer.operator, "Flag");
        assert_eq!(c.issuer.site, "Lycee Jean Moulin");
        assert_eq!(c.language, Language::Fr);
        // French means AZERTY unless a map is named.
        assert_eq!(c.keymap, Layout::FrAzerty);
        assert_eq!(c.auto, Some(Level::Clear));
        assert_eq!(c.sanitize.level, Level::Clear);
        // The boot's setting is init's to carry out.
        assert_eq!(c.poweroff, PowerOff::ByInit);
        let flags = Given {
            poweroff: Some(true),
            ..Given::default()
        };
        let c = resolve(flags, Given::default(), run_flags(), None);
        assert_eq!(c.poweroff, PowerOff::ByAgent);
    }

    #[test]
    fn defaults_follow_the_locale_then_french() {
        let c = resolve(
            Given::default(),
            Given::default(),
            run_flags(),
            Some("en_US"),
        );
        assert_eq!((c.language, c.keymap), (Language::En, Layout::UsQwerty));
        let c = resolve(Given::default(), Given::default(), run_flags(), None);
        assert_eq!((c.language, c.keymap), (Language::Fr, Layout::FrAzerty));
        assert_eq!(c.issuer.operator, "unknown");
        assert!(c.auto.is_none() && c.poweroff == PowerOff::No && c.server.is_none());
    }

    #[test]
    fn the_maintenance_shell_is_offered_only_when_the_boot_says_so() {
        let c = resolve(Given::default(), Given::default(), run_flags(), None);
        assert!(!c.shell);
        assert!(!c.lines().iter().any(|(k, _)| *k == "shell"));
        let g = Given::from_conf("reprise.shell=1\n").unwrap();
        let c = resolve(Given::default(), g, run_flags(), None);
        assert!(c.shell);
        assert!(c.lines().contains(&("shell", "1".to_owned())));
        // The command line's 0 wins over the stick's 1.
        let kernel = Given::from_settings([("shell", "0")], Source::KernelCommandLine).unwrap();
        let conf = Given::from_conf("reprise.shell=1\n").unwrap();
        assert!(!resolve(Given::default(), kernel.or(conf), run_flags(), None).shell);
        let e = Given::from_settings([("shell", "bash")], Source::KernelCommandLine).unwrap_err();
        assert!(e.to_string().contains("reprise.shell=bash"), "{e}");
    }

    #[test]
    fn automatic_mode_sets_the_level() {
        let g = Given::from_conf("reprise.auto=purge\n").unwrap();
        let c = resolve(Given::default(), g, run_flags(), None);
        assert_eq!(c.sanitize.level, Level::Purge);
    }

    #[test]
    fn a_bad_value_names_its_source_and_key() {
        let e = Given::from_conf("reprise.auto=wipe\n").unwrap_err();
        assert_eq!(
            e.to_string(),
            "reprise.conf: reprise.auto=wipe: expected clear or purge"
        );
        let e =
            Given::from_settings([("poweroff", "maybe")], Source::KernelCommandLine).unwrap_err();
        assert!(
            e.to_string().starts_with("the kernel command line: "),
            "{e}"
        );
    }

    #[test]
    fn an_https_server_or_a_bad_server_key_is_refused_naming_the_setting() {
        let e = Given::from_conf("reprise.server=https://collector.lan\n").unwrap_err();
        assert!(
            e.to_string().starts_with(
                "reprise.conf: reprise.server=https://collector.lan: https:// is not supported"
            ),
            "{e}"
        );
        let e = Given::from_settings([("server", "https://10.0.5.1")], Source::KernelCommandLine)
            .unwrap_err();
        assert!(
            e.to_string()
                .starts_with("the kernel command line: reprise.server=https://10.0.5.1: "),
            "{e}"
        );
        for bad in ["ftp://10.0.5.1", "10.0.5.1:8080", "http://"] {
            let e = Given::from_settings([("server", bad)], Source::ConfFile).unwrap_err();
            assert!(
                e.to_string().contains("expected an http:// URL"),
                "{bad}: {e}"
            );
        }
        let e = Given::from_conf("reprise.server-key=sha256:ABCD\n").unwrap_err();
        assert!(
            e.to_string()
                .contains("reprise.server-key=sha256:ABCD: expected sha256: and 64"),
            "{e}"
        );
        let key = format!("sha256:{}", "0a".repeat(32));
        let g = Given::from_conf(&format!(
            "reprise.server=http://10.0.5.1:8080\nreprise.server-key={key}\n"
        ))
        .unwrap();
        let c = resolve(Given::default(), g, run_flags(), None);
        assert_eq!(c.server.unwrap().key, Some(key));
    }

    #[test]
    fn lines_say_every_setting_and_hide_the_token() {
        let g = Given::from_conf(
            "reprise.server=http://10.0.2.2:8080\nreprise.enroll=secret\nreprise.self-test=short\n\
             reprise.server-key=sha256:0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a\n",
        )
        .unwrap();
        let c = resolve(Given::default(), g, run_flags(), Some("en"));
        let text: Vec<String> = c.lines().iter().map(|(k, v)| format!("{k}={v}")).collect();
        assert_eq!(
            text,
            [
                "lang=en",
                "keymap=us",
                "poweroff=0",
                "self-test=short",
                "operator=unknown",
                "site=unknown",
                "server=http://10.0.2.2:8080",
                "server-key=sha256:0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a",
                "enroll=given"
            ]
        );
    }
}
