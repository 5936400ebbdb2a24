//! The shard's configuration: a TOML file overridden by `REMPART_*` environment variables.
//!
//! Every field has a safe default so that `rempart serve` with no file starts a closed,
//! registration-disabled shard on loopback.

use std::{
    net::SocketAddr,
    path::{Path, PathBuf},
};

use ruma::{OwnedServerName, RoomVersionId};
use serde::{Deserialize, Serialize};
use toml::{Table, Value};

/// Environment variables with this prefix (in any case) override the configuration.
const ENV_PREFIX: &str = "REMPART_";
/// Separates nested keys in an environment variable name: `REMPART_REGISTRATION__MODE`.
const ENV_SEPARATOR: &str = "__";

/// Why a configuration could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// A key is missing, has the wrong type or an unknown value; the message names the key.
    #[error("invalid configuration: {0}")]
    Invalid(String),
    /// The configuration file named on the command line does not exist.
    #[error("configuration file {0} does not exist")]
    MissingFile(PathBuf),
}

/// The whole configuration of one shard.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// The Matrix server name of this shard (the part after the colon in user ids).
    pub server_name: OwnedServerName,
    /// Where the database, the signing key and media live unless overridden.
    pub data_dir: PathBuf,
    /// The URL clients reach this shard at, advertised in `/.well-known/matrix/client`;
    /// defaults to `http://<listen address>`.
    pub public_base_url: Option<String>,
    /// Network listeners.
    pub listen: ListenConfig,
    /// The embedded database.
    pub database: DatabaseConfig,
    /// Who may create accounts.
    pub registration: RegistrationConfig,
    /// Request rate limits.
    pub rate_limits: RateLimitConfig,
    /// Password hashing cost.
    pub password_hashing: PasswordHashingConfig,
    /// Room defaults.
    pub rooms: RoomsConfig,
    /// Presence (online/offline status).
    pub presence: PresenceConfig,
    /// End-to-end encryption policy for rooms.
    pub encryption: EncryptionConfig,
    /// Limits on what clients may send.
    pub limits: LimitsConfig,
    /// The media repository.
    pub media: MediaConfig,
    /// Brute-force protection of logins.
    pub login_protection: LoginProtectionConfig,
    /// What passwords must contain.
    pub password_policy: PasswordPolicyConfig,
    /// What is kept of sessions.
    pub sessions: SessionsConfig,
    /// Server notices.
    pub notices: NoticesConfig,
    /// Privacy of the user directory and profiles.
    pub directory: DirectoryConfig,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            server_name: "localhost".try_into().expect("valid server name"),
            data_dir: PathBuf::from("./data"),
            public_base_url: None,
            listen: ListenConfig::default(),
            database: DatabaseConfig::default(),
            registration: RegistrationConfig::default(),
            rate_limits: RateLimitConfig::default(),
            password_hashing: PasswordHashingConfig::default(),
            rooms: RoomsConfig::default(),
            presence: PresenceConfig::default(),
            encryption: EncryptionConfig::default(),
            limits: LimitsConfig::default(),
            media: MediaConfig::default(),
            login_protection: LoginProtectionConfig::default(),
            password_policy: PasswordPolicyConfig::default(),
            sessions: SessionsConfig::default(),
            notices: NoticesConfig::default(),
            directory: DirectoryConfig::default(),
        }
    }
}

/// Network listeners.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ListenConfig {
    /// Address for the client, federation and admin APIs.
    pub address: SocketAddr,
    /// Reverse proxies whose `X-Forwarded-For` header names the real client. Requests from any
    /// other peer are attributed to the peer itself, whatever they claim.
    pub trusted_proxies: Vec<std::net::IpAddr>,
}

impl Default for ListenConfig {
    fn default() -> Self {
        Self { address: SocketAddr::from(([127, 0, 0, 1], 8008)), trusted_proxies: vec![] }
    }
}

/// The embedded SQLite database.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DatabaseConfig {
    /// Path of the database file; `<data_dir>/rempart.db` when unset.
    pub path: Option<PathBuf>,
}

/// How accounts may be created through the client API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RegistrationMode {
    /// Only operators create accounts (CLI, shared-secret admin registration).
    #[default]
    Disabled,
    /// Anyone holding one of the configured registration tokens.
    Token,
    /// Anyone (`m.login.dummy`); for tests and closed networks only.
    Open,
}

/// Registration settings.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RegistrationConfig {
    /// Who may register.
    pub mode: RegistrationMode,
    /// Secret for Synapse-compatible shared-secret registration; disabled when unset.
    pub shared_secret: Option<String>,
    /// Tokens accepted by `m.login.registration_token` in `token` mode.
    pub tokens: Vec<String>,
}

