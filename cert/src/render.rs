//! Human forms of a verified certificate: plain text (`reprise cert show`) and one printable A4
//! HTML page (`reprise cert render --html`) with a QR code of the certificate digest, in the
//! certificate's language.

use std::fmt::Write as _;

use qrcode::QrCode;
use qrcode::render::svg;

use super::model::{
    Certificate, ChecksRecord, ControllerRecord, DiskHealthRecord, DiskSanitization, HealthStatus,
    Language, MemorySummary, TpmRecord,
};
use crate::messages;
use crate::text;

/// Labels in both languages.
fn t(lang: Language, en: &'static str, fr: &'static str) -> &'static str {
    match lang {
        Language::En => en,
        Language::Fr => fr,
    }
}

fn unknown(lang: Language) -> &'static str {
    t(lang, "unknown", "inconnu")
}

fn or_unknown(v: &Option<String>, lang: Language) -> String {
    v.clone().unwrap_or_else(|| unknown(lang).to_string())
}

fn num_or_unknown<T: ToString>(v: Option<T>, lang: Language) -> String {
    v.map_or_else(|| unknown(lang).to_string(), |v| v.to_string())
}

fn yes_no(b: bool, lang: Language) -> &'static str {
    match (b, lang) {
        (true, Language::En) => "yes",
        (false, Language::En) => "no",
        (true, Language::Fr) => "oui",
        (false, Language::Fr) => "non",
    }
}

/// Title, subject lines and sections as (label, value) rows: the text and HTML forms share them.
struct Section {
    title: String,
    rows: Vec<(String, String)>,
}

