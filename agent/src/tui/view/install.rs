//! The family system's install: the image (name, version, where from), the disk, the steps
//! with the current one marked, a gauge with MB/s and time left, resumptions of the download,
//! and the log; the server's images to choose from; and the install's outcome as the result
//! screen says it (installed and verified with its record, or not, and why).

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::{boxed, vga};
use crate::deploy::{Failure, Install};
use crate::model::Language;
use crate::tui::i18n::{self, t};
use crate::tui::model::{InstallRun, InstallState, InstallStep, Model};
use crate::tui::palette;
use crate::tui::update::step_name;

/// "sha256:0123456789ab": enough of a digest to compare by eye.
fn short(digest: &str) -> String {
    digest.chars().take("sha256:".len() + 12).collect()
}

fn what_lines(l: Language, r: &InstallRun) -> Vec<Line<'static>> {
    let Some(target) = &r.target else {
        return vec![Line::from(Span::styled(
            t(
                l,
                " Choosing the disk, opening the image...",
                " Choix du disque, ouverture de l'image...",
            ),
            palette::dim(),
        ))];
    };
    let image = &target.image;
    let from = match target.source {
        "server" => t(l, "workshop server", "serveur d'atelier"),
        _ => t(l, "stick", "clé"),
    };
    let size = image
        .raw_size
        .map(|b| format!(", {}", i18n::size(l, b)))
        .unwrap_or_default();
    vec![
        Line::from(vec![
            Span::styled(format!(" {:<10}", t(l, "Image", "Image")), palette::label()),
            Span::styled(vga(&format!("{}{size}", image.label())), palette::value()),
        ]),
        Line::from(vec![
            Span::styled(format!(" {:<10}", t(l, "From", "Depuis")), palette::label()),
            Span::styled(
                vga(&format!("{from} {}", target.location)),
                palette::value(),
            ),
        ]),
        Line::from(vec![
            Span::styled(
                format!(" {:<10}", t(l, "Digest", "Empreinte")),
                palette::label(),
            ),
            Span::styled(short(&image.sha256.to_string()), palette::value()),
        ]),
        Line::from(vec![
            Span::styled(format!(" {:<10}", t(l, "Disk", "Disque")), palette::label()),
            Span::styled(
                vga(&format!(
                    "{} {} {}",
                    target.disk.dev_path,
                    target.disk.model.as_deref().unwrap_or(""),
                    i18n::size(l, target.disk.size_bytes)
                )),
                palette::value(),
            ),
        ]),
    ]
}

fn step_lines(l: Language, r: &InstallRun) -> Vec<Line<'static>> {
    let source = r.target.as_ref().map_or("", |t| t.source);
    [
        InstallStep::Write,
        InstallStep::ReadBack,
        InstallStep::Layout,
        InstallStep::Filesystem,
    ]
    .into_iter()
    .map(|s| {
        let (mark, style) = if s < r.step {
            ("[x]", palette::good())
        } else if s == r.step {
            ("[>]", palette::warn())
        } else {
            ("[ ]", palette::dim())
        };
        Line::from(Span::styled(
            format!(" {mark} {}", step_name(l, s, source)),
            style,
        ))
    })
    .collect()
}

fn gauge_label(l: Language, r: &InstallRun) -> String {
    let source = r.target.as_ref().map_or("", |t| t.source);
    let total = r
        .bytes_total
        .map(|b| format!(" / {}", i18n::size(l, b)))
        .unwrap_or_default();
    let eta = r
        .eta_ms()
        .map(|ms| format!(" ETA {}", i18n::clock(ms)))
        .unwrap_or_default();
    let pct = if r.bytes_total.is_some() {
        format!("{} ", i18n::percent(r.permille()))
    } else {
        String::new()
    };
    format!(
        " {} {pct}{}{total} {}{eta}",
        step_name(l, r.step, source),
        i18n::size(l, r.bytes_done),
        i18n::rate(l, r.rate_bps())
    )
}

