//! The family system's install on the screen: it follows the run when the run was told an
//! image (`Due::Configured`, automatic mode too), or the operator chooses one of the workshop
//! server's images from the result screen (F9, `Due::Offered`); its events move the gauge; F10
//! then Enter cancels it — a cancelled install is a failed one, never "installed".

use crate::deploy::Install;
use crate::flow::deploy::{Due, InstallEvent, ListedImage};
use crate::model::Language;

use super::super::i18n::t;
use super::super::keys::Key;
use super::super::model::{InstallRun, InstallState, InstallStep, Model, Overlay, Screen};
use super::super::msg::Effect;
use super::{TRANSCRIPT_EVERY, go, quit_now};

/// The run is over with `due`: the install follows, is offered, or is not due.
pub(super) fn after_run(m: &mut Model, due: &Due, fx: &mut Vec<Effect>) {
    match due {
        Due::Configured(_) => start(m, None, fx),
        Due::Offered if !m.cfg.auto() => {
            m.install = InstallState::Offered { error: None };
            go(m, Screen::Result, fx);
        }
        Due::Offered => {
            m.install = InstallState::Done {
                outcome: Install::NotDue("no image named (reprise.deploy=)".into()),
                cancelled: false,
                failure: None,
            };
            go(m, Screen::Result, fx);
        }
        Due::No(i) => {
            m.install = InstallState::Done {
                outcome: i.clone(),
                cancelled: false,
                failure: None,
            };
            go(m, Screen::Result, fx);
        }
    }
}

fn start(m: &mut Model, image: Option<ListedImage>, fx: &mut Vec<Effect>) {
    m.install = InstallState::Running(Box::new(InstallRun::new(m.now)));
    m.overlay = None;
    let lang = m.cfg.lang();
    m.log(
        t(
            lang,
            "Installing the family system",
            "Installation du système familial",
        ),
        false,
    );
    fx.push(Effect::StartInstall {
        image: image.map(Box::new),
    });
    go(m, Screen::Install, fx);
}

/// F9 on the result screen: ask the server for its images.
pub(super) fn list(m: &mut Model, fx: &mut Vec<Effect>) {
    if !m.offers_install() {
        return;
    }
    m.install = InstallState::Listing;
    fx.push(Effect::Transcript(
        "reprise: asking the workshop server for its images".into(),
    ));
    fx.push(Effect::ListImages);
}

/// The server's answer to `Effect::ListImages`.
pub(super) fn listed(m: &mut Model, r: Result<Vec<ListedImage>, String>, fx: &mut Vec<Effect>) {
    if m.install != InstallState::Listing {
        return;
    }
    let lang = m.cfg.lang();
    match r {
        Ok(images) if !images.is_empty() => {
            fx.push(Effect::Transcript(format!(
                "reprise: the workshop server lists {} image(s)",
                images.len()
            )));
            m.install = InstallState::Choosing { images, cursor: 0 };
            go(m, Screen::Images, fx);
        }
        Ok(_) => {
            fx.push(Effect::Transcript(
                "reprise: the workshop server has no image".into(),
            ));
            m.install = InstallState::Offered {
                error: Some(
                    t(
                        lang,
                        "the workshop server has no image (reprise-collector image add)",
                        "le serveur d'atelier n'a aucune image (reprise-collector image add)",
                    )
                    .into(),
                ),
            };
        }
        Err(why) => {
            fx.push(Effect::Transcript(format!(
                "reprise: the workshop server's images: {why}"
            )));
            m.install = InstallState::Offered {
                error: Some(format!(
                    "{} {why}",
                    t(
                        lang,
                        "the server's list could not be had:",
                        "liste du serveur impossible à obtenir :"
                    )
                )),
            };
        }
    }
}

/// Keys of the list of images.
pub(super) fn images_key(m: &mut Model, k: Key, fx: &mut Vec<Effect>) {
    let InstallState::Choosing { images, cursor } = &mut m.install else {
        return go(m, Screen::Result, fx);
    };
    match k {
        Key::Up => *cursor = cursor.saturating_sub(1),
        Key::Down => *cursor = (*cursor + 1).min(images.len().saturating_sub(1)),
        Key::Enter => {
            if let Some(image) = images.get(*cursor).cloned() {
                fx.push(Effect::Transcript(format!(
                    "reprise: the operator chose image {} {}",
                    image.name, image.version
                )));
                start(m, Some(image), fx);
            }
        }
        Key::Esc => {
            m.install = InstallState::Offered { error: None };
            go(m, Screen::Result, fx);
        }
        _ => {}
    }
}

/// Keys of the install screen: Esc asks whether to cancel.
pub(super) fn install_key(m: &mut Model, k: Key) {
    if let InstallState::Running(r) = &m.install
        && !r.cancelling
        && matches!(k, Key::Esc | Key::CtrlC)
    {
        m.overlay = Some(Overlay::CancelInstall { armed: false });
    }
}

/// Stops the install (the confirmation, a signal, the demo's q).
pub(super) fn cancel(m: &mut Model, fx: &mut Vec<Effect>) {
    if let InstallState::Running(r) = &mut m.install
        && !r.cancelling
    {
        r.cancelling = true;
        let text = t(
            m.cfg.lang(),
            "Cancelling the install: the system will NOT be installed",
            "Annulation : le système ne sera PAS installé",
        );
        m.log(text, true);
        fx.push(Effect::Transcript(
            "reprise: install cancelled by the operator".into(),
        ));
        fx.push(Effect::CancelInstall);
    }
}

