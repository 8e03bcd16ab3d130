//! The duty roster (值班表) as a week, with the periods nobody holds marked.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use chrono::{Datelike, Duration, NaiveDate};
use serde::Deserialize;
use wuye_app::AppError;
use wuye_node::Records as _;
use wuye_protocol::duty_shift::Shift;
use wuye_protocol::staff::Staff;

use super::page::{self, Page};
use super::session::Signed;
use super::AppState;
use wuye_web::form::Errors;

/// One day of the week view: who holds the morning and the afternoon.
#[derive(Debug, Clone)]
pub struct Day {
    /// The date.
    pub date: NaiveDate,
    /// Morning names.
    pub am: Vec<String>,
    /// Afternoon names.
    pub pm: Vec<String>,
}

#[derive(Template)]
#[template(path = "duty/week.html")]
struct Week {
    page: Page,
    days: Vec<Day>,
    staff: Vec<Staff>,
    previous: NaiveDate,
    next: NaiveDate,
    errors: Errors,
    form: AssignForm,
}

/// Which week.
#[derive(Debug, Deserialize)]
pub struct WeekQuery {
    #[serde(default)]
    week: String,
}

async fn week_view(
    state: &AppState,
    signed: &Signed,
    start: Option<NaiveDate>,
    form: AssignForm,
    errors: Errors,
) -> Response {
    let result = state
        .with_desk(move |desk| -> Result<(Vec<Day>, Vec<Staff>, NaiveDate), AppError> {
            let today = desk.now().with_timezone(&desk.site.timezone).date_naive();
            let start = start.unwrap_or(today);
            let monday = start - Duration::days(i64::from(start.weekday().num_days_from_monday()));
            let mut days = Vec::new();
            for i in 0..7 {
                let date = monday + Duration::days(i);
                let shifts = desk.duty_check(date)?;
                let names = |s: Shift| shifts.iter().find(|(x, _)| *x == s).map(|(_, n)| n.clone()).unwrap_or_default();
                days.push(Day { date, am: names(Shift::Am), pm: names(Shift::Pm) });
            }
            let staff = desk.store.all::<Staff>(Some(desk.site.id))?.into_iter().filter(Staff::is_active).collect();
            Ok((days, staff, monday))
        })
        .await;
    match result {
        Ok((days, staff, monday)) => {
            let page = signed.page(state, "duty", page::word(signed.lang, "duty.title"));
            let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
            let view = Week {
                page,
                days,
                staff,
                previous: monday - Duration::days(7),
                next: monday + Duration::days(7),
                errors,
                form,
            };
            (status, page::html(view.render())).into_response()
        }
        Err(e) => signed.error(state, &e),
    }
}

/// The week containing `week` (today when not given).
pub async fn week(State(state): State<AppState>, signed: Signed, Query(q): Query<WeekQuery>) -> Response {
    let start = wuye_app::lists::parse_date(&q.week).ok();
    week_view(&state, &signed, start, AssignForm::default(), Errors::none()).await
}

/// Putting someone on duty, as typed.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct AssignForm {
    #[serde(default)]
    staff: String,
    #[serde(default)]
    date: String,
    #[serde(default)]
    shift: String,
}

/// Puts a staff member on duty for one period.
pub async fn assign(State(state): State<AppState>, signed: Signed, Form(form): Form<AssignForm>) -> Response {
    let actor = signed.actor.clone();
    let typed = form.clone();
    let result = state
        .with_desk(move |desk| -> Result<NaiveDate, AppError> {
            let date = wuye_app::lists::parse_date(&form.date)?;
            let shift: Shift = form.shift.parse().map_err(|_| {
                AppError::Rule(wuye_protocol::rules::RuleError::Unknown {
                    what: "shift (am or pm)",
                    value: form.shift.clone(),
                })
            })?;
            desk.assign_duty(&form.staff, date, shift, &actor)?;
            Ok(date)
        })
        .await;
    match result {
        Ok(date) => Redirect::to(&format!("/duty?week={date}")).into_response(),
        Err(e) => {
            let errors = Errors::from_error(&e, signed.lang, &[]);
            let start = wuye_app::lists::parse_date(&typed.date).ok();
            week_view(&state, &signed, start, typed, errors).await
        }
    }
}
