//! The site's settings (客服主管 and 经理 change them): complaint categories,
//! repair deadlines, the summer schedule, the web desk's port.

use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde::Deserialize;
use wuye_app::settings::{SettingsError, SiteSettings};
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
        Err(e) => signed.error(state, &e),
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
    let actor = signed.actor.clone();
    let key = form.key.clone();
    let result = state.with_desk(move |desk| desk.set_setting(&actor, &form.key, &form.value)).await;
    let words = match result {
        Ok(_) => return Redirect::to("/settings").into_response(),
        Err(SettingsError::Refused(rule)) => page::say(&AppError::Rule(rule), signed.lang),
        Err(SettingsError::Store(e)) => page::say(&AppError::Storage(e), signed.lang),
        Err(SettingsError::Invalid(words)) => words,
        Err(SettingsError::Company(_)) => page::word(signed.lang, "settings.company_locked").to_string(),
    };
    show_view(&state, &signed, Some((key, words))).await
}
