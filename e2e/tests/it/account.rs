//! Accounts: registration through user-interactive authentication, password login, `whoami`,
//! a taken user name, a wrong password and logout.

use anyhow::{Context, bail, ensure};
use matrix_sdk::ruma::api::{client::uiaa::AuthType, error::ErrorKind};

use crate::{
    client::{dummy_auth, login, new_client, new_user, password_for, registration_request, user_id},
    harness::scenario,
};

/// Spec: `POST /register` is protected by UIA; without `auth` it answers 401 with the flows and a
/// session; completing `m.login.dummy` creates the account and logs the registering client in.
/// The account can then log in with its password, by localpart or by full user ID.
#[tokio::test]
async fn register_with_dummy_stage_then_log_in_with_password() {
    scenario(async |server| {
        let client = new_client(server).await?;
        let password = password_for("alice");

        let error = match client.matrix_auth().register(registration_request("alice", &password, None)).await {
            Ok(response) => bail!("POST /register without auth created {} with no UIA", response.user_id),
            Err(error) => error,
        };
        let info = error.as_uiaa_response().with_context(|| format!("expected a 401 UIA answer, got {error:?}"))?;
        ensure!(
            info.flows.iter().any(|flow| flow.stages == [AuthType::Dummy]),
            "open registration must offer a flow made only of m.login.dummy, got {:?}",
            info.flows
        );
        let session = info.session.clone().context("the UIA answer carries no session")?;

        let registered = client
            .matrix_auth()
            .register(registration_request("alice", &password, Some(dummy_auth(Some(session)))))
            .await
            .context("completing m.login.dummy")?;
        ensure!(registered.user_id == user_id("alice"), "registered as {}", registered.user_id);
        ensure!(registered.access_token.is_some(), "no access token after registration");
        let registration_device = registered.device_id.context("no device ID after registration")?;

        let whoami = client.whoami().await.context("whoami with the registration token")?;
        ensure!(whoami.user_id == user_id("alice"), "whoami says {}", whoami.user_id);
        ensure!(whoami.device_id.as_ref() == Some(&registration_device), "whoami device {:?}", whoami.device_id);

        let by_localpart = login(server, "alice", &password).await?;
        let whoami = by_localpart.whoami().await.context("whoami after password login")?;
        ensure!(whoami.user_id == user_id("alice"), "whoami says {}", whoami.user_id);
        ensure!(
            whoami.device_id.is_some() && whoami.device_id.as_ref() != Some(&registration_device),
            "a new login must get a new device, got {:?}",
            whoami.device_id
        );

        let by_user_id = login(server, "@alice:localhost", &password).await?;
        let whoami = by_user_id.whoami().await.context("whoami after login by full user ID")?;
        ensure!(whoami.user_id == user_id("alice"), "whoami says {}", whoami.user_id);
        Ok(())
    })
    .await;
}

/// Spec: registering a user name that exists fails with `M_USER_IN_USE` (before or after UIA).
#[tokio::test]
async fn taken_user_name_is_refused() {
    scenario(async |server| {
        new_user(server, "alice").await?;
        let client = new_client(server).await?;
        let request = registration_request("alice", "another password", None);
        let error = match client.matrix_auth().register(request).await {
            Ok(response) => bail!("registered {} a second time", response.user_id),
            Err(error) => error,
        };
        let error = match error.as_uiaa_response() {
            Some(info) => {
                let auth = Some(dummy_auth(info.session.clone()));
                match client.matrix_auth().register(registration_request("alice", "another password", auth)).await {
                    Ok(response) => bail!("registered {} a second time", response.user_id),
                    Err(error) => error,
                }
            }
            None => error,
        };
        ensure!(error.client_api_error_kind() == Some(&ErrorKind::UserInUse), "expected M_USER_IN_USE, got {error:?}");
        Ok(())
    })
    .await;
}

/// Spec: a wrong password is refused with 403 `M_FORBIDDEN`, and so is an unknown user.
#[tokio::test]
async fn wrong_password_is_refused() {
    scenario(async |server| {
        new_user(server, "alice").await?;
        for (username, password) in [("alice", "not the password"), ("nobody", "whatever")] {
            let client = new_client(server).await?;
            let result = client.matrix_auth().login_username(username, password).send().await;
            let error = match result {
                Ok(response) => bail!("{username} logged in with a wrong password as {}", response.user_id),
                Err(error) => error,
            };
            ensure!(
                error.client_api_error_kind() == Some(&ErrorKind::Forbidden),
                "login of {username} with a wrong password: expected M_FORBIDDEN, got {error:?}"
            );
        }
        Ok(())
    })
    .await;
}

/// Spec: after `POST /logout` the access token is dead: requests with it get 401
/// `M_UNKNOWN_TOKEN`. Other sessions of the same account keep working.
#[tokio::test]
async fn logout_invalidates_the_access_token() {
    scenario(async |server| {
        let alice = new_user(server, "alice").await?;
        let other_session = login(server, "alice", &password_for("alice")).await?;
        alice.whoami().await.context("whoami before logout")?;

        alice.matrix_auth().logout().await.context("logging out")?;
        let error = match alice.whoami().await {
            Ok(whoami) => bail!("whoami still answers after logout: {whoami:?}"),
            Err(error) => error,
        };
        ensure!(
            matches!(error.client_api_error_kind(), Some(ErrorKind::UnknownToken(_))),
            "expected M_UNKNOWN_TOKEN after logout, got {error:?}"
        );

        let whoami = other_session.whoami().await.context("whoami on the other session")?;
        ensure!(whoami.user_id == user_id("alice"), "whoami says {}", whoami.user_id);
        Ok(())
    })
    .await;
}
