//! The command line: enrol and revoke station keys, add web users, keep OS images, mark PXE
//! machines, serve.
//! Each subcommand is clap `Args` plus a little glue; the work is in `store`, `server` and `pxe`.

use std::io::{BufRead as _, IsTerminal as _, Write as _};
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context as _, bail};
use base64::Engine as _;
use clap::builder::TypedValueParser as _;
use clap::{Args, Parser, Subcommand};
use reprise_cert::model::Level;

use crate::pxe;
use crate::store::{self, Mark, Station};
use crate::util;
use crate::web::{App, PxeEnroll};

/// Reprise workshop server: collects and verifies certificates, serves the web UI and the PXE
/// rack. DB is a SQLite file path (created if needed) or a postgres:// URL.
#[derive(Debug, Parser)]
#[command(name = "reprise-collector", version, about, max_term_width = 100)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args)]
pub struct Db {
    /// SQLite file (created if needed) or postgres://user@host/db URL.
    #[arg(long, value_name = "DB")]
    pub db: String,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Enrol a station's public key; prints its key id to compare with the stick's fingerprint.
    Enroll(EnrollArgs),
    /// List the enrolled stations.
    List(Db),
    /// Revoke a station (by name or key id): its certificates are refused from now on.
    Revoke(RevokeArgs),
    /// Web UI users.
    #[command(subcommand)]
    User(UserCommand),
    /// Give automatic mode over PXE to a machine (MAC) or a rack (subnet).
    Mark(MarkArgs),
    /// Take automatic mode away from a MAC or subnet.
    Unmark(UnmarkArgs),
    /// OS images the agents deploy after a refurbish verdict (reprise.deploy=NAME).
    #[command(subcommand)]
    Image(ImageCommand),
    /// List the PXE marks.
    Marks(Db),
    /// Print the server key's fingerprint (made on first use): sticks pin it with
    /// `reprise.server-key=` in their reprise.conf; PXE scripts carry it already.
    ServerKey(ServerKeyArgs),
    /// Run the server.
    Serve(ServeArgs),
    /// Lots: laptops received from a donor, imported from its inventory.
    #[command(subcommand)]
    Lot(LotCommand),
    /// Record an event of a laptop's life (handed over, recycled, cancelled, or the parts fitted:
    /// a correction is a new event, the history is kept).
    Event(EventArgs),
    /// A laptop's life: its lot, certificates and events.
    Laptop(LaptopArgs),
    /// The donor's report: per site (or lot), the laptops received in a period and what became of
    /// them, the re-use rate and the CO2e avoided.
    Report(ReportArgs),
    /// Forget operators' names older than the retention period: run it daily (cron, systemd
    /// timer). Certificates' indexed operator, events' recorder and lots' importer become
    /// "(forgotten)"; the signed certificates are kept as signed.
    Retention(RetentionArgs),
}

#[derive(Debug, Args)]
pub struct RetentionArgs {
    /// Keep operators' names this many days (counted from the certificate's reception, the
    /// event's recording, the lot's import); older ones are replaced.
    #[arg(long, value_name = "DAYS")]
    pub operator_days: u32,
    #[command(flatten)]
    pub db: Db,
}

#[derive(Debug, Subcommand)]
pub enum LotCommand {
    /// Import a donor's inventory (CSV with the header serial,asset_tag,model,purchase_year and
    /// any other columns, which are kept): all of it or, on any error, nothing.
    Import(LotImportArgs),
    /// List the lots.
    List(Db),
}

#[derive(Debug, Args)]
pub struct LotImportArgs {
    /// The donor's inventory (CSV, UTF-8; `,` or `;` between fields).
    #[arg(value_name = "FILE.csv")]
    pub file: PathBuf,
    /// The site that received the laptops.
    #[arg(long, value_name = "SITE")]
    pub site: String,
    /// The day they were received (YYYY-MM-DD).
    #[arg(long, value_name = "DATE")]
    pub received: String,
    /// The lot's name (letters, digits, '.', '_', '-'); default: the file's name without .csv.
    #[arg(long, value_name = "NAME")]
    pub lot: Option<String>,
    /// Who imports it (default: the login name).
    #[arg(long, value_name = "NAME")]
    pub by: Option<String>,
    #[command(flatten)]
    pub db: Db,
}

#[derive(Debug, Args)]
pub struct EventArgs {
    /// The laptop's SMBIOS serial (as in its lot's inventory).
    #[arg(value_name = "SERIAL")]
    pub serial: String,
    #[command(subcommand)]
    pub kind: EventKind,
}

/// What every event takes.
#[derive(Debug, Args)]
pub struct EventCommon {
    /// The day it happened (YYYY-MM-DD).
    #[arg(long, value_name = "DATE")]
    pub date: String,
    /// A remark (required for `cancelled`: why).
    #[arg(long, value_name = "TEXT")]
    pub note: Option<String>,
    /// Who records it (default: the login name).
    #[arg(long, value_name = "NAME")]
    pub by: Option<String>,
    #[command(flatten)]
    pub db: Db,
}

