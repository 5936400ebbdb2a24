//! Push rules: reading the whole ruleset or one rule, creating, deleting, enabling and
//! changing the actions of rules. The rules live in `rempart-core` (`push.rs`).
//!
//! Pushers: listing the caller's (`GET /pushers`) and creating, replacing or deleting one
//! (`POST /pushers/set`). They are stored only; nothing is pushed to gateways yet (see
//! `rempart-core`'s `pushers.rs`).

mod delete_pushrule;
mod get_pushers;
mod get_pushrule;
mod get_pushrule_actions;
mod get_pushrule_enabled;
mod get_pushrules_all;
mod get_pushrules_global_scope;
mod set_pusher;
mod set_pushrule;
mod set_pushrule_actions;
mod set_pushrule_enabled;

use axum::Router;
use rempart_http::{AppState, RouterExt};

pub(crate) fn routes(router: Router<AppState>) -> Router<AppState> {
    router
        .ruma_route(get_pushrules_all::get_pushrules_all)
        .ruma_route(get_pushrules_global_scope::get_pushrules_global_scope)
        .ruma_route(get_pushrule::get_pushrule)
        .ruma_route(set_pushrule::set_pushrule)
        .ruma_route(delete_pushrule::delete_pushrule)
        .ruma_route(get_pushrule_enabled::get_pushrule_enabled)
        .ruma_route(set_pushrule_enabled::set_pushrule_enabled)
        .ruma_route(get_pushrule_actions::get_pushrule_actions)
        .ruma_route(set_pushrule_actions::set_pushrule_actions)
        .ruma_route(get_pushers::get_pushers)
        .ruma_route(set_pusher::set_pusher)
}
