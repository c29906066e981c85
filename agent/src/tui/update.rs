//! `update(&mut Model, Msg) -> Vec<Effect>`: every change of the screen, pure — no clock, no
//! terminal, no thread; the runtime carries out the effects.
//!
//! The usual interactive path takes three deliberate keystrokes from the first screen to the
//! certificate: Enter (wipe the planned disks) → F10 (arm) → Enter (start). No single key can
//! start a wipe: the confirmation needs F10 and then Enter, two keys at different places, and
//! forgets F10 after `model::ARMED_FOR`. Automatic mode presses nothing and shows every screen.

use std::time::Duration;

use crate::checks::keyboard::{KeyboardState, Step};
use crate::checks::screen::ScreenState;
use crate::flow::RunStatus;
use crate::model::{Language, Level};
use crate::verdict::messages;
use crate::wipe::report::Outcome;
use crate::wipe::{Phase, WipeEvent};

use super::i18n::t;
use super::keys::Key;
use super::model::{DiskProgress, Exit, Model, Overlay, RunResult, RunState, Screen};
use super::msg::{Effect, Msg};

/// How often the transcript gets a progress line per disk.
const TRANSCRIPT_EVERY: Duration = Duration::from_secs(2);

/// Applies one message.
pub fn update(m: &mut Model, msg: Msg) -> Vec<Effect> {
    let mut fx = Vec::new();
    match msg {
        Msg::Key(k) => key(m, k, &mut fx),
        Msg::Resize => {}
        Msg::Tick(now) => tick(m, now, &mut fx),
        Msg::Wipe(e) => wipe_event(m, e, &mut fx),
        Msg::RunDone(r) => run_done(m, *r, &mut fx),
        Msg::Live(s) => m.live = Some(s),
        Msg::CoolingSample(s) => m.cooling.samples.push(s),
        Msg::CoolingDone(r) => {
            m.cooling.running = false;
            let text = cooling_line(m.cfg.lang(), &r);
            m.cooling.record = Some(r.clone());
            m.checks.cooling = Some(r);
            m.log(text.clone(), false);
            fx.push(Effect::Transcript(format!(
                "reprise: check cooling: {text}"
            )));
            checks_changed(m, &mut fx);
        }
        Msg::RamProgress {
            done,
            total,
            errors,
        } => {
            m.ram.running = true;
            (m.ram.done, m.ram.total, m.ram.errors) = (done, total, errors);
        }
        Msg::RamDone(r) => {
            m.ram.running = false;
            let lang = m.cfg.lang();
            // A test that tested nothing says so: never "0 GiB tested, 0 error(s)".
            let text = match crate::checks::memory_not_run(&r) {
                Some(why) => format!(
                    "{} {}",
                    t(lang, "RAM test:", "Test mémoire :"),
                    messages::check_not_run(why, lang)
                ),
                None => format!(
                    "{} {} {}, {} {}",
                    t(lang, "RAM test:", "Test mémoire :"),
                    super::i18n::gib(lang, r.bytes_tested),
                    t(lang, "tested", "testés"),
                    r.errors,
                    t(lang, "error(s)", "erreur(s)")
                ),
            };
            m.log(text, r.errors > 0);
            fx.push(Effect::Transcript(format!(
                "reprise: check ram: {} bytes, {} error(s), completed {}",
                r.bytes_tested, r.errors, r.completed
            )));
            m.ram.record = Some(r.clone());
            m.checks.memory = Some(r);
        }
        Msg::Unfrozen(r) => unfrozen(m, *r, &mut fx),
        Msg::Install(e) => install::event(m, e, &mut fx),
        Msg::InstallDone(i) => install::done(m, *i, &mut fx),
        Msg::Images(r) => install::listed(m, r, &mut fx),
        Msg::Signal(sig) => {
            if m.run.is_running() {
                cancel(m, &mut fx);
                fx.push(Effect::Transcript(format!(
                    "reprise: {sig} received, cancelling (the report will say cancelled)"
                )));
            } else if m.installing() {
                fx.push(Effect::Transcript(format!(
                    "reprise: {sig} received, cancelling the install"
                )));
                install::cancel(m, &mut fx);
            } else if m.exit.is_none() {
                // Nothing running: leave as the screen stands (declined, or the run's result).
                fx.push(Effect::Transcript(format!(
                    "reprise: {sig} received, leaving"
                )));
                leave(m, &mut fx);
            }
        }
    }
    fx
}

