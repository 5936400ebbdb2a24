//! `rempart user ...`: lock, suspend, deactivate, list accounts, show their session history and
//! reset passwords straight from the database, for when the server is down or the operator has
//! no admin token. Every action goes through the same service methods as the admin API, so it
//! takes effect the same way and is recorded in the audit log with `cli` as the actor.

use std::{io::BufRead, path::Path};

use rempart_core::{Services, audit::AuditEvent};
use rempart_storage::{AccountStatus, DeviceRecord, SessionUse, UserRecord};
use rempart_types::config::Config;
use ruma::{OwnedDeviceId, OwnedUserId};

use crate::{build_services, cli::UserCommand};

/// The actor recorded for command-line actions.
const CLI_ACTOR: &str = "cli";

/// Runs one user command; what it prints is for people.
pub fn run(config: Config, action: UserCommand) -> Result<(), String> {
    let services = build_services(config).map_err(|e| e.to_string())?;
    match action {
        UserCommand::Lock { user } => {
            let user_id = existing_user(&services, &user)?;
            services.set_locked(CLI_ACTOR, &user_id, true).map_err(|e| e.to_string())?;
            println!("locked {user_id}");
        }
        UserCommand::Unlock { user } => {
            let user_id = existing_user(&services, &user)?;
            services.set_locked(CLI_ACTOR, &user_id, false).map_err(|e| e.to_string())?;
            println!("unlocked {user_id}");
        }
        UserCommand::Suspend { user } => {
            let user_id = existing_user(&services, &user)?;
            services.set_suspended(CLI_ACTOR, &user_id, true).map_err(|e| e.to_string())?;
            println!("suspended {user_id}");
        }
        UserCommand::Unsuspend { user } => {
            let user_id = existing_user(&services, &user)?;
            services.set_suspended(CLI_ACTOR, &user_id, false).map_err(|e| e.to_string())?;
            println!("lifted the suspension of {user_id}");
        }
        UserCommand::Deactivate { user, erase } => {
            let user_id = existing_user(&services, &user)?;
            let runtime =
                tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(|e| e.to_string())?;
            runtime.block_on(services.deactivate_account(CLI_ACTOR, &user_id, erase)).map_err(|e| e.to_string())?;
            println!("deactivated {user_id}{}", if erase { " and erased its data" } else { "" });
        }
        UserCommand::List { deactivated, locked, admins } => {
            let users = services.store.list_users().map_err(|e| e.to_string())?;
            let listed = users.iter().filter(|user| {
                (deactivated || user.status != AccountStatus::Deactivated)
                    && (locked || !user.locked)
                    && (!admins || user.is_admin)
            });
            for user in listed {
                let admin = if user.is_admin { "admin" } else { "-" };
                println!("{}\t{admin}\t{}\t{}", user.user_id, state(user), utc(user.created_ts));
            }
        }
        UserCommand::Sessions { user } => {
            let user_id = existing_user(&services, &user)?;
            let devices = services.store.list_devices(&user_id).map_err(|e| e.to_string())?;
            let history = services.store.session_history(&user_id).map_err(|e| e.to_string())?;
            services.audit.record(&AuditEvent::AdminAction {
                actor: CLI_ACTOR,
                action: "user.whois",
                target: user_id.as_str(),
            });
            print_sessions(&user_id, &devices, &history);
        }
        UserCommand::ResetPassword { user, password_file, keep_devices } => {
            let user_id = existing_user(&services, &user)?;
            let password = read_password(password_file.as_deref(), user_id.as_str())?;
            services.reset_password(CLI_ACTOR, &user_id, &password, !keep_devices).map_err(|e| e.to_string())?;
            let ended = if keep_devices { "; its sessions were kept" } else { "; every session ended" };
            println!("reset the password of {user_id}{ended}");
        }
    }
    Ok(())
}

/// Reads a password from the first line of `file`, or of standard input after a prompt naming
/// `whose`; an empty password is refused.
pub fn read_password(file: Option<&Path>, whose: &str) -> Result<String, String> {
    let text = match file {
        Some(path) => std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?,
        None => {
            eprintln!("password for {whose}:");
            let mut line = String::new();
            std::io::stdin().lock().read_line(&mut line).map_err(|e| e.to_string())?;
            line
        }
    };
    let password = text.lines().next().unwrap_or_default().to_owned();
    if password.is_empty() {
        return Err("the password must not be empty".into());
    }
    Ok(password)
}

