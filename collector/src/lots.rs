//! A donor's inventory read for `lot import`: a CSV file with the columns `serial`,
//! `asset_tag`, `model` and `purchase_year` (in any order, names in any case) and any others,
//! which are kept. Everything is checked before anything is stored, and every error is
//! reported with its line, so an import either takes the whole file or nothing.
//!
//! The CSV is RFC 4180 as the `csv` crate reads it (quotes, quoted separators and line breaks);
//! a header without a comma but with semicolons is read with `;` (what a French spreadsheet
//! writes). The file is UTF-8 (a byte order mark is skipped) or, when it is not, Windows-1252:
//! what a French spreadsheet saves as "CSV (séparateur : point-virgule)" — the accents of a
//! school's name must not refuse a donor's whole inventory. The import says which it read.

use std::borrow::Cow;
use std::collections::HashMap;

use crate::store::NewLaptop;

/// The columns an inventory must have.
pub const COLUMNS: [&str; 4] = ["serial", "asset_tag", "model", "purchase_year"];

/// Most errors listed (the rest counted): a wrong file gives one per line.
const MAX_ERRORS: usize = 50;

/// One problem of the file, at a line (1 is the header).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineError {
    pub line: u64,
    pub message: String,
}

/// Why an inventory cannot be imported: every problem found, each with its line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}: nothing imported, {} error(s):{}{}", .errors.len() + .more, list(.errors), more_text(*.more))]
pub struct InventoryError {
    pub file: String,
    pub errors: Vec<LineError>,
    /// Errors past the first [`MAX_ERRORS`].
    pub more: usize,
}

fn list(errors: &[LineError]) -> String {
    errors
        .iter()
        .map(|e| format!("\n  line {}: {}", e.line, e.message))
        .collect()
}

fn more_text(more: usize) -> String {
    if more == 0 {
        String::new()
    } else {
        format!("\n  ... and {more} more")
    }
}

/// How the file's bytes were read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Utf8,
    Windows1252,
}

impl Encoding {
    pub fn name(self) -> &'static str {
        match self {
            Encoding::Utf8 => "UTF-8",
            Encoding::Windows1252 => "Windows-1252",
        }
    }
}

/// Windows-1252's 0x80–0x9F (where it differs from Latin-1); `None` where it has no character.
const CP1252_HIGH: [Option<char>; 32] = [
    Some('€'),
    None,
    Some('‚'),
    Some('ƒ'),
    Some('„'),
    Some('…'),
    Some('†'),
    Some('‡'),
    Some('ˆ'),
    Some('‰'),
    Some('Š'),
    Some('‹'),
    Some('Œ'),
    None,
    Some('Ž'),
    None,
    None,
    Some('‘'),
    Some('’'),
    Some('“'),
    Some('”'),
    Some('•'),
    Some('–'),
    Some('—'),
    Some('˜'),
    Some('™'),
    Some('š'),
    Some('›'),
    Some('œ'),
    None,
    Some('ž'),
    Some('Ÿ'),
];

/// The file's text (see the module doc): UTF-8 without its byte order mark, or Windows-1252.
/// UTF-16 (a spreadsheet's "Unicode text") and bytes Windows-1252 does not define are refused,
/// with the line of the first such byte.
pub fn decode(bytes: &[u8]) -> Result<(Cow<'_, str>, Encoding), LineError> {
    let line_of = |at: usize| 1 + bytes[..at].iter().filter(|&&b| b == b'\n').count() as u64;
    if bytes.starts_with(b"\xFF\xFE") || bytes.starts_with(b"\xFE\xFF") {
        return Err(LineError {
            line: 1,
            message: "the file is UTF-16: save it as CSV (UTF-8, or the spreadsheet's plain CSV)"
                .into(),
        });
    }
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if let Ok(text) = std::str::from_utf8(bytes) {
        return Ok((Cow::Borrowed(text), Encoding::Utf8));
    }
    let mut text = String::with_capacity(bytes.len() + bytes.len() / 8);
    for (at, &b) in bytes.iter().enumerate() {
        let c = match b {
            0x80..=0x9F => CP1252_HIGH[usize::from(b - 0x80)].ok_or_else(|| LineError {
                line: line_of(at),
                message: format!(
                    "byte 0x{b:02X} is neither UTF-8 nor Windows-1252: save the file as CSV UTF-8"
                ),
            })?,
            _ => char::from(b),
        };
        text.push(c);
    }
    Ok((Cow::Owned(text), Encoding::Windows1252))
}