fn sections(c: &Certificate, digest: &str) -> Vec<Section> {
    let l = c.language;
    let id = &c.machine.identity;
    let mut out = vec![Section {
        title: t(l, "Certificate", "Certificat").into(),
        rows: vec![
            ("ID".into(), c.id.clone()),
            (t(l, "Issued at", "Émis le").into(), c.issued_at.clone()),
        ],
    }];
    if let Some(time) = &c.time {
        out[0].rows.push((
            t(l, "Time from", "Heure de").into(),
            messages::time(time, l),
        ));
    }
    out[0].rows.extend([
        (
            t(l, "Organisation", "Organisation").into(),
            c.issuer
                .organisation
                .clone()
                .unwrap_or_else(|| t(l, "not given", "non renseignée").into()),
        ),
        (t(l, "Site", "Site").into(), c.issuer.site.clone()),
        (
            t(l, "Operator", "Opérateur").into(),
            c.issuer.operator.clone(),
        ),
        (
            t(l, "Station key", "Clé de la station").into(),
            c.chain.station_key_id.clone(),
        ),
        (
            t(l, "Sequence", "Numéro d'ordre").into(),
            c.chain.sequence.to_string(),
        ),
        (
            t(l, "Previous certificate", "Certificat précédent").into(),
            c.chain
                .previous_digest
                .clone()
                .unwrap_or_else(|| t(l, "none (first)", "aucun (premier)").into()),
        ),
        (t(l, "Digest", "Empreinte").into(), digest.into()),
        (
            t(l, "Tool", "Outil").into(),
            format!("{} / {}", c.tool.issuer, c.tool.sanitizer),
        ),
        (
            t(l, "Image digest", "Empreinte de l'image").into(),
            or_unknown(&c.tool.image_digest, l),
        ),
    ]);
    if !c.incidents.is_empty() {
        out.push(Section {
            title: t(l, "Incidents", "Incidents").into(),
            rows: c
                .incidents
                .iter()
                .map(|i| (t(l, "Incident", "Incident").into(), i.message.clone()))
                .collect(),
        });
    }
    let cpu = &c.machine.cpu;
    let mem = &c.machine.memory;
    let mut machine = vec![
        (t(l, "Maker", "Fabricant").into(), or_unknown(&id.vendor, l)),
        (t(l, "Model", "Modèle").into(), or_unknown(&id.product, l)),
        (
            t(l, "Serial number", "Numéro de série").into(),
            or_unknown(&id.serial, l),
        ),
        ("UUID".into(), or_unknown(&id.uuid, l)),
        (
            t(l, "Chassis", "Châssis").into(),
            or_unknown(&id.chassis_type, l),
        ),
        (
            "BIOS".into(),
            format!(
                "{} {} {}",
                or_unknown(&id.bios_vendor, l),
                or_unknown(&id.bios_version, l),
                or_unknown(&id.bios_date, l)
            ),
        ),
        (
            t(l, "CPU", "Processeur").into(),
            format!(
                "{} ({} {}, x86-64-v{})",
                or_unknown(&cpu.model, l),
                num_or_unknown(cpu.physical_cores, l),
                t(l, "cores", "cœurs"),
                num_or_unknown(cpu.x86_64_level, l)
            ),
        ),
        (t(l, "Memory", "Mémoire").into(), memory(mem, l)),
        ("TPM".into(), tpm(&c.machine.tpm, l)),
    ];
    for b in &c.machine.batteries {
        machine.push((
            format!("{} {}", t(l, "Battery", "Batterie"), b.name),
            b.health_permille
                .map_or_else(|| unknown(l).to_string(), messages::percent),
        ));
    }
    if c.machine.batteries.is_empty() {
        machine.push((
            t(l, "Battery", "Batterie").into(),
            t(l, "none", "aucune").into(),
        ));
    }
    for k in &c.machine.controllers {
        machine.push((
            format!("{} {}", t(l, "Controller", "Contrôleur"), k.address),
            controller(k, l),
        ));
    }
    for o in &c.machine.other_storage {
        let mut s = o.message.clone();
        // "QEMU DVD-ROM", not "QEMU QEMU DVD-ROM": many models start with their maker.
        let named = match (o.vendor.as_deref(), o.model.as_deref()) {
            (Some(v), Some(m)) if !m.starts_with(v) && !v.starts_with("0x") => {
                Some(format!("{v} {m}"))
            }
            (_, Some(m)) => Some(m.to_owned()),
            (Some(v), None) if !v.starts_with("0x") => Some(v.to_owned()),
            _ => None,
        };
        if let Some(named) = named {
            s = format!("{named} — {s}");
        }
        machine.push((o.name.clone(), s));
    }
    out.push(Section {
        title: t(l, "Machine", "Machine").into(),
        rows: machine,
    });
    if let Some(checks) = &c.checks {
        out.push(checks_section(checks, l));
    }
    for d in &c.sanitization {
        let health = c
            .machine
            .disks
            .iter()
            .find(|s| !s.id.is_empty() && s.id == d.device.disk_id)
            .map(|s| &s.health);
        out.push(disk_section(d, health, l));
    }
    let v = &c.verdict;
    let mut verdict = vec![
        (
            t(l, "Destination", "Destination").into(),
            messages::decision(c.destination, l).to_uppercase(),
        ),
        (
            t(l, "Grade", "Note").into(),
            messages::grade(v.grade, l).into(),
        ),
    ];
    for r in &v.reasons {
        verdict.push((t(l, "Reason", "Motif").into(), r.message.clone()));
    }
    for a in &v.actions {
        verdict.push((t(l, "Action", "Action").into(), a.message.clone()));
    }
    // A priced plan (additive): its total and the budget it was weighed against.
    if let (Some(cost), Some(budget)) = (v.repair_cost_cents, v.budget_cents) {
        verdict.push((
            t(l, "Repair cost", "Réparations").into(),
            messages::euros(cost, l),
        ));
        let basis = v
            .budget_basis
            .as_deref()
            .map(|b| format!(" ({b})"))
            .unwrap_or_default();
        verdict.push((
            t(l, "Budget", "Budget").into(),
            format!("{}{basis}", messages::euros(budget, l)),
        ));
    }
    out.push(Section {
        title: t(l, "Verdict", "Verdict").into(),
        rows: verdict,
    });
    out
}

/// "SATA (AHCI) 8086:2922, driver ahci, disks sata:S1" and, when it may hide disks, why and
/// the step that fixes it.
fn controller(k: &ControllerRecord, l: Language) -> String {
    let mut s = format!(
        "{} {}, {}",
        messages::controller_kind(k.kind, l),
        k.pci_id,
        match &k.driver {
            Some(d) => format!("{} {d}", t(l, "driver", "pilote")),
            None => t(l, "no driver", "aucun pilote").into(),
        }
    );
    if !k.disks.is_empty() {
        s.push_str(&format!(
            ", {} {}",
            t(l, "disks", "disques"),
            k.disks.join(", ")
        ));
    }
    if let Some(m) = &k.message {
        s.push_str(&format!(" — {m}"));
    }
    s
}

