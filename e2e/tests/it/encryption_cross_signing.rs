//! Cross-signing without interactive verification: keys uploaded with
//! `/keys/device_signing/upload`, signatures with `/keys/signatures/upload`, both served back by
//! `/keys/query` and announced through `device_lists` in `/sync`.

use anyhow::{Context, Result, bail, ensure};
use matrix_sdk::{
    Client,
    encryption::CrossSigningResetAuthType,
    ruma::{UserId, api::client::uiaa::AuthType},
};
use serde_json::Value as JsonValue;

use crate::{
    client::user_id,
    e2ee::{
        bootstrap_cross_signing, device, e2ee_user, ids, new_device, password_auth, poll_with_sync, query_keys,
        server_device_keys, wait_for_device,
    },
    harness::scenario_with_platform_defaults,
};

/// Alice bootstraps cross-signing on her first device: the server returns her master,
/// self-signing and user-signing keys, and her first device is signed. She logs in on a second
/// device and signs it with her self-signing key: her first device then sees it verified, the
/// second device learns through `/sync` that it is signed, and the server returns the signature.
/// Bob bootstraps his own cross-signing and verifies Alice's identity with his user-signing key:
/// he then sees both of Alice's devices as verified through the chain of signatures.
#[tokio::test]
async fn cross_signing_verifies_devices() {
    scenario_with_platform_defaults(async |server| {
        let alice = e2ee_user(server, "alice").await?;
        let alice_id = user_id("alice");
        bootstrap_cross_signing(&alice, "alice").await?;
        let status = alice.encryption().cross_signing_status().await.context("no cross-signing status")?;
        ensure!(status.is_complete(), "alice's device lacks private cross-signing keys: {status:?}");

        let keys = query_keys(&alice, &alice_id).await?;
        ensure!(keys.master_keys.contains_key(&alice_id), "/keys/query has no master key for alice");
        ensure!(keys.user_signing_keys.contains_key(&alice_id), "/keys/query hides alice's user-signing key from her");
        let self_signing = keys.self_signing_keys.get(&alice_id).context("/keys/query has no self-signing key")?;
        let self_signing: JsonValue = self_signing.deserialize_as()?;
        let self_signing_key_id =
            self_signing["keys"].as_object().and_then(|keys| keys.keys().next().cloned()).context("no key ID")?;
        let (_, alice1_device) = ids(&alice)?;
        ensure_signed_by(&alice, &alice_id, alice1_device.as_str(), &self_signing_key_id).await?;
        verified_by(&alice, &alice_id, alice1_device.as_str()).await?;

        let alice2 = new_device(server, "alice").await?;
        let (_, alice2_device) = ids(&alice2)?;
        wait_for_device(&alice, &alice_id, &alice2_device, true).await?;
        let second = device(&alice, &alice_id, &alice2_device).await?;
        ensure!(!second.is_verified_with_cross_signing(), "the new device is verified before anyone signed it");
        second.verify().await.context("signing the second device with the self-signing key")?;
        ensure_signed_by(&alice, &alice_id, alice2_device.as_str(), &self_signing_key_id).await?;
        verified_by(&alice, &alice_id, alice2_device.as_str()).await?;

        // The second device only re-reads its own keys when `device_lists.changed` says so.
        poll_with_sync(&alice2, "alice's second device seeing itself signed by her self-signing key", async || {
            let own = alice2.encryption().get_own_device().await?.context("no own device")?;
            Ok(own.is_cross_signed_by_owner().then_some(()))
        })
        .await?;

        let bob = e2ee_user(server, "bob").await?;
        bootstrap_cross_signing(&bob, "bob").await?;
        let identity =
            bob.encryption().request_user_identity(&alice_id).await?.context("bob sees no identity of alice")?;
        ensure!(!identity.is_verified(), "bob trusts alice's identity before verifying it");
        identity.verify().await.context("bob signing alice's master key with his user-signing key")?;
        poll_with_sync(&bob, "bob seeing alice's identity verified", async || {
            let identity = bob.encryption().request_user_identity(&alice_id).await?;
            Ok(identity.filter(|identity| identity.is_verified()).map(|_| ()))
        })
        .await?;
        for device_id in [&alice1_device, &alice2_device] {
            let alices = device(&bob, &alice_id, device_id).await?;
            ensure!(alices.is_verified_with_cross_signing(), "bob does not trust alice's device {device_id}");
        }
        Ok(())
    })
    .await;
}

/// The first upload of cross-signing keys needs no user-interactive authentication (spec v1.11),
/// but replacing them does: the SDK's reset gets a 401 with a password flow, completes it, and
/// `/keys/query` then serves the new master key.
#[tokio::test]
async fn replacing_cross_signing_keys_requires_the_password() {
    scenario_with_platform_defaults(async |server| {
        let alice = e2ee_user(server, "alice").await?;
        let alice_id = user_id("alice");
        bootstrap_cross_signing(&alice, "alice").await?;
        let old_master = master_key(&alice, &alice_id).await?;

        let handle = alice
            .encryption()
            .reset_cross_signing()
            .await
            .context("replacing the cross-signing keys")?
            .context("the server replaced alice's cross-signing keys without user-interactive authentication")?;
        let CrossSigningResetAuthType::Uiaa(info) = handle.auth_type() else {
            bail!("expected a UIA answer, got {:?}", handle.auth_type());
        };
        ensure!(
            info.flows.iter().any(|flow| flow.stages == [AuthType::Password]),
            "no m.login.password flow to replace cross-signing keys: {:?}",
            info.flows
        );
        ensure!(master_key(&alice, &alice_id).await? == old_master, "the master key changed before authentication");
        handle.auth(Some(password_auth("alice", info))).await.context("completing m.login.password")?;
        let new_master = master_key(&alice, &alice_id).await?;
        ensure!(new_master != old_master, "/keys/query still serves the old master key {old_master}");
        Ok(())
    })
    .await;
}

/// The public master key of `user` that `/keys/query` returns.
async fn master_key(client: &Client, user: &UserId) -> Result<JsonValue> {
    let keys = query_keys(client, user).await?;
    let master = keys.master_keys.get(user).with_context(|| format!("/keys/query has no master key for {user}"))?;
    Ok(master.deserialize_as::<JsonValue>()?["keys"].clone())
}

/// Checks that `/keys/query` returns `device` of `user` with a signature by `key_id`.
async fn ensure_signed_by(client: &Client, user: &UserId, device: &str, key_id: &str) -> Result<()> {
    let devices = server_device_keys(client, user).await?;
    let keys = devices.iter().find(|(id, _)| id.as_str() == device).map(|(_, keys)| keys);
    let keys = keys.with_context(|| format!("/keys/query does not return {user}'s device {device}"))?;
    let signatures = &keys["signatures"][user.as_str()];
    ensure!(signatures.get(key_id).is_some(), "{user}'s device {device} is not signed by {key_id}: {signatures}");
    Ok(())
}

/// Waits until `client` sees `device` of `user` as verified through cross-signing, querying the
/// user's keys afresh each round.
async fn verified_by(client: &Client, user: &UserId, device_id: &str) -> Result<()> {
    let device_id: matrix_sdk::ruma::OwnedDeviceId = device_id.into();
    poll_with_sync(client, &format!("{user}'s device {device_id} verified with cross-signing"), async || {
        client.encryption().request_user_identity(user).await?;
        Ok(device(client, user, &device_id).await?.is_verified_with_cross_signing().then_some(()))
    })
    .await
}