/// A lot name: 1 to 64 of `[A-Za-z0-9._-]`, not starting with a dot (it is part of URLs).
pub fn check_lot_name(name: &str) -> Result<(), String> {
    let ok = (1..=64).contains(&name.len())
        && !name.starts_with('.')
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
    if ok {
        Ok(())
    } else {
        Err(format!(
            "lot name {name:?}: 1 to 64 letters, digits, '.', '_' or '-' (not starting with '.')"
        ))
    }
}

/// The default lot name from a file name: its stem, other characters made `-`.
pub fn lot_name_from_file(stem: &str) -> String {
    let name: String = stem
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '-'
            }
        })
        .take(64)
        .collect();
    let name = name.trim_start_matches('.').to_string();
    if name.is_empty() { "lot".into() } else { name }
}

/// Reads an inventory. `received_year` bounds the purchase years (a laptop is not bought after
/// it was given away). `file` names the file in errors.
pub fn parse(
    file: &str,
    bytes: &[u8],
    received_year: i64,
) -> Result<(Vec<NewLaptop>, Encoding), InventoryError> {
    let mut errors: Vec<LineError> = Vec::new();
    let fail = |errors: Vec<LineError>| {
        let more = errors.len().saturating_sub(MAX_ERRORS);
        InventoryError {
            file: file.to_string(),
            errors: errors.into_iter().take(MAX_ERRORS).collect(),
            more,
        }
    };
    let (text, encoding) = decode(bytes).map_err(|e| fail(vec![e]))?;
    let bytes = text.as_bytes();
    let first_line = bytes.split(|&b| b == b'\n').next().unwrap_or_default();
    let delimiter = if !first_line.contains(&b',') && first_line.contains(&b';') {
        b';'
    } else {
        b','
    };
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(bytes);
    let mut records = reader.byte_records();
    let header = match records.next() {
        None => {
            return Err(fail(vec![LineError {
                line: 1,
                message: format!("empty file: the header {} is missing", COLUMNS.join(",")),
            }]));
        }
        Some(Err(e)) => {
            return Err(fail(vec![LineError {
                line: 1,
                message: e.to_string(),
            }]));
        }
        Some(Ok(h)) => h,
    };
    let mut names: Vec<String> = Vec::new();
    // The text was decoded whole and the separators are ASCII: every field is UTF-8.
    for raw in header.iter() {
        names.push(String::from_utf8_lossy(raw).trim().to_lowercase());
    }
    let mut at: HashMap<&str, usize> = HashMap::new();
    for (i, n) in names.iter().enumerate() {
        if n.is_empty() {
            errors.push(LineError {
                line: 1,
                message: format!("column {} of the header has no name", i + 1),
            });
        } else if at.insert(n.as_str(), i).is_some() {
            errors.push(LineError {
                line: 1,
                message: format!("column {n:?} appears twice in the header"),
            });
        }
    }
    for c in COLUMNS {
        if !at.contains_key(c) {
            errors.push(LineError {
                line: 1,
                message: format!(
                    "the header has no column {c:?} (it must have {})",
                    COLUMNS.join(",")
                ),
            });
        }
    }
    if !errors.is_empty() {
        return Err(fail(errors));
    }
    let col = |name: &str| at.get(name).copied().unwrap_or(usize::MAX);
    let (serial_at, tag_at, model_at, year_at) = (
        col("serial"),
        col("asset_tag"),
        col("model"),
        col("purchase_year"),
    );
    let mut laptops = Vec::new();
    let mut serials: HashMap<String, u64> = HashMap::new();
    let mut tags: HashMap<String, u64> = HashMap::new();
    for record in records {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map_or(0, csv::Position::line);
                errors.push(LineError {
                    line,
                    message: e.to_string(),
                });
                // A broken quote leaves nothing sensible after it.
                break;
            }
        };
        let line = record.position().map_or(0, csv::Position::line);
        let mut err = |message: String| errors.push(LineError { line, message });
        if record.len() != names.len() {
            err(format!(
                "{} fields, the header has {}",
                record.len(),
                names.len()
            ));
            continue;
        }
        let mut fields = Vec::with_capacity(record.len());
        let mut bad = false;
        for (i, raw) in record.iter().enumerate() {
            let s = String::from_utf8_lossy(raw);
            if s.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
                err(format!("column {:?} holds a control character", names[i]));
                bad = true;
            } else {
                fields.push(s.trim().to_string());
            }
        }
        if bad {
            continue;
        }
        let serial = crate::life::serial_key(&fields[serial_at]);
        if serial.is_empty() {
            err("no serial".into());
            continue;
        }
        if serial.len() > 64 || !serial.bytes().all(|b| (b' '..=b'~').contains(&b)) {
            err(format!(
                "serial {serial:?}: SMBIOS serials are printable ASCII, 64 characters at most"
            ));
            continue;
        }
        if let Some(first) = serials.insert(serial.clone(), line) {
            err(format!("serial {serial} is already on line {first}"));
            continue;
        }
        let optional = |i: usize| Some(fields[i].clone()).filter(|s| !s.is_empty());
        let asset_tag = optional(tag_at);
        if let Some(tag) = &asset_tag
            && let Some(first) = tags.insert(tag.clone(), line)
        {
            err(format!("asset tag {tag:?} is already on line {first}"));
            continue;
        }
        let purchase_year = match optional(year_at) {
            None => None,
            Some(y) => match y.parse::<i64>() {
                Ok(year) if y.len() == 4 && (1970..=received_year).contains(&year) => Some(year),
                _ => {
                    err(format!(
                        "purchase_year {y:?} is not a year from 1970 to {received_year} (the \
                         reception)"
                    ));
                    continue;
                }
            },
        };
        let extra: serde_json::Map<String, serde_json::Value> = names
            .iter()
            .enumerate()
            .filter(|(i, _)| ![serial_at, tag_at, model_at, year_at].contains(i))
            .map(|(i, n)| (n.clone(), serde_json::Value::String(fields[i].clone())))
            .collect();
        laptops.push(NewLaptop {
            line,
            serial,
            asset_tag,
            model: optional(model_at),
            purchase_year,
            extra: serde_json::Value::Object(extra).to_string(),
        });
    }
    if laptops.is_empty() && errors.is_empty() {
        errors.push(LineError {
            line: 2,
            message: "no laptop: the file has a header only".into(),
        });
    }
    if errors.is_empty() {
        Ok((laptops, encoding))
    } else {
        Err(fail(errors))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_in_any_order_extra_ones_kept_quotes_and_semicolons() {
        let text = "Model,SERIAL,asset_tag,purchase_year,Service\n\
                    \"ThinkPad T480, 14\"\"\",pf1abc ,INV-1,2018,\"Compta\nRDC\"\n\
                    Latitude 5490,PF2,,,\n";
        let (l, encoding) = parse("inv.csv", text.as_bytes(), 2026).unwrap();
        assert_eq!(encoding, Encoding::Utf8);
        assert_eq!(l.len(), 2);
        assert_eq!(l[0].serial, "PF1ABC");
        assert_eq!(l[0].model.as_deref(), Some("ThinkPad T480, 14\""));
        assert_eq!(l[0].purchase_year, Some(2018));
        assert_eq!(l[0].extra, r#"{"service":"Compta\nRDC"}"#);
        assert_eq!(
            (l[0].line, l[1].line),
            (2, 4),
            "a quoted line break is one record"
        );
        assert_eq!(l[1].asset_tag, None);
        let semi = "\u{feff}serial;asset_tag;model;purchase_year\nA1;T1;X;2015\n";
        assert_eq!(parse("f", semi.as_bytes(), 2026).unwrap().0[0].serial, "A1");
    }

    #[test]
    fn a_spreadsheets_windows_1252_file_is_read_and_said() {
        // What a French spreadsheet saves as "CSV (séparateur : point-virgule)": Windows-1252,
        // semicolons, CRLF. "Collège Jean-Moulin – 2ᵉ étage" is é=E9, è=E8, en dash=96.
        let mut bytes = b"serial;asset_tag;model;purchase_year;\xC9tablissement\r\n".to_vec();
        bytes.extend_from_slice(b"PF1;INV-1;HP 250 G7;2019;Coll\xE8ge Jean-Moulin \x96 \x80\r\n");
        let (l, encoding) = parse("inv.csv", &bytes, 2026).unwrap();
        assert_eq!(encoding, Encoding::Windows1252);
        assert_eq!(l[0].serial, "PF1");
        assert_eq!(l[0].extra, r#"{"établissement":"Collège Jean-Moulin – €"}"#);
        // Valid UTF-8 is never re-read as Windows-1252.
        let utf8 = "serial,asset_tag,model,purchase_year,site\nPF1,,,,Collège\n";
        let (l, encoding) = parse("inv.csv", utf8.as_bytes(), 2026).unwrap();
        assert_eq!(
            (encoding, l[0].extra.as_str()),
            (Encoding::Utf8, r#"{"site":"Collège"}"#)
        );
    }

    #[test]
    fn utf16_and_bytes_no_encoding_defines_are_refused_with_their_line() {
        let utf16: Vec<u8> = [0xFF, 0xFE]
            .into_iter()
            .chain("serial".encode_utf16().flat_map(u16::to_le_bytes))
            .collect();
        let e = parse("inv.csv", &utf16, 2026).unwrap_err();
        assert!(e.to_string().contains("UTF-16"), "{e}");
        let bytes = b"serial,asset_tag,model,purchase_year\nA1,T1,\xE9,2015\nB1,T2,\x81,2015\n";
        let e = parse("inv.csv", bytes, 2026).unwrap_err();
        assert_eq!(e.errors.len(), 1, "{e}");
        assert_eq!(e.errors[0].line, 3, "{e}");
        assert!(e.errors[0].message.contains("0x81"), "{e}");
    }

    #[test]
    fn every_error_is_reported_with_its_line() {
        let text = "serial,asset_tag,model,purchase_year\n\
                    A1,T1,X,2015\n\
                    ,T2,X,2015\n\
                    a1,T3,X,2015\n\
                    B1,T1,X,2015\n\
                    C1,T4,X,15\n\
                    D1,T5,X,2031\n\
                    E1,T6,X\n";
        let e = parse("inv.csv", text.as_bytes(), 2026).unwrap_err();
        let lines: Vec<u64> = e.errors.iter().map(|e| e.line).collect();
        assert_eq!(lines, vec![3, 4, 5, 6, 7, 8], "{e}");
        let text = e.to_string();
        assert!(
            text.contains("line 4: serial A1 is already on line 2"),
            "{text}"
        );
        assert!(text.contains("nothing imported, 6 error(s)"), "{text}");
    }

    #[test]
    fn a_header_without_the_columns_or_a_file_without_laptops_is_refused() {
        let e = parse("f", b"serial,model\nA,B\n", 2026).unwrap_err();
        assert!(e.to_string().contains("no column \"asset_tag\""), "{e}");
        assert!(parse("f", b"", 2026).is_err());
        assert!(parse("f", b"serial,asset_tag,model,purchase_year\n", 2026).is_err());
        assert!(
            parse(
                "f",
                b"serial,asset_tag,model,purchase_year\n\"A,1,2,3\n",
                2026
            )
            .is_err()
        );
        let e = parse(
            "f",
            b"serial,asset_tag,model,purchase_year\nA\xff,1,2,2000\n",
            2026,
        )
        .unwrap_err();
        assert_eq!(e.errors[0].line, 2);
    }

    #[test]
    fn lot_names_are_url_safe() {
        assert!(check_lot_name("don-2026_11.a").is_ok());
        for bad in ["", ".x", "a/b", "a b", &"x".repeat(65)] {
            assert!(check_lot_name(bad).is_err(), "{bad}");
        }
        assert_eq!(
            lot_name_from_file("Inventaire été 2026"),
            "Inventaire--t--2026"
        );
        assert_eq!(lot_name_from_file("..."), "lot");
    }
}