/// The install screen.
pub fn install(m: &Model, f: &mut Frame, area: Rect) {
    let l = m.cfg.lang();
    let title = t(
        l,
        "Installing the family system",
        "Installation du système familial",
    );
    let InstallState::Running(r) = &m.install else {
        f.render_widget(
            Paragraph::new(outcome_lines(m))
                .block(boxed(title))
                .wrap(Wrap { trim: false }),
            area,
        );
        return;
    };
    let mut top = what_lines(l, r);
    top.push(Line::from(""));
    top.extend(step_lines(l, r));
    if r.resumes > 0 {
        top.push(Line::from(Span::styled(
            format!(
                " {} ({})",
                t(
                    l,
                    "Connection dropped: the download resumed where it stopped",
                    "Connexion coupée : le téléchargement a repris où il s'était arrêté"
                ),
                r.resumes
            ),
            palette::warn(),
        )));
    }
    if r.cancelling {
        top.push(Line::from(Span::styled(
            t(
                l,
                " Cancelling: the system will NOT be installed",
                " Annulation : le système ne sera PAS installé",
            ),
            palette::bad(),
        )));
    }
    let top_h = u16::try_from(top.len()).unwrap_or(u16::MAX) + 2;
    let [head, bar, log] = Layout::vertical([
        Constraint::Length(top_h),
        Constraint::Length(1),
        Constraint::Min(0),
    ])
    .areas(area);
    f.render_widget(Paragraph::new(top).block(boxed(title)), head);
    let gauge_area = Rect {
        x: bar.x + 1,
        width: bar.width.saturating_sub(2),
        ..bar
    };
    let in_bytes = matches!(r.step, InstallStep::Write | InstallStep::ReadBack);
    super::wipe::gauge(
        f.buffer_mut(),
        gauge_area,
        if in_bytes { r.permille() } else { 1000 },
        &vga(&gauge_label(l, r)),
        palette::gauge_done(),
    );
    let rows = usize::from(log.height.saturating_sub(2));
    let lines: Vec<Line> = m
        .log
        .iter()
        .skip(m.log.len().saturating_sub(rows))
        .map(|line| {
            Line::from(Span::styled(
                format!(
                    "{} {}",
                    i18n::clock(u64::try_from(line.at.as_millis()).unwrap_or(u64::MAX)),
                    vga(&line.text)
                ),
                if line.bad {
                    palette::bad()
                } else {
                    palette::dim()
                },
            ))
        })
        .collect();
    f.render_widget(
        Paragraph::new(lines).block(boxed(t(l, "Log", "Journal"))),
        log,
    );
}

/// The server's images, one under the cursor.
pub fn images(m: &Model, f: &mut Frame, area: Rect) {
    let l = m.cfg.lang();
    let mut lines = vec![
        Line::from(Span::styled(
            t(
                l,
                " The workshop server's images: the chosen one is written on the wiped disk,",
                " Images du serveur d'atelier : celle choisie est écrite sur le disque effacé,",
            ),
            palette::dim(),
        )),
        Line::from(Span::styled(
            t(
                l,
                " read back against its SHA-256, and recorded with the certificate.",
                " relue contre son SHA-256, et enregistrée avec le certificat.",
            ),
            palette::dim(),
        )),
        Line::from(""),
    ];
    if let InstallState::Choosing { images, cursor } = &m.install {
        for (i, image) in images.iter().enumerate() {
            let size = image
                .raw_size
                .map_or_else(|| "?".to_owned(), |b| i18n::size(l, b));
            let text = format!(
                " {} {:<24} {:<12} {:>10}  {}",
                if i == *cursor { ">" } else { " " },
                image.name,
                image.version,
                size,
                short(&image.sha256)
            );
            lines.push(Line::from(Span::styled(
                vga(&text),
                if i == *cursor {
                    palette::cursor()
                } else {
                    palette::value()
                },
            )));
        }
    }
    f.render_widget(
        Paragraph::new(lines)
            .block(boxed(t(
                l,
                "Install the family system",
                "Installer le système familial",
            )))
            .wrap(Wrap { trim: false }),
        area,
    );
}

