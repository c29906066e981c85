//! What a disk is written with and how it is checked: the overwrite [`Method`]s and their passes
//! ([`PassPattern`]), and the verification asked for ([`VerifySpec`]). Pure words of the plan,
//! shared by the planner (`plan`) and the per-disk strategy (`strategy`).

use std::fmt;
use std::str::FromStr;

/// A method or verification the command line or a setting names that cannot be understood.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MethodError {
    #[error(
        "unknown wipe method {0:?} (zero, one, random, pattern:HEX, pattern-complement:HEX, dod-3pass)"
    )]
    UnknownMethod(String),
    #[error("bad byte pattern {0:?}: give 1 to 4096 bytes as hex digits, e.g. pattern:a5")]
    BadPattern(String),
    #[error("unknown verification mode {0:?} (none, sample, sample:PCT, full)")]
    UnknownVerify(String),
    #[error("bad sample coverage {0:?}: give a percentage between 0.1 and 100")]
    BadCoverage(String),
}

/// What one pass writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PassPattern {
    /// 0x00 everywhere.
    Zero,
    /// 0xff everywhere.
    One,
    /// A byte pattern repeated from offset 0 of the device (byte at offset `o` is `p[o % len]`).
    Fixed(Vec<u8>),
    /// AES-128-CTR keystream under a per-wipe random key; pass number selects the nonce.
    Random,
}

impl PassPattern {
    /// Name recorded in the report: "zero", "one", "random", "pattern:a5".
    pub fn name(&self) -> String {
        match self {
            PassPattern::Zero => "zero".into(),
            PassPattern::One => "one".into(),
            PassPattern::Fixed(p) => format!("pattern:{}", hex::encode(p)),
            PassPattern::Random => "random".into(),
        }
    }
}

/// The overwrite method chosen on the command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Method {
    Zero,
    One,
    Random,
    Pattern(Vec<u8>),
    /// Pattern, then its bitwise complement: the usual Clear for flash media (USB, SD, eMMC).
    PatternComplement(Vec<u8>),
    /// DoD 5220.22-M three passes: zeros, ones, random; the last pass is verified.
    Dod3Pass,
}

impl Method {
    /// The passes of one round of this method, in order.
    pub fn passes(&self) -> Vec<PassPattern> {
        match self {
            Method::Zero => vec![PassPattern::Zero],
            Method::One => vec![PassPattern::One],
            Method::Random => vec![PassPattern::Random],
            Method::Pattern(p) => vec![PassPattern::Fixed(p.clone())],
            Method::PatternComplement(p) => vec![
                PassPattern::Fixed(p.clone()),
                PassPattern::Fixed(p.iter().map(|b| !b).collect()),
            ],
            Method::Dod3Pass => vec![PassPattern::Zero, PassPattern::One, PassPattern::Random],
        }
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Method::Zero => f.write_str("zero"),
            Method::One => f.write_str("one"),
            Method::Random => f.write_str("random"),
            Method::Pattern(p) => write!(f, "pattern:{}", hex::encode(p)),
            Method::PatternComplement(p) => write!(f, "pattern-complement:{}", hex::encode(p)),
            Method::Dod3Pass => f.write_str("dod-3pass"),
        }
    }
}

/// Longest accepted fixed pattern, in bytes (keeps the pattern buffer logic simple and cheap).
pub const MAX_PATTERN_LEN: usize = 4096;

impl FromStr for Method {
    type Err = MethodError;

    fn from_str(s: &str) -> Result<Self, MethodError> {
        let pattern = |hex_str: &str| -> Result<Vec<u8>, MethodError> {
            let bytes =
                hex::decode(hex_str).map_err(|_| MethodError::BadPattern(hex_str.into()))?;
            if bytes.is_empty() || bytes.len() > MAX_PATTERN_LEN {
                return Err(MethodError::BadPattern(hex_str.into()));
            }
            Ok(bytes)
        };
        match s {
            "zero" => Ok(Method::Zero),
            "one" => Ok(Method::One),
            "random" => Ok(Method::Random),
            "dod-3pass" => Ok(Method::Dod3Pass),
            _ => {
                if let Some(h) = s.strip_prefix("pattern:") {
                    Ok(Method::Pattern(pattern(h)?))
                } else if let Some(h) = s.strip_prefix("pattern-complement:") {
                    Ok(Method::PatternComplement(pattern(h)?))
                } else {
                    Err(MethodError::UnknownMethod(s.into()))
                }
            }
        }
    }
}

/// Default share of the media read back in sample mode: 10 %.
pub const DEFAULT_SAMPLE_PERMILLE: u32 = 100;

/// How the last pass is read back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VerifySpec {
    None,
    /// NIST SP 800-88 §4.7 sampling of `permille` of the media (1..=1000).
    Sample {
        permille: u32,
    },
    Full,
}

impl FromStr for VerifySpec {
    type Err = MethodError;

    /// "none", "full", "sample" (10 %), "sample:PCT" with PCT a percentage such as "5" or "2.5".
    fn from_str(s: &str) -> Result<Self, MethodError> {
        match s {
            "none" => Ok(VerifySpec::None),
            "full" => Ok(VerifySpec::Full),
            "sample" => Ok(VerifySpec::Sample {
                permille: DEFAULT_SAMPLE_PERMILLE,
            }),
            _ => {
                let pct = s
                    .strip_prefix("sample:")
                    .ok_or_else(|| MethodError::UnknownVerify(s.into()))?;
                let permille = parse_percent_permille(pct)
                    .ok_or_else(|| MethodError::BadCoverage(pct.into()))?;
                Ok(VerifySpec::Sample { permille })
            }
        }
    }
}

/// "10" → 100, "2.5" → 25, "0.1" → 1; rejects 0, >100 and finer than 0.1 %.
fn parse_percent_permille(s: &str) -> Option<u32> {
    let s = s.strip_suffix('%').unwrap_or(s);
    let (int, frac) = s.split_once('.').unwrap_or((s, ""));
    if int.is_empty() && frac.is_empty() {
        return None;
    }
    if !int.chars().all(|c| c.is_ascii_digit()) || !frac.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let frac = frac.trim_end_matches('0');
    if frac.len() > 1 || int.len() > 3 {
        return None;
    }
    let int: u32 = if int.is_empty() { 0 } else { int.parse().ok()? };
    let tenth: u32 = if frac.is_empty() {
        0
    } else {
        frac.parse().ok()?
    };
    let permille = int * 10 + tenth;
    (1..=1000).contains(&permille).then_some(permille)
}
