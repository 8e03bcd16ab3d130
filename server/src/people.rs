//! Head office's people: who may sign in to the dashboard, with which role,
//! for which sites. Passwords (Argon2id) and sessions are the application
//! layer's sign-in tables (`wuye_app::signin`), the same code the sites use,
//! held here for a head-office person instead of a staff member. Every
//! head-office action names its person, and what an administrator does to
//! people, sites and credentials is written to `hq_actions`.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use rand::RngCore;
use serde::Serialize;
use wuye_app::signin::{self, Holder, SessionToken};
use wuye_app::AppError;
use wuye_node::migrate::{self, Step};
use wuye_node::sql::{self as q, Sql};
use wuye_node::{Cell, Store, StoreError};
use wuye_protocol::ids::SiteId;
use wuye_protocol::time;

/// Longest name of a head-office person, in characters.
pub const MAX_PERSON_NAME_CHARS: usize = 50;

/// The head-office people tables (never synced).
const PEOPLE_STEPS: &[Step] = &[Step::Sql(PEOPLE_TABLES)];

/// Head office's people and its record of its own actions (SQL both stores read).
pub const PEOPLE_TABLES: &str = "CREATE TABLE IF NOT EXISTS hq_users (
        id TEXT PRIMARY KEY,
        login TEXT NOT NULL,
        name TEXT NOT NULL,
        role TEXT NOT NULL,
        sites TEXT NOT NULL,
        created_at TEXT NOT NULL,
        created_by TEXT NOT NULL,
        disabled_at TEXT
    );
    CREATE TABLE IF NOT EXISTS hq_actions (
        at TEXT NOT NULL,
        \"by\" TEXT NOT NULL,
        action TEXT NOT NULL,
        target TEXT NOT NULL
    );";

/// Lays out (or brings up to date) head office's people tables and the sign-in tables.
pub fn migrate(store: &Store) -> Result<(), StoreError> {
    signin::migrate(store)?;
    migrate::apply(store.conn(), "hq_people", PEOPLE_STEPS)
}

/// A head-office person's id: `hq-` and 16 hex digits.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct UserId(String);

impl fmt::Display for UserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for UserId {
    type Err = ();

    fn from_str(s: &str) -> Result<Self, ()> {
        let hex = s.strip_prefix("hq-").ok_or(())?;
        (hex.len() == 16 && hex.bytes().all(|b| b.is_ascii_hexdigit())).then(|| UserId(s.to_string())).ok_or(())
    }
}

impl Holder for UserId {}

/// What a head-office person is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// 管理员: people, sites, credentials and the certificate.
    Admin,
    /// 经理: every site; decides major complaints.
    Manager,
    /// 品质部: every site; notes and exports.
    Quality,
    /// 区域经理: only their sites; notes and exports.
    Regional,
}

impl Role {
    /// Every role.
    pub const ALL: [Role; 4] = [Role::Admin, Role::Manager, Role::Quality, Role::Regional];

    /// The role's name on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Manager => "manager",
            Role::Quality => "quality",
            Role::Regional => "regional",
        }
    }

    /// The role as head office calls it.
    pub fn label(self) -> &'static str {
        match self {
            Role::Admin => "管理员",
            Role::Manager => "经理",
            Role::Quality => "品质部",
            Role::Regional => "区域经理",
        }
    }

    /// A role by its name.
    pub fn parse(text: &str) -> Result<Self, AppError> {
        Self::ALL.into_iter().find(|r| r.as_str() == text.trim()).ok_or_else(|| AppError::RoleInvalid(text.into()))
    }
}

/// What a head-office person may do, by role.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Act {
    /// Add and disable head-office people.
    ManageUsers,
    /// Register, revoke and rotate sites; the certificate.
    ManageSites,
    /// Decide major complaints.
    Decide,
    /// Head-office notes on complaints and work orders.
    Note,
    /// Export reports.
    Export,
    /// Publish the company-wide settings.
    Publish,
}

impl Act {
    /// The action in words, for a refusal.
    fn words(self) -> &'static str {
        match self {
            Act::ManageUsers => "manage head-office users",
            Act::ManageSites => "manage sites and their credentials",
            Act::Decide => "decide major complaints",
            Act::Note => "add head-office notes",
            Act::Export => "export reports",
            Act::Publish => "publish company-wide settings",
        }
    }

    /// The roles that may, in words.
    fn allowed(self) -> &'static str {
        match self {
            Act::ManageUsers | Act::ManageSites => "管理员 admin",
            Act::Decide => "经理 manager",
            Act::Note | Act::Export => "经理 manager, 品质部 quality, 区域经理 regional",
            Act::Publish => "管理员 admin, 经理 manager",
        }
    }
}

