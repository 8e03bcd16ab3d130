//! The vocabulary every record kind shares: refusals ([`RuleError`]), the
//! limits on text, the check every text field goes through, how a complaint or
//! a call reached the centre ([`Channel`]), and what counts as satisfied.
//!
//! Record kinds import this module; it imports none of them.

use std::fmt;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use crate::doc::DocError;
use crate::ids::RecordId;

/// Longest customer name, in characters.
pub const MAX_NAME_CHARS: usize = 100;
/// Longest unit (楼栋/房号) or department name, in characters.
pub const MAX_UNIT_CHARS: usize = 50;
/// Longest summary, note or decision text, in characters: the longest any
/// document field may hold when read.
pub const MAX_TEXT_CHARS: usize = crate::doc::MAX_FIELD_CHARS;
/// Most departments one complaint can involve.
pub const MAX_DEPARTMENTS: usize = 20;

labelled_enum!(
    /// How a complaint reached the centre.
    Channel, RuleError, RuleError::UnknownChannel, {
        Phone => ("phone", "电话"),
        Visit => ("visit", "来访"),
        Letter => ("letter", "信函"),
        Fax => ("fax", "传真"),
        Wechat => ("wechat", "微信"),
        App => ("app", "应用"),
    }
);

impl fmt::Display for Channel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Lowest satisfaction (of 1–5) that counts as satisfied; below it a visit reopens.
pub const SATISFIED_FROM: u8 = 3;

/// A refused action or bad input, in words the user can act on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RuleError {
    /// An identity number does not have its required form (the number itself is not repeated).
    #[error("the {field} is not valid: {why}")]
    BadNumber {
        /// Which number.
        field: &'static str,
        /// What is wrong with it.
        why: &'static str,
    },
    /// A required text is empty.
    #[error("{0} is empty: give a value")]
    Empty(&'static str),
    /// A text holds a control character (or a bidirectional override).
    #[error("{field} holds a control character ({at}): remove it; {}", if *multiline { "only line breaks are allowed" } else { "this field is one line of plain text" })]
    Unprintable {
        /// Which field.
        field: &'static str,
        /// Which character, and where.
        at: String,
        /// Whether the field allows line breaks.
        multiline: bool,
    },
    /// A text is longer than allowed.
    #[error("{field} is too long ({len} characters, at most {max}): shorten it")]
    TooLong {
        /// Which field.
        field: &'static str,
        /// Its length in characters.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// Too many departments.
    #[error("too many departments ({0}, at most {MAX_DEPARTMENTS})")]
    TooManyDepartments(usize),
    /// The channel name is not one we know.
    #[error("unknown channel '{}': use phone, visit, letter, fax, wechat or app", crate::text::echo(.0))]
    UnknownChannel(String),
    /// Only major complaints go to the property manager.
    #[error(
        "complaint {0} is not a major complaint (重大投诉); only major complaints are decided by the property manager"
    )]
    NotMajor(RecordId),
    /// The manager has already decided.
    #[error("complaint {id} was already decided by {by} at {at}")]
    AlreadyDecided {
        /// The complaint.
        id: RecordId,
        /// Who decided.
        by: String,
        /// When, in the site's time zone.
        at: String,
    },
    /// The step does not fit where the complaint stands.
    #[error("complaint {id} is {status} ({label}): {why}")]
    WrongStep {
        /// The complaint.
        id: RecordId,
        /// Its status.
        status: &'static str,
        /// The status as the front desk knows it.
        label: &'static str,
        /// What is needed instead.
        why: &'static str,
    },
    /// The staff member's role may not take this step.
    #[error("only {allowed} may {action}; the step was asked by {role}")]
    Role {
        /// The step.
        action: &'static str,
        /// The roles that may.
        allowed: String,
        /// Who asked.
        role: &'static str,
    },
    /// Text that is not an amount of money.
    #[error("'{}' is not an amount in yuan: write it like 80 or 80.50", crate::text::echo(.0))]
    NotAmount(String),
    /// A name that is not one of the known values.
    #[error("unknown {what}: '{}'", crate::text::echo(value))]
    Unknown {
        /// What was expected, with the accepted values.
        what: &'static str,
        /// What was given.
        value: String,
    },
    /// Work orders go to maintenance staff only.
    #[error("{name} is {role}; dispatch to a maintenance staff member (维修)")]
    NotMaintenance {
        /// Who was named.
        name: String,
        /// Their role.
        role: &'static str,
    },
    /// A work order needs exactly one of a unit or a public area.
    #[error("give either a unit (a home) or an area (a public area with its location), not both or neither")]
    Place,
    /// The step does not fit where the work order stands.
    #[error("work order {id} is {status} ({label}): {why}")]
    WrongRepairStep {
        /// The work order.
        id: RecordId,
        /// Its status.
        status: &'static str,
        /// The status as the front desk knows it.
        label: &'static str,
        /// What is needed instead.
        why: &'static str,
    },
    /// Satisfaction outside 1 to 5.
    #[error("satisfaction must be 1 to 5 (1-2 reopens the complaint), not {0}")]
    Satisfaction(u8),
    /// A date, time or amount that cannot be real here.
    #[error("{field} {value} is not allowed: {allowed}")]
    OutOfRange {
        /// Which field.
        field: &'static str,
        /// The value as given, in the site's terms.
        value: String,
        /// What is allowed.
        allowed: String,
    },
    /// The staff member has left and may not be given work or sign in.
    #[error("{name} has left (disabled by {by} at {at}): choose someone who still works here")]
    StaffDisabled {
        /// Who was named.
        name: String,
        /// Who disabled them.
        by: String,
        /// When, in the site's time zone.
        at: String,
    },
    /// The stored document is not a valid record.
    #[error("the record's document is invalid: {0}")]
    Document(#[from] DocError),
    /// Automerge refused the edit (a programming error surfaced as an error).
    #[error("could not edit the complaint document: {0}")]
    Automerge(String),
}

