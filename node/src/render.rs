//! How records are shown to people in a terminal.

use std::fmt::Write;

use wuye_protocol::complaint::Complaint;
use wuye_protocol::repair::Repair;

/// A record's time zone by name; UTC for a name this build does not know.
fn tz_of(name: &str) -> chrono_tz::Tz {
    wuye_protocol::time::parse_timezone(name).unwrap_or(chrono_tz::UTC)
}

/// A long text cut to fit one line of a table: line breaks shown as ⏎.
fn cut(text: &str, max_chars: usize) -> String {
    let text = text.replace('\n', "⏎");
    if text.chars().count() <= max_chars {
        text
    } else {
        let mut s: String = text.chars().take(max_chars.saturating_sub(1)).collect();
        s.push('…');
        s
    }
}

/// One line per complaint: short id, received, status, customer, unit, summary.
pub fn complaint_table(complaints: &[Complaint]) -> String {
    if complaints.is_empty() {
        return "no complaints\n".to_string();
    }
    let mut out = String::new();
    for c in complaints {
        let id = c.id.to_string();
        let _ = writeln!(
            out,
            "{}  {}  {}{}{}  {}  {}  {}",
            &id[..8],
            c.received_at.minute(tz_of(&c.timezone)),
            c.status.label(),
            if c.major { " [重大]" } else { "" },
            if c.conflicting_decisions.is_empty() { "" } else { " [决定冲突]" },
            c.customer,
            c.unit,
            cut(&c.summary, 40)
        );
    }
    let _ = writeln!(out, "{} complaint(s)", complaints.len());
    out
}

/// The whole complaint, one field per line.
pub fn complaint_detail(c: &Complaint) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "投诉 complaint {}", c.id);
    let _ = writeln!(out, "  site        {}", c.site_id);
    let _ = writeln!(out, "  received    {} ({})", c.received_at, c.channel.label());
    let _ = writeln!(out, "  customer    {}  unit {}", c.customer, c.unit);
    let _ = writeln!(out, "  summary     {}", c.summary);
    if !c.departments.is_empty() {
        let _ = writeln!(out, "  departments {}", c.departments.join("、"));
    }
    let _ = writeln!(out, "  status      {}{}", c.status.label(), if c.major { "  (重大投诉 major)" } else { "" });
    for a in &c.assignments {
        let _ = writeln!(out, "  slip        {}  {} → {}", a.at, a.by, a.department);
    }
    for n in &c.notes {
        let _ = writeln!(out, "  note        {}  {}: {}", n.at, n.by, n.text);
    }
    if c.conflicting_decisions.is_empty() {
        if let Some(d) = &c.decision {
            let _ = writeln!(out, "  decision    {}  {}: {}", d.at, d.by, d.text);
        }
    } else {
        let _ = writeln!(
            out,
            "  decisions   决定冲突: {} decisions were made apart and all stand; a manager settles them with `complaint decide ID --text \"…\"` saying which stands",
            c.conflicting_decisions.len()
        );
        for d in &c.conflicting_decisions {
            let _ = writeln!(out, "  decision    {}  {}: {}", d.at, d.by, d.text);
        }
    }
    if let Some(r) = &c.result {
        let _ = writeln!(out, "  result      {}  {}: {}", r.at, r.by, r.text);
    }
    for v in &c.visits {
        let _ = writeln!(out, "  visit       {}  {}: {}/5 {}", v.at, v.by, v.satisfaction, v.comment);
    }
    out
}

/// Prints `value` as JSON, or as the text `render` makes of it.
fn print_as<T: serde::Serialize + ?Sized>(
    value: &T,
    json: bool,
    render: impl FnOnce(&T) -> String,
) -> Result<(), serde_json::Error> {
    if json {
        crate::process::print_json(value)
    } else {
        crate::process::say_text(&render(value));
        Ok(())
    }
}

/// Prints complaints as JSON or as a table.
pub fn print_complaints(complaints: &[Complaint], json: bool) -> Result<(), serde_json::Error> {
    print_as(complaints, json, complaint_table)
}

/// Prints one complaint as JSON or field by field.
pub fn print_complaint(complaint: &Complaint, json: bool) -> Result<(), serde_json::Error> {
    print_as(complaint, json, complaint_detail)
}

/// One line per work order: short id, reported, status, urgency, place, category, deadline.
pub fn repair_table(repairs: &[Repair]) -> String {
    if repairs.is_empty() {
        return "no work orders\n".to_string();
    }
    let mut out = String::new();
    for r in repairs {
        let place = r.unit.as_deref().or(r.area.as_deref()).unwrap_or_default();
        let _ = writeln!(
            out,
            "{}  {}  {}  {}  {}  {}  {}  due {}",
            &r.id.to_string()[..8],
            r.reported_at.minute(tz_of(&r.timezone)),
            r.status.label(),
            r.urgency.label(),
            place,
            r.category.label(),
            cut(&r.description, 30),
            r.response_deadline.minute(tz_of(&r.timezone)),
        );
    }
    let _ = writeln!(out, "{} work order(s)", repairs.len());
    out
}

/// Prints work orders as JSON or as a table.
pub fn print_repairs(repairs: &[Repair], json: bool) -> Result<(), serde_json::Error> {
    print_as(repairs, json, repair_table)
}

/// Prints one work order as JSON or with its history.
pub fn print_repair(r: &Repair, json: bool) -> Result<(), serde_json::Error> {
    if json {
        return crate::process::print_json(r);
    }
    let place = r.unit.as_deref().or(r.area.as_deref()).unwrap_or_default();
    crate::say!("维修工作单 work order {}", r.id);
    crate::say!(
        "  reported    {} ({}), {} {}",
        r.reported_at,
        r.channel.label(),
        r.urgency.label(),
        r.category.label()
    );
    crate::say!("  place       {place}{}", if r.paid { "  (有偿服务 paid)" } else { "" });
    crate::say!("  description {}", r.description);
    crate::say!("  deadline    on site by {}", r.response_deadline);
    crate::say!("  status      {}", r.status.label());
    for e in &r.events {
        let extra = e.satisfaction.map(|s| format!(" [{s}/5]")).unwrap_or_default();
        let charge = e.charge_fen.map(|f| format!(" {f}")).unwrap_or_default();
        crate::say!("  {}  {:<10} {}{extra}{charge}  {} {}", e.at, e.kind, e.by, e.text, e.materials);
    }
    Ok(())
}
