//! 装修 at the desk: the renovations with where each stands, the
//! application form, and one renovation's page with its charges in the fee
//! ledger, its steps (approve or refuse, start, extend, finish, inspect,
//! close), passes, patrols and violations, notes and the deposit's refund.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde::Deserialize;
use wuye_app::desk::{NewRenovation, RenovationView};
use wuye_app::AppError;
use wuye_protocol::fee::PayMethod;
use wuye_protocol::money::Fen;
use wuye_protocol::renovation::{self, Action, Contractor, Renovation, Violation, WorkItem};

use super::page::{self, Page};
use super::session::Signed;
use super::AppState;
use wuye_web::form::Errors;

/// The application form as typed; `items` holds the ticked work items.
#[derive(Debug, Clone, Default)]
pub struct ApplyForm {
    house: String,
    owner: String,
    phone: String,
    contractor: String,
    licence: String,
    manager: String,
    manager_phone: String,
    items: Vec<String>,
    start: String,
    end: String,
}

impl ApplyForm {
    /// Reads the posted pairs (the work items' boxes share one name).
    fn of(pairs: Vec<(String, String)>) -> ApplyForm {
        let mut f = ApplyForm::default();
        for (k, v) in pairs {
            match k.as_str() {
                "house" => f.house = v,
                "owner" => f.owner = v,
                "phone" => f.phone = v,
                "contractor" => f.contractor = v,
                "licence" => f.licence = v,
                "manager" => f.manager = v,
                "manager_phone" => f.manager_phone = v,
                "item" => f.items.push(v),
                "start" => f.start = v,
                "end" => f.end = v,
                _ => {}
            }
        }
        f
    }

    fn ticked(&self, item: &WorkItem) -> bool {
        self.items.iter().any(|i| i == item.as_str())
    }
}

/// The fields an error may stand beside; others stand above the form.
const FIELDS: &[&str] = &["house", "owner", "phone"];

#[derive(Template)]
#[template(path = "renovations/list.html")]
struct List {
    page: Page,
    all: Vec<Renovation>,
    form: ApplyForm,
    errors: Errors,
    items: &'static [WorkItem],
    hours: String,
}

async fn list_view(state: &AppState, signed: &Signed, form: ApplyForm, errors: Errors) -> Response {
    let result = state
        .with_desk(|desk| -> Result<_, AppError> {
            let hours = wuye_app::settings::SiteSettings::load(&desk.store)?.renovation_hours;
            Ok((desk.renovations()?, hours))
        })
        .await;
    match result {
        Ok((all, hours)) => {
            let page = signed.page(state, "renovations", page::word(signed.lang, "renovation.title"));
            let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
            let list = List { page, all, form, errors, items: WorkItem::ALL, hours };
            (status, page::html(list.render())).into_response()
        }
        Err(e) => signed.error(state, &e),
    }
}

/// The renovations, and the application form.
pub async fn list(State(state): State<AppState>, signed: Signed) -> Response {
    list_view(&state, &signed, ApplyForm::default(), Errors::none()).await
}

/// Takes an application; on to its page.
pub async fn create(
    State(state): State<AppState>,
    signed: Signed,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let actor = signed.actor.clone();
    let form = ApplyForm::of(pairs);
    let typed = form.clone();
    let result = state
        .with_desk(move |desk| -> Result<Renovation, AppError> {
            let new = NewRenovation {
                house: form.house,
                owner: form.owner,
                phone: form.phone,
                contractor: Contractor {
                    name: form.contractor,
                    licence: form.licence,
                    manager: form.manager,
                    phone: form.manager_phone,
                },
                items: form.items.iter().map(|i| renovation::parse_item(i)).collect::<Result<_, _>>()?,
                start: wuye_app::lists::parse_date(&form.start)?,
                end: wuye_app::lists::parse_date(&form.end)?,
            };
            desk.apply_renovation(&new, &actor)
        })
        .await;
    match result {
        Ok(r) => Redirect::to(&format!("/renovations/{}", r.id)).into_response(),
        Err(e) => {
            let errors = Errors::from_error(&e, signed.lang, FIELDS);
            list_view(&state, &signed, typed, errors).await
        }
    }
}

