//! 物品放行条 at the desk and at the gate: the desk issues a slip (its
//! number for the gate), shows and cancels it; the gate's page, made for a
//! phone, finds a slip by its number and releases or refuses it.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde::Deserialize;
use wuye_app::AppError;
use wuye_protocol::release::{Applicant, Authorisation, Item, NewSlip, ReleaseSlip, SlipStatus, SlipStep};

use super::page::{self, Page};
use super::session::Signed;
use super::AppState;
use wuye_web::form::Errors;

/// The issue form as typed.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct SlipForm {
    #[serde(default)]
    applicant: String,
    #[serde(default)]
    applicant_kind: String,
    #[serde(default)]
    house: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    car_plate: String,
    /// One line per item: `冰箱x1`.
    #[serde(default)]
    items: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    authorisation: String,
    #[serde(default)]
    confirmed_by: String,
    /// The day it is for, `2026-11-29`; today when empty.
    #[serde(default)]
    valid_on: String,
}

const FIELDS: &[&str] = &["applicant", "house", "phone", "car plate", "items", "reason", "who confirmed"];

#[derive(Template)]
#[template(path = "releases/list.html")]
struct List {
    page: Page,
    slips: Vec<ReleaseSlip>,
    form: SlipForm,
    errors: Errors,
    applicants: &'static [Applicant],
    authorisations: &'static [Authorisation],
}

async fn list_view(state: &AppState, signed: &Signed, form: SlipForm, errors: Errors) -> Response {
    match state.with_desk(|desk| desk.slips()).await {
        Ok(mut slips) => {
            slips.truncate(100);
            let page = signed.page(state, "releases", page::word(signed.lang, "release.title"));
            let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
            let list =
                List { page, slips, form, errors, applicants: Applicant::ALL, authorisations: Authorisation::ALL };
            (status, page::html(list.render())).into_response()
        }
        Err(e) => signed.error(state, &e),
    }
}

/// The slips and the form to issue one.
pub async fn list(State(state): State<AppState>, signed: Signed) -> Response {
    let form = SlipForm { applicant_kind: "owner".into(), authorisation: "in_person".into(), ..SlipForm::default() };
    list_view(&state, &signed, form, Errors::none()).await
}

/// Issues a slip; on to its page, to print it for the gate.
pub async fn create(State(state): State<AppState>, signed: Signed, Form(form): Form<SlipForm>) -> Response {
    let actor = signed.actor.clone();
    let typed = form.clone();
    let result = state
        .with_desk(move |desk| -> Result<ReleaseSlip, AppError> {
            let today = desk.now().with_timezone(&desk.site.timezone).date_naive();
            let valid_on = match form.valid_on.trim() {
                "" => today,
                d => wuye_app::lists::parse_date(d)?,
            };
            let items = form
                .items
                .lines()
                .filter(|l| !l.trim().is_empty())
                .map(|l| wuye_app::lists::counted(l).map(|(name, quantity)| Item { name, quantity }))
                .collect::<Result<Vec<_>, _>>()?;
            let new = NewSlip {
                number: String::new(),
                applicant: form.applicant,
                applicant_kind: form.applicant_kind.parse()?,
                house: form.house,
                phone: form.phone,
                car_plate: form.car_plate,
                items,
                reason: form.reason,
                authorisation: form.authorisation.parse()?,
                confirmed_by: form.confirmed_by,
                valid_on,
            };
            desk.issue_slip(&new, &actor)
        })
        .await;
    match result {
        Ok(slip) => Redirect::to(&format!("/releases/{}", slip.id)).into_response(),
        Err(e) => {
            let mut errors = Errors::from_error(&e, signed.lang, FIELDS);
            for (from, to) in [("car plate", "car_plate"), ("who confirmed", "confirmed_by")] {
                if let Some(w) = errors.of(from).map(String::from) {
                    errors.field(to, w);
                }
            }
            list_view(&state, &signed, typed, errors).await
        }
    }
}

#[derive(Template)]
#[template(path = "releases/show.html")]
struct Show {
    page: Page,
    s: ReleaseSlip,
    /// Principal the house owes past due (flagged, not refused).
    arrears: Option<u64>,
    expired: bool,
    failed: Option<String>,
}

async fn show_view(state: &AppState, signed: &Signed, id: String, failed: Option<String>) -> Response {
    let result = state
        .with_desk(move |desk| -> Result<(ReleaseSlip, Option<u64>, bool), AppError> {
            let s = desk.slip(&id)?;
            let expired = s.is_expired(desk.now());
            let arrears = desk.arrears_at(&s.house)?.map(|f| f.0);
            Ok((s, arrears, expired))
        })
        .await;
    match result {
        Ok((s, arrears, expired)) => {
            let page =
                signed.page(state, "releases", format!("{} {}", page::word(signed.lang, "release.one"), s.number));
            let status = if failed.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
            (status, page::html(Show { page, s, arrears, expired, failed }.render())).into_response()
        }
        Err(e) => signed.error(state, &e),
    }
}

