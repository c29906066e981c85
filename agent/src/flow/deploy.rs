//! The install step of a run ([`Run::deploy`]), after `execute`: when every disk is sanitized,
//! the verdict is refurbish and the run was told an image (`reprise.deploy=NAME`, or the
//! operator chose one of the server's list on the result screen: [`Run::install_due`] says
//! which, for the console and the screen alike), the workshop's image goes onto the laptop's main internal disk (`deploy::target`), through the
//! write guard, from the stick (`DATA/images/NAME.img.zst` or `NAME.img`, its SHA-256 in
//! `DATA/images/NAME.sha256`) or else the workshop server (`GET /api/v1/images`, then the
//! image's URL, resumed after a dropped connection). Only a verified install gets its signed
//! refurbishment record, written beside the certificates (`DATA/certs/refurbish/`) and read
//! back and verified there.

use std::io::Read;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use super::run::{Executed, Run, RunStatus, Station};
use crate::cert::refurbish;
use crate::deploy::engine::{self, Filesystem, InstallProgress, Tuning, Written};
use crate::deploy::target::{self, Candidate};
use crate::deploy::{Compression, Failure, ImageSpec, Install, Installed, Sha256};
use crate::model::DiskIdentity;
use crate::sys::atomic;
use crate::sys::clock::Stopwatch;
use crate::sys::http::{self, HttpImage, Retry};
use crate::verdict::Decision;
use crate::wipe::{CancelToken, OpenedDevice, PlannedDevice, VerifySpec, WipePlan, open_plan};

/// The server's list entry (`GET /api/v1/images`): what the result screen lists for the
/// operator to choose, and what an install from the server starts from.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
pub struct ListedImage {
    pub name: String,
    #[serde(default)]
    pub version: String,
    pub sha256: String,
    #[serde(default)]
    pub raw_size: Option<u64>,
    #[serde(default)]
    pub compression: Option<String>,
    pub url: String,
}

/// The server's answer to `GET /api/v1/images`: `{"images": [...]}`, each name's versions
/// newest first (an object, so that the server can add members without breaking agents).
#[derive(Debug, serde::Deserialize)]
struct ImageList {
    images: Vec<ListedImage>,
}

/// Every image of the server's answer `body`, in its order.
fn listed_images(body: &[u8]) -> Result<Vec<ListedImage>, String> {
    let list: ImageList =
        serde_json::from_slice(body).map_err(|e| format!("not an image list: {e}"))?;
    Ok(list.images)
}

/// The newest listed image called `name` in the server's answer `body`.
fn listed_image(body: &[u8], name: &str) -> Result<ListedImage, String> {
    listed_images(body)?
        .into_iter()
        .find(|i| i.name == name)
        .ok_or_else(|| format!("the workshop server has no image {name}"))
}

/// Whether the install step is due after an executed run, and of which image — the one place
/// its rules live, for the console and the screen alike.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Due {
    /// The image the run was told (`reprise.deploy=`): it follows the wipe without a key.
    Configured(String),
    /// No image named, an interactive run, a workshop server: the operator may choose one of
    /// the server's images on the result screen.
    Offered,
    /// Nothing to install, or it cannot be: what the step records.
    No(Install),
}

/// Which image an install takes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Wanted {
    /// The stick's file, else the server's image of that name.
    Named(String),
    /// An entry of the server's list, chosen by the operator.
    Listed(ListedImage),
}

/// What is being installed, from where, onto which disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Installing {
    pub image: ImageSpec,
    /// "stick" or "server".
    pub source: &'static str,
    /// The file on the stick, or the image's URL.
    pub location: String,
    pub disk: DiskIdentity,
}

/// What the install step says while it runs (the screen's gauge and panel).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InstallEvent {
    /// The image and the disk, before the first byte is written.
    Started(Box<Installing>),
    /// A sample of the write (download + write) or of the read-back.
    Progress(InstallProgress),
    /// The download resumed after a dropped connection (how many times so far).
    Resumed(u32),
    /// The image's bytes are verified: the GPT goes to the disk's end and is read back.
    Layout,
    /// The last filesystem is checked and grown to the disk.
    Filesystem,
    /// The install failed, for this reason (its `Install::Failed` says the detail).
    Failed(Failure),
}

