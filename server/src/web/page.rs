//! What every dashboard page has: the header with the person and their role,
//! the language, the CSRF token; the words in Chinese and English; the error
//! pages.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum_extra::extract::cookie::CookieJar;
use wuye_app::messages::{self, Edge, Lang};
use wuye_app::AppError;

use super::DashState;
use crate::office::OfficeStore;
use crate::people::{Act, User};

/// The dashboard's cookies: its own names, so that a desk and a dashboard on one host never share them.
pub const COOKIES: wuye_web::csrf::Cookies =
    wuye_web::csrf::Cookies { session: "wuye_hq_session", pre: "wuye_hq_pre", lang: "wuye_hq_lang" };

/// (key, 中文, English).
const WORDS: &[(&str, &str, &str)] = &[
    ("app.name", "物业总部看板", "Wuye head office"),
    ("nav.label", "主菜单", "Main menu"),
    ("nav.overview", "总览", "Overview"),
    ("nav.sync", "同步状况", "Sync health"),
    ("nav.logout", "退出", "Sign out"),
    ("login.title", "总部登录", "Head-office sign-in"),
    ("login.name", "登录名", "Sign-in name"),
    ("login.password", "密码", "Password"),
    ("login.submit", "登录", "Sign in"),
    ("error.title", "无法完成", "Could not be done"),
    ("notfound.title", "没有这个页面", "No such page"),
    ("notfound.text", "没有这个页面：请从总览进入。", "There is no such page: start from the overview."),
    ("overview.title", "各管理处总览", "Every site at a glance"),
    ("period.month", "月份", "Month"),
    ("period.week", "或周", "or week"),
    ("period.show", "查看", "Show"),
    ("overview.total", "合计", "Total"),
    ("overview.site", "管理处", "Site"),
    ("overview.as_of", "数据截至", "Data as of"),
    ("overview.never", "从未同步", "never synced"),
    ("overview.trend", "近12个月趋势", "Trend over 12 months"),
    ("overview.trend_complaints", "投诉量", "Complaints"),
    ("overview.trend_rates", "及时率与满意率（%）", "Timeliness and satisfaction (%)"),
    ("overview.majors", "待决定重大投诉", "Major complaints waiting"),
    ("overview.overdue", "超时工单", "Overdue work orders"),
    ("site.moveins", "收楼流转单", "Move-in slips"),
    ("site.stations", "各环节", "Stations"),
    ("site.keys_out", "借出未还的钥匙", "Keys out"),
    ("site.key", "钥匙", "Key"),
    ("site.lent_to", "借用人", "Lent to"),
    ("site.slips", "本期放行条", "Item-release slips of the period"),
    ("site.number", "编号", "Number"),
    ("site.handovers", "本期交接班记录", "Shift handovers of the period"),
    ("site.from_to", "交班 → 接班", "From → to"),
    ("site.open_items", "移交事项", "Open items"),
    ("estate.title", "交付、钥匙与放行", "Homes, keys and item release"),
    ("fees.title", "收费与欠费", "Fees and arrears"),
    ("fees.billed", "本期应收", "Billed"),
    ("fees.collected", "本期实收", "Collected"),
    ("fees.collection_rate", "收费率", "Collection rate"),
    ("fees.house_rate", "户收费率", "Houses paid"),
    ("fees.past_arrears", "期初欠费", "Arrears at the start"),
    ("fees.past_collected", "清欠", "Arrears collected"),
    ("fees.arrears_rate", "清欠率", "Arrears rate"),
    ("fees.late_collected", "滞纳金实收", "Late fees collected"),
    ("fees.late_waived", "滞纳金减免", "Late fees waived"),
    ("fees.owed", "欠费合计", "Owed"),
    ("fees.over_180", "180天以上", "Over 180 days"),
    ("fees.aging", "账龄", "Aging"),
    ("works.title", "装修管理", "Renovations"),
    ("works.applied", "待审核", "To approve"),
    ("works.in_progress", "装修中", "In progress"),
    ("works.past_end", "超期施工", "Past their end"),
    ("works.not_inspected", "完工待验收", "Finished, not inspected"),
    ("works.inspections_overdue", "验收逾期", "Inspections overdue"),
    ("works.violations_open", "违规未整改", "Violations open"),
    ("works.violations_overdue", "违规逾期", "Violations overdue"),
    ("works.deposits_held", "押金在管", "Deposits held"),
    ("estate.houses", "房屋数", "Houses"),
    ("estate.handed_over", "已交付", "Handed over"),
    ("estate.delivery_rate", "交付率", "Handed over %"),
    ("estate.moveins_open", "收楼办理中", "Move-ins in progress"),
    ("estate.keys_out", "钥匙借出", "Keys out"),
    ("estate.keys_overdue", "钥匙逾期", "Keys overdue"),
    ("estate.slips_issued", "放行条开具", "Slips issued"),
    ("estate.slips_refused", "放行条拒绝", "Slips refused"),
    ("overview.sort", "点击列名排序", "Click a column to sort"),
    ("overview.exports", "导出", "Exports"),
    ("alerts.title", "提醒", "Alerts"),
    ("alerts.none", "没有需要处理的提醒。", "Nothing needs attention."),
    ("alerts.offline", "超过一天未同步", "not synced for more than a day"),
    ("alerts.never", "从未同步", "never synced"),
    ("alerts.major", "重大投诉待经理决定超过24小时", "major complaints waiting over 24 hours"),
    ("alerts.overdue", "维修工单超时未到场", "work orders nobody reached in time"),
    ("alerts.report", "未收到日报", "daily report missing"),
    ("k.complaints", "投诉量", "Complaints"),
    ("k.major", "重大投诉", "Major"),
    ("k.households", "户数", "Households"),
    ("k.rate", "投诉率(每百户)", "Per 100 households"),
    ("k.timely", "投诉及时率", "Complaints on time"),
    ("k.visit_rate", "回访率", "Visited"),
    ("k.satisfaction", "满意率", "Satisfied"),
    ("k.repairs", "报修量", "Work orders"),
    ("k.emergency", "紧急维修及时率", "Emergency on time"),
    ("k.normal", "一般维修及时率", "Normal on time"),
    ("k.rework", "返修率", "Reopened"),
    ("k.income", "有偿服务收入", "Paid-service income"),
    ("k.reports", "日报上报", "Daily reports"),
    ("site.title", "管理处", "Site"),
    ("site.figures", "本期指标", "Figures for the period"),
    ("site.complaints", "本期客户投诉", "Complaints in the period"),
    ("site.repairs", "本期维修工单", "Work orders in the period"),
    ("site.none", "本期没有记录。", "No records in the period."),
    ("site.more", "更多请导出", "Export for the rest"),
    ("site.profile_missing", "该管理处尚未同步概况（户数、时区）；投诉率暂缺，按 Asia/Shanghai 计日。", "This site has not synced its profile (households, time zone) yet: no complaint rate, days counted in Asia/Shanghai."),
    ("col.received", "登记时间", "Received"),
    ("col.unit", "房号/位置", "Unit / place"),
    ("col.customer", "投诉人", "Customer"),
    ("col.summary", "内容", "Summary"),
    ("col.category", "类别", "Category"),
    ("col.status", "状态", "State"),
    ("col.urgency", "紧急程度", "Urgency"),
    ("col.deadline", "到场时限", "On site by"),
    ("rec.history", "处理经过", "History"),
    ("rec.decide", "经理决定", "Manager's decision"),
    ("rec.decide_submit", "记录决定", "Record the decision"),
    ("rec.note", "总部跟踪记录", "Head-office note"),
    ("rec.note_submit", "添加记录", "Add the note"),
    ("rec.reaches", "将在该管理处下次同步时送达。", "It reaches the site at its next sync."),
    ("rec.saved", "已记录，将在该管理处下次同步时送达。", "Recorded: it reaches the site at its next sync."),
    ("rec.due", "结果时限", "Result due"),
    ("rec.reply_due", "回复时限", "Reply due"),
    ("rec.phone", "联系电话", "Phone"),
    ("rec.channel", "投诉方式", "Channel"),
    ("rec.departments", "处理部门", "Departments"),
    ("rec.result", "处理结果", "Result"),
    ("rec.visits", "回访", "Visits"),
    ("rec.back", "返回管理处", "Back to the site"),
    ("sync.title", "同步状况", "Sync health"),
    ("sync.last", "最后同步", "Last sync"),
    ("sync.days", "离线天数", "Days offline"),
    ("sync.waiting", "待下发", "Waiting to go down"),
    ("sync.version", "客户端版本", "Agent version"),
    ("sync.waiting_up", "待上传", "Waiting to go up"),
    ("sync.clock", "时钟偏差", "Clock offset"),
    ("sync.disk", "磁盘剩余", "Disk free"),
    ("sync.error", "最近错误", "Last error"),
    ("sync.credential", "凭证", "Credential"),
    ("sync.revoke", "吊销", "Revoke"),
    ("sync.rotate", "重发注册码", "New enrollment code"),
    ("sync.code", "新的一次性注册码（只显示这一次）：", "The new one-time enrollment code (shown once):"),
    ("sync.revoked", "已吊销：该管理处的连接将被关闭，之后的同步都会被拒绝。", "Revoked: its connections close and every later sync is refused."),
    ("sync.admin_only", "只有管理员可以吊销或重发凭证。", "Only an administrator revokes or reissues credentials."),
    ("export.title", "导出", "Exports"),
    ("export.xlsx", "月报工作簿（xlsx）", "Monthly workbook (xlsx)"),
    ("export.csv_figures", "指标（CSV）", "Figures (CSV)"),
    ("export.csv_complaints", "客户投诉登记表（CSV）", "Complaint register (CSV)"),
    ("export.csv_repairs", "维修工作单（CSV）", "Work orders (CSV)"),
    ("export.csv_visits", "回访记录表（CSV）", "Visit record (CSV)"),
];

