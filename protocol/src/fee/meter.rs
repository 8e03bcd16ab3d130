//! A meter reading (抄表): a house's meter, its reading, the day and who
//! read it. The move-in slip's readings are a house's first. A reading
//! below the one before is refused at the desk unless the meter was
//! replaced, when the reading starts the new meter.

use automerge::AutoCommit;
use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use super::{MeterKind, MAX_QUANTITY};
use crate::doc::RecordKind;
use crate::ids::{RecordId, SiteId};
use crate::rules::{field_text, RuleError, MAX_NAME_CHARS, MAX_UNIT_CHARS};

/// What a reading holds besides its header.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReadingBody {
    /// The house's record.
    pub house_id: RecordId,
    /// The house's address.
    pub house: String,
    /// Which meter.
    pub meter: MeterKind,
    /// The reading, in hundredths.
    pub reading: u64,
    /// The day it was read.
    pub read_on: NaiveDate,
    /// Who read it.
    pub reader: String,
    /// Whether this is a new meter's first reading.
    pub replacement: bool,
    /// The move-in slip it was read on, if any.
    pub move_in: Option<RecordId>,
}

crate::body::body_record!(
    /// A reading as lists show it.
    MeterReading(ReadingBody), RecordKind::MeterReading, recorded_at, recorded_by,
    check |b| Ok::<(), crate::doc::DocError>(()),
    projection |r| crate::kind::Projection { sort: format!("{} {}", r.read_on, r.house), status: "" }
);

/// A new reading. `previous` is the house's last reading of this meter
/// before `read_on`, if any: a lower reading is refused unless it is a replacement.
pub fn record(
    id: RecordId,
    site_id: SiteId,
    tz: Tz,
    now: DateTime<Utc>,
    by: &str,
    body: &ReadingBody,
    previous: Option<u64>,
) -> Result<AutoCommit, RuleError> {
    if body.reading > MAX_QUANTITY {
        return Err(RuleError::OutOfRange {
            field: "the reading",
            value: super::show_quantity(body.reading),
            allowed: "at most 1,000,000,000".into(),
        });
    }
    if let Some(before) = previous.filter(|b| body.reading < *b && !body.replacement) {
        return Err(RuleError::OutOfRange {
            field: "the reading",
            value: super::show_quantity(body.reading),
            allowed: format!(
                "at least the previous reading {}; if the meter was replaced, mark it as a replacement",
                super::show_quantity(before)
            ),
        });
    }
    if body.read_on > now.with_timezone(&tz).date_naive() {
        return Err(RuleError::OutOfRange {
            field: "the day read",
            value: body.read_on.to_string(),
            allowed: "today or before".into(),
        });
    }
    let body = ReadingBody {
        house: field_text("house", &body.house, MAX_UNIT_CHARS, true)?,
        reader: field_text("who read it", &body.reader, MAX_NAME_CHARS, true)?,
        ..body.clone()
    };
    crate::body::new_doc(RecordKind::MeterReading, id, site_id, tz, now, by, &body)
}

/// The quantity used between readings, in hundredths: each rise counts, and
/// a replacement starts a new meter (nothing counted across it). `readings`
/// are in the order read.
pub fn used(readings: &[&MeterReading]) -> u64 {
    readings.windows(2).map(|w| if w[1].replacement { 0 } else { w[1].reading.saturating_sub(w[0].reading) }).sum()
}
