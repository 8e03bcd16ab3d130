//! 收费 at the web desk: a house's bills, late fees and prepaid balance with
//! the payment form, its receipts (print, refund, void), reminders and meter
//! readings; the day's payments and the cashier's close; the arrears list;
//! fee items, prices and issuing bills (出账). Every rule is the desk's
//! (`wuye_app::desk`); these handlers read forms and show pages.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde::Deserialize;
use wuye_app::desk::{Issued, NewChase, NewFeeItem, NewPayment, NewPrice};
use wuye_app::fees::Arrear;
use wuye_app::AppError;
use wuye_protocol::day_close::DayClose;
use wuye_protocol::fee::ledger::{HouseLedger, LateRule};
use wuye_protocol::fee::{self, Basis, ChaseWay, Cycle, FeeKind, MeterKind, PayMethod, Price, Rate, Share};
use wuye_protocol::fee_item::FeeItem;
use wuye_protocol::house::House;
use wuye_protocol::meter::MeterReading;
use wuye_protocol::money::Fen;
use wuye_protocol::payment::Payment;

use super::page::{self, Page};
use super::session::Signed;
use super::AppState;

/// The house page's address, with a receipt just taken.
fn house_url(house: &str, paid: Option<u64>) -> String {
    let mut query = vec![("house", house.to_string())];
    if let Some(n) = paid {
        query.push(("paid", n.to_string()));
    }
    format!("/fees/house?{}", serde_urlencoded::to_string(&query).unwrap_or_default())
}

/// What the fees page is asked.
#[derive(Debug, Default, Deserialize)]
pub struct IndexQuery {
    #[serde(default)]
    house: String,
}

#[derive(Template)]
#[template(path = "fees/index.html")]
struct Index {
    page: Page,
    house: String,
    today: Vec<Payment>,
    closes: Vec<DayClose>,
    arrears: Vec<Arrear>,
    failed: Option<String>,
}

async fn index_view(state: &AppState, signed: &Signed, failed: Option<String>) -> Response {
    let result = state
        .with_desk(|desk| -> Result<_, AppError> {
            let today = desk.now().with_timezone(&desk.site.timezone).date_naive();
            let mut closes = desk.day_closes()?;
            closes.truncate(20);
            Ok((desk.payments_on(today)?, closes, desk.arrears()?))
        })
        .await;
    match result {
        Ok((today, closes, arrears)) => {
            let page = signed.page(state, "fees", page::word(signed.lang, "fee.title"));
            let status = if failed.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
            let view = Index { page, house: String::new(), today, closes, arrears, failed };
            (status, page::html(view.render())).into_response()
        }
        Err(e) => signed.error(state, &e),
    }
}

/// The day's payments, the closes, the arrears, and a house to look up.
pub async fn index(State(state): State<AppState>, signed: Signed, Query(q): Query<IndexQuery>) -> Response {
    if !q.house.trim().is_empty() {
        return Redirect::to(&house_url(q.house.trim(), None)).into_response();
    }
    index_view(&state, &signed, None).await
}

/// Closes the signed-in cashier's payments (日结); on to the printed close.
pub async fn close(State(state): State<AppState>, signed: Signed) -> Response {
    let actor = signed.actor.clone();
    match state.with_desk(move |desk| desk.close_day(&actor)).await {
        Ok(c) => Redirect::to(&format!("/print/closes/{}", c.id)).into_response(),
        Err(e) => index_view(&state, &signed, Some(page::say(&e, signed.lang))).await,
    }
}

/// What the house page is asked: the house, and a receipt just taken.
#[derive(Debug, Default, Deserialize)]
pub struct HouseQuery {
    #[serde(default)]
    house: String,
    #[serde(default)]
    paid: String,
}

#[derive(Template)]
#[template(path = "fees/house.html")]
struct HousePage {
    page: Page,
    house: House,
    ledger: HouseLedger,
    payments: Vec<Payment>,
    readings: Vec<MeterReading>,
    paid: String,
    failed: Option<String>,
    methods: Vec<PayMethod>,
    ways: &'static [ChaseWay],
    meters: &'static [MeterKind],
}

