//! What people read for each error code, in Chinese and English: one
//! catalogue, so that the command line, the web desk and head office's
//! dashboard say the same thing. A template names its values as `{name}`
//! (see [`crate::AppError::params`]); an entry `code@cli` replaces `code` on
//! the command line, where it can name the command to run.

use crate::AppError;

/// The language of a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    /// 中文.
    Zh,
    /// English.
    En,
}

impl Lang {
    /// The language asked for by `WUYE_LANG` (`zh` or `en`); English when unset,
    /// so the command line prints what it always has.
    pub fn from_env() -> Self {
        match std::env::var("WUYE_LANG").ok().as_deref().map(str::trim) {
            Some(l) if l.to_ascii_lowercase().starts_with("zh") => Lang::Zh,
            _ => Lang::En,
        }
    }
}

/// Where a message is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Edge {
    /// The command line: hints may name commands.
    Cli,
    /// Anywhere else (a web page, a log).
    Plain,
}

/// English.
const EN: &[(&str, &str)] = &[
    ("not_found", "no {kind} with id '{id}': check the id with the list command"),
    ("ambiguous", "'{id}' matches more than one record: give more of the id"),
    ("prefix_too_short", "'{id}' is too short: give at least {min} characters of the id"),
    ("signin.login_invalid", "a sign-in name needs 1 to {max} characters without spaces (for example wangfang or 王芳)"),
    ("signin.password_length", "a password needs {min} to {max} characters; this one has {chars}"),
    ("signin.password_blank", "a password cannot be only spaces: choose one with letters, digits or characters"),
    ("signin.login_taken", "the sign-in name '{login}' is taken by another staff member: choose another"),
    ("signin.unknown_login", "no staff member signs in as '{login}': see the staff list"),
    ("signin.unknown_login@cli", "no staff member signs in as '{login}': see `staff list`"),
    ("signin.waiting", "sign-in refused: {failures} failed attempts for this name; wait {wait} s before trying again"),
    ("signin.wrong", "sign-in refused: the name or the password is wrong"),
    ("signin.wrong_wait", "sign-in refused: the name or the password is wrong; wait {wait} s before trying again"),
    ("signin.disabled", "sign-in refused: {name} has been disabled (离职); a 客服主管 or 经理 can tell you more"),
    ("signin.hashing", "the password could not be hashed: {detail}"),
    ("session.none", "nobody is signed in: sign in first"),
    ("session.none@cli", "nobody is signed in: sign in with `wuye-agent login NAME` first"),
    ("session.unknown", "nobody is signed in here: sign in again"),
    ("session.unknown@cli", "nobody is signed in here: sign in again with `wuye-agent login NAME`"),
    ("session.ended", "this sign-in was ended: sign in again"),
    ("session.ended@cli", "this sign-in was ended: sign in again with `wuye-agent login NAME`"),
    ("session.too_long", "the sign-in ended after {hours} hours: sign in again"),
    ("session.too_long@cli", "the sign-in ended after {hours} hours: sign in again with `wuye-agent login NAME`"),
    ("session.idle", "the sign-in ended after {minutes} minutes without use: sign in again"),
    ("session.idle@cli", "the sign-in ended after {minutes} minutes without use: sign in again with `wuye-agent login NAME`"),
    ("staff.gone", "the signed-in staff member is no longer on record: sign in again"),
    ("staff.disabled_signed_out", "{name} has been disabled and is signed out: sign in as someone who still works here"),
    ("staff.disable_self", "you cannot disable yourself: ask another 客服主管 or 经理"),
    ("complaint.unknown_category", "unknown complaint category: '{value}': use one of this site's categories (its settings list them)"),
    ("complaint.unknown_category@cli", "unknown complaint category: this site's are listed by `settings show` and changed with `settings set categories`: '{value}'"),
    ("storage", "{detail}"),
    ("bad_id", "'{value}' is not a valid {what} id: expected a UUID such as 1b4e28ba-2fa1-11d2-883f-0016d3cca427"),
    ("input.bad_date", "'{value}' is not a valid date: write it like 2026-11-27"),
    ("input.bad_time", "'{value}' is not a valid time: write it like 2026-11-28 14:30 (site time)"),
    ("site.unknown", "no site {value} is registered: see the list of sites"),
    ("hq.role_invalid", "'{value}' is not a head-office role: use admin, manager, quality or regional"),
    ("hq.sites_needed", "a regional manager looks after named sites: give them"),
    ("hq.sites_needed@cli", "a regional manager looks after named sites: give them with --sites ID,ID"),
    ("hq.not_allowed", "your role may not {action}: that is for {allowed}"),
    ("hq.not_your_site", "site {value} is not one of yours: ask an administrator to add it to your sites"),
    ("input.bad_period", "'{value}' is not a month or a week: write 2026-11 or 2026-W48"),
    ("input.invalid_setting", "{words}"),
    ("import.refused", "nothing was imported: {count} problem(s) to correct in the sheet first: {problems}"),
    ("site.unknown@cli", "no site {value} is registered: see `wuye-server site list`"),
    ("server.listen_invalid", "'{value}' is not an IP:PORT to listen on (for example 0.0.0.0:7443)"),
    ("server.cannot_listen", "cannot listen on {addr}: {detail}; is another server using the port?"),
    ("cert.none_waiting", "no certificate is waiting: make the next certificate first, and switch once every site holds it"),
    ("cert.none_waiting@cli", "no certificate is waiting: run `wuye-server cert rotate` first, and switch once every site holds it"),
    ("cert.mismatch", "{file} does not match the fingerprint announced ({fingerprint}): make the next certificate again"),
    ("cert.mismatch@cli", "{file} does not match the fingerprint announced ({fingerprint}): run `wuye-server cert rotate` again"),
    ("cert.sites_lacking", "{count} site(s) do not hold the new fingerprint yet and could not connect after the switch: {names}; wait for their next sync, or switch anyway and give them the fingerprint"),
    ("cert.sites_lacking@cli", "{count} site(s) do not hold the new fingerprint yet and could not connect after the switch: {names}; wait for their next sync (`site list` shows who holds it), or add --force and give them the fingerprint with `wuye-agent server set`"),
    ("rule.bad_number", "the {field} is not valid: {why}"),
    ("rule.empty", "{field} is empty: give a value"),
    ("rule.unprintable_text", "{field} holds a control character ({at}): remove it; only line breaks are allowed"),
    ("rule.unprintable_line", "{field} holds a control character ({at}): remove it; this field is one line of plain text"),
    ("rule.too_long", "{field} is too long ({len} characters, at most {max}): shorten it"),
    ("rule.too_many_departments", "too many departments ({count}, at most {max})"),
    ("rule.unknown_channel", "unknown channel '{value}': use phone, visit, letter, fax, wechat or app"),
    ("rule.not_major", "complaint {id} is not a major complaint (重大投诉); only major complaints are decided by the property manager"),
    ("rule.already_decided", "complaint {id} was already decided by {by} at {at}"),
    ("rule.wrong_step", "complaint {id} is {status} ({label}): {why}"),
    ("rule.role", "only {allowed} may {action}; the step was asked by {role}"),
    ("rule.not_amount", "'{value}' is not an amount in yuan: write it like 80 or 80.50"),
    ("rule.unknown", "unknown {what}: '{value}'"),
    ("rule.not_maintenance", "{name} is {role}; dispatch to a maintenance staff member (维修)"),
    ("rule.not_maintenance@cli", "{name} is {role}; dispatch to a maintenance staff member (维修): see `staff list`"),
    ("rule.place", "give either a unit (a home) or an area (a public area with its location), not both or neither"),
    ("rule.place@cli", "give either --unit (a home) or --area (a public area with its location), not both or neither"),
    ("rule.wrong_repair_step", "work order {id} is {status} ({label}): {why}"),
    ("rule.satisfaction", "satisfaction must be 1 to 5 (1-2 reopens the complaint), not {value}"),
    ("rule.out_of_range", "{field} {value} is not allowed: {allowed}"),
    ("rule.staff_disabled", "{name} has left (disabled by {by} at {at}): choose someone who still works here"),
    ("rule.staff_disabled@cli", "{name} has left (disabled by {by} at {at}): choose someone who still works here (see `staff list`)"),
    ("rule.document", "the record's document is invalid: {detail}"),
    ("rule.automerge", "could not edit the complaint document: {detail}"),
];

