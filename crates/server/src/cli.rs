//! The `rempart` command line.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

/// Rempart: a Matrix homeserver shard for a closed public-sector platform.
#[derive(Debug, Parser)]
#[command(name = "rempart", version, about)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Start the shard.
    Serve {
        /// Configuration file (TOML). Without one, safe defaults apply.
        #[arg(long, short)]
        config: Option<PathBuf>,
    },
    /// Print a fully commented example configuration.
    GenerateConfig,
    /// Create an account directly in the database (the server may be running).
    CreateUser {
        /// Local part of the user id (`alice` for `@alice:server`).
        name: String,
        /// Make the account a server administrator.
        #[arg(long)]
        admin: bool,
        /// Read the password from this file (first line); otherwise from standard input.
        #[arg(long)]
        password_file: Option<PathBuf>,
        /// Configuration file (TOML).
        #[arg(long, short)]
        config: Option<PathBuf>,
    },
}
