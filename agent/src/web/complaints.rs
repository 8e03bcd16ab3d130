//! Complaints (客户投诉): the list with its filters, registering (also from a
//! call), the detail page with its timeline and the steps the person may
//! take, and each step's form.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde::Deserialize;
use wuye_app::desk::{Desk, Step};
use wuye_app::lists::ListFilter;
use wuye_app::settings::SiteSettings;
use wuye_app::AppError;
use wuye_node::Paged;
use wuye_protocol::complaint::{Complaint, ComplaintStatus, HistoryEntry, NewComplaint};
use wuye_protocol::rules::Channel;

use super::page::{self, Page};
use super::session::Signed;
use super::{AppState, ListPage};
use wuye_web::form::Errors;

/// The list's filters as the filter bar sends them.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    status: String,
    #[serde(default)]
    category: String,
    #[serde(default)]
    q: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    major: String,
    #[serde(default)]
    overdue: String,
    #[serde(default)]
    after: String,
}

impl ListQuery {
    /// The application layer's filter for these fields.
    pub fn filter(&self) -> Result<ListFilter, AppError> {
        let mut fields = Vec::new();
        if !self.category.trim().is_empty() {
            fields.push(("category", self.category.trim().to_string()));
        }
        if self.major == "1" {
            fields.push(("major", "true".to_string()));
        }
        Ok(ListFilter {
            statuses: super::chosen_states(&self.status, self.overdue == "1", wuye_app::shift::open_complaint_states()),
            from: super::optional_date(&self.from)?,
            to: super::optional_date(&self.to)?,
            fields,
            contains: Some(self.q.trim().to_string()).filter(|q| !q.is_empty()),
        })
    }

    /// The period the filters cover, as a print page's heading says it.
    pub fn period(&self) -> String {
        match (self.from.trim(), self.to.trim()) {
            ("", "") => String::new(),
            (from, to) => format!("{from} — {to}"),
        }
    }

    /// The same filters as a query string, for the next page's link and printing.
    pub fn query_string(&self) -> String {
        serde_urlencoded::to_string([
            ("status", &self.status),
            ("category", &self.category),
            ("q", &self.q),
            ("from", &self.from),
            ("to", &self.to),
            ("major", &self.major),
            ("overdue", &self.overdue),
        ])
        .unwrap_or_default()
    }
}

#[derive(Template)]
#[template(path = "complaints/list.html")]
struct ListView {
    page: Page,
    query: ListQuery,
    list: ListPage<Complaint>,
    statuses: Vec<(&'static str, String)>,
    categories: Vec<String>,
    error: Option<String>,
}

/// The complaint list, newest first, a page at a time.
pub async fn list(State(state): State<AppState>, signed: Signed, Query(query): Query<ListQuery>) -> Response {
    let lang = signed.lang;
    let q = query.clone();
    let result = state
        .with_desk(move |desk| -> Result<(Paged<Complaint>, Vec<String>), AppError> {
            let categories = SiteSettings::load(&desk.store)?.categories;
            let filter = q.filter()?;
            let overdue = (q.overdue == "1").then_some(Complaint::is_overdue as fn(&Complaint, _) -> bool);
            Ok((super::page_or_overdue(desk, &filter, &q.after, overdue)?, categories))
        })
        .await;
    let page = signed.page(&state, "complaints", page::word(lang, "complaint.list"));
    let statuses = ComplaintStatus::ALL.iter().map(|s| (s.as_str(), page.cstate(s))).collect();
    let (list, categories, error) = match result {
        Ok((paged, categories)) => (ListPage::from(paged), categories, None),
        Err(e) => (ListPage::empty(), Vec::new(), Some(page::say(&e, lang))),
    };
    page::html(ListView { page, query, list, statuses, categories, error }.render())
}

/// The registration form as typed (or prefilled from a call).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct NewForm {
    #[serde(default)]
    from_log: String,
    #[serde(default)]
    customer: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    unit: String,
    #[serde(default)]
    channel: String,
    #[serde(default)]
    summary: String,
    #[serde(default)]
    category: String,
    #[serde(default)]
    departments: String,
    #[serde(default)]
    major: Option<String>,
}

const NEW_FIELDS: &[&str] = &["customer", "phone", "unit", "channel", "summary", "category", "department"];