impl HousePage {
    fn quantity(&self, centi: &u64) -> String {
        fee::show_quantity(*centi)
    }
}

async fn house_view(
    state: &AppState,
    signed: &Signed,
    house: String,
    paid: String,
    failed: Option<String>,
) -> Response {
    let result = state
        .with_desk(move |desk| -> Result<_, AppError> {
            let (house, ledger) = desk.house_ledger(&house)?;
            let payments = desk.payments_of(&house.address())?;
            let readings = desk.readings(Some(house.id))?;
            Ok((house, ledger, payments, readings))
        })
        .await;
    match result {
        Ok((house, ledger, payments, readings)) => {
            let page =
                signed.page(state, "fees", format!("{} {}", page::word(signed.lang, "fee.house"), house.address()));
            let status = if failed.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
            let methods = PayMethod::ALL.iter().copied().filter(|m| *m != PayMethod::Prepaid).collect();
            let view = HousePage {
                page,
                house,
                ledger,
                payments,
                readings,
                paid,
                failed,
                methods,
                ways: ChaseWay::ALL,
                meters: MeterKind::ALL,
            };
            (status, page::html(view.render())).into_response()
        }
        Err(e) => index_view(state, signed, Some(page::say(&e, signed.lang))).await,
    }
}

/// A house's bills, late fees, prepaid balance, receipts and readings, with the payment form.
pub async fn house(State(state): State<AppState>, signed: Signed, Query(q): Query<HouseQuery>) -> Response {
    house_view(&state, &signed, q.house, q.paid, None).await
}

/// The payment form.
#[derive(Debug, Default, Deserialize)]
pub struct PayForm {
    #[serde(default)]
    house: String,
    #[serde(default)]
    amount: String,
    #[serde(default)]
    method: String,
    #[serde(default)]
    payer: String,
    #[serde(default)]
    waive: String,
}

/// Takes a payment; back to the house with the receipt to print.
pub async fn pay(State(state): State<AppState>, signed: Signed, Form(form): Form<PayForm>) -> Response {
    let actor = signed.actor.clone();
    let house = form.house.clone();
    let result = state
        .with_desk(move |desk| -> Result<Payment, AppError> {
            let waive = form.waive.trim();
            let new = NewPayment {
                house: &form.house,
                payer: &form.payer,
                method: form.method.parse()?,
                amount: Fen::parse_yuan(&form.amount)?,
                bills: Vec::new(),
                waive: (!waive.is_empty()).then_some(waive),
            };
            desk.take_payment(&new, &actor)
        })
        .await;
    match result {
        Ok(p) => Redirect::to(&house_url(&p.house, Some(p.receipt))).into_response(),
        Err(e) => house_view(&state, &signed, house, String::new(), Some(page::say(&e, signed.lang))).await,
    }
}

/// A reason, with the house to go back to.
#[derive(Debug, Default, Deserialize)]
pub struct ReasonForm {
    #[serde(default)]
    house: String,
    #[serde(default)]
    reason: String,
}

/// Voids or refunds a receipt.
pub async fn receipt_step(
    State(state): State<AppState>,
    signed: Signed,
    Path((number, action)): Path<(String, String)>,
    Form(form): Form<ReasonForm>,
) -> Response {
    let actor = signed.actor.clone();
    let house = form.house.clone();
    let result = state
        .with_desk(move |desk| match action.as_str() {
            "void" => desk.void_receipt(&number, &form.reason, &actor),
            "refund" => desk.refund_payment(&number, &form.reason, &actor),
            _ => Err(AppError::NotFound { kind: "step", id: action }),
        })
        .await;
    match result {
        Ok(p) => Redirect::to(&house_url(&p.house, None)).into_response(),
        Err(e) => house_view(&state, &signed, house, String::new(), Some(page::say(&e, signed.lang))).await,
    }
}