#[derive(Debug, Subcommand)]
pub enum EventKind {
    /// Handed over to a partner organisation (only when the latest certificate says every disk
    /// was sanitized). No personal data of the family: the organisation and its receipt number.
    HandedOver {
        /// The partner organisation.
        #[arg(long, value_name = "P")]
        partner: String,
        /// The partner's receipt number.
        #[arg(long, value_name = "R")]
        receipt: Option<String>,
        #[command(flatten)]
        common: EventCommon,
    },
    /// Recycled: the channel, the weight, and what happened to disks that were not sanitized
    /// (required when the latest certificate does not say every disk was).
    Recycled {
        /// The recycling channel (e.g. the eco-organisation).
        #[arg(long, value_name = "C")]
        channel: String,
        /// Weight in grams.
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
        weight_g: Option<u64>,
        /// What happened to the disks that could not be sanitized (e.g. "shredded, certificate
        /// D-1234").
        #[arg(long, value_name = "TEXT")]
        disks: Option<String>,
        #[command(flatten)]
        common: EventCommon,
    },
    /// Cancels the latest outcome (handed over or recycled) recorded by mistake: the laptop is
    /// pending again (the history keeps both).
    Cancelled {
        #[command(flatten)]
        common: EventCommon,
    },
    /// The parts fitted once the laptop was repaired, against the plan of its latest
    /// certificate (whose verdict must be refurbish). A new record replaces the previous list
    /// (the history keeps it); an empty one, with --note, says none was fitted after all.
    PartsFitted {
        /// An action of the plan, by its key as the certificate has it (`replace_battery`;
        /// `replace_disk#2` when the plan holds it twice), at the plan's cost unless EUROS is
        /// given (the invoice's). Repeatable.
        #[arg(long = "part", value_name = "ACTION[=EUROS]")]
        parts: Vec<String>,
        /// A part the plan did not foresee, by a label and its cost. Repeatable.
        #[arg(long = "extra", value_name = "LABEL=EUROS")]
        extras: Vec<String>,
        #[command(flatten)]
        common: EventCommon,
    },
}

