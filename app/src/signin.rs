//! Staff sign-in: passwords kept as Argon2id hashes in tables that never sync,
//! a session that lasts one shift, and a wait after repeated failures.
//!
//! A refusal never tells whether the name exists: an unknown name costs the
//! same Argon2 work as a wrong password and gets the same words, and failures
//! are counted for every name typed, known or not.

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use chrono::{DateTime, Utc};
use wuye_node::migrate::{self, Step};
use wuye_node::sql::{self as q, Sql};
use wuye_node::{Cell, Store, StoreError};

use crate::AppError;
use wuye_protocol::ids::StaffId;
use wuye_protocol::time;

/// Shortest password accepted.
pub const MIN_PASSWORD_CHARS: usize = 8;
/// Longest password accepted.
pub const MAX_PASSWORD_CHARS: usize = 128;
/// Longest sign-in name.
pub const MAX_LOGIN_CHARS: usize = 32;
/// How long a sign-in lasts at most: one shift.
pub const SESSION_HOURS: i64 = 12;
/// A session unused for this long ends.
pub const SESSION_IDLE_MINUTES: i64 = 30;
/// A session's last use is written at most this often.
pub const SESSION_SEEN_EVERY_SECONDS: i64 = 60;
/// Failed sign-ins for one name allowed before each further attempt must wait.
pub const FAILURES_BEFORE_DELAY: u32 = 3;
/// The first wait after [`FAILURES_BEFORE_DELAY`] failures; it doubles with each further failure.
pub const FIRST_DELAY_SECONDS: i64 = 15;
/// The longest wait between attempts.
pub const MAX_DELAY_SECONDS: i64 = 15 * 60;

/// The sign-in tables (never synced), step by step (see [`wuye_node::migrate`]).
const SIGNIN_STEPS: &[Step] = &[Step::Sql(LOGIN_TABLES), Step::Sql(SESSION_TABLES)];

/// The sign-in names and the failure counts (SQL both stores read).
pub const LOGIN_TABLES: &str = "CREATE TABLE IF NOT EXISTS logins (
            login TEXT PRIMARY KEY,
            staff_id TEXT NOT NULL,
            hash TEXT NOT NULL,
            changed_at TEXT NOT NULL
        );
        CREATE TABLE IF NOT EXISTS login_failures (
            login TEXT PRIMARY KEY,
            failures INTEGER NOT NULL,
            last_at TEXT NOT NULL
        );";

/// The sessions (SQL both stores read).
pub const SESSION_TABLES: &str = "CREATE TABLE IF NOT EXISTS sessions (
            token_hash TEXT PRIMARY KEY,
            staff_id TEXT NOT NULL,
            started_at TEXT NOT NULL,
            seen_at TEXT NOT NULL,
            ended_at TEXT
        );
        CREATE INDEX IF NOT EXISTS sessions_staff ON sessions (staff_id);";

/// Lays out (or brings up to date) the sign-in tables; run when an agent's folder is opened.
pub fn migrate(store: &Store) -> Result<(), StoreError> {
    migrate::apply(store.conn(), "signin", SIGNIN_STEPS)
}

/// The setting holding the command line's own session token (the command
/// line is one desk; each browser will hold its own token).
const CLI_SESSION: &str = "cli_session";

/// A sign-in name, trimmed and checked: 1 to [`MAX_LOGIN_CHARS`] characters, no spaces.
pub fn check_login(login: &str) -> Result<String, AppError> {
    let login = login.trim();
    if login.is_empty() || login.chars().count() > MAX_LOGIN_CHARS || login.chars().any(char::is_whitespace) {
        return Err(AppError::LoginInvalid);
    }
    Ok(login.to_string())
}

/// Checks a new password: its length, and that it is not blank.
pub fn check_password(password: &str) -> Result<(), AppError> {
    let n = password.chars().count();
    if !(MIN_PASSWORD_CHARS..=MAX_PASSWORD_CHARS).contains(&n) {
        return Err(AppError::PasswordLength { chars: n });
    }
    if password.trim().is_empty() {
        return Err(AppError::PasswordBlank);
    }
    Ok(())
}