/// An HTTP image that counts its resumptions where the step's caller can see them (the
/// engine reads the source on its own thread).
struct Counted {
    inner: HttpImage,
    resumes: Arc<AtomicU32>,
}

impl Read for Counted {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf);
        self.resumes.store(self.inner.resumes(), Ordering::Relaxed);
        n
    }
}

/// Where the image comes from.
struct Source {
    spec: ImageSpec,
    /// Taken by the install.
    reader: Option<Box<dyn Read + Send>>,
    kind: &'static str,
    location: String,
    /// The download's resumptions so far (0 for the stick).
    resumes: Arc<AtomicU32>,
}

impl Run {
    /// Whether the install is due after `executed`, and of what (see the module doc).
    pub fn install_due(&self, executed: &Executed) -> Due {
        let offered = self.config.deploy.is_none()
            && self.config.server.is_some()
            && self.config.auto.is_none();
        if self.config.deploy.is_none() && !offered {
            return Due::No(Install::NotDue("no image named (reprise.deploy=)".into()));
        }
        if executed.status() != RunStatus::Sanitized {
            return Due::No(Install::NotDue("not every disk is sanitized".into()));
        }
        if executed.verdict.decision != Decision::Refurbish {
            return Due::No(Install::NotDue("the verdict is recycle".into()));
        }
        if executed.read_back.is_err() {
            return Due::No(Install::Failed("the certificate does not verify".into()));
        }
        match &self.config.deploy {
            Some(name) => Due::Configured(name.clone()),
            None => Due::Offered,
        }
    }

    /// Installs the image the run was told, when it is due (see the module doc). `progress`
    /// receives the gauge's samples.
    pub fn deploy(
        &self,
        station: &Station,
        executed: &Executed,
        progress: &mut dyn FnMut(&InstallProgress),
        cancel: &CancelToken,
    ) -> Install {
        let name = match self.install_due(executed) {
            Due::Configured(name) => name,
            Due::Offered => return Install::NotDue("no image named (reprise.deploy=)".into()),
            Due::No(i) => return i,
        };
        let mut events = |e: InstallEvent| {
            if let InstallEvent::Progress(p) = e {
                progress(&p);
            }
        };
        self.deploy_image(station, executed, Wanted::Named(name), &mut events, cancel)
    }

    /// Installs `wanted` after `executed` — the configured image, or the one the operator
    /// chose from the server's list — when the run allows an install at all (sanitized,
    /// refurbish, its certificate verified); `events` says what it does as it goes.
    pub fn deploy_image(
        &self,
        station: &Station,
        executed: &Executed,
        wanted: Wanted,
        events: &mut dyn FnMut(InstallEvent),
        cancel: &CancelToken,
    ) -> Install {
        if let Due::No(i) = self.install_due(executed) {
            return i;
        }
        let Ok(read_back) = &executed.read_back else {
            return Install::Failed("the certificate does not verify".into());
        };
        match self.install(station, executed, wanted, &read_back.digest, events, cancel) {
            Ok(i) => Install::Installed(Box::new(i)),
            Err((failure, why)) => {
                events(InstallEvent::Failed(failure));
                Install::Failed(why)
            }
        }
    }

    /// The workshop server's images (`GET /api/v1/images`), each name's newest first.
    pub fn server_images(&self) -> Result<Vec<ListedImage>, String> {
        let Some(server) = &self.config.server else {
            return Err("no workshop server (reprise.server=)".into());
        };
        let url = format!("{}/api/v1/images", server.url.trim_end_matches('/'));
        let body = http::get_small(&url, 1 << 20).map_err(|e| crate::model::error_chain(&e))?;
        listed_images(&body).map_err(|why| format!("{url}: {why}"))
    }