impl RuleError {
    /// The refusal's stable code: front ends choose the words people read by
    /// it (in their language), never by the English text.
    pub fn code(&self) -> &'static str {
        match self {
            RuleError::BadNumber { .. } => "rule.bad_number",
            RuleError::Empty(_) => "rule.empty",
            RuleError::Unprintable { multiline: true, .. } => "rule.unprintable_text",
            RuleError::Unprintable { multiline: false, .. } => "rule.unprintable_line",
            RuleError::TooLong { .. } => "rule.too_long",
            RuleError::TooManyDepartments(_) => "rule.too_many_departments",
            RuleError::UnknownChannel(_) => "rule.unknown_channel",
            RuleError::NotMajor(_) => "rule.not_major",
            RuleError::AlreadyDecided { .. } => "rule.already_decided",
            RuleError::WrongStep { .. } => "rule.wrong_step",
            RuleError::Role { .. } => "rule.role",
            RuleError::NotAmount(_) => "rule.not_amount",
            RuleError::Unknown { .. } => "rule.unknown",
            RuleError::NotMaintenance { .. } => "rule.not_maintenance",
            RuleError::Place => "rule.place",
            RuleError::WrongRepairStep { .. } => "rule.wrong_repair_step",
            RuleError::Satisfaction(_) => "rule.satisfaction",
            RuleError::OutOfRange { .. } => "rule.out_of_range",
            RuleError::StaffDisabled { .. } => "rule.staff_disabled",
            RuleError::Document(_) => "rule.document",
            RuleError::Automerge(_) => "rule.automerge",
        }
    }

    /// The values a message for this refusal names, by placeholder; text a
    /// person typed is made safe to print.
    pub fn params(&self) -> Vec<(&'static str, String)> {
        use crate::text::echo;
        let s = |v: &dyn std::fmt::Display| v.to_string();
        match self {
            RuleError::BadNumber { field, why } => vec![("field", s(field)), ("why", s(why))],
            RuleError::Empty(field) => vec![("field", s(field))],
            RuleError::Unprintable { field, at, .. } => vec![("field", s(field)), ("at", s(at))],
            RuleError::TooLong { field, len, max } => vec![("field", s(field)), ("len", s(len)), ("max", s(max))],
            RuleError::TooManyDepartments(n) => vec![("count", s(n)), ("max", s(&MAX_DEPARTMENTS))],
            RuleError::UnknownChannel(value) | RuleError::NotAmount(value) => vec![("value", echo(value))],
            RuleError::NotMajor(id) => vec![("id", s(id))],
            RuleError::AlreadyDecided { id, by, at } => vec![("id", s(id)), ("by", s(by)), ("at", s(at))],
            RuleError::WrongStep { id, status, label, why } | RuleError::WrongRepairStep { id, status, label, why } => {
                vec![("id", s(id)), ("status", s(status)), ("label", s(label)), ("why", s(why))]
            }
            RuleError::Role { action, allowed, role } => {
                vec![("action", s(action)), ("allowed", s(allowed)), ("role", s(role))]
            }
            RuleError::Unknown { what, value } => vec![("what", s(what)), ("value", echo(value))],
            RuleError::NotMaintenance { name, role } => vec![("name", s(name)), ("role", s(role))],
            RuleError::Place => Vec::new(),
            RuleError::Satisfaction(n) => vec![("value", s(n))],
            RuleError::OutOfRange { field, value, allowed } => {
                vec![("field", s(field)), ("value", s(value)), ("allowed", s(allowed))]
            }
            RuleError::StaffDisabled { name, by, at } => vec![("name", s(name)), ("by", s(by)), ("at", s(at))],
            RuleError::Document(e) => vec![("detail", s(e))],
            RuleError::Automerge(e) => vec![("detail", s(e))],
        }
    }
}

