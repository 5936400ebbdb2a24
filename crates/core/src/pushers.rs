//! Pushers: the places a user asks to have notifications pushed to (`GET /pushers`,
//! `POST /pushers/set`), kept per user and per device.
//!
//! A pusher is identified by its `app_id` and `pushkey`. Setting one the user already has
//! replaces it; unless the client sets `append`, it is also taken away from every other user
//! who had it (a device that changes hands stops receiving the previous owner's
//! notifications). `kind: null` deletes it. Each pusher belongs to the device of the access
//! token that set it and is deleted with that device (logout, device deletion, deactivation).
//!
//! Only `http` and `email` pushers are accepted. An `http` pusher's `data.url` must be an
//! `https://` or `http://` URL ending with `/_matrix/push/v1/notify`, the path the Push Gateway
//! API gives; the other keys of `data` (`format`, anything else) are kept as sent and given
//! back by `GET /pushers`.
//!
//! **Pushers are stored, not used.** Nothing here delivers notifications: Rempart does not
//! contact push gateways or send email. The platform is closed, and whether (and to which
//! gateways) it may push is left to a later issue; until then a pusher is only a record the
//! client can read back and delete.

use rempart_storage::PusherRecord;
use ruma::{DeviceId, UserId, api::client::push::Pusher};
use serde_json::{Map, Value};

use crate::{CoreError, Result, Services};

/// The longest `pushkey` the spec allows, in bytes.
pub const MAX_PUSHKEY_BYTES: usize = 512;

/// The longest `app_id` the spec allows, in characters.
pub const MAX_APP_ID_CHARS: usize = 64;

/// The path every push gateway URL ends with (Push Gateway API, `POST /_matrix/push/v1/notify`).
pub const PUSH_GATEWAY_PATH: &str = "/_matrix/push/v1/notify";

/// A pusher as a client sets it.
#[derive(Debug, Clone)]
pub struct NewPusher {
    /// Reverse-DNS identifier of the application, at most [`MAX_APP_ID_CHARS`] characters.
    pub app_id: String,
    /// The application's identifier for the device, at most [`MAX_PUSHKEY_BYTES`] bytes.
    pub pushkey: String,
    /// `http` or `email`.
    pub kind: String,
    /// Shown to the user to identify the application.
    pub app_display_name: String,
    /// Shown to the user to identify the device.
    pub device_display_name: String,
    /// Which set of device-specific push rules applies.
    pub profile_tag: Option<String>,
    /// Preferred language of notifications.
    pub lang: String,
    /// The pusher's `data` object.
    pub data: Map<String, Value>,
}

fn invalid(message: impl Into<String>) -> CoreError {
    CoreError::InvalidParam(message.into())
}

/// Checks the identifiers of a pusher (also those of a deletion, which name no pusher when too
/// long).
fn check_ids(app_id: &str, pushkey: &str) -> Result<()> {
    if pushkey.len() > MAX_PUSHKEY_BYTES {
        return Err(invalid(format!("pushkey is longer than {MAX_PUSHKEY_BYTES} bytes")));
    }
    if app_id.chars().count() > MAX_APP_ID_CHARS {
        return Err(invalid(format!("app_id is longer than {MAX_APP_ID_CHARS} characters")));
    }
    Ok(())
}

/// Whether `url` starts with `scheme` (`https://`, ...), ignoring ASCII case as URLs do.
fn has_scheme(url: &str, scheme: &str) -> bool {
    url.get(..scheme.len()).is_some_and(|prefix| prefix.eq_ignore_ascii_case(scheme))
}

/// Checks an `http` pusher's gateway URL: `http(s)://host[:port][/prefix]/_matrix/push/v1/notify`,
/// with no query, fragment, whitespace or control characters.
fn check_gateway_url(url: &str) -> Result<()> {
    let rest = ["https://", "http://"]
        .into_iter()
        .find(|scheme| has_scheme(url, scheme))
        .and_then(|scheme| url.get(scheme.len()..))
        .ok_or_else(|| invalid("data.url must be an https:// or http:// URL"))?;
    let authority = rest.split('/').next().unwrap_or_default();
    let well_formed =
        !authority.is_empty() && !url.contains(['?', '#']) && !url.chars().any(|c| c.is_whitespace() || c.is_control());
    if !well_formed || !rest.ends_with(PUSH_GATEWAY_PATH) {
        return Err(invalid(format!("data.url must be a push gateway URL ending with {PUSH_GATEWAY_PATH}")));
    }
    Ok(())
}

