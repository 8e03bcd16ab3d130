//! Fees, payments and arrears (收费、收款、催缴): the records and the pure
//! arithmetic of the ledger. Money is whole fen ([`Fen`]) everywhere; unit
//! prices are ten-thousandths of a yuan ([`Price`], so ¥0.588 a kWh is
//! exact); rates are parts per million a day ([`Rate`]). Every amount that
//! involves a fraction (a part month, a late fee) is computed exactly as a
//! ratio and rounded once, half up, to the fen ([`ledger`]).
//!
//! - [`fee_item`]: 收费项目, with price versions that apply from a date;
//! - [`meter`]: 抄表 readings;
//! - [`bill`]: 账单, whose id comes from (site, house, item, period), with reductions;
//! - [`payment`]: 收款 with its receipt number, refunds (红冲) and voids (作废);
//! - [`chase`]: 催缴 reminders;
//! - [`day_close`]: 日结, a cashier's closed payments;
//! - [`ledger`]: bills, late fees, allocation and balances, computed the
//!   same at the site and at head office.

use std::fmt;

use chrono::{Datelike, Months, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::rules::RuleError;

pub mod bill;
pub mod chase;
pub mod day_close;
pub mod fee_item;
pub mod ledger;
pub mod meter;
pub mod payment;

pub use crate::money::Fen;

labelled_enum!(
    /// What a fee is for.
    FeeKind, RuleError, |value| RuleError::Unknown {
        what: "fee kind (物业费, 垃圾清运费, 车位费, 水费, 电费, 押金, 维修基金代收, 其他)",
        value,
    }, {
        Property => ("property", "物业费"),
        Rubbish => ("rubbish", "垃圾清运费"),
        Parking => ("parking", "车位费"),
        Water => ("water", "水费"),
        Electricity => ("electricity", "电费"),
        Deposit => ("deposit", "押金"),
        RepairFund => ("repair_fund", "维修基金代收"),
        Other => ("other", "其他"),
    }
);

impl FeeKind {
    /// Whether the office collects it on someone else's behalf (水电代收,
    /// 维修基金), or holds it for the owner (押金): no late fee is charged on it.
    pub fn late_fee_allowed(self) -> bool {
        !matches!(self, FeeKind::Water | FeeKind::Electricity | FeeKind::RepairFund | FeeKind::Deposit)
    }
}

labelled_enum!(
    /// How a bill's amount is computed.
    Basis, RuleError, |value| RuleError::Unknown { what: "basis (按面积, 定额, 按抄表)", value }, {
        Area => ("area", "按面积"),
        Fixed => ("fixed", "定额"),
        Meter => ("meter", "按抄表"),
    }
);

labelled_enum!(
    /// How often a fee is billed.
    Cycle, RuleError, |value| RuleError::Unknown { what: "billing period (月, 季, 半年, 年, 一次性)", value }, {
        Monthly => ("monthly", "月"),
        Quarterly => ("quarterly", "季"),
        HalfYearly => ("half_yearly", "半年"),
        Yearly => ("yearly", "年"),
        Once => ("once", "一次性"),
    }
);

impl Cycle {
    /// Months in one period (none for a one-off fee).
    pub fn months(self) -> u32 {
        match self {
            Cycle::Monthly => 1,
            Cycle::Quarterly => 3,
            Cycle::HalfYearly => 6,
            Cycle::Yearly => 12,
            Cycle::Once => 0,
        }
    }

    /// The calendar period holding `day`: quarters from January, April,
    /// July and October, half years from January and July, years from
    /// January; a one-off fee's "period" starts on the day itself.
    pub fn period_of(self, day: NaiveDate) -> Period {
        let months = self.months();
        if months == 0 {
            return Period { start: day, months: 0 };
        }
        let month0 = (day.month0() / months) * months;
        Period { start: NaiveDate::from_ymd_opt(day.year(), month0 + 1, 1).unwrap_or(day), months }
    }
}

labelled_enum!(
    /// Which meter.
    MeterKind, RuleError, |value| RuleError::Unknown { what: "meter (水表, 电表, 燃气表)", value }, {
        Water => ("water", "水表"),
        Electricity => ("electricity", "电表"),
        Gas => ("gas", "燃气表"),
    }
);

labelled_enum!(
    /// How money was paid.
    PayMethod, RuleError, |value| RuleError::Unknown {
        what: "payment method (现金, 微信, 支付宝, 银行卡, 转账)",
        value,
    }, {
        Cash => ("cash", "现金"),
        Wechat => ("wechat", "微信"),
        Alipay => ("alipay", "支付宝"),
        Card => ("card", "银行卡"),
        Transfer => ("transfer", "转账"),
        Prepaid => ("prepaid", "预存"),
    }
);

labelled_enum!(
    /// How a reminder was given.
    ChaseWay, RuleError, |value| RuleError::Unknown { what: "reminder (电话, 短信, 上门, 书面, 微信)", value }, {
        Phone => ("phone", "电话"),
        Sms => ("sms", "短信"),
        Visit => ("visit", "上门"),
        Letter => ("letter", "书面"),
        Wechat => ("wechat", "微信"),
    }
);

/// Largest unit price: ¥1,000,000.
pub const MAX_PRICE: u64 = 1_000_000 * 10_000;
/// Largest quantity (area, consumption or a meter's reading), in hundredths: 10⁹ units.
pub const MAX_QUANTITY: u64 = 100_000_000_000;
/// Highest late-fee rate: 1% a day.
pub const MAX_RATE_PPM: u64 = 10_000;

/// A unit price in ten-thousandths of a yuan: ¥2.35 a m² is 23,500; ¥0.588 a kWh 5,880.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Price(pub u64);

impl Price {
    /// Reads a price typed in yuan, up to four decimals: `2.35`, `0.588`, `¥300`.
    pub fn parse(text: &str) -> Result<Price, RuleError> {
        let units = decimal(text.trim().trim_start_matches(['¥', '￥']), 4)
            .ok_or_else(|| RuleError::NotAmount(text.to_string()))?;
        if units == 0 || units > MAX_PRICE {
            return Err(RuleError::OutOfRange {
                field: "the price",
                value: text.to_string(),
                allowed: "more than ¥0 and at most ¥1,000,000".into(),
            });
        }
        Ok(Price(units))
    }
}

impl fmt::Display for Price {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "¥{}", plain(self.0, 4))
    }
}