/// One slip.
pub async fn show(State(state): State<AppState>, signed: Signed, Path(id): Path<String>) -> Response {
    show_view(&state, &signed, id, None).await
}

/// A reason, as the cancel and refuse forms send it.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ReasonForm {
    #[serde(default)]
    reason: String,
}

/// Cancels a slip at the desk.
pub async fn cancel(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<String>,
    Form(form): Form<ReasonForm>,
) -> Response {
    let actor = signed.actor.clone();
    let slip = id.clone();
    let result = state.with_desk(move |desk| desk.slip_step(&slip, SlipStep::Cancel(&form.reason), &actor)).await;
    match result {
        Ok(s) => Redirect::to(&format!("/releases/{}", s.id)).into_response(),
        Err(e) => show_view(&state, &signed, id, Some(page::say(&e, signed.lang))).await,
    }
}

/// What the gate page is asked: a slip's number, or what was just done.
#[derive(Debug, Default, Deserialize)]
pub struct GateQuery {
    #[serde(default)]
    number: String,
    #[serde(default)]
    done: String,
}

#[derive(Template)]
#[template(path = "releases/gate.html")]
struct Gate {
    page: Page,
    number: String,
    found: Option<ReleaseSlip>,
    /// Principal the found slip's house owes past due.
    arrears: Option<u64>,
    expired: bool,
    waiting: Vec<ReleaseSlip>,
    notice: Option<String>,
    failed: Option<String>,
}

async fn gate_view(state: &AppState, signed: &Signed, q: GateQuery, failed: Option<String>) -> Response {
    let number = q.number.trim().to_uppercase();
    let wanted = number.clone();
    let result = state
        .with_desk(move |desk| -> Result<_, AppError> {
            let now = desk.now();
            let slips = desk.slips()?;
            let found = slips.iter().find(|s| !wanted.is_empty() && s.number == wanted).cloned();
            let expired = found.as_ref().is_some_and(|s| s.is_expired(now));
            let arrears = match &found {
                Some(s) => desk.arrears_at(&s.house)?.map(|f| f.0),
                None => None,
            };
            let waiting = slips.into_iter().filter(|s| s.status == SlipStatus::Issued && !s.is_expired(now)).collect();
            Ok((found, arrears, expired, waiting))
        })
        .await;
    match result {
        Ok((found, arrears, expired, waiting)) => {
            let page = signed.page(state, "gate", page::word(signed.lang, "gate.title"));
            let notice = match q.done.as_str() {
                "released" => Some(page.t("gate.released").to_string()),
                "refused" => Some(page.t("gate.refused").to_string()),
                _ => None,
            };
            let failed = match (&failed, &found) {
                (None, None) if !number.is_empty() => Some(page.t("gate.not_found").to_string()),
                _ => failed,
            };
            let status = if failed.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
            let gate = Gate { page, number, found, arrears, expired, waiting, notice, failed };
            (status, page::html(gate.render())).into_response()
        }
        Err(e) => signed.error(state, &e),
    }
}

/// The gate's page: a slip by its number, and the slips waiting today.
pub async fn gate(State(state): State<AppState>, signed: Signed, Query(q): Query<GateQuery>) -> Response {
    gate_view(&state, &signed, q, None).await
}

/// The gate releases the items, or refuses them with a reason.
pub async fn check(
    State(state): State<AppState>,
    signed: Signed,
    Path((id, verdict)): Path<(String, String)>,
    Form(form): Form<ReasonForm>,
) -> Response {
    let release = match verdict.as_str() {
        "release" => true,
        "refuse" => false,
        _ => return signed.error(&state, &AppError::NotFound { kind: "step", id: verdict }),
    };
    let actor = signed.actor.clone();
    let slip = id.clone();
    let result = state
        .with_desk(move |desk| {
            let step = if release { SlipStep::Release } else { SlipStep::Refuse(&form.reason) };
            desk.slip_step(&slip, step, &actor)
        })
        .await;
    match result {
        Ok(s) => Redirect::to(&format!("/gate?done={}", s.status.as_str())).into_response(),
        Err(e) => {
            // The same slip again, with what stopped the step.
            let number = state.with_desk(move |desk| desk.slip(&id).map(|s| s.number)).await.unwrap_or_default();
            gate_view(&state, &signed, GateQuery { number, done: String::new() }, Some(page::say(&e, signed.lang)))
                .await
        }
    }
}