/// What the result screen says of the install (nothing when no install was ever wanted).
pub fn outcome_lines(m: &Model) -> Vec<Line<'static>> {
    let l = m.cfg.lang();
    let head = Line::from(Span::styled(
        t(l, "Family system", "Système familial"),
        palette::label(),
    ));
    let line = |text: String, style| vec![head.clone(), Line::from(Span::styled(text, style))];
    match &m.install {
        InstallState::Idle | InstallState::Running(_) | InstallState::Choosing { .. } => Vec::new(),
        InstallState::Offered { error } => {
            let mut out = line(
                t(
                    l,
                    " F9: install one of the workshop server's images",
                    " F9 : installer une image du serveur d'atelier",
                )
                .to_owned(),
                palette::warn(),
            );
            if let Some(e) = error {
                out.push(Line::from(Span::styled(
                    format!(" {}", vga(e)),
                    palette::bad(),
                )));
            }
            out
        }
        InstallState::Listing => line(
            t(
                l,
                " asking the workshop server for its images...",
                " demande de la liste au serveur d'atelier...",
            )
            .to_owned(),
            palette::dim(),
        ),
        InstallState::Done {
            outcome,
            cancelled,
            failure,
        } => match outcome {
            Install::Installed(i) => {
                let record = i
                    .record
                    .file_stem()
                    .map(|s| s.to_string_lossy().into_owned())
                    .unwrap_or_default();
                vec![
                    head,
                    Line::from(Span::styled(
                        vga(&format!(
                            " {} {} -> {}",
                            t(l, "INSTALLED AND VERIFIED:", "INSTALLÉ ET VÉRIFIÉ :"),
                            i.image.label(),
                            i.disk.dev_path.trim_start_matches("/dev/")
                        )),
                        palette::good(),
                    )),
                    Line::from(Span::styled(
                        vga(&format!(
                            " {} {}, {} {record}",
                            t(l, "read back", "relu"),
                            short(&i.written.sha256.to_string()),
                            t(l, "record", "fiche"),
                        )),
                        palette::value(),
                    )),
                ]
            }
            Install::Failed(why) => {
                let reason = if *cancelled {
                    failure_words(l, Failure::Cancelled)
                } else {
                    failure.map_or("", |f| failure_words(l, f))
                };
                let mut out = line(
                    format!(
                        " {}{reason}",
                        if reason.is_empty() {
                            t(l, "NOT INSTALLED", "NON INSTALLÉ")
                        } else {
                            t(l, "NOT INSTALLED: ", "NON INSTALLÉ : ")
                        }
                    ),
                    palette::bad(),
                );
                if !*cancelled {
                    out.push(Line::from(Span::styled(
                        format!(" {}", vga(why)),
                        palette::bad(),
                    )));
                }
                out.push(Line::from(Span::styled(
                    t(
                        l,
                        " The disk stays sanitized; no record; the machine stays on",
                        " Le disque reste effacé ; aucune fiche ; la machine reste allumée",
                    ),
                    palette::dim(),
                )));
                out
            }
            // Said only where the workshop wanted installs (an image named, or a server).
            Install::NotDue(why) if m.cfg.run.deploy.is_some() || m.cfg.server().is_some() => line(
                format!(
                    " {}: {}",
                    t(l, "not installed", "non installé"),
                    not_due_words(l, why)
                ),
                palette::dim(),
            ),
            Install::NotDue(_) => Vec::new(),
        },
    }
}

/// Why an install failed, in the operator's words.
pub fn failure_words(l: Language, f: Failure) -> &'static str {
    let (en, fr) = match f {
        Failure::NoDisk => (
            "no sanitized internal disk may receive it",
            "aucun disque interne effacé ne peut le recevoir",
        ),
        Failure::Source => (
            "the image could not be had (stick or server)",
            "image introuvable ou injoignable (clé ou serveur)",
        ),
        Failure::NotTheImage => (
            "the image is damaged: its bytes are not its SHA-256",
            "image abîmée : ses octets ne sont pas son SHA-256",
        ),
        Failure::DiskTooSmall => (
            "the disk is too small for this image (nothing written)",
            "disque trop petit pour cette image (rien d'écrit)",
        ),
        Failure::SectorSize => (
            "the disk's sectors do not fit this image (nothing written)",
            "secteurs du disque incompatibles avec l'image (rien d'écrit)",
        ),
        Failure::DiskError => (
            "the disk failed while writing or reading",
            "le disque a failli en écriture ou en lecture",
        ),
        Failure::ReadBack => (
            "read back, the disk does not hold the image",
            "à la relecture, le disque ne contient pas l'image",
        ),
        Failure::Layout => (
            "the partition table could not be fitted to the disk",
            "la table de partitions n'a pas pu être ajustée au disque",
        ),
        Failure::Cancelled => ("cancelled by the operator", "annulé par l'opérateur"),
        Failure::Record => (
            "the refurbishment record could not be written",
            "la fiche de reconditionnement n'a pas pu être écrite",
        ),
        Failure::Internal => (
            "the install stopped unexpectedly",
            "l'installation s'est arrêtée inopinément",
        ),
    };
    t(l, en, fr)
}

/// Why an install was not due, in the screen's language (the step says it in English).
fn not_due_words(l: Language, why: &str) -> String {
    match (l, why) {
        (Language::Fr, "not every disk is sanitized") => {
            "les disques ne sont pas tous effacés".into()
        }
        (Language::Fr, "the verdict is recycle") => "le verdict est recycler".into(),
        (Language::Fr, w) if w.starts_with("no image named") => {
            "aucune image désignée (reprise.deploy=)".into()
        }
        (Language::Fr, "no image chosen on the screen") => "aucune image choisie".into(),
        (_, w) => vga(w),
    }
}
