//! Print pages laid out like the office's paper forms (FORMS.md): the
//! complaint handling slip (客户投诉(建议)处理表), the work contact slip
//! (工作联系单), the repair work order (维修工作单), and for a period the
//! complaint register (客户投诉登记表) and the follow-up visit record
//! (回访记录表). The browser's print dialog prints them; `@page` rules fit a
//! slip on one page.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use wuye_app::AppError;
use wuye_protocol::complaint::{Complaint, HistoryEntry};
use wuye_protocol::repair::Repair;

use super::complaints::ListQuery;
use super::page::{self, Page};
use super::session::Signed;
use super::AppState;

use super::page::number;

/// What heads every print page: the site, the record's number, the date printed.
struct Head {
    site: String,
    printed: String,
}

fn head(page: &Page, now: chrono::DateTime<chrono::Utc>, tz: chrono_tz::Tz) -> Head {
    Head {
        site: page.banner.site_name.clone().unwrap_or_else(|| page.t("print.site_office").to_string()),
        printed: now.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string(),
    }
}

#[derive(Template)]
#[template(path = "print/slip.html")]
struct Slip {
    page: Page,
    head: Head,
    no: String,
    c: Complaint,
    history: Vec<HistoryEntry>,
}

/// The complaint handling slip.
pub async fn complaint_slip(State(state): State<AppState>, signed: Signed, Path(id): Path<String>) -> Response {
    let result = state
        .with_desk(move |desk| -> Result<_, AppError> {
            let c = desk.complaint(&id)?;
            let history = desk.history(&c.id.to_string())?;
            Ok((c, history, desk.now(), desk.site.timezone))
        })
        .await;
    match result {
        Ok((c, history, now, tz)) => {
            let page = signed.page(&state, "complaints", page::word(signed.lang, "print.slip"));
            let head = head(&page, now, tz);
            page::html(Slip { no: number(&c.id), page, head, c, history }.render())
        }
        Err(e) => signed.error(&state, &e),
    }
}

#[derive(Template)]
#[template(path = "print/contact.html")]
struct Contact {
    page: Page,
    head: Head,
    no: String,
    c: Complaint,
    department: String,
    issued_by: String,
    issued_at: String,
    slip: wuye_protocol::complaint::Assignment,
}

/// The n-th work contact slip of a complaint.
pub async fn contact_slip(
    State(state): State<AppState>,
    signed: Signed,
    Path((id, n)): Path<(String, usize)>,
) -> Response {
    let result = state
        .with_desk(move |desk| -> Result<_, AppError> {
            let c = desk.complaint(&id)?;
            Ok((c, desk.now(), desk.site.timezone))
        })
        .await;
    match result {
        Ok((c, now, tz)) => {
            let Some(a) = n.checked_sub(1).and_then(|i| c.assignments.get(i)).cloned() else {
                let e = AppError::NotFound { kind: "work contact slip", id: format!("{}/{n}", c.id) };
                return signed.error(&state, &e);
            };
            let page = signed.page(&state, "complaints", page::word(signed.lang, "print.contact"));
            let head = head(&page, now, tz);
            let view = Contact {
                no: format!("{}-{n}", number(&c.id)),
                page,
                head,
                department: a.department.clone(),
                issued_by: a.by.clone(),
                issued_at: a.at.local().format("%Y-%m-%d %H:%M").to_string(),
                slip: a,
                c,
            };
            page::html(view.render())
        }
        Err(e) => signed.error(&state, &e),
    }
}

#[derive(Template)]
#[template(path = "print/work_order.html")]
struct WorkOrder {
    page: Page,
    head: Head,
    no: String,
    r: Repair,
}

/// The repair work order.
pub async fn work_order(State(state): State<AppState>, signed: Signed, Path(id): Path<String>) -> Response {
    let result = state.with_desk(move |desk| desk.repair(&id).map(|r| (r, desk.now(), desk.site.timezone))).await;
    match result {
        Ok((r, now, tz)) => {
            let page = signed.page(&state, "repairs", page::word(signed.lang, "print.work_order"));
            let head = head(&page, now, tz);
            page::html(WorkOrder { no: number(&r.id), page, head, r }.render())
        }
        Err(e) => signed.error(&state, &e),
    }
}

#[derive(Template)]
#[template(path = "print/register.html")]
struct Register {
    page: Page,
    head: Head,
    period: String,
    rows: Vec<Complaint>,
    visits: bool,
}

