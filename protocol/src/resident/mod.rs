//! The household register (住户家庭情况登记表): who lives in a unit, filled
//! at move-in. ID-card and household-register numbers are personal data and
//! never leave the site: a resident's document (which syncs) holds them
//! masked only, and the whole numbers are kept in a table of the site's own
//! (see `wuye_app::identity`). Documents of the first layout held them whole;
//! the site moves each such resident to a new document that names the old one
//! in `replaces`, and every store that receives it deletes the old one.

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ReadDoc, ROOT};
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use crate::doc::{DocError, Fields, Header, RecordKind};
use crate::ids::{RecordId, SiteId};
use crate::rules::{field_text as text, RuleError, MAX_NAME_CHARS, MAX_UNIT_CHARS};
use crate::time;

/// Longest phone number, in characters.
pub const MAX_PHONE_CHARS: usize = 20;
/// Shortest and longest household-register (户口簿) number.
pub const REGISTER_NUMBER_CHARS: std::ops::RangeInclusive<usize> = 6..=20;
/// The character that stands for a hidden digit.
pub const MASK: char = '*';

/// A resident as lists show them (the JSON form).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Resident {
    /// The record id.
    pub id: RecordId,
    /// The owning site.
    pub site_id: SiteId,
    /// Building and unit (楼栋/房号).
    pub unit: String,
    /// The resident's name.
    pub name: String,
    /// A phone number.
    pub phone: String,
    /// The resident ID-card number (居民身份证号), 18 characters; empty if not given.
    pub id_card: String,
    /// The household-register (户口簿) number; empty if not given.
    pub household_register: String,
    /// Whether the numbers above are masked.
    pub masked: bool,
    /// The record this one replaces (a resident moved off the first layout,
    /// whose document held whole numbers and is deleted wherever it is held).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replaces: Option<RecordId>,
    /// When registered, in the site's time zone.
    pub created_at: crate::time::SiteTime,
    /// Who registered them.
    pub by: String,
    /// Who they are in the household, when they came and left, whom to call, their cars.
    #[serde(flatten)]
    pub household: Household,
}

labelled_enum!(
    /// Who a resident is (住户类型).
    ResidentType, RuleError, |value| RuleError::Unknown { what: "resident type (业主, 家庭成员, 租户)", value }, {
        Owner => ("owner", "业主"),
        Family => ("family", "家庭成员"),
        Tenant => ("tenant", "租户"),
    }
);

// `labelled_enum!` takes no attribute on a variant, so no `#[default]`.
#[allow(clippy::derivable_impls)]
impl Default for ResidentType {
    fn default() -> Self {
        ResidentType::Owner
    }
}

/// Most car plates one resident registers.
pub const MAX_PLATES: usize = 5;

/// A resident's place in the household (住户家庭情况登记表's columns); a
/// resident registered before these were kept reads as an owner with none.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Household {
    /// 业主, 家庭成员 or 租户.
    pub resident_type: ResidentType,
    /// 与业主关系 (本人, 配偶, 子女, 父母, 其他, …).
    pub relation: String,
    /// 入住日期.
    pub moved_in: Option<NaiveDate>,
    /// 迁出日期, once they moved out.
    pub moved_out: Option<NaiveDate>,
    /// Whom to call in an emergency (name and phone).
    pub emergency_contact: String,
    /// Car plates.
    pub plates: Vec<String>,
    /// The house in the register they belong to.
    pub house_id: Option<RecordId>,
    /// When their personal details were removed after they moved out, and by whom.
    pub details_removed: Option<String>,
}

impl Household {
    /// Checks what the desk typed.
    pub fn checked(&self) -> Result<Household, RuleError> {
        if self.plates.len() > MAX_PLATES {
            return Err(RuleError::OutOfRange {
                field: "the car plates",
                value: self.plates.len().to_string(),
                allowed: format!("at most {MAX_PLATES}"),
            });
        }
        let plates = self
            .plates
            .iter()
            .map(|p| text("a car plate", &p.to_uppercase(), 12, true))
            .collect::<Result<Vec<_>, _>>()?;
        if let (Some(a), Some(b)) = (self.moved_in, self.moved_out) {
            if b < a {
                return Err(RuleError::OutOfRange {
                    field: "the move-out date",
                    value: b.to_string(),
                    allowed: format!("on or after the move-in date {a}"),
                });
            }
        }
        Ok(Household {
            relation: text("relation to the owner", &self.relation, 20, false)?,
            emergency_contact: text("emergency contact", &self.emergency_contact, MAX_NAME_CHARS, false)?,
            plates,
            ..self.clone()
        })
    }

