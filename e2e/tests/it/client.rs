//! `matrix-sdk` clients for tests: building them, registering accounts and logging in.
//!
//! Registration follows the spec's user-interactive authentication: the first `POST /register`
//! answers 401 with the flows and a session, the second one completes the `m.login.dummy` stage.

use std::time::Duration;

use anyhow::{Context, Result, ensure};
use matrix_sdk::{
    Client,
    config::RequestConfig,
    ruma::{
        OwnedRoomId, OwnedUserId, UserId,
        api::client::{
            account::register::v3::{Request as RegistrationRequest, Response as RegistrationResponse},
            room::create_room::v3::{Request as CreateRoomRequest, RoomPreset},
            uiaa::{AuthData, AuthType, Dummy},
        },
    },
};

use crate::harness::{SERVER_NAME, TestServer};

/// Timeout of one HTTP request (a sync adds its long-poll time on top of this).
const REQUEST_TIMEOUT: Duration = Duration::from_secs(20);

/// A client that is not logged in yet. Retries are disabled: a failing request fails the test
/// at once, with the server's answer, instead of being hidden behind a back-off.
pub async fn new_client(server: &TestServer) -> Result<Client> {
    Client::builder()
        .homeserver_url(server.url())
        .request_config(RequestConfig::new().disable_retry().timeout(REQUEST_TIMEOUT))
        .build()
        .await
        .context("building the matrix-sdk client")
}

/// The password every test account uses.
pub fn password_for(username: &str) -> String {
    format!("{username}-correct-horse-battery-staple")
}

/// The full user ID of a local user, e.g. `@alice:localhost`.
pub fn user_id(username: &str) -> OwnedUserId {
    UserId::parse(format!("@{username}:{SERVER_NAME}")).expect("valid user ID")
}

/// A `POST /register` body for `username`, with the given UIA `auth` stage (or none).
pub fn registration_request(username: &str, password: &str, auth: Option<AuthData>) -> RegistrationRequest {
    let mut request = RegistrationRequest::new();
    request.username = Some(username.to_owned());
    request.password = Some(password.to_owned());
    request.initial_device_display_name = Some(format!("{username}'s registration device"));
    request.auth = auth;
    request
}

/// The `m.login.dummy` UIA stage, continuing `session`.
pub fn dummy_auth(session: Option<String>) -> AuthData {
    let mut dummy = Dummy::new();
    dummy.session = session;
    AuthData::Dummy(dummy)
}

/// Registers `username` through UIA with `m.login.dummy`. On success the SDK logs `client` in
/// with the access token from the response.
pub async fn register(client: &Client, username: &str, password: &str) -> Result<RegistrationResponse> {
    let auth = client.matrix_auth();
    let session = match auth.register(registration_request(username, password, None)).await {
        // A server may accept the registration without any stage; nothing more to do then.
        Ok(response) => return Ok(response),
        Err(error) => {
            let info = error
                .as_uiaa_response()
                .with_context(|| format!("registering {username}: expected a 401 UIA answer, got {error:?}"))?;
            ensure!(
                info.flows.iter().any(|flow| flow.stages == [AuthType::Dummy]),
                "registering {username}: no flow made only of m.login.dummy in {:?}",
                info.flows
            );
            info.session.clone()
        }
    };
    auth.register(registration_request(username, password, Some(dummy_auth(session))))
        .await
        .with_context(|| format!("registering {username} with m.login.dummy"))
}

/// Logs `username` in with its password on a new client.
pub async fn login(server: &TestServer, username: &str, password: &str) -> Result<Client> {
    let client = new_client(server).await?;
    client
        .matrix_auth()
        .login_username(username, password)
        .initial_device_display_name(&format!("{username}'s e2e device"))
        .send()
        .await
        .with_context(|| format!("logging {username} in with a password"))?;
    Ok(client)
}

/// Registers `username` (on a throw-away client) and returns a fresh client logged in with the
/// password: the way a user signs up in one app and then signs in in another.
pub async fn new_user(server: &TestServer, username: &str) -> Result<Client> {
    let password = password_for(username);
    let registrar = new_client(server).await?;
    register(&registrar, username, &password).await?;
    login(server, username, &password).await
}

/// `POST /createRoom` with the `private_chat` preset (join rule `invite`), unencrypted.
pub async fn create_private_room(client: &Client, name: &str) -> Result<OwnedRoomId> {
    let mut request = CreateRoomRequest::new();
    request.name = Some(name.to_owned());
    request.preset = Some(RoomPreset::PrivateChat);
    let room = client.create_room(request).await.context("creating a private room")?;
    Ok(room.room_id().to_owned())
}