#[derive(Template)]
#[template(path = "complaints/new.html")]
struct NewView {
    page: Page,
    form: NewForm,
    errors: Errors,
    channels: Vec<(&'static str, String)>,
    categories: Vec<String>,
}

async fn new_view(state: &AppState, signed: &Signed, mut form: NewForm, errors: Errors) -> Response {
    // From a call on the board: what the call said fills the form.
    let from_log = form.from_log.clone();
    let looked_up = state
        .with_desk(move |desk| -> Result<(Vec<String>, Option<wuye_protocol::log_entry::LogEntry>), AppError> {
            let categories = SiteSettings::load(&desk.store)?.categories;
            let log = match from_log.trim() {
                "" => None,
                id => Some(desk.log_entry(id)?),
            };
            Ok((categories, log))
        })
        .await;
    let (categories, log) = match looked_up {
        Ok(found) => found,
        Err(e) => return signed.error(state, &e),
    };
    if let Some(log) = log.filter(|_| form.customer.is_empty() && form.summary.is_empty()) {
        form.customer = log.caller;
        form.unit = log.unit;
        form.summary = log.asked;
        form.channel = log.channel.as_str().to_string();
    }
    if form.channel.is_empty() {
        form.channel = "phone".into();
    }
    let page = signed.page(state, "complaints", page::word(signed.lang, "complaint.new"));
    let channels = Channel::ALL.iter().map(|c| (c.as_str(), page.label(c.label(), c.as_str()))).collect();
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    (status, page::html(NewView { page, form, errors, channels, categories }.render())).into_response()
}

/// The registration form.
pub async fn new(State(state): State<AppState>, signed: Signed, Query(form): Query<NewForm>) -> Response {
    new_view(&state, &signed, form, Errors::none()).await
}

/// Registers a complaint (linked to the call it came from, if any).
pub async fn create(State(state): State<AppState>, signed: Signed, Form(form): Form<NewForm>) -> Response {
    let actor = signed.actor.clone();
    let typed = form.clone();
    let result = state
        .with_desk(move |desk| -> Result<Complaint, AppError> {
            let input = NewComplaint {
                customer: form.customer,
                phone: form.phone,
                unit: form.unit,
                channel: form.channel.parse::<Channel>().map_err(AppError::Rule)?,
                summary: form.summary,
                category: form.category,
                departments: form
                    .departments
                    .split([',', '，', '、'])
                    .map(str::trim)
                    .filter(|d| !d.is_empty())
                    .map(String::from)
                    .collect(),
                major: form.major.is_some(),
            };
            let from_log = Some(form.from_log.trim()).filter(|l| !l.is_empty());
            desk.made_from_log(from_log, |desk| desk.add_complaint(&input, &actor.name), |c| c.id)
        })
        .await;
    match result {
        Ok(c) => Redirect::to(&format!("/complaints/{}", c.id)).into_response(),
        Err(e) => {
            let errors = Errors::from_error(&e, signed.lang, NEW_FIELDS);
            new_view(&state, &signed, typed, errors).await
        }
    }
}

/// A step the person may take, or why not.
#[derive(Debug, Clone)]
pub struct Offer {
    /// The step's name (`note`, `assign`, …).
    pub step: &'static str,
    /// Why it may not be taken now, in the page's language.
    pub refused: Option<String>,
}

/// What the detail page shows of a complaint.
struct Detail {
    complaint: Complaint,
    history: Vec<HistoryEntry>,
    offers: Vec<Offer>,
    overdue: bool,
}

fn detail(desk: &Desk, id: &str, signed: &Signed) -> Result<Detail, AppError> {
    let complaint = desk.complaint(id)?;
    let id = complaint.id.to_string();
    let offers = desk
        .complaint_offers(&id, &signed.actor)?
        .into_iter()
        .map(|(step, refused)| Offer { step, refused: refused.map(|e| page::say(&e, signed.lang)) })
        .collect();
    let overdue = complaint.is_overdue(desk.now());
    Ok(Detail { history: desk.history(&id)?, complaint, offers, overdue })
}

#[derive(Template)]
#[template(path = "complaints/show.html")]
struct ShowView {
    page: Page,
    c: Complaint,
    history: Vec<HistoryEntry>,
    offers: Vec<Offer>,
    /// The step whose form came back, its message and what was typed.
    failed: Option<(String, String)>,
    typed: StepForm,
    overdue: bool,
}

#[derive(Template)]
#[template(path = "complaints/live.html")]
struct LiveView {
    page: Page,
    c: Complaint,
    history: Vec<HistoryEntry>,
    overdue: bool,
}

async fn show_view(
    state: &AppState,
    signed: &Signed,
    id: String,
    failed: Option<(String, String)>,
    typed: StepForm,
) -> Response {
    let who = signed.clone();
    match state.with_desk(move |desk| detail(desk, &id, &who)).await {
        Ok(d) => {
            let title = format!("{} · {}", page::word(signed.lang, "complaint.detail"), d.complaint.unit);
            let status = if failed.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
            let page = signed.page(state, "complaints", title);
            let view = ShowView {
                page,
                c: d.complaint,
                history: d.history,
                offers: d.offers,
                failed,
                typed,
                overdue: d.overdue,
            };
            (status, page::html(view.render())).into_response()
        }
        Err(e) => signed.error(state, &e),
    }
}

/// A complaint's page.
pub async fn show(State(state): State<AppState>, signed: Signed, Path(id): Path<String>) -> Response {
    show_view(&state, &signed, id, None, StepForm::default()).await
}

/// The part of a complaint's page that refreshes by itself: its fields and
/// timeline, so that a decision from head office appears after the next sync.
pub async fn live(State(state): State<AppState>, signed: Signed, Path(id): Path<String>) -> Response {
    let who = signed.clone();
    match state.with_desk(move |desk| detail(desk, &id, &who)).await {
        Ok(d) => page::html(
            LiveView {
                page: signed.page(&state, "complaints", String::new()),
                c: d.complaint,
                history: d.history,
                overdue: d.overdue,
            }
            .render(),
        ),
        Err(e) => signed.error(&state, &e),
    }
}

/// A step's form as typed.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct StepForm {
    #[serde(default)]
    text: String,
    #[serde(default)]
    satisfaction: String,
    /// A contact slip's instruction (处理要求).
    #[serde(default)]
    instruction: String,
    /// A contact slip's due time, `2026-11-29 16:00`.
    #[serde(default)]
    due: String,
    /// Which contact slip a reply is for, from 1.
    #[serde(default)]
    slip: String,
}