/// "4 GiB (2 slots, 1 free; DDR4 SODIMM)": what a refurbisher needs to plan an upgrade.
fn memory(m: &MemorySummary, l: Language) -> String {
    let mut s = match (m.installed_bytes, m.usable_bytes) {
        (Some(b), _) | (None, Some(b)) => messages::gib(b, l),
        (None, None) => unknown(l).into(),
    };
    let kind = m.modules.iter().find_map(|module| {
        let t = module.memory_type.as_deref()?;
        Some(match &module.form_factor {
            Some(f) => format!("{t} {f}"),
            None => t.to_owned(),
        })
    });
    let soldered = m.modules.iter().any(|module| module.soldered);
    let mut detail = Vec::new();
    if let Some(slots) = m.slots {
        let free = m.free_slots.map_or_else(String::new, |f| {
            format!(", {f} {}", t(l, "free", "libre(s)"))
        });
        detail.push(format!(
            "{slots} {}{free}",
            t(l, "slot(s)", "emplacement(s)")
        ));
    }
    if let Some(k) = kind {
        detail.push(k);
    }
    if soldered {
        detail.push(t(l, "soldered", "soudée").into());
    }
    if !detail.is_empty() {
        s.push_str(&format!(" ({})", detail.join("; ")));
    }
    s
}

fn tpm(t_: &TpmRecord, l: Language) -> String {
    match t_.present {
        Some(true) => {
            let mut s = format!("TPM {}", or_unknown(&t_.spec_version, l));
            if let Some(v) = &t_.vendor {
                s.push_str(&format!(" ({})", v.trim()));
            }
            s
        }
        Some(false) => t(l, "none", "aucun").into(),
        None => unknown(l).into(),
    }
}

/// The drive's own health as recorded: status, then the numbers that decided it.
fn health(h: &DiskHealthRecord, l: Language) -> String {
    // Schema 1 records no status: SMART's answer stands for it.
    let status = match (h.status, h.smart_passed) {
        (Some(s @ (HealthStatus::Passed | HealthStatus::Failing)), _) => s,
        (_, Some(true)) => HealthStatus::Passed,
        (_, Some(false)) => HealthStatus::Failing,
        (_, None) => HealthStatus::Unknown,
    };
    let mut s = messages::health_status(status, l).to_owned();
    if let Some(why) = &h.why {
        s.push_str(&format!(" ({why})"));
    }
    let mut facts = Vec::new();
    if let Some(source) = &h.source {
        facts.push(source.clone());
    }
    if let Some(p) = h.percentage_used {
        facts.push(format!("{p} % {}", t(l, "used", "d'usure")));
    }
    for (v, en, fr) in [
        (&h.reallocated_sectors, "reallocated", "réalloués"),
        (&h.pending_sectors, "pending", "en attente"),
        (&h.media_errors, "media errors", "erreurs de support"),
    ] {
        if let Some(v) = v {
            facts.push(format!("{v} {}", t(l, en, fr)));
        }
    }
    if let Some(hours) = &h.power_on_hours {
        facts.push(format!("{hours} h"));
    }
    if let Some(st) = &h.self_test {
        facts.push(format!(
            "{} {}: {}",
            t(l, "self-test", "autotest"),
            st.kind.as_str(),
            st.result
        ));
    }
    if !facts.is_empty() {
        s.push_str(&format!(" — {}", facts.join(", ")));
    }
    s
}

