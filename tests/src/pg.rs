//! A real PostgreSQL for tests: Debian's `postgresql` server (installed by
//! `scripts/setup.sh`), a fresh cluster made by `initdb` in a temporary
//! folder, listening on a free loopback port only, stopped and deleted when
//! dropped. PostgreSQL refuses to run as root, so as root (CI) the cluster is
//! made and run as `nobody`. Each test takes a database of its own
//! ([`Postgres::database`]). Without PostgreSQL the tests that need it fail
//! when `CI` is set, and are skipped (with a line saying so) otherwise.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};

/// A running cluster.
pub struct Postgres {
    dir: tempfile::TempDir,
    bin: PathBuf,
    /// The port it listens on at 127.0.0.1.
    pub port: u16,
    as_nobody: bool,
}

/// The folder holding `initdb` and `pg_ctl`, if PostgreSQL is installed.
pub fn bin_dir() -> Option<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .flatten()
        .map(|e| e.path().join("bin"))
        .filter(|b| b.join("initdb").is_file() && b.join("pg_ctl").is_file())
        .collect();
    found.sort();
    found.pop()
}

fn running_as_root() -> bool {
    Command::new("id").arg("-u").output().is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

impl Postgres {
    /// Starts a cluster, or `None` (outside CI) when PostgreSQL is not installed.
    pub fn start() -> Option<Postgres> {
        Self::start_with(false, None)
    }

    /// Starts a cluster that flushes its commits to disk as a production one
    /// does (`fsync` on), for benchmarks; tests run without it.
    pub fn start_durable() -> Option<Postgres> {
        Self::start_with(true, None)
    }

    /// Starts a cluster offering TLS with this certificate and key (PEM).
    pub fn start_tls(cert_pem: &str, key_pem: &str) -> Option<Postgres> {
        Self::start_with(false, Some((cert_pem, key_pem)))
    }

    fn start_with(durable: bool, tls: Option<(&str, &str)>) -> Option<Postgres> {
        let Some(bin) = bin_dir() else {
            assert!(
                std::env::var("CI").is_err(),
                "PostgreSQL is not installed: scripts/setup.sh installs Debian's postgresql"
            );
            eprintln!("skipped: PostgreSQL is not installed (scripts/setup.sh installs it)");
            return None;
        };
        let dir = tempfile::tempdir().expect("a temporary folder");
        let as_nobody = running_as_root();
        if as_nobody {
            // nobody must own the cluster's folder.
            let ok = Command::new("chown").args(["nobody:nogroup"]).arg(dir.path()).status();
            assert!(ok.is_ok_and(|s| s.success()), "cannot hand the cluster's folder to nobody");
        }
        let pg = Postgres { dir, bin, port: crate::procs::free_port(), as_nobody };
        let data = pg.data();
        let init = pg.run("initdb", &["-D", &data, "-U", "wuye", "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8"]);
        assert!(init.status.success(), "initdb failed: {}", String::from_utf8_lossy(&init.stderr));
        let mut options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync={} -c max_connections=200",
            pg.port,
            pg.dir.path().display(),
            if durable { "on" } else { "off" }
        );
        if let Some((cert, key)) = tls {
            let (cert_file, key_file) = (pg.dir.path().join("server.crt"), pg.dir.path().join("server.key"));
            std::fs::write(&cert_file, cert).expect("the certificate is written");
            std::fs::write(&key_file, key).expect("the key is written");
            // PostgreSQL refuses a key others may read; its owner must be the cluster's.
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&key_file, std::fs::Permissions::from_mode(0o600)).expect("the key's mode");
            if pg.as_nobody {
                let ok = Command::new("chown").args(["nobody:nogroup"]).arg(&cert_file).arg(&key_file).status();
                assert!(ok.is_ok_and(|s| s.success()), "cannot hand the key to nobody");
            }
            options.push_str(&format!(
                " -c ssl=on -c ssl_cert_file={} -c ssl_key_file={}",
                cert_file.display(),
                key_file.display()
            ));
        }
        let log = pg.dir.path().join("postgres.log").display().to_string();
        let start = pg.run("pg_ctl", &["-D", &data, "-o", &options, "-l", &log, "-w", "-t", "60", "start"]);
        assert!(
            start.status.success(),
            "PostgreSQL did not start: {}{}",
            String::from_utf8_lossy(&start.stderr),
            std::fs::read_to_string(&log).unwrap_or_default()
        );
        Some(pg)
    }

    fn data(&self) -> String {
        self.dir.path().join("data").display().to_string()
    }

    fn run(&self, program: &str, args: &[&str]) -> std::process::Output {
        let exe = self.bin.join(program);
        let mut cmd = if self.as_nobody {
            let mut c = Command::new("runuser");
            c.args(["-u", "nobody", "--"]).arg(&exe);
            c
        } else {
            Command::new(&exe)
        };
        cmd.args(args).current_dir(self.dir.path()).output().unwrap_or_else(|e| panic!("cannot run {program}: {e}"))
    }

    /// The connection URL of the database `name` (which may not exist yet).
    pub fn url(&self, name: &str) -> String {
        format!("postgres://wuye@127.0.0.1:{}/{name}", self.port)
    }

    /// A new, empty database of its own for one test; its URL.
    pub fn database(&self) -> String {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let name = format!("t{}_{}", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed));
        let psql = self.bin.join("psql");
        let out = Command::new(psql)
            .args(["-h", "127.0.0.1", "-p", &self.port.to_string(), "-U", "wuye", "-d", "postgres", "-c"])
            .arg(format!("CREATE DATABASE {name}"))
            .output()
            .expect("psql runs");
        assert!(out.status.success(), "CREATE DATABASE failed: {}", String::from_utf8_lossy(&out.stderr));
        self.url(&name)
    }

    /// The cluster's folder.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        let data = self.data();
        let _ = self.run("pg_ctl", &["-D", &data, "-m", "immediate", "-w", "stop"]);
    }
}
