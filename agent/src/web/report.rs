//! The daily report upward (每日上报): a preview of the day's figures, then send.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use chrono::NaiveDate;
use serde::Deserialize;
use wuye_app::kpi::Figures;
use wuye_app::AppError;
use wuye_protocol::daily_report::{DailyFigures, DailyReport};

use super::page::{self, Page};
use super::session::Signed;
use super::AppState;

#[derive(Template)]
#[template(path = "report/preview.html")]
struct Preview {
    page: Page,
    date: NaiveDate,
    figures: DailyFigures,
    made: Option<DailyReport>,
    error: Option<String>,
    month: Figures,
}

/// Which day.
#[derive(Debug, Default, Deserialize)]
pub struct DayQuery {
    #[serde(default)]
    date: String,
}

async fn preview_view(state: &AppState, signed: &Signed, date: String, error: Option<String>) -> Response {
    let result = state
        .with_desk(move |desk| -> Result<(NaiveDate, DailyFigures, Option<DailyReport>, Figures), AppError> {
            let date = match date.trim() {
                "" => desk.now().with_timezone(&desk.site.timezone).date_naive(),
                d => wuye_app::lists::parse_date(d)?,
            };
            let figures = wuye_app::reports::daily_figures(&desk.store, desk.site.id, date, desk.now())?;
            Ok((date, figures, desk.daily_report_of(date)?, desk.month_figures(date)?))
        })
        .await;
    match result {
        Ok((date, figures, made, month)) => {
            let page = signed.page(state, "report", page::word(signed.lang, "report.title"));
            page::html(Preview { page, date, figures, made, error, month }.render())
        }
        Err(e) => signed.error(state, &e),
    }
}

/// The preview.
pub async fn preview(State(state): State<AppState>, signed: Signed, Query(q): Query<DayQuery>) -> Response {
    preview_view(&state, &signed, q.date, None).await
}

/// Makes (or remakes) the day's report; it goes up with the next sync.
pub async fn send(State(state): State<AppState>, signed: Signed, Form(q): Form<DayQuery>) -> Response {
    let actor = signed.actor.clone();
    let date = q.date.clone();
    let result = state
        .with_desk(move |desk| -> Result<DailyReport, AppError> {
            let date = wuye_app::lists::parse_date(&date)?;
            desk.daily_report(date, &actor)
        })
        .await;
    match result {
        Ok(r) => Redirect::to(&format!("/report?date={}", r.date)).into_response(),
        Err(e) => preview_view(&state, &signed, q.date, Some(page::say(&e, signed.lang))).await,
    }
}