/// Request rate limits.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RateLimitConfig {
    /// Turn the general per-user and per-IP write limits on or off.
    pub enabled: bool,
    /// Sustained writes per second allowed per user.
    pub per_second: f64,
    /// Burst of writes allowed above the sustained rate.
    pub burst: u32,
    /// Sustained signed-in writes per second allowed per client address (IPv6: per /64), for
    /// all the accounts behind it together; sized for a ministry behind one NAT address.
    pub address_per_second: f64,
    /// Burst of writes per client address above its sustained rate.
    pub address_burst: u32,
}

impl Default for RateLimitConfig {
    fn default() -> Self {
        Self { enabled: true, per_second: 5.0, burst: 20, address_per_second: 100.0, address_burst: 400 }
    }
}

/// Argon2id parameters. The defaults are one of the settings OWASP lists as equally strong
/// (7 MiB, 5 passes; like 19 MiB, 2 passes, at about the same CPU time): the server runs one
/// hash per two cores at a time, so this is the memory a burst of logins costs per hashing
/// slot. Tests lower them.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PasswordHashingConfig {
    /// Memory cost in KiB.
    pub memory_kib: u32,
    /// Number of iterations.
    pub iterations: u32,
}

impl Default for PasswordHashingConfig {
    fn default() -> Self {
        Self { memory_kib: 7 * 1024, iterations: 5 }
    }
}

/// Room defaults.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RoomsConfig {
    /// Room version for new rooms when the client does not ask for one.
    pub default_version: RoomVersionId,
    /// Whether publishing a room to the directory needs power to send `m.room.canonical_alias`
    /// (true) or is refused to everyone but server admins (false).
    pub publish_requires_state_power: bool,
}

impl Default for RoomsConfig {
    fn default() -> Self {
        Self { default_version: RoomVersionId::V12, publish_requires_state_power: true }
    }
}

/// End-to-end encryption policy, enforced by the server on room state.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct EncryptionConfig {
    /// Rooms created with the `private_chat` or `trusted_private_chat` preset get
    /// `m.room.encryption` in their initial state even when the client does not ask.
    pub encrypt_private_rooms: bool,
    /// Whether rooms whose join rule is `public` (the platform's open forums) may be encrypted.
    pub allow_in_public_rooms: bool,
}

impl Default for EncryptionConfig {
    fn default() -> Self {
        Self { encrypt_private_rooms: true, allow_in_public_rooms: false }
    }
}

/// Presence settings.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PresenceConfig {
    /// When false, presence is neither stored nor sent.
    pub enabled: bool,
}

impl Default for PresenceConfig {
    fn default() -> Self {
        Self { enabled: true }
    }
}

/// Size limits.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LimitsConfig {
    /// Largest request body accepted, in bytes.
    pub max_request_bytes: usize,
}

impl Default for LimitsConfig {
    fn default() -> Self {
        Self { max_request_bytes: 1024 * 1024 }
    }
}

/// The media repository: where files live and how much each account may store.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MediaConfig {
    /// Directory of the files; `<data_dir>/media` when unset.
    pub path: Option<PathBuf>,
    /// Largest file accepted, in bytes (advertised as `m.upload.size`).
    pub max_upload_bytes: u64,
    /// Bytes each account may store in all.
    pub user_quota_bytes: u64,
    /// Sustained uploads per second allowed per account (off with `[rate_limits] enabled = false`).
    pub uploads_per_second: f64,
    /// Burst of uploads allowed above the sustained rate.
    pub upload_burst: u32,
    /// Media ids an account may hold reserved for asynchronous uploads at once.
    pub max_pending_uploads: u64,
    /// How long a reserved media id waits for its content, in seconds.
    pub pending_upload_lifetime_secs: u64,
}

impl Default for MediaConfig {
    fn default() -> Self {
        Self {
            path: None,
            max_upload_bytes: 50 * 1024 * 1024,
            user_quota_bytes: 2 * 1024 * 1024 * 1024,
            uploads_per_second: 1.0,
            upload_burst: 10,
            max_pending_uploads: 10,
            pending_upload_lifetime_secs: 24 * 60 * 60,
        }
    }
}

impl Config {
    /// Loads the defaults, then the file (if any), then `REMPART_*` environment variables
    /// (`__` separates nested keys: `REMPART_REGISTRATION__MODE=open`). A variable's value is
    /// read as TOML when it parses as TOML (`false`, `3`, `["a", "b"]`), otherwise as text.
    pub fn load(file: Option<&Path>) -> Result<Self, ConfigError> {
        let mut env = Vec::new();
        for (name, value) in std::env::vars_os() {
            let name = name.to_string_lossy().into_owned();
            match value.into_string() {
                Ok(value) => env.push((name, value)),
                Err(_) if env_key(&name).is_none() => {}
                // Mangling the value into something else would be worse than refusing to start.
                Err(_) => return Err(ConfigError::Invalid(format!("{name}: the value is not valid UTF-8"))),
            }
        }
        Self::load_from(file, env)
    }