#[derive(Debug, Args)]
pub struct LaptopArgs {
    #[arg(value_name = "SERIAL")]
    pub serial: String,
    /// Print everything held about the laptop as one document instead (its lot's row, every
    /// certificate's exact bytes and digests, every event and who recorded it).
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub export: Option<ExportFormat>,
    #[command(flatten)]
    pub db: Db,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ExportFormat {
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ReportFormat {
    Csv,
    Html,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Lang {
    Fr,
    En,
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// First day of reception counted (YYYY-MM-DD, included).
    #[arg(long, value_name = "DATE")]
    pub from: String,
    /// Last day of reception counted (YYYY-MM-DD, included).
    #[arg(long, value_name = "DATE")]
    pub to: String,
    #[arg(long, value_enum, default_value = "csv")]
    pub format: ReportFormat,
    /// One row per site and lot instead of per site.
    #[arg(long)]
    pub by_lot: bool,
    /// Language of the HTML report.
    #[arg(long, value_enum, default_value = "fr")]
    pub lang: Lang,
    /// SQLite file or postgres:// URL of the workshop's database.
    #[arg(long, value_name = "DB", required_unless_present = "workshops")]
    pub db: Option<String>,
    /// A workshop of the département and its database (one database each, on one PostgreSQL
    /// server or not), given once per workshop instead of --db: the report covers them all,
    /// with a `workshop` column first.
    #[arg(long = "workshop", value_name = "NAME=DB", conflicts_with = "db")]
    pub workshops: Vec<String>,
}

/// Who runs the command, for the records that name who made them.
fn operator(by: Option<String>) -> anyhow::Result<String> {
    let name = match by {
        Some(b) => b.trim().to_string(),
        None => std::env::var("USER")
            .or_else(|_| std::env::var("LOGNAME"))
            .map(|u| format!("{u} (CLI)"))
            .unwrap_or_else(|_| "CLI".into()),
    };
    if name.is_empty() || name.chars().any(char::is_control) {
        bail!("--by {name:?} is empty or holds control characters");
    }
    Ok(name)
}

#[derive(Debug, Args)]
pub struct ServerKeyArgs {
    #[command(flatten)]
    pub db: Db,
    #[command(flatten)]
    pub key: KeyPath,
}

#[derive(Debug, Args)]
pub struct KeyPath {
    /// The server's signing key (PKCS#8 PEM, made on first use); default: beside a SQLite
    /// database (DB.server-key). Required with PostgreSQL.
    #[arg(long, value_name = "FILE")]
    pub server_key: Option<PathBuf>,
}

impl KeyPath {
    /// The server key of `db`, made now if it has none.
    fn load(&self, db: &Db) -> anyhow::Result<crate::server_key::ServerKey> {
        let path = crate::server_key::path_for(&db.db, self.server_key.as_deref())?;
        let (key, created) = crate::server_key::load_or_create(&path)?;
        if created {
            eprintln!(
                "new server key {} in {}: keep it with the database's backups (sticks that pinned \
                 it refuse any other)",
                key.key_id,
                path.display()
            );
        }
        Ok(key)
    }
}

#[derive(Debug, Args)]
pub struct EnrollArgs {
    /// The station's public key (SPKI PEM: keys/station.pub on the stick).
    #[arg(value_name = "PUBKEY.pem")]
    pub pubkey: PathBuf,
    /// A name for the station (unique), e.g. "stick-3" or "rack-a".
    #[arg(long, value_name = "NAME")]
    pub station: String,
    /// The site the station works for.
    #[arg(long, value_name = "SITE")]
    pub site: String,
    #[command(flatten)]
    pub db: Db,
}

#[derive(Debug, Args)]
pub struct RevokeArgs {
    /// Station name or key id (sha256:...).
    #[arg(value_name = "STATION")]
    pub station: String,
    #[command(flatten)]
    pub db: Db,
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Add a user, or set a new password; the password is read from the terminal (twice) or
    /// from the first line of standard input.
    Add {
        #[arg(value_name = "NAME")]
        name: String,
        #[command(flatten)]
        db: Db,
    },
}

#[derive(Debug, Args)]
pub struct ImagesDir {
    /// Where the image files are kept; default: beside a SQLite database (DB.images).
    /// Required with PostgreSQL.
    #[arg(long, value_name = "DIR")]
    pub images: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum ImageCommand {
    /// Store a disk image (raw, or zstd-compressed when named .zst): copied into the images
    /// directory, its SHA-256 and size computed over the raw (decompressed) bytes.
    Add {
        /// The image file.
        #[arg(value_name = "FILE")]
        file: PathBuf,
        /// Its name, as marks and reprise.deploy= give it (letters, digits, '.', '_', '-').
        #[arg(long, value_name = "NAME")]
        name: String,
        /// Its version (same characters); default: the time of adding, YYYYMMDD-HHMMSS.
        /// A name and version are taken once, even after a removal.
        #[arg(long, value_name = "V")]
        version: Option<String>,
        #[command(flatten)]
        db: Db,
        #[command(flatten)]
        dir: ImagesDir,
    },
    /// List the images, removed ones included.
    List {
        #[command(flatten)]
        db: Db,
    },
    /// Remove an image (NAME alone: its latest added version): its file is deleted, its record
    /// kept, so that what names it still says what it was.
    Remove {
        #[arg(value_name = "NAME")]
        name: String,
        #[arg(long, value_name = "V")]
        version: Option<String>,
        #[command(flatten)]
        db: Db,
        #[command(flatten)]
        dir: ImagesDir,
    },
}

#[derive(Debug, Args)]
#[group(id = "target", required = true, multiple = false)]
pub struct Target {
    /// A machine's MAC address (aa:bb:cc:dd:ee:ff), as iPXE reports ${net0/mac}.
    #[arg(long, value_name = "MAC", group = "target")]
    pub mac: Option<String>,
    /// A rack's subnet (CIDR, e.g. 10.0.5.0/24): every machine booting from it.
    #[arg(long, value_name = "CIDR", group = "target")]
    pub subnet: Option<String>,
}

impl Target {
    /// ("mac" | "subnet", canonical value)
    fn parse(&self) -> anyhow::Result<(String, String)> {
        match (&self.mac, &self.subnet) {
            (Some(m), None) => Ok(("mac".into(), pxe::parse_mac(m).map_err(anyhow::Error::msg)?)),
            (None, Some(s)) => Ok((
                "subnet".into(),
                pxe::Subnet::parse(s)
                    .map_err(anyhow::Error::msg)?
                    .to_string(),
            )),
            _ => bail!("give --mac or --subnet"),
        }
    }
}

/// A level by its word, offered by name in the help and in the error for any other word.
fn level_parser() -> impl clap::builder::TypedValueParser<Value = Level> {
    clap::builder::PossibleValuesParser::new(Level::WORDS.iter().copied())
        .try_map(|word| word.parse::<Level>())
}

#[derive(Debug, Args)]
pub struct MarkArgs {
    #[command(flatten)]
    pub target: Target,
    /// The automatic mode given (reprise.auto=).
    #[arg(long, value_parser = level_parser())]
    pub mode: Level,
    /// Site recorded by these machines (reprise.site=; one word) and given to their stations.
    #[arg(long, value_name = "SITE")]
    pub site: Option<String>,
    /// The image these machines deploy after a refurbish verdict (reprise.deploy=NAME: its
    /// latest version when they download it); it must be stored here (`image add`).
    #[arg(long, value_name = "NAME")]
    pub image: Option<String>,
    #[command(flatten)]
    pub db: Db,
}

#[derive(Debug, Args)]
pub struct UnmarkArgs {
    #[command(flatten)]
    pub target: Target,
    #[command(flatten)]
    pub db: Db,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on. Port 0 picks a free port (printed).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8080")]
    pub listen: String,
    #[command(flatten)]
    pub db: Db,
    #[command(flatten)]
    pub key: KeyPath,
    #[command(flatten)]
    pub images: ImagesDir,
    /// Serve PXE boot files from DIR (vmlinuz, vmlinuz-bios, initrd.img, bootx64.efi,
    /// grubx64.efi: the `out/` of scripts/build-image).
    #[arg(long, value_name = "DIR")]
    pub boot_dir: Option<PathBuf>,
    /// Also serve them over TFTP on this UDP address, with each machine's GRUB configuration:
    /// UEFI machines (Secure Boot) boot through Debian's signed GRUB, which reads TFTP only.
    /// Needs --boot-dir and --public-url (its host is where GRUB reaches this server).
    #[arg(long, value_name = "ADDR")]
    pub tftp: Option<String>,
    /// The collector's URL as laptops and browsers reach it (QR codes, iPXE scripts,
    /// reprise.server=); default: http://<the Host of each request>.
    #[arg(long, value_name = "URL")]
    pub public_url: Option<String>,
    /// Serve the pages without a login, to this machine only: refused unless --listen and
    /// --public-url are loopback addresses, and pages refuse requests that came through a proxy
    /// (X-Forwarded-For, Forwarded...) or name another host. Without it, pages need a login
    /// (`user add`).
    #[arg(long, conflicts_with = "require_login")]
    pub no_login: bool,
    /// Pages need a login: the default (kept for scripts written when loopback was open).
    #[arg(long, hide = true)]
    pub require_login: bool,
    /// Which PXE-booted machines get a one-time token to enrol their station key.
    #[arg(long, value_enum, default_value = "marked")]
    pub pxe_enroll: PxeEnroll,
    /// How long a PXE enrolment token stays valid, in minutes.
    #[arg(long, value_name = "MIN", default_value_t = 120)]
    pub token_minutes: i64,
    /// PXE enrolment tokens minted for one MAC within --token-minutes; past it, that machine's
    /// boot script carries none (it boots, but cannot enrol and upload).
    #[arg(long, value_name = "N", default_value_t = 5)]
    pub pxe_tokens_per_mac: u32,
    /// Connections served at once; past it a new connection replaces the oldest idle one, or
    /// waits when none is idle.
    #[arg(long, value_name = "N", default_value_t = 256)]
    pub max_connections: usize,
    /// Seconds for a request head to arrive, and for its body (as a whole); an idle
    /// connection is closed after it too.
    #[arg(long, value_name = "SECONDS", default_value_t = 30)]
    pub read_timeout: u64,
    /// Login attempts per client (address; behind a local proxy, the address it appends to
    /// X-Forwarded-For) and minute.
    #[arg(long, value_name = "N", default_value_t = 10)]
    pub login_attempts: u32,
    /// The département's server: the workshop this database belongs to, as the donor's report
    /// (`/report`) names it beside the --report-workshop ones.
    #[arg(long, value_name = "NAME", requires = "report_workshops")]
    pub workshop_name: Option<String>,
    /// Another workshop of the département and its database (one database each, on this
    /// PostgreSQL server or not; only read: nothing is created or migrated in it). Repeatable:
    /// `/report` then covers this database (--workshop-name) and these, with a `workshop`
    /// column, each figure linking to the laptops behind it in that workshop's database.
    #[arg(
        long = "report-workshop",
        value_name = "NAME=DB",
        requires = "workshop_name"
    )]
    pub report_workshops: Vec<String>,
}

/// The host of an `http(s)://` URL (with its port), if it has one.
fn url_host(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    authority.rsplit('@').next().unwrap_or("")
}

/// Runs a command.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Enroll(a) => enroll(a).await,
        Command::List(db) => list(db).await,
        Command::Revoke(a) => {
            let store = open(&a.db).await?;
            let s = store
                .revoke(a.station.clone(), util::now())
                .await
                .with_context(|| format!("cannot revoke {}", a.station))?;
            println!(
                "station {} ({}) revoked on {}",
                s.name,
                s.key_id,
                s.revoked_at.unwrap_or_default()
            );
            Ok(())
        }
        Command::User(UserCommand::Add { name, db }) => user_add(name, db).await,
        Command::Mark(a) => {
            let (kind, value) = a.target.parse()?;
            if let Some(site) = &a.site {
                pxe::check_cmdline_word("--site", site).map_err(anyhow::Error::msg)?;
            }
            let mode = a.mode.as_str();
            let store = open(&a.db).await?;
            if let Some(image) = &a.image {
                crate::images::check_name("--image", image)?;
                if store
                    .image(image.clone(), None)
                    .await
                    .with_context(|| format!("cannot look up image {image}"))?
                    .is_none()
                {
                    bail!(
                        "--image {image}: no such image here (or every version of it was \
                         removed); add it first: reprise-collector image add FILE --name {image}"
                    );
                }
            }
            store
                .mark(Mark {
                    kind: kind.clone(),
                    value: value.clone(),
                    mode: mode.into(),
                    site: a.site,
                    created_at: util::now(),
                    image: a.image.clone(),
                })
                .await
                .with_context(|| format!("cannot mark {kind} {value}"))?;
            match &a.image {
                Some(image) => println!(
                    "{kind} {value}: automatic {mode} over PXE, then image {image} on a \
                     refurbish verdict"
                ),
                None => println!("{kind} {value}: automatic {mode} over PXE"),
            }
            Ok(())
        }
        Command::Unmark(a) => {
            let (kind, value) = a.target.parse()?;
            let store = open(&a.db).await?;
            let removed = store
                .unmark(kind.clone(), value.clone())
                .await
                .with_context(|| format!("cannot unmark {kind} {value}"))?;
            if removed {
                println!("{kind} {value}: interactive over PXE");
                Ok(())
            } else {
                bail!("{kind} {value} was not marked")
            }
        }
        Command::Marks(db) => {
            let store = open(&db).await?;
            for m in store.marks().await? {
                println!(
                    "{}\t{}\t{}\t{}\t{}",
                    m.kind,
                    m.value,
                    m.mode,
                    m.site.unwrap_or_default(),
                    m.image.unwrap_or_default()
                );
            }
            Ok(())
        }
        Command::Image(c) => image(c).await,
        Command::ServerKey(a) => {
            let key = a.key.load(&a.db)?;
            println!("{}", key.key_id);
            eprintln!(
                "Server key {} ({}). Pin it on each stick: reprise.server-key={} in reprise.conf \
                 (PXE scripts carry it).",
                key.key_id,
                key.path.display(),
                key.key_id
            );
            Ok(())
        }
        Command::Serve(a) => serve(a).await,
        Command::Lot(LotCommand::Import(a)) => lot_import(a).await,
        Command::Lot(LotCommand::List(db)) => {
            let store = open(&db).await?;
            println!("LOT\tSITE\tRECEIVED\tLAPTOPS\tFILE\tIMPORTED\tBY");
            for l in store.lots().await? {
                println!(
                    "{}\t{}\t{}\t{}\t{}\t{}\t{}",
                    l.lot.name,
                    l.lot.site,
                    l.lot.received,
                    l.laptops,
                    l.lot.source,
                    l.lot.imported_at,
                    l.lot.imported_by
                );
            }
            Ok(())
        }
        Command::Event(a) => event(a).await,
        Command::Laptop(a) => {
            let store = open(&a.db).await?;
            if let Some(ExportFormat::Json) = a.export {
                let Some(doc) =
                    crate::export::laptop(store.as_ref(), &a.serial, &util::now()).await?
                else {
                    bail!("{} is in no lot", a.serial);
                };
                println!("{}", serde_json::to_string_pretty(&doc)?);
                return Ok(());
            }
            let Some(life) = store.laptop(a.serial.clone()).await? else {
                bail!("{} is in no lot", a.serial);
            };
            print!("{}", crate::life::text(&life));
            Ok(())
        }
        Command::Report(a) => report(a).await,
        Command::Retention(a) => {
            let store = open(&a.db).await?;
            let before = util::in_seconds(-i64::from(a.operator_days) * 86_400);
            let f = store
                .forget_operators(before.clone(), store::FORGOTTEN.to_string())
                .await?;
            println!(
                "operators' names recorded before {before} forgotten: {} certificate(s), {} \
                 event(s), {} lot(s)",
                f.certificates, f.events, f.lots
            );
            Ok(())
        }
    }
}

