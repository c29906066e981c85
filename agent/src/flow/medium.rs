//! Where a run's certificate can live: the proven boot medium's data partition, which survives
//! the power-off, or — on a network boot — only the workshop server, when its verified answer
//! (`flow::trust`) says it keeps this station's certificates. Automatic mode writes nothing
//! unless one of them is there ([`check_auto_ready`]), and init mounts only the partition
//! [`boot_medium`] names (or the one the operator chose among several sticks).

use std::path::{Path, PathBuf};

use super::DataDir;
use super::trust::{Met, NoServer};
use crate::model::Language;
use crate::probe::model::{Disk, ProbeReport};
use crate::sys::SysRoot;
use crate::sys::{atomic, file};

/// Why the data folder is not the proven boot medium's data partition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NoStick {
    /// No disk carries the Reprise image.
    None,
    /// One stick is there, but the kernel was not loaded from it.
    NetworkBoot,
    /// Several sticks: which one booted cannot be proven.
    Several(usize),
    /// The kernel has not shown the stick's data partition.
    NoDataPartition {
        stick: String,
    },
    NotMounted {
        partition: String,
        data: PathBuf,
    },
    NotWritable {
        why: String,
    },
}

/// Why automatic mode may not write: the stick cannot keep the certificate, and no server can.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotReady {
    pub stick: NoStick,
    /// The server configured that is no home for the certificate (its URL and why), or `None`
    /// when there is no server. (Boxed: every step's error carries this.)
    pub server: Option<(String, Box<NoServer>)>,
}

impl std::fmt::Display for NoStick {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.words(Language::En))
    }
}

impl NoStick {
    pub fn words(&self, lang: Language) -> String {
        let fr = lang == Language::Fr;
        match self {
            NoStick::None if fr => "aucune clé Reprise parmi les disques".into(),
            NoStick::None => "no Reprise stick was found among the disks".into(),
            NoStick::NetworkBoot if fr => {
                "la clé Reprise présente n'est pas le support de démarrage (démarrage réseau)"
                    .into()
            }
            NoStick::NetworkBoot => {
                "the Reprise stick present is not the boot medium (network boot)".into()
            }
            NoStick::Several(n) if fr => format!(
                "{n} clés Reprise sont branchées : le support de démarrage n'est pas prouvé"
            ),
            NoStick::Several(n) => {
                format!("{n} Reprise sticks are plugged in: the boot medium is not proven")
            }
            NoStick::NoDataPartition { stick } if fr => {
                format!("la clé {stick} n'a pas de partition de données connue du noyau")
            }
            NoStick::NoDataPartition { stick } => {
                format!("the stick {stick} has no data partition the kernel knows")
            }
            NoStick::NotMounted { partition, data } if fr => format!(
                "la partition de données {partition} de la clé n'est pas montée sur {}",
                data.display()
            ),
            NoStick::NotMounted { partition, data } => format!(
                "the stick's data partition {partition} is not mounted on {}",
                data.display()
            ),
            NoStick::NotWritable { why } if fr => {
                format!("la partition de données n'est pas accessible en écriture ({why})")
            }
            NoStick::NotWritable { why } => {
                format!("the data partition is not writable ({why})")
            }
        }
    }
}

impl NotReady {
    /// The whole reason in `lang`.
    pub fn words(&self, lang: Language) -> String {
        let stick = self.stick.words(lang);
        match (&self.server, lang) {
            (Some((url, why)), Language::En) => {
                format!("{stick}, and the workshop server {url} {}", why.words(lang))
            }
            (Some((url, why)), Language::Fr) => {
                format!(
                    "{stick}, et le serveur de l'atelier {url} {}",
                    why.words(lang)
                )
            }
            (None, Language::En) => format!("{stick}, and no workshop server is configured"),
            (None, Language::Fr) => format!("{stick}, et aucun serveur d'atelier n'est configuré"),
        }
    }
}

impl std::fmt::Display for NotReady {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.words(Language::En))
    }
}

/// Whether an automatic run may write anything: its certificate must have a durable home. That
/// is the data partition of the proven boot medium, mounted at `data` and writable — or the
/// workshop server (a network boot has no stick), when `server` (its URL and what the exchange
/// of `flow::trust` gave, `None` when it was not asked) is a verified
/// answer that this station's certificates are kept there: it knows the station's key, or
/// enrolled it now with the PXE token. Otherwise the run must stop before writing a byte, and
/// say why.
pub fn check_auto_ready(
    probe: &ProbeReport,
    data: &DataDir,
    server: Option<ServerCheck<'_>>,
) -> Result<(), NotReady> {
    let stick = match stick_data_partition(probe, &data.0) {
        Ok(()) => match atomic::probe_writable(&data.0) {
            Ok(()) => return Ok(()),
            Err(e) => NoStick::NotWritable {
                why: crate::model::error_chain(&e),
            },
        },
        Err(why) => why,
    };
    let Some(check) = server else {
        return Err(NotReady {
            stick,
            server: None,
        });
    };
    let home = match check.met {
        Some(Ok(met)) => super::trust::as_home(met),
        Some(Err(why)) => Err(why.clone()),
        None => Err(NoServer::NotAsked),
    };
    home.map_err(|why| NotReady {
        stick,
        server: Some((check.url.to_owned(), Box::new(why))),
    })
}

/// The workshop server as [`check_auto_ready`] weighs it.
#[derive(Debug, Clone, Copy)]
pub struct ServerCheck<'a> {
    pub url: &'a str,
    /// The exchange's outcome; `None`: not asked yet.
    pub met: Option<&'a Result<Met, NoServer>>,
}