    fn install(
        &self,
        station: &Station,
        executed: &Executed,
        wanted: Wanted,
        certificate_digest: &str,
        events: &mut dyn FnMut(InstallEvent),
        cancel: &CancelToken,
    ) -> Result<Installed, (Failure, String)> {
        let no_disk = |why: String| (Failure::NoDisk, why);
        let candidates: Vec<Candidate> = self
            .probe
            .disks
            .iter()
            .filter(|d| d.is_internal() || d.is_protected() || d.is_boot_medium())
            .map(|d| Candidate {
                identity: d.identity(),
                internal: d.is_internal(),
                protected: d.is_protected() || d.is_boot_medium(),
                sanitized: executed
                    .wipe
                    .devices
                    .iter()
                    .any(|w| w.device.id == d.id && w.is_sanitized()),
            })
            .collect();
        let chosen = target::choose(&candidates).map_err(|e| no_disk(e.to_string()))?;
        let disk = chosen.identity.clone();
        let mut source = match wanted {
            Wanted::Named(name) => self.source(&name),
            Wanted::Listed(entry) => self.server_source(entry),
        }
        .map_err(|why| (Failure::Source, why))?;
        let reader = source
            .reader
            .take()
            .ok_or((Failure::Internal, "the image was already read".to_owned()))?;
        let plan = WipePlan {
            devices: vec![PlannedDevice::overwrite(
                PathBuf::from(&disk.dev_path),
                disk.clone(),
                "zero".parse().map_err(|e| no_disk(format!("{e:?}")))?,
            )],
            rounds: 1,
            verify: VerifySpec::None,
        }
        .validate()
        .map_err(|e| no_disk(crate::model::error_chain(&e)))?;
        // Through the wipe's one door to a device: the guard's checks (the boot medium, a
        // mounted or busy disk refused; the disk named before and after opening).
        let guard = super::guard(&self.config.root, &self.probe.disks);
        let mut opened = open_plan(&plan, &guard).pop();
        // The demo's stand-in writes at the demo's pace, as its wipe did.
        if let Some(demo) = &self.demo {
            opened = opened.map(|o| o.map(|dev| dev.paced(demo.pace_bps)));
        }
        let mut device = match opened {
            Some(Ok(OpenedDevice::Overwrite(io, _, _))) => io,
            Some(Ok(other)) => {
                return Err(no_disk(format!(
                    "{}: not opened for an overwrite",
                    other.io().path().display()
                )));
            }
            Some(Err(refusal)) => return Err(no_disk(crate::model::error_chain(&refusal.error))),
            None => return Err(no_disk("the install's plan names no disk".into())),
        };
        events(InstallEvent::Started(Box::new(Installing {
            image: source.spec.clone(),
            source: source.kind,
            location: source.location.clone(),
            disk: disk.clone(),
        })));
        let watch = Stopwatch::start();
        let err = |e: engine::InstallError| (Failure::from(&e), crate::model::error_chain(&e));
        let resumes = Arc::clone(&source.resumes);
        let mut said = 0;
        let written = engine::write_image(
            device.as_mut(),
            reader,
            &source.spec,
            Tuning::default(),
            &mut |p| {
                let now = resumes.load(Ordering::Relaxed);
                if now != said {
                    said = now;
                    events(InstallEvent::Resumed(now));
                }
                events(InstallEvent::Progress(p.clone()));
            },
            cancel,
        )
        .map_err(err)?;
        events(InstallEvent::Layout);
        let layout = engine::fix_gpt(device.as_mut(), &source.spec).map_err(err)?;
        events(InstallEvent::Filesystem);
        let filesystem = engine::grow_filesystem(device, &layout);
        let duration_ms = watch.elapsed_ms();
        let record = self
            .record(
                station,
                executed,
                certificate_digest,
                &source,
                &disk,
                &written,
                &filesystem,
                duration_ms,
            )
            .map_err(|why| (Failure::Record, why))?;
        Ok(Installed {
            image: source.spec,
            disk,
            written,
            filesystem,
            record,
        })
    }

