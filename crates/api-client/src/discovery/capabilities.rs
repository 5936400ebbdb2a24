//! `GET /_matrix/client/v3/capabilities`

use std::collections::BTreeMap;

use rempart_http::{ApiResult, AppState, Ruma};
use ruma::{
    RoomVersionId,
    api::client::discovery::get_capabilities::{
        self,
        v3::{AccountModerationCapability, Capabilities, RoomVersionStability, RoomVersionsCapability},
    },
};

pub(crate) async fn get_capabilities(
    state: AppState,
    request: Ruma<get_capabilities::v3::Request>,
) -> ApiResult<get_capabilities::v3::Response> {
    let available: BTreeMap<RoomVersionId, RoomVersionStability> =
        rempart_state::SUPPORTED_VERSIONS.iter().map(|v| (v.clone(), RoomVersionStability::Stable)).collect();
    let mut capabilities = Capabilities::new();
    capabilities.room_versions = RoomVersionsCapability::new(state.config.rooms.default_version.clone(), available);
    capabilities.change_password.enabled = true;
    // Deprecated since v1.16 in favour of profile_fields, but clients predating it still read
    // these two.
    #[allow(deprecated)]
    {
        capabilities.set_displayname.enabled = true;
        capabilities.set_avatar_url.enabled = true;
    }
    capabilities.thirdparty_id_changes.enabled = false;
    // MSC4323: only admins may lock and suspend accounts, so only they are told they can.
    if request.identity.as_ref().is_some_and(|identity| identity.is_admin) {
        capabilities.account_moderation = AccountModerationCapability::new(true, true);
        capabilities
            .set("uk.timedout.msc4323", serde_json::json!({ "suspend": true, "lock": true }))
            .map_err(|e| rempart_core::CoreError::Internal(format!("capability: {e}")))?;
    }
    Ok(get_capabilities::v3::Response::new(capabilities))
}
