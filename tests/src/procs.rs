//! Starting the real binaries on loopback, for end-to-end tests and the demo.

use std::io::{BufRead, BufReader};
use std::net::UdpSocket;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// The folder holding `wuye-server` and `wuye-agent`: `WUYE_BIN_DIR`, or the
/// target folder this executable was built into.
pub fn bin_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("WUYE_BIN_DIR") {
        return PathBuf::from(dir);
    }
    let exe = std::env::current_exe().expect("own path");
    let mut dir = exe.parent().expect("exe has a folder").to_path_buf();
    if dir.ends_with("deps") {
        dir.pop();
    }
    dir
}

/// The path of one of the project's binaries, checked to exist.
pub fn bin(name: &str) -> PathBuf {
    let path = bin_dir().join(name);
    assert!(
        path.is_file(),
        "{} is missing: build the binaries first (cargo build --release --workspace --bins), or set WUYE_BIN_DIR",
        path.display()
    );
    path
}

/// A free UDP port on 127.0.0.1.
pub fn free_port() -> u16 {
    let socket = UdpSocket::bind("127.0.0.1:0").expect("bind a loopback port");
    socket.local_addr().expect("local address").port()
}

/// Runs a binary to completion with arguments.
pub fn run(name: &str, args: &[&str]) -> Output {
    run_with_input(name, args, None)
}

/// Runs a binary to completion, writing `input` (a password, say) to its standard input.
pub fn run_with_input(name: &str, args: &[&str], input: Option<&str>) -> Output {
    use std::io::Write;
    let mut child = Command::new(bin(name))
        .args(args)
        .env("WUYE_LOG", "warn")
        .stdin(if input.is_some() { Stdio::piped() } else { Stdio::null() })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {name}: {e}"));
    if let (Some(input), Some(mut stdin)) = (input, child.stdin.take()) {
        // The child may refuse before reading; a closed pipe is then expected.
        let _ = stdin.write_all(input.as_bytes());
    }
    child.wait_with_output().unwrap_or_else(|e| panic!("{name} did not finish: {e}"))
}

/// The first supervisor every test site is set up with, and their password.
pub const SUPERVISOR: (&str, &str, &str) = ("周站长", "zhou", "初始密码-2026");

/// Runs a binary that must succeed, returning its standard output.
pub fn ok(name: &str, args: &[&str]) -> String {
    checked(name, args, run(name, args))
}

/// Runs a binary with `input` on its standard input; it must succeed.
pub fn ok_with_input(name: &str, args: &[&str], input: &str) -> String {
    checked(name, args, run_with_input(name, args, Some(input)))
}

fn checked(name: &str, args: &[&str], out: Output) -> String {
    assert!(
        out.status.success(),
        "{name} {args:?} failed: {}\n{}",
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(&out.stdout)
    );
    String::from_utf8(out.stdout).expect("output is UTF-8")
}

/// Runs a binary that must succeed and print JSON.
pub fn json(name: &str, args: &[&str]) -> serde_json::Value {
    let out = ok(name, args);
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("{name} {args:?} printed no JSON ({e}): {out}"))
}

/// A child process that is stopped (SIGTERM, then SIGKILL) when dropped.
pub struct Proc {
    child: Child,
}

impl Proc {
    /// Starts a long-running binary with logs going to `log`.
    pub fn spawn(name: &str, args: &[&str], log: &Path) -> Proc {
        Self::spawn_logging(name, args, log, "info")
    }

    /// Starts a long-running binary logging at `level` (a `WUYE_LOG` filter) to `log`.
    pub fn spawn_logging(name: &str, args: &[&str], log: &Path, level: &str) -> Proc {
        Self::spawn_with_env(name, args, log, &[("WUYE_LOG", level)])
    }

    /// Starts a long-running binary with these environment variables, its logs going to `log`.
    pub fn spawn_with_env(name: &str, args: &[&str], log: &Path, env: &[(&str, &str)]) -> Proc {
        let log = std::fs::File::create(log).expect("log file");
        let child = Command::new(bin(name))
            .args(args)
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {name}: {e}"));
        Proc { child }
    }

    /// Waits for a line of standard output containing `needle`.
    pub fn wait_for_line(&mut self, needle: &str) -> String {
        let stdout = self.child.stdout.take().expect("stdout piped");
        let mut reader = BufReader::new(stdout);
        let mut line = String::new();
        loop {
            line.clear();
            let n = reader.read_line(&mut line).expect("read child output");
            assert!(n > 0, "process exited before printing '{needle}'");
            if line.contains(needle) {
                return line.trim().to_string();
            }
        }
    }