    fn put(&self, doc: &mut AutoCommit) -> Result<(), RuleError> {
        let date = |d: Option<NaiveDate>| d.map(|d| d.to_string()).unwrap_or_default();
        doc.put(ROOT, "resident_type", self.resident_type.as_str())?;
        doc.put(ROOT, "relation", self.relation.as_str())?;
        doc.put(ROOT, "moved_in", date(self.moved_in))?;
        doc.put(ROOT, "moved_out", date(self.moved_out))?;
        doc.put(ROOT, "emergency_contact", self.emergency_contact.as_str())?;
        doc.put(ROOT, "plates", self.plates.join(","))?;
        doc.put(ROOT, "house_id", self.house_id.map(|h| h.to_string()).unwrap_or_default())?;
        doc.put(ROOT, "details_removed", self.details_removed.clone().unwrap_or_default())?;
        Ok(())
    }

    fn read(root: &Fields<'_>) -> Result<Household, DocError> {
        let optional = |key: &str| root.str_or_empty(key);
        let date = |key: &'static str| -> Result<Option<NaiveDate>, DocError> {
            let text = optional(key)?;
            if text.is_empty() {
                return Ok(None);
            }
            text.parse().map(Some).map_err(|_| DocError::invalid(key, "not a date"))
        };
        let kind = optional("resident_type")?;
        let house = optional("house_id")?;
        let plates = optional("plates")?;
        Ok(Household {
            resident_type: if kind.is_empty() {
                ResidentType::Owner
            } else {
                kind.parse().map_err(|e: RuleError| DocError::invalid("resident_type", e.to_string()))?
            },
            relation: optional("relation")?,
            moved_in: date("moved_in")?,
            moved_out: date("moved_out")?,
            emergency_contact: optional("emergency_contact")?,
            plates: plates.split(',').filter(|p| !p.is_empty()).take(MAX_PLATES).map(str::to_string).collect(),
            house_id: if house.is_empty() {
                None
            } else {
                Some(house.parse().map_err(|_| DocError::invalid("house_id", "not a record id"))?)
            },
            details_removed: Some(optional("details_removed")?).filter(|r| !r.is_empty()),
        })
    }
}

/// What stands in place of a name whose details were removed.
pub const REMOVED_NAME: &str = "（已移除）";

/// Removes a resident's personal details (name, phone, masked numbers,
/// emergency contact, car plates) once they moved out, recording when and by
/// whom; the unit, type, relation and dates stay for the register's history.
pub fn remove_details(doc: &mut AutoCommit, now: DateTime<Utc>, by: &str) -> Result<(), RuleError> {
    let r: Resident = crate::kind::read(doc)?;
    if r.household.moved_out.is_none() || r.household.details_removed.is_some() {
        return Err(RuleError::OutOfRange {
            field: "the resident",
            value: r.name,
            allowed: "one who moved out and whose details are still held".into(),
        });
    }
    for (key, value) in [("name", REMOVED_NAME), ("phone", ""), ("id_card", ""), ("household_register", "")] {
        doc.put(ROOT, key, value)?;
    }
    let removed = format!("{} {}", time::to_stored(now), text("by", by, MAX_NAME_CHARS, true)?);
    Household { emergency_contact: String::new(), plates: Vec::new(), details_removed: Some(removed), ..r.household }
        .put(doc)
}

/// Records that a resident moved out on `day`; once, and not before they moved in.
pub fn move_out(doc: &mut AutoCommit, day: NaiveDate) -> Result<(), RuleError> {
    let r: Resident = crate::kind::read(doc)?;
    if let Some(out) = r.household.moved_out {
        return Err(RuleError::OutOfRange {
            field: "the move-out date",
            value: day.to_string(),
            allowed: format!("{} moved out already on {out}", r.name),
        });
    }
    Household { moved_out: Some(day), ..r.household }.checked()?.put(doc)
}