fn hash(password: &str) -> Result<String, AppError> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| AppError::Hashing(e.to_string()))
}

fn verify(password: &str, stored: &str) -> bool {
    PasswordHash::new(stored).is_ok_and(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok())
}

/// A hash no known password matches (of 32 random bytes, made once and
/// thrown away), checked for unknown names so that they cost the same one
/// Argon2 computation as known ones, with the same parameters.
const DECOY: &str = "$argon2id$v=19$m=19456,t=2,p=1$gvDSLnayUYQcDoXbr31Bqw$oSasLDc4czd8r7Lmb6EiQUBsGeH7PhmdbK8XGkYBrpM";

/// Who a sign-in name and its sessions belong to: a site's staff member
/// (`StaffId`), or a person at head office. Stored as its text.
pub trait Holder: std::fmt::Display + std::str::FromStr + PartialEq {}

impl Holder for StaffId {}

/// Gives `staff_id` the sign-in name `login` with `password` (or a new
/// password, when the name is already theirs). A name belongs to one person,
/// and names that differ only in case (`Zhou`, `zhou`) are the same name.
pub fn set_password<H: Holder>(
    store: &dyn Sql,
    login: &str,
    staff_id: H,
    password: &str,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let login = check_login(login)?;
    check_password(password)?;
    let existing = stored_login::<H>(store, &login)?;
    if existing.as_ref().is_some_and(|(_, owner)| owner.as_ref() != Some(&staff_id)) {
        return Err(AppError::LoginTaken(login));
    }
    let hashed = hash(password)?;
    // A name already theirs keeps the spelling it was given.
    let login = existing.map_or(login, |(stored, _)| stored);
    store.exec(
        "INSERT INTO logins (login, staff_id, hash, changed_at) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (login) DO UPDATE SET hash = excluded.hash, changed_at = excluded.changed_at",
        &[q::text(login), q::text(staff_id.to_string()), q::text(hashed), q::text(time::to_stored(now))],
    )?;
    Ok(())
}

/// The stored spelling of a sign-in name matching `login` ignoring case, and its owner.
fn stored_login<H: Holder>(store: &dyn Sql, login: &str) -> Result<Option<(String, Option<H>)>, StoreError> {
    let found =
        q::row(store, "SELECT login, staff_id FROM logins WHERE lower(login) = lower(?1)", &[q::text(login.trim())])?;
    Ok(found.and_then(|r| match <[Cell; 2]>::try_from(r) {
        Ok([Cell::Text(login), Cell::Text(owner)]) => Some((login, owner.parse().ok())),
        _ => None,
    }))
}

/// The staff member (or head-office person) who signs in as `login` (ignoring case), if any.
pub fn owner_of<H: Holder>(store: &dyn Sql, login: &str) -> Result<Option<H>, StoreError> {
    Ok(stored_login(store, login)?.and_then(|(_, owner)| owner))
}

/// The sign-in name a staff member has, if any.
pub fn login_of<H: Holder>(store: &dyn Sql, staff_id: &H) -> Result<Option<String>, StoreError> {
    let found = q::row(store, "SELECT login FROM logins WHERE staff_id = ?1", &[q::text(staff_id.to_string())])?;
    Ok(found.and_then(|r| r.first().and_then(Cell::text).map(str::to_string)))
}

/// Failed sign-ins from one browser's address, whatever names were typed,
/// before its attempts must wait: more than for one name, since several
/// people may share a desk PC.
pub const ADDRESS_FAILURES_BEFORE_DELAY: u32 = 10;

/// How long `failures` consecutive failures make the next attempt wait.
pub fn delay_after(failures: u32) -> chrono::Duration {
    delay_after_allowing(failures, FAILURES_BEFORE_DELAY)
}

fn delay_after_allowing(failures: u32, allowed: u32) -> chrono::Duration {
    if failures < allowed {
        return chrono::Duration::zero();
    }
    let doublings = (failures - allowed).min(16);
    chrono::Duration::seconds((FIRST_DELAY_SECONDS << doublings).min(MAX_DELAY_SECONDS))
}