async fn period_list(state: AppState, signed: Signed, query: ListQuery, visits: bool) -> Response {
    let q = query.clone();
    let result = state
        .with_desk(move |desk| -> Result<_, AppError> {
            let mut rows = desk.list_all::<Complaint>(&q.filter()?)?;
            if visits {
                rows.retain(|c| !c.visits.is_empty());
            }
            Ok((rows, desk.now(), desk.site.timezone))
        })
        .await;
    match result {
        Ok((rows, now, tz)) => {
            let key = if visits { "print.visits" } else { "print.register" };
            let page = signed.page(&state, "complaints", page::word(signed.lang, key));
            let head = head(&page, now, tz);
            let period = query.period();
            page::html(Register { page, head, period, rows, visits }.render())
        }
        Err(e) => signed.error(&state, &e),
    }
}

/// The complaint register (客户投诉登记表) for the list's filters (a month, say).
pub async fn register(State(state): State<AppState>, signed: Signed, Query(query): Query<ListQuery>) -> Response {
    period_list(state, signed, query, false).await
}

/// The follow-up visit record (回访记录表) for the list's filters.
pub async fn visits(State(state): State<AppState>, signed: Signed, Query(query): Query<ListQuery>) -> Response {
    period_list(state, signed, query, true).await
}

#[derive(Template)]
#[template(path = "print/movein.html")]
struct MoveInSlip {
    page: Page,
    head: Head,
    no: String,
    v: wuye_app::desk::MoveInView,
    inspection: bool,
}

impl MoveInSlip {
    fn reading(&self, meter: &str) -> &str {
        meter.parse::<wuye_protocol::movein::Meter>().map_or("", |m| self.v.slip.reading(m))
    }

    fn order_state(&self, i: &usize) -> &str {
        self.v.orders.get(*i).and_then(|o| o.as_deref()).unwrap_or("")
    }
}

async fn movein_paper(state: AppState, signed: Signed, id: String, inspection: bool) -> Response {
    let result = state.with_desk(move |desk| desk.movein(&id).map(|v| (v, desk.now(), desk.site.timezone))).await;
    match result {
        Ok((v, now, tz)) => {
            let key = if inspection { "print.inspection" } else { "print.movein" };
            let page = signed.page(&state, "moveins", page::word(signed.lang, key));
            let head = head(&page, now, tz);
            page::html(MoveInSlip { no: number(&v.slip.id), page, head, v, inspection }.render())
        }
        Err(e) => signed.error(&state, &e),
    }
}

/// The move-in circulation slip (收楼流转单).
pub async fn movein(State(state): State<AppState>, signed: Signed, Path(id): Path<String>) -> Response {
    movein_paper(state, signed, id, false).await
}

/// The inspection form (房屋验收表) of a move-in slip.
pub async fn inspection(State(state): State<AppState>, signed: Signed, Path(id): Path<String>) -> Response {
    movein_paper(state, signed, id, true).await
}

#[derive(Template)]
#[template(path = "print/keys.html")]
struct KeyRegister {
    page: Page,
    head: Head,
    rows: Vec<(wuye_protocol::key::Key, wuye_protocol::key::KeyStep, Option<wuye_protocol::key::KeyStep>)>,
}

/// The key loan register (钥匙借用登记表): every loan, with its return.
pub async fn keys(State(state): State<AppState>, signed: Signed) -> Response {
    let result = state.with_desk(move |desk| desk.keys(false).map(|k| (k, desk.now(), desk.site.timezone))).await;
    match result {
        Ok((keys, now, tz)) => {
            let mut rows = Vec::new();
            for key in keys {
                for (i, step) in key.steps.iter().enumerate().filter(|(_, s)| s.kind == "lent") {
                    let back = key.steps[i + 1..].iter().find(|s| s.kind == "returned" || s.kind == "lent").cloned();
                    let back = back.filter(|s| s.kind == "returned");
                    rows.push((key.clone(), step.clone(), back));
                }
            }
            rows.sort_by_key(|(_, lent, _)| lent.at.utc());
            let page = signed.page(&state, "keys", page::word(signed.lang, "print.keys"));
            let head = head(&page, now, tz);
            page::html(KeyRegister { page, head, rows }.render())
        }
        Err(e) => signed.error(&state, &e),
    }
}

#[derive(Template)]
#[template(path = "print/release.html")]
struct ReleasePaper {
    page: Page,
    head: Head,
    s: wuye_protocol::release::ReleaseSlip,
}

/// The item-release slip (物品放行条) with its number, for the gate, and its stub.
pub async fn release(State(state): State<AppState>, signed: Signed, Path(id): Path<String>) -> Response {
    let result = state.with_desk(move |desk| desk.slip(&id).map(|s| (s, desk.now(), desk.site.timezone))).await;
    match result {
        Ok((s, now, tz)) => {
            let page = signed.page(&state, "releases", page::word(signed.lang, "print.release"));
            let head = head(&page, now, tz);
            page::html(ReleasePaper { page, head, s }.render())
        }
        Err(e) => signed.error(&state, &e),
    }
}