async fn lot_import(a: LotImportArgs) -> anyhow::Result<()> {
    if !crate::life::is_date(&a.received) {
        bail!("--received {:?} is not a date YYYY-MM-DD", a.received);
    }
    let site = a.site.trim().to_string();
    if site.is_empty() || site.chars().any(char::is_control) {
        bail!("--site {:?} is empty or holds control characters", a.site);
    }
    let stem = a
        .file
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let name = a
        .lot
        .clone()
        .unwrap_or_else(|| crate::lots::lot_name_from_file(&stem));
    crate::lots::check_lot_name(&name).map_err(anyhow::Error::msg)?;
    let bytes =
        std::fs::read(&a.file).with_context(|| format!("cannot read {}", a.file.display()))?;
    let year: i64 = a.received[..4].parse().context("--received")?;
    let (laptops, encoding) = crate::lots::parse(&a.file.display().to_string(), &bytes, year)?;
    if encoding != crate::lots::Encoding::Utf8 {
        println!(
            "{}: not UTF-8, read as {}",
            a.file.display(),
            encoding.name()
        );
    }
    let store = open(&a.db).await?;
    let lot = store::NewLot {
        name: name.clone(),
        site,
        received: a.received.clone(),
        source: a
            .file
            .file_name()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default(),
        imported_at: util::now(),
        imported_by: operator(a.by)?,
    };
    match store
        .import_lot(lot, laptops)
        .await
        .with_context(|| format!("cannot import {}", a.file.display()))?
    {
        store::LotImport::Imported { laptops } => {
            println!("lot {name}: {laptops} laptops imported");
            Ok(())
        }
        store::LotImport::LotExists => {
            bail!("lot {name} exists already: nothing imported (give another name with --lot)")
        }
        store::LotImport::SerialsTaken(taken) => {
            let lines: Vec<String> = taken
                .iter()
                .map(|(line, serial, lot)| {
                    format!("\n  line {line}: serial {serial} is already in lot {lot}")
                })
                .collect();
            bail!(
                "{}: nothing imported, {} serial(s) already in a lot:{}",
                a.file.display(),
                taken.len(),
                lines.concat()
            )
        }
    }
}