/// Where a sign-in attempt stands once it is counted.
enum Attempt {
    /// Inside the wait after earlier failures: refused without checking the password.
    Waiting { failures: u32, wait_seconds: i64 },
    /// Counted as a failure until the password proves right.
    Counted { failures: u32 },
}

/// Counts an attempt for `key` and decides whether it may be checked, in one
/// write transaction, so that attempts made at the same moment by several
/// processes each see the count the others left: a burst of N wrong
/// passwords counts N, and the wait applies to attempts already in flight.
fn count_attempt(store: &dyn Sql, key: &str, allowed: u32, now: DateTime<Utc>) -> Result<Attempt, StoreError> {
    let mut attempt = None;
    store.write(&mut |tx| {
        let before = q::row(tx, "SELECT failures, last_at FROM login_failures WHERE login = ?1", &[q::text(key)])?;
        let until = before.as_ref().and_then(|r| match r.as_slice() {
            [failures, Cell::Text(last_at)] => Some(
                time::from_stored(last_at).unwrap_or(now).min(now)
                    + delay_after_allowing(u32::try_from(failures.int()).unwrap_or(u32::MAX), allowed),
            ),
            _ => None,
        });
        let failures = |rows: Vec<Vec<Cell>>| {
            rows.first().and_then(|r| r.first()).map_or(1, |n| u32::try_from(n.int()).unwrap_or(u32::MAX))
        };
        attempt = Some(match until {
            Some(until) if now < until => {
                // The wait still runs from the last attempt that was checked.
                let rows = tx.rows(
                    "UPDATE login_failures SET failures = login_failures.failures + 1 WHERE login = ?1
                     RETURNING failures",
                    &[q::text(key)],
                )?;
                Attempt::Waiting { failures: failures(rows), wait_seconds: (until - now).num_seconds().max(1) }
            }
            _ => {
                let rows = tx.rows(
                    "INSERT INTO login_failures (login, failures, last_at) VALUES (?1, 1, ?2)
                     ON CONFLICT (login) DO UPDATE SET failures = login_failures.failures + 1, last_at = excluded.last_at
                     RETURNING failures",
                    &[q::text(key), q::text(time::to_stored(now))],
                )?;
                Attempt::Counted { failures: failures(rows) }
            }
        });
        Ok(())
    })?;
    Ok(attempt.expect("a committed write counted the attempt"))
}

/// Checks `login`'s password, counting a failure; returns the staff member's
/// id. The name is matched ignoring case. A session is opened separately.
pub fn sign_in<H: Holder>(store: &dyn Sql, login: &str, password: &str, now: DateTime<Utc>) -> Result<H, AppError> {
    sign_in_from(store, login, password, None, now)
}

/// [`sign_in`] from a browser at `client` (its address): failures are
/// counted for the name typed at that address and for the address as a
/// whole, so that wrong guesses from one PC make that PC wait, never the
/// person at another desk.
pub fn sign_in_from<H: Holder>(
    store: &dyn Sql,
    login: &str,
    password: &str,
    client: Option<&str>,
    now: DateTime<Utc>,
) -> Result<H, AppError> {
    let key: String = login.trim().chars().take(MAX_LOGIN_CHARS).collect::<String>().to_lowercase();
    let counters = match client {
        None => vec![(key.clone(), FAILURES_BEFORE_DELAY)],
        Some(client) => {
            vec![
                (format!("{key}@{client}"), FAILURES_BEFORE_DELAY),
                (format!("@{client}"), ADDRESS_FAILURES_BEFORE_DELAY),
            ]
        }
    };
    // The wait a wrong password brings: the longest of the counters'.
    let mut wait = chrono::Duration::zero();
    for (counter, allowed) in &counters {
        match count_attempt(store, counter, *allowed, now)? {
            Attempt::Waiting { failures, wait_seconds } => {
                return Err(AppError::SignInWaiting { failures: failures.into(), wait_seconds });
            }
            Attempt::Counted { failures } => wait = wait.max(delay_after_allowing(failures, *allowed)),
        }
    }
    let key = key.as_str();
    let known = q::row(store, "SELECT staff_id, hash FROM logins WHERE lower(login) = lower(?1)", &[q::text(key)])?
        .and_then(|r| match <[Cell; 2]>::try_from(r) {
            Ok([Cell::Text(staff_id), Cell::Text(hash)]) => Some((staff_id, hash)),
            _ => None,
        });
    let matched = match &known {
        Some((_, stored)) => verify(password, stored),
        None => {
            verify(password, DECOY);
            false
        }
    };
    let staff_id = match (matched, known) {
        (true, Some((staff_id, _))) => staff_id.parse::<H>().ok(),
        _ => None,
    };
    let Some(staff_id) = staff_id else {
        return Err(AppError::WrongPassword { wait_seconds: wait.num_seconds().max(0) });
    };
    for (counter, _) in &counters {
        store.exec("DELETE FROM login_failures WHERE login = ?1", &[q::text(counter.as_str())])?;
    }
    Ok(staff_id)
}

