//! The `rempart` binary.

use std::{io::BufRead, net::SocketAddr, process::ExitCode};

use clap::Parser;
use rempart_server::{
    app, build_services,
    cli::{Cli, Command},
    example_config::EXAMPLE_CONFIG,
};
use rempart_types::config::Config;

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
        axum::serve(listener, app(services).into_make_service_with_connect_info::<SocketAddr>())
            .with_graceful_shutdown(shutdown_signal())
            .await
            .map_err(|e| e.to_string())
    })
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
    let password = match password_file {
        Some(path) => std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?,
        None => {
            eprintln!("password for {name}:");
            let mut line = String::new();
            std::io::stdin().lock().read_line(&mut line).map_err(|e| e.to_string())?;
            line
        }
    };
    let password = password.lines().next().unwrap_or_default().to_owned();
    if password.is_empty() {
        return Err("the password must not be empty".into());
    }
    let services = build_services(config).map_err(|e| e.to_string())?;
    let user_id = services.accounts.create_user(name, Some(&password), admin).map_err(|e| e.to_string())?;
    println!("created {user_id}{}", if admin { " (admin)" } else { "" });
    Ok(())
}
