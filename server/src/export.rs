//! Exports in the forms offices know: the monthly figures table, the
//! 客户投诉登记表 and 维修工作单 registers in the column order of the paper
//! forms (with the site first, since head office holds many), and the
//! 回访记录表. One workbook (xlsx, written in constant-memory mode, records
//! read a page at a time) or one sheet as CSV (UTF-8 with a byte-order mark,
//! so that Excel shows the Chinese). Identity numbers are in none of them.

use std::io::Write;

use chrono::{Duration, NaiveDate};
use chrono_tz::Tz;
use wuye_app::fees::Money;
use wuye_app::kpi::{Estate, Figures};
use wuye_app::renovations::Works;
use wuye_node::{Cursor, Page, Records, StoreError};
use wuye_protocol::chase::Chase;
use wuye_protocol::complaint::Complaint;
use wuye_protocol::day_close::DayClose;
use wuye_protocol::kind::Kind;
use wuye_protocol::money::Fen;
use wuye_protocol::payment::{PayKind, Payment};
use wuye_protocol::renovation::{Renovation, RenovationState};
use wuye_protocol::repair::Repair;
use wuye_protocol::time::SiteTime;

use crate::figures::{Book, SiteBrief};

/// Records read from the store at a time: memory stays bounded whatever the month holds.
pub const EXPORT_PAGE: usize = 1_000;

/// How far back a visit's record may have been received for the visit to be
/// found by the 回访记录 of a period: visits follow within days of the result
/// (the procedures: complaints within 3 days of closing), so a month back
/// finds them, and the month's workbook reads two months of records, not four.
pub const VISIT_LOOKBACK_DAYS: i64 = 31;

/// One cell.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// Words.
    Text(String),
    /// A count.
    Int(i64),
    /// A percentage or rate, one decimal; empty when there is nothing to divide.
    Rate(Option<f64>),
    /// Money in fen, shown in yuan.
    Money(i64),
}

impl Cell {
    /// The cell as CSV and the terminal show it.
    pub fn text(&self) -> String {
        match self {
            Cell::Text(t) => t.clone(),
            Cell::Int(n) => n.to_string(),
            Cell::Rate(Some(r)) => format!("{r:.1}"),
            Cell::Rate(None) => String::new(),
            Cell::Money(fen) => format!("{}.{:02}", fen / 100, (fen % 100).abs()),
        }
    }
}

fn text(s: impl Into<String>) -> Cell {
    Cell::Text(s.into())
}

/// The sheets an export holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sheet {
    /// 月度指标: every site's figures.
    Figures,
    /// 客户投诉登记表.
    Complaints,
    /// 维修工作单.
    Repairs,
    /// 回访记录表.
    Visits,
    /// 交付、钥匙与放行: homes handed over, keys out, item-release slips.
    Estate,
    /// 收费指标: each site's 收费率, 户收费率, 清欠率, late fees and aging.
    Fees,
    /// 收费明细: every payment line of the period.
    Payments,
    /// 欠费明细表: every house in arrears at the period's end.
    Arrears,
    /// 日结单: the cashiers' day closes of the period.
    Closes,
    /// 装修指标: each site's renovations in progress, inspections, violations and deposits held.
    Works,
    /// 装修台账: every renovation not yet closed.
    Renovations,
}

impl Sheet {
    /// Every sheet, in the workbook's order.
    pub const ALL: [Sheet; 11] = [
        Sheet::Figures,
        Sheet::Estate,
        Sheet::Fees,
        Sheet::Complaints,
        Sheet::Repairs,
        Sheet::Visits,
        Sheet::Payments,
        Sheet::Arrears,
        Sheet::Closes,
        Sheet::Works,
        Sheet::Renovations,
    ];