/// A session's secret: 256 random bits as hex. Only its SHA-256 is stored.
#[derive(Clone, PartialEq, Eq)]
pub struct SessionToken(String);

impl std::fmt::Debug for SessionToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SessionToken(…)")
    }
}

impl SessionToken {
    /// The token as the holder keeps it (a cookie, the command line's setting).
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// A token given back by its holder.
    pub fn from_holder(text: &str) -> Self {
        Self(text.trim().to_string())
    }

    fn hash(&self) -> String {
        wuye_node::secret::sha256_hex(self.0.as_bytes())
    }
}

/// Opens a session for `staff_id`: many may be open at once at one site, one
/// for each desk or browser. It ends after [`SESSION_IDLE_MINUTES`] unused or
/// [`SESSION_HOURS`] in all, when ended, or when the person is disabled.
pub fn open_session<H: Holder>(store: &dyn Sql, staff_id: &H, now: DateTime<Utc>) -> Result<SessionToken, StoreError> {
    let token = SessionToken(wuye_node::secret::random_hex_256());
    let at = time::to_stored(now);
    store.exec(
        "INSERT INTO sessions (token_hash, staff_id, started_at, seen_at) VALUES (?1, ?2, ?3, ?3)",
        &[q::text(token.hash()), q::text(staff_id.to_string()), q::text(at)],
    )?;
    Ok(token)
}

/// Who holds `token` now, or a refusal that says why the session is over. Its
/// last use is written at most once a minute, and a failure to write it (a
/// full disk) never refuses the holder.
pub fn session_staff<H: Holder>(store: &dyn Sql, token: &SessionToken, now: DateTime<Utc>) -> Result<H, AppError> {
    let row = q::row(
        store,
        "SELECT staff_id, started_at, seen_at, ended_at FROM sessions WHERE token_hash = ?1",
        &[q::text(token.hash())],
    )?;
    let Some(Ok([Cell::Text(staff_id), Cell::Text(started), Cell::Text(seen), ended])) = row.map(<[Cell; 4]>::try_from)
    else {
        return Err(AppError::SessionUnknown);
    };
    let ended = ended.text().map(str::to_string);
    let started = time::from_stored(&started).unwrap_or(now);
    let seen = time::from_stored(&seen).unwrap_or(now);
    if ended.is_some() {
        return Err(AppError::SessionEnded);
    }
    if now >= started + chrono::Duration::hours(SESSION_HOURS) {
        return Err(AppError::SessionTooLong { hours: SESSION_HOURS });
    }
    if now >= seen + chrono::Duration::minutes(SESSION_IDLE_MINUTES) {
        return Err(AppError::SessionIdle { minutes: SESSION_IDLE_MINUTES });
    }
    if now >= seen + chrono::Duration::seconds(SESSION_SEEN_EVERY_SECONDS) {
        if let Err(e) = store.exec(
            "UPDATE sessions SET seen_at = ?1 WHERE token_hash = ?2",
            &[q::text(time::to_stored(now)), q::text(token.hash())],
        ) {
            tracing::warn!("could not note that the session is in use: {e}");
        }
    }
    staff_id
        .parse()
        .map_err(|_| AppError::Storage(StoreError::Corrupt { id: staff_id, reason: "a session's staff id".into() }))
}