fn checks_section(c: &ChecksRecord, l: Language) -> Section {
    let mut rows = Vec::new();
    if let Some(k) = &c.keyboard {
        let state = if k.keys_not_pressed.is_empty() {
            format!(
                "{}/{} {}",
                k.keys_pressed,
                k.keys_total,
                t(l, "keys answered", "touches répondent")
            )
        } else {
            format!(
                "{}/{} {}; {}: {}{}",
                k.keys_pressed,
                k.keys_total,
                t(l, "keys answered", "touches répondent"),
                t(l, "never pressed", "jamais pressées"),
                k.keys_not_pressed.join(", "),
                if k.completed {
                    ""
                } else {
                    t(l, " (check stopped early)", " (test arrêté avant la fin)")
                }
            )
        };
        rows.push((
            format!("{} ({})", t(l, "Keyboard", "Clavier"), k.layout),
            state,
        ));
    }
    if let Some(s) = &c.screen {
        rows.push((
            t(l, "Screen", "Écran").into(),
            match (&s.defect_on, s.passed) {
                (_, true) => t(l, "no defect seen", "aucun défaut constaté").into(),
                (Some(c), false) => format!("{} ({c})", t(l, "defect seen", "défaut constaté")),
                (None, false) => t(l, "defect seen", "défaut constaté").into(),
            },
        ));
    }
    if let Some(k) = &c.cooling {
        let temp = |m: Option<u32>| m.map_or_else(|| unknown(l).to_string(), messages::celsius);
        rows.push((
            t(l, "Cooling", "Refroidissement").into(),
            format!(
                "{} s, {} {}: {} → {}, {} {}",
                k.duration_ms / 1000,
                k.threads,
                t(l, "threads", "fils"),
                temp(k.idle_millicelsius),
                temp(k.max_millicelsius),
                t(l, "throttling", "bridage"),
                num_or_unknown(k.throttle_events, l)
            ),
        ));
    }
    if let Some(m) = &c.memory {
        rows.push((
            t(l, "RAM test", "Test mémoire").into(),
            format!(
                "{} {}, {} {}{}",
                messages::gib(m.bytes_tested, l),
                t(l, "tested", "testés"),
                m.errors,
                t(l, "error(s)", "erreur(s)"),
                if m.completed {
                    ""
                } else {
                    t(l, " (stopped with the wipe)", " (arrêté avec l'effacement)")
                }
            ),
        ));
        for e in &m.first_errors {
            rows.push((
                t(l, "RAM error", "Erreur mémoire").into(),
                format!(
                    "{} {} ({}): {} → {}",
                    e.pattern,
                    e.physical_address.as_deref().unwrap_or(&e.virtual_address),
                    if e.physical_address.is_some() {
                        t(l, "physical", "physique")
                    } else {
                        t(l, "virtual", "virtuelle")
                    },
                    e.expected,
                    e.found
                ),
            ));
        }
    }
    if c.no_disk_stated {
        rows.push((
            t(l, "Operator's statement", "Déclaration de l'opérateur").into(),
            t(
                l,
                "this laptop has no disk (none was found)",
                "ce portable n'a pas de disque (aucun n'a été trouvé)",
            )
            .into(),
        ));
    }
    for n in &c.not_run {
        rows.push((messages::check_name(n.check, l).into(), n.message.clone()));
    }
    Section {
        title: t(l, "Hands-on checks", "Contrôles manuels").into(),
        rows,
    }
}

