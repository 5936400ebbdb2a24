//! Wiring a shard together: open storage, load the signing key, build the services and the
//! router. The binary (`main.rs`) and the integration tests share this.

use std::sync::Arc;

use rempart_core::{
    CoreError, Services,
    audit::{AuditSink, LogAudit},
    signing::load_or_create_signing_key,
};
use rempart_media::blobs::FilesystemBlobStore;
use rempart_storage_sqlite::SqliteStore;
use rempart_types::config::Config;

pub mod cli;
pub mod example_config;
pub mod media_admin;
pub mod user_admin;

/// Why a shard could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// Configuration problem.
    #[error(transparent)]
    Config(#[from] rempart_types::config::ConfigError),
    /// Storage could not be opened.
    #[error("cannot open the database: {0}")]
    Storage(#[from] rempart_storage::StorageError),
    /// A service could not start.
    #[error(transparent)]
    Core(#[from] CoreError),
    /// Network or filesystem problem.
    #[error("{0}")]
    Io(String),
}

/// Opens the database and builds every service, auditing to the log.
pub fn build_services(config: Config) -> Result<Arc<Services>, StartError> {
    build_services_with_audit(config, Arc::new(LogAudit))
}

/// Opens the database and builds every service, auditing to `audit`.
pub fn build_services_with_audit(config: Config, audit: Arc<dyn AuditSink>) -> Result<Arc<Services>, StartError> {
    std::fs::create_dir_all(&config.data_dir)
        .map_err(|e| StartError::Io(format!("cannot create data directory {}: {e}", config.data_dir.display())))?;
    let store = SqliteStore::open(&config.database_path())?;
    let key = load_or_create_signing_key(&config.signing_key_path())?;
    let media_path = config.media_path();
    let blobs = FilesystemBlobStore::open(&media_path)
        .map_err(|e| StartError::Io(format!("cannot open the media directory {}: {e}", media_path.display())))?;
    Ok(Services::new(config, Arc::new(store), Arc::new(blobs), key, audit))
}

/// The complete HTTP application for a shard.
pub fn app(services: Arc<Services>) -> axum::Router {
    rempart_http::finish_router(rempart_api_client::routes().merge(rempart_api_admin::routes()), services)
}