    /// The process id.
    pub fn id(&self) -> u32 {
        self.child.id()
    }

    /// Whether the process has already exited.
    pub fn has_exited(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(Some(_)))
    }

    /// Kills with SIGKILL, as a crash would.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Stops with SIGTERM and waits up to `grace` for a clean exit.
    pub fn stop(&mut self, grace: Duration) {
        if let Ok(Some(_)) = self.child.try_wait() {
            return;
        }
        let _ = Command::new("kill").arg("-TERM").arg(self.child.id().to_string()).status();
        let deadline = Instant::now() + grace;
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        self.kill();
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        self.stop(Duration::from_secs(3));
    }
}

/// A head office server folder with registered sites.
#[derive(Clone)]
pub struct Server {
    /// The data folder.
    pub data: PathBuf,
    /// The loopback address it listens on when running.
    pub addr: String,
    /// The pinned fingerprint.
    pub fingerprint: String,
}

/// A registered site's credential.
pub struct SiteCred {
    /// The site id.
    pub id: String,
    /// The one-time enrollment code.
    pub code: String,
}

impl Server {
    /// `wuye-server init` in `dir` on a free loopback port.
    pub fn init(dir: &Path) -> Server {
        let data = dir.join("hq");
        let addr = format!("127.0.0.1:{}", free_port());
        let fingerprint = ok("wuye-server", &["init", "--data", path(&data), "--listen", &addr]).trim().to_string();
        Server { data, addr, fingerprint }
    }

    /// A server folder `name` in `dir` whose records live in the PostgreSQL database at `url`.
    pub fn init_on(dir: &Path, name: &str, url: &str) -> Server {
        let data = dir.join(name);
        let addr = format!("127.0.0.1:{}", free_port());
        let fingerprint =
            ok("wuye-server", &["init", "--data", path(&data), "--listen", &addr, "--store", url]).trim().to_string();
        Server { data, addr, fingerprint }
    }

    /// `wuye-server site add`.
    pub fn add_site(&self, name: &str) -> SiteCred {
        let v = json("wuye-server", &["site", "add", "--data", path(&self.data), "--name", name, "--json"]);
        SiteCred {
            id: v["site_id"].as_str().expect("site_id").to_string(),
            code: v["code"].as_str().expect("code").to_string(),
        }
    }

    /// Starts `wuye-server run` and waits until it listens.
    pub fn start(&self) -> Proc {
        self.start_logging("info")
    }

    /// Starts `wuye-server run` (sync only) logging at `level` to [`Self::log`].
    pub fn start_logging(&self, level: &str) -> Proc {
        let args = ["run", "--data", path(&self.data), "--listen", &self.addr, "--no-dashboard"];
        let mut p = Proc::spawn_logging("wuye-server", &args, &self.log(), level);
        p.wait_for_line("listening on");
        p
    }

    /// Starts `wuye-server run` with its dashboard on a loopback `port` (HTTPS).
    pub fn start_with_dashboard(&self, port: u16) -> Proc {
        let dashboard = format!("127.0.0.1:{port}");
        let args = ["run", "--data", path(&self.data), "--listen", &self.addr, "--dashboard-listen", &dashboard];
        let mut p = Proc::spawn_logging("wuye-server", &args, &self.log(), "info");
        // Printed after "listening on", once sync is served.
        p.wait_for_line("dashboard on");
        crate::browser::wait_for_port(port);
        p
    }

    /// Adds a head-office person (`user add`); their password is `{login}-密码-2026`.
    pub fn add_user(&self, name: &str, login: &str, role: &str, sites: &[&str]) {
        let mut args =
            vec!["user", "add", "--data", path(&self.data), "--name", name, "--login", login, "--role", role];
        let sites = sites.join(",");
        if !sites.is_empty() {
            args.extend(["--sites", &sites]);
        }
        ok_with_input("wuye-server", &args, &format!("{login}-密码-2026\n"));
    }

    /// Where `run` logs.
    pub fn log(&self) -> PathBuf {
        self.data.with_extension("log")
    }

    /// Runs a `wuye-server` command on this folder and parses its JSON.
    pub fn json(&self, args: &[&str]) -> serde_json::Value {
        let mut all: Vec<&str> = args.to_vec();
        all.extend(["--data", path(&self.data), "--json"]);
        json("wuye-server", &all)
    }
}

/// A site agent's folder.
pub struct Agent {
    /// The data folder.
    pub data: PathBuf,
}

