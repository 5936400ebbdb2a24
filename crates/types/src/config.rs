//! The shard's configuration: a TOML file overridden by `REMPART_*` environment variables.
//!
//! Every field has a safe default so that `rempart serve` with no file starts a closed,
//! registration-disabled shard on loopback.

use std::{net::SocketAddr, path::PathBuf};

use figment::{
    Figment,
    providers::{Env, Format, Serialized, Toml},
};
use ruma::{OwnedServerName, RoomVersionId};
use serde::{Deserialize, Serialize};

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
    /// Limits on what clients may send.
    pub limits: LimitsConfig,
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
            limits: LimitsConfig::default(),
        }
    }
}

/// Network listeners.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ListenConfig {
    /// Address for the client, federation and admin APIs.
    pub address: SocketAddr,
}

impl Default for ListenConfig {
    fn default() -> Self {
        Self { address: SocketAddr::from(([127, 0, 0, 1], 8008)) }
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
}

impl Default for RateLimitConfig {
    fn default() -> Self {
        Self { enabled: true, per_second: 5.0, burst: 20 }
    }
}

/// Argon2id parameters. The defaults follow OWASP guidance; tests lower them.
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
        Self { memory_kib: 19 * 1024, iterations: 2 }
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

impl Config {
    /// Loads the defaults, then the file (if any), then `REMPART_*` environment variables
    /// (`__` separates nested keys: `REMPART_REGISTRATION__MODE=open`).
    pub fn load(file: Option<&std::path::Path>) -> Result<Self, ConfigError> {
        let mut figment = Figment::from(Serialized::defaults(Config::default()));
        if let Some(path) = file {
            if !path.exists() {
                return Err(ConfigError::MissingFile(path.to_owned()));
            }
            figment = figment.merge(Toml::file_exact(path));
        }
        Self::extract(figment.merge(Env::prefixed("REMPART_").split("__")))
    }

    /// Parses a configuration from TOML text alone (no environment), for tests and tools.
    pub fn from_toml(text: &str) -> Result<Self, ConfigError> {
        Self::extract(Figment::from(Serialized::defaults(Config::default())).merge(Toml::string(text)))
    }

    fn extract(figment: Figment) -> Result<Self, ConfigError> {
        let config: Config = figment.extract().map_err(|e| {
            let errors: Vec<String> = e.into_iter().map(|e| e.to_string()).collect();
            ConfigError::Invalid(errors.join("; "))
        })?;
        config.validate()?;
        Ok(config)
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
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_closed_and_local() {
        let config = Config::from_toml("").unwrap();
        assert_eq!(config.server_name.as_str(), "localhost");
        assert_eq!(config.registration.mode, RegistrationMode::Disabled);
        assert_eq!(config.listen.address.to_string(), "127.0.0.1:8008");
        assert_eq!(config.database_path(), PathBuf::from("./data/rempart.db"));
    }

    #[test]
    fn bad_value_names_the_key() {
        let err = Config::from_toml("[registration]\nmode = \"sometimes\"").unwrap_err().to_string();
        assert!(err.contains("mode"), "{err}");
        let err = Config::from_toml("[listen]\naddress = \"nowhere\"").unwrap_err().to_string();
        assert!(err.contains("address"), "{err}");
    }

    #[test]
    fn unknown_key_is_refused() {
        let err = Config::from_toml("server_nam = \"x\"").unwrap_err().to_string();
        assert!(err.contains("server_nam"), "{err}");
    }

    #[test]
    fn token_mode_needs_tokens() {
        assert!(Config::from_toml("[registration]\nmode = \"token\"").is_err());
        assert!(Config::from_toml("[registration]\nmode = \"token\"\ntokens = [\"abc\"]").is_ok());
    }
}