/// The first effects of a session: its first screen in the transcript, and — when automatic
/// mode has no home for the certificate (`Run::ready`) — the refusal, before anything else.
pub fn start(m: &mut Model) -> Vec<Effect> {
    let mut fx = vec![Effect::Transcript(screen_line(m.screen))];
    if let Err(why) = m.auto.ready.clone() {
        fatal(
            m,
            format!("NOTHING WAS WRITTEN: {why}."),
            Exit::NotReady(why),
            &mut fx,
        );
    } else if let Err(none) = m.storage.clone() {
        fatal(m, none.to_string(), Exit::NoStorage(none), &mut fx);
    }
    fx
}

/// F7 on the refusal of a run that found no internal storage: the operator looked, and states
/// that this laptop has no disk. The certificate records it; the run goes on from the first
/// screen.
fn state_no_disk(m: &mut Model, fx: &mut Vec<Effect>) {
    m.checks.no_disk_stated = true;
    m.storage = Ok(());
    m.fatal = None;
    m.pending_exit = None;
    let text = t(
        m.cfg.lang(),
        "The operator states that this laptop has no disk",
        "L'opérateur déclare que ce portable n'a pas de disque",
    );
    m.log(text, false);
    fx.push(Effect::Transcript(
        "reprise: the operator states that this laptop has no disk".into(),
    ));
    go(m, Screen::Machine, fx);
    checks_changed(m, fx);
}

fn screen_line(s: Screen) -> String {
    format!("reprise: screen {}", s.name())
}

fn go(m: &mut Model, s: Screen, fx: &mut Vec<Effect>) {
    if m.screen != s {
        m.screen = s;
        m.notice = None;
        m.auto.since = m.now;
        fx.push(Effect::Transcript(screen_line(s)));
    }
}

fn fatal(m: &mut Model, text: String, exit: Exit, fx: &mut Vec<Effect>) {
    fx.push(Effect::Transcript(text.clone()));
    m.fatal = Some(text);
    m.overlay = None;
    m.exit_pending(exit);
    go(m, Screen::Error, fx);
}

impl Model {
    /// Remembers how the session will end once its last screen has been seen.
    fn exit_pending(&mut self, exit: Exit) {
        self.pending_exit = Some(exit);
    }
}

fn key(m: &mut Model, k: Key, fx: &mut Vec<Effect>) {
    // The demo's q leaves at once, from anywhere (a running wipe is cancelled first).
    if m.cfg.demo && k.is_q() && m.screen != Screen::Keyboard {
        quit_now(m, fx);
        return;
    }
    if let Some(o) = m.overlay {
        overlay_key(m, o, k, fx);
        return;
    }
    match m.screen {
        Screen::Keyboard => return keyboard_key(m, k, fx),
        Screen::Colours => return colours_key(m, k, fx),
        _ => {}
    }
    if k == Key::F(1) {
        m.overlay = Some(Overlay::Help);
        return;
    }
    match m.screen {
        Screen::Machine => machine_key(m, k, fx),
        Screen::Choose => choose_key(m, k, fx),
        Screen::Confirm => confirm_key(m, k, fx),
        Screen::Wipe => wipe_key(m, k, fx),
        Screen::Install => install::install_key(m, k),
        Screen::Images => install::images_key(m, k, fx),
        Screen::Result if k == Key::F(9) => install::list(m, fx),
        Screen::Cooling => cooling_key(m, k, fx),
        Screen::Error
            if k == Key::F(7)
                && !m.cfg.auto()
                && matches!(m.pending_exit, Some(Exit::NoStorage(_))) =>
        {
            state_no_disk(m, fx)
        }
        Screen::Result | Screen::Error => match k {
            // The end is the operator's: what the machine does next (init acts on it).
            Key::Enter | Key::Esc if m.cfg.asks_end() => open_end(m, fx),
            Key::Enter | Key::Esc | Key::CtrlC => leave(m, fx),
            _ => {}
        },
        Screen::Keyboard | Screen::Colours => {}
    }
}

fn quit_now(m: &mut Model, fx: &mut Vec<Effect>) {
    if m.run.is_running() {
        m.quit_after_run = true;
        cancel(m, fx);
        return;
    }
    if m.installing() {
        m.quit_after_run = true;
        install::cancel(m, fx);
        return;
    }
    end_busy_check(m, fx);
    m.exit = Some(match (&m.result, m.pending_exit.take()) {
        (_, Some(e)) => e,
        (Some(r), None) => Exit::Finished(r.status),
        (None, None) => Exit::Declined,
    });
    fx.push(Effect::Quit);
}

