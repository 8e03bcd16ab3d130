//! Browser tests' helpers: Debian's headless Chromium driven through
//! chromedriver (WebDriver, with the fantoccini crate), and a site with head
//! office whose web desk the browser uses. Elements are found the way a
//! person finds them: by their label or their visible text.
//!
//! When Chromium or chromedriver is missing the tests fail under `CI=true`
//! and are skipped, saying so, elsewhere (`scripts/setup.sh` installs them).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use fantoccini::elements::Element;
use fantoccini::key::Key;
use fantoccini::{Client, ClientBuilder, Locator};

use crate::procs::{self, free_port, path, Agent, Proc, Server, SiteCred};

/// Where Debian puts them.
const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// Whether the browser can run here; panics under CI when it cannot.
pub fn available() -> bool {
    let present = Path::new(CHROMIUM).exists() && Path::new(CHROMEDRIVER).exists();
    if !present {
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("Chromium or chromedriver is missing: run scripts/setup.sh (as root) to install them");
        }
        eprintln!("skipped: Chromium or chromedriver is missing; run scripts/setup.sh to install them");
    }
    present
}

/// A chromedriver on a loopback port, stopped when dropped.
pub struct Driver {
    _proc: Proc,
    url: String,
}

impl Driver {
    /// Starts chromedriver and waits until it answers.
    pub fn start(dir: &Path) -> Driver {
        let port = free_tcp_port();
        let proc = Proc::spawn(CHROMEDRIVER, &[&format!("--port={port}")], &dir.join("chromedriver.log"));
        wait_for_port(port);
        Driver { _proc: proc, url: format!("http://127.0.0.1:{port}") }
    }

    /// A new browser with its own profile (cookies and all), at `width`×`height`.
    pub async fn browser(&self, base: &str, profile: &Path, width: u32, height: u32) -> Browser {
        std::fs::create_dir_all(profile).unwrap();
        let mut args = vec![
            "--headless=new".to_string(),
            "--no-sandbox".into(),
            "--disable-gpu".into(),
            "--disable-quic".into(),
            "--no-first-run".into(),
            "--disable-background-networking".into(),
            "--disable-component-update".into(),
            "--disable-sync".into(),
            "--disable-dev-shm-usage".into(),
            "--lang=zh-CN".into(),
            format!("--window-size={width},{height}"),
            format!("--user-data-dir={}", profile.display()),
        ];
        if base.starts_with("https://") {
            // Head office's dashboard on loopback, with a certificate from its own authority.
            args.push("--ignore-certificate-errors".into());
        }
        let mut options = serde_json::json!({ "binary": CHROMIUM, "args": args });
        if width < 500 {
            // A desktop window is never this narrow: a phone's screen, emulated.
            options["mobileEmulation"] = serde_json::json!({ "deviceMetrics": { "width": width, "height": height, "pixelRatio": 2.0, "touch": true } });
        }
        let mut caps = serde_json::Map::new();
        caps.insert("goog:chromeOptions".into(), options);
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        let client =
            ClientBuilder::new(connector).capabilities(caps).connect(&self.url).await.expect("a Chromium session");
        Browser { client, base: base.to_string() }
    }
}

/// A free TCP port on 127.0.0.1 (the QUIC helper's are UDP).
pub fn free_tcp_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
    listener.local_addr().expect("local address").port()
}

impl Driver {
    /// A desktop browser (1366×768, an office PC's screen) with a profile of
    /// its own in `dir`, signed in as `login` and on the day's board.
    pub async fn signed_in(&self, site: &Site, dir: &Path, login: &str, password: &str) -> Browser {
        let profile = dir.join(format!("profile-{login}-{}", free_tcp_port()));
        let b = self.browser(&site.base, &profile, 1366, 768).await;
        b.sign_in(login, password).await;
        b.wait_for_text("今日", Duration::from_secs(20)).await;
        b
    }
}

/// Waits until something listens on a loopback port.
pub fn wait_for_port(port: u16) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "nothing listens on port {port} after 20 s");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// One browser on the web desk.
pub struct Browser {
    /// The WebDriver session.
    pub client: Client,
    base: String,
}

fn xpath_text(text: &str) -> String {
    // A literal for XPath 1.0: concat() when it holds both quote kinds.
    if !text.contains('\'') {
        format!("'{text}'")
    } else {
        format!("concat('{}')", text.split('\'').collect::<Vec<_>>().join("', \"'\", '"))
    }
}

