//! Repair work orders (维修工作单): the list, reporting (also from a call),
//! the detail page with the steps from dispatch to close, and a maintenance
//! worker's own orders, which fit a phone's screen.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde::Deserialize;
use wuye_app::desk::{Desk, DeskRepairStep};
use wuye_app::lists::ListFilter;
use wuye_app::AppError;
use wuye_node::Records as _;
use wuye_protocol::money::Fen;
use wuye_protocol::repair::{Category, NewRepair, Repair, RepairStatus, RepairStep, Urgency};
use wuye_protocol::rules::Channel;
use wuye_protocol::staff::{Role, Staff};

use super::page::{self, Page};
use super::session::Signed;
use super::{AppState, ListPage};
use wuye_web::form::Errors;

/// The list's filters.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    status: String,
    #[serde(default)]
    q: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    overdue: String,
    #[serde(default)]
    after: String,
}

impl ListQuery {
    fn query_string(&self) -> String {
        serde_urlencoded::to_string([
            ("status", &self.status),
            ("q", &self.q),
            ("from", &self.from),
            ("to", &self.to),
            ("overdue", &self.overdue),
        ])
        .unwrap_or_default()
    }
}

#[derive(Template)]
#[template(path = "repairs/list.html")]
struct ListView {
    page: Page,
    query: ListQuery,
    list: ListPage<Repair>,
    statuses: Vec<(&'static str, String)>,
    error: Option<String>,
    now: chrono::DateTime<chrono::Utc>,
}

fn repairs_page(desk: &Desk, q: &ListQuery) -> Result<ListPage<Repair>, AppError> {
    let filter = ListFilter {
        statuses: super::chosen_states(&q.status, q.overdue == "1", wuye_app::shift::open_repair_states()),
        from: super::optional_date(&q.from)?,
        to: super::optional_date(&q.to)?,
        fields: Vec::new(),
        contains: Some(q.q.trim().to_string()).filter(|t| !t.is_empty()),
    };
    let overdue = (q.overdue == "1").then_some(Repair::is_overdue as fn(&Repair, _) -> bool);
    Ok(super::page_or_overdue(desk, &filter, &q.after, overdue)?.into())
}

/// The work-order list, newest first.
pub async fn list(State(state): State<AppState>, signed: Signed, Query(query): Query<ListQuery>) -> Response {
    let q = query.clone();
    let result = state.with_desk(move |desk| repairs_page(desk, &q).map(|l| (l, desk.now()))).await;
    let page = signed.page(&state, "repairs", page::word(signed.lang, "repair.list"));
    let statuses = RepairStatus::ALL.iter().map(|s| (s.as_str(), page.rstate(s))).collect();
    let (list, error, now) = match result {
        Ok((list, now)) => (list, None, now),
        Err(e) => (ListPage::empty(), Some(page::say(&e, signed.lang)), chrono::Utc::now()),
    };
    page::html(ListView { page, query, list, statuses, error, now }.render())
}

#[derive(Template)]
#[template(path = "repairs/mine.html")]
struct MineView {
    page: Page,
    orders: Vec<Repair>,
}

/// A maintenance worker's open orders.
pub async fn mine(State(state): State<AppState>, signed: Signed) -> Response {
    let name = signed.actor.staff_id;
    let result = state
        .with_desk(move |desk| -> Result<Vec<Repair>, AppError> {
            let me = match name {
                Some(id) => Some(desk.staff_member(&id.to_string())?.name),
                None => None,
            };
            let filter = ListFilter {
                statuses: wuye_app::shift::open_repair_states().map(String::from).collect(),
                ..ListFilter::default()
            };
            Ok(desk
                .list_all::<Repair>(&filter)?
                .into_iter()
                .filter(|r| r.assigned_to.is_some() && r.assigned_to == me)
                .collect())
        })
        .await;
    match result {
        Ok(orders) => page::html(
            MineView { page: signed.page(&state, "repairs", page::word(signed.lang, "repair.mine")), orders }.render(),
        ),
        Err(e) => signed.error(&state, &e),
    }
}

/// The report form as typed (or prefilled from a call).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct NewForm {
    #[serde(default)]
    from_log: String,
    #[serde(default)]
    unit: String,
    #[serde(default)]
    area: String,
    #[serde(default)]
    category: String,
    #[serde(default)]
    summary: String,
    #[serde(default)]
    channel: String,
    #[serde(default)]
    urgency: String,
    #[serde(default)]
    appointment: String,
    #[serde(default)]
    paid: Option<String>,
    /// 报修人 (named as a call's form passes it on).
    #[serde(default)]
    customer: String,
    #[serde(default)]
    phone: String,
}

