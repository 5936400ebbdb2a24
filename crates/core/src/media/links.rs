//! Which local files an event links: the references the server can see in its content (`url`,
//! `info.thumbnail_url`, `file.url`, `info.thumbnail_file.url`, a member's `avatar_url`, and the
//! same inside an edit's `m.new_content`) plus the files a client attaches explicitly (MSC3911's
//! `attach_media`, for encrypted rooms where the reference is inside the ciphertext).
//!
//! A link is recorded only when the sender may read the file already: otherwise anyone who
//! learned a media id could post it into a room of their own and read it from there.

use rempart_storage::Storage;
use ruma::{ServerName, UserId};
use serde_json::Value;

use super::access;
use crate::{CoreError, Result};

/// The JSON paths, from the content root, where events carry `mxc://` URIs.
const REFERENCE_PATHS: &[&[&str]] =
    &[&["url"], &["info", "thumbnail_url"], &["file", "url"], &["info", "thumbnail_file", "url"], &["avatar_url"]];

fn lookup<'a>(content: &'a Value, path: &[&str]) -> Option<&'a str> {
    path.iter().try_fold(content, |value, key| value.get(key)).and_then(Value::as_str)
}

/// Every `mxc://` URI an event's content references, edits included.
pub fn referenced_uris(content: &Value) -> Vec<&str> {
    let edited = content.get("m.new_content");
    [Some(content), edited]
        .into_iter()
        .flatten()
        .flat_map(|content| REFERENCE_PATHS.iter().filter_map(move |path| lookup(content, path)))
        .filter(|uri| uri.starts_with("mxc://"))
        .collect()
}

/// The media id of a URI naming a file of this server; `None` for other servers' files and for
/// URIs that are not `mxc://server/id`.
pub fn local_media_id<'a>(server_name: &ServerName, uri: &'a str) -> Option<&'a str> {
    let (server, media_id) = uri.strip_prefix("mxc://")?.split_once('/')?;
    (server == server_name.as_str() && rempart_media::names::is_valid_media_id(media_id)).then_some(media_id)
}

/// The files an event from `sender` links: those referenced in `content` that the sender may
/// read (others are silently not linked: the event is still sent, it just grants nothing), and
/// every explicitly attached one, which must be a readable local file (`M_NOT_FOUND` otherwise,
/// without saying whether it exists).
pub fn links_for_event(
    store: &dyn Storage,
    server_name: &ServerName,
    sender: &UserId,
    content: &Value,
    attached: &[String],
) -> Result<Vec<String>> {
    let mut links: Vec<String> = Vec::new();
    for uri in attached {
        let media_id = local_media_id(server_name, uri)
            .ok_or_else(|| CoreError::InvalidParam(format!("{uri} is not an mxc:// URI of a file of this server")))?;
        if !readable(store, server_name, sender, media_id)? {
            return Err(CoreError::NotFound(format!("no such file: {uri}")));
        }
        if !links.iter().any(|link| link == media_id) {
            links.push(media_id.to_owned());
        }
    }
    for uri in referenced_uris(content) {
        let Some(media_id) = local_media_id(server_name, uri) else { continue };
        if !links.iter().any(|link| link == media_id) && readable(store, server_name, sender, media_id)? {
            links.push(media_id.to_owned());
        }
    }
    Ok(links)
}

/// Whether `user` may link a file: the uploader always (a file reserved for an asynchronous
/// upload may be posted before its bytes arrive), anyone else when they may read it through a
/// post or an avatar. Reading it only through the encrypted-room fallback is not enough: linking
/// would turn the fallback off for everyone else and re-share the file to a new room.
fn readable(store: &dyn Storage, server_name: &ServerName, user: &UserId, media_id: &str) -> Result<bool> {
    let Some(media) = store.get_media(media_id)? else { return Ok(false) };
    if media.quarantined {
        return Ok(false);
    }
    if media.uploader == user {
        return Ok(true);
    }
    Ok(media.content.is_some()
        && matches!(
            access::grant(store, server_name, user, &media)?,
            Some(access::Grant::Event(_) | access::Grant::ProfileAvatar | access::Grant::RoomAvatar(_))
        ))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn finds_references_in_every_known_place() {
        let content = json!({
            "url": "mxc://a/1",
            "info": { "thumbnail_url": "mxc://a/2", "thumbnail_file": { "url": "mxc://a/3" } },
            "file": { "url": "mxc://a/4" },
            "m.new_content": { "url": "mxc://a/5" },
            "avatar_url": "https://not-mxc",
            "body": "mxc://a/6",
        });
        assert_eq!(referenced_uris(&content), ["mxc://a/1", "mxc://a/2", "mxc://a/4", "mxc://a/3", "mxc://a/5"]);
    }

    #[test]
    fn only_local_well_formed_ids_are_links() {
        let server = ruma::server_name!("shard.test");
        assert_eq!(local_media_id(server, "mxc://shard.test/abc_DEF-1"), Some("abc_DEF-1"));
        assert_eq!(local_media_id(server, "mxc://other.test/abc"), None);
        assert_eq!(local_media_id(server, "mxc://shard.test/../etc"), None);
        assert_eq!(local_media_id(server, "mxc://shard.test/"), None);
        assert_eq!(local_media_id(server, "https://shard.test/abc"), None);
    }
}
