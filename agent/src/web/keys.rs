//! 钥匙 at the desk: the keys in custody with where each is, taken in, lent
//! (an owner's key only by a 客服主管 or 经理 who notes how the owner was
//! contacted), returned; and the house register, searched by building and room.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde::Deserialize;
use wuye_app::desk::Loan;
use wuye_app::AppError;
use wuye_protocol::house::House;
use wuye_protocol::key::{Key, KeyKind, NewKey, Step};

use super::page::{self, Page};
use super::session::Signed;
use super::AppState;

/// The key forms as typed: taking one in, lending one.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct KeyForm {
    #[serde(default)]
    tag: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    slot: String,
    #[serde(default)]
    opens: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    due: String,
    #[serde(default)]
    owner_contacted: String,
    #[serde(default)]
    id_card: String,
}

#[derive(Template)]
#[template(path = "keys/list.html")]
struct List {
    page: Page,
    keys: Vec<(Key, bool)>,
    kinds: &'static [KeyKind],
    failed: Option<String>,
}

async fn list_view(state: &AppState, signed: &Signed, failed: Option<String>) -> Response {
    let result = state
        .with_desk(|desk| -> Result<Vec<(Key, bool)>, AppError> {
            let now = desk.now();
            Ok(desk.keys(false)?.into_iter().map(|k| (k.is_overdue(now), k)).map(|(late, k)| (k, late)).collect())
        })
        .await;
    match result {
        Ok(keys) => {
            let page = signed.page(state, "keys", page::word(signed.lang, "key.title"));
            let status = if failed.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
            (status, page::html(List { page, keys, kinds: KeyKind::ALL, failed }.render())).into_response()
        }
        Err(e) => signed.error(state, &e),
    }
}

/// The keys.
pub async fn list(State(state): State<AppState>, signed: Signed) -> Response {
    list_view(&state, &signed, None).await
}

/// Takes a key into custody.
pub async fn create(State(state): State<AppState>, signed: Signed, Form(form): Form<KeyForm>) -> Response {
    let actor = signed.actor.clone();
    let result = state
        .with_desk(move |desk| -> Result<Key, AppError> {
            let new = NewKey {
                tag: form.tag,
                kind: form.kind.parse()?,
                slot: form.slot,
                opens: form.opens,
                deposited_by: form.from,
            };
            desk.add_key(&new, &actor)
        })
        .await;
    match result {
        Ok(_) => Redirect::to("/keys").into_response(),
        Err(e) => list_view(&state, &signed, Some(page::say(&e, signed.lang))).await,
    }
}

/// Lends (`lend`) or takes back (`return`) a key.
pub async fn step(
    State(state): State<AppState>,
    signed: Signed,
    Path((id, action)): Path<(String, String)>,
    Form(form): Form<KeyForm>,
) -> Response {
    let actor = signed.actor.clone();
    let result = state
        .with_desk(move |desk| -> Result<Key, AppError> {
            match action.as_str() {
                "lend" => {
                    let due = wuye_app::lists::parse_time(&form.due, desk.site.timezone)?;
                    let loan = Loan {
                        to: form.to,
                        reason: form.reason,
                        owner_contacted: form.owner_contacted,
                        due,
                        id_card: form.id_card,
                    };
                    desk.lend_key(&id, &loan, &actor)
                }
                "return" => desk.key_step_by_id(&id, Step::Return, &actor),
                _ => Err(AppError::NotFound { kind: "step", id: action }),
            }
        })
        .await;
    match result {
        Ok(_) => Redirect::to("/keys").into_response(),
        Err(e) => list_view(&state, &signed, Some(page::say(&e, signed.lang))).await,
    }
}

/// The register's search: a building, a room.
#[derive(Debug, Default, Deserialize)]
pub struct HouseQuery {
    #[serde(default)]
    building: String,
    #[serde(default)]
    room: String,
}

#[derive(Template)]
#[template(path = "houses/list.html")]
struct Houses {
    page: Page,
    houses: Vec<House>,
    query: HouseQuery,
}

impl Houses {
    fn area(&self, centi: &u64) -> String {
        wuye_protocol::house::area_text(*centi)
    }
}

/// The house register, searched by building and room.
pub async fn houses(State(state): State<AppState>, signed: Signed, Query(query): Query<HouseQuery>) -> Response {
    let (building, room) = (query.building.clone(), query.room.clone());
    let result = state.with_desk(move |desk| desk.houses(Some(&building), Some(&room))).await;
    match result {
        Ok(houses) => {
            let page = signed.page(&state, "houses", page::word(signed.lang, "house.title"));
            page::html(Houses { page, houses, query }.render())
        }
        Err(e) => signed.error(&state, &e),
    }
}