/// The reminder form.
#[derive(Debug, Default, Deserialize)]
pub struct ChaseForm {
    #[serde(default)]
    house: String,
    #[serde(default)]
    way: String,
    #[serde(default)]
    result: String,
    #[serde(default)]
    promised: String,
    #[serde(default)]
    complaint: String,
}

/// Records a reminder of the house's arrears.
pub async fn chase(State(state): State<AppState>, signed: Signed, Form(form): Form<ChaseForm>) -> Response {
    let actor = signed.actor.clone();
    let house = form.house.clone();
    let result = state
        .with_desk(move |desk| -> Result<_, AppError> {
            let promised = match form.promised.trim() {
                "" => None,
                d => Some(wuye_app::lists::parse_date(d)?),
            };
            let complaint = Some(form.complaint.trim()).filter(|c| !c.is_empty());
            let new =
                NewChase { house: &form.house, way: form.way.parse()?, result: &form.result, promised, complaint };
            desk.chase(&new, &actor)
        })
        .await;
    match result {
        Ok(c) => Redirect::to(&house_url(&c.house, None)).into_response(),
        Err(e) => house_view(&state, &signed, house, String::new(), Some(page::say(&e, signed.lang))).await,
    }
}

/// A house alone.
#[derive(Debug, Default, Deserialize)]
pub struct HouseForm {
    #[serde(default)]
    house: String,
}

/// Issues a house's first bills at its move-in.
pub async fn first_bills(State(state): State<AppState>, signed: Signed, Form(form): Form<HouseForm>) -> Response {
    let actor = signed.actor.clone();
    let house = form.house.clone();
    let result = state.with_desk(move |desk| desk.first_bills(&form.house, &actor)).await;
    match result {
        Ok(_) => Redirect::to(&house_url(&house, None)).into_response(),
        Err(e) => house_view(&state, &signed, house, String::new(), Some(page::say(&e, signed.lang))).await,
    }
}

/// A meter reading.
#[derive(Debug, Default, Deserialize)]
pub struct ReadingForm {
    #[serde(default)]
    house: String,
    #[serde(default)]
    meter: String,
    #[serde(default)]
    reading: String,
    #[serde(default)]
    on: String,
    #[serde(default)]
    replaced: Option<String>,
}

/// Records a meter reading of the house.
pub async fn reading(State(state): State<AppState>, signed: Signed, Form(form): Form<ReadingForm>) -> Response {
    let actor = signed.actor.clone();
    let house = form.house.clone();
    let result = state
        .with_desk(move |desk| -> Result<_, AppError> {
            let day = match form.on.trim() {
                "" => desk.now().with_timezone(&desk.site.timezone).date_naive(),
                d => wuye_app::lists::parse_date(d)?,
            };
            let reading = fee::parse_quantity("the reading", &form.reading)?;
            desk.read_meter(&form.house, form.meter.parse()?, reading, day, form.replaced.is_some(), &actor)
        })
        .await;
    match result {
        Ok(r) => Redirect::to(&house_url(&r.house, None)).into_response(),
        Err(e) => house_view(&state, &signed, house, String::new(), Some(page::say(&e, signed.lang))).await,
    }
}

#[derive(Template)]
#[template(path = "fees/items.html")]
struct Items {
    page: Page,
    items: Vec<FeeItem>,
    issued: Option<Issued>,
    failed: Option<String>,
    kinds: &'static [FeeKind],
    bases: &'static [Basis],
    cycles: &'static [Cycle],
    meters: &'static [MeterKind],
}

async fn items_view(state: &AppState, signed: &Signed, issued: Option<Issued>, failed: Option<String>) -> Response {
    match state.with_desk(|desk| desk.fee_items()).await {
        Ok(items) => {
            let page = signed.page(state, "fees", page::word(signed.lang, "fee.items"));
            let status = if failed.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
            let view = Items {
                page,
                items,
                issued,
                failed,
                kinds: FeeKind::ALL,
                bases: Basis::ALL,
                cycles: Cycle::ALL,
                meters: MeterKind::ALL,
            };
            (status, page::html(view.render())).into_response()
        }
        Err(e) => signed.error(state, &e),
    }
}

