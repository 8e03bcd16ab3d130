//! Process plumbing both binaries share: logging set-up and the stop signal.

use wuye_protocol::text::printable;

/// What every binary does first: output piped into `head` ends quietly, as
/// with other command-line tools, and logging starts (see [`init_tracing`]).
pub fn start(default_filter: &str) {
    sigpipe::reset();
    init_tracing(default_filter);
}

/// Parses the command line. A mistake in it is told in one line that names
/// what was wrong and where help is, with exit code 2; `--help` and
/// `--version` print as usual.
pub fn parse_args<T: clap::Parser>(bin: &str) -> Result<T, std::process::ExitCode> {
    use clap::error::ErrorKind;
    T::try_parse().map_err(|e| match e.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
            let _ = e.print();
            std::process::ExitCode::SUCCESS
        }
        _ => {
            let rendered = e.render().to_string();
            let first = rendered.split("\n\n").next().unwrap_or_default();
            let line = first.lines().map(str::trim).filter(|l| !l.is_empty()).collect::<Vec<_>>().join(" ");
            let line = line.strip_prefix("error: ").unwrap_or(&line);
            eprintln!("error: {line}; see `{bin} --help` (or `--help` after the command)");
            std::process::ExitCode::from(2)
        }
    })
}

/// What every binary does last: reports peak memory if asked, prints the
/// error if there is one, and gives the exit code.
pub fn finish<E: std::fmt::Display>(result: Result<(), E>) -> std::process::ExitCode {
    report_peak_rss_if_asked();
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            // Every error message here already carries its cause; `{:#}` would repeat it.
            eprintln!("error: {}", printable(&e.to_string(), true));
            std::process::ExitCode::FAILURE
        }
    }
}

/// Sends tracing output to standard error, filtered by `WUYE_LOG` or
/// `default_filter`: lines for people, or one JSON object a line with
/// `WUYE_LOG_FORMAT=json` (for a log collector).
pub fn init_tracing(default_filter: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("WUYE_LOG").unwrap_or_else(|_| default_filter.into());
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    if std::env::var("WUYE_LOG_FORMAT").is_ok_and(|f| f.eq_ignore_ascii_case("json")) {
        builder.json().with_current_span(false).init();
    } else {
        builder.init();
    }
}

/// Tells systemd, when it started the process as a `Type=notify` service,
/// that the service is ready, and feeds its watchdog from the runtime at
/// half the interval it asks for (a stuck runtime stops the pings and
/// systemd restarts the service). Outside systemd nothing happens.
/// Call it inside the Tokio runtime.
pub fn service_ready() {
    let _ = sd_notify::notify(&[sd_notify::NotifyState::Ready]);
    if let Some(limit) = sd_notify::watchdog_enabled() {
        tokio::spawn(async move {
            let mut tick = tokio::time::interval((limit / 2).max(std::time::Duration::from_millis(100)));
            loop {
                tick.tick().await;
                let _ = sd_notify::notify(&[sd_notify::NotifyState::Watchdog]);
            }
        });
    }
}

/// Tells systemd the service is stopping (outside systemd, nothing).
pub fn service_stopping() {
    let _ = sd_notify::notify(&[sd_notify::NotifyState::Stopping]);
}

/// Resolves on SIGINT (Ctrl-C) or, on Unix, SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(s) => s,
            Err(_) => {
                let _ = ctrl_c.await;
                return;
            }
        };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}

/// Prints a line of text meant for a person on standard output, with any
/// character a terminal would act on written out (see [`printable`]): the
/// second line of defence behind the field checks, for everything a binary
/// prints that is not JSON.
#[macro_export]
macro_rules! say {
    () => { println!() };
    ($($arg:tt)*) => { $crate::process::say_line(&format!($($arg)*)) };
}

/// Prints `line` as [`say!`] does.
pub fn say_line(line: &str) {
    println!("{}", printable(line, true));
}

/// Prints text already made of whole lines (no trailing newline added), as [`say!`] does.
pub fn say_text(text: &str) {
    print!("{}", printable(text, true));
}

/// Prints a value as pretty JSON on standard output.
pub fn print_json<T: serde::Serialize + ?Sized>(value: &T) -> Result<(), serde_json::Error> {
    println!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}

/// Prints records: as one JSON array, or one JSON line each and their count.
pub fn print_rows<T: serde::Serialize>(rows: &[T], json: bool) -> Result<(), serde_json::Error> {
    if json {
        print_json(rows)?;
    } else {
        for row in rows {
            crate::say!("{}", serde_json::to_string(row)?);
        }
        crate::say!("{} record(s)", rows.len());
    }
    Ok(())
}

/// This process's peak resident memory in MiB, where the system reports it (Linux).
pub fn peak_rss_mb() -> Option<f64> {
    rss_field_mb(std::process::id(), "VmHWM:")
}

/// A process's peak resident memory in MiB, where the system reports it (Linux).
pub fn peak_rss_mb_of(pid: u32) -> Option<f64> {
    rss_field_mb(pid, "VmHWM:")
}

fn rss_field_mb(pid: u32, field: &str) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    let kb: f64 = line.trim_start_matches(field).trim().trim_end_matches("kB").trim().parse().ok()?;
    Some(kb / 1024.0)
}

/// Environment variable that makes a binary print its peak memory on exit (for benchmarks).
pub const REPORT_RSS_ENV: &str = "WUYE_REPORT_RSS";

/// Prints `peak_rss_mb=N` on standard error when [`REPORT_RSS_ENV`] is set.
pub fn report_peak_rss_if_asked() {
    if std::env::var_os(REPORT_RSS_ENV).is_some() {
        if let Some(mb) = peak_rss_mb() {
            eprintln!("peak_rss_mb={mb:.1}");
        }
    }
}

/// A password typed at the terminal (twice when `confirm`), or one line of standard input.
pub fn read_password(prompt: &str, confirm: bool) -> std::io::Result<String> {
    use std::io::IsTerminal;
    if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password(prompt)?;
        if confirm && rpassword::prompt_password("again: ")? != first {
            return Err(std::io::Error::other("the two passwords differ; nothing was changed, try again"));
        }
        return Ok(first);
    }
    let mut line = String::new();
    std::io::stdin().read_line(&mut line)?;
    let password = line.trim_end_matches(['\n', '\r']).to_string();
    if password.is_empty() {
        return Err(std::io::Error::other("no password given: type it when asked, or pipe it on standard input"));
    }
    Ok(password)
}