    /// The image named `name`: the stick's file, else the workshop server's.
    fn source(&self, name: &str) -> Result<Source, String> {
        let dir = self.config.data.0.join("images");
        for (file, compression) in [
            (format!("{name}.img.zst"), Compression::Zstd),
            (format!("{name}.img"), Compression::None),
        ] {
            let path = dir.join(&file);
            if !crate::sys::file::exists(&path) {
                continue;
            }
            let sums = dir.join(format!("{name}.sha256"));
            let text = crate::sys::file::read_to_string(&sums)
                .map_err(|e| format!("{}: {}", path.display(), crate::model::error_chain(&e)))?;
            // `sha256sum` output ("HEX  NAME.img") or the digest alone.
            let sha256 = text
                .split_whitespace()
                .next()
                .and_then(Sha256::parse)
                .ok_or_else(|| format!("{}: no SHA-256 of the raw image", sums.display()))?;
            let (mut reader, len) =
                crate::sys::file::open_stream(&path).map_err(|e| crate::model::error_chain(&e))?;
            let raw_size = match compression {
                Compression::None => Some(len),
                // The frame's header, when it states the raw size: the gauge's total and the
                // disk-size check before writing. Its bytes go back in front of the stream.
                Compression::Zstd => {
                    let mut head = Vec::new();
                    (&mut reader)
                        .take(crate::deploy::ZSTD_HEADER_MAX)
                        .read_to_end(&mut head)
                        .map_err(|e| format!("{}: {e}", path.display()))?;
                    let stated = crate::deploy::zstd_stated_size(&head);
                    reader = Box::new(std::io::Cursor::new(head).chain(reader));
                    stated
                }
            };
            return Ok(Source {
                spec: ImageSpec {
                    name: name.to_owned(),
                    version: String::new(),
                    sha256,
                    compression,
                    raw_size,
                },
                reader: Some(reader),
                kind: "stick",
                location: path.display().to_string(),
                resumes: Arc::default(),
            });
        }
        let Some(server) = &self.config.server else {
            return Err(format!(
                "no image {name} in {} and no workshop server",
                dir.display()
            ));
        };
        let base = server.url.trim_end_matches('/');
        let list = http::get_small(&format!("{base}/api/v1/images"), 1 << 20)
            .map_err(|e| crate::model::error_chain(&e))?;
        let entry =
            listed_image(&list, name).map_err(|why| format!("{base}/api/v1/images: {why}"))?;
        self.server_source(entry)
    }

    /// The server's image `entry` (of its list), opened for a download that resumes.
    fn server_source(&self, entry: ListedImage) -> Result<Source, String> {
        let Some(server) = &self.config.server else {
            return Err(format!("image {}: no workshop server", entry.name));
        };
        let base = server.url.trim_end_matches('/');
        let name = &entry.name;
        let sha256 = Sha256::parse(&entry.sha256)
            .ok_or_else(|| format!("image {name}: sha256 {:?} is not a digest", entry.sha256))?;
        let compression = Compression::parse(entry.compression.as_deref().unwrap_or("none"))
            .ok_or_else(|| format!("image {name}: compression {:?}", entry.compression))?;
        let url = if entry.url.starts_with('/') {
            format!("{base}{}", entry.url)
        } else {
            entry.url
        };
        super::config::check_server_url(&url).map_err(|why| format!("{url}: {why}"))?;
        let http =
            HttpImage::open(&url, Retry::default()).map_err(|e| crate::model::error_chain(&e))?;
        // The header, when sent, must name the listed image.
        if let Some(stated) = http.stated_sha256()
            && Sha256::parse(stated) != Some(sha256)
        {
            return Err(format!(
                "{url}: the server sends image {stated}, its list says {sha256}"
            ));
        }
        let resumes = Arc::new(AtomicU32::new(0));
        Ok(Source {
            spec: ImageSpec {
                name: entry.name,
                version: entry.version,
                sha256,
                compression,
                raw_size: entry.raw_size,
            },
            reader: Some(Box::new(Counted {
                inner: http,
                resumes: Arc::clone(&resumes),
            })),
            kind: "server",
            location: url,
            resumes,
        })
    }