/// A word of the dashboard in a language (`?` for a key it lacks, which a test forbids).
pub fn word(lang: Lang, key: &str) -> &'static str {
    WORDS.iter().find(|(k, _, _)| *k == key).map(|(_, zh, en)| if lang == Lang::En { *en } else { *zh }).unwrap_or("?")
}

/// The frame of a page.
#[derive(Debug, Clone)]
pub struct Page {
    /// The page's language.
    pub lang: Lang,
    /// The title.
    pub title: String,
    /// Which menu entry is lit.
    pub nav: &'static str,
    /// Who is signed in, `周总（总部经理）`.
    pub user: Option<String>,
    /// Whether the person decides major complaints.
    pub may_decide: bool,
    /// Whether the person adds notes.
    pub may_note: bool,
    /// Whether the person exports.
    pub may_export: bool,
    /// Whether the person manages sites and credentials.
    pub admin: bool,
    /// The CSRF token for forms.
    pub csrf: String,
    /// The style sheet.
    pub css: &'static str,
    /// The script.
    pub js: &'static str,
    /// htmx.
    pub htmx: &'static str,
    /// This page's address, encoded for a query.
    pub here: String,
}

impl Page {
    /// A page for `user` (or nobody: the sign-in page).
    pub fn new(lang: Lang, user: Option<&User>, csrf: &str, nav: &'static str, title: String) -> Self {
        let urls = wuye_web::assets::urls();
        let may = |act| user.is_some_and(|u| u.may(act).is_ok());
        Page {
            lang,
            title,
            nav,
            user: user.map(User::signature),
            may_decide: may(Act::Decide),
            may_note: may(Act::Note),
            may_export: may(Act::Export),
            admin: may(Act::ManageSites),
            csrf: csrf.to_string(),
            css: urls.css,
            js: urls.js,
            htmx: urls.htmx,
            here: "%2F".to_string(),
        }
    }