/// 中文.
const ZH: &[(&str, &str)] = &[
    ("not_found", "没有编号为“{id}”的{kind}：请用列表命令核对编号"),
    ("ambiguous", "“{id}”对应多条记录：请多输入几位编号"),
    ("prefix_too_short", "“{id}”太短：编号至少输入{min}位"),
    ("signin.login_invalid", "登录名须为1至{max}个字符，不含空格（例如 wangfang 或 王芳）"),
    ("signin.password_length", "密码须为{min}至{max}个字符；当前为{chars}个"),
    ("signin.password_blank", "密码不能全是空格：请使用字母、数字或其他字符"),
    ("signin.login_taken", "登录名“{login}”已被其他员工使用：请另选一个"),
    ("signin.unknown_login", "没有员工使用登录名“{login}”：请查看员工名单"),
    ("signin.unknown_login@cli", "没有员工使用登录名“{login}”：请用 `staff list` 查看"),
    ("signin.waiting", "登录被拒绝：此登录名已失败{failures}次；请等待{wait}秒后再试"),
    ("signin.wrong", "登录被拒绝：登录名或密码错误"),
    ("signin.wrong_wait", "登录被拒绝：登录名或密码错误；请等待{wait}秒后再试"),
    ("signin.disabled", "登录被拒绝：{name}已停用（离职）；详情请问客服主管或经理"),
    ("signin.hashing", "无法保存密码：{detail}"),
    ("session.none", "尚无人登录：请先登录"),
    ("session.none@cli", "尚无人登录：请先用 `wuye-agent login 登录名` 登录"),
    ("session.unknown", "此处无人登录：请重新登录"),
    ("session.unknown@cli", "此处无人登录：请用 `wuye-agent login 登录名` 重新登录"),
    ("session.ended", "此次登录已结束：请重新登录"),
    ("session.ended@cli", "此次登录已结束：请用 `wuye-agent login 登录名` 重新登录"),
    ("session.too_long", "登录已满{hours}小时自动结束：请重新登录"),
    ("session.too_long@cli", "登录已满{hours}小时自动结束：请用 `wuye-agent login 登录名` 重新登录"),
    ("session.idle", "已{minutes}分钟未操作，登录已结束：请重新登录"),
    ("session.idle@cli", "已{minutes}分钟未操作，登录已结束：请用 `wuye-agent login 登录名` 重新登录"),
    ("staff.gone", "已登录的员工记录不存在：请重新登录"),
    ("staff.disabled_signed_out", "{name}已停用并已退出登录：请由在职员工登录"),
    ("staff.disable_self", "不能停用自己：请另一位客服主管或经理操作"),
    ("complaint.unknown_category", "未知的投诉类别“{value}”：请使用本管理处设置中的类别"),
    (
        "complaint.unknown_category@cli",
        "未知的投诉类别“{value}”：本管理处的类别用 `settings show` 查看，用 `settings set categories` 修改",
    ),
    ("storage", "{detail}"),
    ("bad_id", "“{value}”不是有效的{what}编号：应为 1b4e28ba-2fa1-11d2-883f-0016d3cca427 这样的 UUID"),
    ("input.bad_date", "“{value}”不是有效的日期：请写成 2026-11-27"),
    ("input.bad_time", "“{value}”不是有效的时间：请写成 2026-11-28 14:30（本地时间）"),
    ("site.unknown", "没有登记编号为 {value} 的管理处：请查看管理处名单"),
    ("hq.role_invalid", "“{value}”不是总部角色：请用 admin（管理员）、manager（经理）、quality（品质部）或 regional（区域经理）"),
    ("hq.sites_needed", "区域经理负责指定的管理处：请给出这些管理处"),
    ("hq.sites_needed@cli", "区域经理负责指定的管理处：请用 --sites 编号,编号 给出"),
    ("hq.not_allowed", "您的角色不能{action}：这是{allowed}的权限"),
    ("hq.not_your_site", "管理处 {value} 不在您负责的范围内：请管理员把它加入您的管理处"),
    ("input.bad_period", "“{value}”不是月份或周：请写成 2026-11 或 2026-W48"),
    ("input.invalid_setting", "设置有误：{words}"),
    ("import.refused", "未导入任何记录：表格中有 {count} 处需先改正：{problems}"),
    ("site.unknown@cli", "没有登记编号为 {value} 的管理处：请用 `wuye-server site list` 查看"),
    ("server.listen_invalid", "“{value}”不是可监听的 IP:端口（例如 0.0.0.0:7443）"),
    ("server.cannot_listen", "无法在 {addr} 监听：{detail}；是否有另一个服务器占用了该端口？"),
    ("cert.none_waiting", "没有待切换的证书：请先生成新证书，待所有管理处都持有后再切换"),
    ("cert.none_waiting@cli", "没有待切换的证书：请先运行 `wuye-server cert rotate`，待所有管理处都持有后再切换"),
    ("cert.mismatch", "{file} 与已公布的指纹（{fingerprint}）不符：请重新生成新证书"),
    ("cert.mismatch@cli", "{file} 与已公布的指纹（{fingerprint}）不符：请重新运行 `wuye-server cert rotate`"),
    ("cert.sites_lacking", "{count} 个管理处尚未持有新指纹，切换后将无法连接：{names}；请等它们下次同步，或强制切换并把指纹告诉它们"),
    ("cert.sites_lacking@cli", "{count} 个管理处尚未持有新指纹，切换后将无法连接：{names}；请等它们下次同步（`site list` 显示谁已持有），或加 --force 并用 `wuye-agent server set` 把指纹告诉它们"),
    ("rule.bad_number", "{field}无效：{why}"),
    ("rule.empty", "{field}为空：请填写"),
    ("rule.unprintable_text", "{field}含有控制字符（{at}）：请删除；只允许换行"),
    ("rule.unprintable_line", "{field}含有控制字符（{at}）：请删除；此栏只能是一行文字"),
    ("rule.too_long", "{field}太长（{len}个字，最多{max}个）：请缩短"),
    ("rule.too_many_departments", "涉及部门太多（{count}个，最多{max}个）"),
    (
        "rule.unknown_channel",
        "未知的来源渠道“{value}”：请用 phone（电话）、visit（来访）、letter（信函）、fax（传真）、wechat（微信）或 app",
    ),
    ("rule.not_major", "投诉{id}不是重大投诉；只有重大投诉由物业经理决定"),
    ("rule.already_decided", "投诉{id}已由{by}于{at}作出决定"),
    ("rule.wrong_step", "投诉{id}当前为{label}（{status}）：{why}"),
    ("rule.role", "只有{allowed}可以{action}；本次操作者为{role}"),
    ("rule.not_amount", "“{value}”不是以元为单位的金额：请写成 80 或 80.50"),
    ("rule.unknown", "未知的{what}：“{value}”"),
    ("rule.not_maintenance", "{name}是{role}；维修单只能派给维修人员"),
    ("rule.not_maintenance@cli", "{name}是{role}；维修单只能派给维修人员：请用 `staff list` 查看"),
    ("rule.place", "请填写住户房号或公共区域（含位置）二者之一，不能都填或都不填"),
    ("rule.place@cli", "请给出 --unit（住户房号）或 --area（公共区域及位置）二者之一，不能都给或都不给"),
    ("rule.wrong_repair_step", "维修单{id}当前为{label}（{status}）：{why}"),
    ("rule.satisfaction", "满意度须为1至5（1-2会重新打开投诉），不能是{value}"),
    ("rule.out_of_range", "{field} {value} 不允许：{allowed}"),
    ("rule.staff_disabled", "{name}已离职（{by}于{at}停用）：请选择在职员工"),
    ("rule.staff_disabled@cli", "{name}已离职（{by}于{at}停用）：请选择在职员工（用 `staff list` 查看）"),
    ("rule.document", "记录文档无效：{detail}"),
    ("rule.automerge", "无法修改记录文档：{detail}"),
];