/// Checks what a pusher's kind requires of its `data`.
fn check_data(kind: &str, data: &Map<String, Value>) -> Result<()> {
    match kind {
        "http" => {
            match data.get("url") {
                Some(Value::String(url)) => check_gateway_url(url)?,
                Some(_) => return Err(invalid("data.url must be a string")),
                None => return Err(invalid("http pushers need data.url")),
            }
            if data.get("format").is_some_and(|format| !format.is_string()) {
                return Err(invalid("data.format must be a string"));
            }
            Ok(())
        }
        "email" => Ok(()),
        other => Err(invalid(format!("unsupported pusher kind {other:?}; use http or email"))),
    }
}

/// The spec's pusher object for a stored record.
fn to_pusher(record: PusherRecord) -> Result<Pusher> {
    let PusherRecord { app_id, pushkey, kind, app_display_name, device_display_name, profile_tag, lang, data, .. } =
        record;
    let mut object = serde_json::json!({
        "app_id": app_id,
        "pushkey": pushkey,
        "kind": kind,
        "app_display_name": app_display_name,
        "device_display_name": device_display_name,
        "lang": lang,
        "data": data,
    });
    if let (Some(tag), Some(map)) = (profile_tag, object.as_object_mut()) {
        map.insert("profile_tag".into(), tag.into());
    }
    serde_json::from_value(object).map_err(|e| CoreError::Internal(format!("stored pusher does not parse: {e}")))
}

impl Services {
    /// The user's pushers, ordered by `app_id` then `pushkey`.
    pub fn pushers(&self, user_id: &UserId) -> Result<Vec<Pusher>> {
        self.store.pushers(user_id)?.into_iter().map(to_pusher).collect()
    }

    /// Creates or replaces one of the user's pushers, owned by `device_id`; unless `append`,
    /// other users lose their pusher with the same `app_id` and `pushkey`.
    pub fn set_pusher(&self, user_id: &UserId, device_id: &DeviceId, pusher: NewPusher, append: bool) -> Result<()> {
        check_ids(&pusher.app_id, &pusher.pushkey)?;
        check_data(&pusher.kind, &pusher.data)?;
        let NewPusher { app_id, pushkey, kind, app_display_name, device_display_name, profile_tag, lang, data } =
            pusher;
        let record = PusherRecord {
            user_id: user_id.to_owned(),
            device_id: device_id.to_owned(),
            app_id,
            pushkey,
            kind,
            app_display_name,
            device_display_name,
            profile_tag,
            lang,
            data: Value::Object(data),
        };
        if self.store.set_pusher(&record, append)? {
            Ok(())
        } else {
            // The device, and with it the access token, was deleted since the request was
            // authenticated.
            Err(CoreError::UnknownToken)
        }
    }

    /// Deletes one of the user's pushers; deleting one that does not exist succeeds.
    pub fn delete_pusher(&self, user_id: &UserId, app_id: &str, pushkey: &str) -> Result<()> {
        check_ids(app_id, pushkey)?;
        self.store.delete_pusher(user_id, app_id, pushkey)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gateway_urls() {
        for good in [
            "https://push.example.org/_matrix/push/v1/notify",
            "http://localhost:5000/_matrix/push/v1/notify",
            "HTTPS://push.example.org/sygnal/_matrix/push/v1/notify",
            "https://[::1]:8443/_matrix/push/v1/notify",
        ] {
            assert!(check_gateway_url(good).is_ok(), "{good}");
        }
        for bad in [
            "",
            "https://",
            "push.example.org/_matrix/push/v1/notify",
            "ftp://push.example.org/_matrix/push/v1/notify",
            "https:///_matrix/push/v1/notify",
            "https://push.example.org/",
            "https://push.example.org/_matrix/push/v1/notify/",
            "https://push.example.org/_matrix/push/v1/notify?x=1",
            "https://push.example.org/?x=/_matrix/push/v1/notify",
            "https://push.example.org#/_matrix/push/v1/notify",
            "https://push example.org/_matrix/push/v1/notify",
            "https://push.example.org/_matrix/push/v1/notify\n",
            "h\u{e9}tps://push.example.org/_matrix/push/v1/notify",
        ] {
            assert!(matches!(check_gateway_url(bad), Err(CoreError::InvalidParam(_))), "{bad:?}");
        }
    }

    #[test]
    fn identifier_limits() {
        assert!(check_ids(&"a".repeat(MAX_APP_ID_CHARS), &"k".repeat(MAX_PUSHKEY_BYTES)).is_ok());
        assert!(check_ids(&"\u{e9}".repeat(MAX_APP_ID_CHARS), "k").is_ok(), "app_id counts characters");
        assert!(check_ids(&"a".repeat(MAX_APP_ID_CHARS + 1), "k").is_err());
        assert!(check_ids("a", &"\u{e9}".repeat(MAX_PUSHKEY_BYTES / 2 + 1)).is_err(), "pushkey counts bytes");
    }
}