    /// [`Config::load`] with the environment passed in as `(name, value)` pairs; names without
    /// the `REMPART_` prefix are ignored.
    fn load_from(file: Option<&Path>, env: impl IntoIterator<Item = (String, String)>) -> Result<Self, ConfigError> {
        let file = match file {
            Some(path) => Some(FileLayer::read(path)?),
            None => None,
        };
        let env = env
            .into_iter()
            .filter_map(|(name, raw)| EnvOverride::new(name, raw).transpose())
            .collect::<Result<Vec<_>, _>>()?;
        Self::build(file, env)
    }

    /// Parses a configuration from TOML text alone (no environment), for tests and tools.
    pub fn from_toml(text: &str) -> Result<Self, ConfigError> {
        let table = text.parse::<Table>().map_err(|e| ConfigError::Invalid(e.to_string()))?;
        Self::build(Some(FileLayer { path: None, table }), Vec::new())
    }

    /// Lays the file and then the environment over the defaults and checks the result.
    fn build(file: Option<FileLayer>, mut env: Vec<EnvOverride>) -> Result<Self, ConfigError> {
        let mut base = Table::try_from(Config::default()).expect("the defaults serialize to a table");
        if let Some(file) = &file {
            merge(&mut base, file.table.clone());
        }
        // The last variable retried as text, with the error its parsed value caused.
        let mut retried: Option<(usize, serde_path_to_error::Error<toml::de::Error>)> = None;
        loop {
            let mut table = base.clone();
            for over in &env {
                merge(&mut table, nested(&over.key, over.value.clone()));
            }
            let error = match serde_path_to_error::deserialize::<_, Config>(table) {
                Ok(config) => {
                    config.validate()?;
                    return Ok(config);
                }
                Err(error) => error,
            };
            let key = map_keys(error.path());
            if let Some((index, first)) = retried.take()
                && env[index].key == key
            {
                // The text did not fit either (`-1` for a size); the parsed value's complaint is
                // the one that makes sense to the operator.
                return Err(describe(&first, file.as_ref(), &env));
            }
            // An environment value that looks like a number or a boolean is read as one, but the
            // key may want text (`REMPART_ROOMS__DEFAULT_VERSION=11`, a numeric shared secret):
            // retry with the value as written. Each variable is retried at most once.
            if let Some(index) = env.iter().position(|over| over.key == key && !over.value.is_str()) {
                env[index].value = Value::String(env[index].raw.clone());
                retried = Some((index, error));
                continue;
            }
            return Err(describe(&error, file.as_ref(), &env));
        }
    }

    fn validate(&self) -> Result<(), ConfigError> {
        if self.registration.mode == RegistrationMode::Token && self.registration.tokens.is_empty() {
            return Err(ConfigError::Invalid("registration.mode is \"token\" but registration.tokens is empty".into()));
        }
        if !matches!(self.rooms.default_version, RoomVersionId::V10 | RoomVersionId::V11 | RoomVersionId::V12) {
            return Err(ConfigError::Invalid(format!(
                "rooms.default_version {} is not supported (10, 11 or 12)",
                self.rooms.default_version
            )));
        }
        if self.password_hashing.memory_kib < 8 || self.password_hashing.iterations == 0 {
            return Err(ConfigError::Invalid(
                "password_hashing.memory_kib must be at least 8 and iterations at least 1".into(),
            ));
        }
        if let Some(url) = &self.public_base_url
            && !(url.starts_with("https://") || url.starts_with("http://"))
        {
            return Err(ConfigError::Invalid(format!("public_base_url {url:?} must start with https:// or http://")));
        }
        if self.limits.max_request_bytes < 65_536 {
            return Err(ConfigError::Invalid("limits.max_request_bytes must be at least 65536".into()));
        }
        Ok(())
    }

    /// The database file path, resolved against the data directory.
    pub fn database_path(&self) -> PathBuf {
        self.database.path.clone().unwrap_or_else(|| self.data_dir.join("rempart.db"))
    }

    /// The base URL clients should use.
    pub fn client_base_url(&self) -> String {
        self.public_base_url.clone().unwrap_or_else(|| format!("http://{}", self.listen.address))
    }

    /// Path of the shard's ed25519 signing key.
    pub fn signing_key_path(&self) -> PathBuf {
        self.data_dir.join("signing.key")
    }