/// The end's dialog: power off (under the cursor, Enter), reboot, and the maintenance shell when
/// the boot offers it.
fn open_end(m: &mut Model, fx: &mut Vec<Effect>) {
    m.overlay = Some(Overlay::End { selected: 0 });
    fx.push(Effect::Transcript("reprise: screen end".into()));
}

fn end_key(m: &mut Model, selected: usize, k: Key, fx: &mut Vec<Effect>) {
    let choices = m.cfg.ending_choices();
    let last = choices.len().saturating_sub(1);
    match k {
        Key::Up | Key::Left | Key::BackTab => {
            m.overlay = Some(Overlay::End {
                selected: selected.saturating_sub(1),
            })
        }
        Key::Down | Key::Right | Key::Tab => {
            m.overlay = Some(Overlay::End {
                selected: (selected + 1).min(last),
            })
        }
        Key::Enter => {
            if let Some(c) = choices.get(selected.min(last)) {
                choose_end(m, *c, fx);
            }
        }
        // The maintenance shell, on no button: documented (README, image/README.md).
        Key::F(12) => choose_end(m, crate::flow::end::Choice::Shell, fx),
        Key::Esc => m.overlay = None,
        _ => {}
    }
}

fn choose_end(m: &mut Model, c: crate::flow::end::Choice, fx: &mut Vec<Effect>) {
    m.overlay = None;
    m.choice = Some(c);
    fx.push(Effect::Transcript(format!("reprise: end: {}", c.as_str())));
    leave(m, fx);
}

fn leave(m: &mut Model, fx: &mut Vec<Effect>) {
    m.exit = Some(match (m.pending_exit.take(), &m.result) {
        (Some(e), _) => e,
        (None, Some(r)) => Exit::Finished(r.status),
        (None, None) => Exit::Declined,
    });
    fx.push(Effect::Quit);
}

fn overlay_key(m: &mut Model, o: Overlay, k: Key, fx: &mut Vec<Effect>) {
    match o {
        Overlay::Help => {
            if matches!(k, Key::F(1) | Key::Esc | Key::Enter) {
                m.overlay = None;
            }
        }
        Overlay::Quit => match k {
            Key::Enter => {
                m.overlay = None;
                fx.push(Effect::Transcript("Nothing was written.".into()));
                m.exit = Some(Exit::Declined);
                fx.push(Effect::Quit);
            }
            Key::Esc => m.overlay = None,
            _ => {}
        },
        Overlay::End { selected } => end_key(m, selected, k, fx),
        Overlay::CancelInstall { armed } => match k {
            Key::F(10) => m.overlay = Some(Overlay::CancelInstall { armed: true }),
            Key::Enter if armed => {
                m.overlay = None;
                install::cancel(m, fx);
            }
            Key::Esc => m.overlay = None,
            _ => {}
        },
        Overlay::Cancel { armed } => match k {
            Key::F(10) => m.overlay = Some(Overlay::Cancel { armed: true }),
            Key::Enter if armed => {
                m.overlay = None;
                cancel(m, fx);
            }
            Key::Esc => m.overlay = None,
            _ => {}
        },
    }
}

fn cancel(m: &mut Model, fx: &mut Vec<Effect>) {
    if let RunState::Running { cancelling, .. } = &mut m.run
        && !*cancelling
    {
        *cancelling = true;
        let text = t(
            m.cfg.lang(),
            "Cancelling: the disks will NOT be sanitized",
            "Annulation : les disques ne seront PAS effacés",
        );
        m.log(text, true);
        fx.push(Effect::Cancel);
    }
}

fn open_check(m: &mut Model, s: Screen, fx: &mut Vec<Effect>) {
    m.back = m.screen;
    match s {
        Screen::Keyboard => m.keyboard = Some(KeyboardState::new(m.cfg.keymap())),
        Screen::Colours => m.colours = ScreenState::default(),
        Screen::Cooling if !m.cooling.running => {
            m.cooling = super::model::CoolingState {
                running: true,
                started: m.now,
                ..Default::default()
            };
            fx.push(Effect::StartCooling {
                duration_ms: m.cfg.cooling_ms,
            });
        }
        _ => {}
    }
    go(m, s, fx);
    fx.push(Effect::Checks {
        record: Box::new(m.checks.clone()),
        busy: true,
    });
}

