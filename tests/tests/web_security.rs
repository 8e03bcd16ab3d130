//! The web desk's defences, over raw HTTP on loopback (no browser needed):
//! security headers, cookies, CSRF, body limits, 404s in the page's language,
//! sign-in waits per address, and HTTPS from the desk's own authority; and
//! what operators run head office with: its health and metrics endpoints,
//! JSON logs, the systemd units and systemd's notify protocol.

use std::io::{Read, Write};
use std::net::SocketAddr;
use std::path::Path;

use wuye_tests::browser::{free_tcp_port, wait_for_port, Site};
use wuye_tests::procs::{path, Proc, SUPERVISOR};

/// One answer: status, headers (lower-case names), body.
struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    fn cookies(&self) -> Vec<&str> {
        self.headers.iter().filter(|(k, _)| k == "set-cookie").map(|(_, v)| v.as_str()).collect()
    }

    /// `name=value` of a cookie set, for the next request.
    fn cookie(&self, name: &str) -> String {
        let set = self.cookies().into_iter().find(|c| c.starts_with(&format!("{name}="))).expect(name);
        set.split(';').next().unwrap().to_string()
    }
}

fn parse(raw: &[u8]) -> Answer {
    let text = String::from_utf8_lossy(raw).to_string();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let mut lines = head.lines();
    let status = lines.next().unwrap().split(' ').nth(1).unwrap().parse().unwrap();
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    Answer { status, headers, body: body.to_string() }
}

fn request(method: &str, path: &str, cookie: &str, body: &str) -> Vec<u8> {
    let mut req = format!("{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n");
    if !cookie.is_empty() {
        req += &format!("Cookie: {cookie}\r\n");
    }
    if method == "POST" {
        req += &format!("Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n", body.len());
    }
    req += "\r\n";
    let mut bytes = req.into_bytes();
    bytes.extend_from_slice(body.as_bytes());
    bytes
}

/// A request from the loopback address `from` (127.0.0.1, 127.0.0.2, …) to the desk at `to`.
fn http_from(from: &str, to: SocketAddr, method: &str, path: &str, cookie: &str, body: &str) -> Answer {
    // std cannot choose a connection's source address; a tokio socket can, and hands it back.
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let mut stream = rt.block_on(async {
        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        socket.bind(format!("{from}:0").parse().unwrap()).unwrap();
        socket.connect(to).await.unwrap().into_std().unwrap()
    });
    stream.set_nonblocking(false).unwrap();
    stream.write_all(&request(method, path, cookie, body)).unwrap();
    let mut raw = Vec::new();
    let _ = stream.read_to_end(&mut raw);
    parse(&raw)
}

fn http(to: SocketAddr, method: &str, path: &str, cookie: &str, body: &str) -> Answer {
    http_from("127.0.0.1", to, method, path, cookie, body)
}

fn csrf_in(page: &str) -> String {
    let at = page.find("name=\"_csrf\" value=\"").expect("a form with its token") + 20;
    page[at..at + 32].to_string()
}