/// Ends one session.
pub fn end_session(store: &dyn Sql, token: &SessionToken, now: DateTime<Utc>) -> Result<(), AppError> {
    store.exec(
        "UPDATE sessions SET ended_at = ?1 WHERE token_hash = ?2 AND ended_at IS NULL",
        &[q::text(time::to_stored(now)), q::text(token.hash())],
    )?;
    Ok(())
}

/// Ends every open session of a staff member (disabled, say).
pub fn end_sessions_of<H: Holder>(store: &dyn Sql, staff_id: &H, now: DateTime<Utc>) -> Result<usize, StoreError> {
    store.exec(
        "UPDATE sessions SET ended_at = ?1 WHERE staff_id = ?2 AND ended_at IS NULL",
        &[q::text(time::to_stored(now)), q::text(staff_id.to_string())],
    )
}

/// Starts the command line's session for `staff_id`, ending the one it held.
pub fn start_session(store: &Store, staff_id: StaffId, now: DateTime<Utc>) -> Result<(), AppError> {
    sign_out(store, now)?;
    let token = open_session(store, &staff_id, now)?;
    Ok(store.set_setting(CLI_SESSION, token.as_str())?)
}

/// Ends the command line's session.
pub fn sign_out(store: &Store, now: DateTime<Utc>) -> Result<(), AppError> {
    if let Some(token) = store.setting(CLI_SESSION)? {
        end_session(store, &SessionToken::from_holder(&token), now)?;
        store.delete_setting(CLI_SESSION)?;
    }
    Ok(())
}