impl Agent {
    /// `wuye-agent init` for a site, talking to `server_addr`.
    pub fn init(dir: &Path, name: &str, server_addr: &str, fingerprint: &str, cred: &SiteCred) -> Agent {
        Self::init_in_zone(dir, name, server_addr, fingerprint, cred, wuye_protocol::time::DEFAULT_TIMEZONE)
    }

    /// `wuye-agent init` for a site in the time zone `timezone`.
    pub fn init_in_zone(
        dir: &Path,
        name: &str,
        server_addr: &str,
        fingerprint: &str,
        cred: &SiteCred,
        timezone: &str,
    ) -> Agent {
        let data = dir.join(name);
        ok_with_input(
            "wuye-agent",
            &[
                "init",
                "--data",
                path(&data),
                "--server",
                server_addr,
                "--fingerprint",
                fingerprint,
                "--site",
                &cred.id,
                "--code",
                &cred.code,
                "--supervisor",
                SUPERVISOR.0,
                "--login",
                SUPERVISOR.1,
                "--timezone",
                timezone,
            ],
            &format!("{}\n", SUPERVISOR.2),
        );
        Agent { data }
    }

    /// Reports a repair at a unit (`repair add --json`, normal urgency, by
    /// phone) with any further arguments; the command's output.
    pub fn add_repair(&self, unit: &str, extra: &[&str]) -> Output {
        let mut args = vec![
            "repair",
            "add",
            "--unit",
            unit,
            "--category",
            "水",
            "--description",
            "漏水",
            "--urgency",
            "normal",
            "--channel",
            "phone",
            "--json",
        ];
        args.extend(extra);
        self.run(&args)
    }

    /// Signs `login` in with `password`; the command's output.
    pub fn login(&self, login: &str, password: &str) -> Output {
        run_with_input("wuye-agent", &["login", login, "--data", path(&self.data)], Some(&format!("{password}\n")))
    }

    /// Takes a key into custody (`key add`, slot A1); the key as JSON.
    pub fn add_key(&self, tag: &str, kind: &str, opens: &str, from: &str) -> serde_json::Value {
        self.json(&["key", "add", "--tag", tag, "--kind", kind, "--slot", "A1", "--opens", opens, "--from", from])
    }

    /// Adds a staff member whose password is `browser::password(login)`.
    pub fn add_staff(&self, name: &str, role: &str, login: &str) {
        let add = ["staff", "add", "--name", name, "--role", role, "--login", login, "--data", path(&self.data)];
        ok_with_input("wuye-agent", &add, &format!("{}\n", crate::browser::password(login)));
    }

    /// Signs in as a staff member added by [`Agent::add_staff`].
    pub fn sign_in_as(&self, login: &str) {
        let out = self.login(login, &crate::browser::password(login));
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    }

    /// Runs a `wuye-agent` command that must succeed; its standard output.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Runs a `wuye-agent` command that must fail; its error output.
    pub fn refused(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(!out.status.success(), "{args:?} succeeded: {}", String::from_utf8_lossy(&out.stdout));
        String::from_utf8_lossy(&out.stderr).into_owned()
    }

    /// Runs a `wuye-agent` command on this folder.
    pub fn run(&self, args: &[&str]) -> Output {
        let mut all: Vec<&str> = args.to_vec();
        all.extend(["--data", path(&self.data)]);
        run("wuye-agent", &all)
    }

    /// Runs a `wuye-agent` command that must succeed and parses its JSON.
    pub fn json(&self, args: &[&str]) -> serde_json::Value {
        let mut all: Vec<&str> = args.to_vec();
        all.extend(["--data", path(&self.data), "--json"]);
        json("wuye-agent", &all)
    }

    /// Registers a complaint; returns its id.
    pub fn add_complaint(&self, customer: &str, unit: &str, summary: &str, major: bool) -> String {
        let mut args = vec![
            "complaint",
            "add",
            "--customer",
            customer,
            "--unit",
            unit,
            "--channel",
            "phone",
            "--summary",
            summary,
            "--department",
            "维修部",
        ];
        if major {
            args.push("--major");
        }
        let v = self.json(&args);
        v["id"].as_str().expect("id").to_string()
    }

    /// One sync round; panics with the agent's words if it fails.
    pub fn sync(&self) -> serde_json::Value {
        self.json(&["sync"])
    }
}

/// A path as a command-line argument.
pub fn path(p: &Path) -> &str {
    p.to_str().expect("test paths are UTF-8")
}