/// One disk's sanitization. The result, disposition, verification mode, firmware completion and
/// check rule are printed as the contract writes them, in both languages: the words an auditor
/// finds in the JSON and in the workshop server's CSV.
fn disk_section(d: &DiskSanitization, health_: Option<&DiskHealthRecord>, l: Language) -> Section {
    let dev = &d.device;
    let v = &d.verification;
    let hidden = |x: Option<u64>| {
        x.map_or_else(
            || t(l, "not checked", "non vérifié").to_string(),
            |s| s.to_string(),
        )
    };
    let mut rows = vec![
        (
            t(l, "Disk id", "Identifiant du disque").into(),
            if dev.disk_id.is_empty() {
                dev.dev_path.clone()
            } else {
                format!("{} ({})", dev.disk_id, dev.dev_path)
            },
        ),
        (
            t(l, "Maker / model", "Fabricant / modèle").into(),
            match &dev.vendor {
                Some(vendor) => format!("{vendor} {}", or_unknown(&dev.model, l)),
                None => or_unknown(&dev.model, l),
            },
        ),
        (
            t(l, "Serial number", "Numéro de série").into(),
            or_unknown(&dev.serial, l),
        ),
        (
            t(l, "Firmware", "Micrologiciel").into(),
            or_unknown(&dev.firmware, l),
        ),
        (
            t(l, "Capacity", "Capacité").into(),
            format!(
                "{} ({} {})",
                messages::gib(dev.capacity_bytes, l),
                dev.capacity_bytes,
                t(l, "bytes", "octets")
            ),
        ),
        (
            t(l, "Interface / media", "Interface / support").into(),
            format!("{} / {}", dev.interface, dev.media_type),
        ),
        (
            t(l, "Drive health", "Santé du disque").into(),
            health_.map_or_else(|| unknown(l).to_owned(), |h| health(h, l)),
        ),
        ("HPA / DCO".into(), hidden_areas(d, hidden, l)),
        (
            t(l, "Method", "Méthode").into(),
            format!(
                "{} — {} ({}, {} {}){}",
                messages::level(d.level).to_uppercase(),
                d.technique,
                d.method,
                d.passes.len(),
                t(l, "pass(es)", "passe(s)"),
                match &d.requested_level {
                    // No explanation recorded (certificates from before firmware erases
                    // existed, when Purge always ran Clear): what was asked and what was done,
                    // nothing more is known.
                    Some(r) if d.explanations.is_empty() => format!(
                        " — {} {}, {}",
                        messages::level(*r).to_uppercase(),
                        t(l, "requested", "demandé"),
                        t(
                            l,
                            "not performed: CLEAR performed",
                            "non effectué : CLEAR effectué"
                        )
                    ),
                    Some(r) => format!(
                        " — {} {}, {} {} {}",
                        messages::level(*r).to_uppercase(),
                        t(l, "requested", "demandé"),
                        messages::level(d.level).to_uppercase(),
                        t(l, "performed", "effectué"),
                        t(l, "(see Plan)", "(voir Plan)")
                    ),
                    None => String::new(),
                }
            ),
        ),
        (
            t(l, "Started / finished", "Début / fin").into(),
            format!("{} / {}", d.started_at, d.finished_at),
        ),
        (
            t(l, "Verification", "Vérification").into(),
            format!(
                "{} {}‰, {} {}, {} {}",
                v.mode.as_str(),
                v.coverage_permille,
                v.blocks_checked,
                t(l, "blocks checked", "blocs vérifiés"),
                v.mismatches,
                t(l, "mismatches", "écarts")
            ),
        ),
        (
            t(l, "Result", "Résultat").into(),
            format!(
                "{} — {}: {}",
                d.result.as_str(),
                t(l, "sanitized", "effacé"),
                yes_no(d.sanitized, l)
            ),
        ),
        (
            t(l, "Disposition", "Devenir du disque").into(),
            d.disposition.as_str().to_owned(),
        ),
    ];
    if let Some(e) = &d.exception {
        // Beside the method, where the level is said.
        let at = rows
            .iter()
            .position(|(k, _)| k == t(l, "Method", "Méthode"));
        let row = (t(l, "Exception", "Exception").into(), e.message.clone());
        match at {
            Some(i) => rows.insert(i + 1, row),
            None => rows.push(row),
        }
    }
    if let Some(val) = &d.validation {
        rows.push((
            "Validation".into(),
            format!(
                "{} — {} ({})",
                val.message,
                val.rule.as_str(),
                t(l, "NIST SP 800-88 Rev. 2", "NIST SP 800-88 rév. 2")
            ),
        ));
    }
    // The rows below go before the result and the disposition (and the validation, when there).
    let tail = 2 + usize::from(d.validation.is_some());
    if let (Some(alg), Some(seed)) = (&v.algorithm, &v.seed) {
        // Everything an auditor needs to list the sampled blocks again.
        rows.insert(
            rows.len() - tail,
            (
                t(l, "Sampling", "Échantillonnage").into(),
                format!(
                    "{alg}, {} {seed}, {} {}‰, {} × {} {}",
                    t(l, "seed", "graine"),
                    t(l, "requested", "demandé"),
                    v.requested_permille,
                    v.total_sectors,
                    v.sector_size,
                    t(l, "bytes", "octets")
                ),
            ),
        );
    }
    if let Some(f) = &d.firmware {
        rows.insert(
            rows.len() - tail,
            (
                t(l, "Firmware erase", "Effacement par le disque").into(),
                format!(
                    "{}: {}, {} {}, {} {}{}, {} ms{}",
                    f.command,
                    f.completion.as_str(),
                    t(l, "in progress seen", "en cours observé"),
                    yes_no(f.observed_in_progress, l),
                    t(l, "success reported", "succès annoncé"),
                    yes_no(f.reported_success, l),
                    match (&f.status_before, &f.status_after) {
                        (Some(b), Some(a)) => format!(
                            ", {} {b} → {a}",
                            t(l, "sanitize status", "état du sanitize")
                        ),
                        _ => String::new(),
                    },
                    f.duration_ms,
                    f.status
                        .as_ref()
                        .map(|s| format!(" — {s}"))
                        .unwrap_or_default()
                ),
            ),
        );
    }
    if let Some(c) = &v.firmware_check {
        let row = match (c.canaries, c.canary_rule) {
            (Some(canaries), Some(rule)) => (
                t(l, "Canary check", "Contrôle par témoins").into(),
                format!(
                    "{} ({}): {canaries} {}, {} {}, {} {}, {} {}, {} {} — {}",
                    messages::canary_rule(rule, l),
                    rule.as_str(),
                    t(l, "canaries", "témoins"),
                    c.blocks_checked,
                    t(l, "blocks", "blocs"),
                    c.unchanged_blocks,
                    t(l, "still their canary", "encore leur témoin"),
                    c.wrong_content_blocks.unwrap_or(0),
                    t(l, "other content", "autre contenu"),
                    c.unreadable_blocks,
                    t(l, "unreadable", "illisibles"),
                    c.digests
                ),
            ),
            // A certificate issued before canaries: its check as it was made.
            _ => (
                t(l, "Before/after check", "Contrôle avant/après").into(),
                format!(
                    "{} ({}): {} {}, {} {}, {} {} — {}",
                    messages::before_after_rule(c.rule, l),
                    c.rule.as_str(),
                    c.blocks_checked,
                    t(l, "blocks", "blocs"),
                    c.unchanged_blocks,
                    t(l, "unchanged", "inchangés"),
                    c.unreadable_blocks,
                    t(l, "unreadable", "illisibles"),
                    c.digests
                ),
            ),
        };
        rows.insert(rows.len() - tail, row);
    }
    for e in &d.explanations {
        rows.push((t(l, "Plan", "Plan").into(), e.message.clone()));
    }
    for e in &d.errors {
        let at = e.lba.map(|lba| format!(" (LBA {lba})")).unwrap_or_default();
        rows.push((
            t(l, "Error", "Erreur").into(),
            format!("{}{at}: {}", e.operation, e.message),
        ));
    }
    Section {
        title: format!("{} {}", t(l, "Disk", "Disque"), dev.dev_path),
        rows,
    }
}