/// What the front desk types to register a resident.
#[derive(Debug, Clone, Default)]
pub struct NewResident {
    /// Building and unit.
    pub unit: String,
    /// Name.
    pub name: String,
    /// Phone.
    pub phone: String,
    /// ID-card number, or empty.
    pub id_card: String,
    /// Household-register number, or empty.
    pub household_register: String,
    /// Who they are in the household.
    pub household: Household,
}

/// Masks an identity number, keeping the first six characters (the region)
/// and the last four of a long number, and only the last four of a short one:
/// `110105********1234`.
pub fn mask(number: &str) -> String {
    let chars: Vec<char> = number.chars().collect();
    let keep_front = if chars.len() >= 14 { 6 } else { 0 };
    let keep_back = if chars.len() > 4 { 4 } else { 0 };
    chars
        .iter()
        .enumerate()
        .map(|(i, c)| if i < keep_front || i + keep_back >= chars.len() { *c } else { MASK })
        .collect()
}

/// Checks an 18-character resident ID-card number (GB 11643): 17 digits and
/// a check character (a digit or X) that matches them. Lower-case x is taken.
pub fn check_id_card(number: &str) -> Result<String, RuleError> {
    let number = number.trim().to_ascii_uppercase();
    let bad = |why| RuleError::BadNumber { field: "ID-card number", why };
    let chars: Vec<char> = number.chars().collect();
    if chars.len() != 18 {
        return Err(bad("it must have 18 characters: 17 digits and a check digit or X"));
    }
    if !chars[..17].iter().all(char::is_ascii_digit) {
        return Err(bad("its first 17 characters must be digits"));
    }
    const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    const CHECK: [char; 11] = ['1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'];
    let sum: u32 = chars[..17].iter().zip(WEIGHTS).map(|(c, w)| c.to_digit(10).unwrap_or(0) * w).sum();
    if chars[17] != CHECK[(sum % 11) as usize] {
        return Err(bad("its check digit does not match: look for a mistyped digit"));
    }
    birth_date(&number)
        .filter(|d| d.year() >= FIRST_BIRTH_YEAR)
        .ok_or(bad("its birth date (characters 7 to 14) is not a real date from 1900 on"))?;
    Ok(number)
}

/// Earliest birth year an ID-card number may carry.
pub const FIRST_BIRTH_YEAR: i32 = 1900;

/// The birth date in an 18-character ID-card number (characters 7 to 14, YYYYMMDD), if it is a real date.
pub fn birth_date(number: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(number.get(6..14)?, "%Y%m%d").ok()
}

/// [`check_id_card`], and a birth date not after `today`: for numbers typed at the desk.
pub fn check_id_card_on(number: &str, today: NaiveDate) -> Result<String, RuleError> {
    let number = check_id_card(number)?;
    if birth_date(&number).is_some_and(|d| d > today) {
        return Err(RuleError::BadNumber {
            field: "ID-card number",
            why: "its birth date (characters 7 to 14) is after today: look for a mistyped digit",
        });
    }
    Ok(number)
}

/// Checks a phone number: digits with `+`, `-`, spaces, brackets, and 转 for
/// an extension (`0755-8888 6666转123`); nothing else, so that no control or
/// direction-changing character rides in a field people dial from.
pub fn check_phone(phone: &str) -> Result<String, RuleError> {
    let phone = text("phone", phone, MAX_PHONE_CHARS, false)?;
    let allowed = |c: char| c.is_ascii_digit() || matches!(c, '+' | '-' | ' ' | '(' | ')' | '转');
    if !phone.chars().all(allowed) || (!phone.is_empty() && !phone.chars().any(|c| c.is_ascii_digit())) {
        return Err(RuleError::BadNumber {
            field: "phone number",
            why: "use digits, with + - ( ) spaces or 转 for an extension, e.g. 138 0013 8000 or 0755-88886666转123",
        });
    }
    Ok(phone)
}

/// Checks a household-register number: 6 to 20 letters and digits.
pub fn check_register_number(number: &str) -> Result<String, RuleError> {
    let number = number.trim().to_ascii_uppercase();
    if !REGISTER_NUMBER_CHARS.contains(&number.chars().count()) || !number.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(RuleError::BadNumber {
            field: "household-register number",
            why: "it must be 6 to 20 letters and digits",
        });
    }
    Ok(number)
}

impl Resident {
    /// The same resident with the identity numbers masked.
    pub fn masked(mut self) -> Self {
        if !self.masked {
            self.id_card = mask(&self.id_card);
            self.household_register = mask(&self.household_register);
            self.masked = true;
        }
        self
    }
}