fn close_check(m: &mut Model, fx: &mut Vec<Effect>) {
    let back = m.back;
    go(m, back, fx);
    checks_changed(m, fx);
}

/// The checks changed (or a check screen closed): tell the run, and refresh the forecast.
fn checks_changed(m: &mut Model, fx: &mut Vec<Effect>) {
    m.replan();
    fx.push(Effect::Checks {
        record: Box::new(m.checks.clone()),
        busy: matches!(
            m.screen,
            Screen::Keyboard | Screen::Colours | Screen::Cooling
        ),
    });
}

/// A check screen left without finishing (the demo's q): the run must not wait for it.
fn end_busy_check(m: &mut Model, fx: &mut Vec<Effect>) {
    if matches!(
        m.screen,
        Screen::Keyboard | Screen::Colours | Screen::Cooling
    ) {
        fx.push(Effect::Checks {
            record: Box::new(m.checks.clone()),
            busy: false,
        });
    }
}

fn check_keys(m: &mut Model, k: Key, fx: &mut Vec<Effect>) -> bool {
    match k {
        Key::F(2) => open_check(m, Screen::Keyboard, fx),
        Key::F(3) => open_check(m, Screen::Colours, fx),
        Key::F(4) => open_check(m, Screen::Cooling, fx),
        _ => return false,
    }
    true
}

fn machine_key(m: &mut Model, k: Key, fx: &mut Vec<Effect>) {
    if m.automatic() {
        // Automatic mode: Esc stops the countdown; the run then waits for the operator.
        if k == Key::Esc {
            m.auto.stopped = true;
            let text = t(
                m.cfg.lang(),
                "Automatic mode stopped",
                "Mode automatique arrêté",
            );
            m.log(text, false);
            fx.push(Effect::Transcript(
                "reprise: automatic mode stopped by the operator".into(),
            ));
        }
        return;
    }
    if check_keys(m, k, fx) {
        return;
    }
    match k {
        Key::Enter => go(m, Screen::Confirm, fx),
        Key::Tab => go(m, Screen::Choose, fx),
        Key::F(5) => m.ram_test = !m.ram_test,
        Key::Esc | Key::CtrlC => m.overlay = Some(Overlay::Quit),
        _ => {}
    }
}

fn choose_key(m: &mut Model, k: Key, fx: &mut Vec<Effect>) {
    let eligible: Vec<_> = m.eligible().iter().map(|d| d.id.clone()).collect();
    match k {
        Key::Up => m.cursor = m.cursor.saturating_sub(1),
        Key::Down => m.cursor = (m.cursor + 1).min(eligible.len().saturating_sub(1)),
        Key::Space => {
            if let Some(id) = eligible.get(m.cursor) {
                if !m.excluded.remove(id) {
                    m.excluded.insert(id.clone());
                }
                m.replan();
            }
        }
        Key::Left | Key::Right => {
            m.settings.level = match m.settings.level {
                Level::Clear => Level::Purge,
                Level::Purge => Level::Clear,
            };
            m.replan();
        }
        Key::F(6) => unfreeze(m, fx),
        Key::Enter => go(m, Screen::Confirm, fx),
        Key::Esc | Key::Tab => go(m, Screen::Machine, fx),
        _ => {}
    }
}

/// F6 on the choosing screen: frozen drives hide their Purge, and this machine can suspend —
/// sleep a few seconds (the RTC wakes it), then ask the drives again.
fn unfreeze(m: &mut Model, fx: &mut Vec<Effect>) {
    let n = m.frozen_to_unfreeze();
    if n == 0 {
        return;
    }
    m.unfreezing = true;
    let lang = m.cfg.lang();
    m.log(
        format!(
            "{n} {}",
            t(
                lang,
                "frozen drive(s): suspending to RAM, the machine wakes by itself",
                "disque(s) gelé(s) : mise en veille, la machine se réveille seule"
            )
        ),
        false,
    );
    fx.push(Effect::Transcript(format!(
        "reprise: suspending to RAM to unfreeze {n} drive(s)"
    )));
    fx.push(Effect::Unfreeze);
}

