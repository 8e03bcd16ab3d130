//! The list of record kinds: the only place that names them all.
//!
//! Each line gives a kind's variant, the name stored in documents and the
//! database, the module and view type that hold it (named, not imported: the
//! list itself depends on no kind, and only `record` expands it into types), the paper form's title, what English calls one and the
//! word the command lines take for it (which implements [`crate::kind::Kind`]).
//! Everything that dispatches on a kind is generated from this list: the
//! [`crate::doc::RecordKind`] enum, the [`crate::record::View`] enum and the
//! reading of any document by its header. A new kind is one line here and
//! its own folder beside the others.

/// Calls `$callback!` with the list of kinds.
macro_rules! for_each_kind {
    ($callback:ident) => {
        $callback! {
            Complaint = "complaint" in complaint::Complaint, "客户投诉", "complaint", "complaint";
            Staff = "staff" in staff::Staff, "员工", "staff member", "staff";
            Repair = "repair" in repair::Repair, "维修工作单", "repair work order", "repair";
            LogEntry = "log_entry" in log_entry::LogEntry, "工作日志", "work-log entry", "log";
            Commitment = "commitment" in commitment::Commitment, "约定回复", "commitment", "commitment";
            DutyShift = "duty_shift" in duty_shift::DutyShift, "值班表", "duty assignment", "duty";
            DailyReport = "daily_report" in daily_report::DailyReport, "每日上报", "daily report", "report";
            Resident = "resident" in resident::Resident, "住户家庭情况登记表", "resident", "resident";
            SiteProfile = "site_profile" in site_profile::SiteProfile, "管理处概况", "site profile", "profile";
            House = "house" in house::House, "房屋", "house", "unit";
            Key = "key" in key::Key, "钥匙", "key", "key";
            ReleaseSlip = "release_slip" in release::ReleaseSlip, "物品放行条", "item-release slip", "release";
            MoveIn = "move_in" in movein::MoveIn, "收楼流转单", "move-in slip", "movein";
            ShiftHandover = "shift_handover" in handover::ShiftHandover, "交接班记录", "shift handover", "handover";
            FeeItem = "fee_item" in fee_item::FeeItem, "收费项目", "fee item", "fee-item";
            MeterReading = "meter_reading" in meter::MeterReading, "抄表记录", "meter reading", "meter";
            Bill = "bill" in bill::Bill, "账单", "bill", "bill";
            Payment = "payment" in payment::Payment, "收据", "payment", "payment";
            Chase = "chase" in chase::Chase, "催缴记录", "arrears reminder", "chase";
            DayClose = "day_close" in day_close::DayClose, "日结单", "day close", "day-close";
            Renovation = "renovation" in renovation::Renovation, "装修申请表", "renovation", "renovation";
            CompanySettings = "company_settings" in company_settings::CompanySettings, "公司统一设置", "company settings", "company-settings";
        }
    };
}

pub(crate) use for_each_kind;