/// A late-fee rate in parts per million a day: 0.05% a day is 500, 3‰ is 3,000.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Rate(pub u64);

impl Rate {
    /// Reads a rate written as a percentage or per mille: `0.05%`, `3‰`, `0`.
    pub fn parse(text: &str) -> Result<Rate, RuleError> {
        let t = text.trim();
        let bad = || RuleError::OutOfRange {
            field: "the late-fee rate",
            value: text.to_string(),
            allowed: "a daily rate like 0.05% or 3‰, at most 1%".into(),
        };
        let ppm = if let Some(p) = t.strip_suffix('%') {
            decimal(p.trim(), 4).ok_or_else(bad)?
        } else if let Some(p) = t.strip_suffix('‰') {
            decimal(p.trim(), 3).ok_or_else(bad)?
        } else if t == "0" {
            0
        } else {
            return Err(bad());
        };
        if ppm > MAX_RATE_PPM {
            return Err(bad());
        }
        Ok(Rate(ppm))
    }
}

impl fmt::Display for Rate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}%", plain(self.0, 4))
    }
}

/// A share of an amount in basis points: 100% is 10,000.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Share(pub u64);

impl Share {
    /// All of it.
    pub const WHOLE: Share = Share(10_000);

    /// Reads a percentage from 0% to 100%: `100%`, `30%`, `12.5%`.
    pub fn parse(text: &str) -> Result<Share, RuleError> {
        let t = text.trim().trim_end_matches('%').trim();
        match decimal(t, 2) {
            Some(bp) if bp <= 10_000 => Ok(Share(bp)),
            _ => Err(RuleError::OutOfRange {
                field: "the share",
                value: text.to_string(),
                allowed: "a percentage from 0% to 100%".into(),
            }),
        }
    }
}

