//! `fee`: fees, payments and arrears (收费): fee items and prices, meter
//! readings, issuing bills (出账), taking payments with receipts, refunds,
//! voids, reductions, the day's close (日结), the arrears list and chasing (催缴).

use std::path::{Path, PathBuf};

use clap::Subcommand;
use wuye_app::desk::{NewChase, NewFeeItem, NewPayment, NewPrice};
use wuye_node::process::print_json;
use wuye_protocol::fee::ledger::LateRule;
use wuye_protocol::fee::{self, Price, Rate, Share};
use wuye_protocol::money::Fen;
use wuye_protocol::payment::Payment;

use super::{open_desk, open_signed_in, parse_date};

#[derive(Subcommand)]
pub(crate) enum FeeCommand {
    /// Set up a fee item (收费项目) with its first price.
    ItemAdd {
        /// Its name, as bills print it (物业费, 高层物业费, 车位管理费, …).
        #[arg(long, allow_hyphen_values = true)]
        name: String,
        /// 物业费, 垃圾清运费, 车位费, 水费, 电费, 押金, 维修基金代收 or 其他.
        #[arg(long)]
        kind: String,
        /// 按面积 (area × price a m² a month), 定额 (a fixed amount a period) or 按抄表 (metered).
        #[arg(long)]
        basis: String,
        /// For a metered fee: 水表, 电表 or 燃气表.
        #[arg(long)]
        meter: Option<String>,
        /// How often: 月, 季, 半年, 年 or 一次性.
        #[arg(long, default_value = "月")]
        cycle: String,
        /// The day of a period's first month by which its bill is paid (31: the month's end).
        #[arg(long, default_value_t = 31)]
        due_day: u32,
        /// The house types it applies to, comma-separated (all when absent): 住宅, 商铺, 车位, …
        #[arg(long)]
        applies: Option<String>,
        #[command(flatten)]
        price: PriceArgs,
    },
    /// A new price for a fee item from a day on (bills already issued keep theirs).
    ItemPrice {
        /// The fee item's name (or id).
        item: String,
        #[command(flatten)]
        price: PriceArgs,
    },
    /// List the fee items and their prices.
    Items {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Record a meter reading (抄表).
    Read {
        /// The house.
        house: String,
        /// 水表, 电表 or 燃气表.
        #[arg(long)]
        meter: String,
        /// The reading, like 1234.5.
        #[arg(long)]
        reading: String,
        /// The day read, YYYY-MM-DD (today when absent).
        #[arg(long)]
        on: Option<String>,
        /// The meter was replaced: this is the new meter's first reading.
        #[arg(long)]
        replaced: bool,
    },
    /// Record a sheet of readings (xlsx or CSV: 房屋, 表, 读数, 抄表日期, 换表), all or none.
    ReadImport {
        /// The sheet.
        file: PathBuf,
    },
    /// Issue the bills up to a month (出账); bills already issued are never issued twice.
    Issue {
        /// The month, YYYY-MM.
        #[arg(long)]
        month: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Issue a house's first bills at its move-in (`movein-prepay-months` of 物业费).
    FirstBills {
        /// The house.
        house: String,
    },
    /// A house's bills, late fees and prepaid balance today.
    House {
        /// The house.
        house: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Take a payment and print its receipt (收据).
    Pay {
        /// The house.
        house: String,
        /// How much, in yuan.
        #[arg(long)]
        amount: String,
        /// 现金, 微信, 支付宝, 银行卡 or 转账.
        #[arg(long)]
        method: String,
        /// Who pays.
        #[arg(long, allow_hyphen_values = true)]
        payer: String,
        /// A bill the payer names (once per bill, in order; oldest first when none).
        #[arg(long = "bill")]
        bills: Vec<String>,
        /// Waive the late fees (a 经理), saying why.
        #[arg(long, allow_hyphen_values = true)]
        waive: Option<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Show (reprint, 补打) a receipt.
    Receipt {
        /// The receipt's number.
        number: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Refund a payment whole (a 经理): a new receipt that reverses it (红冲).
    Refund {
        /// The receipt's number.
        number: String,
        /// Why.
        #[arg(long, allow_hyphen_values = true)]
        reason: String,
    },
    /// Pay back a house's prepaid balance (a 经理).
    RefundPrepaid {
        /// The house.
        house: String,
        /// How much, in yuan.
        #[arg(long)]
        amount: String,
        /// How it is paid back.
        #[arg(long)]
        method: String,
        /// Why.
        #[arg(long, allow_hyphen_values = true)]
        reason: String,
    },
    /// Void a receipt (作废) before the day's close; it keeps its number.
    Void {
        /// The receipt's number.
        number: String,
        /// Why.
        #[arg(long, allow_hyphen_values = true)]
        reason: String,
    },
    /// Reduce a bill (减免; a 经理).
    Reduce {
        /// The bill's id (or its first characters).
        bill: String,
        /// How much, in yuan.
        #[arg(long)]
        amount: String,
        /// Why.
        #[arg(long, allow_hyphen_values = true)]
        reason: String,
    },
    /// Close your payments not yet closed (日结) and print the close.
    Close {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// The payments of a day.
    Day {
        /// The day, YYYY-MM-DD (today when absent).
        #[arg(long)]
        on: Option<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// The arrears list (欠费明细) with its aging and chasing level.
    Arrears {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Record a reminder of arrears (催缴).
    Chase {
        /// The house.
        house: String,
        /// 电话, 短信, 上门, 书面 or 微信.
        #[arg(long)]
        way: String,
        /// What came of it.
        #[arg(long, allow_hyphen_values = true)]
        result: String,
        /// The day the owner promised to pay, YYYY-MM-DD.
        #[arg(long)]
        promised: Option<String>,
        /// The complaint the owner gave as the reason for not paying.
        #[arg(long)]
        complaint: Option<String>,
    },
}

#[derive(clap::Args)]
pub(crate) struct PriceArgs {
    /// The unit price in yuan: a m² a month (按面积), a period (定额) or a unit used (按抄表); up to 4 decimals.
    #[arg(long)]
    price: String,
    /// The first day it applies, YYYY-MM-DD.
    #[arg(long)]
    from: String,
    /// The price approval document (物价批复文号).
    #[arg(long, default_value = "", allow_hyphen_values = true)]
    approval: String,
    /// The late fee's daily rate, like 0.05% or 3‰ (none for money collected for others).
    #[arg(long, default_value = "0")]
    late_rate: String,
    /// Days after the due date before the late fee starts.
    #[arg(long, default_value_t = 0)]
    grace: u32,
    /// The most the late fee may come to, as a share of the bill.
    #[arg(long, default_value = "100%")]
    cap: String,
}

impl PriceArgs {
    fn new_price(&self) -> anyhow::Result<NewPrice> {
        Ok(NewPrice {
            from: parse_date(&self.from)?,
            price: Price::parse(&self.price)?,
            approval: self.approval.clone(),
            late: LateRule {
                rate: Rate::parse(&self.late_rate)?,
                grace_days: self.grace,
                cap: Share::parse(&self.cap)?,
            },
        })
    }
}

/// A receipt as the terminal shows it (the web desk prints the paper form).
fn show_receipt(p: &Payment, reprint: bool, prepaid: Fen) {
    let void = if p.is_void() { "  【作废】" } else { "" };
    let again = if reprint { "  【补打】" } else { "" };
    wuye_node::say!("收据 {}  {}  {}{}{}", p.number(), p.pay_kind.label(), p.at, void, again);
    wuye_node::say!("  {}  缴款人 {}  {}  收款人 {}", p.house, p.payer, p.method.label(), p.cashier);
    for l in &p.lines {
        let late = if l.late_fee.0 > 0 { format!("  滞纳金 {}", l.late_fee) } else { String::new() };
        let waived = if l.late_waived.0 > 0 { format!("  滞纳金减免 {}", l.late_waived) } else { String::new() };
        wuye_node::say!("  {} {}  {}{late}{waived}", l.item, l.period, l.principal);
    }
    if p.to_prepaid.0 > 0 {
        wuye_node::say!("  转入预存 {}", p.to_prepaid);
    }
    if p.from_prepaid.0 > 0 {
        wuye_node::say!("  预存抵扣 {}", p.from_prepaid);
    }
    wuye_node::say!("  合计 {}  预存余额 {}", p.received, prepaid);
    if let Some(v) = p.voids.first() {
        wuye_node::say!("  作废：{}（{}）", v.reason, v.by);
    }
}

fn yuan(text: &str) -> anyhow::Result<Fen> {
    Ok(Fen::parse_yuan(text)?)
}

/// Runs `wuye-agent fee …`.
pub(crate) fn run(data: &Path, cmd: FeeCommand) -> anyhow::Result<()> {
    match cmd {
        FeeCommand::ItemAdd { name, kind, basis, meter, cycle, due_day, applies, price } => {
            let (mut desk, actor) = open_signed_in(data)?;
            let applies_to = match applies {
                Some(list) => list.split([',', '，']).map(|t| t.parse()).collect::<Result<_, _>>()?,
                None => Vec::new(),
            };
            let new = NewFeeItem {
                name,
                fee_kind: kind.parse()?,
                basis: basis.parse()?,
                meter: meter.map(|m| m.parse()).transpose()?,
                cycle: cycle.parse()?,
                due_day,
                applies_to,
                price: price.new_price()?,
            };
            let item = desk.add_fee_item(&new, &actor)?;
            wuye_node::say!("{}  {}  {}", item.name, item.basis.label(), item.id);
        }
        FeeCommand::ItemPrice { item, price } => {
            let (mut desk, actor) = open_signed_in(data)?;
            let item = desk.set_fee_price(&item, &price.new_price()?, &actor)?;
            wuye_node::say!("{}: {} price(s)", item.name, item.versions.len());
        }
        FeeCommand::Items { json } => {
            let items = open_desk(data)?.fee_items()?;
            if json {
                return Ok(print_json(&items)?);
            }
            for i in &items {
                wuye_node::say!(
                    "{}  {}  {}  每{}  {}",
                    i.name,
                    i.fee_kind.label(),
                    i.basis.label(),
                    i.cycle.label(),
                    i.id
                );
                for v in &i.versions {
                    wuye_node::say!(
                        "    自 {} 起 {}  {}  滞纳金 {}/日 宽限 {} 天 上限 {}",
                        v.from,
                        v.price,
                        v.approval,
                        v.late.rate,
                        v.late.grace_days,
                        v.late.cap
                    );
                }
            }
        }
        FeeCommand::Read { house, meter, reading, on, replaced } => {
            let (mut desk, actor) = open_signed_in(data)?;
            let day = match on {
                Some(d) => parse_date(&d)?,
                None => desk.now().with_timezone(&desk.site.timezone).date_naive(),
            };
            let reading = fee::parse_quantity("the reading", &reading)?;
            let r = desk.read_meter(&house, meter.parse()?, reading, day, replaced, &actor)?;
            wuye_node::say!("{} {} {} {}", r.house, r.meter.label(), fee::show_quantity(r.reading), r.read_on);
        }
        FeeCommand::ReadImport { file } => {
            let (mut desk, actor) = open_signed_in(data)?;
            let sheet = super::unit::read_sheet(&file)?;
            wuye_node::say!("{} reading(s) recorded", desk.import_readings(&sheet, &actor)?);
        }
        FeeCommand::Issue { month, json } => {
            let (mut desk, actor) = open_signed_in(data)?;
            let issued = desk.issue_bills(fee::parse_month(&month)?, &actor)?;
            if json {
                return Ok(print_json(&issued)?);
            }
            wuye_node::say!(
                "{} bill(s) issued, {} in all; {} already issued; {} house(s) paid from their prepaid balance",
                issued.created,
                issued.amount,
                issued.existing,
                issued.paid_from_prepaid
            );
            for m in &issued.missing {
                wuye_node::say!("  not billed: {m}");
            }
        }
        FeeCommand::FirstBills { house } => {
            let (mut desk, actor) = open_signed_in(data)?;
            let issued = desk.first_bills(&house, &actor)?;
            wuye_node::say!("{} first bill(s) issued, {} in all", issued.created, issued.amount);
        }
        FeeCommand::House { house, json } => {
            let desk = open_desk(data)?;
            let (house, ledger) = desk.house_ledger(&house)?;
            if json {
                return Ok(print_json(&ledger)?);
            }
            wuye_node::say!(
                "{}  欠费 {}  滞纳金 {}  预存 {}",
                house.address(),
                ledger.outstanding,
                ledger.late_owed,
                ledger.prepaid
            );
            for (b, s) in &ledger.bills {
                wuye_node::say!(
                    "  {} {}  应收 {}  减免 {}  已收 {}  未收 {}  滞纳金 {}  {}到期  {}",
                    b.item,
                    b.period,
                    b.amount,
                    b.reduced(),
                    s.paid,
                    s.outstanding,
                    s.late_owed,
                    b.due,
                    b.id
                );
            }
        }
        FeeCommand::Pay { house, amount, method, payer, bills, waive, json } => {
            let (mut desk, actor) = open_signed_in(data)?;
            let new = NewPayment {
                house: &house,
                payer: &payer,
                method: method.parse()?,
                amount: yuan(&amount)?,
                bills,
                waive: waive.as_deref(),
            };
            let p = desk.take_payment(&new, &actor)?;
            if json {
                return Ok(print_json(&p)?);
            }
            let (_, ledger) = desk.house_ledger(&house)?;
            show_receipt(&p, false, ledger.prepaid);
        }
        FeeCommand::Receipt { number, json } => {
            let desk = open_desk(data)?;
            let p = desk.receipt(&number)?;
            if json {
                return Ok(print_json(&p)?);
            }
            let (_, ledger) = desk.house_ledger(&p.house)?;
            show_receipt(&p, true, ledger.prepaid);
        }
        FeeCommand::Refund { number, reason } => {
            let (mut desk, actor) = open_signed_in(data)?;
            let p = desk.refund_payment(&number, &reason, &actor)?;
            let (_, ledger) = desk.house_ledger(&p.house)?;
            show_receipt(&p, false, ledger.prepaid);
        }
        FeeCommand::RefundPrepaid { house, amount, method, reason } => {
            let (mut desk, actor) = open_signed_in(data)?;
            let p = desk.refund_prepaid(&house, yuan(&amount)?, method.parse()?, &reason, &actor)?;
            let (_, ledger) = desk.house_ledger(&house)?;
            show_receipt(&p, false, ledger.prepaid);
        }
        FeeCommand::Void { number, reason } => {
            let (mut desk, actor) = open_signed_in(data)?;
            let p = desk.void_receipt(&number, &reason, &actor)?;
            wuye_node::say!("收据 {} 已作废 voided", p.number());
        }
        FeeCommand::Reduce { bill, amount, reason } => {
            let (mut desk, actor) = open_signed_in(data)?;
            let b = desk.reduce_bill(&bill, yuan(&amount)?, &reason, &actor)?;
            wuye_node::say!("{} {} {}: 减免 {}, 应收 {}", b.house, b.item, b.period, b.reduced(), b.principal());
        }
        FeeCommand::Close { json } => {
            let (mut desk, actor) = open_signed_in(data)?;
            let c = desk.close_day(&actor)?;
            if json {
                return Ok(print_json(&c)?);
            }
            wuye_node::say!(
                "日结 {} {}  收据 {:08}–{:08}  {} 张有效 {} 张作废  净收 {}",
                c.day,
                c.cashier,
                c.receipts.0,
                c.receipts.1,
                c.count,
                c.voided,
                Fen(c.net().max(0) as u64)
            );
            for (method, taken, refunded) in c.by_method() {
                wuye_node::say!("  {method}  收 {taken}  退 {refunded}");
            }
        }
        FeeCommand::Day { on, json } => {
            let desk = open_desk(data)?;
            let day = match on {
                Some(d) => parse_date(&d)?,
                None => desk.now().with_timezone(&desk.site.timezone).date_naive(),
            };
            let payments = desk.payments_on(day)?;
            if json {
                return Ok(print_json(&payments)?);
            }
            for p in &payments {
                let void = if p.is_void() { " 作废" } else { "" };
                wuye_node::say!(
                    "{}  {}  {}  {}  {}  {}{void}",
                    p.number(),
                    p.pay_kind.label(),
                    p.house,
                    p.method.label(),
                    p.received,
                    p.cashier
                );
            }
            wuye_node::say!("{} payment(s)", payments.len());
        }
        FeeCommand::Arrears { json } => {
            let arrears = open_desk(data)?.arrears()?;
            if json {
                return Ok(print_json(&arrears)?);
            }
            for a in &arrears {
                wuye_node::say!(
                    "{}  欠 {}  滞纳金 {}  逾期 {} 天（自 {}）  催缴级别 {}  账龄 0-30 {} / 31-90 {} / 91-180 {} / 180+ {}",
                    a.house,
                    a.overdue,
                    a.late_owed,
                    a.overdue_days,
                    a.since,
                    a.level,
                    a.aging.upto_30,
                    a.aging.upto_90,
                    a.aging.upto_180,
                    a.aging.over_180
                );
            }
            wuye_node::say!("{} house(s) in arrears", arrears.len());
        }
        FeeCommand::Chase { house, way, result, promised, complaint } => {
            let (mut desk, actor) = open_signed_in(data)?;
            let new = NewChase {
                house: &house,
                way: way.parse()?,
                result: &result,
                promised: promised.map(|d| parse_date(&d)).transpose()?,
                complaint: complaint.as_deref(),
            };
            let c = desk.chase(&new, &actor)?;
            wuye_node::say!(
                "{} 第{}级催缴 {}  欠 {}  逾期 {} 天",
                c.house,
                c.level,
                c.way.label(),
                c.owed,
                c.overdue_days
            );
        }
    }
    Ok(())
}