impl Browser {
    /// Opens a page of the desk.
    pub async fn goto(&self, path: &str) {
        self.client.goto(&format!("{}{path}", self.base)).await.unwrap();
    }

    /// The page's visible text.
    pub async fn text(&self) -> String {
        // Between two pages there may be no body yet: an empty text, asked again by the waits.
        match self.client.find(Locator::Css("body")).await {
            Ok(body) => body.text().await.unwrap_or_default(),
            Err(_) => String::new(),
        }
    }

    /// The current address's path.
    pub async fn path(&self) -> String {
        let url = self.client.current_url().await.unwrap();
        format!("{}{}", url.path(), url.query().map(|q| format!("?{q}")).unwrap_or_default())
    }

    /// Waits until the page's text holds `needle` (htmx refreshes, redirects).
    pub async fn wait_for_text(&self, needle: &str, within: Duration) -> String {
        let deadline = Instant::now() + within;
        loop {
            let text = self.text().await;
            if text.contains(needle) {
                return text;
            }
            assert!(Instant::now() < deadline, "'{needle}' did not appear within {within:?}; the page says:\n{text}");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// The form control a visible label names.
    pub async fn field(&self, label: &str) -> Element {
        // A page may still be loading after a click: look again for a while.
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(found) = self.find_field(label).await {
                return found;
            }
            if Instant::now() > deadline {
                panic!("no visible field labelled '{label}' on {}", self.path().await);
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    async fn find_field(&self, label: &str) -> Option<Element> {
        let xpath = format!("//label[normalize-space(.)={}]", xpath_text(label));
        let found = self.client.find_all(Locator::XPath(&xpath)).await.ok()?;
        for label_el in found {
            if !label_el.is_displayed().await.unwrap_or(false) {
                continue;
            }
            if let Some(id) = label_el.attr("for").await.ok().flatten() {
                return self.client.find(Locator::Id(&id)).await.ok();
            }
            if let Ok(inner) = label_el.find(Locator::Css("input, select, textarea")).await {
                return Some(inner);
            }
        }
        None
    }

    pub async fn fill(&self, label: &str, value: &str) {
        let field = self.field(label).await;
        field.clear().await.unwrap();
        field.send_keys(value).await.unwrap();
    }

    /// Chooses the option with this visible text in the list a label names.
    pub async fn choose(&self, label: &str, option: &str) {
        let field = self.field(label).await;
        field.select_by_label(option).await.unwrap();
    }

    /// Clicks the visible button, link or step whose text is `text`.
    pub async fn click(&self, text: &str) {
        let t = xpath_text(text);
        // A page may still be loading after a click: look again for a while.
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            // A button before a link, a link before a step's heading: what a person would press.
            for tag in ["button", "a", "summary", "label"] {
                let xpath = format!("//{tag}[normalize-space(.)={t}]");
                for el in self.client.find_all(Locator::XPath(&xpath)).await.unwrap_or_default() {
                    if el.is_displayed().await.unwrap_or(false) {
                        el.click().await.unwrap();
                        return;
                    }
                }
            }
            if Instant::now() > deadline {
                panic!("nothing visible to click called '{text}' on {}", self.path().await);
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// Signs in at the sign-in page.
    pub async fn sign_in(&self, login: &str, password: &str) {
        self.goto("/login").await;
        self.fill("登录名", login).await;
        self.fill("密码", password).await;
        self.click("登录").await;
        // Until the answer arrived: another page, or the refusal.
        let deadline = Instant::now() + Duration::from_secs(20);
        while self.path().await.starts_with("/login") && !self.text().await.contains("登录被拒绝") {
            assert!(Instant::now() < deadline, "no answer to signing in within 20 s");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Presses keys in whatever has the focus.
    pub async fn keys(&self, keys: &str) {
        let active = self.client.active_element().await.unwrap();
        active.send_keys(keys).await.unwrap();
    }

    /// Saves a screenshot of the page as `docs/screenshots/NAME.png`.
    pub async fn screenshot(&self, name: &str) {
        let png = self.client.screenshot().await.unwrap();
        let dir = screenshots_dir();
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(format!("{name}.png")), png).unwrap();
    }

    /// Prints the page to PDF as the browser's print dialog would, on A4.
    pub async fn print_pdf(&self) -> Vec<u8> {
        let config = fantoccini::wd::PrintConfiguration::builder().size(fantoccini::wd::PrintSize::A4).build().unwrap();
        self.client.print(config).await.unwrap()
    }

    /// Ends the session.
    pub async fn close(self) {
        let _ = self.client.close().await;
    }
}

/// A key's character, to send with [`Browser::keys`].
pub fn key(k: Key) -> char {
    char::from(k)
}

/// `docs/screenshots/` of the repository.
pub fn screenshots_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/screenshots")
}

/// A PDF's text with every space and line break taken out (table cells break
/// lines anywhere), and its page count, read with poppler's pdftotext and pdfinfo.
pub fn pdf_text_and_pages(pdf: &[u8], dir: &Path) -> (String, usize) {
    let file = dir.join(format!("print-{}.pdf", free_port()));
    std::fs::write(&file, pdf).unwrap();
    let text =
        std::process::Command::new("pdftotext").args([path(&file), "-"]).output().expect("pdftotext (poppler-utils)");
    let info = std::process::Command::new("pdfinfo").arg(path(&file)).output().expect("pdfinfo (poppler-utils)");
    let info = String::from_utf8_lossy(&info.stdout).to_string();
    let pages = info
        .lines()
        .find_map(|l| l.strip_prefix("Pages:"))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("pdfinfo gave no page count: {info}"));
    (String::from_utf8_lossy(&text.stdout).chars().filter(|c| !c.is_whitespace()).collect(), pages)
}

/// Head office and one site whose agent runs with its web desk on a loopback port.
pub struct Site {
    /// Head office's folder.
    pub server: Server,
    /// Head office while it runs.
    pub server_proc: Option<Proc>,
    /// The site's folder.
    pub agent: Agent,
    /// The site.
    pub cred_id: String,
    /// `wuye-agent run`.
    pub agent_proc: Proc,
    /// `http://127.0.0.1:PORT`.
    pub base: String,
}

impl Site {
    /// Head office (running unless `head_office_down`) and a site that syncs every second.
    pub fn start(dir: &Path, head_office_down: bool) -> Site {
        let server = Server::init(dir);
        let cred: SiteCred = server.add_site("朝阳花园");
        let server_proc = (!head_office_down).then(|| server.start());
        let agent = Agent::init(dir, "site", &server.addr, &server.fingerprint, &cred);
        let port = free_tcp_port();
        let listen = format!("127.0.0.1:{port}");
        let args = ["run", "--data", path(&agent.data), "--interval-secs", "1", "--web-listen", &listen];
        let agent_proc = Proc::spawn("wuye-agent", &args, &dir.join("agent.log"));
        wait_for_port(port);
        Site { server, server_proc, agent, cred_id: cred.id, agent_proc, base: format!("http://{listen}") }
    }

    /// Adds a staff member with a sign-in name; their password is `{login}-密码-2026`.
    pub fn add_staff(&self, name: &str, role: &str, login: &str) {
        let args = ["staff", "add", "--name", name, "--role", role, "--login", login, "--data", path(&self.agent.data)];
        procs::ok_with_input("wuye-agent", &args, &format!("{}\n", password(login)));
    }
}

/// What a browser test starts with: a folder, head office and a site with
/// its web desk, and chromedriver.
pub struct Stage {
    /// The test's folder (its profiles, logs and printed PDFs).
    pub dir: tempfile::TempDir,
    /// Head office and the site.
    pub site: Site,
    /// The browser's driver.
    pub driver: Driver,
}

/// The stage for a browser test, head office down or up; `None` (the test
/// skipped, saying so) when the browser is missing outside CI.
pub fn stage(head_office_down: bool) -> Option<Stage> {
    if !available() {
        return None;
    }
    let dir = tempfile::tempdir().unwrap();
    let site = Site::start(dir.path(), head_office_down);
    let driver = Driver::start(dir.path());
    Some(Stage { dir, site, driver })
}

/// The password tests give a sign-in name, encoded for a form body.
pub fn url_password(login: &str) -> String {
    wuye_web::show::url_encode(&password(login))
}

/// The password tests give a sign-in name.
pub fn password(login: &str) -> String {
    format!("{login}-密码-2026")
}