/// An event of the install step.
pub(super) fn event(m: &mut Model, e: InstallEvent, fx: &mut Vec<Effect>) {
    let (now, lang) = (m.now, m.cfg.lang());
    let InstallState::Running(r) = &mut m.install else {
        return;
    };
    let mut log = None;
    match e {
        InstallEvent::Started(what) => {
            fx.push(Effect::Transcript(format!(
                "reprise: install {} {} from the {} ({}) onto {}",
                what.image.name, what.image.version, what.source, what.location, what.disk.dev_path
            )));
            log = Some(format!(
                "{} {} -> {}",
                t(lang, "Image", "Image"),
                what.image.label(),
                what.disk.dev_path
            ));
            r.bytes_total = what.image.raw_size;
            r.target = Some(*what);
        }
        InstallEvent::Progress(p) => {
            let step = match p.phase {
                crate::deploy::engine::Phase::Write => InstallStep::Write,
                crate::deploy::engine::Phase::ReadBack => InstallStep::ReadBack,
            };
            if step != r.step {
                r.step = step;
                r.meter = Default::default();
                r.logged_at = None;
                log = Some(step_name(lang, step, source_of(r)).to_owned());
            }
            r.bytes_done = p.bytes_done;
            r.bytes_total = p.bytes_total.or(r.bytes_total);
            r.engine_rate = p.rate_bps;
            r.meter.push(now, p.bytes_done);
            let finished = r.bytes_total == Some(r.bytes_done);
            if finished
                || r.logged_at
                    .is_none_or(|at| now.saturating_sub(at) >= TRANSCRIPT_EVERY)
            {
                r.logged_at = Some(now);
                let eta = r
                    .eta_ms()
                    .map(|ms| format!(" ETA {}", super::super::i18n::clock(ms)))
                    .unwrap_or_default();
                fx.push(Effect::Transcript(format!(
                    "install {} {} / {} MB {} MB/s{eta}",
                    step_name(Language::En, step, source_of(r)),
                    r.bytes_done / 1_000_000,
                    r.bytes_total
                        .map_or_else(|| "?".to_owned(), |t| (t / 1_000_000).to_string()),
                    r.rate_bps() / 1_000_000,
                )));
            }
        }
        InstallEvent::Resumed(n) => {
            r.resumes = n;
            fx.push(Effect::Transcript(format!(
                "reprise: install: the download resumed after a dropped connection ({n})"
            )));
            log = Some(
                t(
                    lang,
                    "Connection dropped: the download resumed where it stopped",
                    "Connexion coupée : le téléchargement a repris où il s'était arrêté",
                )
                .to_owned(),
            );
        }
        InstallEvent::Failed(f) => r.failure = Some(f),
        InstallEvent::Layout | InstallEvent::Filesystem => {
            let step = if e == InstallEvent::Layout {
                InstallStep::Layout
            } else {
                InstallStep::Filesystem
            };
            r.step = step;
            fx.push(Effect::Transcript(format!(
                "reprise: install: {}",
                step_name(Language::En, step, "")
            )));
            log = Some(step_name(lang, step, "").to_owned());
        }
    }
    if let Some(l) = log {
        m.log(l, false);
    }
}

/// Where the bytes come from, for the write step's name.
fn source_of(r: &InstallRun) -> &'static str {
    r.target.as_ref().map_or("", |t| t.source)
}

/// The install's end.
pub(super) fn done(m: &mut Model, outcome: Install, fx: &mut Vec<Effect>) {
    let (cancelled, failure) = match &m.install {
        InstallState::Running(r) => (r.cancelling, r.failure),
        _ => (false, None),
    };
    let lang = m.cfg.lang();
    let (text, bad) = match &outcome {
        Install::Installed(_) => (
            t(
                lang,
                "System installed and verified",
                "Système installé et vérifié",
            ),
            false,
        ),
        Install::Failed(_) => (
            t(
                lang,
                "The system was NOT installed",
                "Le système n'a PAS été installé",
            ),
            true,
        ),
        Install::NotDue(_) => (
            t(lang, "No system installed", "Aucun système installé"),
            false,
        ),
    };
    m.log(text, bad);
    fx.push(Effect::Transcript(outcome.line()));
    m.install = InstallState::Done {
        outcome,
        cancelled,
        failure,
    };
    m.overlay = None;
    if m.quit_after_run {
        quit_now(m, fx);
        return;
    }
    go(m, Screen::Result, fx);
}

/// A step's name: "download + write" / "téléchargement + écriture".
pub fn step_name(lang: Language, step: InstallStep, source: &str) -> &'static str {
    match step {
        InstallStep::Opening => t(lang, "opening", "ouverture"),
        InstallStep::Write if source == "server" => {
            t(lang, "download + write", "téléchargement + écriture")
        }
        InstallStep::Write => t(lang, "write", "écriture"),
        InstallStep::ReadBack => t(
            lang,
            "read-back against the SHA-256",
            "relecture contre le SHA-256",
        ),
        InstallStep::Layout => t(
            lang,
            "GPT moved to the disk's end",
            "GPT déplacée en fin de disque",
        ),
        InstallStep::Filesystem => t(
            lang,
            "filesystem checked and grown",
            "système de fichiers vérifié et agrandi",
        ),
    }
}
