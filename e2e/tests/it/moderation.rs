//! Account moderation as a real client lives it: an operator locks an account through the
//! standard admin endpoint (MSC4323, spec v1.18), and the account's matrix-sdk client — even one
//! waiting in a long-poll `/sync` — gets `M_USER_LOCKED` with `soft_logout: true`; unlocking
//! gives the same session its access back.

use std::time::Duration;

use anyhow::{Context, Result, bail, ensure};
use matrix_sdk::{Client, config::SyncSettings, ruma::api::error::ErrorKind};
use serde_json::{Value, json};

use crate::{
    client::{login, new_user, user_id},
    harness::{TestServer, scenario},
};

/// An admin account made with the command line, as an operator would, logged in.
async fn operator(server: &TestServer) -> Result<Client> {
    let password_file = server.data_dir().join("root-password");
    let password = "an-operator-password-long-enough";
    std::fs::write(&password_file, password)?;
    server.cli(&["create-user", "root", "--admin", "--password-file", &password_file.display().to_string()])?;
    login(server, "root", password).await
}

/// `PUT /_matrix/client/v1/admin/lock/{userId}` with the operator's token.
async fn set_locked(server: &TestServer, operator: &Client, target: &str, locked: bool) -> Result<()> {
    let token = operator.access_token().context("the operator has no token")?;
    let response = reqwest::Client::new()
        .put(format!("{}/_matrix/client/v1/admin/lock/{target}", server.url()))
        .bearer_auth(token)
        .json(&json!({ "locked": locked }))
        .send()
        .await?;
    ensure!(response.status().is_success(), "lock {target}: {} {}", response.status(), response.text().await?);
    Ok(())
}

fn is_user_locked(error: &matrix_sdk::Error) -> bool {
    matches!(error.client_api_error_kind(), Some(ErrorKind::UserLocked))
}

#[tokio::test]
async fn a_locked_account_is_refused_with_soft_logout_even_mid_sync_and_unlocking_restores_it() {
    scenario(async |server| {
        let root = operator(server).await?;
        let alice = new_user(server, "alice").await?;
        alice.sync_once(SyncSettings::default()).await.context("first sync")?;
        let alice_id = user_id("alice").to_string();

        // A long-poll in flight when the lock lands ends at once rather than after its timeout.
        let waiting = {
            let alice = alice.clone();
            tokio::spawn(async move { alice.sync_once(SyncSettings::default().timeout(Duration::from_secs(60))).await })
        };
        tokio::time::sleep(Duration::from_millis(300)).await;
        set_locked(server, &root, &alice_id, true).await?;
        let ended = tokio::time::timeout(Duration::from_secs(20), waiting)
            .await
            .context("the long-poll did not end after the lock")??;
        match ended {
            Ok(_) => bail!("the in-flight sync of a locked account succeeded"),
            Err(error) => ensure!(is_user_locked(&error), "expected M_USER_LOCKED, got {error:?}"),
        }

        match alice.whoami().await {
            Ok(_) => bail!("a locked account's token still works"),
            Err(error) => ensure!(
                matches!(error.as_client_api_error().and_then(|e| e.error_kind()), Some(ErrorKind::UserLocked)),
                "expected M_USER_LOCKED, got {error:?}"
            ),
        }
        // The body says the session is only soft-logged-out: the client keeps its keys and
        // can resume once the account is unlocked.
        let token = alice.access_token().context("alice has no token")?;
        let raw: Value = reqwest::Client::new()
            .get(format!("{}/_matrix/client/v3/account/whoami", server.url()))
            .bearer_auth(token)
            .send()
            .await?
            .json()
            .await?;
        ensure!(raw["errcode"] == "M_USER_LOCKED" && raw["soft_logout"] == true, "whoami answered {raw}");

        set_locked(server, &root, &alice_id, false).await?;
        let whoami = alice.whoami().await.context("whoami after unlocking")?;
        ensure!(whoami.user_id == user_id("alice"), "whoami says {}", whoami.user_id);
        alice.sync_once(SyncSettings::default()).await.context("sync after unlocking")?;
        Ok(())
    })
    .await;
}
