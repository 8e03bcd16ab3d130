//! How values are shown on every page: money as ¥1,234.50, a state as a
//! coloured tag whose colour means the same everywhere, values in a query.

/// Money as people read it: `¥1,234.50`.
pub fn money(fen: i64) -> String {
    let sign = if fen < 0 { "-" } else { "" };
    let fen = fen.unsigned_abs();
    let yuan = (fen / 100).to_string();
    let mut grouped = String::new();
    for (i, c) in yuan.chars().enumerate() {
        if i > 0 && (yuan.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(c);
    }
    format!("{sign}¥{grouped}.{:02}", fen % 100)
}

/// A share as `96.5%`, or `—` when there was nothing to divide by.
pub fn percent(rate: Option<f64>) -> String {
    rate.map_or_else(|| "—".to_string(), |r| format!("{r:.1}%"))
}

/// The colour class of a state: the same colour means the same everywhere.
pub fn tag(code: &str) -> &'static str {
    match code {
        "registered" | "reported" | "open" => "new",
        "in_progress" | "assigned" | "dispatched" | "on_site" | "decided" => "doing",
        "escalated" | "resolved" | "completed" => "wait",
        "reopened" | "overdue" => "bad",
        "visited" | "replied" | "done" => "done",
        _ => "closed",
    }
}

/// Percent-encodes a value for a query string.
pub fn url_encode(value: &str) -> String {
    serde_urlencoded::to_string([("v", value)]).map(|s| s[2..].to_string()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_reads_as_people_write_it() {
        assert_eq!(money(123_450), "¥1,234.50");
        assert_eq!(money(5), "¥0.05");
        assert_eq!(money(100_000_000), "¥1,000,000.00");
        assert_eq!(money(-1_999), "-¥19.99");
    }

    #[test]
    fn queries_are_encoded() {
        assert_eq!(url_encode("/complaints?x=1&y=王"), "%2Fcomplaints%3Fx%3D1%26y%3D%E7%8E%8B");
    }
}
