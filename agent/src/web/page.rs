//! What every page has: the header with the person and the sync state, the
//! language, the CSRF token; the error pages; and how values are shown
//! (times in the site's zone to the minute, money as ¥1,234.50, states as
//! coloured tags whose colour means the same everywhere).

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum_extra::extract::cookie::CookieJar;
use chrono::{DateTime, Utc};
use wuye_app::desk::Actor;
use wuye_app::messages::{self, Edge, Lang};
use wuye_app::AppError;
use wuye_node::Store;
use wuye_protocol::complaint::{self, ComplaintStatus};
use wuye_protocol::repair::RepairStatus;
use wuye_protocol::sync::SERVER_PEER;
use wuye_protocol::time::{self, SiteTime};

use super::{words, AppState};
use crate::config::AgentConfig;
use crate::link;
use wuye_web::assets;

/// A sync older than this, with nothing saying the link is down, counts as offline.
pub const ONLINE_WITHIN_SECONDS: i64 = 120;

/// The sync state shown in every page's header.
#[derive(Debug, Clone, Default)]
pub struct Banner {
    /// Head office answered at the last round and nothing failed since.
    pub online: bool,
    /// When the last round completed, `2026-11-29 14:05` in site time.
    pub last_sync: Option<String>,
    /// Records changed here that head office has not confirmed.
    pub waiting_up: u64,
    /// Whether the banner was ever read.
    pub known: bool,
    /// The site's name as head office knows it.
    pub site_name: Option<String>,
}

impl Banner {
    /// Reads the state from the site's database.
    pub fn read(store: &Store, config: &AgentConfig, now: DateTime<Utc>) -> Result<Self, wuye_node::StoreError> {
        let last = link::last_sync(store)?;
        let down = store.setting(link::LINK_DOWN_SETTING)?.is_some();
        let recent = last.is_some_and(|t| (now - t).num_seconds() < ONLINE_WITHIN_SECONDS);
        Ok(Banner {
            online: recent && !down,
            last_sync: last.map(|t| time::to_site(t, config.timezone).minute(config.timezone)),
            waiting_up: store.unconfirmed_count(SERVER_PEER, config.site_id)?,
            known: true,
            site_name: store.setting(link::SITE_NAME_SETTING)?,
        })
    }
}

/// The frame of a page.
#[derive(Debug, Clone)]
pub struct Page {
    /// The page's language.
    pub lang: Lang,
    /// The title.
    pub title: String,
    /// Which menu entry is lit.
    pub nav: &'static str,
    /// Who is signed in, `王芳（客服员）`.
    pub user: Option<String>,
    /// Whether the person may change the site's settings and staff.
    pub supervisor: bool,
    /// The CSRF token for forms.
    pub csrf: String,
    /// The sync state.
    pub banner: Banner,
    /// Versioned asset URLs.
    pub css: &'static str,
    /// The desk's script.
    pub js: &'static str,
    /// htmx.
    pub htmx: &'static str,
    /// This page's address, encoded for a query (the language switch comes back to it).
    pub here: String,
}

impl Page {
    /// A page for `actor` (or for nobody, the sign-in page).
    pub fn new(
        state: &AppState,
        lang: Lang,
        actor: Option<&Actor>,
        csrf: &str,
        nav: &'static str,
        title: String,
    ) -> Self {
        let urls = assets::urls();
        Page {
            lang,
            title,
            nav,
            user: actor.map(|a| a.name.clone()),
            supervisor: actor
                .is_some_and(|a| wuye_protocol::staff::allowed(a.role, wuye_protocol::staff::Guarded::ManageStaff)),
            csrf: csrf.to_string(),
            banner: state.banner(),
            css: urls.css,
            js: urls.js,
            htmx: urls.htmx,
            here: "%2F".to_string(),
        }
    }

