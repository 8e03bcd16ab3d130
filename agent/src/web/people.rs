//! The household register (住户家庭情况登记表) and the staff (员工): lists and
//! the forms to add; identity numbers masked as on the command line.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde::Deserialize;
use wuye_app::AppError;
use wuye_node::Records as _;
use wuye_protocol::resident::{Household, NewResident, Resident, ResidentType};
use wuye_protocol::staff::{Role, Staff};

use super::page::{self, Page};
use super::session::Signed;
use super::AppState;
use wuye_web::form::Errors;

/// The resident form as typed.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ResidentForm {
    #[serde(default)]
    unit: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    id_card: String,
    #[serde(default)]
    household_register: String,
    #[serde(default)]
    resident_type: String,
    #[serde(default)]
    relation: String,
    #[serde(default)]
    moved_in: String,
    #[serde(default)]
    emergency_contact: String,
    #[serde(default)]
    plates: String,
}

impl ResidentForm {
    /// The household columns as typed; a wrong type or date is refused with the field it belongs to.
    fn household(&self) -> Result<Household, (&'static str, String)> {
        let resident_type = match self.resident_type.trim() {
            "" => ResidentType::Owner,
            t => t.parse().map_err(|e: wuye_protocol::rules::RuleError| ("resident_type", e.to_string()))?,
        };
        let moved_in = match self.moved_in.trim() {
            "" => None,
            d => Some(d.parse().map_err(|_| ("moved_in", format!("'{d}': write the date as 2026-11-29")))?),
        };
        Ok(Household {
            resident_type,
            relation: self.relation.clone(),
            moved_in,
            emergency_contact: self.emergency_contact.clone(),
            plates: self.plates.split([',', '，', '、', ' ']).filter(|p| !p.is_empty()).map(String::from).collect(),
            ..Household::default()
        })
    }
}

#[derive(Template)]
#[template(path = "people/residents.html")]
struct Residents {
    page: Page,
    residents: Vec<Resident>,
    form: ResidentForm,
    errors: Errors,
    types: &'static [ResidentType],
}

async fn residents_view(state: &AppState, signed: &Signed, form: ResidentForm, errors: Errors) -> Response {
    let actor = signed.actor.clone();
    match state.with_desk(move |desk| desk.residents_for(&actor)).await {
        Ok(residents) => {
            let page = signed.page(state, "residents", page::word(signed.lang, "resident.title"));
            let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
            (status, page::html(Residents { page, residents, form, errors, types: ResidentType::ALL }.render()))
                .into_response()
        }
        Err(e) => signed.error(state, &e),
    }
}

/// The household register.
pub async fn residents(State(state): State<AppState>, signed: Signed) -> Response {
    residents_view(&state, &signed, ResidentForm::default(), Errors::none()).await
}

/// Registers a resident.
pub async fn add_resident(State(state): State<AppState>, signed: Signed, Form(form): Form<ResidentForm>) -> Response {
    let actor = signed.actor.clone();
    let typed = form.clone();
    let household = match form.household() {
        Ok(h) => h,
        Err((field, words)) => {
            let mut errors = Errors::none();
            errors.field(field, words);
            return residents_view(&state, &signed, typed, errors).await;
        }
    };
    let input = NewResident {
        unit: form.unit,
        name: form.name,
        phone: form.phone,
        id_card: form.id_card,
        household_register: form.household_register,
        household,
    };
    match state.with_desk(move |desk| desk.add_resident(&input, &actor)).await {
        Ok(_) => Redirect::to("/residents").into_response(),
        Err(e) => {
            let fields = ["unit", "name", "phone", "ID-card number", "household-register number"];
            let mut errors = Errors::from_error(&e, signed.lang, &fields);
            for (from, to) in [("ID-card number", "id_card"), ("household-register number", "household_register")] {
                if let Some(w) = errors.of(from).map(String::from) {
                    errors.field(to, w);
                }
            }
            residents_view(&state, &signed, typed, errors).await
        }
    }
}

/// The staff form as typed.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct StaffForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    login: String,
    #[serde(default)]
    password: String,
}

#[derive(Template)]
#[template(path = "people/staff.html")]
struct StaffPage {
    page: Page,
    staff: Vec<Staff>,
    roles: Vec<(&'static str, String)>,
    form: StaffForm,
    errors: Errors,
}

async fn staff_view(state: &AppState, signed: &Signed, form: StaffForm, errors: Errors) -> Response {
    match state.with_desk(|desk| desk.store.all::<Staff>(Some(desk.site.id)).map_err(AppError::from)).await {
        Ok(staff) => {
            let page = signed.page(state, "staff", page::word(signed.lang, "staff.title"));
            let roles = Role::ALL.iter().map(|r| (r.as_str(), page.label(r.label(), r.as_str()))).collect();
            let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
            (status, page::html(StaffPage { page, staff, roles, form, errors }.render())).into_response()
        }
        Err(e) => signed.error(state, &e),
    }
}

/// The staff list.
pub async fn staff(State(state): State<AppState>, signed: Signed) -> Response {
    staff_view(&state, &signed, StaffForm::default(), Errors::none()).await
}

/// Adds a staff member (客服主管 or 经理), with a sign-in when one is given.
pub async fn add_staff(State(state): State<AppState>, signed: Signed, Form(form): Form<StaffForm>) -> Response {
    let actor = signed.actor.clone();
    let typed = StaffForm { password: String::new(), ..form.clone() };
    let result = state
        .with_desk(move |desk| -> Result<Staff, AppError> {
            let role: Role = form.role.parse().map_err(|e: wuye_protocol::staff::RoleError| {
                AppError::Rule(wuye_protocol::rules::RuleError::Unknown { what: "role", value: e.0 })
            })?;
            let sign_in = (!form.login.trim().is_empty()).then_some((form.login.as_str(), form.password.as_str()));
            desk.add_staff_member(&form.name, role, sign_in, &actor)
        })
        .await;
    match result {
        Ok(_) => Redirect::to("/staff").into_response(),
        Err(e) => {
            let mut errors = Errors::from_error(&e, signed.lang, &["name", "role"]);
            if matches!(e, AppError::PasswordLength { .. } | AppError::PasswordBlank) {
                errors = Errors::none();
                errors.field("password", page::say(&e, signed.lang));
            } else if matches!(e, AppError::LoginInvalid | AppError::LoginTaken(_)) {
                errors = Errors::none();
                errors.field("login", page::say(&e, signed.lang));
            }
            staff_view(&state, &signed, typed, errors).await
        }
    }
}

/// Disables a staff member who has left (离职).
pub async fn disable_staff(State(state): State<AppState>, signed: Signed, Path(id): Path<String>) -> Response {
    let actor = signed.actor.clone();
    match state.with_desk(move |desk| desk.disable_staff(&id, &actor)).await {
        Ok(_) => Redirect::to("/staff").into_response(),
        Err(e) => signed.error(&state, &e),
    }
}
