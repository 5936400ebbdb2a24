//! Account registration, login and session management.

mod change_password;
mod deactivate;
mod login;
mod login_flows;
mod logout;
mod logout_all;
mod password_policy;
mod register;
mod register_available;
mod whoami;

use axum::Router;
use rempart_http::{AppState, RouterExt};

pub(crate) fn routes(router: Router<AppState>) -> Router<AppState> {
    router
        .ruma_route(register::register)
        .ruma_route(register_available::register_available)
        .ruma_route(login_flows::login_flows)
        .ruma_route(login::login)
        .ruma_route(logout::logout)
        .ruma_route(logout_all::logout_all)
        .ruma_route(whoami::whoami)
        .ruma_route(change_password::change_password)
        .ruma_route(password_policy::password_policy)
        .ruma_route(deactivate::deactivate)
}
