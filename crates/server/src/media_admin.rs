//! `rempart media ...`: quarantine, delete and list files straight from the database, for when
//! the server is down or the operator has no admin token. Actions are recorded in the audit
//! log with `cli` as the actor.

use rempart_core::Services;
use rempart_types::config::Config;
use ruma::OwnedUserId;

use crate::{build_services, cli::MediaCommand};

/// The actor recorded for command-line actions.
const CLI_ACTOR: &str = "cli";

/// A media id given either bare or as an `mxc://` URI of this shard.
fn media_id<'a>(services: &Services, media: &'a str) -> Result<&'a str, String> {
    match media.strip_prefix("mxc://") {
        None => Ok(media),
        Some(rest) => match rest.split_once('/') {
            Some((server, id)) if server == services.config.server_name.as_str() => Ok(id),
            _ => Err(format!("{media} is not a file of {}", services.config.server_name)),
        },
    }
}

/// Runs one media command; what it prints is for people.
pub fn run(config: Config, action: MediaCommand) -> Result<(), String> {
    let services = build_services(config).map_err(|e| e.to_string())?;
    match action {
        MediaCommand::Quarantine { media } => {
            services.media.set_quarantined(CLI_ACTOR, media_id(&services, &media)?, true).map_err(|e| e.to_string())?;
            println!("quarantined {media}");
        }
        MediaCommand::Unquarantine { media } => {
            services
                .media
                .set_quarantined(CLI_ACTOR, media_id(&services, &media)?, false)
                .map_err(|e| e.to_string())?;
            println!("released {media} from quarantine");
        }
        MediaCommand::Delete { media } => {
            let id = media_id(&services, &media)?;
            let runtime =
                tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(|e| e.to_string())?;
            runtime.block_on(services.media.delete(CLI_ACTOR, id)).map_err(|e| e.to_string())?;
            println!("deleted {media}");
        }
        MediaCommand::List { user_id, from, limit } => {
            let user_id =
                OwnedUserId::try_from(user_id.as_str()).map_err(|e| format!("invalid user id {user_id}: {e}"))?;
            let (files, total) = services.media.user_media(&user_id, from, limit).map_err(|e| e.to_string())?;
            println!("{total} file(s) uploaded by {user_id}");
            for file in files {
                let (size, kind, name) = match &file.content {
                    Some(c) => (c.size.to_string(), c.content_type.as_str(), c.file_name.as_deref().unwrap_or("")),
                    None => ("-".into(), "(awaiting upload)", ""),
                };
                let flag = if file.quarantined { " QUARANTINED" } else { "" };
                println!("{}\t{}\t{size}\t{kind}\t{name}{flag}", file.media_id, file.created_ts);
            }
        }
    }
    Ok(())
}
