//! Id newtypes: one type per concept, all random UUIDs shown as lowercase hex.

use std::fmt;
use std::str::FromStr;

use rand::RngCore;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The error for a string that is not a valid id.
#[derive(Debug, thiserror::Error)]
#[error(
    "'{}' is not a valid {what} id: expected a UUID such as 1b4e28ba-2fa1-11d2-883f-0016d3cca427",
    crate::text::echo(input)
)]
pub struct IdParseError {
    /// What kind of id was expected.
    pub what: &'static str,
    /// The text that failed to parse (cut to a sane length).
    pub input: String,
}

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident, $what:literal) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(Uuid);

        impl $name {
            /// A new random id drawn from the given generator.
            pub fn random(rng: &mut impl RngCore) -> Self {
                let mut bytes = [0u8; 16];
                rng.fill_bytes(&mut bytes);
                Self(uuid::Builder::from_random_bytes(bytes).into_uuid())
            }

            /// An id computed from `parts` (a version-8 UUID of their SHA-256):
            /// the same parts give the same id wherever it is computed.
            pub fn derived(parts: &[&[u8]]) -> Self {
                use sha2::Digest;
                let mut hash = sha2::Sha256::new();
                for part in parts {
                    hash.update((part.len() as u64).to_le_bytes());
                    hash.update(part);
                }
                let digest = hash.finalize();
                let mut bytes = [0u8; 16];
                bytes.copy_from_slice(&digest[..16]);
                Self(uuid::Builder::from_custom_bytes(bytes).into_uuid())
            }

            /// The id's 16 raw bytes.
            pub fn as_bytes(&self) -> &[u8; 16] {
                self.0.as_bytes()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0.hyphenated(), f)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self.0.hyphenated())
            }
        }

        impl FromStr for $name {
            type Err = IdParseError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s.trim()).map(Self).map_err(|_| IdParseError {
                    what: $what,
                    input: s.chars().take(64).collect(),
                })
            }
        }
    };
}

id_type!(
    /// A site (项目/小区), the office that owns its records.
    SiteId,
    "site"
);
id_type!(
    /// One record: one Automerge document (a complaint, a work order, ...).
    RecordId,
    "record"
);
id_type!(
    /// One event in a record's workflow list; breaks ties between events made at the same instant.
    EventId,
    "event"
);
id_type!(
    /// A staff member (员工): the id of their staff record, named as a person
    /// wherever one is meant (who is on duty, who is signed in).
    StaffId,
    "staff"
);

impl StaffId {
    /// The staff member whose staff record is `record`.
    pub fn of(record: RecordId) -> Self {
        Self(record.0)
    }

    /// Their staff record.
    pub fn record(self) -> RecordId {
        RecordId(self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_through_text() {
        let mut rng = rand::thread_rng();
        let id = RecordId::random(&mut rng);
        let parsed: RecordId = id.to_string().parse().unwrap();
        assert_eq!(id, parsed);
    }

    #[test]
    fn bad_id_says_what_was_expected() {
        let err = "投诉-1".parse::<SiteId>().unwrap_err();
        assert!(err.to_string().contains("not a valid site id"), "{err}");
    }
}