/// A resident's whole identity numbers, checked: kept at the site only.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Identity {
    /// The ID-card number, or empty.
    pub id_card: String,
    /// The household-register number, or empty.
    pub household_register: String,
}

impl std::fmt::Debug for Identity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Identity")
            .field("id_card", &mask(&self.id_card))
            .field("household_register", &mask(&self.household_register))
            .finish()
    }
}

impl Resident {
    /// The same resident with the whole numbers put back (for the roles that
    /// may see them, at the site that keeps them).
    pub fn with_identity(mut self, identity: &Identity) -> Self {
        self.id_card = identity.id_card.clone();
        self.household_register = identity.household_register.clone();
        self.masked = false;
        self
    }

    /// Whether the document holds whole numbers (the first layout).
    pub fn holds_whole_numbers(&self) -> bool {
        let none = self.id_card.is_empty() && self.household_register.is_empty();
        !self.masked && !none
    }
}

/// Writes a new resident's document, with the identity numbers masked; the
/// whole numbers, checked, come back beside it for the site to keep.
pub fn create(
    id: RecordId,
    site_id: SiteId,
    tz: Tz,
    now: DateTime<Utc>,
    by: &str,
    input: &NewResident,
) -> Result<(AutoCommit, Identity), RuleError> {
    let unit = text("unit", &input.unit, MAX_UNIT_CHARS, true)?;
    let name = text("name", &input.name, MAX_NAME_CHARS, true)?;
    let phone = check_phone(&input.phone)?;
    let optional = |value: &str, check: &dyn Fn(&str) -> Result<String, RuleError>| {
        if value.trim().is_empty() {
            Ok(String::new())
        } else {
            check(value)
        }
    };
    let today = now.with_timezone(&tz).date_naive();
    let id_card = optional(&input.id_card, &|n| check_id_card_on(n, today))?;
    let register = optional(&input.household_register, &check_register_number)?;
    let identity = Identity { id_card, household_register: register };
    let mut doc = write(RecordKind::Resident, id, site_id, tz, now, by, &unit, &name, &phone, &identity, None)?;
    input.household.checked()?.put(&mut doc)?;
    Ok((doc, identity))
}

/// The document that replaces `old`, a resident whose document held whole
/// numbers: the same resident, registered when and by whom they were, with
/// the numbers masked, naming `old` in `replaces`. Returns the whole numbers
/// for the site to keep.
pub fn replacement(old: &Resident, id: RecordId, tz: Tz) -> Result<(AutoCommit, Identity), RuleError> {
    let created = old.created_at.utc();
    let identity = Identity { id_card: old.id_card.clone(), household_register: old.household_register.clone() };
    let (unit, name, phone) = (&old.unit, &old.name, &old.phone);
    let mut doc =
        write(RecordKind::Resident, id, old.site_id, tz, created, &old.by, unit, name, phone, &identity, Some(old.id))?;
    old.household.put(&mut doc)?;
    Ok((doc, identity))
}

#[allow(clippy::too_many_arguments)]
fn write(
    kind: RecordKind,
    id: RecordId,
    site_id: SiteId,
    tz: Tz,
    at: DateTime<Utc>,
    by: &str,
    unit: &str,
    name: &str,
    phone: &str,
    identity: &Identity,
    replaces: Option<RecordId>,
) -> Result<AutoCommit, RuleError> {
    let mut doc = crate::kind::new_record(kind, id, site_id, tz, at, by)?;
    doc.put(ROOT, "unit", unit)?;
    doc.put(ROOT, "name", name)?;
    doc.put(ROOT, "phone", phone)?;
    doc.put(ROOT, "id_card", mask(&identity.id_card))?;
    doc.put(ROOT, "household_register", mask(&identity.household_register))?;
    doc.put(ROOT, "masked", true)?;
    if let Some(old) = replaces {
        doc.put(ROOT, "replaces", old.to_string())?;
    }
    Ok(doc)
}

/// Checks a masked number as a document holds it: letters, digits and
/// [`MASK`], at most 20 characters.
fn check_masked(number: &str) -> Result<(), &'static str> {
    let ok = number.chars().count() <= *REGISTER_NUMBER_CHARS.end()
        && number.chars().all(|c| c.is_ascii_alphanumeric() || c == MASK);
    if ok {
        Ok(())
    } else {
        Err("a masked number holds only letters, digits and *")
    }
}