    /// The sheet by its name in a URL or on the command line.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.name() == name)
    }

    /// Its name in URLs and file names.
    pub fn name(self) -> &'static str {
        match self {
            Sheet::Figures => "figures",
            Sheet::Complaints => "complaints",
            Sheet::Repairs => "repairs",
            Sheet::Visits => "visits",
            Sheet::Estate => "estate",
            Sheet::Fees => "fees",
            Sheet::Payments => "payments",
            Sheet::Arrears => "arrears",
            Sheet::Closes => "closes",
            Sheet::Works => "works",
            Sheet::Renovations => "renovations",
        }
    }

    /// Its title, as the paper form is called.
    pub fn title(self) -> &'static str {
        match self {
            Sheet::Figures => "月度指标",
            Sheet::Complaints => "客户投诉登记表",
            Sheet::Repairs => "维修工作单",
            Sheet::Visits => "回访记录表",
            Sheet::Estate => "交付钥匙放行",
            Sheet::Fees => "收费指标",
            Sheet::Payments => "收费明细",
            Sheet::Arrears => "欠费明细表",
            Sheet::Closes => "日结单",
            Sheet::Works => "装修指标",
            Sheet::Renovations => "装修台账",
        }
    }

    /// Its column headers.
    pub fn headers(self) -> &'static [&'static str] {
        match self {
            Sheet::Figures => &FIGURE_HEADERS,
            Sheet::Complaints => &[
                "管理处",
                "序号",
                "日期/时间",
                "房号",
                "投诉人",
                "联系电话",
                "投诉方式",
                "投诉内容",
                "接待人",
                "处理部门",
                "处理结果",
                "回访情况",
                "备注",
            ],
            Sheet::Repairs => &[
                "管理处",
                "报修单号",
                "报修时间",
                "位置",
                "报修内容",
                "类别",
                "紧急程度",
                "有偿/无偿",
                "维修人员",
                "到场时间",
                "完工时间",
                "费用(元)",
                "回访满意度",
                "状态",
            ],
            Sheet::Visits => &["管理处", "日期", "单号", "房间号", "受访人", "反馈意见", "回访人", "备注"],
            Sheet::Estate => &ESTATE_HEADERS,
            Sheet::Fees => &FEE_HEADERS,
            Sheet::Payments => &[
                "管理处",
                "收据号",
                "日期",
                "类别",
                "房屋",
                "缴款人",
                "支付方式",
                "收费项目",
                "费用期间",
                "本金(元)",
                "滞纳金(元)",
                "滞纳金减免(元)",
                "收款人",
                "状态",
            ],
            Sheet::Arrears => &[
                "管理处",
                "房屋",
                "欠费起始",
                "逾期天数",
                "逾期本金(元)",
                "未收本金(元)",
                "滞纳金(元)",
                "0-30天(元)",
                "31-90天(元)",
                "91-180天(元)",
                "180天以上(元)",
                "催缴级别",
                "最近催缴",
            ],
            Sheet::Closes => &[
                "管理处",
                "日结日期",
                "收款人",
                "收据起",
                "收据止",
                "有效张数",
                "作废张数",
                "收款(元)",
                "退款(元)",
                "本金(元)",
                "滞纳金(元)",
                "预存增减(元)",
            ],
            Sheet::Works => &WORK_HEADERS,
            Sheet::Renovations => &[
                "管理处",
                "房屋",
                "业主",
                "装修单位",
                "负责人电话",
                "装修项目",
                "计划开工",
                "完工期限",
                "状态",
                "出入证(发/收)",
                "违规未整改",
                "其中逾期",
                "押金(元)",
            ],
        }
    }
}

/// The figures table's headers, in the order of [`figure_cells`].
pub const FIGURE_HEADERS: [&str; 17] = [
    "管理处",
    "数据截至",
    "投诉量",
    "重大投诉",
    "户数",
    "投诉率(每百户)",
    "投诉及时率%",
    "回访率%",
    "满意率%",
    "报修量",
    "紧急维修及时率%",
    "一般维修及时率%",
    "返修率%",
    "有偿服务收入(元)",
    "日报已报(天)",
    "日报应报(天)",
    "日报上报率%",
];

/// A site's (or the total's) figures as a row of the figures table.
pub fn figure_cells(name: &str, as_of: &str, f: &Figures) -> Vec<Cell> {
    vec![
        text(name),
        text(as_of),
        Cell::Int(f.complaints),
        Cell::Int(f.complaints_major),
        f.households.map_or_else(|| text(""), |h| Cell::Int(i64::try_from(h).unwrap_or(i64::MAX))),
        Cell::Rate(f.complaint_rate),
        Cell::Rate(f.complaint_timely),
        Cell::Rate(f.visit_rate),
        Cell::Rate(f.satisfaction),
        Cell::Int(f.repairs),
        Cell::Rate(f.emergency_timely),
        Cell::Rate(f.normal_timely),
        Cell::Rate(f.rework_rate),
        Cell::Money(f.paid_income_fen),
        Cell::Int(f.daily_reports),
        Cell::Int(f.days),
        Cell::Rate(f.daily_report_rate),
    ]
}