/// Where a run's certificate lives once written, for the operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Home {
    /// The boot medium's data partition: it survives the power-off.
    Stick,
    /// A folder of a system that is not the live image (a run by hand, the demo): it stays.
    Folder,
    /// The live image's memory (no stick: a network boot, or a data partition that could not
    /// be mounted): lost at power-off unless the workshop server takes it.
    Memory,
}

/// Where certificates written to `data` live: the proven boot medium's data partition, a
/// folder outside the live image (`in_live_image` false), or memory.
pub fn certificate_home(probe: &ProbeReport, data: &DataDir, in_live_image: bool) -> Home {
    if data_is_durable(probe, data) {
        Home::Stick
    } else if in_live_image {
        Home::Memory
    } else {
        Home::Folder
    }
}

/// Whether certificates written to `data` survive the power-off: it is the proven boot medium's
/// data partition (else it is memory, as on a network boot, and only the server keeps them).
pub fn data_is_durable(probe: &ProbeReport, data: &DataDir) -> bool {
    stick_data_partition(probe, &data.0).is_ok()
}

/// Whether `data` is where the proven boot medium's data partition is mounted.
fn stick_data_partition(probe: &ProbeReport, data: &Path) -> Result<(), NoStick> {
    let booted: Vec<&Disk> = probe.disks.iter().filter(|d| d.is_boot_medium()).collect();
    let Some(stick) = booted.first() else {
        let sticks = probe
            .disks
            .iter()
            .filter(|d| d.reprise_medium.is_some())
            .count();
        return Err(match sticks {
            0 => NoStick::None,
            1 => NoStick::NetworkBoot,
            n => NoStick::Several(n),
        });
    };
    let medium = stick.reprise_medium.as_ref().expect("boot medium");
    let Some(part) = &medium.data_partition else {
        return Err(NoStick::NoDataPartition {
            stick: stick.dev_path.clone(),
        });
    };
    let data = file::canonical(data);
    let mounted = stick
        .partitions
        .iter()
        .filter(|p| &p.name == part)
        .flat_map(|p| &p.mountpoints)
        .any(|m| Path::new(m) == data);
    if mounted {
        Ok(())
    } else {
        Err(NoStick::NotMounted {
            partition: part.clone(),
            data,
        })
    }
}

/// What init learns of the boot medium (`reprise medium`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BootMedium {
    /// The proven boot medium's data partition (`/dev/sdb3`), to mount.
    Found(PathBuf),
    /// Several sticks carry the image and none was chosen: the operator must say which one
    /// booted (nothing is read from any of them until then). The sticks, USB ones first.
    Choose(Vec<Disk>),
    /// No boot medium (no stick, a network boot, a stick whose data partition the kernel has
    /// not shown yet): why.
    None(String),
}

/// The boot medium, for init: settings and keys are read only from its data partition.
pub fn boot_medium(root: &SysRoot) -> BootMedium {
    let disks = crate::probe::disks::probe_disks(root, false);
    let booted: Vec<&Disk> = disks.iter().filter(|d| d.is_boot_medium()).collect();
    let sticks: Vec<&Disk> = disks
        .iter()
        .filter(|d| d.reprise_medium.is_some())
        .collect();
    match booted.as_slice() {
        [stick] => {
            let m = stick.reprise_medium.as_ref().expect("boot medium");
            match &m.data_partition {
                Some(p) => BootMedium::Found(PathBuf::from(format!("/dev/{p}"))),
                None => BootMedium::None(format!(
                    "the boot medium {} has no data partition in the kernel's view yet",
                    stick.dev_path
                )),
            }
        }
        _ if sticks.len() > 1 && crate::probe::medium::booted_from_disk(root) => {
            let mut sticks: Vec<Disk> = sticks.into_iter().cloned().collect();
            // The usual case first: the USB stick, then SD cards and the rest.
            sticks.sort_by_key(|d| d.transport != crate::model::Transport::Usb);
            BootMedium::Choose(sticks)
        }
        _ => BootMedium::None(
            sticks
                .first()
                .map(|d| d.reprise_medium.as_ref().expect("a stick").reason.clone())
                .unwrap_or_else(|| "no disk carries the Reprise image".to_owned()),
        ),
    }
}

/// Keeps the operator's choice of `stick` as the boot medium for this boot (the probe then
/// takes it as proven), and returns its data partition.
pub fn choose_boot_medium(root: &SysRoot, stick: &Disk) -> Result<PathBuf, ChoiceError> {
    let devno = stick
        .devno
        .ok_or_else(|| ChoiceError::NoDevice(stick.dev_path.clone()))?;
    let choice = crate::probe::medium::Choice {
        name: stick.name.clone(),
        devno,
    };
    let path = root.join(crate::probe::medium::CHOICE);
    let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    atomic::ensure_dir(&dir)
        .and_then(|()| atomic::write_new(&dir, &name, choice.to_line().as_bytes(), 0o600))
        .map_err(|source| ChoiceError::Write {
            path: path.clone(),
            source,
        })?;
    match boot_medium(root) {
        BootMedium::Found(p) => Ok(p),
        BootMedium::Choose(_) | BootMedium::None(_) => {
            Err(ChoiceError::NotTaken(stick.dev_path.clone()))
        }
    }
}

/// Why the operator's choice could not be kept.
#[derive(Debug, thiserror::Error)]
pub enum ChoiceError {
    #[error("{0} has no device number: it cannot be chosen")]
    NoDevice(String),
    #[error("cannot keep the choice in {path}")]
    Write {
        path: PathBuf,
        #[source]
        source: crate::sys::atomic::AtomicWriteError,
    },
    #[error("{0} was chosen, but it is not a stick the kernel was loaded from")]
    NotTaken(String),
}