/// HPA and DCO: with their states when the certificate records them ("HPA removed (2048 → 0)
/// / DCO none (0 → 0)"), else their counters as certificates issued before the states said them.
fn hidden_areas(
    d: &DiskSanitization,
    count: impl Fn(Option<u64>) -> String,
    l: Language,
) -> String {
    let h = &d.hidden_areas;
    if h.hpa.is_none() && h.dco.is_none() {
        return format!(
            "{} → {} / {} → {}",
            count(h.hpa_sectors_before),
            count(h.hpa_sectors_after),
            count(h.dco_sectors_before),
            count(h.dco_sectors_after)
        );
    }
    let (hpa, dco) = d.hidden_states();
    let counts = [
        (h.hpa_sectors_before, h.hpa_sectors_after),
        (h.dco_sectors_before, h.dco_sectors_after),
    ];
    if hpa == dco && counts.iter().all(|c| *c == (None, None)) {
        return messages::hidden_area_state(hpa, l).to_owned();
    }
    let area =
        |name: &str, state, (before, after): (Option<u64>, Option<u64>)| match (before, after) {
            (None, None) => format!("{name} {}", messages::hidden_area_state(state, l)),
            _ => format!(
                "{name} {} ({} → {})",
                messages::hidden_area_state(state, l),
                count(before),
                count(after)
            ),
        };
    format!(
        "{} / {}",
        area("HPA", hpa, counts[0]),
        area("DCO", dco, counts[1])
    )
}

fn title(l: Language) -> &'static str {
    t(
        l,
        "Certificate of data sanitization (NIST SP 800-88)",
        "Certificat d'effacement des données (NIST SP 800-88)",
    )
}