impl crate::kind::Kind for Resident {
    const KIND: RecordKind = RecordKind::Resident;

    fn from_root(root: &Fields<'_>, header: &Header) -> Result<Self, DocError> {
        from_root(root, header)
    }

    crate::kind::ids!();

    fn projection(&self) -> crate::kind::Projection {
        use crate::kind::Projection;
        // A resident of the first layout is found by its status, to be moved.
        Projection::at(self.created_at.utc(), if self.holds_whole_numbers() { WHOLE_NUMBERS } else { "" })
    }

    fn replaces(&self) -> Option<RecordId> {
        self.replaces
    }

    /// Head office never shows whole numbers (a document of the first layout
    /// holds them until the site moves it).
    fn at_head_office(self) -> Self {
        self.masked()
    }
}

/// The status of a resident whose document still holds whole numbers.
pub const WHOLE_NUMBERS: &str = "whole_numbers";

fn from_root(root: &Fields<'_>, header: &Header) -> Result<Resident, DocError> {
    let masked = match root.bool("masked") {
        Err(DocError::Missing(_)) => false,
        other => other?,
    };
    let id_card = root.str("id_card")?;
    let household_register = root.str("household_register")?;
    if masked {
        check_masked(&id_card).map_err(|e| DocError::invalid("id_card", e))?;
        check_masked(&household_register).map_err(|e| DocError::invalid("household_register", e))?;
    } else {
        // The first layout: whole numbers, checked as at input.
        if !id_card.is_empty() {
            check_id_card(&id_card).map_err(|e| DocError::invalid("id_card", e.to_string()))?;
        }
        if !household_register.is_empty() {
            check_register_number(&household_register)
                .map_err(|e| DocError::invalid("household_register", e.to_string()))?;
        }
    }
    let replaces = match root.str("replaces") {
        Err(DocError::Missing(_)) => None,
        other => {
            Some(other?.parse().map_err(|e: crate::ids::IdParseError| DocError::invalid("replaces", e.to_string()))?)
        }
    };
    Ok(Resident {
        id: header.id,
        site_id: header.site_id,
        unit: root.str("unit")?,
        name: root.str("name")?,
        phone: root.str("phone")?,
        id_card,
        household_register,
        masked,
        replaces,
        created_at: time::to_site(header.created_at, header.timezone),
        by: header.created_by.clone(),
        household: Household::read(root)?,
    })
}

