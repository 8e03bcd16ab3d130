//! The error every operation of the application layer returns: what went
//! wrong as a typed value with a stable code and the values its message
//! names. The words people read are chosen at the edge, by code and
//! language, from [`crate::messages`]; `Display` gives the plain English.

use wuye_node::StoreError;
use wuye_protocol::rules::RuleError;

/// Why an operation was refused or failed.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// A domain rule refused the step or the input.
    #[error("{}", crate::messages::plain(self))]
    Rule(RuleError),
    /// No record of this kind has this id.
    #[error("{}", crate::messages::plain(self))]
    NotFound {
        /// What was looked for ("complaint", "repair work order", …).
        kind: &'static str,
        /// The id or prefix given.
        id: String,
    },
    /// An id prefix matches more than one record.
    #[error("{}", crate::messages::plain(self))]
    Ambiguous(String),
    /// An id prefix is too short to look up.
    #[error("{}", crate::messages::plain(self))]
    PrefixTooShort(String),
    /// A sign-in name is empty, too long or holds spaces.
    #[error("{}", crate::messages::plain(self))]
    LoginInvalid,
    /// A new password is too short or too long.
    #[error("{}", crate::messages::plain(self))]
    PasswordLength {
        /// How many characters it has.
        chars: usize,
    },
    /// A new password is only spaces.
    #[error("{}", crate::messages::plain(self))]
    PasswordBlank,
    /// A sign-in name belongs to someone else.
    #[error("{}", crate::messages::plain(self))]
    LoginTaken(String),
    /// Nobody signs in with this name.
    #[error("{}", crate::messages::plain(self))]
    UnknownLogin(String),
    /// Too many failed attempts for this name: wait.
    #[error("{}", crate::messages::plain(self))]
    SignInWaiting {
        /// Failed attempts counted.
        failures: i64,
        /// Seconds to wait.
        wait_seconds: i64,
    },
    /// The name or the password is wrong (which is not said).
    #[error("{}", crate::messages::plain(self))]
    WrongPassword {
        /// Seconds to wait before the next try (0: none).
        wait_seconds: i64,
    },
    /// Nobody is signed in at this desk.
    #[error("{}", crate::messages::plain(self))]
    NotSignedIn,
    /// The session token is not one this site issued.
    #[error("{}", crate::messages::plain(self))]
    SessionUnknown,
    /// The session was ended (signed out, or the person disabled).
    #[error("{}", crate::messages::plain(self))]
    SessionEnded,
    /// The session reached the length of a shift.
    #[error("{}", crate::messages::plain(self))]
    SessionTooLong {
        /// The longest a session lasts, in hours.
        hours: i64,
    },
    /// The session went unused too long.
    #[error("{}", crate::messages::plain(self))]
    SessionIdle {
        /// The longest a session may go unused, in minutes.
        minutes: i64,
    },
    /// The signed-in staff member's record is gone.
    #[error("{}", crate::messages::plain(self))]
    StaffGone,
    /// The signed-in person was disabled meanwhile; they are signed out.
    #[error("{}", crate::messages::plain(self))]
    Disabled {
        /// Their name.
        name: String,
    },
    /// A disabled person tried to sign in.
    #[error("{}", crate::messages::plain(self))]
    SignInDisabled {
        /// Their name.
        name: String,
    },
    /// Nobody disables themselves.
    #[error("{}", crate::messages::plain(self))]
    CannotDisableSelf,
    /// A complaint category this site does not use.
    #[error("{}", crate::messages::plain(self))]
    UnknownCategory(String),
    /// A password could not be hashed.
    #[error("{}", crate::messages::plain(self))]
    Hashing(String),
    /// Text that is not an id of the kind asked for.
    #[error("{}", crate::messages::plain(self))]
    BadId {
        /// What kind of id ("site", "record", …).
        what: &'static str,
        /// What was given.
        value: String,
    },
    /// Text that is not a date.
    #[error("{}", crate::messages::plain(self))]
    BadDate(String),
    /// Text that is not a time of day on a date, or a local time a clock change skips.
    #[error("{}", crate::messages::plain(self))]
    BadTime(String),
    /// No site with this id is registered at head office.
    #[error("{}", crate::messages::plain(self))]
    UnknownSite(String),
    /// Not an address to listen on.
    #[error("{}", crate::messages::plain(self))]
    ListenInvalid(String),
    /// The address to listen on is taken or not allowed.
    #[error("{}", crate::messages::plain(self))]
    CannotListen {
        /// The address.
        addr: String,
        /// Why, in the operating system's words.
        detail: String,
    },
    /// No next certificate has been made to switch to.
    #[error("{}", crate::messages::plain(self))]
    NoCertWaiting,
    /// The next certificate's file is not the one announced.
    #[error("{}", crate::messages::plain(self))]
    CertMismatch {
        /// The file.
        file: &'static str,
        /// The fingerprint announced.
        fingerprint: String,
    },
    /// Sites that do not hold the next certificate's fingerprint yet.
    #[error("{}", crate::messages::plain(self))]
    SitesLackingCert {
        /// The sites, named with their ids.
        names: Vec<String>,
    },
    /// Not a head-office role.
    #[error("{}", crate::messages::plain(self))]
    RoleInvalid(String),
    /// A regional manager must be given the sites they look after.
    #[error("{}", crate::messages::plain(self))]
    SitesNeeded,
    /// The head-office person's role does not allow this.
    #[error("{}", crate::messages::plain(self))]
    NotAllowed {
        /// What was tried (`decide`, `users`, …).
        action: &'static str,
        /// The roles that may.
        allowed: &'static str,
    },
    /// A regional manager asked for a site that is not theirs.
    #[error("{}", crate::messages::plain(self))]
    NotYourSite(String),
    /// A setting's value is wrong; the words say which and what to give.
    #[error("{}", crate::messages::plain(self))]
    InvalidSetting(String),
    /// A sheet to import was refused whole; each problem names its row and column.
    #[error("{}", crate::messages::plain(self))]
    ImportRefused {
        /// What is wrong, by row and column.
        problems: Vec<String>,
    },
    /// A month that is not YYYY-MM, or a week that is not YYYY-Www.
    #[error("{}", crate::messages::plain(self))]
    BadPeriod(String),
    /// The storage failed (a full disk, a damaged file, a newer layout).
    #[error(transparent)]
    Storage(StoreError),
}

