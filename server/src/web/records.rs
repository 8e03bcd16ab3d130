//! A record at head office: a complaint with its whole history, a manager's
//! decision and head-office notes; a work order with its steps and notes.
//! What is done here reaches the site at its next sync.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde::Deserialize;
use wuye_protocol::complaint::{Complaint, HistoryEntry};
use wuye_protocol::kind::Kind;
use wuye_protocol::repair::Repair;

use super::page::{self, Page};
use super::session::Signed;
use super::DashState;
use crate::office::OfficeStore;

#[derive(Template)]
#[template(path = "complaint.html")]
struct ComplaintPage {
    page: Page,
    c: Complaint,
    history: Vec<HistoryEntry>,
    error: Option<String>,
    saved: bool,
}

#[derive(Template)]
#[template(path = "repair.html")]
struct RepairPage {
    page: Page,
    r: Repair,
    error: Option<String>,
    saved: bool,
}

impl ComplaintPage {
    /// Where its note form goes.
    fn note_action(&self) -> String {
        format!("/complaints/{}/note", self.c.id)
    }
}

impl RepairPage {
    /// Where its note form goes.
    fn note_action(&self) -> String {
        format!("/repairs/{}/note", self.r.id)
    }
}

/// Whether the page follows a step just saved.
#[derive(Debug, Default, Deserialize)]
pub struct Saved {
    #[serde(default)]
    saved: Option<String>,
}

async fn complaint_view<S: OfficeStore>(
    state: &DashState<S>,
    signed: &Signed,
    id: String,
    error: Option<String>,
    saved: bool,
) -> Response {
    let actor = signed.actor();
    match state.with_office(move |hq| hq.complaint_for(&actor, &id)).await {
        Ok((c, history)) => {
            let c = c.at_head_office();
            let page =
                signed.page("overview", format!("{} {}", c.unit, c.summary.chars().take(20).collect::<String>()));
            page::html(ComplaintPage { page, c, history, error, saved }.render())
        }
        Err(e) => signed.error(&e.into_app()),
    }
}

/// A complaint with its history.
pub async fn complaint<S: OfficeStore>(
    State(state): State<DashState<S>>,
    signed: Signed,
    Path(id): Path<String>,
    Query(q): Query<Saved>,
) -> Response {
    complaint_view(&state, &signed, id, None, q.saved.is_some()).await
}

/// The words of a decision or a note.
#[derive(Debug, Deserialize)]
pub struct TextForm {
    text: String,
}

/// Which head-office step on a complaint a form takes.
#[derive(Debug, Clone, Copy)]
enum ComplaintAct {
    Decide,
    Note,
}

/// A head-office step on a complaint; the page again, saved or with the refusal.
async fn act<S: OfficeStore>(
    state: DashState<S>,
    signed: Signed,
    id: String,
    text: String,
    what: ComplaintAct,
) -> Response {
    let actor = signed.actor();
    let key = id.clone();
    let done = state
        .with_office(move |hq| match what {
            ComplaintAct::Decide => hq.decide(&actor, &key, &text),
            ComplaintAct::Note => hq.note(&actor, &key, &text),
        })
        .await;
    match done {
        Ok(c) => Redirect::to(&format!("/complaints/{}?saved=1", c.id)).into_response(),
        Err(e) => complaint_view(&state, &signed, id, Some(page::say(&e.into_app(), signed.lang)), false).await,
    }
}

/// A manager decides a major complaint.
pub async fn decide<S: OfficeStore>(
    State(state): State<DashState<S>>,
    signed: Signed,
    Path(id): Path<String>,
    Form(form): Form<TextForm>,
) -> Response {
    act(state, signed, id, form.text, ComplaintAct::Decide).await
}

/// A head-office note on a complaint.
pub async fn note<S: OfficeStore>(
    State(state): State<DashState<S>>,
    signed: Signed,
    Path(id): Path<String>,
    Form(form): Form<TextForm>,
) -> Response {
    act(state, signed, id, form.text, ComplaintAct::Note).await
}

async fn repair_view<S: OfficeStore>(
    state: &DashState<S>,
    signed: &Signed,
    id: String,
    error: Option<String>,
    saved: bool,
) -> Response {
    let actor = signed.actor();
    match state.with_office(move |hq| hq.repair_for(&actor, &id)).await {
        Ok(r) => {
            let page = signed.page("overview", r.description.chars().take(20).collect::<String>());
            page::html(RepairPage { page, r, error, saved }.render())
        }
        Err(e) => signed.error(&e.into_app()),
    }
}

/// A work order with its steps.
pub async fn repair<S: OfficeStore>(
    State(state): State<DashState<S>>,
    signed: Signed,
    Path(id): Path<String>,
    Query(q): Query<Saved>,
) -> Response {
    repair_view(&state, &signed, id, None, q.saved.is_some()).await
}

/// A head-office note on a work order.
pub async fn repair_note<S: OfficeStore>(
    State(state): State<DashState<S>>,
    signed: Signed,
    Path(id): Path<String>,
    Form(form): Form<TextForm>,
) -> Response {
    let actor = signed.actor();
    let key = id.clone();
    match state.with_office(move |hq| hq.repair_note(&actor, &key, &form.text)).await {
        Ok(r) => Redirect::to(&format!("/repairs/{}?saved=1", r.id)).into_response(),
        Err(e) => repair_view(&state, &signed, id, Some(page::say(&e.into_app(), signed.lang)), false).await,
    }
}