    /// Where media files are stored.
    pub fn media_path(&self) -> PathBuf {
        self.media.path.clone().unwrap_or_else(|| self.data_dir.join("media"))
    }
}

/// The configuration file's contents, kept apart from the defaults so that errors can say
/// which keys it set.
struct FileLayer {
    /// `None` for text passed to [`Config::from_toml`].
    path: Option<PathBuf>,
    table: Table,
}

impl FileLayer {
    fn read(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => ConfigError::MissingFile(path.to_owned()),
            _ => ConfigError::Invalid(format!("{}: {e}", path.display())),
        })?;
        let table = text.parse::<Table>().map_err(|e| ConfigError::Invalid(format!("{}: {e}", path.display())))?;
        Ok(Self { path: Some(path.to_owned()), table })
    }

    /// Whether the file sets `key` (or a table containing it).
    fn sets(&self, key: &[&str]) -> bool {
        let mut table = &self.table;
        for part in key {
            match table.get(*part) {
                Some(Value::Table(inner)) => table = inner,
                Some(_) => return true,
                None => return false,
            }
        }
        !key.is_empty()
    }
}

/// One `REMPART_*` environment variable.
struct EnvOverride {
    /// The variable's name, for error messages.
    name: String,
    /// The configuration key it sets, lowercased and split on `__`; never empty.
    key: Vec<String>,
    /// The value as written.
    raw: String,
    /// The value as TOML if it parses as TOML, else `raw` as a string.
    value: Value,
}

impl EnvOverride {
    /// `None` when `name` lacks the prefix and so is not ours.
    fn new(name: String, raw: String) -> Result<Option<Self>, ConfigError> {
        let Some(rest) = env_key(&name) else { return Ok(None) };
        let key: Vec<String> = rest.split(ENV_SEPARATOR).map(str::to_ascii_lowercase).collect();
        if key.iter().any(String::is_empty) {
            return Err(ConfigError::Invalid(format!("{name} does not name a configuration key")));
        }
        let value = raw.parse::<Value>().unwrap_or_else(|_| Value::String(raw.clone()));
        Ok(Some(Self { name, key, raw, value }))
    }
}

/// The part of an environment variable's name after `REMPART_`, if it has the prefix.
fn env_key(name: &str) -> Option<&str> {
    let prefix = name.get(..ENV_PREFIX.len())?;
    prefix.eq_ignore_ascii_case(ENV_PREFIX).then(|| &name[ENV_PREFIX.len()..])
}

/// Lays `over` onto `base`: tables merge key by key, anything else replaces what was there.
fn merge(base: &mut Table, over: Table) {
    for (key, value) in over {
        match (base.get_mut(&key), value) {
            (Some(Value::Table(base)), Value::Table(over)) => merge(base, over),
            (Some(slot), value) => *slot = value,
            (None, value) => {
                base.insert(key, value);
            }
        }
    }
}

/// The table `{ a = { b = value } }` for the key `["a", "b"]`, which must not be empty.
fn nested(key: &[String], value: Value) -> Table {
    let (first, rest) = key.split_first().expect("configuration keys are not empty");
    let value = if rest.is_empty() { value } else { Value::Table(nested(rest, value)) };
    Table::from_iter([(first.clone(), value)])
}

/// The table keys leading to an error, up to the first array index.
fn map_keys(path: &serde_path_to_error::Path) -> Vec<&str> {
    path.iter()
        .map_while(|segment| match segment {
            serde_path_to_error::Segment::Map { key } => Some(key.as_str()),
            _ => None,
        })
        .collect()
}

/// `registration.mode: unknown variant ... (from REMPART_REGISTRATION__MODE)`.
fn describe(
    error: &serde_path_to_error::Error<toml::de::Error>,
    file: Option<&FileLayer>,
    env: &[EnvOverride],
) -> ConfigError {
    let key = map_keys(error.path());
    let mut message = if key.is_empty() { String::new() } else { format!("{}: ", error.path()) };
    message.push_str(error.inner().message());
    // The variable that set this key, or set something inside it, or replaced a table above it.
    let from_env = env.iter().find(|over| !key.is_empty() && over.key.iter().zip(&key).all(|(a, b)| a == b));
    if let Some(over) = from_env {
        message.push_str(&format!(" (from {})", over.name));
    } else if let Some(FileLayer { path: Some(path), .. }) = file.filter(|file| file.sets(&key)) {
        message.push_str(&format!(" (in {})", path.display()));
    }
    ConfigError::Invalid(message)
}

mod security;
#[cfg(test)]
mod tests;

pub use security::{DirectoryConfig, LoginProtectionConfig, NoticesConfig, PasswordPolicyConfig, SessionsConfig};