/// Takes one step; a refused step comes back on the page beside its form, with what was typed.
pub async fn step(
    State(state): State<AppState>,
    signed: Signed,
    Path((id, step)): Path<(String, String)>,
    Form(form): Form<StepForm>,
) -> Response {
    let actor = signed.actor.clone();
    let (record, name, typed) = (id.clone(), step.clone(), form.clone());
    let result = state
        .with_desk(move |desk| -> Result<Complaint, AppError> {
            let text = form.text.as_str();
            if name == "reply" {
                let n = form.slip.trim().parse().unwrap_or(0);
                return desk.contact_reply(&record, n, text, &actor);
            }
            if name == "assign" {
                // The slip's instruction and time are read before anything is written.
                let due = match form.due.trim() {
                    "" => None,
                    d => Some(wuye_app::lists::parse_time(d, desk.site.timezone)?),
                };
                wuye_protocol::complaint::check_contact(&form.instruction, due, desk.now())?;
                let c = desk.step(&record, &Step::Assign(text), &actor)?;
                if form.instruction.trim().is_empty() && due.is_none() {
                    return Ok(c);
                }
                return desk.contact_details(&c.id.to_string(), c.assignments.len(), &form.instruction, due);
            }
            let step = match name.as_str() {
                "note" => Step::Note(text),
                "assign" => Step::Assign(text),
                "escalate" => Step::Escalate,
                "decide" => Step::Decide(text),
                "resolve" => Step::Resolve(text),
                "visit" => Step::Visit { satisfaction: form.satisfaction.trim().parse().unwrap_or(0), comment: text },
                "archive" => Step::Archive,
                _ => return Err(AppError::NotFound { kind: "step", id: name }),
            };
            desk.step(&record, &step, &actor)
        })
        .await;
    match result {
        Ok(c) => Redirect::to(&format!("/complaints/{}", c.id)).into_response(),
        Err(e) => show_view(&state, &signed, id, Some((step, page::say(&e, signed.lang))), typed).await,
    }
}