    /// A word of the pages in this page's language.
    pub fn t(&self, key: &str) -> &'static str {
        words::get(self.lang, key)
    }

    /// What happened in a history line (`registered`, `note`, …), in this language.
    pub fn event(&self, kind: &str) -> &'static str {
        words::get(self.lang, &format!("event.{kind}"))
    }

    /// A step's name on its button (`note`, `dispatch`, …), in this language.
    pub fn step(&self, step: &str) -> &'static str {
        words::get(self.lang, &format!("step.{step}"))
    }

    /// The label of a step's text field (`note` → 跟踪记录), in this language.
    pub fn step_label(&self, step: &str) -> &'static str {
        words::get(self.lang, &format!("label.{step}"))
    }

    /// A record's number as slips print it.
    pub fn no(&self, id: &wuye_protocol::ids::RecordId) -> String {
        number(id)
    }

    /// `zh` or `en`, for `<html lang>`.
    pub fn lang_code(&self) -> &'static str {
        match self.lang {
            Lang::Zh => "zh-CN",
            Lang::En => "en",
        }
    }

    /// Whether the page is in English.
    pub fn english(&self) -> bool {
        self.lang == Lang::En
    }

    /// A time to the minute in the site's zone, `2026-11-29 14:05`.
    pub fn time(&self, at: &SiteTime) -> String {
        at.local().format("%Y-%m-%d %H:%M").to_string()
    }

    /// A date, `2026-11-29`.
    pub fn date(&self, at: &SiteTime) -> String {
        at.local().format("%Y-%m-%d").to_string()
    }

    /// A state as its label in this language.
    pub fn state(&self, label_zh: &str, code: &str) -> String {
        match self.lang {
            Lang::Zh => label_zh.to_string(),
            Lang::En => code.replace('_', " "),
        }
    }

    /// A complaint's state in this language.
    pub fn cstate(&self, status: &ComplaintStatus) -> String {
        self.state(status.label(), complaint::status_name(*status))
    }

    /// A complaint state's colour.
    pub fn ctag(&self, status: &ComplaintStatus) -> &'static str {
        tag(complaint::status_name(*status))
    }

    /// A work order's state in this language.
    pub fn rstate(&self, status: &RepairStatus) -> String {
        self.state(status.label(), status.as_str())
    }

    /// A work order state's colour.
    pub fn rtag(&self, status: &RepairStatus) -> &'static str {
        tag(status.as_str())
    }

    /// A labelled value (a channel, an urgency, a role) in this language.
    pub fn label(&self, zh: &str, code: &str) -> String {
        self.state(zh, code)
    }

    /// Money in fen as people read it.
    pub fn money(&self, fen: &u64) -> String {
        money(i64::try_from(*fen).unwrap_or(i64::MAX))
    }

    /// A share as `96.5%`, or `—` when there is nothing to divide.
    pub fn pct(&self, rate: &Option<f64>) -> String {
        wuye_web::show::percent(*rate)
    }

    /// Money in fen (signed).
    pub fn money_i(&self, fen: &i64) -> String {
        money(*fen)
    }

    /// Minutes left as people read a deadline: `剩余 3 工时 20 分` / `超时 1 h 5 min`.
    pub fn left(&self, minutes: &i64, duty: &bool) -> String {
        let (h, m) = (minutes.abs() / 60, minutes.abs() % 60);
        match (self.lang, *minutes < 0, *duty) {
            (Lang::Zh, false, true) => format!("剩余 {h} 工时 {m} 分"),
            (Lang::Zh, false, false) => format!("剩余 {h} 小时 {m} 分"),
            (Lang::Zh, true, true) => format!("已超时 {h} 工时 {m} 分"),
            (Lang::Zh, true, false) => format!("已超时 {h} 小时 {m} 分"),
            (Lang::En, false, true) => format!("{h} duty h {m} min left"),
            (Lang::En, false, false) => format!("{h} h {m} min left"),
            (Lang::En, true, true) => format!("{h} duty h {m} min late"),
            (Lang::En, true, false) => format!("{h} h {m} min late"),
        }
    }
}

pub use wuye_web::show::{money, tag, url_encode};

/// A record's number as printed on its slip: the first eight characters of its id.
pub fn number(id: &impl std::fmt::Display) -> String {
    id.to_string().chars().take(8).collect::<String>().to_uppercase()
}

/// The desk's cookies (head office's dashboard names its own).
pub const COOKIES: wuye_web::csrf::Cookies =
    wuye_web::csrf::Cookies { session: "wuye_session", pre: "wuye_pre", lang: "wuye_lang" };

/// The language a browser asked for: Chinese unless it chose English.
pub fn lang_of(jar: &CookieJar) -> Lang {
    COOKIES.lang_of(jar)
}

/// A word of the pages.
pub fn word(lang: Lang, key: &str) -> &'static str {
    words::get(lang, key)
}

/// What people read for an error, in their language.
pub fn say(error: &AppError, lang: Lang) -> String {
    messages::message(error, lang, Edge::Plain)
}

/// A rendered template as a response (an error page when rendering failed).
pub fn html(rendered: Result<String, askama::Error>) -> Response {
    match rendered {
        Ok(body) => Html(body).into_response(),
        Err(e) => {
            tracing::error!("a page could not be rendered: {e}");
            (StatusCode::INTERNAL_SERVER_ERROR, "the page could not be rendered; the error is in the agent's log")
                .into_response()
        }
    }
}

#[derive(Template)]
#[template(path = "message.html")]
struct MessagePage {
    page: Page,
    text: String,
}

/// A page that says what went wrong and what to do, in the page's language.
pub fn error_page(page: Page, error: &AppError) -> Response {
    let status = match error.code() {
        "not_found" | "ambiguous" | "prefix_too_short" | "bad_id" => StatusCode::NOT_FOUND,
        "storage" => StatusCode::INTERNAL_SERVER_ERROR,
        _ => StatusCode::UNPROCESSABLE_ENTITY,
    };
    let text = say(error, page.lang);
    (status, html(MessagePage { page, text }.render())).into_response()
}

/// Any address the desk does not have: 404 in the page's language.
pub async fn not_found(State(state): State<AppState>, jar: CookieJar) -> Response {
    let lang = lang_of(&jar);
    let page = Page::new(&state, lang, None, "", "", word(lang, "notfound.title").into());
    (StatusCode::NOT_FOUND, html(MessagePage { page, text: word(lang, "notfound.text").into() }.render()))
        .into_response()
}

#[derive(Template)]
#[template(path = "sync_state.html")]
struct SyncState {
    page: Page,
}

/// The header's sync state alone, which every page asks for again every few seconds.
pub async fn sync_state(State(state): State<AppState>, jar: CookieJar) -> Response {
    let lang = lang_of(&jar);
    let page = Page::new(&state, lang, None, "", "", String::new());
    html(SyncState { page }.render())
}

/// A stored instant (as appended lists keep it) in the site's time, to the minute; empty when unreadable.
pub fn stored_time(at: &str, tz: chrono_tz::Tz) -> String {
    wuye_protocol::time::from_stored(at)
        .map(|t| t.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_default()
}