impl From<automerge::AutomergeError> for RuleError {
    fn from(e: automerge::AutomergeError) -> Self {
        RuleError::Automerge(e.to_string())
    }
}

/// How far ahead a promised reply or an appointment may be set.
pub const MAX_DAYS_AHEAD: i64 = 366;

/// Checks a time people agree on (a reply due, an appointment): from now
/// (to the minute) to [`MAX_DAYS_AHEAD`] days ahead, shown in the site's time.
pub fn check_upcoming(field: &'static str, at: DateTime<Utc>, now: DateTime<Utc>, tz: Tz) -> Result<(), RuleError> {
    let latest = now + chrono::Duration::days(MAX_DAYS_AHEAD);
    if at + chrono::Duration::seconds(60) <= now || at > latest {
        let shown = |t: DateTime<Utc>| t.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string();
        return Err(RuleError::OutOfRange {
            field,
            value: if (1900..=9999).contains(&chrono::Datelike::year(&at)) { shown(at) } else { "(that date)".into() },
            allowed: format!("give a time from now ({}) to a year ahead ({}), in site time", shown(now), shown(latest)),
        });
    }
    Ok(())
}

/// Trims a text field and checks it: not empty when `required`, at most
/// `max` characters, and no control characters ([`crate::text`]); long texts
/// (`max` of [`MAX_TEXT_CHARS`] or more) may hold line breaks.
pub fn field_text(field: &'static str, value: &str, max: usize, required: bool) -> Result<String, RuleError> {
    let multiline = max >= MAX_TEXT_CHARS;
    let value = if multiline { crate::text::normalize_line_breaks(value) } else { value.into() };
    let value = value.trim();
    if value.is_empty() && required {
        return Err(RuleError::Empty(field));
    }
    let len = value.chars().count();
    if len > max {
        return Err(RuleError::TooLong { field, len, max });
    }
    if let Some((at, c)) = crate::text::first_forbidden(value, multiline) {
        return Err(RuleError::Unprintable { field, at: crate::text::describe(at, c), multiline });
    }
    Ok(value.to_string())
}