    /// A word in this page's language.
    pub fn t(&self, key: &str) -> &'static str {
        word(self.lang, key)
    }

    /// `zh-CN` or `en`, for `<html lang>`.
    pub fn lang_code(&self) -> &'static str {
        match self.lang {
            Lang::Zh => "zh-CN",
            Lang::En => "en",
        }
    }

    /// Whether the page is in English.
    pub fn english(&self) -> bool {
        self.lang == Lang::En
    }

    /// A share as `96.5%`, or `—` when there is nothing to divide.
    pub fn pct(&self, rate: &Option<f64>) -> String {
        wuye_web::show::percent(*rate)
    }

    /// A rate per 100 households, or `—`.
    pub fn per100(&self, rate: &Option<f64>) -> String {
        rate.map_or_else(|| "—".to_string(), |r| format!("{r:.2}"))
    }

    /// Money in fen.
    pub fn fen(&self, fen: impl std::borrow::Borrow<wuye_protocol::money::Fen>) -> String {
        self.money(&i64::try_from(fen.borrow().0).unwrap_or(i64::MAX))
    }

    /// Money in fen as people read it (signed).
    pub fn money(&self, fen: &i64) -> String {
        wuye_web::show::money(*fen)
    }

    /// A state's colour class.
    pub fn tag(&self, code: &str) -> &'static str {
        wuye_web::show::tag(code)
    }

    /// A time to the minute in the site's own zone.
    pub fn time(&self, at: &wuye_protocol::time::SiteTime) -> String {
        at.local().format("%Y-%m-%d %H:%M").to_string()
    }

    /// A state in this language.
    pub fn state(&self, zh: &str, code: &str) -> String {
        match self.lang {
            Lang::Zh => zh.to_string(),
            Lang::En => code.replace('_', " "),
        }
    }
}

