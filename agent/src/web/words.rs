//! The pages' own words (menus, labels, headings) in Chinese and English;
//! what errors say comes from the application layer's catalogue.

use wuye_app::messages::Lang;

/// (key, 中文, English).
const WORDS: &[(&str, &str, &str)] = &[
    ("app.name", "物业客服", "Wuye desk"),
    ("nav.label", "主菜单", "Main menu"),
    ("nav.board", "今日", "Today"),
    ("nav.calls", "来电来访", "Calls & visits"),
    ("nav.complaints", "客户投诉", "Complaints"),
    ("nav.repairs", "维修工单", "Work orders"),
    ("nav.residents", "住户", "Residents"),
    ("nav.duty", "值班表", "Duty roster"),
    ("nav.handover", "交接班", "Handover"),
    ("nav.report", "日报", "Daily report"),
    ("nav.staff", "员工", "Staff"),
    ("nav.settings", "设置", "Settings"),
    ("nav.logout", "退出", "Sign out"),
    ("nav.back_board", "返回今日", "Back to today"),
    ("sync.online", "在线", "Online"),
    ("sync.offline", "离线", "Offline"),
    ("sync.last", "最后同步", "Last sync"),
    ("sync.never", "从未", "never"),
    ("sync.waiting", "待上传", "Waiting to go up"),
    (
        "sync.offline_hint",
        "总部暂时连不上，可照常登记，恢复后自动上传。",
        "Head office is out of reach: work goes on here and goes up when the link returns.",
    ),
    ("login.title", "登录", "Sign in"),
    ("login.name", "登录名", "Sign-in name"),
    ("login.password", "密码", "Password"),
    ("login.submit", "登录", "Sign in"),
    ("error.title", "无法完成", "Could not be done"),
    ("notfound.title", "页面不存在", "Page not found"),
    ("notfound.text", "没有这个页面，请从菜单进入。", "There is no such page: use the menu."),
    ("board.title", "今日", "Today"),
    ("board.duty", "当前值班", "On duty"),
    ("board.now", "当前", "now"),
    ("board.gap", "无人值班", "nobody"),
    ("board.gap_warning", "今天有时段无人值班。", "A period today has nobody on duty."),
    ("board.to_duty", "去排班", "Open the roster"),
    ("board.open_complaints", "未结投诉", "Open complaints"),
    ("board.waiting_manager", "待经理决定", "Waiting for the manager"),
    ("board.none", "暂无", "None"),
    ("board.report", "今日日报", "Today's report"),
    ("board.report_made", "已生成", "Made"),
    ("board.report_none", "未生成", "Not made yet"),
    ("board.report_go", "预览并上报", "Preview and send"),
    ("board.repairs_due", "待到场工单", "Work orders not yet reached"),
    ("board.left", "剩余时间", "Time left"),
    ("board.commitments", "约定回复", "Promised replies"),
    ("board.open_calls", "未处理的来电来访", "Calls and visits not handled"),
    ("handover.keys_out", "借出未还的钥匙", "Keys out"),
    ("handover.slips_waiting", "未查验的放行条", "Release slips not yet checked"),
    ("board.keys_overdue", "逾期未还的钥匙", "Keys not back in time"),
    ("call.title", "来电来访登记", "Register a call or visit"),
    ("call.log", "工作日志", "Work log"),
    ("call.saved", "已登记。", "Saved."),
    ("call.submit", "登记", "Save"),
    ("call.then", "登记后", "Then"),
    ("call.then_log", "仅登记", "Only log it"),
    ("call.then_complaint", "转为投诉", "Make a complaint"),
    ("call.then_repair", "转为报修", "Make a work order"),
    ("call.then_commitment", "约定回复（填写回复时间）", "Promise a reply (give the time)"),
    ("call.to_complaint", "转投诉", "To complaint"),
    ("call.to_repair", "转报修", "To work order"),
    ("call.open", "未处理", "Not handled"),
    ("call.mark_done", "已处理", "Handled"),
    ("call.linked", "已转单", "Made into a record"),
    ("commitment.reply", "回复内容", "Reply given"),
    ("commitment.reply_submit", "记录回复", "Record the reply"),
    ("complaint.list", "客户投诉", "Complaints"),
    ("complaint.new", "登记投诉", "Register a complaint"),
    ("complaint.submit", "登记投诉", "Register"),
    ("complaint.detail", "投诉详情", "Complaint"),
    ("complaint.decision", "经理决定", "Manager's decision"),
    (
        "complaint.conflict",
        "决定冲突：以下决定分别作出，请经理重新决定。",
        "Conflicting decisions: made apart; a manager must decide again.",
    ),
    ("complaint.result", "处理结果", "Result"),
    ("complaint.reply_due", "回复时限", "Reply due"),
    ("complaint.result_due", "结果时限", "Result due"),
    ("complaint.history", "处理记录", "History"),
    ("complaint.steps", "处理", "Steps"),
    ("field.channel", "方式", "Channel"),
    ("field.caller", "来电/来访人", "Caller or visitor"),
    ("field.phone", "联系电话", "Phone"),
    ("field.unit", "房号", "Unit"),
    ("field.asked", "事由", "What was asked"),
    ("field.done", "处理情况", "What was done"),
    ("field.due", "回复时间", "Reply due"),
    ("field.time", "时间", "Time"),
    ("field.by", "记录人", "By"),
    ("field.status", "状态", "Status"),
    ("field.category", "类别", "Category"),
    ("field.customer", "投诉人", "Customer"),
    ("field.summary", "投诉内容", "What it is about"),
    ("field.departments", "涉及部门", "Departments"),
    ("field.major", "重大", "Major"),
    ("field.major_long", "重大投诉（报经理决定）", "Major complaint (goes to the manager)"),
    ("field.received", "受理时间", "Received"),
    ("field.reported", "报修时间", "Reported"),
    ("field.satisfaction", "满意度", "Satisfaction"),
    ("field.id", "编号", "Id"),
    ("field.area", "公共区域", "Public area"),
    ("filter.all", "全部", "All"),
    ("filter.open", "未结", "Open"),
    ("filter.search", "搜索", "Search"),
    ("filter.search_hint", "房号、姓名或电话", "Unit, name or phone"),
    ("filter.from", "从", "From"),
    ("filter.to", "到", "To"),
    ("filter.apply", "查询", "Filter"),
    ("filter.overdue", "超时", "Overdue"),
    ("list.empty", "没有记录", "Nothing here"),
    ("list.next", "下一页", "Next page"),
    ("list.first", "第一页", "First page"),
    ("form.choose", "请选择", "Choose"),
    ("form.confirm", "确定吗？此步骤不能撤销。", "Are you sure? This cannot be undone."),
    ("form.yes", "是", "Yes"),
    ("form.no", "否", "No"),
    ("satisfaction.5", "非常满意", "very satisfied"),
    ("satisfaction.4", "满意", "satisfied"),
    ("satisfaction.3", "一般", "neutral"),
    ("satisfaction.2", "不满意", "dissatisfied"),
    ("satisfaction.1", "非常不满意", "very dissatisfied"),
    ("step.note", "跟踪记录", "Add a note"),
    ("step.assign", "发工作联系单", "Send a contact slip"),
    ("step.escalate", "上报经理", "Escalate to the manager"),
    ("step.decide", "经理决定", "Decide"),
    ("step.resolve", "记录处理结果", "Record the result"),
    ("step.visit", "回访", "Follow-up visit"),
    ("step.archive", "归档", "Archive"),
    ("step.dispatch", "派工", "Dispatch"),
    ("step.arrive", "到场", "Arrived"),
    ("step.complete", "完工", "Completed"),
    ("step.close", "关闭工单", "Close"),
    ("label.note", "记录内容", "Note"),
    ("label.assign", "接收部门", "Department"),
    ("label.decide", "决定内容", "Decision"),
    ("label.resolve", "处理结果", "Result"),
    ("label.visit", "住户意见", "Resident's words"),
    ("label.complete", "维修内容", "Work done"),
    ("event.registered", "登记", "registered"),
    ("event.note", "跟踪记录", "note"),
    ("event.assigned", "发工作联系单", "contact slip"),
    ("event.escalated", "上报经理", "escalated"),
    ("event.decision", "经理决定", "decision"),
    ("event.resolved", "处理结果", "result"),
    ("event.visited", "回访", "visit"),
    ("event.archived", "归档", "archived"),
    ("event.reported", "报修", "reported"),
    ("event.dispatched", "派工", "dispatched"),
    ("event.arrived", "到场", "arrived"),
    ("event.completed", "完工", "completed"),
    ("event.closed", "关闭", "closed"),
    ("repair.list", "维修工单", "Work orders"),
    ("repair.new", "登记报修", "Report a repair"),
    ("repair.submit", "登记报修", "Report"),
    ("repair.detail", "维修工单", "Work order"),
    ("repair.mine", "我的工单", "My orders"),
    ("repair.open", "打开", "Open"),
    ("repair.place", "位置", "Place"),
    ("repair.description", "报修内容", "What is wrong"),
    ("repair.urgency", "紧急程度", "Urgency"),
    ("repair.assigned", "维修人员", "Assigned to"),
    ("repair.deadline", "到场时限", "On site by"),
    ("repair.not_dispatched", "未派工", "not dispatched"),
    ("repair.category", "报修类型", "Kind"),
    ("repair.appointment", "预约时间", "Appointment"),
    ("repair.paid", "有偿服务", "Paid service"),
    ("repair.worker", "维修人员", "Maintenance worker"),
    ("repair.materials", "用料", "Materials"),
    ("repair.charge", "费用", "Charge"),
    ("repair.charge_yuan", "费用（元）", "Charge (yuan)"),
    ("print.print", "打印", "Print"),
    ("print.back", "返回", "Back"),
    ("print.slip", "打印处理表", "Print handling slip"),
    ("print.contact", "打印工作联系单", "Print contact slip"),
    ("print.work_order", "打印维修工作单", "Print work order"),
    ("print.register", "打印登记表", "Print register"),
    ("print.visits", "打印回访记录表", "Print visit record"),
    ("print.site_office", "管理处", "Site office"),
    ("resident.title", "住户家庭情况登记", "Household register"),
    ("resident.name", "姓名", "Name"),
    ("resident.id_card", "身份证号", "ID card"),
    ("resident.household", "户口簿号", "Household register no."),
    ("resident.add", "登记住户", "Register a resident"),
    ("resident.type", "住户类型", "Resident type"),
    ("resident.relation", "与业主关系", "Relation to the owner"),
    ("resident.moved_in", "入住日期", "Moved in"),
    ("resident.moved_out", "迁出", "Moved out"),
    ("resident.emergency", "紧急联系人", "Emergency contact"),
    ("resident.plates", "车牌号", "Car plates"),
    ("resident.submit", "登记", "Register"),
    ("staff.title", "员工", "Staff"),
    ("staff.role", "岗位", "Role"),
    ("staff.active", "在职", "active"),
    ("staff.disabled", "离职", "left"),
    ("staff.disable", "设为离职", "Mark as left"),
    ("staff.add", "添加员工", "Add a staff member"),
    ("staff.submit", "添加", "Add"),
    ("duty.title", "值班表", "Duty roster"),
    ("duty.am", "上午", "Morning"),
    ("duty.pm", "下午", "Afternoon"),
    ("duty.previous", "上一周", "Previous week"),
    ("duty.this_week", "本周", "This week"),
    ("duty.next", "下一周", "Next week"),
    ("duty.assign", "排班", "Put on duty"),
    ("duty.who", "员工", "Staff member"),
    ("duty.date", "日期", "Date"),
    ("duty.shift", "时段", "Period"),
    ("duty.submit", "排班", "Assign"),
    ("wd.Mon", "周一", "Mon"),
    ("wd.Tue", "周二", "Tue"),
    ("wd.Wed", "周三", "Wed"),
    ("wd.Thu", "周四", "Thu"),
    ("wd.Fri", "周五", "Fri"),
    ("wd.Sat", "周六", "Sat"),
    ("wd.Sun", "周日", "Sun"),
    ("handover.title", "交接班", "Handover"),
    ("handover.open_repairs", "未关闭工单", "Open work orders"),
    ("briefing.title", "班前会", "Briefing"),
    ("briefing.yesterday", "昨日", "Yesterday"),
    ("briefing.calls", "来电来访", "Calls and visits"),
    ("briefing.complaints", "投诉", "Complaints"),
    ("briefing.repairs", "报修", "Repairs"),
    ("briefing.emergency", "紧急", "emergency"),
    ("report.title", "每日上报", "Daily report"),
    ("report.show", "查看", "Show"),
    ("report.open_complaints", "未结投诉", "Open complaints"),
    ("report.open_repairs", "未关闭工单", "Open work orders"),
    ("report.major", "当日重大投诉", "Major complaints that day"),
    ("report.urgent", "紧急及超时工单", "Emergency and overdue orders"),
    ("report.by_category", "投诉按类别", "Complaints by category"),
    ("report.repairs_by_category", "报修按类型", "Repairs by kind"),
    ("report.send", "生成并上报", "Make and send"),
    ("settings.title", "设置", "Settings"),
    ("settings.categories", "投诉类别", "Complaint categories"),
    ("settings.emergency", "紧急报修到场时限（分钟）", "Emergency: on site within (minutes)"),
    ("settings.normal", "一般报修到场时限（工时）", "Normal: on site within (duty hours)"),
    ("settings.reply", "投诉回复时限（工时）", "Complaint: first reply within (duty hours)"),
    ("settings.result", "投诉处理结果时限（工时）", "Complaint: result within (duty hours)"),
    ("settings.major_result", "重大投诉处理结果时限（工时）", "Major complaint: result within (duty hours)"),
    ("settings.summer", "夏令时作息", "Summer schedule"),
    ("settings.households", "户数", "Households"),
    (
        "settings.company_locked",
        "此项由总部统一设置，管理处不能修改：如需调整请联系总部。",
        "Head office sets this for every site: ask head office to change it.",
    ),
    ("settings.by_company", "总部统一设置", "set by head office"),
    ("report.month", "本月指标", "This month's figures"),
    ("report.m_complaints", "投诉量", "Complaints"),
    ("report.m_timely", "投诉及时率", "Complaints on time"),
    ("report.m_satisfaction", "满意率", "Satisfied"),
    ("report.m_normal", "一般维修及时率", "Normal work orders on time"),
    ("report.m_rework", "返修率", "Reopened"),
    ("report.m_income", "有偿服务收入", "Paid-service income"),
    (
        "report.m_same",
        "与总部看板同一算法（见 docs/KPI.md），按本管理处已有记录计算。",
        "Computed as head office's dashboard computes them (docs/KPI.md), from this site's records.",
    ),
    ("settings.households_unset", "未设置（投诉率需要户数）", "not set (the complaint rate needs it)"),
    ("settings.key", "项目", "Setting"),
    ("settings.value", "新值", "New value"),
    ("settings.save", "保存", "Save"),
    ("settings.only_supervisor", "只有客服主管和经理可以修改设置。", "Only a 客服主管 or 经理 may change settings."),
];