/// Back from the suspend: the plan made again from what the drives say now.
fn unfrozen(
    m: &mut Model,
    r: Result<(crate::flow::Inspection, Duration), String>,
    fx: &mut Vec<Effect>,
) {
    m.unfreezing = false;
    let lang = m.cfg.lang();
    match r {
        Ok((inspection, slept)) => {
            m.inspection = inspection;
            m.replan();
            let text = format!(
                "{} {} s; {}",
                t(lang, "Resumed after", "Réveil après"),
                slept.as_secs(),
                t(
                    lang,
                    "the drives were asked again",
                    "les disques ont été réinterrogés"
                )
            );
            fx.push(Effect::Transcript(format!("reprise: {text}")));
            m.log(text, false);
        }
        Err(why) => {
            let text = format!(
                "{} {why}",
                t(lang, "Suspend failed:", "Mise en veille impossible :")
            );
            fx.push(Effect::Transcript(format!("reprise: {text}")));
            m.log(text, true);
        }
    }
}

fn confirm_key(m: &mut Model, k: Key, fx: &mut Vec<Effect>) {
    if m.automatic() {
        if k == Key::Esc {
            m.auto.stopped = true;
            m.armed_at = None;
            fx.push(Effect::Transcript(
                "reprise: automatic mode stopped by the operator".into(),
            ));
        }
        return;
    }
    match k {
        Key::F(10) => {
            m.armed_at = Some(m.now);
            m.notice = None;
        }
        Key::Enter if m.armed() => start_run(m, fx),
        Key::Enter => {
            m.notice = Some(
                t(
                    m.cfg.lang(),
                    "Press F10 first, then Enter.",
                    "Appuyez d'abord sur F10, puis sur Entrée.",
                )
                .into(),
            );
        }
        Key::Esc => {
            m.armed_at = None;
            go(m, Screen::Machine, fx);
        }
        _ => {}
    }
}

fn start_run(m: &mut Model, fx: &mut Vec<Effect>) {
    if m.unfreezing {
        // The plan is about to change with what the drives say after the suspend.
        m.notice = Some(
            t(
                m.cfg.lang(),
                "Wait: the machine is waking up from the suspend.",
                "Attendez : la machine sort de la mise en veille.",
            )
            .into(),
        );
        return;
    }
    let plan = match m.plan.clone() {
        Ok(plan) => plan,
        Err(e) => {
            m.notice = Some(e);
            return;
        }
    };
    m.armed_at = None;
    let disks = plan
        .targets()
        .iter()
        .map(|d| {
            let id = d.identity();
            DiskProgress {
                id: id.id.clone(),
                name: m
                    .stands_for
                    .get(&id.id)
                    .cloned()
                    .unwrap_or_else(|| id.dev_path.clone()),
                model: id.model.clone().unwrap_or_default(),
                size: id.size_bytes,
                last: None,
                finished: None,
                logged_at: None,
            }
        })
        .collect();
    m.run = RunState::Running {
        started: m.now,
        disks,
        cancelling: false,
    };
    let lang = m.cfg.lang();
    m.log(t(lang, "Wipe started", "Effacement commencé"), false);
    if plan.level == Level::Purge {
        for target in plan.targets() {
            let text = format!(
                "{}: {}",
                target.identity().dev_path,
                super::i18n::technique(target)
            );
            m.log(text, false);
        }
    }
    let ram_test = m.ram_test;
    if ram_test {
        m.ram.running = true;
    }
    fx.push(Effect::Checks {
        record: Box::new(m.checks.clone()),
        busy: false,
    });
    fx.push(Effect::StartRun {
        plan: Box::new(plan),
        ram_test,
    });
    go(m, Screen::Wipe, fx);
}

fn wipe_key(m: &mut Model, k: Key, fx: &mut Vec<Effect>) {
    if m.run.is_running() && check_keys(m, k, fx) {
        return;
    }
    if matches!(k, Key::Esc | Key::CtrlC)
        && let RunState::Running {
            cancelling: false, ..
        } = m.run
    {
        m.overlay = Some(Overlay::Cancel { armed: false });
    }
}

fn cooling_key(m: &mut Model, k: Key, fx: &mut Vec<Effect>) {
    if matches!(k, Key::Esc | Key::Enter) {
        if m.cooling.running {
            // Stopped early: the record still comes, with what was measured.
            fx.push(Effect::StopCooling);
        }
        close_check(m, fx);
    }
}

