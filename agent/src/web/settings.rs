//! The site's settings (客服主管 and 经理 change them): complaint categories,
//! repair deadlines, the summer schedule, the web desk's port.

use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde::Deserialize;
use wuye_app::settings::SiteSettings;
use wuye_app::AppError;

use super::page::{self, Page};
use super::session::Signed;
use super::AppState;

#[derive(Template)]
#[template(path = "settings/show.html")]
struct Show {
    page: Page,
    s: SiteSettings,
    error: Option<(String, String)>,
}

async fn show_view(state: &AppState, signed: &Signed, error: Option<(String, String)>) -> Response {
    match state.with_desk(|desk| SiteSettings::load(&desk.store).map_err(AppError::from)).await {
        Ok(s) => page::html(
            Show { page: signed.page(state, "settings", page::word(signed.lang, "settings.title")), s, error }.render(),
        ),
        Err(e) => page::error_page(state, Some(signed), &e),
    }
}

/// The settings.
pub async fn show(State(state): State<AppState>, signed: Signed) -> Response {
    show_view(&state, &signed, None).await
}

/// One setting changed.
#[derive(Debug, Deserialize)]
pub struct SetForm {
    key: String,
    value: String,
}

/// Changes one setting.
pub async fn set(State(state): State<AppState>, signed: Signed, Form(form): Form<SetForm>) -> Response {
    let role = signed.actor.role;
    let key = form.key.clone();
    let result = state
        .with_desk(move |desk| -> Result<Result<(), String>, AppError> {
            wuye_protocol::staff::may(role, wuye_protocol::staff::Guarded::Configure)?;
            Ok(SiteSettings::set(&desk.store, &form.key, &form.value).map(drop).map_err(|e| e.to_string()))
        })
        .await;
    match result {
        Ok(Ok(())) => Redirect::to("/settings").into_response(),
        Ok(Err(words)) => show_view(&state, &signed, Some((key, words))).await,
        Err(e) => show_view(&state, &signed, Some((key, page::say(&e, signed.lang)))).await,
    }
}