/// The estate table's headers, in the order of [`estate_cells`].
pub const ESTATE_HEADERS: [&str; 9] =
    ["管理处", "房屋数", "已交付", "交付率%", "收楼办理中", "钥匙借出", "钥匙逾期未还", "放行条开具", "放行条拒绝"];

/// A site's (or the total's) homes, keys and slips as a row.
pub fn estate_cells(name: &str, e: &Estate) -> Vec<Cell> {
    vec![
        text(name),
        Cell::Int(e.houses),
        Cell::Int(e.handed_over),
        Cell::Rate(e.delivery_rate),
        Cell::Int(e.moveins_open),
        Cell::Int(e.keys_out),
        Cell::Int(e.keys_overdue),
        Cell::Int(e.slips_issued),
        Cell::Int(e.slips_refused),
    ]
}

/// The fee table's headers, in the order of [`fee_cells`].
pub const FEE_HEADERS: [&str; 16] = [
    "管理处",
    "本期应收(元)",
    "本期实收(元)",
    "收费率%",
    "应收户数",
    "缴清户数",
    "户收费率%",
    "期初欠费(元)",
    "清欠(元)",
    "清欠率%",
    "滞纳金实收(元)",
    "滞纳金减免(元)",
    "0-30天(元)",
    "31-90天(元)",
    "91-180天(元)",
    "180天以上(元)",
];

/// The renovation table's headers, in the order of [`work_cells`].
pub const WORK_HEADERS: [&str; 9] =
    ["管理处", "待审核", "装修中", "超期施工", "完工待验收", "验收逾期", "违规未整改", "违规逾期", "押金在管(元)"];

/// A site's (or the total's) renovation figures as a row.
pub fn work_cells(name: &str, w: &Works) -> Vec<Cell> {
    vec![
        text(name),
        Cell::Int(w.applied),
        Cell::Int(w.in_progress),
        Cell::Int(w.past_end),
        Cell::Int(w.not_inspected),
        Cell::Int(w.inspections_overdue),
        Cell::Int(w.violations_open),
        Cell::Int(w.violations_overdue),
        fen(w.deposits_held),
    ]
}

fn fen(f: Fen) -> Cell {
    Cell::Money(i64::try_from(f.0).unwrap_or(i64::MAX))
}

/// A site's (or the total's) fee figures as a row.
pub fn fee_cells(name: &str, m: &Money) -> Vec<Cell> {
    vec![
        text(name),
        fen(m.billed),
        fen(m.collected),
        Cell::Rate(m.collection_rate),
        Cell::Int(m.houses_billed),
        Cell::Int(m.houses_paid),
        Cell::Rate(m.house_rate),
        fen(m.past_arrears),
        fen(m.past_collected),
        Cell::Rate(m.arrears_rate),
        fen(m.late_collected),
        fen(m.late_waived),
        fen(m.aging.upto_30),
        fen(m.aging.upto_90),
        fen(m.aging.upto_180),
        fen(m.aging.over_180),
    ]
}

fn minute(at: &SiteTime, tz: Tz) -> String {
    at.minute(tz)
}

/// The 回访 grade of a score: A 满意 (4–5), B 较满意 (3), C 不满意 (1–2).
pub fn grade(score: u8) -> &'static str {
    match score {
        4.. => "A 满意",
        3 => "B 较满意",
        _ => "C 不满意",
    }
}

/// A complaint as a row of the 客户投诉登记表.
pub fn complaint_cells(site: &str, n: usize, c: &Complaint, tz: Tz) -> Vec<Cell> {
    let visit = c.visits.last().map_or(String::new(), |v| {
        format!("{}（{}分）{}", grade(v.satisfaction), v.satisfaction, v.comment).trim_end().to_string()
    });
    let mut remarks = vec![c.category.clone(), c.status.label().to_string()];
    if c.major {
        remarks.insert(0, "重大投诉".to_string());
    }
    vec![
        text(site),
        Cell::Int(i64::try_from(n).unwrap_or(i64::MAX)),
        text(minute(&c.received_at, tz)),
        text(&c.unit),
        text(&c.customer),
        text(&c.phone),
        text(c.channel.label()),
        text(&c.summary),
        text(&c.created_by),
        text(c.departments.join("、")),
        text(c.result.as_ref().map_or(String::new(), |r| r.text.clone())),
        text(visit),
        text(remarks.join("；")),
    ]
}

