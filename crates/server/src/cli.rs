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
    /// Administer accounts directly in the database (the server may be running).
    User {
        /// What to do.
        #[command(subcommand)]
        action: UserCommand,
        /// Configuration file (TOML).
        #[arg(long, short, global = true)]
        config: Option<PathBuf>,
    },
}

/// `rempart user ...`: the operator's account actions, recorded in the audit log as `cli`.
/// `USER` is a full user id (`@alice:server`) or a local part (`alice`).
#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Refuse every request and login of the account (`M_USER_LOCKED`) and end its open syncs.
    Lock {
        /// The account.
        user: String,
    },
    /// Restore a locked account's access, with the same sessions.
    Unlock {
        /// The account.
        user: String,
    },
    /// Let the account read but not write (`M_USER_SUSPENDED`).
    Suspend {
        /// The account.
        user: String,
    },
    /// Lift a suspension.
    Unsuspend {
        /// The account.
        user: String,
    },
    /// Close the account for good: it leaves its rooms, every session and key is deleted.
    Deactivate {
        /// The account.
        user: String,
        /// Also delete its account data and every file it uploaded.
        #[arg(long)]
        erase: bool,
    },
    /// List accounts, one a line: user id, admin, state, creation time. Deactivated and
    /// locked accounts are left out unless asked for, as in Synapse's admin API.
    List {
        /// Include deactivated accounts.
        #[arg(long)]
        deactivated: bool,
        /// Include locked accounts.
        #[arg(long)]
        locked: bool,
        /// Only server administrators.
        #[arg(long)]
        admins: bool,
    },
    /// Show the account's devices, deleted ones included, with every IP address and user agent
    /// each was used from, and when.
    Sessions {
        /// The account.
        user: String,
    },
    /// Set a new password (the password policy applies) and end every session.
    ResetPassword {
        /// The account.
        user: String,
        /// Read the password from this file (first line); otherwise from standard input.
        #[arg(long)]
        password_file: Option<PathBuf>,
        /// Keep the account's sessions instead of ending them.
        #[arg(long)]
        keep_devices: bool,
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
