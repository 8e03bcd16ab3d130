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

/// One row of a receipt (收据): a bill paid, its late fee, or money put into the prepaid balance.
struct ReceiptRow {
    item: String,
    range: String,
    price: String,
    quantity: String,
    amount: String,
    discount: String,
    note: String,
}

#[derive(Template)]
#[template(path = "print/receipt.html")]
struct ReceiptPaper {
    page: Page,
    head: Head,
    p: wuye_protocol::payment::Payment,
    rows: Vec<ReceiptRow>,
    total: String,
    words: String,
    prepaid: String,
    again: bool,
}

/// Whether a receipt is printed again (补打).
#[derive(Debug, Default, serde::Deserialize)]
pub struct AgainQuery {
    #[serde(default)]
    again: String,
}

/// The receipt (收据) of a payment in its three copies; a reprint says 补打.
pub async fn receipt(
    State(state): State<AppState>,
    signed: Signed,
    Path(number): Path<String>,
    Query(q): Query<AgainQuery>,
) -> Response {
    let result = state
        .with_desk(move |desk| -> Result<_, AppError> {
            let p = desk.receipt(&number)?;
            let (_, ledger) = desk.house_ledger(&p.house)?;
            let mut bills = Vec::new();
            for line in &p.lines {
                bills.push(desk.bill(&line.bill.to_string()).ok());
            }
            Ok((p, bills, ledger.prepaid, desk.now(), desk.site.timezone))
        })
        .await;
    match result {
        Ok((p, bills, prepaid, now, tz)) => {
            let page = signed.page(&state, "fees", page::word(signed.lang, "print.receipt"));
            let head = head(&page, now, tz);
            let sign = if p.pay_kind == wuye_protocol::payment::PayKind::Refund { "-" } else { "" };
            let money = |f: wuye_protocol::money::Fen| format!("{sign}{}", page.money(&f.0));
            let mut rows = Vec::new();
            for (line, bill) in p.lines.iter().zip(bills) {
                let (range, price, quantity) = match &bill {
                    Some(b) => (
                        if b.from == b.period.start && b.period.months > 0 {
                            b.period.label()
                        } else {
                            format!("{} 至 {}", b.from, b.period.end())
                        },
                        b.price.to_string(),
                        match b.readings {
                            Some((from, to)) => format!(
                                "{} → {}：{}",
                                wuye_protocol::fee::show_quantity(from),
                                wuye_protocol::fee::show_quantity(to),
                                wuye_protocol::fee::show_quantity(b.quantity)
                            ),
                            None if b.quantity > 0 => wuye_protocol::fee::show_quantity(b.quantity),
                            None => String::new(),
                        },
                    ),
                    None => (line.period.clone(), String::new(), String::new()),
                };
                rows.push(ReceiptRow {
                    item: line.item.clone(),
                    range,
                    price,
                    quantity,
                    amount: money(line.principal),
                    discount: String::new(),
                    note: String::new(),
                });
                if line.late_fee.0 + line.late_waived.0 > 0 {
                    rows.push(ReceiptRow {
                        item: format!("{} 滞纳金", line.item),
                        range: line.period.clone(),
                        price: String::new(),
                        quantity: String::new(),
                        amount: money(line.late_fee),
                        discount: if line.late_waived.0 > 0 { money(line.late_waived) } else { String::new() },
                        note: if line.late_waived.0 > 0 { p.waive_reason.clone() } else { String::new() },
                    });
                }
            }
            if p.to_prepaid.0 > 0 {
                rows.push(ReceiptRow {
                    item: "预存".into(),
                    range: String::new(),
                    price: String::new(),
                    quantity: String::new(),
                    amount: money(p.to_prepaid),
                    discount: String::new(),
                    note: String::new(),
                });
            }
            let total = money(p.received);
            let words = format!("{}{}", if sign.is_empty() { "" } else { "负" }, p.received.in_words());
            let prepaid = page.money(&prepaid.0);
            let again = !q.again.is_empty();
            page::html(ReceiptPaper { page, head, p, rows, total, words, prepaid, again }.render())
        }
        Err(e) => signed.error(&state, &e),
    }
}

#[derive(Template)]
#[template(path = "print/close.html")]
struct ClosePaper {
    page: Page,
    head: Head,
    c: wuye_protocol::day_close::DayClose,
    payments: Vec<wuye_protocol::payment::Payment>,
}