impl fmt::Display for Share {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}%", plain(self.0, 2))
    }
}

/// A quantity in hundredths (m², t, kWh): `89.5` is 8,950.
pub fn parse_quantity(field: &'static str, text: &str) -> Result<u64, RuleError> {
    match decimal(text.trim(), 2) {
        Some(q) if q <= MAX_QUANTITY => Ok(q),
        _ => Err(RuleError::OutOfRange {
            field,
            value: text.to_string(),
            allowed: "a number with at most two decimals, like 89.5".into(),
        }),
    }
}

/// A quantity in hundredths as people write it: `89.5`, `120`.
pub fn show_quantity(centi: u64) -> String {
    plain(centi, 2)
}

/// Digits with at most `places` decimals, as a whole number of 10^-places.
fn decimal(text: &str, places: u32) -> Option<u64> {
    let (whole, frac) = text.split_once('.').unwrap_or((text, ""));
    if whole.is_empty()
        || frac.len() > places as usize
        || !whole.chars().chain(frac.chars()).all(|c| c.is_ascii_digit())
    {
        return None;
    }
    let scale = 10u64.pow(places);
    let frac_value: u64 =
        if frac.is_empty() { 0 } else { format!("{frac:0<width$}", width = places as usize).parse().ok()? };
    whole.parse::<u64>().ok()?.checked_mul(scale)?.checked_add(frac_value)
}

/// A whole number of 10^-places, shown without trailing zeros.
fn plain(units: u64, places: u32) -> String {
    let scale = 10u64.pow(places);
    let (whole, frac) = (units / scale, units % scale);
    if frac == 0 {
        return whole.to_string();
    }
    let digits = format!("{frac:0width$}", width = places as usize);
    format!("{whole}.{}", digits.trim_end_matches('0'))
}

/// A billing period: calendar months from the first of one, or one day for a one-off fee.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Period {
    /// The first day.
    pub start: NaiveDate,
    /// How many months (0 for a one-off fee).
    pub months: u32,
}

impl Period {
    /// The last day it covers.
    pub fn end(&self) -> NaiveDate {
        match self.months {
            0 => self.start,
            n => self.start + Months::new(n) - chrono::Days::new(1),
        }
    }

    /// Whether it covers `day`.
    pub fn covers(&self, day: NaiveDate) -> bool {
        self.start <= day && day <= self.end()
    }

    /// The part of a bill's identity that names the period.
    pub fn key(&self) -> String {
        match self.months {
            0 => "once".into(),
            _ => self.start.format("%Y-%m").to_string(),
        }
    }

    /// As offices write it: `2026年3月`, `2026年1月至3月`, `一次性`.
    pub fn label(&self) -> String {
        let (start, end) = (self.start, self.end());
        match self.months {
            0 => "一次性".into(),
            1 => format!("{}年{}月", start.year(), start.month()),
            _ if start.year() == end.year() => format!("{}年{}月至{}月", start.year(), start.month(), end.month()),
            _ => format!("{}年{}月至{}年{}月", start.year(), start.month(), end.year(), end.month()),
        }
    }

    /// Whether it is a real period of a fee: a month's first day and 1, 3, 6 or 12 months, or a one-off day.
    pub fn is_valid(&self) -> bool {
        match self.months {
            0 => true,
            1 | 3 | 6 | 12 => self.start.day() == 1,
            _ => false,
        }
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.label())
    }
}

/// Reads a month written `2026-03` (or `2026-3`, `2026年3月`): its first day.
pub fn parse_month(text: &str) -> Result<NaiveDate, RuleError> {
    let t = text.trim().trim_end_matches('月').replace('年', "-");
    t.split_once('-')
        .and_then(|(y, m)| Some((y.parse::<i32>().ok()?, m.parse::<u32>().ok()?)))
        .and_then(|(y, m)| NaiveDate::from_ymd_opt(y, m, 1))
        .filter(|d| (2000..=2100).contains(&d.year()))
        .ok_or_else(|| RuleError::OutOfRange {
            field: "the month",
            value: text.to_string(),
            allowed: "a month like 2026-03".into(),
        })
}

#[cfg(test)]
mod tests;