/// Plain text form; `digest` is the verified certificate digest. Every title, label and value
/// is escaped here, where the lines are made ([`text::escape`]): what the laptop told us (its
/// SMBIOS strings, its disks' models and serials) reaches a terminal or a log as visible
/// escapes, never as control sequences, and cannot break a line.
pub fn text(c: &Certificate, digest: &str) -> String {
    let mut out = format!("{}\n", title(c.language));
    for s in sections(c, digest) {
        let _ = writeln!(out, "\n{}", text::escape(&s.title));
        let rows: Vec<(String, String)> = s
            .rows
            .iter()
            .map(|(k, v)| (text::escape(k).into_owned(), text::escape(v).into_owned()))
            .collect();
        let width = rows
            .iter()
            .map(|(k, _)| k.chars().count())
            .max()
            .unwrap_or(0);
        for (k, v) in rows {
            let pad = width - k.chars().count();
            let _ = writeln!(out, "  {k}{}  {v}", " ".repeat(pad));
        }
    }
    out
}

/// Text for HTML content and attribute values (the certificate's page here, the workshop
/// server's pages too). Besides HTML's own characters, what [`crate::text::is_hostile`] names
/// is written as a visible `\u{…}`, as on a terminal: a donor's string holding a bidirectional
/// override must not reorder what an auditor reads on a page either. Line feeds and tabs stay
/// (they are layout in `<pre>`, and harmless elsewhere).
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\n' | '\t' => out.push(c),
            c if crate::text::is_hostile(c) => out.push_str(&format!("\\u{{{:x}}}", u32::from(c))),
            c => out.push(c),
        }
    }
    out
}

/// An SVG QR code of `data` (no XML declaration, ready to inline).
pub fn qr_svg(data: &str) -> String {
    match QrCode::new(data.as_bytes()) {
        Ok(code) => {
            let svg = code
                .render::<svg::Color>()
                .min_dimensions(150, 150)
                .quiet_zone(true)
                .build();
            match svg.find("<svg") {
                Some(i) => svg[i..].to_string(),
                None => svg,
            }
        }
        // A digest always fits; anything else gets no code rather than a broken page.
        Err(_) => String::new(),
    }
}

/// The content of a certificate as HTML: one `<h2>` and one two-column `<table>` (key cells of
/// class `k`) per section, every value escaped; no page, style, title or QR code around it, so
/// the collector can frame it in its own page. [`html`] is this inside one A4 page.
pub fn html_sections(c: &Certificate, digest: &str) -> String {
    let mut out = String::new();
    for s in sections(c, digest) {
        let _ = write!(out, "<h2>{}</h2>\n<table>\n", escape(&s.title));
        for (k, v) in s.rows {
            let _ = writeln!(
                out,
                "<tr><td class=\"k\">{}</td><td>{}</td></tr>",
                escape(&k),
                escape(&v)
            );
        }
        out.push_str("</table>\n");
    }
    out
}

/// What the QR code of a certificate holds: the address of its page on the workshop server
/// (`<server>/c/<64 hex of the digest>`, the collector's URL scheme) when the station knows its
/// server, else the digest itself (`sha256:<hex>`), which any copy of the certificate can be
/// checked against.
pub fn qr_target(digest: &str, server: Option<&str>) -> String {
    match server {
        Some(base) => format!(
            "{}/c/{}",
            base.trim_end_matches('/'),
            digest.strip_prefix("sha256:").unwrap_or(digest)
        ),
        None => digest.to_owned(),
    }
}

/// One printable A4 page of HTML, self-contained (inline CSS and SVG); the QR code holds the
/// digest.
pub fn html(c: &Certificate, digest: &str) -> String {
    html_for(c, digest, None)
}