/// Who is signed in at the command line now, or a refusal that says how to sign in.
pub fn current<H: Holder>(store: &Store, now: DateTime<Utc>) -> Result<H, AppError> {
    match store.setting(CLI_SESSION)? {
        Some(token) => session_staff(store, &SessionToken::from_holder(&token), now),
        None => Err(AppError::NotSignedIn),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store() -> Store {
        let store = Store::open_in_memory().unwrap();
        migrate(&store).unwrap();
        store
    }

    fn t0() -> DateTime<Utc> {
        time::from_stored("2026-11-27T01:00:00Z").unwrap()
    }

    #[test]
    fn a_right_password_signs_in_and_a_wrong_one_or_an_unknown_name_get_the_same_refusal() {
        let s = store();
        let wang = StaffId::random(&mut rand::thread_rng());
        set_password(&s, "wangfang", wang, "正确的密码123", t0()).unwrap();
        assert!(!s
            .conn()
            .query_row("SELECT hash FROM logins", [], |r| r.get::<_, String>(0))
            .unwrap()
            .contains("正确"));
        assert_eq!(sign_in::<StaffId>(&s, "wangfang", "正确的密码123", t0()).unwrap(), wang);
        start_session(&s, wang, t0()).unwrap();
        assert_eq!(current::<StaffId>(&s, t0()).unwrap(), wang);
        let wrong = sign_in::<StaffId>(&s, "wangfang", "错误的密码123", t0()).unwrap_err().to_string();
        let unknown = sign_in::<StaffId>(&s, "nobody", "错误的密码123", t0()).unwrap_err().to_string();
        assert_eq!(wrong, unknown);
        assert!(wrong.contains("the name or the password is wrong"), "{wrong}");
        sign_out(&s, t0()).unwrap();
        let none = current::<StaffId>(&s, t0()).unwrap_err();
        assert_eq!(none.code(), "session.none");
        let cli = crate::messages::message(&none, crate::messages::Lang::En, crate::messages::Edge::Cli);
        assert!(cli.contains("wuye-agent login"), "{cli}");
    }

    #[test]
    fn the_decoy_is_a_valid_hash_with_the_parameters_real_ones_get() {
        let real = hash("some password").unwrap();
        let params = |h: &str| h.rsplitn(3, '$').nth(2).unwrap().to_string();
        assert_eq!(params(DECOY), params(&real), "the same algorithm and cost");
        assert!(PasswordHash::new(DECOY).is_ok());
    }

    #[test]
    fn repeated_failures_make_the_next_attempt_wait_known_name_or_not() {
        let s = store();
        let wang = StaffId::random(&mut rand::thread_rng());
        set_password(&s, "wangfang", wang, "correct horse", t0()).unwrap();
        for name in ["wangfang", "ghost"] {
            for _ in 0..FAILURES_BEFORE_DELAY {
                sign_in::<StaffId>(&s, name, "wrong password", t0()).unwrap_err();
            }
            let early = t0() + chrono::Duration::seconds(FIRST_DELAY_SECONDS - 1);
            let message = sign_in::<StaffId>(&s, name, "correct horse", early).unwrap_err().to_string();
            assert!(message.contains("wait 1 s"), "{name}: {message}");
        }
        // The attempt made during the wait counted too: the wait doubled, from the last checked attempt.
        let still = t0() + chrono::Duration::seconds(FIRST_DELAY_SECONDS);
        let message = sign_in::<StaffId>(&s, "wangfang", "correct horse", still).unwrap_err().to_string();
        assert!(message.contains("5 failed attempts"), "{message}");
        let later = t0() + delay_after(FAILURES_BEFORE_DELAY + 2);
        assert_eq!(sign_in::<StaffId>(&s, "wangfang", "correct horse", later).unwrap(), wang);
        assert_eq!(delay_after(FAILURES_BEFORE_DELAY + 1).num_seconds(), FIRST_DELAY_SECONDS * 2);
        assert_eq!(delay_after(40).num_seconds(), MAX_DELAY_SECONDS);
    }

    #[test]
    fn failures_from_one_address_make_that_address_wait_not_the_person_at_another() {
        let s = store();
        let zhou = StaffId::random(&mut rand::thread_rng());
        set_password(&s, "zhou", zhou, "correct horse", t0()).unwrap();
        for _ in 0..FAILURES_BEFORE_DELAY {
            sign_in_from::<StaffId>(&s, "zhou", "wrong password", Some("192.168.1.20"), t0()).unwrap_err();
        }
        let e = sign_in_from::<StaffId>(&s, "zhou", "correct horse", Some("192.168.1.20"), t0()).unwrap_err();
        assert_eq!(e.code(), "signin.waiting", "{e}");
        assert_eq!(sign_in_from::<StaffId>(&s, "zhou", "correct horse", Some("192.168.1.21"), t0()).unwrap(), zhou);
        // Many names guessed from one address make the address wait, for any name.
        for i in 0..ADDRESS_FAILURES_BEFORE_DELAY {
            sign_in_from::<StaffId>(&s, &format!("guess{i}"), "wrong password", Some("192.168.1.30"), t0())
                .unwrap_err();
        }
        let e = sign_in_from::<StaffId>(&s, "zhou", "correct horse", Some("192.168.1.30"), t0()).unwrap_err();
        assert_eq!(e.code(), "signin.waiting", "{e}");
        assert_eq!(sign_in_from::<StaffId>(&s, "zhou", "correct horse", Some("192.168.1.21"), t0()).unwrap(), zhou);
    }

    #[test]
    fn several_sessions_at_once_each_end_when_idle_ended_or_their_holder_is_disabled() {
        let s = store();
        let (wang, li) = (StaffId::random(&mut rand::thread_rng()), StaffId::random(&mut rand::thread_rng()));
        let a = open_session(&s, &wang, t0()).unwrap();
        let b = open_session(&s, &li, t0()).unwrap();
        let c = open_session(&s, &wang, t0()).unwrap();
        assert_ne!(a, c, "each desk its own token");
        assert_eq!(session_staff::<StaffId>(&s, &a, t0()).unwrap(), wang);
        assert_eq!(session_staff::<StaffId>(&s, &b, t0()).unwrap(), li);
        let stored: i64 = s
            .conn()
            .query_row("SELECT count(*) FROM sessions WHERE token_hash = ?1", [a.as_str()], |r| r.get(0))
            .unwrap();
        assert_eq!(stored, 0, "the token itself is never stored");
        // b unused for 30 minutes ends; a used at 29 minutes goes on.
        let t29 = t0() + chrono::Duration::minutes(SESSION_IDLE_MINUTES - 1);
        session_staff::<StaffId>(&s, &a, t29).unwrap();
        let t31 = t0() + chrono::Duration::minutes(SESSION_IDLE_MINUTES + 1);
        assert_eq!(session_staff::<StaffId>(&s, &a, t31).unwrap(), wang);
        assert!(session_staff::<StaffId>(&s, &b, t31).unwrap_err().to_string().contains("without use"));
        end_session(&s, &a, t31).unwrap();
        assert!(session_staff::<StaffId>(&s, &a, t31).unwrap_err().to_string().contains("ended"));
        assert_eq!(end_sessions_of(&s, &wang, t31).unwrap(), 1, "c, the one still open");
        assert!(session_staff::<StaffId>(&s, &c, t31).is_err());
        assert!(session_staff::<StaffId>(&s, &SessionToken::from_holder("forged"), t0()).is_err());
    }

    #[test]
    fn a_session_in_use_is_noted_at_most_once_a_minute_and_a_failed_note_refuses_nothing() {
        let s = store();
        let wang = StaffId::random(&mut rand::thread_rng());
        let a = open_session(&s, &wang, t0()).unwrap();
        let seen =
            |s: &Store| -> String { s.conn().query_row("SELECT seen_at FROM sessions", [], |r| r.get(0)).unwrap() };
        let before = seen(&s);
        session_staff::<StaffId>(&s, &a, t0() + chrono::Duration::seconds(30)).unwrap();
        assert_eq!(seen(&s), before, "not written within the minute");
        session_staff::<StaffId>(&s, &a, t0() + chrono::Duration::seconds(90)).unwrap();
        assert_ne!(seen(&s), before);
        s.conn().execute_batch("PRAGMA query_only = ON").unwrap();
        let later = t0() + chrono::Duration::minutes(10);
        assert_eq!(session_staff::<StaffId>(&s, &a, later).unwrap(), wang, "a write that fails refuses nothing");
    }

    #[test]
    fn names_are_unique_ignoring_case_and_blank_passwords_are_refused() {
        let s = store();
        let (zhou, other) = (StaffId::random(&mut rand::thread_rng()), StaffId::random(&mut rand::thread_rng()));
        set_password(&s, "zhou", zhou, "correct horse", t0()).unwrap();
        let e = set_password(&s, "Zhou", other, "another one", t0()).unwrap_err().to_string();
        assert!(e.contains("taken"), "{e}");
        set_password(&s, "ZHOU", zhou, "new password", t0()).unwrap();
        let count: i64 = s.conn().query_row("SELECT count(*) FROM logins", [], |r| r.get(0)).unwrap();
        assert_eq!(count, 1, "the same name, whatever its case");
        assert_eq!(sign_in::<StaffId>(&s, "Zhou", "new password", t0()).unwrap(), zhou);
        let e = check_password("        ").unwrap_err().to_string();
        assert!(e.contains("only spaces"), "{e}");
    }

    #[test]
    fn a_session_ends_after_a_shift_and_names_and_passwords_are_checked() {
        let s = store();
        let wang = StaffId::random(&mut rand::thread_rng());
        let li = StaffId::random(&mut rand::thread_rng());
        set_password(&s, "wangfang", wang, "correct horse", t0()).unwrap();
        sign_in::<StaffId>(&s, "wangfang", "correct horse", t0()).unwrap();
        start_session(&s, wang, t0()).unwrap();
        // Used every 20 minutes, it lasts the shift and no longer.
        let mut at = t0();
        while at + chrono::Duration::minutes(20) < t0() + chrono::Duration::hours(SESSION_HOURS) {
            at += chrono::Duration::minutes(20);
            assert_eq!(current::<StaffId>(&s, at).unwrap(), wang, "{at}");
        }
        let late = t0() + chrono::Duration::hours(SESSION_HOURS);
        assert!(current::<StaffId>(&s, late).unwrap_err().to_string().contains("12 hours"));
        assert!(set_password(&s, "wangfang", li, "another one", t0()).unwrap_err().to_string().contains("taken"));
        assert!(set_password(&s, "li na", li, "another one", t0()).is_err());
        assert!(set_password(&s, "lina", li, "short", t0()).unwrap_err().to_string().contains("8 to 128"));
    }
}