/// What people read for an error, in their language.
pub fn say(error: &AppError, lang: Lang) -> String {
    messages::message(error, lang, Edge::Plain)
}

/// A rendered template as a response.
pub fn html(rendered: Result<String, askama::Error>) -> Response {
    match rendered {
        Ok(body) => Html(body).into_response(),
        Err(e) => {
            tracing::error!("a dashboard page could not be rendered: {e}");
            (StatusCode::INTERNAL_SERVER_ERROR, "the page could not be rendered; the error is in the server's log")
                .into_response()
        }
    }
}

#[derive(Template)]
#[template(path = "message.html")]
struct MessagePage {
    page: Page,
    text: String,
}

/// A page that says what went wrong and what to do.
pub fn error_page(page: Page, error: &AppError) -> Response {
    let status = match error.code() {
        "not_found" | "ambiguous" | "prefix_too_short" | "bad_id" | "site.unknown" => StatusCode::NOT_FOUND,
        "hq.not_allowed" | "hq.not_your_site" => StatusCode::FORBIDDEN,
        "storage" => StatusCode::INTERNAL_SERVER_ERROR,
        _ => StatusCode::UNPROCESSABLE_ENTITY,
    };
    let text = say(error, page.lang);
    (status, html(MessagePage { page, text }.render())).into_response()
}

/// Any address the dashboard does not have: 404 in the page's language.
pub async fn not_found<S: OfficeStore>(State(_): State<DashState<S>>, jar: CookieJar) -> Response {
    let lang = COOKIES.lang_of(&jar);
    let page = Page::new(lang, None, "", "", word(lang, "notfound.title").into());
    (StatusCode::NOT_FOUND, html(MessagePage { page, text: word(lang, "notfound.text").into() }.render()))
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every key a template or handler asks for has words in both languages.
    #[test]
    fn every_word_a_page_asks_for_is_in_both_languages() {
        let mut sources: Vec<String> = Vec::new();
        for dir in ["templates", "src/web", "../web/templates"] {
            let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
            for entry in std::fs::read_dir(&dir).unwrap() {
                sources.push(std::fs::read_to_string(entry.unwrap().path()).unwrap());
            }
        }
        let mut used = 0;
        for text in &sources {
            for pattern in ["page.t(\"", "word(lang, \"", "word(signed.lang, \""] {
                for (i, _) in text.match_indices(pattern) {
                    let rest = &text[i + pattern.len()..];
                    let key = &rest[..rest.find('"').unwrap()];
                    assert!(WORDS.iter().any(|(k, _, _)| *k == key), "no words for {key}");
                    used += 1;
                }
            }
        }
        assert!(used > 40, "the search found the keys: {used}");
        for (key, zh, en) in WORDS {
            assert!(!zh.is_empty() && !en.is_empty(), "{key}");
        }
    }
}