/// The day's close (日结单): the cashier's receipts and the money by method.
pub async fn close(State(state): State<AppState>, signed: Signed, Path(id): Path<String>) -> Response {
    let result = state
        .with_desk(move |desk| -> Result<_, AppError> {
            let c = desk.day_close(&id)?;
            let mut payments = Vec::new();
            for p in &c.payments {
                payments.push(desk.receipt(&p.to_string())?);
            }
            payments.sort_by_key(|p| p.receipt);
            Ok((c, payments, desk.now(), desk.site.timezone))
        })
        .await;
    match result {
        Ok((c, payments, now, tz)) => {
            let page = signed.page(&state, "fees", page::word(signed.lang, "print.close"));
            let head = head(&page, now, tz);
            page::html(ClosePaper { page, head, c, payments }.render())
        }
        Err(e) => signed.error(&state, &e),
    }
}

/// A house, and for a notice the month (all bills still owed when none).
#[derive(Debug, Default, serde::Deserialize)]
pub struct FeeQuery {
    #[serde(default)]
    house: String,
    #[serde(default)]
    month: String,
}

#[derive(Template)]
#[template(path = "print/notice.html")]
struct NoticePaper {
    page: Page,
    head: Head,
    house: wuye_protocol::house::House,
    bills: Vec<(wuye_protocol::bill::Bill, wuye_protocol::fee::ledger::BillState)>,
    total: String,
    words: String,
}

impl NoticePaper {
    fn quantity(&self, b: &wuye_protocol::bill::Bill) -> String {
        match b.readings {
            Some((from, to)) => format!(
                "{}（{}→{}）",
                wuye_protocol::fee::show_quantity(b.quantity),
                wuye_protocol::fee::show_quantity(from),
                wuye_protocol::fee::show_quantity(to)
            ),
            None if b.quantity > 0 => wuye_protocol::fee::show_quantity(b.quantity),
            None => "1".into(),
        }
    }

    fn unit(&self, b: &wuye_protocol::bill::Bill) -> &'static str {
        match b.basis {
            wuye_protocol::fee::Basis::Area => "m²",
            wuye_protocol::fee::Basis::Meter => "用量",
            wuye_protocol::fee::Basis::Fixed => "期",
        }
    }
}

/// The fee notice (缴费通知单) of a house: its bills of a month, or every bill still owed.
pub async fn notice(State(state): State<AppState>, signed: Signed, Query(q): Query<FeeQuery>) -> Response {
    let result = state
        .with_desk(move |desk| -> Result<_, AppError> {
            let (house, ledger) = desk.house_ledger(&q.house)?;
            let month = match q.month.trim() {
                "" => None,
                m => Some(wuye_protocol::fee::parse_month(m)?),
            };
            let bills: Vec<_> = ledger
                .bills
                .into_iter()
                .filter(|(b, s)| match month {
                    Some(m) => b.period.covers(m) || b.period.start == m,
                    None => s.outstanding.0 > 0,
                })
                .collect();
            Ok((house, bills, desk.now(), desk.site.timezone))
        })
        .await;
    match result {
        Ok((house, bills, now, tz)) => {
            let page = signed.page(&state, "fees", page::word(signed.lang, "print.notice"));
            let head = head(&page, now, tz);
            let sum = wuye_protocol::money::Fen(bills.iter().map(|(_, s)| s.outstanding.0).sum());
            let (total, words) = (page.money(&sum.0), sum.in_words());
            page::html(NoticePaper { page, head, house, bills, total, words }.render())
        }
        Err(e) => signed.error(&state, &e),
    }
}

/// One kind of fee owed on a reminder.
struct Owed {
    what: &'static str,
    amount: String,
}

#[derive(Template)]
#[template(path = "print/reminder.html")]
struct ReminderPaper {
    page: Page,
    head: Head,
    no: String,
    house: wuye_protocol::house::House,
    since: String,
    owed: Vec<Owed>,
    total: String,
    words: String,
    rate: String,
    contact: String,
    date: String,
}