/// Whether `role` may do `act`.
pub fn allowed(role: Role, act: Act) -> bool {
    match act {
        Act::ManageUsers | Act::ManageSites => role == Role::Admin,
        Act::Decide => role == Role::Manager,
        Act::Note | Act::Export => matches!(role, Role::Manager | Role::Quality | Role::Regional),
        Act::Publish => matches!(role, Role::Admin | Role::Manager),
    }
}

/// A head-office person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct User {
    /// Their id.
    pub id: UserId,
    /// Their sign-in name.
    pub login: String,
    /// Their name, as it appears on what they do.
    pub name: String,
    /// Their role.
    pub role: Role,
    /// The sites a regional manager looks after (empty for other roles: every site).
    pub sites: Vec<SiteId>,
    /// When they were disabled, if they were.
    pub disabled_at: Option<String>,
}

impl User {
    /// Whether this person sees `site`.
    pub fn sees(&self, site: SiteId) -> bool {
        self.role != Role::Regional || self.sites.contains(&site)
    }

    /// The sites this person is limited to (`None`: every site).
    pub fn scope(&self) -> Option<&[SiteId]> {
        (self.role == Role::Regional).then_some(self.sites.as_slice())
    }

    /// Refuses what the role does not allow.
    pub fn may(&self, act: Act) -> Result<(), AppError> {
        if allowed(self.role, act) {
            Ok(())
        } else {
            Err(AppError::NotAllowed { action: act.words(), allowed: act.allowed() })
        }
    }

    /// Refuses a site this person does not see.
    pub fn may_see(&self, site: SiteId) -> Result<(), AppError> {
        if self.sees(site) {
            Ok(())
        } else {
            Err(AppError::NotYourSite(site.to_string()))
        }
    }

    /// How their name is written on a record: `王总（经理）`.
    pub fn signature(&self) -> String {
        format!("{}（总部{}）", self.name, self.role.label())
    }
}

/// Who acts at head office: a person signed in to the dashboard, or the
/// operator of the server's machine at its command line (who may do
/// everything, and names who they act for).
#[derive(Debug, Clone)]
pub enum Actor {
    /// A person signed in.
    Person(User),
    /// The command line, acting for the name given.
    CommandLine(String),
}

impl Actor {
    /// Refuses what the actor may not do.
    pub fn may(&self, act: Act) -> Result<(), AppError> {
        match self {
            Actor::Person(user) => user.may(act),
            Actor::CommandLine(_) => Ok(()),
        }
    }

    /// Refuses a site the actor does not see.
    pub fn may_see(&self, site: SiteId) -> Result<(), AppError> {
        match self {
            Actor::Person(user) => user.may_see(site),
            Actor::CommandLine(_) => Ok(()),
        }
    }

    /// How the actor is written on a record and in `hq_actions`.
    pub fn signature(&self) -> String {
        match self {
            Actor::Person(user) => user.signature(),
            Actor::CommandLine(name) => format!("{name}（总部命令行）"),
        }
    }
}

/// What `user add` is given.
#[derive(Debug, Clone)]
pub struct NewUser {
    /// Their name.
    pub name: String,
    /// Their sign-in name.
    pub login: String,
    /// Their role.
    pub role: Role,
    /// A regional manager's sites.
    pub sites: Vec<SiteId>,
}

fn to_user(row: Vec<Cell>) -> Result<User, StoreError> {
    let text = |i: usize| row.get(i).and_then(Cell::text).unwrap_or_default().to_string();
    let id = text(0);
    let corrupt = |reason: &str| StoreError::Corrupt { id: id.clone(), reason: reason.into() };
    Ok(User {
        id: id.parse().map_err(|_| corrupt("a head-office person's id"))?,
        login: text(1),
        name: text(2),
        role: Role::parse(&text(3)).map_err(|_| corrupt("a head-office role"))?,
        sites: text(4).split(',').filter(|s| !s.is_empty()).filter_map(|s| s.parse().ok()).collect(),
        disabled_at: row.get(5).and_then(Cell::text).map(str::to_string),
    })
}

const USER_COLUMNS: &str = "id, login, name, role, sites, disabled_at";

