//! The `rempart` binary.

use std::{net::SocketAddr, process::ExitCode};

use clap::Parser;
use rempart_server::{
    app, build_services,
    cli::{Cli, Command},
    example_config::EXAMPLE_CONFIG,
};
use rempart_types::config::Config;

// jemalloc, with a background thread handing freed memory back to the system within a second
// (settings in .cargo/config.toml). The live heap stays under 10 MiB in every benchmark
// scenario; what the process holds beyond it is the allocator's: glibc's malloc kept the arenas
// Argon2's blocks grew (hundreds of MiB after a burst of logins), and mimalloc kept the pages
// freed by finished requests and closed connections (the peak grew phase after phase).
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("RUST_LOG").unwrap_or_else(|_| "info,tower_http=warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let result = match cli.command {
        Command::GenerateConfig => {
            print!("{EXAMPLE_CONFIG}");
            Ok(())
        }
        Command::Serve { config } => serve(config.as_deref()),
        Command::CreateUser { name, admin, password_file, config } => {
            create_user(config.as_deref(), &name, admin, password_file.as_deref())
        }
        Command::Media { action, config } => Config::load(config.as_deref())
            .map_err(|e| e.to_string())
            .and_then(|config| rempart_server::media_admin::run(config, action)),
        Command::User { action, config } => Config::load(config.as_deref())
            .map_err(|e| e.to_string())
            .and_then(|config| rempart_server::user_admin::run(config, action)),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

fn serve(config_path: Option<&std::path::Path>) -> Result<(), String> {
    let config = Config::load(config_path).map_err(|e| e.to_string())?;
    let address = config.listen.address;
    let services = build_services(config).map_err(|e| e.to_string())?;
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().map_err(|e| e.to_string())?;
    runtime.block_on(async move {
        let listener =
            tokio::net::TcpListener::bind(address).await.map_err(|e| format!("cannot listen on {address}: {e}"))?;
        tracing::info!(%address, server_name = %services.config.server_name, "rempart is listening");
        tokio::spawn(prune_session_history(std::sync::Arc::clone(&services)));
        axum::serve(listener, app(services).into_make_service_with_connect_info::<SocketAddr>())
            .with_graceful_shutdown(shutdown_signal())
            .await
            .map_err(|e| e.to_string())
    })
}

/// How often session history older than `[sessions] history_days` is forgotten.
const HISTORY_PRUNING_INTERVAL: std::time::Duration = std::time::Duration::from_secs(60 * 60);

/// Forgets session history past its retention at start-up, then every hour.
async fn prune_session_history(services: std::sync::Arc<rempart_core::Services>) {
    let retention_ms = u64::from(services.config.sessions.history_days) * 24 * 60 * 60 * 1000;
    let mut ticks = tokio::time::interval(HISTORY_PRUNING_INTERVAL);
    loop {
        ticks.tick().await;
        let before = rempart_types::time::now_millis().saturating_sub(retention_ms);
        let store = std::sync::Arc::clone(&services.store);
        match tokio::task::spawn_blocking(move || store.prune_session_history(before)).await {
            Ok(Ok(removed)) => tracing::debug!(removed, "pruned session history"),
            Ok(Err(error)) => tracing::warn!(%error, "could not prune session history"),
            Err(error) => tracing::warn!(%error, "session history pruning failed"),
        }
    }
}

async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut terminate = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(signal) => signal,
            Err(_) => return interrupt.await.unwrap_or(()),
        };
        tokio::select! {
            _ = interrupt => {}
            _ = terminate.recv() => {}
        }
    }
    #[cfg(not(unix))]
    interrupt.await.unwrap_or(());
    tracing::info!("shutting down");
}

fn create_user(
    config_path: Option<&std::path::Path>,
    name: &str,
    admin: bool,
    password_file: Option<&std::path::Path>,
) -> Result<(), String> {
    let config = Config::load(config_path).map_err(|e| e.to_string())?;
    let password = rempart_server::user_admin::read_password(password_file, name)?;
    let services = build_services(config).map_err(|e| e.to_string())?;
    let user_id = services.accounts.create_user(name, Some(&password), admin).map_err(|e| e.to_string())?;
    println!("created {user_id}{}", if admin { " (admin)" } else { "" });
    Ok(())
}