impl AppError {
    /// The stable code front ends choose words by.
    pub fn code(&self) -> &'static str {
        match self {
            AppError::Rule(rule) => rule.code(),
            AppError::NotFound { .. } => "not_found",
            AppError::Ambiguous(_) => "ambiguous",
            AppError::PrefixTooShort(_) => "prefix_too_short",
            AppError::LoginInvalid => "signin.login_invalid",
            AppError::PasswordLength { .. } => "signin.password_length",
            AppError::PasswordBlank => "signin.password_blank",
            AppError::LoginTaken(_) => "signin.login_taken",
            AppError::UnknownLogin(_) => "signin.unknown_login",
            AppError::SignInWaiting { .. } => "signin.waiting",
            AppError::WrongPassword { wait_seconds: 0 } => "signin.wrong",
            AppError::WrongPassword { .. } => "signin.wrong_wait",
            AppError::NotSignedIn => "session.none",
            AppError::SessionUnknown => "session.unknown",
            AppError::SessionEnded => "session.ended",
            AppError::SessionTooLong { .. } => "session.too_long",
            AppError::SessionIdle { .. } => "session.idle",
            AppError::StaffGone => "staff.gone",
            AppError::Disabled { .. } => "staff.disabled_signed_out",
            AppError::SignInDisabled { .. } => "signin.disabled",
            AppError::CannotDisableSelf => "staff.disable_self",
            AppError::UnknownCategory(_) => "complaint.unknown_category",
            AppError::Hashing(_) => "signin.hashing",
            AppError::Storage(_) => "storage",
            AppError::BadId { .. } => "bad_id",
            AppError::UnknownSite(_) => "site.unknown",
            AppError::BadDate(_) => "input.bad_date",
            AppError::BadTime(_) => "input.bad_time",
            AppError::ListenInvalid(_) => "server.listen_invalid",
            AppError::CannotListen { .. } => "server.cannot_listen",
            AppError::NoCertWaiting => "cert.none_waiting",
            AppError::CertMismatch { .. } => "cert.mismatch",
            AppError::SitesLackingCert { .. } => "cert.sites_lacking",
            AppError::RoleInvalid(_) => "hq.role_invalid",
            AppError::SitesNeeded => "hq.sites_needed",
            AppError::NotAllowed { .. } => "hq.not_allowed",
            AppError::NotYourSite(_) => "hq.not_your_site",
            AppError::BadPeriod(_) => "input.bad_period",
            AppError::InvalidSetting(_) => "input.invalid_setting",
            AppError::ImportRefused { .. } => "import.refused",
        }
    }

    /// The values its message names, by placeholder.
    pub fn params(&self) -> Vec<(&'static str, String)> {
        use wuye_protocol::text::echo;
        match self {
            AppError::Rule(rule) => rule.params(),
            AppError::NotFound { kind, id } => vec![("kind", kind.to_string()), ("id", echo(id))],
            AppError::Ambiguous(id) | AppError::PrefixTooShort(id) => {
                vec![("id", echo(id)), ("min", wuye_node::store::MIN_ID_PREFIX_CHARS.to_string())]
            }
            AppError::LoginInvalid => vec![("max", crate::signin::MAX_LOGIN_CHARS.to_string())],
            AppError::PasswordLength { chars } => vec![
                ("chars", chars.to_string()),
                ("min", crate::signin::MIN_PASSWORD_CHARS.to_string()),
                ("max", crate::signin::MAX_PASSWORD_CHARS.to_string()),
            ],
            AppError::LoginTaken(login) | AppError::UnknownLogin(login) => vec![("login", echo(login))],
            AppError::SignInWaiting { failures, wait_seconds } => {
                vec![("failures", failures.to_string()), ("wait", wait_seconds.to_string())]
            }
            AppError::WrongPassword { wait_seconds } => vec![("wait", wait_seconds.to_string())],
            AppError::SessionTooLong { hours } => vec![("hours", hours.to_string())],
            AppError::SessionIdle { minutes } => vec![("minutes", minutes.to_string())],
            AppError::Disabled { name } | AppError::SignInDisabled { name } => vec![("name", name.clone())],
            AppError::UnknownCategory(value) => vec![("value", echo(value))],
            AppError::Hashing(detail) => vec![("detail", detail.clone())],
            AppError::Storage(e) => vec![("detail", e.to_string())],
            AppError::BadId { what, value } => vec![("what", what.to_string()), ("value", echo(value))],
            AppError::UnknownSite(value)
            | AppError::ListenInvalid(value)
            | AppError::BadDate(value)
            | AppError::BadTime(value)
            | AppError::RoleInvalid(value)
            | AppError::NotYourSite(value)
            | AppError::BadPeriod(value) => {
                vec![("value", echo(value))]
            }
            AppError::InvalidSetting(words) => vec![("words", words.clone())],
            AppError::ImportRefused { problems } => {
                vec![("count", problems.len().to_string()), ("problems", problems.join("; "))]
            }
            AppError::CannotListen { addr, detail } => vec![("addr", echo(addr)), ("detail", detail.clone())],
            AppError::CertMismatch { file, fingerprint } => {
                vec![("file", file.to_string()), ("fingerprint", fingerprint.clone())]
            }
            AppError::SitesLackingCert { names } => {
                vec![("count", names.len().to_string()), ("names", names.join(", "))]
            }
            AppError::PasswordBlank
            | AppError::NotSignedIn
            | AppError::SessionUnknown
            | AppError::SessionEnded
            | AppError::StaffGone
            | AppError::CannotDisableSelf
            | AppError::SitesNeeded
            | AppError::NoCertWaiting => Vec::new(),
            AppError::NotAllowed { action, allowed } => {
                vec![("action", action.to_string()), ("allowed", allowed.to_string())]
            }
        }
    }

    /// Whether the storage under the operation failed (rather than a rule or the input).
    pub fn is_storage(&self) -> bool {
        matches!(self, AppError::Storage(_))
    }
}

