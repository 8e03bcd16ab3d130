//! 收楼流转单 at the desk: the slips in progress, opening one for a house
//! not yet handed over, and one slip's stations, each ticked, filled in and
//! stamped (盖章) or sent back by its own people.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde::Deserialize;
use wuye_app::desk::{MoveInStep, MoveInView};
use wuye_app::AppError;
use wuye_protocol::house::{House, HouseState};
use wuye_protocol::key::{Key, KeyStatus};
use wuye_protocol::money::Fen;
use wuye_protocol::movein::{Defect, Meter, MoveIn, StationKind};
use wuye_protocol::repair::Category;

use super::page::{self, Page};
use super::session::Signed;
use super::AppState;
use wuye_web::form::Errors;

/// The form that opens a slip.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct OpenForm {
    #[serde(default)]
    house: String,
    #[serde(default)]
    owner: String,
    #[serde(default)]
    phone: String,
}

#[derive(Template)]
#[template(path = "moveins/list.html")]
struct List {
    page: Page,
    slips: Vec<MoveIn>,
    houses: Vec<House>,
    form: OpenForm,
    errors: Errors,
}

async fn list_view(state: &AppState, signed: &Signed, form: OpenForm, errors: Errors) -> Response {
    let result = state
        .with_desk(|desk| -> Result<_, AppError> {
            let houses: Vec<House> =
                desk.houses(None, None)?.into_iter().filter(|h| h.state == HouseState::NotHandedOver).collect();
            Ok((desk.moveins()?, houses))
        })
        .await;
    match result {
        Ok((slips, houses)) => {
            let page = signed.page(state, "moveins", page::word(signed.lang, "movein.title"));
            let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
            (status, page::html(List { page, slips, houses, form, errors }.render())).into_response()
        }
        Err(e) => signed.error(state, &e),
    }
}

/// The slips, and the form to open one.
pub async fn list(State(state): State<AppState>, signed: Signed) -> Response {
    list_view(&state, &signed, OpenForm::default(), Errors::none()).await
}

/// Opens a slip; on to it.
pub async fn create(State(state): State<AppState>, signed: Signed, Form(form): Form<OpenForm>) -> Response {
    let actor = signed.actor.clone();
    let typed = form.clone();
    let result = state.with_desk(move |desk| desk.open_movein(&form.house, &form.owner, &form.phone, &actor)).await;
    match result {
        Ok(slip) => Redirect::to(&format!("/moveins/{}", slip.id)).into_response(),
        Err(e) => {
            let mut errors = Errors::from_error(&e, signed.lang, &["house", "owner", "phone"]);
            if errors.of("house").is_none() && errors.general.is_empty() {
                errors.general.push(page::say(&e, signed.lang));
            }
            list_view(&state, &signed, typed, errors).await
        }
    }
}

/// Everything the station forms send; each form fills its own part.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct StepForm {
    #[serde(default)]
    station: String,
    #[serde(default)]
    item: String,
    #[serde(default)]
    done: String,
    #[serde(default)]
    water: String,
    #[serde(default)]
    electricity: String,
    #[serde(default)]
    gas: String,
    #[serde(default)]
    room: String,
    #[serde(default)]
    text: String,
    #[serde(default)]
    category: String,
    #[serde(default)]
    fee: String,
    #[serde(default)]
    amount: String,
    #[serde(default)]
    key: String,
    #[serde(default)]
    reason: String,
}

#[derive(Template)]
#[template(path = "moveins/show.html")]
struct Show {
    page: Page,
    m: MoveIn,
    defects: Vec<(Defect, Option<String>)>,
    keys: Vec<Key>,
    categories: &'static [Category],
    failed: Option<(String, String)>,
}

impl Show {
    fn reading(&self, meter: &str) -> &str {
        meter.parse::<Meter>().map_or("", |m| self.m.reading(m))
    }

    fn failed_at(&self, station: &str) -> Option<&str> {
        self.failed.as_ref().filter(|(s, _)| s == station).map(|(_, m)| m.as_str())
    }
}

async fn show_view(state: &AppState, signed: &Signed, id: String, failed: Option<(String, String)>) -> Response {
    let result = state
        .with_desk(move |desk| -> Result<(MoveInView, Vec<Key>), AppError> {
            let view = desk.movein(&id)?;
            let keys = desk.keys(false)?.into_iter().filter(|k| k.status == KeyStatus::InCabinet).collect();
            Ok((view, keys))
        })
        .await;
    match result {
        Ok((view, keys)) => {
            let MoveInView { slip, orders } = view;
            let defects = slip.defects.iter().cloned().zip(orders).collect();
            let title = format!("{} · {} {}", page::word(signed.lang, "movein.one"), slip.house, slip.owner);
            let page = signed.page(state, "moveins", title);
            let status = if failed.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
            let show = Show { page, m: slip, defects, keys, categories: Category::ALL, failed };
            (status, page::html(show.render())).into_response()
        }
        Err(e) => signed.error(state, &e),
    }
}

/// One slip, station by station.
pub async fn show(State(state): State<AppState>, signed: Signed, Path(id): Path<String>) -> Response {
    show_view(&state, &signed, id, None).await
}

/// One step on a slip: `tick`, `read`, `defect`, `fee`, `key`, `stamp` or `return`.
pub async fn step(
    State(state): State<AppState>,
    signed: Signed,
    Path((id, action)): Path<(String, String)>,
    Form(form): Form<StepForm>,
) -> Response {
    let actor = signed.actor.clone();
    let slip = id.clone();
    let station = form.station.clone();
    let result = state
        .with_desk(move |desk| -> Result<(), AppError> {
            let kind = || form.station.parse::<StationKind>().map_err(AppError::Rule);
            match action.as_str() {
                "tick" => {
                    desk.movein_step(&slip, MoveInStep::Tick(kind()?, &form.item, form.done == "1"), &actor)?;
                }
                "read" => {
                    for (meter, value) in
                        [(Meter::Water, &form.water), (Meter::Electricity, &form.electricity), (Meter::Gas, &form.gas)]
                    {
                        if !value.trim().is_empty() {
                            desk.movein_step(&slip, MoveInStep::Reading(meter, value), &actor)?;
                        }
                    }
                }
                "defect" => {
                    let order = match form.category.trim() {
                        "" => None,
                        c => Some(c.parse::<Category>()?),
                    };
                    desk.movein_step(&slip, MoveInStep::Defect { room: &form.room, text: &form.text, order }, &actor)?;
                }
                "fee" => {
                    let amount = Fen::parse_yuan(&form.amount)?;
                    desk.movein_step(&slip, MoveInStep::Fee(&form.fee, amount), &actor)?;
                }
                "key" => {
                    desk.movein_step(&slip, MoveInStep::Key(&form.key), &actor)?;
                }
                "stamp" => {
                    let reason = Some(form.reason.as_str()).filter(|r| !r.trim().is_empty());
                    desk.movein_step(&slip, MoveInStep::Stamp(kind()?, reason), &actor)?;
                }
                "return" => {
                    desk.movein_step(&slip, MoveInStep::Return(kind()?, &form.reason), &actor)?;
                }
                _ => return Err(AppError::NotFound { kind: "step", id: action }),
            }
            Ok(())
        })
        .await;
    match result {
        Ok(()) => Redirect::to(&format!("/moveins/{id}#station-{station}")).into_response(),
        Err(e) => show_view(&state, &signed, id, Some((station, page::say(&e, signed.lang)))).await,
    }
}
