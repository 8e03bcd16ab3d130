//! 来电来访: one quick form for a call or a visit, which can become a
//! complaint, a work order or a promised reply in the same step; the work log
//! (工作日志) of calls; replies to promised replies.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde::Deserialize;
use wuye_app::desk::NewLogEntry;
use wuye_app::lists::ListFilter;
use wuye_node::Page as At;
use wuye_protocol::log_entry::LogEntry;
use wuye_protocol::rules::Channel;

use super::page::{self, url_encode, Page};
use super::session::Signed;
use super::AppState;
use wuye_web::form::Errors;

/// The call form as typed.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct CallForm {
    #[serde(default)]
    channel: String,
    #[serde(default)]
    caller: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    unit: String,
    #[serde(default)]
    asked: String,
    #[serde(default)]
    done: String,
    /// What it becomes: `log` (only the log), `complaint`, `repair` or `commitment`.
    #[serde(default)]
    then: String,
    /// For a promised reply: when, `2026-11-29 16:00` in site time.
    #[serde(default)]
    due: String,
}

const FIELDS: &[&str] = &["channel", "caller", "phone", "unit", "asked", "done", "due"];

#[derive(Template)]
#[template(path = "calls/new.html")]
struct NewCall {
    page: Page,
    form: CallForm,
    errors: Errors,
    channels: Vec<(&'static str, String)>,
    notice: Option<String>,
}

fn channels(page: &Page) -> Vec<(&'static str, String)> {
    Channel::ALL.iter().map(|c| (c.as_str(), page.label(c.label(), c.as_str()))).collect()
}

/// A notice shown once after a redirect.
#[derive(Debug, Deserialize)]
pub struct Notice {
    #[serde(default)]
    saved: Option<String>,
}

/// The empty call form.
pub async fn new(State(state): State<AppState>, signed: Signed, Query(q): Query<Notice>) -> Response {
    let page = signed.page(&state, "calls", page::word(signed.lang, "call.title"));
    let notice = q.saved.map(|_| page.t("call.saved").to_string());
    let form = CallForm { channel: "phone".into(), then: "log".into(), ..CallForm::default() };
    page::html(NewCall { channels: channels(&page), page, form, errors: Errors::none(), notice }.render())
}

/// Saves the call; then, as asked, opens the complaint or work-order form
/// prefilled from it, or writes the promised reply at once.
pub async fn create(State(state): State<AppState>, signed: Signed, Form(form): Form<CallForm>) -> Response {
    let lang = signed.lang;
    let actor = signed.actor.clone();
    let typed = form.clone();
    let result = state
        .with_desk(move |desk| -> Result<LogEntry, wuye_app::AppError> {
            let channel = form.channel.parse::<Channel>().map_err(wuye_app::AppError::Rule)?;
            let caller = if form.phone.trim().is_empty() {
                form.caller.trim().to_string()
            } else {
                format!("{} {}", form.caller.trim(), form.phone.trim())
            };
            // A promised reply's time is read before anything is written: a wrong one writes nothing.
            let due = match form.then.as_str() {
                "commitment" => Some(wuye_app::lists::parse_time(&form.due, desk.site.timezone)?),
                _ => None,
            };
            let entry =
                NewLogEntry { channel, caller: &caller, unit: &form.unit, asked: &form.asked, done: &form.done };
            let log = desk.add_log(&entry, &actor)?;
            if let Some(due) = due {
                let id = log.id.to_string();
                desk.made_from_log(Some(&id), |d| d.add_commitment(&form.asked, &caller, due, &actor), |c| c.id)?;
            }
            Ok(log)
        })
        .await;
    match result {
        Ok(log) => {
            let prefill = format!(
                "from_log={}&customer={}&phone={}&unit={}&summary={}&channel={}",
                log.id,
                url_encode(typed.caller.trim()),
                url_encode(typed.phone.trim()),
                url_encode(&typed.unit),
                url_encode(&typed.asked),
                url_encode(&typed.channel)
            );
            let to = match typed.then.as_str() {
                "complaint" => format!("/complaints/new?{prefill}"),
                "repair" => format!("/repairs/new?{prefill}"),
                _ => "/calls/new?saved=1".to_string(),
            };
            Redirect::to(&to).into_response()
        }
        Err(e) => {
            let page = signed.page(&state, "calls", page::word(lang, "call.title"));
            let errors = Errors::from_error(&e, lang, FIELDS);
            let body = NewCall { channels: channels(&page), page, form: typed, errors, notice: None };
            (axum::http::StatusCode::UNPROCESSABLE_ENTITY, page::html(body.render())).into_response()
        }
    }
}

#[derive(Template)]
#[template(path = "calls/list.html")]
struct CallList {
    page: Page,
    entries: Vec<LogEntry>,
}

/// The work log, newest first (the latest 200).
pub async fn list(State(state): State<AppState>, signed: Signed) -> Response {
    let at = At { limit: Some(200), newest_first: true, ..At::default() };
    match state.with_desk(move |desk| desk.list::<LogEntry>(&ListFilter::default(), &at)).await {
        Ok(page) => page::html(
            CallList { page: signed.page(&state, "calls", page::word(signed.lang, "call.log")), entries: page.items }
                .render(),
        ),
        Err(e) => signed.error(&state, &e),
    }
}

/// What was done about a call.
#[derive(Debug, Deserialize)]
pub struct DoneForm {
    done: String,
}

/// Records what was done about a call.
pub async fn done(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<String>,
    Form(form): Form<DoneForm>,
) -> Response {
    let actor = signed.actor.clone();
    match state.with_desk(move |desk| desk.log_done(&id, &form.done, &actor)).await {
        Ok(()) => Redirect::to("/calls").into_response(),
        Err(e) => signed.error(&state, &e),
    }
}

/// A reply given on a promised reply.
#[derive(Debug, Deserialize)]
pub struct ReplyForm {
    reply: String,
}

/// Records the reply given on a promised reply.
pub async fn reply(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<String>,
    Form(form): Form<ReplyForm>,
) -> Response {
    let actor = signed.actor.clone();
    match state.with_desk(move |desk| desk.commitment_reply(&id, &form.reply, &actor)).await {
        Ok(()) => Redirect::to("/").into_response(),
        Err(e) => signed.error(&state, &e),
    }
}
