//! Money in whole fen (分), never floating point: parsed from what people
//! type in yuan, shown as people write it, added and multiplied with checks.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::rules::RuleError;

/// An amount in fen (1 yuan = 100 fen). Serialized as the plain number of fen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Fen(pub u64);

impl Fen {
    /// Nothing.
    pub const ZERO: Fen = Fen(0);

    /// Whole yuan.
    pub const fn yuan(yuan: u64) -> Fen {
        Fen(yuan * 100)
    }

    /// The sum, or `None` past what a u64 holds.
    pub fn checked_add(self, other: Fen) -> Option<Fen> {
        self.0.checked_add(other.0).map(Fen)
    }

    /// The difference, or `None` below zero.
    pub fn checked_sub(self, other: Fen) -> Option<Fen> {
        self.0.checked_sub(other.0).map(Fen)
    }

    /// `times` of it, or `None` past what a u64 holds.
    pub fn checked_mul(self, times: u64) -> Option<Fen> {
        self.0.checked_mul(times).map(Fen)
    }

    /// Reads an amount typed in yuan: `80`, `80.5`, `80.50`, `¥1,000`.
    pub fn parse_yuan(text: &str) -> Result<Fen, RuleError> {
        let bad = || RuleError::NotAmount(text.to_string());
        let clean: String = text.trim().trim_start_matches(['¥', '￥']).chars().filter(|c| *c != ',').collect();
        let (whole, cents) = clean.split_once('.').unwrap_or((clean.as_str(), ""));
        if whole.is_empty() || cents.len() > 2 || !whole.chars().chain(cents.chars()).all(|c| c.is_ascii_digit()) {
            return Err(bad());
        }
        let whole: u64 = whole.parse().map_err(|_| bad())?;
        let cents: u64 = format!("{cents:0<2}").parse().map_err(|_| bad())?;
        whole.checked_mul(100).and_then(|f| f.checked_add(cents)).map(Fen).ok_or_else(bad)
    }
}

const DIGITS: [&str; 10] = ["零", "壹", "贰", "叁", "肆", "伍", "陆", "柒", "捌", "玖"];

impl Fen {
    /// The amount in capital Chinese numerals as receipts and notices write
    /// it (大写): `壹万贰仟叁佰肆拾伍元陆角柒分`, `壹拾万零壹元整`, `零元整`.
    pub fn in_words(self) -> String {
        let (yuan, jiao, fen) = (self.0 / 100, (self.0 / 10 % 10) as usize, (self.0 % 10) as usize);
        let mut out = String::new();
        if yuan > 0 {
            out += &whole_words(yuan);
            out += "元";
        }
        match (jiao, fen) {
            (0, 0) if yuan == 0 => return "零元整".into(),
            (0, 0) => out += "整",
            (j, 0) => {
                out += DIGITS[j];
                out += "角整";
            }
            (j, f) => {
                if j > 0 {
                    out += DIGITS[j];
                    out += "角";
                } else if yuan > 0 {
                    out += "零";
                }
                out += DIGITS[f];
                out += "分";
            }
        }
        out
    }
}

/// A whole number in capital numerals, in groups of four (万, 亿, 万亿).
fn whole_words(n: u64) -> String {
    const GROUPS: [&str; 5] = ["", "万", "亿", "万亿", "亿亿"];
    let mut groups = Vec::new();
    let mut rest = n;
    while rest > 0 {
        groups.push(rest % 10_000);
        rest /= 10_000;
    }
    let mut out = String::new();
    let mut gap = false;
    for (i, g) in groups.iter().enumerate().rev() {
        if *g == 0 {
            gap = !out.is_empty();
            continue;
        }
        if !out.is_empty() && (gap || *g < 1_000) {
            out += "零";
        }
        out += &group_words(*g);
        out += GROUPS[i];
        gap = false;
    }
    out
}

/// 1 to 9,999 in capital numerals, zeros inside said once.
fn group_words(g: u64) -> String {
    let mut out = String::new();
    let (mut started, mut zero) = (false, false);
    for (digit, unit) in [(g / 1_000, "仟"), (g / 100 % 10, "佰"), (g / 10 % 10, "拾"), (g % 10, "")] {
        if digit == 0 {
            zero = started;
            continue;
        }
        if zero {
            out += "零";
            zero = false;
        }
        out += DIGITS[digit as usize];
        out += unit;
        started = true;
    }
    out
}

impl fmt::Display for Fen {
    /// `¥1,000,000`, or `¥80.50` when there are fen.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let whole = (self.0 / 100).to_string();
        let mut grouped = String::with_capacity(whole.len() + whole.len() / 3);
        for (i, c) in whole.chars().enumerate() {
            if i > 0 && (whole.len() - i).is_multiple_of(3) {
                grouped.push(',');
            }
            grouped.push(c);
        }
        match self.0 % 100 {
            0 => write!(f, "¥{grouped}"),
            cents => write!(f, "¥{grouped}.{cents:02}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_written_in_capital_numerals_as_receipts_write_them() {
        for (fen, words) in [
            (0, "零元整"),
            (100_000, "壹仟元整"),
            (1_234_567, "壹万贰仟叁佰肆拾伍元陆角柒分"),
            (10_000_100, "壹拾万零壹元整"),
            (2_430, "贰拾肆元叁角整"),
            (1_005, "壹拾元零伍分"),
            (5, "伍分"),
            (1_000_000_000, "壹仟万元整"),
            (100_050_000, "壹佰万零伍佰元整"),
            (10_100_000, "壹拾万壹仟元整"),
            (20_000_000_000, "贰亿元整"),
        ] {
            assert_eq!(Fen(fen).in_words(), words, "{fen}");
        }
    }

    #[test]
    fn amounts_typed_in_yuan_are_read_to_the_fen_and_shown_as_people_write_them() {
        for (typed, fen) in [("80", 8_000), ("80.5", 8_050), ("80.50", 8_050), ("¥1,000", 100_000), ("0.01", 1)] {
            assert_eq!(Fen::parse_yuan(typed).unwrap(), Fen(fen), "{typed}");
        }
        for bad in ["", "八十", "-5", "1.234", "1e3", ".5", "99999999999999999999"] {
            assert!(Fen::parse_yuan(bad).is_err(), "{bad}");
        }
        assert_eq!(Fen(100_000_000).to_string(), "¥1,000,000");
        assert_eq!(Fen(8_050).to_string(), "¥80.50");
        assert_eq!(Fen(5).to_string(), "¥0.05");
        assert_eq!(Fen(u64::MAX).checked_add(Fen(1)), None);
        assert_eq!(Fen(1).checked_sub(Fen(2)), None);
        assert_eq!(Fen::yuan(3).checked_mul(2), Some(Fen(600)));
        assert_eq!(serde_json::to_string(&Fen(8_050)).unwrap(), "8050");
    }
}
