//! 今日: the day's board the desk opens on.

use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use wuye_app::board::Board;

use super::page::{self, Page};
use super::session::Signed;
use super::AppState;

#[derive(Template)]
#[template(path = "board.html")]
struct BoardPage {
    page: Page,
    board: Board,
}

/// The board.
pub async fn show(State(state): State<AppState>, signed: Signed) -> Response {
    // The gate's people work at the gate: their first page is the gate check.
    if signed.actor.role == Some(wuye_protocol::staff::Role::Gate) {
        return axum::response::Redirect::to("/gate").into_response();
    }
    match state.with_desk(|desk| desk.board()).await {
        Ok(board) => page::html(
            BoardPage { page: signed.page(&state, "board", page::word(signed.lang, "board.title")), board }.render(),
        ),
        Err(e) => signed.error(&state, &e),
    }
}
