//! `GET /_synapse/admin/v1/users/{userId}/media`: a user's files, newest first, paginated with
//! `from` and `limit` as in Synapse.

use rempart_http::{ApiResult, AppState, Ruma};
use ruma::UInt;

use crate::require_admin;

/// The endpoint's types.
pub mod api {
    use ruma::{
        OwnedUserId, UInt,
        api::{auth_scheme::AccessToken, request, response},
        metadata,
    };
    use serde::Serialize;

    metadata! {
        method: GET,
        rate_limited: false,
        authentication: AccessToken,
        history: {
            unstable => "/_synapse/admin/v1/users/{user_id}/media",
        }
    }

    /// List a user's files.
    #[request]
    pub struct Request {
        /// The user.
        #[ruma_api(path)]
        pub user_id: OwnedUserId,
        /// How many to skip.
        #[ruma_api(query)]
        pub from: Option<UInt>,
        /// How many to return at most (default 100).
        #[ruma_api(query)]
        pub limit: Option<UInt>,
    }

    /// One file, with Synapse's field names.
    #[derive(Debug, Clone, Serialize, serde::Deserialize)]
    pub struct MediaInfo {
        /// The media id.
        pub media_id: String,
        /// Content type; absent while an asynchronous upload waits for its content.
        pub media_type: Option<String>,
        /// Size in bytes.
        pub media_length: UInt,
        /// The uploader's file name.
        pub upload_name: Option<String>,
        /// Upload time, milliseconds since the epoch.
        pub created_ts: UInt,
        /// Who quarantined it; Rempart records the operator in the audit log, so this only
        /// says whether it is quarantined.
        pub quarantined_by: Option<String>,
        /// Kept for Synapse compatibility; always false.
        pub safe_from_quarantine: bool,
    }

    /// A page of files.
    #[response]
    pub struct Response {
        /// The files.
        pub media: Vec<MediaInfo>,
        /// Where the next page starts, if there is one.
        #[serde(skip_serializing_if = "Option::is_none")]
        pub next_token: Option<UInt>,
        /// How many files the user has.
        pub total: UInt,
    }
}

const DEFAULT_LIMIT: u64 = 100;

pub(crate) async fn user_media(state: AppState, request: Ruma<api::Request>) -> ApiResult<api::Response> {
    let admin = require_admin(request.identity()?)?;
    state.record_admin_action(admin.user_id.as_str(), "user.read_media", &request.user_id);
    let from = request.from.map_or(0, u64::from);
    let limit = request.limit.map_or(DEFAULT_LIMIT, u64::from).min(1_000);
    let (files, total) = state.media.user_media(&request.user_id, from, limit)?;
    let to_uint = |n: u64| UInt::try_from(n).unwrap_or(UInt::MAX);
    let next = from + files.len() as u64;
    let media = files
        .into_iter()
        .map(|file| api::MediaInfo {
            media_id: file.media_id,
            media_type: file.content.as_ref().map(|c| c.content_type.clone()),
            media_length: to_uint(file.content.as_ref().map_or(0, |c| c.size)),
            upload_name: file.content.and_then(|c| c.file_name),
            created_ts: to_uint(file.created_ts),
            quarantined_by: file.quarantined.then(|| "admin".to_owned()),
            safe_from_quarantine: false,
        })
        .collect();
    Ok(api::Response { media, next_token: (next < total).then(|| to_uint(next)), total: to_uint(total) })
}