fn keyboard_key(m: &mut Model, k: Key, fx: &mut Vec<Effect>) {
    let Some(state) = m.keyboard.as_mut() else {
        return close_check(m, fx);
    };
    let Some(press) = k.press() else { return };
    if let Step::Finished(r) = state.press(&press) {
        let lang = m.cfg.lang();
        let text = if r.keys_not_pressed.is_empty() {
            t(
                lang,
                "Keyboard: every key answered",
                "Clavier : toutes les touches répondent",
            )
            .to_owned()
        } else {
            format!(
                "{} {}",
                t(
                    lang,
                    "Keyboard: never pressed:",
                    "Clavier : jamais pressées :"
                ),
                r.keys_not_pressed.join(", ")
            )
        };
        m.log(text, !r.keys_not_pressed.is_empty());
        fx.push(Effect::Transcript(format!(
            "reprise: check keyboard: {}/{} keys, not pressed: {}",
            r.keys_pressed,
            r.keys_total,
            r.keys_not_pressed.join(", ")
        )));
        m.checks.keyboard = Some(r);
        close_check(m, fx);
    }
}

fn colours_key(m: &mut Model, k: Key, fx: &mut Vec<Effect>) {
    let lang = m.cfg.lang();
    let finish = |m: &mut Model, defect: bool, fx: &mut Vec<Effect>| {
        let r = m.colours.record(defect);
        let text = match &r.defect_on {
            Some(c) => format!(
                "{} {}",
                t(
                    lang,
                    "Screen: defect seen on",
                    "Écran : défaut constaté sur"
                ),
                colour_name(lang, c)
            ),
            None => t(
                lang,
                "Screen: no defect seen",
                "Écran : aucun défaut constaté",
            )
            .to_owned(),
        };
        m.log(text, defect);
        fx.push(Effect::Transcript(format!(
            "reprise: check screen: {}",
            if defect { "defect" } else { "passed" }
        )));
        m.checks.screen = Some(r);
        close_check(m, fx);
    };
    match k {
        Key::Enter | Key::Space | Key::Right => {
            if m.colours.advance() {
                finish(m, false, fx);
            } else {
                // The hint shows again for a moment on each new colour.
                m.auto.since = m.now;
            }
        }
        Key::F(8) => finish(m, true, fx),
        Key::Esc => close_check(m, fx),
        _ => {}
    }
}

/// A colour's name in the screen's language.
pub fn colour_name(lang: Language, c: &str) -> String {
    match lang {
        Language::En => c.to_owned(),
        Language::Fr => crate::verdict::messages::colour_fr(c).to_owned(),
    }
}

fn tick(m: &mut Model, now: Duration, fx: &mut Vec<Effect>) {
    m.now = now;
    if m.armed_at.is_some() && !m.armed() {
        m.armed_at = None;
        m.notice = Some(
            t(
                m.cfg.lang(),
                "F10 expired: press F10 again, then Enter.",
                "F10 a expiré : appuyez à nouveau sur F10, puis sur Entrée.",
            )
            .into(),
        );
    }
    let since = now.saturating_sub(m.auto.since);
    // Automatic mode walks through the screens by itself.
    if m.automatic() && m.overlay.is_none() && m.fatal.is_none() {
        match m.screen {
            Screen::Machine if m.auto.ready.is_ok() && since >= m.cfg.auto_step => {
                go(m, Screen::Confirm, fx)
            }
            Screen::Confirm if since >= m.cfg.auto_step => start_run(m, fx),
            Screen::Result if since >= m.cfg.linger() => leave(m, fx),
            _ => {}
        }
    }
    if m.cfg.auto()
        && m.screen == Screen::Error
        && m.overlay.is_none()
        && since >= m.cfg.linger()
        && m.exit.is_none()
    {
        leave(m, fx);
    }
}

fn disk_mut<'a>(m: &'a mut Model, id: &crate::model::DiskId) -> Option<&'a mut DiskProgress> {
    match &mut m.run {
        RunState::Running { disks, .. } | RunState::Done { disks, .. } => {
            disks.iter_mut().find(|d| &d.id == id)
        }
        RunState::NotStarted => None,
    }
}