impl AppError {
    /// The coded error a store's error stands for (not found, a rule, …);
    /// `None` for a failure of the storage itself.
    pub fn coded(e: &StoreError) -> Option<AppError> {
        Some(match e {
            StoreError::NotFound { kind, id } => AppError::NotFound { kind, id: id.clone() },
            StoreError::Ambiguous(id) => AppError::Ambiguous(id.clone()),
            StoreError::PrefixTooShort(id) => AppError::PrefixTooShort(id.clone()),
            StoreError::Rule(rule) => AppError::Rule(rule.clone()),
            _ => return None,
        })
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        AppError::coded(&e).unwrap_or(AppError::Storage(e))
    }
}

impl From<wuye_protocol::ids::IdParseError> for AppError {
    fn from(e: wuye_protocol::ids::IdParseError) -> Self {
        AppError::BadId { what: e.what, value: e.input }
    }
}

impl From<RuleError> for AppError {
    fn from(e: RuleError) -> Self {
        AppError::Rule(e)
    }
}

impl From<rusqlite::Error> for AppError {
    fn from(e: rusqlite::Error) -> Self {
        AppError::Storage(StoreError::Sqlite(e))
    }
}

impl From<wuye_protocol::doc::DocError> for AppError {
    fn from(e: wuye_protocol::doc::DocError) -> Self {
        AppError::Rule(RuleError::Document(e))
    }
}
