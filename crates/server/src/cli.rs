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
    /// Administer the media repository directly in the database (the server may be running).
    Media {
        /// What to do.
        #[command(subcommand)]
        action: MediaCommand,
        /// Configuration file (TOML).
        #[arg(long, short, global = true)]
        config: Option<PathBuf>,
    },
}

/// `rempart media ...`: the operator's media actions, recorded in the audit log as `cli`.
#[derive(Debug, Subcommand)]
pub enum MediaCommand {
    /// Stop serving a file to anyone, its uploader included.
    Quarantine {
        /// The media id, or its `mxc://` URI.
        media: String,
    },
    /// Serve a quarantined file again.
    Unquarantine {
        /// The media id, or its `mxc://` URI.
        media: String,
    },
    /// Delete a file and its links; its bytes go unless an identical upload still uses them.
    Delete {
        /// The media id, or its `mxc://` URI.
        media: String,
    },
    /// List a user's files, newest first.
    List {
        /// The user id (`@alice:server`).
        user_id: String,
        /// How many files to skip.
        #[arg(long, default_value_t = 0)]
        from: u64,
        /// How many files to list at most.
        #[arg(long, default_value_t = 100)]
        limit: u64,
    },
}