/// A word in `lang`; a key with no entry shows itself, which a test forbids.
pub fn get(lang: Lang, key: &str) -> &'static str {
    match WORDS.iter().find(|(k, _, _)| *k == key) {
        Some((_, zh, en)) => match lang {
            Lang::Zh => zh,
            Lang::En => en,
        },
        None => {
            tracing::warn!(key, "a page asked for a word the catalogue does not have");
            "?"
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every key a template or handler asks for, found by reading them.
    fn keys_used() -> std::collections::BTreeSet<String> {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut used = std::collections::BTreeSet::new();
        let mut files = Vec::new();
        for dir in ["templates", "src/web", "../web/templates"] {
            let mut stack = vec![root.join(dir)];
            while let Some(d) = stack.pop() {
                for entry in std::fs::read_dir(&d).unwrap() {
                    let path = entry.unwrap().path();
                    if path.is_dir() {
                        stack.push(path);
                    } else {
                        files.push(path);
                    }
                }
            }
        }
        for file in files {
            let text = std::fs::read_to_string(&file).unwrap();
            // A field drawn by a macro names its words' key second: `call f::input(page, errors, "name", "key", …`.
            if file.extension().is_some_and(|e| e == "html") {
                for (i, _) in text.match_indices("call f::") {
                    let line = text[i..].lines().next().unwrap();
                    used.insert(line.split('"').nth(3).expect("a macro call names its key second").to_string());
                }
            }
            for pattern in ["page.t(\"", "word(lang, \"", "word(signed.lang, \""] {
                for (i, _) in text.match_indices(pattern) {
                    let rest = &text[i + pattern.len()..];
                    let key = &rest[..rest.find('"').unwrap()];
                    used.insert(key.to_string());
                }
            }
        }
        used
    }

    #[test]
    fn every_word_a_page_asks_for_is_in_both_languages() {
        let used = keys_used();
        assert!(used.len() > 100, "the search found the keys: {}", used.len());
        for key in &used {
            assert!(WORDS.iter().any(|(k, _, _)| k == key), "no words for {key}");
        }
        for (key, zh, en) in WORDS {
            assert!(!zh.is_empty() && !en.is_empty(), "{key}");
        }
        // The keys built at run time: events, steps, their labels, weekdays.
        for prefix in ["event.", "step.", "label.", "wd."] {
            assert!(WORDS.iter().any(|(k, _, _)| k.starts_with(prefix)));
        }
        for kind in [
            "registered",
            "note",
            "assigned",
            "escalated",
            "decision",
            "resolved",
            "visited",
            "archived",
            "reported",
            "dispatched",
            "arrived",
            "completed",
            "closed",
        ] {
            assert_ne!(get(Lang::Zh, &format!("event.{kind}")), "?", "{kind}");
        }
        for step in [
            "note", "assign", "escalate", "decide", "resolve", "visit", "archive", "dispatch", "arrive", "complete",
            "close",
        ] {
            assert_ne!(get(Lang::En, &format!("step.{step}")), "?", "{step}");
        }
    }
}