/// What the step forms send; each fills its own part.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct StepForm {
    #[serde(default)]
    text: String,
    #[serde(default)]
    until: String,
    #[serde(default)]
    worker: String,
    #[serde(default)]
    number: String,
    #[serde(default)]
    seen: String,
    #[serde(default)]
    violation: String,
    #[serde(default)]
    photo: String,
    #[serde(default)]
    deadline: String,
    #[serde(default)]
    fine: String,
    #[serde(default)]
    patrol: String,
    /// One deduction a line: `200:周末噪音作业罚款`.
    #[serde(default)]
    deductions: String,
    #[serde(default)]
    method: String,
}

#[derive(Template)]
#[template(path = "renovations/show.html")]
struct Show {
    page: Page,
    v: RenovationView,
    tz: chrono_tz::Tz,
    methods: &'static [PayMethod],
    failed: Option<String>,
}

impl Show {
    /// A stored instant in the site's time, to the minute.
    fn when(&self, at: &str) -> String {
        page::stored_time(at, self.tz)
    }

    fn state(&self) -> &'static str {
        self.v.r.state().as_str()
    }

    /// The correction of patrol `n` (from 1), if put right.
    fn correction(&self, n: &usize) -> Option<&wuye_protocol::renovation::Correction> {
        self.v.r.corrections.iter().find(|c| c.patrol + 1 == *n)
    }
}

async fn show_view(state: &AppState, signed: &Signed, id: String, failed: Option<String>) -> Response {
    let result = state.with_desk(move |desk| desk.renovation_view(&id).map(|v| (v, desk.site.timezone))).await;
    match result {
        Ok((v, tz)) => {
            let title = format!("{} · {} {}", page::word(signed.lang, "renovation.one"), v.r.house, v.r.owner);
            let page = signed.page(state, "renovations", title);
            let status = if failed.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
            (status, page::html(Show { page, v, tz, methods: PayMethod::ALL, failed }.render())).into_response()
        }
        Err(e) => signed.error(state, &e),
    }
}

/// One renovation.
pub async fn show(State(state): State<AppState>, signed: Signed, Path(id): Path<String>) -> Response {
    show_view(&state, &signed, id, None).await
}

/// One step on a renovation: a step of its flow by name (`approve`,
/// `refuse`, `start`, `extend`, `finish`, `pass`, `fail`, `rectified`,
/// `close`), or `issue-pass`, `return-pass`, `patrol`, `correct`, `note`, `refund`.
pub async fn step(
    State(state): State<AppState>,
    signed: Signed,
    Path((id, action)): Path<(String, String)>,
    Form(form): Form<StepForm>,
) -> Response {
    let actor = signed.actor.clone();
    let rid = id.clone();
    let result = state
        .with_desk(move |desk| -> Result<(), AppError> {
            match action.as_str() {
                "issue-pass" => {
                    desk.renovation_pass(&rid, &form.worker, &form.number, &actor)?;
                }
                "return-pass" => {
                    desk.renovation_return_pass(&rid, &form.number, &actor)?;
                }
                "patrol" => {
                    let violation = match form.violation.trim() {
                        "" => None,
                        item => Some(Violation {
                            item: item.to_string(),
                            photo_note: form.photo,
                            deadline: wuye_app::lists::parse_date(&form.deadline)?,
                            fine: match form.fine.trim() {
                                "" => Fen::ZERO,
                                f => Fen::parse_yuan(f)?,
                            },
                        }),
                    };
                    desk.renovation_patrol(&rid, &form.seen, violation.as_ref(), &actor)?;
                }
                "correct" => {
                    let n = form
                        .patrol
                        .trim()
                        .parse()
                        .map_err(|_| AppError::NotFound { kind: "patrol", id: form.patrol.clone() })?;
                    desk.renovation_correct(&rid, n, &form.text, &actor)?;
                }
                "note" => {
                    desk.renovation_note(&rid, &form.text, &actor)?;
                }
                "refund" => {
                    let deductions = wuye_app::renovations::parse_deductions(form.deductions.lines())?;
                    desk.refund_renovation_deposit(&rid, &deductions, form.method.parse()?, &actor)?;
                }
                name => {
                    let step: Action = name.parse()?;
                    let until = match form.until.trim() {
                        "" => None,
                        d => Some(wuye_app::lists::parse_date(d)?),
                    };
                    desk.renovation_step(&rid, step, &form.text, until, &actor)?;
                }
            }
            Ok(())
        })
        .await;
    match result {
        Ok(()) => Redirect::to(&format!("/renovations/{id}")).into_response(),
        Err(e) => show_view(&state, &signed, id, Some(page::say(&e, signed.lang))).await,
    }
}
