//! 交接班 (what the next shift takes over) and the shift-start briefing (班前会).

use askama::Template;
use axum::extract::State;
use axum::response::Response;
use wuye_app::shift::{Briefing, Handover};
use wuye_app::AppError;

use super::page::{self, Page};
use super::session::Signed;
use super::AppState;

#[derive(Template)]
#[template(path = "shift/handover.html")]
struct HandoverPage {
    page: Page,
    h: Handover,
    briefing: Option<wuye_app::shift::DaySummary>,
}

/// What the next shift takes over.
pub async fn handover(State(state): State<AppState>, signed: Signed) -> Response {
    let result =
        state.with_desk(|desk| wuye_app::shift::handover(&desk.store, desk.now()).map_err(AppError::from)).await;
    match result {
        Ok(h) => page::html(
            HandoverPage {
                page: signed.page(&state, "handover", page::word(signed.lang, "handover.title")),
                h,
                briefing: None,
            }
            .render(),
        ),
        Err(e) => signed.error(&state, &e),
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
            }
            .render(),
        ),
        Err(e) => signed.error(&state, &e),
    }
}