    /// Signs the refurbishment record, writes it atomically beside the certificates, and
    /// reads it back and verifies it.
    #[allow(clippy::too_many_arguments)]
    fn record(
        &self,
        station: &Station,
        executed: &Executed,
        certificate_digest: &str,
        source: &Source,
        disk: &DiskIdentity,
        written: &Written,
        filesystem: &Filesystem,
        duration_ms: u64,
    ) -> Result<PathBuf, String> {
        let certificate_id = executed
            .certificate
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let passed = |name: &str| refurbish::CheckDone {
            name: name.into(),
            result: "passed".into(),
        };
        let (fs, note, fs_check) = match filesystem {
            Filesystem::Grown { .. } => ("grown", None, "passed"),
            Filesystem::Kept { type_guid } => (
                "kept",
                Some(format!(
                    "partition type {type_guid}: not ext4, kept as it is"
                )),
                "not_applicable",
            ),
            Filesystem::AlreadyFull => ("already_full", None, "not_applicable"),
            Filesystem::NotGrown { why } => ("not_grown", Some(why.clone()), "failed"),
        };
        let record = refurbish::Record {
            kind: refurbish::KIND.into(),
            schema_version: refurbish::RECORD_SCHEMA_VERSION,
            id: refurbish::record_id(&certificate_id),
            issued_at: crate::sys::clock::now_rfc3339(),
            station_key_id: station.key_id.clone(),
            certificate: refurbish::CertificateRef {
                id: certificate_id,
                digest: certificate_digest.to_owned(),
            },
            machine_serial: self.probe.identity.system.serial.known().cloned(),
            image: refurbish::ImageRef {
                name: source.spec.name.clone(),
                version: source.spec.version.clone(),
                sha256: source.spec.sha256.to_string(),
                compression: source.spec.compression.as_str().into(),
                source: source.kind.into(),
                location: source.location.clone(),
            },
            disk: refurbish::DiskRef {
                id: disk.id.to_string(),
                model: disk.model.clone(),
                serial: disk.serial.clone(),
                size_bytes: disk.size_bytes,
            },
            bytes_written: written.raw_bytes,
            duration_ms,
            write_ms: written.write_ms,
            readback_ms: written.readback_ms,
            read_back: refurbish::ReadBack {
                result: "passed".into(),
                sha256: written.sha256.to_string(),
            },
            checks: vec![
                passed("source_sha256"),
                passed("read_back_sha256"),
                passed("gpt_relocated"),
                passed("gpt_read_back"),
                refurbish::CheckDone {
                    name: "filesystem".into(),
                    result: fs_check.into(),
                },
            ],
            filesystem: fs.into(),
            filesystem_note: note,
            tool: crate::model::tool_version(),
        };
        let id = record.id.clone();
        let envelope = refurbish::seal(record, station.signing_key()).map_err(|e| e.to_string())?;
        let dir = self.config.data.certs().join("refurbish");
        atomic::ensure_dir(&dir).map_err(|e| crate::model::error_chain(&e))?;
        let path = atomic::write_new(
            &dir,
            &format!("{id}.json"),
            &refurbish::to_file_bytes(&envelope),
            0o644,
        )
        .map_err(|e| crate::model::error_chain(&e))?;
        let bytes = crate::sys::file::read(&path).map_err(|e| crate::model::error_chain(&e))?;
        refurbish::verify(&bytes, Some(&station.signing_key().verifying_key()))
            .map_err(|e| format!("{}: {}", path.display(), crate::model::error_chain(&e)))?;
        Ok(path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The collector's list, as `collector/src/download.rs` writes it.
    #[test]
    fn the_collectors_list_gives_the_newest_version_of_a_name() {
        let body = br#"{"images": [
            {"name": "mint", "version": "22", "sha256": "sha256:aa", "raw_size": 10, "size": 4,
             "compression": "zstd", "added_at": "2026-12-07T10:00:00Z",
             "url": "http://10.0.2.2:8080/api/v1/images/mint/22"},
            {"name": "family", "version": "2.0", "sha256": "sha256:bb", "raw_size": 20,
             "size": 20, "compression": "none", "added_at": "2026-12-07T11:00:00Z",
             "url": "http://10.0.2.2:8080/api/v1/images/family/2.0"},
            {"name": "family", "version": "1.0", "sha256": "sha256:cc", "raw_size": 20,
             "size": 20, "compression": "none", "added_at": "2026-12-01T11:00:00Z",
             "url": "http://10.0.2.2:8080/api/v1/images/family/1.0"}
        ]}"#;
        let entry = listed_image(body, "family").unwrap();
        assert_eq!(
            (entry.version.as_str(), entry.sha256.as_str()),
            ("2.0", "sha256:bb")
        );
        assert_eq!(
            listed_image(body, "debian").unwrap_err(),
            "the workshop server has no image debian"
        );
        assert!(
            listed_image(b"[]", "family")
                .unwrap_err()
                .starts_with("not an image list:")
        );
    }
}
