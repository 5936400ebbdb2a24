//! The client-server API: one file per endpoint, grouped in modules the way the spec groups
//! them. Handlers translate between ruma's typed requests and `rempart-core` services and hold
//! no business logic of their own.

mod account;
mod account_data;
mod alias;
mod backup;
mod device;
mod directory;
mod discovery;
mod filter;
mod keys;
mod media;
mod membership;
mod presence;
mod profile;
mod push;
mod receipt;
mod rooms;
mod search;
mod sync;
mod to_device;
mod typing;
mod user_directory;
mod util;

use axum::Router;
use rempart_http::AppState;

/// Every client-server route, ready for [`rempart_http::finish_router`].
pub fn routes() -> Router<AppState> {
    let groups: [fn(Router<AppState>) -> Router<AppState>; 21] = [
        discovery::routes,
        account::routes,
        device::routes,
        profile::routes,
        rooms::routes,
        membership::routes,
        alias::routes,
        directory::routes,
        sync::routes,
        filter::routes,
        account_data::routes,
        typing::routes,
        receipt::routes,
        presence::routes,
        user_directory::routes,
        push::routes,
        search::routes,
        keys::routes,
        to_device::routes,
        backup::routes,
        media::routes,
    ];
    groups.into_iter().fold(Router::new(), |router, add| add(router))
}