#[test]
fn the_desk_refuses_forged_or_oversized_requests_and_sends_its_headers() {
    let dir = tempfile::tempdir().unwrap();
    let site = Site::start(dir.path(), true);
    let to: SocketAddr = site.base.trim_start_matches("http://").parse().unwrap();

    let home = http(to, "GET", "/", "", "");
    assert_eq!(home.status, 303);
    assert_eq!(home.header("location"), Some("/login?back=%2F"));
    let csp = home.header("content-security-policy").unwrap();
    assert!(csp.contains("default-src 'self'") && !csp.contains("unsafe-inline"), "{csp}");
    assert_eq!(home.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(home.header("x-frame-options"), Some("DENY"));

    let login = http(to, "GET", "/login", "", "");
    assert_eq!(login.status, 200);
    let pre = login.cookie("wuye_pre");
    assert!(login.cookies()[0].contains("HttpOnly") && login.cookies()[0].contains("SameSite=Strict"));
    let token = csrf_in(&login.body);
    let form = format!("login={}&password={}", SUPERVISOR.1, "%E5%88%9D%E5%A7%8B%E5%AF%86%E7%A0%81-2026");
    let forged = http(to, "POST", "/login", &pre, &form);
    assert_eq!(forged.status, 403, "no token, no sign-in: {}", forged.body);
    assert!(forged.body.contains("请求被拒绝"), "{}", forged.body);
    let signed = http(to, "POST", "/login", &pre, &format!("_csrf={token}&{form}"));
    assert_eq!(signed.status, 303, "{}", signed.body);
    let session = signed.cookie("wuye_session");
    let set = signed.cookies().into_iter().find(|c| c.starts_with("wuye_session=")).unwrap();
    assert!(set.contains("HttpOnly") && set.contains("SameSite=Strict"), "{set}");
    assert!(!set.contains("Secure"), "plain HTTP on loopback");

    let board = http(to, "GET", "/", &session, "");
    assert_eq!(board.status, 200);
    assert!(board.body.contains("今日"));
    let token = csrf_in(&board.body);
    let complaint = "customer=%E5%BC%A0%E4%BC%9F&unit=1&channel=phone&summary=x&category=%E5%85%B6%E4%BB%96";
    // Another page's token, or none: refused, nothing stored.
    let wrong = http(to, "POST", "/complaints", &session, &format!("_csrf={}&{complaint}", "0".repeat(32)));
    assert_eq!(wrong.status, 403);
    assert_eq!(site.agent.json(&["complaint", "list"]).as_array().unwrap().len(), 0);
    let big = format!("_csrf={token}&{complaint}&summary={}", "漏".repeat(30_000));
    assert_eq!(http(to, "POST", "/complaints", &session, &big).status, 413, "bodies over 64 KB are refused");
    let made = http(to, "POST", "/complaints", &session, &format!("_csrf={token}&{complaint}"));
    assert_eq!(made.status, 303, "{}", made.body);
    assert_eq!(site.agent.json(&["complaint", "list"]).as_array().unwrap().len(), 1);

    // A browser whose session ended signs in again from the sign-in page it is sent to.
    let ended = http(to, "POST", "/logout", &session, &format!("_csrf={token}"));
    assert_eq!(ended.status, 303);
    let again = http(to, "GET", "/login", &session, "");
    let (pre, token_again) = (again.cookie("wuye_pre"), csrf_in(&again.body));
    let back = http(to, "POST", "/login", &format!("{session}; {pre}"), &format!("_csrf={token_again}&{form}"));
    assert_eq!(back.status, 303, "{}", back.body);
    let session = back.cookie("wuye_session");

    // Every page of the menu opens, with all its words, in both languages.
    for page in [
        "/",
        "/calls/new",
        "/calls",
        "/complaints",
        "/complaints/new",
        "/repairs",
        "/repairs/new",
        "/repairs/mine",
        "/residents",
        "/staff",
        "/duty",
        "/handover",
        "/briefing",
        "/report",
        "/settings",
        "/print/register",
        "/print/visits",
    ] {
        for lang in ["zh", "en"] {
            let answer = http(to, "GET", page, &format!("{session}; wuye_lang={lang}"), "");
            assert_eq!(answer.status, 200, "{page} in {lang}: {}", answer.body);
            assert!(
                !answer.body.contains(">?<") && !answer.body.contains(" ?<"),
                "{page} in {lang} lacks a word:\n{}",
                answer.body
            );
        }
    }

    let missing = http(to, "GET", "/nowhere", &session, "");
    assert_eq!(missing.status, 404);
    assert!(missing.body.contains("页面不存在"));
    let english = http(to, "GET", "/nowhere", &format!("{session}; wuye_lang=en"), "");
    assert!(english.body.contains("Page not found"));
    let no_record = http(to, "GET", "/complaints/0000000000", &session, "");
    assert_eq!(no_record.status, 404);

    // Wrong passwords from one address make that address wait, not another.
    for _ in 0..3 {
        let page = http_from("127.0.0.3", to, "GET", "/login", "", "");
        let (pre, token) = (page.cookie("wuye_pre"), csrf_in(&page.body));
        let wrong =
            http_from("127.0.0.3", to, "POST", "/login", &pre, &format!("_csrf={token}&login=zhou&password=wrong-one"));
        assert_eq!(wrong.status, 401);
    }
    let page = http_from("127.0.0.3", to, "GET", "/login", "", "");
    let (pre3, token3) = (page.cookie("wuye_pre"), csrf_in(&page.body));
    let waiting = http_from("127.0.0.3", to, "POST", "/login", &pre3, &format!("_csrf={token3}&{form}"));
    assert!(waiting.body.contains("请等待"), "the guessing PC waits: {}", waiting.body);
    let page = http_from("127.0.0.4", to, "GET", "/login", "", "");
    let (pre4, token4) = (page.cookie("wuye_pre"), csrf_in(&page.body));
    let other = http_from("127.0.0.4", to, "POST", "/login", &pre4, &format!("_csrf={token4}&{form}"));
    assert_eq!(other.status, 303, "the supervisor at another desk signs in: {}", other.body);
}

/// One request over HTTPS to 127.0.0.1:`port`, trusting only the authority `ca` (PEM), for the name `name`.
fn https(port: u16, ca: &[u8], name: &str, method: &str, path: &str, cookie: &str, body: &str) -> Answer {
    use rustls::pki_types::pem::PemObject;
    let mut roots = rustls::RootCertStore::empty();
    roots.add(rustls::pki_types::CertificateDer::from_pem_slice(ca).unwrap()).unwrap();
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let server_name = rustls::pki_types::ServerName::try_from(name).unwrap().to_owned();
    let conn = rustls::ClientConnection::new(std::sync::Arc::new(config), server_name).unwrap();
    let tcp = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    let mut tls = rustls::StreamOwned::new(conn, tcp);
    tls.write_all(&request(method, path, cookie, body)).unwrap();
    let mut raw = Vec::new();
    let _ = tls.read_to_end(&mut raw);
    parse(&raw)
}

#[test]
fn the_dashboard_is_https_only_with_its_own_cookies_headers_and_csrf_and_roles_hold_over_raw_requests() {
    let dir = tempfile::tempdir().unwrap();
    let server = wuye_tests::procs::Server::init(dir.path());
    let site = server.add_site("朝阳花园");
    server.add_user("品质部钱工", "qian", "quality", &[]);
    let port = free_tcp_port();
    let _run = server.start_with_dashboard(port);
    let ca = std::fs::read(server.data.join("web-ca.pem")).expect("the dashboard's authority");

    let login = https(port, &ca, "localhost", "GET", "/login", "", "");
    assert_eq!(login.status, 200);
    assert!(login.header("content-security-policy").unwrap().contains("default-src 'self'"));
    assert_eq!(login.header("x-frame-options"), Some("DENY"));
    let pre = login.cookies().into_iter().find(|c| c.starts_with("wuye_hq_pre=")).expect("its own cookie names");
    for flag in ["HttpOnly", "SameSite=Strict", "Secure"] {
        assert!(pre.contains(flag), "{pre}");
    }
    let pre = login.cookie("wuye_hq_pre");
    let body = format!("login=qian&password={}", wuye_tests::browser::url_password("qian"));
    let forged = https(port, &ca, "localhost", "POST", "/login", &pre, &body);
    assert_eq!(forged.status, 403, "no CSRF token: refused");
    let token = csrf_in(&login.body);
    let signed = https(port, &ca, "localhost", "POST", "/login", &pre, &format!("{body}&_csrf={token}"));
    assert_eq!(signed.status, 303, "{}", signed.body);
    let session = signed.cookie("wuye_hq_session");
    let overview = https(port, &ca, "127.0.0.1", "GET", "/", &session, "");
    assert_eq!(overview.status, 200);
    assert!(overview.body.contains("朝阳花园"));
    // Revoking a site is for an administrator, with or without the token.
    let token = csrf_in(&overview.body);
    let revoke = https(
        port,
        &ca,
        "localhost",
        "POST",
        &format!("/sync/{}/revoke", site.id),
        &session,
        &format!("_csrf={token}"),
    );
    assert_eq!(revoke.status, 403, "{}", revoke.body);
    assert!(revoke.body.contains("管理员"), "the refusal says who may: {}", revoke.body);
    // Plain HTTP on the dashboard's port gets no page.
    let plain =
        std::panic::catch_unwind(|| http(format!("127.0.0.1:{port}").parse().unwrap(), "GET", "/login", "", ""));
    assert!(plain.map_or(true, |a| a.status != 200), "the dashboard never answers over plain HTTP");
}

#[test]
fn over_https_the_desk_presents_a_certificate_from_its_own_authority() {
    let dir = tempfile::tempdir().unwrap();
    let site = Site::start(dir.path(), true);
    let port = free_tcp_port();
    let listen = format!("127.0.0.1:{port}");
    let args = ["web", "--data", path(&site.agent.data), "--web-listen", &listen, "--tls"];
    let _web = Proc::spawn("wuye-agent", &args, &dir.path().join("web.log"));
    wait_for_port(port);
    let ca = std::fs::read(site.agent.data.join("web-ca.pem")).expect("the authority to install on desk PCs");
    use rustls::pki_types::pem::PemObject;
    let mut roots = rustls::RootCertStore::empty();
    roots.add(rustls::pki_types::CertificateDer::from_pem_slice(&ca).unwrap()).unwrap();
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    for name in ["localhost", "127.0.0.1"] {
        let server_name = rustls::pki_types::ServerName::try_from(name).unwrap().to_owned();
        let conn = rustls::ClientConnection::new(std::sync::Arc::new(config.clone()), server_name).unwrap();
        let tcp = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
        let mut tls = rustls::StreamOwned::new(conn, tcp);
        tls.write_all(&request("GET", "/login", "", "")).unwrap();
        let mut raw = Vec::new();
        let _ = tls.read_to_end(&mut raw);
        let answer = parse(&raw);
        assert_eq!(answer.status, 200, "{name}");
        assert!(answer.cookies()[0].contains("Secure"), "cookies are Secure over HTTPS");
    }
    // The authority stays the same across restarts: desk PCs install it once.
    let again = std::fs::read(site.agent.data.join("web-ca.pem")).unwrap();
    assert_eq!(ca, again);
}

/// Operators' endpoints on the dashboard's port, no sign-in: `/healthz`
/// answers, `/readyz` once the store answers, and `/metrics` counts a site's
/// round (records and bytes each way, its duration) and shows each site's
/// seconds since its last sync, its records waiting and the store's size;
/// with `WUYE_LOG_FORMAT=json` each round is logged as one JSON object with
/// its site, duration and counts.
#[test]
fn head_office_reports_health_and_prometheus_metrics_and_logs_each_round_as_json() {
    let dir = tempfile::tempdir().unwrap();
    let server = wuye_tests::procs::Server::init(dir.path());
    let cred = server.add_site("朝阳花园");
    let agent = wuye_tests::procs::Agent::init(dir.path(), "site", &server.addr, &server.fingerprint, &cred);
    let sheet = dir.path().join("houses.csv");
    std::fs::write(
        &sheet,
        "楼栋,单元,楼层,房号,类型,建筑面积\n3栋,2单元,5,501,住宅,89.50\n3栋,2单元,5,502,住宅,89.50\n",
    )
    .unwrap();
    agent.ok(&["unit", "import", sheet.to_str().unwrap()]);
    let port = free_tcp_port();
    let dashboard = format!("127.0.0.1:{port}");
    let args = ["run", "--data", path(&server.data), "--listen", &server.addr, "--dashboard-listen", &dashboard];
    let log = dir.path().join("hq.json.log");
    let mut run =
        Proc::spawn_with_env("wuye-server", &args, &log, &[("WUYE_LOG", "info"), ("WUYE_LOG_FORMAT", "json")]);
    run.wait_for_line("dashboard on");
    wait_for_port(port);
    agent.sync();
    let ca = std::fs::read(server.data.join("web-ca.pem")).unwrap();

    let health = https(port, &ca, "localhost", "GET", "/healthz", "", "");
    assert_eq!((health.status, health.body.trim()), (200, "ok"));
    let ready = https(port, &ca, "localhost", "GET", "/readyz", "", "");
    assert_eq!(ready.status, 200);
    assert!(ready.body.contains("1 site"), "{}", ready.body);
    let m = https(port, &ca, "localhost", "GET", "/metrics", "", "");
    assert_eq!(m.status, 200);
    assert!(m.header("content-type").unwrap().starts_with("text/plain"));
    let value = |name: &str| -> f64 {
        let line = m.body.lines().find(|l| l.starts_with(name)).unwrap_or_else(|| panic!("no {name}: {}", m.body));
        line.rsplit(' ').next().unwrap().parse().unwrap()
    };
    let site = format!("{{site=\"{}\"}}", cred.id);
    assert!(value(&format!("wuye_sync_rounds_total{site}")) >= 1.0);
    assert!(value(&format!("wuye_sync_records_received_total{site}")) >= 2.0, "the two houses went up");
    assert!(value(&format!("wuye_sync_bytes_received_total{site}")) > 0.0);
    assert!(value(&format!("wuye_site_seconds_since_sync{site}")) < 60.0);
    assert_eq!(value(&format!("wuye_site_records_waiting{site}")), 0.0);
    assert!(value("wuye_store_bytes") > 0.0);
    assert!(value("wuye_sync_round_seconds_count") >= 1.0, "the round's duration is in the histogram");
    // The agent's own report, carried by its round: version, disk, waiting, no error.
    let version = env!("CARGO_PKG_VERSION");
    assert_eq!(value(&format!("wuye_site_agent_info{{site=\"{}\",version=\"{version}\"}}", cred.id)), 1.0);
    assert!(value(&format!("wuye_site_disk_free_bytes{site}")) > 0.0);
    assert_eq!(value(&format!("wuye_site_records_waiting_up{site}")), 0.0, "the houses went up in the round");
    assert_eq!(value(&format!("wuye_site_agent_error{site}")), 0.0);
    drop(run);
    // Stopped right after a sync, head office leaves no write-ahead log behind.
    let wal = server.data.join(format!("{}-wal", wuye_server::DB_FILE));
    let left = std::fs::metadata(&wal).map_or(0, |m| m.len());
    assert_eq!(left, 0, "the closing checkpoint empties {}", wal.display());

    let text = std::fs::read_to_string(&log).unwrap();
    let round = text
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .find(|v| v["fields"]["message"] == "round complete")
        .unwrap_or_else(|| panic!("no JSON line for the round: {text}"));
    assert_eq!(round["fields"]["site"], cred.id.as_str(), "{round}");
    assert!(round["fields"]["records_in"].as_u64() >= Some(2), "{round}");
    assert!(round["fields"]["ms"].is_u64() && round["level"] == "INFO", "{round}");
}

/// The systemd units shipped in `deploy/` pass `systemd-analyze verify`
/// without a warning (pointed at this build's binaries, as an install puts
/// them in /usr/local/bin).
#[test]
fn the_systemd_units_in_deploy_verify_cleanly() {
    let Some(analyze) =
        ["/usr/bin/systemd-analyze", "/bin/systemd-analyze"].into_iter().find(|p| Path::new(p).exists())
    else {
        assert!(std::env::var("CI").is_err(), "CI needs systemd-analyze (scripts/setup.sh installs systemd)");
        eprintln!("skipped: systemd-analyze is not installed");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let deploy = Path::new(env!("CARGO_MANIFEST_DIR")).join("../deploy");
    let mut units = Vec::new();
    for name in ["wuye-server", "wuye-agent"] {
        let text = std::fs::read_to_string(deploy.join(format!("{name}.service"))).unwrap();
        assert!(text.contains("Type=notify") && text.contains("WatchdogSec=") && text.contains("User=wuye"), "{text}");
        let here = wuye_tests::procs::bin(name);
        let unit = dir.path().join(format!("{name}.service"));
        std::fs::write(&unit, text.replace(&format!("/usr/local/bin/{name}"), &here.display().to_string())).unwrap();
        units.push(unit);
    }
    let out = std::process::Command::new(analyze).arg("verify").arg("--man=no").args(&units).output().unwrap();
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success() && said.trim().is_empty(), "systemd-analyze verify: {said}");
    let sysusers = std::fs::read_to_string(deploy.join("wuye.sysusers.conf")).unwrap();
    assert!(sysusers.lines().any(|l| l.starts_with("u wuye ")), "{sysusers}");
}

/// Under systemd (`Type=notify`) head office says it is ready once it
/// serves, feeds the watchdog at half the interval systemd asks for, and
/// says it is stopping on SIGTERM: the protocol spoken to a socket the test
/// binds where systemd's would be.
#[test]
fn head_office_speaks_systemds_notify_protocol_with_its_watchdog() {
    let dir = tempfile::tempdir().unwrap();
    let server = wuye_tests::procs::Server::init(dir.path());
    let socket_path = dir.path().join("notify.sock");
    let socket = std::os::unix::net::UnixDatagram::bind(&socket_path).unwrap();
    socket.set_read_timeout(Some(std::time::Duration::from_secs(10))).unwrap();
    let args = ["run", "--data", path(&server.data), "--listen", &server.addr, "--no-dashboard"];
    let notify = socket_path.display().to_string();
    let env = [("WUYE_LOG", "warn"), ("NOTIFY_SOCKET", notify.as_str()), ("WATCHDOG_USEC", "400000")];
    let run = Proc::spawn_with_env("wuye-server", &args, &dir.path().join("hq.log"), &env);
    let mut buf = [0u8; 256];
    let mut next = || {
        let n = socket.recv(&mut buf).expect("a notification within 10 s");
        String::from_utf8_lossy(&buf[..n]).to_string()
    };
    assert_eq!(next().trim(), "READY=1");
    let started = std::time::Instant::now();
    for _ in 0..3 {
        assert_eq!(next().trim(), "WATCHDOG=1");
    }
    let took = started.elapsed();
    assert!(took < std::time::Duration::from_millis(1_500), "three pings at 200 ms took {took:?}");
    drop(run);
    let mut last = next();
    while last.trim() == "WATCHDOG=1" {
        last = next();
    }
    assert_eq!(last.trim(), "STOPPING=1");
}