/// A work order as a row of the 维修工作单 list.
pub fn repair_cells(site: &str, r: &Repair, tz: Tz) -> Vec<Cell> {
    let completed = r.events.iter().rev().find(|e| e.kind == "completed");
    let charge: i64 = r.events.iter().filter_map(|e| e.charge_fen).map(|f| i64::try_from(f.0).unwrap_or(0)).sum();
    let score = r.events.iter().rev().find_map(|e| e.satisfaction);
    vec![
        text(site),
        text(r.id.to_string().chars().take(8).collect::<String>()),
        text(minute(&r.reported_at, tz)),
        text(r.unit.clone().or(r.area.clone()).unwrap_or_default()),
        text(&r.description),
        text(r.category.label()),
        text(r.urgency.label()),
        text(if r.paid { "有偿" } else { "无偿" }),
        text(r.assigned_to.clone().unwrap_or_default()),
        text(r.arrived_at.as_ref().map_or(String::new(), |a| minute(a, tz))),
        text(completed.map_or(String::new(), |e| minute(&e.at, tz))),
        Cell::Money(charge),
        score.map_or_else(|| text(""), |s| text(format!("{}（{s}分）", grade(s)))),
        text(r.status.label()),
    ]
}

/// A follow-up visit, of a complaint or a work order.
struct Visited<'a> {
    at: &'a SiteTime,
    score: u8,
    by: &'a str,
    words: &'a str,
}

/// A visit as a row of the 回访记录表: 管理处, 日期, 单号, 房间号, 受访人, 反馈意见, 回访人, 备注.
fn visit_cells(
    site: &str,
    tz: Tz,
    id: &wuye_protocol::ids::RecordId,
    place: &str,
    visited: &str,
    v: &Visited<'_>,
) -> Vec<Cell> {
    vec![
        text(site),
        text(minute(v.at, tz)),
        text(id.to_string().chars().take(8).collect::<String>()),
        text(place),
        text(visited),
        text(format!("{}（{}分）", grade(v.score), v.score)),
        text(v.by),
        text(v.words),
    ]
}

/// Calls `each` with every record of kind `T` of `site` received in the
/// site's local days `from..=to`, a page at a time, oldest first.
pub fn each_record<T: Kind, R: Records<Error = StoreError>>(
    store: &R,
    site: &SiteBrief,
    from: NaiveDate,
    to: NaiveDate,
    mut each: impl FnMut(T) -> Result<(), ExportError>,
) -> Result<(), ExportError> {
    let days = wuye_app::lists::ListFilter { from: Some(from), to: Some(to), ..wuye_app::lists::ListFilter::default() };
    let filter = days.for_store(Some(site.site_id), site.timezone());
    let mut after: Option<Cursor> = None;
    loop {
        let page = store.list::<T>(&filter, &Page { limit: Some(EXPORT_PAGE), after, newest_first: false })?;
        for record in page.items {
            each(record)?;
        }
        match page.next {
            Some(next) => after = Some(next),
            None => return Ok(()),
        }
    }
}