const NEW_FIELDS: &[&str] =
    &["unit", "area", "category", "description", "channel", "urgency", "appointment", "reporter", "phone"];

#[derive(Template)]
#[template(path = "repairs/new.html")]
struct NewView {
    page: Page,
    form: NewForm,
    errors: Errors,
    channels: Vec<(&'static str, String)>,
    categories: Vec<(&'static str, String)>,
    urgencies: Vec<(&'static str, String)>,
}

async fn new_view(state: &AppState, signed: &Signed, mut form: NewForm, errors: Errors) -> Response {
    let from_log = form.from_log.clone();
    if !from_log.trim().is_empty() && form.summary.is_empty() {
        let looked_up = state.with_desk(move |desk| desk.log_entry(from_log.trim())).await;
        match looked_up {
            Ok(log) => {
                form.unit = log.unit;
                form.summary = log.asked;
                form.channel = log.channel.as_str().to_string();
            }
            Err(e) => return signed.error(state, &e),
        }
    }
    if form.channel.is_empty() {
        form.channel = "phone".into();
    }
    if form.urgency.is_empty() {
        form.urgency = "normal".into();
    }
    let page = signed.page(state, "repairs", page::word(signed.lang, "repair.new"));
    let channels = Channel::ALL.iter().map(|c| (c.as_str(), page.label(c.label(), c.as_str()))).collect();
    let categories = Category::ALL.iter().map(|c| (c.as_str(), page.label(c.label(), c.as_str()))).collect();
    let urgencies = Urgency::ALL.iter().map(|c| (c.as_str(), page.label(c.label(), c.as_str()))).collect();
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    (status, page::html(NewView { page, form, errors, channels, categories, urgencies }.render())).into_response()
}

/// The report form.
pub async fn new(State(state): State<AppState>, signed: Signed, Query(form): Query<NewForm>) -> Response {
    new_view(&state, &signed, form, Errors::none()).await
}

/// Reports a repair (报修), linked to its call if any.
pub async fn create(State(state): State<AppState>, signed: Signed, Form(form): Form<NewForm>) -> Response {
    let actor = signed.actor.clone();
    let typed = form.clone();
    let result = state
        .with_desk(move |desk| -> Result<Repair, AppError> {
            let appointment = match form.appointment.trim() {
                "" => None,
                t => Some(wuye_app::lists::parse_time(t, desk.site.timezone)?),
            };
            let some = |t: &str| Some(t.trim().to_string()).filter(|t| !t.is_empty());
            let input = NewRepair {
                unit: some(&form.unit),
                area: some(&form.area),
                category: form.category.parse().map_err(AppError::Rule)?,
                description: form.summary,
                channel: form.channel.parse().map_err(AppError::Rule)?,
                urgency: form.urgency.parse().map_err(AppError::Rule)?,
                appointment,
                paid: form.paid.is_some(),
                reporter: form.customer.clone(),
                reporter_phone: form.phone.clone(),
            };
            let from_log = Some(form.from_log.trim()).filter(|l| !l.is_empty());
            desk.made_from_log(from_log, |desk| desk.add_repair(&input, &actor), |r| r.id)
        })
        .await;
    match result {
        Ok(r) => Redirect::to(&format!("/repairs/{}", r.id)).into_response(),
        Err(e) => {
            let mut errors = Errors::from_error(&e, signed.lang, NEW_FIELDS);
            if let Some(words) = errors.of("description").map(String::from) {
                errors.field("summary", words);
            }
            new_view(&state, &signed, typed, errors).await
        }
    }
}

#[derive(Template)]
#[template(path = "repairs/show.html")]
struct ShowView {
    page: Page,
    r: Repair,
    offers: Vec<super::complaints::Offer>,
    workers: Vec<Staff>,
    failed: Option<(String, String)>,
    typed: StepForm,
    overdue: bool,
}

async fn show_view(
    state: &AppState,
    signed: &Signed,
    id: String,
    failed: Option<(String, String)>,
    typed: StepForm,
) -> Response {
    let lang = signed.lang;
    let result = state
        .with_desk(move |desk| -> Result<(Repair, wuye_app::desk::Offers, Vec<Staff>, bool), AppError> {
            let r = desk.repair(&id)?;
            let offers = desk.repair_offers(&r.id.to_string())?;
            let workers = desk
                .store
                .all::<Staff>(Some(desk.site.id))?
                .into_iter()
                .filter(|s| s.role == Role::Maintenance && s.is_active())
                .collect();
            let overdue = r.is_overdue(desk.now());
            Ok((r, offers, workers, overdue))
        })
        .await;
    match result {
        Ok((r, offers, workers, overdue)) => {
            let offers = offers
                .into_iter()
                .map(|(step, refused)| super::complaints::Offer { step, refused: refused.map(|e| page::say(&e, lang)) })
                .collect();
            let page = signed.page(state, "repairs", page::word(lang, "repair.detail"));
            let status = if failed.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
            (status, page::html(ShowView { page, r, offers, workers, failed, typed, overdue }.render())).into_response()
        }
        Err(e) => signed.error(state, &e),
    }
}

/// A work order's page.
pub async fn show(State(state): State<AppState>, signed: Signed, Path(id): Path<String>) -> Response {
    show_view(&state, &signed, id, None, StepForm::default()).await
}

/// A step's form as typed.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct StepForm {
    #[serde(default)]
    text: String,
    #[serde(default)]
    staff: String,
    #[serde(default)]
    materials: String,
    #[serde(default)]
    charge: String,
    #[serde(default)]
    satisfaction: String,
}

/// Takes one step on a work order.
pub async fn step(
    State(state): State<AppState>,
    signed: Signed,
    Path((id, step)): Path<(String, String)>,
    Form(form): Form<StepForm>,
) -> Response {
    let actor = signed.actor.clone();
    let (record, name, typed) = (id.clone(), step.clone(), form.clone());
    let result = state
        .with_desk(move |desk| -> Result<Repair, AppError> {
            let charge_fen = match form.charge.trim() {
                "" => None,
                c => Some(Fen::parse_yuan(c).map_err(AppError::Rule)?),
            };
            let step = match name.as_str() {
                "dispatch" => DeskRepairStep::Dispatch { staff_id: form.staff.as_str() },
                "arrive" => DeskRepairStep::Other(RepairStep::Arrive),
                "complete" => DeskRepairStep::Other(RepairStep::Complete {
                    work: &form.text,
                    materials: &form.materials,
                    charge_fen,
                }),
                "visit" => DeskRepairStep::Other(RepairStep::Visit {
                    satisfaction: form.satisfaction.trim().parse().unwrap_or(0),
                    comment: &form.text,
                }),
                "close" => DeskRepairStep::Other(RepairStep::Close),
                "note" => DeskRepairStep::Other(RepairStep::Note(&form.text)),
                _ => return Err(AppError::NotFound { kind: "step", id: name }),
            };
            desk.repair_step(&record, &step, &actor)
        })
        .await;
    match result {
        Ok(r) => Redirect::to(&format!("/repairs/{}", r.id)).into_response(),
        Err(e) => show_view(&state, &signed, id, Some((step, page::say(&e, signed.lang))), typed).await,
    }
}