/// [`html`], with the QR code pointing at the certificate's page on `server` when given.
pub fn html_for(c: &Certificate, digest: &str, server: Option<&str>) -> String {
    let l = c.language;
    let lang = match l {
        Language::En => "en",
        Language::Fr => "fr",
    };
    let mut out = String::new();
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"{lang}\">\n<head>\n<meta charset=\"utf-8\">\n<title>{} {}</title>\n<style>\n\
@page {{ size: A4; margin: 12mm; }}\n\
body {{ font-family: sans-serif; font-size: 8.5pt; margin: 0; color: #000; }}\n\
.page {{ width: 186mm; }}\n\
h1 {{ font-size: 13pt; margin: 0 0 2mm 0; }}\n\
h2 {{ font-size: 9.5pt; margin: 2.5mm 0 1mm 0; border-bottom: 0.3mm solid #444; }}\n\
table {{ border-collapse: collapse; width: 100%; }}\n\
td {{ padding: 0.3mm 1mm; vertical-align: top; word-break: break-all; }}\n\
td.k {{ width: 42mm; color: #333; word-break: normal; }}\n\
.head {{ display: flex; justify-content: space-between; align-items: flex-start; }}\n\
.qr svg {{ width: 32mm; height: 32mm; }}\n\
.dest {{ font-size: 12pt; font-weight: bold; }}\n\
</style>\n</head>\n<body>\n<div class=\"page\">\n",
        escape(title(l)),
        escape(&c.id)
    );
    let _ = writeln!(
        out,
        "<div class=\"head\"><div><h1>{}</h1><div class=\"dest\">{}: {}</div></div><div class=\"qr\">{}</div></div>",
        escape(title(l)),
        escape(t(l, "Destination", "Destination")),
        escape(&messages::decision(c.destination, l).to_uppercase()),
        qr_svg(&qr_target(digest, server))
    );
    out.push_str(&html_sections(c, digest));
    let qr = match server {
        Some(_) => t(
            l,
            "the QR code holds the address of its page on the workshop server, named by that digest",
            "le QR code contient l'adresse de sa page sur le serveur de l'atelier, nommée par cette empreinte",
        ),
        None => t(
            l,
            "the QR code holds that digest",
            "le QR code contient cette empreinte",
        ),
    };
    let _ = write!(
        out,
        "<p>{} {}.</p>\n</div>\n</body>\n</html>\n",
        escape(t(
            l,
            "Signed with Ed25519 over the RFC 8785 canonical form of the certificate, whose SHA-256 is its digest;",
            "Signé en Ed25519 sur la forme canonique RFC 8785 du certificat, dont le SHA-256 est l'empreinte ;"
        )),
        escape(qr)
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_qr_code_names_the_page_on_the_server_or_the_digest() {
        let d = "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
        assert_eq!(qr_target(d, None), d);
        assert_eq!(
            qr_target(d, Some("http://10.0.5.1:8080/")),
            "http://10.0.5.1:8080/c/9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
        );
    }

    #[test]
    fn html_text_shows_bidirectional_overrides_and_controls_instead_of_obeying_them() {
        // A serial that would read "1337" reversed, with an escape sequence and a bell.
        let hostile = "SN\u{202e}7331\u{202c} <b>\u{1b}[2J\u{7}";
        assert_eq!(
            escape(hostile),
            "SN\\u{202e}7331\\u{202c} &lt;b&gt;\\u{1b}[2J\\u{7}"
        );
        assert!(!escape(hostile).chars().any(crate::text::is_hostile));
        // Layout survives.
        assert_eq!(escape("a\n\tb"), "a\n\tb");
    }

    /// A small certificate with content that needs escaping (every Option left out is null).
    fn sample() -> Certificate {
        serde_json::from_value(serde_json::json!({
            "schema_version": 1, "id": "0123456789abcdef-00000001", "language": "en",
            "issued_at": "2026-11-26T10:00:00.000Z",
            "issuer": {"site": "Collège <Pasteur> & Co", "operator": "A."},
            "chain": {"station_key_id": "sha256:00", "sequence": 1},
            "tool": {"issuer": "reprise 0.1.0", "sanitizer": "reprise 0.1.0"},
            "machine": {
                "identity": {}, "cpu": {}, "memory": {}, "batteries": [], "disks": []
            },
            "sanitization": [],
            "verdict": {"decision": "refurbish", "grade": "A", "reasons": [], "actions": []},
            "destination": "refurbish"
        }))
        .unwrap()
    }

    #[test]
    fn html_sections_is_the_escaped_content_of_the_page_without_its_frame() {
        let c = sample();
        let sections = html_sections(&c, "sha256:ab");
        assert!(
            sections.starts_with("<h2>Certificate</h2>\n<table>\n"),
            "{sections}"
        );
        assert!(
            sections.contains("Collège &lt;Pasteur&gt; &amp; Co"),
            "{sections}"
        );
        assert!(!sections.contains("<html") && !sections.contains("<svg"));
        assert!(html(&c, "sha256:ab").contains(&sections));
    }
}