/// The fee items with their prices, and the forms to add one, price one and issue bills.
pub async fn items(State(state): State<AppState>, signed: Signed) -> Response {
    items_view(&state, &signed, None, None).await
}

/// A price as typed.
#[derive(Debug, Default, Deserialize)]
pub struct PriceForm {
    #[serde(default)]
    price: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    approval: String,
    #[serde(default)]
    late_rate: String,
    #[serde(default)]
    grace: String,
    #[serde(default)]
    cap: String,
}

impl PriceForm {
    fn new_price(&self) -> Result<NewPrice, AppError> {
        let or = |t: &str, d: &'static str| if t.trim().is_empty() { d.to_string() } else { t.trim().to_string() };
        let grace: u32 = or(&self.grace, "0").parse().map_err(|_| wuye_protocol::rules::RuleError::OutOfRange {
            field: "the grace days",
            value: self.grace.clone(),
            allowed: "a whole number of days".into(),
        })?;
        Ok(NewPrice {
            from: wuye_app::lists::parse_date(&self.from)?,
            price: Price::parse(&self.price)?,
            approval: self.approval.clone(),
            late: LateRule {
                rate: Rate::parse(&or(&self.late_rate, "0"))?,
                grace_days: grace,
                cap: Share::parse(&or(&self.cap, "100%"))?,
            },
        })
    }
}

/// A new fee item as typed.
#[derive(Debug, Default, Deserialize)]
pub struct ItemForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    fee_kind: String,
    #[serde(default)]
    basis: String,
    #[serde(default)]
    meter: String,
    #[serde(default)]
    cycle: String,
    #[serde(default)]
    due_day: String,
    #[serde(flatten)]
    price: PriceForm,
}

/// Sets up a fee item.
pub async fn add_item(State(state): State<AppState>, signed: Signed, Form(form): Form<ItemForm>) -> Response {
    let actor = signed.actor.clone();
    let result = state
        .with_desk(move |desk| -> Result<_, AppError> {
            let new = NewFeeItem {
                name: form.name.clone(),
                fee_kind: form.fee_kind.parse()?,
                basis: form.basis.parse()?,
                meter: Some(form.meter.trim()).filter(|m| !m.is_empty()).map(str::parse).transpose()?,
                cycle: form.cycle.parse()?,
                due_day: form.due_day.trim().parse().unwrap_or(31),
                applies_to: Vec::new(),
                price: form.price.new_price()?,
            };
            desk.add_fee_item(&new, &actor)
        })
        .await;
    match result {
        Ok(_) => Redirect::to("/fees/items").into_response(),
        Err(e) => items_view(&state, &signed, None, Some(page::say(&e, signed.lang))).await,
    }
}

/// A new price for an item.
pub async fn price(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<String>,
    Form(form): Form<PriceForm>,
) -> Response {
    let actor = signed.actor.clone();
    let result = state.with_desk(move |desk| desk.set_fee_price(&id, &form.new_price()?, &actor)).await;
    match result {
        Ok(_) => Redirect::to("/fees/items").into_response(),
        Err(e) => items_view(&state, &signed, None, Some(page::say(&e, signed.lang))).await,
    }
}

/// The month to bill.
#[derive(Debug, Default, Deserialize)]
pub struct IssueForm {
    #[serde(default)]
    month: String,
}

/// Issues the bills up to a month (出账) and says what it did.
pub async fn issue(State(state): State<AppState>, signed: Signed, Form(form): Form<IssueForm>) -> Response {
    let actor = signed.actor.clone();
    let result = state.with_desk(move |desk| desk.issue_bills(fee::parse_month(&form.month)?, &actor)).await;
    match result {
        Ok(issued) => items_view(&state, &signed, Some(issued), None).await,
        Err(e) => items_view(&state, &signed, None, Some(page::say(&e, signed.lang))).await,
    }
}