async fn event(a: EventArgs) -> anyhow::Result<()> {
    let mut fields = serde_json::Map::new();
    let mut put = |k: &str, v: Option<String>| {
        if let Some(v) = v.map(|v| v.trim().to_string()).filter(|v| !v.is_empty()) {
            fields.insert(k.to_string(), serde_json::Value::String(v));
        }
    };
    let (kind, common) = match a.kind {
        EventKind::HandedOver {
            partner,
            receipt,
            common,
        } => {
            put("partner", Some(partner));
            put("receipt", receipt);
            (crate::life::HANDED_OVER, common)
        }
        EventKind::Recycled {
            channel,
            weight_g,
            disks,
            common,
        } => {
            put("channel", Some(channel));
            put("disks", disks);
            if let Some(w) = weight_g {
                fields.insert("weight_g".into(), serde_json::Value::from(w));
            }
            (crate::life::RECYCLED, common)
        }
        EventKind::Cancelled { common } => (crate::life::CANCELLED, common),
        EventKind::PartsFitted {
            parts,
            extras,
            common,
        } => return parts_fitted(&a.serial, &parts, &extras, common).await,
    };
    if let Some(note) = common
        .note
        .map(|n| n.trim().to_string())
        .filter(|n| !n.is_empty())
    {
        fields.insert("note".into(), serde_json::Value::String(note));
    }
    let store = open(&common.db).await?;
    record_event(
        store.as_ref(),
        &a.serial,
        kind,
        common.date,
        serde_json::Value::Object(fields).to_string(),
        common.by,
    )
    .await
}

/// `event SERIAL parts-fitted`: the parts resolved against the plan of the laptop's latest
/// certificate (`parts::event_fields`), then recorded under the rules like any event.
async fn parts_fitted(
    serial: &str,
    parts: &[String],
    extras: &[String],
    common: EventCommon,
) -> anyhow::Result<()> {
    let parts: Vec<crate::parts::PartRequest> = parts
        .iter()
        .map(|p| crate::parts::parse_part(p))
        .collect::<Result<_, _>>()
        .context("--part")?;
    let extras: Vec<crate::parts::ExtraPart> = extras
        .iter()
        .map(|p| crate::parts::parse_extra(p))
        .collect::<Result<_, _>>()
        .context("--extra")?;
    let store = open(&common.db).await?;
    let Some(life) = store.laptop(serial.to_string()).await? else {
        bail!("refused: {serial} is in no lot (import its donor's inventory first: lot import)");
    };
    let plan =
        crate::life::plan_certificate(&life).map_err(|why| anyhow::anyhow!("refused: {why}"))?;
    let fields = match crate::parts::event_fields(
        store.as_ref(),
        plan,
        &parts,
        &extras,
        common.note.as_deref(),
    )
    .await?
    {
        Ok(f) => f,
        Err(why) => bail!("refused: {why}"),
    };
    record_event(
        store.as_ref(),
        serial,
        crate::life::PARTS_FITTED,
        common.date,
        fields,
        common.by,
    )
    .await
}

