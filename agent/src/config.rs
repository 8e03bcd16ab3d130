//! The agent's configuration, stored in its own database.

use std::path::Path;

use chrono_tz::Tz;
use wuye_node::folder::{self, FolderError};
use wuye_node::{Store, StoreError};
use wuye_protocol::ids::SiteId;
use wuye_protocol::time;

use wuye_protocol::wire::{normalize_enroll_code, ENROLL_CODE_CHARS};

use crate::DB_FILE;

/// The setting holding an enrollment code not yet traded for the credential.
pub const ENROLL_CODE_SETTING: &str = "enroll_code";
/// The setting holding the fingerprint head office announced it will move to.
pub const NEXT_FINGERPRINT_SETTING: &str = "next_fingerprint";

/// Why the configuration is unusable.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The data folder is missing or wrong.
    #[error(transparent)]
    Folder(#[from] FolderError),
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A setting is missing or damaged.
    #[error("setting '{0}' is missing or damaged in the agent's database; re-run `wuye-agent init` in a new folder")]
    Damaged(&'static str),
    /// A value given to `init` is wrong.
    #[error("{0}")]
    Invalid(String),
}

/// Everything the agent needs to reach head office.
#[derive(Clone)]
pub struct AgentConfig {
    /// Head office's QUIC address, HOST:PORT.
    pub server: String,
    /// The pinned SHA-256 fingerprint of head office's certificate.
    pub fingerprint: String,
    /// The site this agent serves.
    pub site_id: SiteId,
    /// The site's credential: 256 random bits made by this agent at `init`
    /// (or `enroll`); head office keeps only its hash.
    pub token: String,
    /// The one-time enrollment code head office issued, until the first sync
    /// has traded it for `token`.
    pub enroll_code: Option<String>,
    /// The site's time zone.
    pub timezone: Tz,
    /// The certificate fingerprint head office announced it will move to
    /// (`wuye-server cert rotate`), accepted beside `fingerprint`.
    pub next_fingerprint: Option<String>,
}

impl std::fmt::Debug for AgentConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AgentConfig")
            .field("server", &self.server)
            .field("fingerprint", &self.fingerprint)
            .field("site_id", &self.site_id)
            .field("timezone", &self.timezone)
            .finish_non_exhaustive()
    }
}

impl AgentConfig {
    /// Checks the values typed at `init`, and makes the site's credential.
    pub fn new(
        server: &str,
        fingerprint: &str,
        site_id: &str,
        enroll_code: &str,
        timezone: &str,
    ) -> Result<Self, ConfigError> {
        let (server, fingerprint) = check_server(server, fingerprint)?;
        let site_id =
            site_id.parse().map_err(|e: wuye_protocol::ids::IdParseError| ConfigError::Invalid(e.to_string()))?;
        let timezone = time::parse_timezone(timezone).map_err(|e| ConfigError::Invalid(e.to_string()))?;
        let mut config = Self {
            server,
            fingerprint,
            site_id,
            token: String::new(),
            enroll_code: None,
            timezone,
            next_fingerprint: None,
        };
        config.enroll(enroll_code)?;
        Ok(config)
    }

    /// Takes a new enrollment code: makes a fresh credential for the next sync to register with it.
    pub fn enroll(&mut self, code: &str) -> Result<(), ConfigError> {
        let code = normalize_enroll_code(code).ok_or_else(|| {
            ConfigError::Invalid(format!(
                "'{}' is not an enrollment code: expected {ENROLL_CODE_CHARS} letters and digits like \
                 7K3QM-XW9PT-HR2CV-D4N8B, as `wuye-server site add` or `site rotate` printed",
                wuye_protocol::text::echo(code)
            ))
        })?;
        self.token = wuye_node::secret::random_hex_256();
        self.enroll_code = Some(code);
        Ok(())
    }