/// Every head-office person, by sign-in name.
pub fn users(store: &dyn Sql) -> Result<Vec<User>, StoreError> {
    store
        .rows(&format!("SELECT {USER_COLUMNS} FROM hq_users ORDER BY lower(login), login"), &[])?
        .into_iter()
        .map(to_user)
        .collect()
}

/// One person by id.
pub fn user(store: &dyn Sql, id: &UserId) -> Result<Option<User>, StoreError> {
    q::row(store, &format!("SELECT {USER_COLUMNS} FROM hq_users WHERE id = ?1"), &[q::text(id.to_string())])?
        .map(to_user)
        .transpose()
}

fn by_login(store: &dyn Sql, login: &str) -> Result<User, AppError> {
    let row = q::row(
        store,
        &format!("SELECT {USER_COLUMNS} FROM hq_users WHERE lower(login) = lower(?1)"),
        &[q::text(login.trim())],
    )?;
    row.map(to_user).transpose()?.ok_or_else(|| AppError::UnknownLogin(login.into()))
}

/// Notes what `by` did, for head office's record of its own actions.
pub fn record_action(
    store: &dyn Sql,
    by: &Actor,
    action: &str,
    target: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    write_action(store, &time::to_stored(now), &by.signature(), action, target)
}

/// Writes one row of `hq_actions`: when (stored form), by whom (a signature), what, to what.
pub fn write_action(store: &dyn Sql, at: &str, by: &str, action: &str, target: &str) -> Result<(), StoreError> {
    store.exec(
        "INSERT INTO hq_actions (at, \"by\", action, target) VALUES (?1, ?2, ?3, ?4)",
        &[q::text(at), q::text(by), q::text(action), q::text(target)],
    )?;
    Ok(())
}

/// Adds a head-office person with a password.
pub fn add_user(
    store: &dyn Sql,
    by: &Actor,
    new: &NewUser,
    password: &str,
    known_sites: &[SiteId],
    now: DateTime<Utc>,
) -> Result<User, AppError> {
    by.may(Act::ManageUsers)?;
    let login = signin::check_login(&new.login)?;
    signin::check_password(password)?;
    let name = wuye_protocol::rules::field_text("the name", &new.name, MAX_PERSON_NAME_CHARS, true)?;
    if new.role == Role::Regional && new.sites.is_empty() {
        return Err(AppError::SitesNeeded);
    }
    if let Some(unknown) = new.sites.iter().find(|s| !known_sites.contains(s)) {
        return Err(AppError::UnknownSite(unknown.to_string()));
    }
    if signin::owner_of::<UserId>(store, &login)?.is_some() {
        return Err(AppError::LoginTaken(login));
    }
    let mut bytes = [0u8; 8];
    rand::thread_rng().fill_bytes(&mut bytes);
    let id = UserId(format!("hq-{}", hex::encode(bytes)));
    let sites = match new.role {
        Role::Regional => new.sites.iter().map(SiteId::to_string).collect::<Vec<_>>().join(","),
        _ => String::new(),
    };
    store.exec(
        "INSERT INTO hq_users (id, login, name, role, sites, created_at, created_by) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        &[
            q::text(id.to_string()),
            q::text(login.as_str()),
            q::text(name),
            q::text(new.role.as_str()),
            q::text(sites),
            q::text(time::to_stored(now)),
            q::text(by.signature()),
        ],
    )?;
    signin::set_password(store, &login, id.clone(), password, now)?;
    record_action(store, by, "user add", &format!("{login} ({})", new.role.as_str()), now)?;
    Ok(user(store, &id)?.expect("the person was just added"))
}

/// Disables a person: their sessions end and they cannot sign in again.
pub fn disable_user(store: &dyn Sql, by: &Actor, login: &str, now: DateTime<Utc>) -> Result<User, AppError> {
    by.may(Act::ManageUsers)?;
    let user = by_login(store, login)?;
    if let Actor::Person(me) = by {
        if me.id == user.id {
            return Err(AppError::CannotDisableSelf);
        }
    }
    store.exec(
        "UPDATE hq_users SET disabled_at = coalesce(disabled_at, ?1) WHERE id = ?2",
        &[q::text(time::to_stored(now)), q::text(user.id.to_string())],
    )?;
    signin::end_sessions_of(store, &user.id, now)?;
    record_action(store, by, "user disable", &user.login, now)?;
    Ok(self::user(store, &user.id)?.expect("the person is on record"))
}