/// Appends an event under `life::event_rules` and says what was recorded, or why not.
async fn record_event(
    store: &dyn store::Store,
    serial: &str,
    kind: &str,
    date: String,
    fields: String,
    by: Option<String>,
) -> anyhow::Result<()> {
    let event = store::Event {
        serial: serial.to_string(),
        seq: 0,
        kind: kind.into(),
        date,
        fields,
        recorded_by: operator(by)?,
        recorded_at: util::now(),
    };
    match store
        .record_event(event, crate::life::event_rules)
        .await
        .with_context(|| format!("cannot record an event of {serial}"))?
    {
        store::EventRecord::Recorded(e) => {
            println!(
                "{} #{}: {} on {} (recorded by {})",
                e.serial, e.seq, e.kind, e.date, e.recorded_by
            );
            Ok(())
        }
        store::EventRecord::NotInLot => {
            bail!("refused: {serial} is in no lot (import its donor's inventory first: lot import)")
        }
        store::EventRecord::Refused(why) => bail!("refused: {why}"),
    }
}

async fn report(a: ReportArgs) -> anyhow::Result<()> {
    for (flag, d) in [("--from", &a.from), ("--to", &a.to)] {
        if !crate::life::is_date(d) {
            bail!("{flag} {d:?} is not a date YYYY-MM-DD");
        }
    }
    if a.from > a.to {
        bail!("--from {} is after --to {}", a.from, a.to);
    }
    let filter = store::LaptopFilter {
        from: Some(a.from.clone()),
        to: Some(a.to.clone()),
        ..store::LaptopFilter::default()
    };
    let lang = match a.lang {
        Lang::Fr => reprise_cert::Language::Fr,
        Lang::En => reprise_cert::Language::En,
    };
    let out = if a.workshops.is_empty() {
        let db = a.db.clone().context("--db or --workshop is required")?;
        let rows = store::open(&db).await?.report(filter, a.by_lot).await?;
        match a.format {
            ReportFormat::Csv => crate::report::csv(&rows, a.by_lot),
            ReportFormat::Html => crate::report::html_document(
                lang,
                &crate::report::single(rows),
                false,
                a.by_lot,
                &a.from,
                &a.to,
            ),
        }
    } else {
        let mut parts: Vec<crate::report::Part> = Vec::new();
        for w in open_workshops("--workshop", &a.workshops, &[]).await? {
            let rows = w
                .store
                .report(filter.clone(), a.by_lot)
                .await
                .with_context(|| format!("workshop {}", w.name))?;
            parts.push((w.name, rows));
        }
        match a.format {
            ReportFormat::Csv => crate::report::csv_workshops(&parts, a.by_lot),
            ReportFormat::Html => {
                crate::report::html_document(lang, &parts, true, a.by_lot, &a.from, &a.to)
            }
        }
    };
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(out.as_bytes())
        .and_then(|()| stdout.flush())
        .context("cannot write the report")?;
    Ok(())
}

/// The workshops of the département given as `NAME=DB` to `flag` (one database each), opened
/// to be read only (`store::open_to_read`: nothing created or migrated). `taken`: names
/// already used (the serving database's).
async fn open_workshops(
    flag: &str,
    args: &[String],
    taken: &[&str],
) -> anyhow::Result<Vec<crate::web::Workshop>> {
    let mut out: Vec<crate::web::Workshop> = Vec::new();
    for w in args {
        let Some((name, db)) = w.split_once('=') else {
            bail!("{flag} {w:?} is not NAME=DB");
        };
        let name = workshop_name(flag, name)?;
        if taken.contains(&name.as_str()) || out.iter().any(|o| o.name == name) {
            bail!("{flag} {name:?} is given twice");
        }
        let store = store::open_to_read(db)
            .await
            .with_context(|| format!("{flag} {name}"))?;
        out.push(crate::web::Workshop { name, store });
    }
    Ok(out)
}

/// A workshop's name as the report shows it: trimmed, not empty, no control character.
fn workshop_name(flag: &str, name: &str) -> anyhow::Result<String> {
    let name = name.trim();
    if name.is_empty() || name.chars().any(char::is_control) {
        bail!("{flag} {name:?}: the name is empty or holds control characters");
    }
    Ok(name.to_string())
}

async fn open(db: &Db) -> anyhow::Result<Arc<dyn store::Store>> {
    Ok(store::open(&db.db).await?)
}

async fn enroll(a: EnrollArgs) -> anyhow::Result<()> {
    let pem = std::fs::read_to_string(&a.pubkey)
        .with_context(|| format!("cannot read {}", a.pubkey.display()))?;
    let key = reprise_cert::sign::verifying_key_from_pem(&pem, &a.pubkey.display().to_string())?;
    let key_id = reprise_cert::sign::key_id(&key);
    let store = open(&a.db).await?;
    store
        .enroll(Station {
            key_id: key_id.clone(),
            name: a.station.clone(),
            site: a.site.clone(),
            public_key: base64::engine::general_purpose::STANDARD.encode(key.as_bytes()),
            public_key_pem: pem,
            enrolled_at: util::now(),
            revoked_at: None,
            enrolled_via: "cli".into(),
            note: None,
        })
        .await
        .with_context(|| format!("cannot enrol {}", a.pubkey.display()))?;
    println!("{key_id}");
    eprintln!(
        "Station {:?} (site {:?}) enrolled with the key id above. Compare it with the fingerprint \
         the stick showed on its first boot; if they differ, revoke it: reprise-collector revoke {:?} --db ...",
        a.station, a.site, a.station
    );
    Ok(())
}