    /// Creates the agent's data folder with this configuration.
    pub fn init(&self, dir: &Path) -> Result<Store, ConfigError> {
        let mut store = folder::create(dir, DB_FILE, "agent")?;
        wuye_app::open_site_tables(&mut store)?;
        self.save(&store)?;
        Ok(store)
    }

    /// Writes the configuration into an agent's store.
    pub fn save(&self, store: &Store) -> Result<(), ConfigError> {
        store.set_setting("server", &self.server)?;
        store.set_setting("fingerprint", &self.fingerprint)?;
        store.set_setting("site_id", &self.site_id.to_string())?;
        store.set_setting("token", &self.token)?;
        match &self.enroll_code {
            Some(code) => store.set_setting(ENROLL_CODE_SETTING, code)?,
            None => store.delete_setting(ENROLL_CODE_SETTING)?,
        }
        store.set_setting("timezone", self.timezone.name())?;
        match &self.next_fingerprint {
            Some(next) => store.set_setting(NEXT_FINGERPRINT_SETTING, next)?,
            None => store.delete_setting(NEXT_FINGERPRINT_SETTING)?,
        }
        Ok(())
    }

    /// Points the agent at head office anew (`wuye-agent server set`): a
    /// corrected fingerprint, or a head office that moved. Checked like `init`'s.
    pub fn set_server(&mut self, server: &str, fingerprint: &str) -> Result<(), ConfigError> {
        (self.server, self.fingerprint) = check_server(server, fingerprint)?;
        self.next_fingerprint = None;
        Ok(())
    }

    /// Reads the configuration back from a store.
    /// The site this agent serves, as the application layer knows it.
    pub fn site(&self) -> wuye_app::Site {
        wuye_app::Site { id: self.site_id, timezone: self.timezone }
    }

    /// Reads the configuration from the agent's database.
    pub fn load(store: &Store) -> Result<Self, ConfigError> {
        let get =
            |key: &'static str| -> Result<String, ConfigError> { store.setting(key)?.ok_or(ConfigError::Damaged(key)) };
        Ok(Self {
            server: get("server")?,
            fingerprint: get("fingerprint")?,
            site_id: get("site_id")?.parse().map_err(|_| ConfigError::Damaged("site_id"))?,
            token: get("token")?,
            enroll_code: store.setting(ENROLL_CODE_SETTING)?,
            next_fingerprint: store.setting(NEXT_FINGERPRINT_SETTING)?,
            timezone: time::parse_timezone(&get("timezone")?).map_err(|_| ConfigError::Damaged("timezone"))?,
        })
    }
}

/// Checks head office's address (HOST:PORT) and certificate fingerprint.
fn check_server(server: &str, fingerprint: &str) -> Result<(String, String), ConfigError> {
    let server = server.trim();
    if server.rsplit_once(':').and_then(|(_, p)| p.parse::<u16>().ok()).is_none() {
        return Err(ConfigError::Invalid(format!(
            "'{}' is not HOST:PORT (for example 10.0.0.5:7443 or hq.example.com:7443)",
            wuye_protocol::text::echo(server)
        )));
    }
    let fingerprint =
        wuye_node::tls::parse_fingerprint(fingerprint).map_err(|e| ConfigError::Invalid(e.to_string()))?;
    Ok((server.to_string(), fingerprint))
}

/// The site's credential and any enrollment code still to trade, read afresh,
/// so that a running agent takes a credential `enroll` changed meanwhile.
pub fn credentials(store: &Store) -> Result<(String, Option<String>), ConfigError> {
    Ok((store.setting("token")?.ok_or(ConfigError::Damaged("token"))?, store.setting(ENROLL_CODE_SETTING)?))
}

/// Opens an agent's folder: its store and configuration.
pub fn open(dir: &Path) -> Result<(Store, AgentConfig), ConfigError> {
    let mut store = folder::open(dir, DB_FILE, "agent", "wuye-agent init")?;
    wuye_app::open_site_tables(&mut store)?;
    let config = AgentConfig::load(&store)?;
    Ok((store, config))
}