fn wipe_event(m: &mut Model, e: WipeEvent, fx: &mut Vec<Effect>) {
    let now = m.now;
    let lang = m.cfg.lang();
    match e {
        WipeEvent::Progress(p) => {
            let mut log_line = None;
            let mut transcript = None;
            if let Some(d) = disk_mut(m, &p.disk) {
                let new_phase = d
                    .last
                    .as_ref()
                    .is_none_or(|l| l.pass != p.pass || l.phase != p.phase);
                if new_phase {
                    log_line = Some(format!(
                        "{}: {} {}/{} {}",
                        d.name,
                        t(lang, "pass", "passe"),
                        p.pass,
                        p.passes,
                        phase_name(lang, p.phase)
                    ));
                }
                let due = d
                    .logged_at
                    .is_none_or(|at| now.saturating_sub(at) >= TRANSCRIPT_EVERY);
                if due || new_phase || p.bytes_done >= p.bytes_total {
                    d.logged_at = Some(now);
                    let pct = (p.bytes_done * 100).checked_div(p.bytes_total).unwrap_or(0);
                    let eta = p
                        .eta_ms
                        .map(|ms| format!(" ETA {}", super::i18n::clock(ms)))
                        .unwrap_or_default();
                    transcript = Some(format!(
                        "{} pass {}/{} {} {pct:>3}% {} MB/s{eta}",
                        p.device,
                        p.pass,
                        p.passes,
                        phase_name(Language::En, p.phase),
                        p.rate_bps / 1_000_000
                    ));
                }
                d.last = Some(p);
            }
            if let Some(l) = log_line {
                m.log(l, false);
            }
            if let Some(l) = transcript {
                fx.push(Effect::Transcript(l));
            }
        }
        WipeEvent::Finished {
            disk,
            device,
            outcome,
        } => {
            let name = disk_mut(m, &disk).map(|d| {
                d.finished = Some(outcome);
                d.name.clone()
            });
            let bad = outcome != Outcome::Passed;
            m.log(
                format!(
                    "{}: {}",
                    name.unwrap_or_else(|| device.clone()),
                    // The result screen says whether the disk is sanitized, from its record.
                    messages::outcome(outcome, lang)
                ),
                bad,
            );
            fx.push(Effect::Transcript(format!(
                "{device}: finished, {}",
                outcome.as_str()
            )));
        }
    }
}

/// "write" / "écriture".
pub fn phase_name(lang: Language, p: Phase) -> &'static str {
    match p {
        Phase::Erase => t(lang, "firmware erase", "effacement firmware"),
        Phase::Write => t(lang, "write", "écriture"),
        Phase::Verify => t(lang, "verify", "vérification"),
    }
}

fn cooling_line(lang: Language, r: &crate::cert::model::CoolingCheck) -> String {
    let temp = r.max_millicelsius.map_or_else(
        || t(lang, "unknown", "inconnue").to_owned(),
        super::i18n::celsius,
    );
    format!(
        "{} {} {}, {} {}",
        t(lang, "Cooling:", "Refroidissement :"),
        t(lang, "peak", "maximum"),
        temp,
        t(lang, "throttling", "bridage"),
        r.throttle_events.map_or_else(
            || t(lang, "unknown", "inconnu").to_owned(),
            |e| e.to_string()
        )
    )
}

fn run_done(m: &mut Model, r: Result<RunResult, String>, fx: &mut Vec<Effect>) {
    let took = match &m.run {
        RunState::Running { started, .. } => m.now.saturating_sub(*started),
        _ => Duration::ZERO,
    };
    let disks = m.run.disks().to_vec();
    m.run = RunState::Done { disks, took };
    m.overlay = None;
    m.ram.running = false;
    match r {
        Ok(result) => {
            let lang = m.cfg.lang();
            m.log(
                match result.status {
                    RunStatus::Sanitized => t(lang, "Certificate signed", "Certificat signé"),
                    _ => t(
                        lang,
                        "Certificate signed: NOT every disk is sanitized",
                        "Certificat signé : les disques ne sont PAS tous effacés",
                    ),
                },
                result.status != RunStatus::Sanitized,
            );
            let due = result.install.clone();
            m.result = Some(result);
            if m.quit_after_run {
                quit_now(m, fx);
                return;
            }
            install::after_run(m, &due, fx);
        }
        Err(e) => {
            if m.quit_after_run {
                m.exit = Some(Exit::Failed(e));
                fx.push(Effect::Quit);
                return;
            }
            fatal(m, format!("The run failed: {e}"), Exit::Failed(e), fx);
        }
    }
}

mod install;

pub use install::step_name;

#[cfg(test)]
mod tests;