async fn list(db: Db) -> anyhow::Result<()> {
    let store = open(&db).await?;
    println!("NAME\tSITE\tKEY ID\tSTATUS\tCERTIFICATES\tHIGHEST\tLAST RECEIVED");
    for s in store.stations().await? {
        println!(
            "{}\t{}\t{}\t{}\t{}\t{}\t{}",
            s.station.name,
            s.station.site,
            s.station.key_id,
            s.station
                .revoked_at
                .map_or_else(|| "enrolled".to_string(), |at| format!("revoked {at}")),
            s.certificates,
            s.highest_sequence
                .map_or_else(|| "-".to_string(), |n| format!("#{n}")),
            s.last_received_at.unwrap_or_else(|| "-".into()),
        );
    }
    Ok(())
}

/// Who runs the CLI, for an image's record.
fn added_by() -> String {
    match std::env::var("SUDO_USER")
        .or_else(|_| std::env::var("USER"))
        .or_else(|_| std::env::var("LOGNAME"))
    {
        Ok(u) if !u.is_empty() && !u.chars().any(char::is_control) => format!("cli ({u})"),
        _ => "cli".to_string(),
    }
}

async fn image(c: ImageCommand) -> anyhow::Result<()> {
    match c {
        ImageCommand::Add {
            file,
            name,
            version,
            db,
            dir,
        } => {
            crate::images::check_name("--name", &name)?;
            let added_at = util::now();
            let version = version.unwrap_or_else(|| crate::images::default_version(&added_at));
            crate::images::check_name("--version", &version)?;
            let dir = crate::images::dir_for(&db.db, dir.images.as_deref())?;
            let store = open(&db).await?;
            // Refused before copying gigabytes (and again by the insert, for an add racing
            // this one).
            if let Some(old) = store
                .image(name.clone(), Some(version.clone()))
                .await
                .with_context(|| format!("cannot look up image {name} {version}"))?
            {
                bail!(
                    "image {name} {version} already exists (added {}{}): give another --version",
                    old.added_at,
                    old.removed_at
                        .map(|at| format!(", removed {at}; a version is never reused"))
                        .unwrap_or_default()
                );
            }
            let new = crate::images::NewImage {
                source: file,
                name: name.clone(),
                version: version.clone(),
                added_by: added_by(),
                added_at,
            };
            let record = {
                let dir = dir.clone();
                tokio::task::spawn_blocking(move || crate::images::copy_in(&dir, &new))
                    .await
                    .context("image copy thread")??
            };
            if let Err(e) = store.add_image(record.clone()).await {
                let _ = crate::images::discard(&dir, &record);
                return Err(e).with_context(|| format!("cannot add image {name} {version}"));
            }
            println!("{}", record.sha256);
            eprintln!(
                "image {name} {version} stored in {}: {} ({}), {} raw, SHA-256 of the raw bytes \
                 above",
                dir.join(&record.file).display(),
                util::human_size(record.size),
                record.compression,
                util::human_size(record.raw_size),
            );
            Ok(())
        }
        ImageCommand::List { db } => {
            let store = open(&db).await?;
            println!("NAME\tVERSION\tCOMPRESSION\tSIZE\tRAW SIZE\tSHA256\tADDED\tSTATUS");
            for i in store.images().await? {
                println!(
                    "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
                    i.name,
                    i.version,
                    i.compression,
                    i.size,
                    i.raw_size,
                    i.sha256,
                    i.added_at,
                    i.removed_at
                        .map_or_else(|| "available".to_string(), |at| format!("removed {at}")),
                );
            }
            Ok(())
        }
        ImageCommand::Remove {
            name,
            version,
            db,
            dir,
        } => {
            let dir = crate::images::dir_for(&db.db, dir.images.as_deref())?;
            let store = open(&db).await?;
            let what = match &version {
                Some(v) => format!("{name} {v}"),
                None => name.clone(),
            };
            let removed = store
                .remove_image(name, version, util::now())
                .await
                .with_context(|| format!("cannot remove image {what}"))?;
            // The record says removed first: from now on nothing is served; then the file goes
            // (a download under way keeps its open file to its end).
            crate::images::discard(&dir, &removed).with_context(|| {
                format!(
                    "image {} {} is removed, but its file could not be deleted",
                    removed.name, removed.version
                )
            })?;
            println!(
                "image {} {} removed (its record is kept)",
                removed.name, removed.version
            );
            Ok(())
        }
    }
}

/// Reads a password: twice without echo from a terminal, else the first line of stdin.
fn read_password(name: &str) -> anyhow::Result<String> {
    let password = if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password(format!("Password for {name}: "))
            .context("cannot read the password")?;
        let again = rpassword::prompt_password("Again: ").context("cannot read the password")?;
        if first != again {
            bail!("the two passwords differ");
        }
        first
    } else {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .context("cannot read the password from standard input")?;
        line.trim_end_matches(['\n', '\r']).to_string()
    };
    if password.chars().count() < 8 {
        bail!("the password must have at least 8 characters");
    }
    Ok(password)
}

async fn user_add(name: String, db: Db) -> anyhow::Result<()> {
    if name.is_empty() || name.chars().any(char::is_control) {
        bail!("user name {name:?} is empty or holds control characters");
    }
    let password = read_password(&name)?;
    let hash = tokio::task::spawn_blocking(move || crate::web::auth::hash_password(&password))
        .await
        .context("password hashing thread")??;
    let store = open(&db).await?;
    store
        .add_user(name.clone(), hash, util::now())
        .await
        .with_context(|| format!("cannot add user {name}"))?;
    println!("user {name} can log in");
    Ok(())
}

