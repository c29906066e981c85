//! Human forms of a verified certificate: plain text (`reprise cert show`) and one printable A4
//! HTML page (`reprise cert render --html`) with a QR code of the certificate digest, in the
//! certificate's language.

use std::fmt::Write as _;

use qrcode::QrCode;
use qrcode::render::svg;

use super::model::{Certificate, DiskSanitization, Language};
use crate::messages;

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
        ],
    }];
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
        (
            t(l, "Memory", "Mémoire").into(),
            match (mem.installed_bytes, mem.usable_bytes) {
                (Some(b), _) | (None, Some(b)) => messages::gib(b, l),
                (None, None) => unknown(l).into(),
            },
        ),
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
    out.push(Section {
        title: t(l, "Machine", "Machine").into(),
        rows: machine,
    });
    for d in &c.sanitization {
        out.push(disk_section(d, l));
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
    out.push(Section {
        title: t(l, "Verdict", "Verdict").into(),
        rows: verdict,
    });
    out
}

fn disk_section(d: &DiskSanitization, l: Language) -> Section {
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
            "HPA / DCO".into(),
            format!(
                "{} → {} / {} → {}",
                hidden(d.hidden_areas.hpa_sectors_before),
                hidden(d.hidden_areas.hpa_sectors_after),
                hidden(d.hidden_areas.dco_sectors_before),
                hidden(d.hidden_areas.dco_sectors_after)
            ),
        ),
        (
            t(l, "Method", "Méthode").into(),
            format!(
                "{} — {} ({}, {} {}){}",
                d.level.to_uppercase(),
                d.technique,
                d.method,
                d.passes.len(),
                t(l, "pass(es)", "passe(s)"),
                match &d.requested_level {
                    // Certificates from before firmware erases existed carry no explanation:
                    // Purge simply did not exist in that version.
                    Some(r) if d.explanations.is_empty() => format!(
                        " — {} {}, {}",
                        r.to_uppercase(),
                        t(l, "requested", "demandé"),
                        t(
                            l,
                            "not available in this version: CLEAR performed",
                            "non disponible dans cette version : CLEAR effectué"
                        )
                    ),
                    Some(r) => format!(
                        " — {} {}, {} {} {}",
                        r.to_uppercase(),
                        t(l, "requested", "demandé"),
                        d.level.to_uppercase(),
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
                v.mode,
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
                d.result,
                t(l, "sanitized", "effacé"),
                yes_no(d.sanitized, l)
            ),
        ),
        (
            t(l, "Disposition", "Devenir du disque").into(),
            d.disposition.clone(),
        ),
    ];
    if let (Some(alg), Some(seed)) = (&v.algorithm, &v.seed) {
        // Everything an auditor needs to list the sampled blocks again.
        rows.insert(
            rows.len() - 2,
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
            rows.len() - 2,
            (
                t(l, "Firmware erase", "Effacement par le disque").into(),
                format!(
                    "{}: {}, {} {}, {} {}, {} ms{}",
                    f.command,
                    f.completion,
                    t(l, "in progress seen", "en cours observé"),
                    yes_no(f.observed_in_progress, l),
                    t(l, "success reported", "succès annoncé"),
                    yes_no(f.reported_success, l),
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
        rows.insert(
            rows.len() - 2,
            (
                t(l, "Before/after check", "Contrôle avant/après").into(),
                format!(
                    "{}: {} {}, {} {}, {} {} — {}",
                    c.rule,
                    c.blocks_checked,
                    t(l, "blocks", "blocs"),
                    c.unchanged_blocks,
                    t(l, "unchanged", "inchangés"),
                    c.unreadable_blocks,
                    t(l, "unreadable", "illisibles"),
                    c.digests
                ),
            ),
        );
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

fn title(l: Language) -> &'static str {
    t(
        l,
        "Certificate of data sanitization (NIST SP 800-88)",
        "Certificat d'effacement des données (NIST SP 800-88)",
    )
}

/// Plain text form; `digest` is the verified certificate digest.
pub fn text(c: &Certificate, digest: &str) -> String {
    let mut out = format!("{}\n", title(c.language));
    for s in sections(c, digest) {
        let _ = writeln!(out, "\n{}", s.title);
        let width = s
            .rows
            .iter()
            .map(|(k, _)| k.chars().count())
            .max()
            .unwrap_or(0);
        for (k, v) in s.rows {
            let pad = width - k.chars().count();
            let _ = writeln!(out, "  {k}{}  {v}", " ".repeat(pad));
        }
    }
    out
}

fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
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

/// One printable A4 page of HTML, self-contained (inline CSS and SVG).
pub fn html(c: &Certificate, digest: &str) -> String {
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
        qr_svg(digest)
    );
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
    let _ = write!(
        out,
        "<p>{}</p>\n</div>\n</body>\n</html>\n",
        escape(t(
            l,
            "Signed with Ed25519 over the RFC 8785 canonical form of the certificate; the QR code holds its SHA-256 digest.",
            "Signé en Ed25519 sur la forme canonique RFC 8785 du certificat ; le QR code contient son empreinte SHA-256."
        ))
    );
    out
}