/// Reads and checks a resident document.
pub fn read(doc: &impl ReadDoc) -> Result<Resident, DocError> {
    crate::kind::read(doc)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    // A number with a valid check digit, made up for the tests.
    const CARD: &str = "11010519491231002X";

    #[test]
    fn id_card_numbers_are_checked_and_masked() {
        assert_eq!(check_id_card(" 11010519491231002x ").unwrap(), CARD);
        for bad in ["11010519491231002", "110105194912310021", "1101051949123100AX", "登记"] {
            assert!(check_id_card(bad).is_err(), "{bad}");
        }
        assert_eq!(mask(CARD), "110105********002X");
        assert_eq!(mask("123456789"), "*****6789");
        assert_eq!(mask(""), "");
        assert!(check_register_number("A1234567").is_ok());
        assert!(check_register_number("12-34").is_err());
    }

    /// Seventeen digits completed with their check character.
    fn with_check(first17: &str) -> String {
        const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
        const CHECK: [char; 11] = ['1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'];
        let sum: u32 = first17.chars().zip(WEIGHTS).map(|(c, w)| c.to_digit(10).unwrap() * w).sum();
        format!("{first17}{}", CHECK[(sum % 11) as usize])
    }

    #[test]
    fn id_card_birth_dates_must_be_real_dates_from_1900_to_today() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 29).unwrap();
        for (birth, ok) in [
            ("19491231", true),
            ("20000229", true),
            ("20261129", true),
            ("99991399", false),
            ("19990230", false),
            ("18991231", false),
            ("20261130", false),
            ("00000101", false),
        ] {
            let number = with_check(&format!("110105{birth}002"));
            let result = check_id_card_on(&number, today);
            assert_eq!(result.is_ok(), ok, "{birth}: {result:?}");
            if !ok {
                assert!(result.unwrap_err().to_string().contains("birth date"), "{birth}");
            }
        }
    }

    #[test]
    fn phones_are_digits_with_the_usual_separators_only() {
        for ok in ["", "13800138000", "+86 138 0013 8000", "0755-88886666转123", "(010) 6512 3456"] {
            assert!(check_phone(ok).is_ok(), "{ok}");
        }
        for bad in ["138\x1b[31m", "138\u{202E}0000", "call me", "---", "１３８"] {
            assert!(check_phone(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn a_resident_round_trips_and_masks() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(9);
        let now = time::from_stored("2026-11-27T02:00:00Z").unwrap();
        let input = NewResident {
            unit: "3栋501".into(),
            name: "张伟".into(),
            phone: "13800138000".into(),
            id_card: CARD.into(),
            household_register: "110105123".into(),
            ..NewResident::default()
        };
        let site = SiteId::random(&mut rng);
        let (doc, identity) =
            create(RecordId::random(&mut rng), site, chrono_tz::Asia::Shanghai, now, "李娜", &input).unwrap();
        let r = read(&doc).unwrap();
        assert_eq!((r.id_card.as_str(), r.masked), ("110105********002X", true), "the document holds the mask");
        assert_eq!(identity.id_card, CARD);
        let saved = doc.clone().save_nocompress();
        assert!(!saved.windows(CARD.len()).any(|w| w == CARD.as_bytes()), "the whole number is nowhere in the bytes");
        let whole = r.with_identity(&identity);
        assert_eq!((whole.id_card.as_str(), whole.masked), (CARD, false));
        let m = whole.masked();
        assert_eq!((m.id_card.as_str(), m.household_register.as_str()), ("110105********002X", "*****5123"));
        assert!(m.clone().masked() == m, "masking twice changes nothing");
        let wrong = NewResident { id_card: "110105194912310021".into(), ..input };
        let e = create(RecordId::random(&mut rng), site, chrono_tz::Asia::Shanghai, now, "李娜", &wrong).unwrap_err();
        assert!(e.to_string().contains("check digit") && !e.to_string().contains("110105"), "{e}");
    }

    #[test]
    fn the_household_columns_are_checked_kept_and_a_move_out_recorded_once() {
        let mut rng = rand::thread_rng();
        let site = SiteId::random(&mut rng);
        let now: DateTime<Utc> = "2026-11-01T02:00:00Z".parse().unwrap();
        let day = |d: &str| d.parse::<NaiveDate>().unwrap();
        let household = Household {
            resident_type: ResidentType::Tenant,
            relation: "租客".into(),
            moved_in: Some(day("2026-03-01")),
            emergency_contact: "钱父 13900000000".into(),
            plates: vec!["粤b12345".into()],
            ..Household::default()
        };
        let input = NewResident { unit: "3栋501".into(), name: "钱七".into(), household, ..NewResident::default() };
        let tz = chrono_tz::Asia::Shanghai;
        let (mut doc, _) = create(RecordId::random(&mut rng), site, tz, now, "李娜", &input).unwrap();
        let r = read(&doc).unwrap();
        assert_eq!(
            (r.household.resident_type, r.household.plates.clone()),
            (ResidentType::Tenant, vec!["粤B12345".into()])
        );
        assert!(move_out(&mut doc, day("2026-02-01")).is_err(), "before moving in");
        move_out(&mut doc, day("2026-11-01")).unwrap();
        assert_eq!(read(&doc).unwrap().household.moved_out, Some(day("2026-11-01")));
        assert!(move_out(&mut doc, day("2026-11-02")).is_err(), "once");
        let many = Household { plates: vec!["A".into(); MAX_PLATES + 1], ..Household::default() };
        assert!(many.checked().is_err());
        // A resident registered before the household columns reads as an owner with none.
        let (mut old, _) = create(
            RecordId::random(&mut rng),
            site,
            tz,
            now,
            "李娜",
            &NewResident { unit: "1栋101".into(), name: "张伟".into(), ..NewResident::default() },
        )
        .unwrap();
        for key in ["resident_type", "relation", "moved_in", "moved_out", "emergency_contact", "plates", "house_id"] {
            old.delete(ROOT, key).unwrap();
        }
        assert_eq!(read(&old).unwrap().household, Household::default());
    }
}
