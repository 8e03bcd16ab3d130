//! `init`, `login`, `logout`, `enroll`, `backup`, `restore` and `rebuild`:
//! the site's folder, who is signed in, its copies and its lists.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use clap::Args;
use wuye_agent::config::AgentConfig;
use wuye_app::desk::Desk;
use wuye_protocol::time::{SystemClock, DEFAULT_TIMEZONE};

use super::*;

/// How long a failed sign-in takes to answer, whatever the reason.
pub(crate) const FAILED_SIGN_IN_PAUSE_MS: u64 = 1_000;

/// The arguments of `init`.
#[derive(Args)]
pub(crate) struct InitArgs {
    /// Head office's address, HOST:PORT.
    #[arg(long)]
    pub server: String,
    /// Head office's certificate fingerprint (`wuye-server fingerprint`).
    #[arg(long)]
    pub fingerprint: String,
    /// This site's id (`wuye-server site add`).
    #[arg(long)]
    pub site: String,
    /// The one-time enrollment code `wuye-server site add` printed; the
    /// first sync trades it for this site's credential.
    #[arg(long)]
    pub code: String,
    /// The site's time zone (IANA name).
    #[arg(long, default_value = DEFAULT_TIMEZONE)]
    pub timezone: String,
    /// The first customer-service supervisor's (客服主管) name.
    #[arg(long, allow_hyphen_values = true)]
    pub supervisor: String,
    /// Their sign-in name; the password is asked for (or read from standard input).
    #[arg(long)]
    pub login: String,
}

/// Runs `wuye-agent init …`.
pub(crate) fn init(data: &Path, args: InitArgs) -> anyhow::Result<()> {
    let InitArgs { server, fingerprint, site, code, timezone, supervisor, login } = args;
    let config = AgentConfig::new(&server, &fingerprint, &site, &code, &timezone)?;
    let login = wuye_app::signin::check_login(&login)?;
    let password = read_password(&format!("password for {login}: "), true)?;
    wuye_app::signin::check_password(&password)?;
    wuye_protocol::staff::check_name(&supervisor)?;
    let store = config.init(data)?;
    let mut desk = Desk::with_os_rng(store, config.site(), Arc::new(SystemClock));
    let member = desk.first_supervisor(&supervisor, &login, &password)?;
    wuye_node::say!(
        "agent folder {} ready for site {}; {} ({}) is signed in",
        data.display(),
        desk.site.id,
        member.name,
        member.role.label()
    );
    Ok(())
}

/// The arguments of `login`.
#[derive(Args)]
pub(crate) struct LoginArgs {
    /// The sign-in name.
    pub login: String,
}

/// Runs `wuye-agent login …`.
pub(crate) fn login(data: &Path, args: LoginArgs) -> anyhow::Result<()> {
    let LoginArgs { login } = args;
    let desk = open_desk(data)?;
    let password = read_password(&format!("password for {}: ", login.trim()), false)?;
    match desk.sign_in(&login, &password) {
        Ok(member) => wuye_node::say!("{} ({}) signed in", member.name, member.role.label()),
        Err(e) => {
            // Every failure costs the same pause, known name or not.
            std::thread::sleep(Duration::from_millis(FAILED_SIGN_IN_PAUSE_MS));
            return Err(e.into());
        }
    }
    Ok(())
}

/// Runs `wuye-agent logout …`.
pub(crate) fn logout(data: &Path) -> anyhow::Result<()> {
    let desk = open_desk(data)?;
    desk.sign_out()?;
    wuye_node::say!("signed out");
    Ok(())
}

/// The arguments of `enroll`.
#[derive(Args)]
pub(crate) struct EnrollArgs {
    /// The code.
    pub code: String,
}

/// Runs `wuye-agent enroll …`.
pub(crate) fn enroll(data: &Path, args: EnrollArgs) -> anyhow::Result<()> {
    let EnrollArgs { code } = args;
    let (desk, actor) = open_signed_in(data)?;
    wuye_protocol::staff::may(actor.role, wuye_protocol::staff::Guarded::Configure)?;
    let mut config = AgentConfig::load(&desk.store)?;
    config.enroll(&code)?;
    config.save(&desk.store)?;
    wuye_node::say!("enrollment code taken for site {}: the next sync trades it for a new credential", config.site_id);
    Ok(())
}

/// The arguments of `backup`.
#[derive(Args)]
pub(crate) struct BackupArgs {
    /// The backup file to write (it must not exist yet).
    pub file: std::path::PathBuf,
}

/// Runs `wuye-agent backup FILE`.
pub(crate) fn backup(data: &Path, args: BackupArgs) -> anyhow::Result<()> {
    let (desk, actor) = open_signed_in(data)?;
    wuye_protocol::staff::may(actor.role, wuye_protocol::staff::Guarded::Configure)?;
    wuye_node::folder::backup(&desk.store, &args.file)?;
    wuye_node::say!("the site's data is copied to {}; keep it where only the office can read it", args.file.display());
    Ok(())
}

/// `rebuild`: every projection made again from the documents (what a
/// damaged projection's message asks for). Needs no sign-in: it changes no
/// record, and the lists it makes show what the records already hold.
pub(crate) fn rebuild(data: &Path) -> anyhow::Result<()> {
    let (mut store, _) = wuye_agent::config::open(data)?;
    let count = store.rebuild_projections()?;
    wuye_node::say!("{count} record(s) listed again from their documents");
    Ok(())
}

/// The arguments of `restore`.
#[derive(Args)]
pub(crate) struct RestoreArgs {
    /// The backup file `wuye-agent backup` wrote.
    pub file: std::path::PathBuf,
}

/// Runs `wuye-agent restore FILE`.
pub(crate) fn restore(data: &Path, args: RestoreArgs) -> anyhow::Result<()> {
    let mut store = wuye_node::folder::restore(&args.file, data, wuye_agent::DB_FILE, "agent", "wuye-agent init")?;
    wuye_app::open_site_tables(&mut store)?;
    wuye_node::say!(
        "{} is restored from {}; sign in, then sync: head office and this site compare what they hold and exchange what differs",
        data.display(),
        args.file.display()
    );
    Ok(())
}