/// The account named by a full user id or a local part of this shard, which must exist.
fn existing_user(services: &Services, user: &str) -> Result<OwnedUserId, String> {
    let full = if user.starts_with('@') { user.to_owned() } else { format!("@{user}:{}", services.config.server_name) };
    let user_id = OwnedUserId::try_from(full.as_str()).map_err(|e| format!("invalid user id {user}: {e}"))?;
    match services.store.get_user(&user_id).map_err(|e| e.to_string())? {
        Some(_) => Ok(user_id),
        None => Err(format!("no such user {user_id}")),
    }
}

/// Every restriction in force: `deactivated`, or `locked` and `suspended` (both may hold), or
/// `active`.
fn state(user: &UserRecord) -> String {
    if user.status == AccountStatus::Deactivated {
        return "deactivated".into();
    }
    let flags: Vec<&str> = [(user.locked, "locked"), (user.suspended, "suspended")]
        .into_iter()
        .filter_map(|(on, name)| on.then_some(name))
        .collect();
    if flags.is_empty() { "active".into() } else { flags.join(",") }
}

/// One block per device, live ones and deleted ones, each with its history most recent first.
fn print_sessions(user_id: &OwnedUserId, devices: &[DeviceRecord], history: &[SessionUse]) {
    let mut ids: Vec<&OwnedDeviceId> =
        devices.iter().map(|d| &d.device_id).chain(history.iter().map(|h| &h.device_id)).collect();
    ids.sort();
    ids.dedup();
    let deleted = ids.len() - devices.len();
    println!("{user_id}: {} device(s), {deleted} of them deleted", ids.len());
    for device_id in ids {
        match devices.iter().find(|d| &d.device_id == device_id) {
            Some(device) => println!(
                "{device_id}\t{}\tcreated {}\tlast seen {}",
                device.display_name.as_deref().unwrap_or("-"),
                utc(device.created_ts),
                device.last_seen_ts.map_or_else(|| "never".into(), utc),
            ),
            None => println!("{device_id}\t(deleted)"),
        }
        for seen in history.iter().filter(|h| &h.device_id == device_id) {
            println!(
                "\t{}\t{}\tfirst {}\tlast {}",
                seen.ip.as_deref().unwrap_or("-"),
                seen.user_agent.as_deref().unwrap_or("-"),
                utc(seen.first_seen),
                utc(seen.last_seen),
            );
        }
    }
}

/// A timestamp (ms since the epoch) as `YYYY-MM-DD HH:MM:SSZ`, in UTC.
fn utc(millis: u64) -> String {
    let secs = millis / 1000;
    let (days, rem) = (secs / 86_400, secs % 86_400);
    let (year, month, day) = civil_date(days);
    format!("{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02}Z", rem / 3600, rem % 3600 / 60, rem % 60)
}

/// The Gregorian date `days` after 1970-01-01, counted out year by year and month by month.
fn civil_date(mut days: u64) -> (u64, u64, u64) {
    let is_leap = |year: u64| (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400);
    let mut year = 1970;
    loop {
        let length = if is_leap(year) { 366 } else { 365 };
        if days < length {
            break;
        }
        days -= length;
        year += 1;
    }
    let february = if is_leap(year) { 29 } else { 28 };
    let mut month = 1;
    for length in [31, february, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31] {
        if days < length {
            break;
        }
        days -= length;
        month += 1;
    }
    (year, month, days + 1)
}

#[cfg(test)]
mod tests {
    use super::utc;

    #[test]
    fn timestamps_read_as_utc_dates() {
        assert_eq!(utc(0), "1970-01-01 00:00:00Z");
        assert_eq!(utc(951_782_400_000), "2000-02-29 00:00:00Z");
        assert_eq!(utc(1_709_251_199_999), "2024-02-29 23:59:59Z");
        assert_eq!(utc(1_735_689_600_000), "2025-01-01 00:00:00Z");
    }
}