async fn serve(a: ServeArgs) -> anyhow::Result<()> {
    let public_url = match a.public_url {
        Some(u) if u.starts_with("http://") || u.starts_with("https://") => {
            Some(u.trim_end_matches('/').to_string())
        }
        Some(u) => bail!("--public-url {u:?} must start with http:// or https://"),
        None => None,
    };
    if let Some(dir) = &a.boot_dir {
        if !dir.is_dir() {
            bail!("--boot-dir {}: not a directory", dir.display());
        }
        for f in crate::pxe::BOOT_FILES {
            if !dir.join(f).is_file() {
                eprintln!(
                    "warning: {} is missing: PXE boots will fail",
                    dir.join(f).display()
                );
            }
        }
    }
    if a.token_minutes <= 0 {
        bail!("--token-minutes must be positive");
    }
    if a.max_connections == 0 || a.read_timeout == 0 || a.login_attempts == 0 {
        bail!("--max-connections, --read-timeout and --login-attempts must be positive");
    }
    // Behind a reverse proxy every request arrives from loopback: only a public URL on this
    // machine says that nobody else reaches the pages.
    if a.no_login
        && let Some(url) = &public_url
        && !crate::web::is_loopback_host(url_host(url))
    {
        bail!(
            "--no-login with --public-url {url}: pages without a login would be served to \
             whoever reaches that URL (through a proxy, every request comes from loopback); \
             drop --no-login and add users (reprise-collector user add)"
        );
    }
    let tftp = match &a.tftp {
        None => None,
        Some(addr) => {
            let (Some(_), Some(url)) = (&a.boot_dir, &public_url) else {
                bail!(
                    "--tftp needs --boot-dir (what to serve) and --public-url (where GRUB finds it)"
                );
            };
            // The URL is also the agents' server, and the agent speaks plain HTTP (its trust is
            // the signed exchange with the pinned server key): refuse now, not on every laptop.
            if !url.starts_with("http://") {
                bail!(
                    "--tftp needs an http:// --public-url: it is the server the network-booted \
                     agents talk to, and they speak plain HTTP (got {url})"
                );
            }
            let socket = tokio::net::UdpSocket::bind(addr)
                .await
                .with_context(|| format!("cannot listen on udp {addr} (--tftp)"))?;
            let port = socket
                .local_addr()
                .with_context(|| format!("cannot listen on udp {addr} (--tftp)"))?
                .port();
            let device = pxe::grub_tftp_device(url, port).map_err(anyhow::Error::msg)?;
            Some((socket, device))
        }
    };
    let server_key = a.key.load(&a.db)?;
    // PostgreSQL without --images: the API lists the images but serves no file (503).
    let images_dir = match crate::images::dir_for(&a.db.db, a.images.images.as_deref()) {
        Ok(d) => Some(d),
        Err(crate::images::ImageError::NoDefaultDir) => {
            eprintln!("warning: no --images DIR: image files are not served");
            None
        }
        Err(e) => return Err(e.into()),
    };
    let store = open(&a.db).await?;
    // The département's report: this database first, then the other workshops'.
    let workshops = match &a.workshop_name {
        None => Vec::new(),
        Some(name) => {
            let name = workshop_name("--workshop-name", name)?;
            let others =
                open_workshops("--report-workshop", &a.report_workshops, &[name.as_str()]).await?;
            let mut all = vec![crate::web::Workshop {
                name,
                store: Arc::clone(&store),
            }];
            all.extend(others);
            all
        }
    };
    let listener = tokio::net::TcpListener::bind(&a.listen)
        .await
        .with_context(|| format!("cannot listen on {}", a.listen))?;
    let local = listener
        .local_addr()
        .with_context(|| format!("cannot listen on {}", a.listen))?;
    if a.no_login && !local.ip().is_loopback() {
        bail!(
            "--no-login with --listen {}: pages without a login only on a loopback address",
            a.listen
        );
    }
    let require_login = !a.no_login;
    let app = Arc::new(App {
        store: Arc::clone(&store),
        public_url,
        boot_dir: a.boot_dir,
        grub_tftp: tftp.as_ref().map(|(_, device)| device.clone()),
        require_login,
        pxe_enroll: a.pxe_enroll,
        token_lifetime_s: a.token_minutes * 60,
        tokens_per_mac: a.pxe_tokens_per_mac,
        logins: crate::web::auth::LoginLimiter::new(a.login_attempts),
        server_key,
        images_dir,
        workshops,
    });
    let limits = crate::conn::Limits {
        max_connections: a.max_connections,
        read_timeout: std::time::Duration::from_secs(a.read_timeout),
    };
    // The first line is for scripts and tests: the address really bound.
    println!("listening on http://{local}");
    eprintln!(
        "database {}; server key {} ({}); web pages {}",
        store.name(),
        app.server_key.key_id,
        app.server_key.path.display(),
        if require_login {
            "need a login (reprise-collector user add)"
        } else {
            "open without a login to this machine only (--no-login)"
        }
    );
    let _ = std::io::stdout().flush();
    let tftp_task = tftp.map(|(socket, device)| {
        eprintln!("tftp for GRUB (UEFI network boot) at {device}");
        let files = Arc::new(crate::server::TftpFiles {
            app: Arc::clone(&app),
        });
        tokio::spawn(crate::tftp::serve(socket, files))
    });
    let served = crate::server::serve(app, listener, limits, shutdown_signal()).await;
    if let Some(task) = tftp_task {
        task.abort();
    }
    served.context("server stopped")?;
    Ok(())
}

/// Ctrl-C or SIGTERM: stop accepting, finish the requests in flight.
async fn shutdown_signal() {
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        () = term => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_host_of_a_public_url() {
        assert_eq!(
            url_host("https://reprise.example.org/x"),
            "reprise.example.org"
        );
        assert_eq!(url_host("http://127.0.0.1:8080"), "127.0.0.1:8080");
        assert_eq!(url_host("http://u:p@[::1]:80/?q"), "[::1]:80");
        assert_eq!(url_host("http://localhost@evil.example/"), "evil.example");
    }
}