/// What can stop an export.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The workbook could not be written.
    #[error("the workbook could not be written: {0}")]
    Xlsx(#[from] rust_xlsxwriter::XlsxError),
    /// The CSV could not be written.
    #[error("the CSV could not be written: {0}")]
    Csv(#[from] csv::Error),
    /// The file could not be written.
    #[error("the export could not be written: {0}")]
    Io(#[from] std::io::Error),
}

/// The rows of one sheet for a period, each given to `row` as it is read.
pub fn rows<R: Records<Error = StoreError>>(
    store: &R,
    sheet: Sheet,
    book: &Book,
    mut row: impl FnMut(Vec<Cell>) -> Result<(), ExportError>,
) -> Result<(), ExportError> {
    let (sites, period) = (&book.sites, book.period);
    let (first, last) = (period.first(), period.last());
    match sheet {
        Sheet::Figures => {
            for (site, f) in sites.iter().zip(&book.figures) {
                row(figure_cells(&site.name, &site.as_of().unwrap_or_default(), f))?;
            }
            row(figure_cells("合计", "", &book.total))?;
        }
        Sheet::Estate => {
            for (site, e) in sites.iter().zip(&book.estates) {
                row(estate_cells(&site.name, e))?;
            }
            row(estate_cells("合计", &book.estate))?;
        }
        Sheet::Fees => {
            for (site, m) in sites.iter().zip(&book.money) {
                row(fee_cells(&site.name, m))?;
            }
            row(fee_cells("合计", &book.money_total))?;
        }
        Sheet::Payments => {
            for site in sites {
                let mut payments: Vec<Payment> = store.all(Some(site.site_id))?;
                payments.retain(|p| (first..=last).contains(&p.paid_on) && p.pay_kind != PayKind::PrepaidUse);
                payments.sort_by_key(|p| p.receipt);
                for p in &payments {
                    let state = if p.is_void() { "作废" } else { "" };
                    let head = |item: &str, period: &str| {
                        vec![
                            text(site.name.as_str()),
                            text(p.number()),
                            text(p.paid_on.to_string()),
                            text(p.pay_kind.label()),
                            text(p.house.as_str()),
                            text(p.payer.as_str()),
                            text(p.method.label()),
                            text(item),
                            text(period),
                        ]
                    };
                    let sign = p.sign();
                    let signed = |f: Fen| Cell::Money(sign * i64::try_from(f.0).unwrap_or(i64::MAX));
                    for l in &p.lines {
                        let mut cells = head(&l.item, &l.period);
                        cells.extend([signed(l.principal), signed(l.late_fee), signed(l.late_waived)]);
                        cells.extend([text(p.cashier.as_str()), text(state)]);
                        row(cells)?;
                    }
                    let prepaid = p.to_prepaid.0 as i64 - p.from_prepaid.0 as i64;
                    if prepaid != 0 {
                        let mut cells = head("预存", "");
                        cells.extend([Cell::Money(sign * prepaid), Cell::Money(0), Cell::Money(0)]);
                        cells.extend([text(p.cashier.as_str()), text(state)]);
                        row(cells)?;
                    }
                }
            }
        }
        Sheet::Arrears => {
            for site in sites {
                let books = wuye_app::fees::Books::load(store, Some(site.site_id))?;
                let chases: Vec<Chase> = store.all(Some(site.site_id))?;
                let levels = wuye_app::settings::CHASE_LEVELS;
                let today = book.now.with_timezone(&site.timezone()).date_naive();
                for a in wuye_app::fees::arrears(&books, &chases, levels, last.min(today)) {
                    row(vec![
                        text(site.name.as_str()),
                        text(a.house.as_str()),
                        text(a.since.as_str()),
                        Cell::Int(i64::from(a.overdue_days)),
                        fen(a.overdue),
                        fen(a.outstanding),
                        fen(a.late_owed),
                        fen(a.aging.upto_30),
                        fen(a.aging.upto_90),
                        fen(a.aging.upto_180),
                        fen(a.aging.over_180),
                        Cell::Int(i64::from(a.level)),
                        text(
                            a.last_reminder
                                .map(|c| format!("{} {} {}", c.at.local().date_naive(), c.way.label(), c.result))
                                .unwrap_or_default(),
                        ),
                    ])?;
                }
            }
        }
        Sheet::Works => {
            for (site, w) in sites.iter().zip(&book.works) {
                row(work_cells(&site.name, w))?;
            }
            row(work_cells("合计", &book.works_total))?;
        }
        Sheet::Renovations => {
            for site in sites {
                let today = book.now.with_timezone(&site.timezone()).date_naive();
                let all: Vec<Renovation> = store.all(Some(site.site_id))?;
                for r in all.iter().filter(|r| r.state() != RenovationState::Closed) {
                    let open = r.open_violations();
                    let items: Vec<&str> = r.items.iter().map(|i| i.label()).collect();
                    row(vec![
                        text(site.name.as_str()),
                        text(r.house.as_str()),
                        text(r.owner.as_str()),
                        text(r.contractor.name.as_str()),
                        text(r.contractor.phone.as_str()),
                        text(items.join("、")),
                        text(r.planned_start.to_string()),
                        text(r.ends().to_string()),
                        text(r.state().label()),
                        text(format!("{}/{}", r.passes.len(), r.returned.len())),
                        Cell::Int(open.len() as i64),
                        Cell::Int(open.iter().filter(|(_, v)| v.deadline < today).count() as i64),
                        fen(r.deposit),
                    ])?;
                }
            }
        }
        Sheet::Closes => {
            for site in sites {
                let mut closes: Vec<DayClose> = store.all(Some(site.site_id))?;
                closes.retain(|c| (first..=last).contains(&c.day));
                for c in &closes {
                    let sum = |m: &std::collections::BTreeMap<String, Fen>| fen(Fen(m.values().map(|f| f.0).sum()));
                    row(vec![
                        text(site.name.as_str()),
                        text(c.day.to_string()),
                        text(c.cashier.as_str()),
                        Cell::Int(c.receipts.0 as i64),
                        Cell::Int(c.receipts.1 as i64),
                        Cell::Int(c.count as i64),
                        Cell::Int(c.voided as i64),
                        sum(&c.taken),
                        sum(&c.refunded),
                        Cell::Money(c.principal),
                        Cell::Money(c.late_fees),
                        Cell::Money(c.prepaid),
                    ])?;
                }
            }
        }
        Sheet::Complaints => {
            for site in sites {
                let tz = site.timezone();
                let mut n = 0;
                each_record::<Complaint, R>(store, site, first, last, |c| {
                    n += 1;
                    row(complaint_cells(&site.name, n, &c, tz))
                })?;
            }
        }
        Sheet::Repairs => {
            for site in sites {
                let tz = site.timezone();
                each_record::<Repair, R>(store, site, first, last, |r| row(repair_cells(&site.name, &r, tz)))?;
            }
        }
        Sheet::Visits => {
            let from = first - Duration::days(VISIT_LOOKBACK_DAYS);
            let within = |at: &SiteTime| (first..=last).contains(&at.local().date_naive());
            for site in sites {
                let tz = site.timezone();
                let name = site.name.as_str();
                each_record::<Complaint, R>(store, site, from, last, |c| {
                    for v in c.visits.iter().filter(|v| within(&v.at)) {
                        let visit = Visited { at: &v.at, score: v.satisfaction, by: &v.by, words: &v.comment };
                        row(visit_cells(name, tz, &c.id, &c.unit, &c.customer, &visit))?;
                    }
                    Ok(())
                })?;
                each_record::<Repair, R>(store, site, from, last, |r| {
                    for v in r.events.iter().filter(|e| e.kind == "visited" && within(&e.at)) {
                        let visit =
                            Visited { at: &v.at, score: v.satisfaction.unwrap_or(0), by: &v.by, words: &v.text };
                        let place = r.unit.clone().or(r.area.clone()).unwrap_or_default();
                        row(visit_cells(name, tz, &r.id, &place, "", &visit))?;
                    }
                    Ok(())
                })?;
            }
        }
    }
    Ok(())
}

/// Writes the whole workbook (every sheet) for a period to `path`.
pub fn write_xlsx<R: Records<Error = StoreError>>(
    store: &R,
    book: &Book,
    path: &std::path::Path,
    tempdir: &std::path::Path,
) -> Result<(), ExportError> {
    use rust_xlsxwriter::{Format, Workbook};
    let mut workbook = Workbook::new();
    workbook.set_tempdir(tempdir)?;
    let bold = Format::new().set_bold();
    let percent = Format::new().set_num_format("0.0");
    let money = Format::new().set_num_format("#,##0.00");
    for sheet in Sheet::ALL {
        let ws = workbook.add_worksheet_with_constant_memory()?;
        ws.set_name(sheet.title())?;
        for (col, header) in sheet.headers().iter().enumerate() {
            ws.write_string_with_format(0, col as u16, *header, &bold)?;
        }
        let mut r: u32 = 1;
        rows(store, sheet, book, |cells| {
            for (col, cell) in cells.iter().enumerate() {
                let col = col as u16;
                match cell {
                    Cell::Text(t) => {
                        ws.write_string(r, col, t)?;
                    }
                    Cell::Int(n) => {
                        ws.write_number(r, col, *n as f64)?;
                    }
                    Cell::Rate(Some(v)) => {
                        ws.write_number_with_format(r, col, (v * 10.0).round() / 10.0, &percent)?;
                    }
                    Cell::Rate(None) => {}
                    Cell::Money(fen) => {
                        ws.write_number_with_format(r, col, *fen as f64 / 100.0, &money)?;
                    }
                }
            }
            r += 1;
            Ok(())
        })?;
    }
    workbook.save(path)?;
    Ok(())
}

/// Writes one sheet for a period as CSV (UTF-8 with a byte-order mark).
pub fn write_csv<R: Records<Error = StoreError>>(
    store: &R,
    sheet: Sheet,
    book: &Book,
    out: impl Write,
) -> Result<(), ExportError> {
    let mut out = out;
    out.write_all("\u{feff}".as_bytes())?;
    let mut csv = csv::Writer::from_writer(out);
    csv.write_record(sheet.headers())?;
    rows(store, sheet, book, |cells| {
        csv.write_record(cells.iter().map(Cell::text))?;
        Ok(())
    })?;
    csv.flush()?;
    Ok(())
}
