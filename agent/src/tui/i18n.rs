//! The screen's words in French and English, and the figures it shows (sizes, rates, times,
//! temperatures) written the way each language writes them — integers only.

use crate::model::Language;
use crate::verdict::messages;

/// `en` or `fr` by the screen's language.
pub fn t(lang: Language, en: &'static str, fr: &'static str) -> &'static str {
    match lang {
        Language::En => en,
        Language::Fr => fr,
    }
}

/// A decimal separator in the language's way: "1.5" / "1,5".
fn decimal(lang: Language, int: u64, tenth: u64) -> String {
    match lang {
        Language::En => format!("{int}.{tenth}"),
        Language::Fr => format!("{int},{tenth}"),
    }
}

/// A size as printed on a drive's label (powers of 1000): "512.1 GB" / "512,1 Go".
pub fn size(lang: Language, bytes: u64) -> String {
    let (unit_en, unit_fr, div) = if bytes >= 1_000_000_000_000 {
        ("TB", "To", 1_000_000_000_000u64)
    } else if bytes >= 1_000_000_000 {
        ("GB", "Go", 1_000_000_000)
    } else if bytes >= 1_000_000 {
        ("MB", "Mo", 1_000_000)
    } else if bytes >= 1000 {
        ("kB", "ko", 1000)
    } else {
        return format!("{bytes} {}", t(lang, "B", "o"));
    };
    let tenths = (u128::from(bytes) * 10 + u128::from(div) / 2) / u128::from(div);
    let tenths = u64::try_from(tenths).unwrap_or(u64::MAX);
    format!(
        "{} {}",
        decimal(lang, tenths / 10, tenths % 10),
        t(lang, unit_en, unit_fr)
    )
}

/// Memory in binary units, as the kernel counts it: "7.6 GiB" / "7,6 Gio".
pub fn gib(lang: Language, bytes: u64) -> String {
    crate::verdict::messages::gib(bytes, lang)
}

/// A rate: "412 MB/s" / "412 Mo/s".
pub fn rate(lang: Language, bytes_per_second: u64) -> String {
    format!(
        "{} {}",
        bytes_per_second / 1_000_000,
        t(lang, "MB/s", "Mo/s")
    )
}

/// A duration as h:mm:ss or m:ss.
pub fn clock(ms: u64) -> String {
    let s = ms / 1000;
    if s >= 3600 {
        format!("{}:{:02}:{:02}", s / 3600, (s / 60) % 60, s % 60)
    } else {
        format!("{}:{:02}", s / 60, s % 60)
    }
}

/// Millidegrees as "47 °C".
pub fn celsius(millicelsius: u32) -> String {
    crate::verdict::messages::celsius(millicelsius)
}

/// kHz as "1.9 GHz" / "1,9 GHz".
pub fn ghz(lang: Language, khz: u64) -> String {
    let tenths = (khz + 50_000) / 100_000;
    format!("{} GHz", decimal(lang, tenths / 10, tenths % 10))
}

/// Microwatts as "6.1 W" / "6,1 W", signed.
pub fn watts(lang: Language, microwatts: i64) -> String {
    let tenths = (microwatts.unsigned_abs() + 50_000) / 100_000;
    let sign = if microwatts < 0 { "-" } else { "+" };
    format!("{sign}{} W", decimal(lang, tenths / 10, tenths % 10))
}

/// Per mille as a whole percentage: "62 %".
pub fn percent(permille: u32) -> String {
    crate::verdict::messages::percent(permille)
}

/// What the plan does to a disk, short: "Purge: nvme-format-crypto", "Clear: zero".
pub fn technique(target: &crate::wipe::ValidatedDevice) -> String {
    match target.strategy() {
        Some(s) if s.technique.is_firmware() => {
            format!("{}: {}", messages::level(s.level), s.technique.name())
        }
        Some(s) => format!("{}: {}", messages::level(s.level), target.method()),
        None => format!("Clear: {}", target.method()),
    }
}

/// Why the plan chose what it chose for a disk, in `lang`: the chosen technique's fact, or, when
/// the disk gets less than was asked, the most specific reason it cannot have more.
pub fn technique_reason(lang: Language, target: &crate::wipe::ValidatedDevice) -> Option<String> {
    let s = target.strategy()?;
    let fact = if s.level == s.requested {
        s.explanations.iter().find(|e| e.is_chosen())
    } else {
        let mut why = s.explanations.iter().filter(|e| e.is_limitation());
        let generic = |e: &&reprise_cert::plan::Explanation| {
            matches!(e, reprise_cert::plan::Explanation::PurgeUnavailable)
        };
        why.clone().find(|e| !generic(e)).or_else(|| why.next())
    }?;
    Some(reprise_cert::plan::explanation(fact, lang))
}

#[cfg(test)]
mod tests {
    use super::*;
    use Language::{En, Fr};

    #[test]
    fn figures_read_as_each_language_writes_them() {
        assert_eq!(size(En, 512_110_190_592), "512.1 GB");
        assert_eq!(size(Fr, 512_110_190_592), "512,1 Go");
        assert_eq!(size(En, 167_772_160), "167.8 MB");
        assert_eq!(size(En, 999), "999 B");
        assert_eq!(size(En, 2_000_398_934_016), "2.0 TB");
        assert_eq!(rate(Fr, 412_345_678), "412 Mo/s");
        assert_eq!(clock(3_725_000), "1:02:05");
        assert_eq!(clock(65_000), "1:05");
        assert_eq!(ghz(En, 1_900_000), "1.9 GHz");
        assert_eq!(watts(Fr, -6_120_000), "-6,1 W");
        assert_eq!(celsius(47_400), "47 °C");
    }
}
