//! 交接班 (what the next shift takes over) and the shift-start briefing (班前会).

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde::Deserialize;
use wuye_app::desk::HandoverNote;
use wuye_app::shift::{Briefing, Handover};
use wuye_app::AppError;
use wuye_node::Records as _;
use wuye_protocol::handover::{ShiftHandover, Thing};
use wuye_protocol::staff::Staff;

use super::page::{self, Page};
use super::session::Signed;
use super::AppState;

#[derive(Template)]
#[template(path = "shift/handover.html")]
struct HandoverPage {
    page: Page,
    h: Handover,
    briefing: Option<wuye_app::shift::DaySummary>,
    records: Vec<ShiftHandover>,
    staff: Vec<Staff>,
    failed: Option<String>,
}

async fn handover_view(state: &AppState, signed: &Signed, failed: Option<String>) -> Response {
    let result = state
        .with_desk(|desk| -> Result<_, AppError> {
            let h = wuye_app::shift::handover(&desk.store, desk.now())?;
            let mut records = desk.handovers()?;
            records.truncate(20);
            let staff = desk.store.all::<Staff>(Some(desk.site.id))?.into_iter().filter(|s| s.is_active()).collect();
            Ok((h, records, staff))
        })
        .await;
    match result {
        Ok((h, records, staff)) => {
            let page = signed.page(state, "handover", page::word(signed.lang, "handover.title"));
            let status = if failed.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
            let view = HandoverPage { page, h, briefing: None, records, staff, failed };
            (status, page::html(view.render())).into_response()
        }
        Err(e) => signed.error(state, &e),
    }
}

/// What the next shift takes over, and the handover records.
pub async fn handover(State(state): State<AppState>, signed: Signed) -> Response {
    handover_view(&state, &signed, None).await
}

/// The handover record's form.
#[derive(Debug, Default, Deserialize)]
pub struct RecordForm {
    #[serde(default)]
    to: String,
    #[serde(default)]
    shift: String,
    /// One thing a line: `对讲机x2:完好`.
    #[serde(default)]
    things: String,
    #[serde(default)]
    notes: String,
    #[serde(default)]
    found: String,
}

/// Writes the handover record (`write`) or confirms one handed to the signed-in person (`{id}/confirm`).
pub async fn record(
    State(state): State<AppState>,
    signed: Signed,
    id: Option<Path<String>>,
    Form(form): Form<RecordForm>,
) -> Response {
    let actor = signed.actor.clone();
    let result = state
        .with_desk(move |desk| -> Result<ShiftHandover, AppError> {
            match id {
                Some(Path(id)) => desk.confirm_handover(&id, &form.found, &actor),
                None => {
                    let things = form
                        .things
                        .lines()
                        .filter(|l| !l.trim().is_empty())
                        .map(|l| {
                            let (count, condition) = l.split_once([':', '：']).unwrap_or((l, ""));
                            let (name, quantity) = wuye_app::lists::counted(count)?;
                            Ok(Thing { name, quantity, condition: condition.trim().to_string() })
                        })
                        .collect::<Result<Vec<_>, AppError>>()?;
                    let note = HandoverNote { shift: form.shift, to: form.to, things, notes: form.notes };
                    desk.write_handover(&note, &actor)
                }
            }
        })
        .await;
    match result {
        Ok(r) => Redirect::to(&format!("/handover#record-{}", r.id)).into_response(),
        Err(e) => handover_view(&state, &signed, Some(page::say(&e, signed.lang))).await,
    }
}

/// The briefing: yesterday's summary, then today's open items.
pub async fn briefing(State(state): State<AppState>, signed: Signed) -> Response {
    let result = state
        .with_desk(|desk| -> Result<Briefing, AppError> {
            Ok(wuye_app::shift::briefing(&desk.store, desk.now(), desk.site.timezone)?)
        })
        .await;
    match result {
        Ok(b) => page::html(
            HandoverPage {
                page: signed.page(&state, "handover", page::word(signed.lang, "briefing.title")),
                h: b.open,
                briefing: Some(b.yesterday),
                records: Vec::new(),
                staff: Vec::new(),
                failed: None,
            }
            .render(),
        ),
        Err(e) => signed.error(&state, &e),
    }
}