/// Signs a person in from a browser at `client`; a new session for that browser.
pub fn sign_in(
    store: &dyn Sql,
    login: &str,
    password: &str,
    client: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(User, SessionToken), AppError> {
    let id: UserId = signin::sign_in_from(store, login, password, client, now)?;
    let user = user(store, &id)?.ok_or(AppError::StaffGone)?;
    if user.disabled_at.is_some() {
        return Err(AppError::SignInDisabled { name: user.name });
    }
    let token = signin::open_session(store, &user.id, now)?;
    Ok((user, token))
}

/// Who holds a session now.
pub fn acting(store: &dyn Sql, token: &SessionToken, now: DateTime<Utc>) -> Result<User, AppError> {
    let id: UserId = signin::session_staff(store, token, now)?;
    let user = user(store, &id)?.ok_or(AppError::StaffGone)?;
    if user.disabled_at.is_some() {
        signin::end_sessions_of(store, &user.id, now)?;
        return Err(AppError::Disabled { name: user.name });
    }
    Ok(user)
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
        "2026-11-29T02:00:00Z".parse().unwrap()
    }

    fn operator() -> Actor {
        Actor::CommandLine("运维".into())
    }

    #[test]
    fn roles_allow_what_the_issue_gives_them_and_regional_managers_see_only_their_sites() {
        let site_a = SiteId::random(&mut rand::thread_rng());
        let site_b = SiteId::random(&mut rand::thread_rng());
        let s = store();
        let new =
            |login: &str, role, sites: Vec<SiteId>| NewUser { name: login.into(), login: login.into(), role, sites };
        let admin =
            add_user(&s, &operator(), &new("admin", Role::Admin, vec![]), "管理员的密码123", &[site_a], t0()).unwrap();
        let by_admin = Actor::Person(admin.clone());
        let li = add_user(
            &s,
            &by_admin,
            &new("li", Role::Regional, vec![site_a]),
            "区域经理密码123",
            &[site_a, site_b],
            t0(),
        )
        .unwrap();
        assert!(li.sees(site_a) && !li.sees(site_b));
        assert!(matches!(li.may_see(site_b), Err(AppError::NotYourSite(_))));
        assert!(li.may(Act::Export).is_ok() && li.may(Act::Note).is_ok());
        assert!(matches!(li.may(Act::Decide), Err(AppError::NotAllowed { .. })));
        let by_li = Actor::Person(li.clone());
        assert!(matches!(
            add_user(&s, &by_li, &new("x", Role::Admin, vec![]), "whatever123", &[], t0()),
            Err(AppError::NotAllowed { .. })
        ));
        assert!(matches!(
            add_user(&s, &by_admin, &new("y", Role::Regional, vec![]), "whatever123", &[], t0()),
            Err(AppError::SitesNeeded)
        ));
        assert!(matches!(
            add_user(&s, &by_admin, &new("LI", Role::Quality, vec![]), "whatever123", &[], t0()),
            Err(AppError::LoginTaken(_))
        ));
        let manager = add_user(&s, &by_admin, &new("zhou", Role::Manager, vec![]), "经理的密码123", &[], t0()).unwrap();
        assert!(manager.sees(site_b) && manager.may(Act::Decide).is_ok() && manager.may(Act::ManageUsers).is_err());
        assert!(admin.may(Act::Decide).is_err(), "an administrator runs the system, not the complaints");
    }

    #[test]
    fn a_disabled_person_is_signed_out_and_cannot_sign_in_again() {
        let s = store();
        let new = NewUser { name: "周经理".into(), login: "zhou".into(), role: Role::Manager, sites: vec![] };
        add_user(&s, &operator(), &new, "经理的密码123", &[], t0()).unwrap();
        let (user, token) = sign_in(&s, "Zhou", "经理的密码123", Some("127.0.0.1"), t0()).unwrap();
        assert_eq!(acting(&s, &token, t0()).unwrap(), user);
        assert!(matches!(sign_in(&s, "zhou", "wrong password", None, t0()), Err(AppError::WrongPassword { .. })));
        disable_user(&s, &operator(), "zhou", t0()).unwrap();
        assert!(acting(&s, &token, t0()).is_err());
        assert!(matches!(sign_in(&s, "zhou", "经理的密码123", None, t0()), Err(AppError::SignInDisabled { .. })));
        let actions: i64 = s.conn().query_row("SELECT count(*) FROM hq_actions", [], |r| r.get(0)).unwrap();
        assert_eq!(actions, 2);
    }
}