fn table(lang: Lang) -> &'static [(&'static str, &'static str)] {
    match lang {
        Lang::Zh => ZH,
        Lang::En => EN,
    }
}

fn template(lang: Lang, edge: Edge, code: &str) -> Option<&'static str> {
    let find = |key: &str| table(lang).iter().find(|(k, _)| *k == key).map(|(_, t)| *t);
    let specific = match edge {
        Edge::Cli => find(&format!("{code}@cli")),
        Edge::Plain => None,
    };
    specific.or_else(|| find(code))
}

/// Fills a template's `{name}` placeholders.
fn fill(template: &str, params: &[(&'static str, String)]) -> String {
    let mut out = template.to_string();
    for (name, value) in params {
        out = out.replace(&format!("{{{name}}}"), value);
    }
    out
}

/// The fields rules name, as people at the desk call them in Chinese.
const FIELDS_ZH: &[(&str, &str)] = &[
    ("area", "公共区域"),
    ("asked", "事由"),
    ("by", "记录人"),
    ("caller", "来电/来访人"),
    ("category", "类别"),
    ("comment", "住户意见"),
    ("customer", "投诉人"),
    ("decision", "决定内容"),
    ("department", "部门"),
    ("description", "报修内容"),
    ("done", "处理情况"),
    ("materials", "用料"),
    ("name", "姓名"),
    ("note", "记录内容"),
    ("phone", "联系电话"),
    ("reply", "回复内容"),
    ("result", "处理结果"),
    ("staff", "员工"),
    ("summary", "投诉内容"),
    ("text", "内容"),
    ("to", "维修人员"),
    ("unit", "房号"),
    ("work", "维修内容"),
];

/// The rules' reasons and the steps they guard, in Chinese: a rule names
/// them in English (its `why`, a role's `action`), the desk reads them here.
const PHRASES_ZH: &[(&str, &str)] = &[
    ("manage head-office users", "管理总部用户"),
    ("issue or cancel an item-release slip", "开具或作废物品放行条"),
    ("check an item-release slip at the gate", "在门岗查验物品放行条"),
    ("lend a key an owner deposited", "借出业主寄存的钥匙"),
    ("open a move-in slip", "开具收楼流转单"),
    ("take a payment", "收款"),
    ("set up fee items and prices or issue bills", "设置收费项目和价格或出账"),
    ("void a receipt", "作废收据"),
    ("reduce a bill or waive a late fee", "减免账单或滞纳金"),
    ("refund a payment", "退款"),
    ("give the last reminder of arrears", "发出最后一级催缴"),
    ("record a renovation's application, passes, patrols or inspection", "办理装修申请、出入证、巡查或验收"),
    ("approve, extend or close a renovation", "审批、延期或结案装修"),
    ("stamp this station", "在此环节盖章"),
    ("send this station back", "退回此环节"),
    ("manage sites and their credentials", "管理管理处及其凭证"),
    ("decide major complaints", "决定重大投诉"),
    ("add head-office notes", "添加总部跟踪记录"),
    ("export reports", "导出报表"),
    ("publish company-wide settings", "发布公司统一设置"),
    ("an archived complaint takes no further steps", "已归档的投诉不能再处理"),
    ("its result is recorded; an unsatisfied follow-up visit reopens it", "已记录处理结果；回访不满意时才重新处理"),
    ("it is already a major complaint for the property manager", "已是报经理决定的重大投诉"),
    (
        "a major complaint needs the property manager's decision before its result",
        "重大投诉须先有经理决定，再记录处理结果",
    ),
    (
        "its result is already recorded; an unsatisfied follow-up visit reopens it",
        "处理结果已记录；回访不满意时才重新处理",
    ),
    ("a follow-up visit comes after the result is recorded (resolve)", "先记录处理结果，再回访"),
    ("archive only after a satisfied follow-up visit (回访)", "回访满意后才能归档"),
    ("a charge applies only to a paid service (有偿服务)", "只有有偿服务才收费"),
    ("a closed work order takes no further steps", "已关闭的工单不能再处理"),
    ("a follow-up visit comes after the work is completed", "完工后才能回访"),
    ("arrival comes after dispatching to a maintenance staff member", "先派工给维修人员，才能到场"),
    ("close only after a satisfied follow-up visit (回访)", "回访满意后才能关闭"),
    ("completion comes after someone is on site (arrive)", "维修人员到场后才能完工"),
    ("the work is done; an unsatisfied follow-up visit reopens it", "已完工；回访不满意时才重新维修"),
    ("archive a complaint", "归档投诉"),
    ("decide a major complaint", "决定重大投诉"),
    ("add staff or set another person's password", "添加员工或设置他人密码"),
    ("change the site's settings or enrollment", "修改本管理处的设置或注册"),
    ("see ID-card and household-register numbers", "查看完整的身份证号和户口簿号"),
];

/// The message for `code` with `params`, in `lang`, as `edge` shows it; the
/// code itself when the catalogue lacks it (a test makes sure it never does).
/// In Chinese a field is named by its Chinese label, and a rule's reason and
/// the step it guards are told in Chinese.
pub fn render(lang: Lang, edge: Edge, code: &str, params: &[(&'static str, String)]) -> String {
    let named;
    let params = if lang == Lang::Zh {
        named = params
            .iter()
            .map(|(k, v)| {
                let field = FIELDS_ZH.iter().find(|(f, _)| *k == "field" && f == v);
                let phrase = PHRASES_ZH.iter().find(|(en, _)| ["why", "action"].contains(k) && en == v);
                match field.or(phrase) {
                    Some((_, zh)) => (*k, zh.to_string()),
                    None if *k == "allowed" => (*k, v.replace(" or ", "或")),
                    None => (*k, v.clone()),
                }
            })
            .collect::<Vec<_>>();
        named.as_slice()
    } else {
        params
    };
    match template(lang, edge, code) {
        Some(t) => fill(t, params),
        None => code.to_string(),
    }
}

/// An error's message in `lang`, as `edge` shows it.
pub fn message(error: &AppError, lang: Lang, edge: Edge) -> String {
    render(lang, edge, error.code(), &error.params())
}

/// The words the command line prints for an error, in the language asked
/// for (`WUYE_LANG`), when it is the application layer's, a rule's or the
/// store's; `None` for any other error (whose own words then stand).
pub fn for_cli(error: &(dyn std::error::Error + 'static)) -> Option<String> {
    let lang = Lang::from_env();
    if let Some(e) = error.downcast_ref::<AppError>() {
        return Some(message(e, lang, Edge::Cli));
    }
    let coded = error
        .downcast_ref::<wuye_protocol::rules::RuleError>()
        .map(|e| AppError::Rule(e.clone()))
        .or_else(|| error.downcast_ref::<wuye_node::StoreError>().and_then(AppError::coded));
    coded.map(|e| message(&e, lang, Edge::Cli))
}

/// An error's plain English message (its `Display`).
pub(crate) fn plain(error: &AppError) -> String {
    message(error, Lang::En, Edge::Plain)
}

#[cfg(test)]
mod tests {
    /// Every reason a step is refused for, and every guarded step, has its Chinese words.
    #[test]
    fn every_reason_a_rule_gives_is_told_in_chinese() {
        let sources = [
            include_str!("../../protocol/src/complaint/steps.rs"),
            include_str!("../../protocol/src/repair/mod.rs"),
            include_str!("../../protocol/src/staff/mod.rs"),
        ];
        let mut phrases = Vec::new();
        let quoted_after = |text: &str, opening: &str| -> Vec<String> {
            text.match_indices(opening)
                .map(|(i, _)| {
                    let rest = &text[i + opening.len()..];
                    rest[..rest.find('"').unwrap()].to_string()
                })
                .collect()
        };
        for source in sources {
            for opening in ["wrong_step(&current, \"", "wrong(&current, \"", "const ARCHIVED: &str = \""] {
                phrases.extend(quoted_after(source, opening));
            }
            // The guarded steps' names: the arms of `Guarded::name`.
            if let Some(at) = source.find("fn name(self)") {
                let body = &source[at..at + source[at..].find("\n    }\n").unwrap()];
                phrases.extend(quoted_after(body, " => \""));
            }
        }
        for phrase in &phrases {
            assert!(PHRASES_ZH.iter().any(|(en, _)| en == phrase), "no Chinese for '{phrase}'");
        }
        let found = phrases.len();
        assert!(found >= 15, "the search found the reasons: {found}");
    }

    use super::*;
    use std::collections::BTreeSet;
    use wuye_protocol::doc::DocError;
    use wuye_protocol::rules::RuleError;

    fn keys(table: &'static [(&'static str, &'static str)]) -> BTreeSet<&'static str> {
        let set: BTreeSet<&str> = table.iter().map(|(k, _)| *k).collect();
        assert_eq!(set.len(), table.len(), "a key appears twice");
        set
    }

    /// One of every error there is.
    fn every_error() -> Vec<AppError> {
        let id: wuye_protocol::ids::RecordId = "abcd0000-0000-4000-8000-000000000000".parse().unwrap();
        let rules = vec![
            RuleError::BadNumber { field: "ID-card number", why: "wrong check digit" },
            RuleError::Empty("note"),
            RuleError::Unprintable { field: "note", at: "U+001B at 3".into(), multiline: true },
            RuleError::Unprintable { field: "caller", at: "U+001B at 3".into(), multiline: false },
            RuleError::TooLong { field: "note", len: 5000, max: 2000 },
            RuleError::TooManyDepartments(30),
            RuleError::UnknownChannel("pigeon".into()),
            RuleError::NotMajor(id),
            RuleError::AlreadyDecided { id, by: "周经理".into(), at: "2026-11-27T10:00:00+08:00".into() },
            RuleError::WrongStep { id, status: "archived", label: "已归档", why: "no further steps" },
            RuleError::Role { action: "decide", allowed: "经理".into(), role: "客服员" },
            RuleError::NotAmount("八十".into()),
            RuleError::Unknown { what: "role", value: "boss".into() },
            RuleError::NotMaintenance { name: "李娜".into(), role: "客服员" },
            RuleError::Place,
            RuleError::WrongRepairStep { id, status: "closed", label: "已关闭", why: "closed" },
            RuleError::Satisfaction(9),
            RuleError::OutOfRange { field: "the due time", value: "2020-01-01".into(), allowed: "from now".into() },
            RuleError::StaffDisabled { name: "王芳".into(), by: "周站长".into(), at: "2026-11-27 10:00".into() },
            RuleError::Document(DocError::Missing("kind".into())),
            RuleError::Automerge("bad".into()),
        ];
        let mut all: Vec<AppError> = rules.into_iter().map(AppError::Rule).collect();
        all.extend([
            AppError::NotFound { kind: "complaint", id: "abcd".into() },
            AppError::Ambiguous("abcd".into()),
            AppError::PrefixTooShort("ab".into()),
            AppError::LoginInvalid,
            AppError::PasswordLength { chars: 3 },
            AppError::PasswordBlank,
            AppError::LoginTaken("zhou".into()),
            AppError::UnknownLogin("zhou".into()),
            AppError::SignInWaiting { failures: 5, wait_seconds: 60 },
            AppError::WrongPassword { wait_seconds: 0 },
            AppError::WrongPassword { wait_seconds: 15 },
            AppError::NotSignedIn,
            AppError::SessionUnknown,
            AppError::SessionEnded,
            AppError::SessionTooLong { hours: 12 },
            AppError::SessionIdle { minutes: 30 },
            AppError::StaffGone,
            AppError::Disabled { name: "王芳".into() },
            AppError::SignInDisabled { name: "王芳".into() },
            AppError::CannotDisableSelf,
            AppError::UnknownCategory("天气".into()),
            AppError::Hashing("out of memory".into()),
            AppError::Storage(wuye_node::StoreError::TooNew(9)),
            AppError::BadId { what: "site", value: "x".into() },
            AppError::UnknownSite("abcd".into()),
            AppError::BadDate("明天".into()),
            AppError::BadTime("下午".into()),
            AppError::ListenInvalid("here".into()),
            AppError::CannotListen { addr: "0.0.0.0:1".into(), detail: "in use".into() },
            AppError::NoCertWaiting,
            AppError::CertMismatch { file: "cert-next.der", fingerprint: "ab".into() },
            AppError::SitesLackingCert { names: vec!["朝阳花园 (abcd)".into()] },
            AppError::RoleInvalid("boss".into()),
            AppError::SitesNeeded,
            AppError::NotAllowed { action: "decide major complaints", allowed: "经理 manager" },
            AppError::NotYourSite("abcd".into()),
            AppError::BadPeriod("11月".into()),
            AppError::InvalidSetting("give 1 to 50 categories".into()),
            AppError::ImportRefused { problems: vec!["row 2, 楼层: not a number".into()] },
        ]);
        all
    }

    #[test]
    fn both_languages_have_the_same_keys() {
        assert_eq!(keys(EN), keys(ZH));
    }

    #[test]
    fn every_error_has_words_in_both_languages_with_every_placeholder_filled() {
        let codes: BTreeSet<&str> = every_error().iter().map(AppError::code).collect();
        let plain: BTreeSet<&str> = keys(EN).into_iter().filter(|k| !k.contains('@')).collect();
        assert_eq!(codes, plain, "the catalogue and the errors name the same codes");
        for error in every_error() {
            for lang in [Lang::En, Lang::Zh] {
                for edge in [Edge::Cli, Edge::Plain] {
                    let words = message(&error, lang, edge);
                    assert!(!words.contains('{') && !words.contains('}'), "{}: {words}", error.code());
                    assert_ne!(words, error.code());
                }
            }
        }
    }

    #[test]
    fn the_command_line_keeps_its_words_and_other_edges_name_no_command() {
        let e = AppError::Rule(RuleError::Place);
        assert_eq!(
            message(&e, Lang::En, Edge::Cli),
            "give either --unit (a home) or --area (a public area with its location), not both or neither"
        );
        for error in every_error() {
            for lang in [Lang::En, Lang::Zh] {
                let words = message(&error, lang, Edge::Plain);
                assert!(!words.contains('`') && !words.contains("--"), "{}: {words}", error.code());
            }
        }
        assert_eq!(
            message(&AppError::SessionIdle { minutes: 30 }, Lang::Zh, Edge::Plain),
            "已30分钟未操作，登录已结束：请重新登录"
        );
    }
}