/// The arrears reminder (费用催缴通知书) of a house, with its 签收栏.
pub async fn reminder(State(state): State<AppState>, signed: Signed, Query(q): Query<FeeQuery>) -> Response {
    let result = state
        .with_desk(move |desk| -> Result<_, AppError> {
            let (house, ledger) = desk.house_ledger(&q.house)?;
            Ok((house, ledger, desk.now(), desk.site.timezone))
        })
        .await;
    match result {
        Ok((house, ledger, now, tz)) => {
            use wuye_protocol::fee::FeeKind;
            let page = signed.page(&state, "fees", page::word(signed.lang, "print.reminder"));
            let head = head(&page, now, tz);
            let overdue: Vec<_> = ledger.bills.iter().filter(|(_, s)| s.overdue_days > 0).collect();
            let sum_of = |keep: &dyn Fn(FeeKind) -> bool| -> u64 {
                overdue.iter().filter(|(b, _)| keep(b.fee_kind)).map(|(_, s)| s.outstanding.0).sum()
            };
            let groups: [(&'static str, u64); 3] = [
                ("物业管理费", sum_of(&|k| k == FeeKind::Property)),
                ("停车费", sum_of(&|k| k == FeeKind::Parking)),
                ("其他费用", sum_of(&|k| k != FeeKind::Property && k != FeeKind::Parking)),
            ];
            let owed =
                groups.iter().filter(|(_, f)| *f > 0).map(|(w, f)| Owed { what: w, amount: page.money(f) }).collect();
            let sum = wuye_protocol::money::Fen(groups.iter().map(|(_, f)| f).sum());
            let since = overdue.first().map(|(b, _)| b.period.label()).unwrap_or_default();
            let rate = overdue.iter().map(|(b, _)| b.late.rate).max().filter(|r| r.0 > 0);
            let today = now.with_timezone(&tz).date_naive();
            let view = ReminderPaper {
                no: format!("CJ-{}-{}", today.format("%Y%m%d"), &house.id.to_string()[..8]),
                since,
                owed,
                total: page.money(&sum.0),
                words: sum.in_words(),
                rate: rate.map(|r| r.to_string()).unwrap_or_default(),
                contact: signed.actor.name.clone(),
                date: today.format("%Y年%m月%d日").to_string(),
                house,
                page,
                head,
            };
            page::html(view.render())
        }
        Err(e) => signed.error(&state, &e),
    }
}

/// Which of a renovation's papers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RenovationForm {
    /// 装修申请表.
    Application,
    /// 出入证, one card for each pass not returned.
    Passes,
    /// 装修验收表.
    Inspection,
    /// 装修押金退还单.
    Refund,
}

#[derive(Template)]
#[template(path = "print/renovation.html")]
struct RenovationPaper {
    page: Page,
    head: Head,
    v: wuye_app::desk::RenovationView,
    form: RenovationForm,
    tz: chrono_tz::Tz,
}

impl RenovationPaper {
    fn is(&self, name: &str) -> bool {
        let form = match name {
            "application" => RenovationForm::Application,
            "passes" => RenovationForm::Passes,
            "inspection" => RenovationForm::Inspection,
            _ => RenovationForm::Refund,
        };
        self.form == form
    }

    /// A stored instant as the site's date and minute.
    fn when(&self, at: &str) -> String {
        page::stored_time(at, self.tz)
    }

    fn ticked(&self, item: &wuye_protocol::renovation::WorkItem) -> &'static str {
        if self.v.r.items.contains(item) {
            "☑"
        } else {
            "☐"
        }
    }

    fn items(&self) -> &'static [wuye_protocol::renovation::WorkItem] {
        wuye_protocol::renovation::WorkItem::ALL
    }

    fn deducted(&self) -> wuye_protocol::money::Fen {
        wuye_protocol::money::Fen(self.v.r.deposit.0 - self.v.r.refundable().0)
    }
}

async fn renovation_paper(state: AppState, signed: Signed, id: String, form: RenovationForm) -> Response {
    let result =
        state.with_desk(move |desk| desk.renovation_view(&id).map(|v| (v, desk.now(), desk.site.timezone))).await;
    match result {
        Ok((v, now, tz)) => {
            let key = match form {
                RenovationForm::Application => "print.renovation",
                RenovationForm::Passes => "print.passes",
                RenovationForm::Inspection => "print.renovation_inspection",
                RenovationForm::Refund => "print.deposit_refund",
            };
            let page = signed.page(&state, "renovations", page::word(signed.lang, key));
            let head = head(&page, now, tz);
            page::html(RenovationPaper { page, head, v, form, tz }.render())
        }
        Err(e) => signed.error(&state, &e),
    }
}

/// The renovation application (装修申请表) with its approval.
pub async fn renovation(State(state): State<AppState>, signed: Signed, Path(id): Path<String>) -> Response {
    renovation_paper(state, signed, id, RenovationForm::Application).await
}

/// The workers' passes (出入证), one card each, for those not returned.
pub async fn passes(State(state): State<AppState>, signed: Signed, Path(id): Path<String>) -> Response {
    renovation_paper(state, signed, id, RenovationForm::Passes).await
}

/// The inspection form (装修验收表): the work items, each inspection, the violations.
pub async fn renovation_inspection(State(state): State<AppState>, signed: Signed, Path(id): Path<String>) -> Response {
    renovation_paper(state, signed, id, RenovationForm::Inspection).await
}

/// The deposit's refund slip (装修押金退还单).
pub async fn deposit_refund(State(state): State<AppState>, signed: Signed, Path(id): Path<String>) -> Response {
    renovation_paper(state, signed, id, RenovationForm::Refund).await
}
