//! Membership over time: a display name change shows in the room's member events, and a member
//! who leaves is seen leaving and stops receiving the room's messages.

use anyhow::{Context, ensure};
use matrix_sdk::{
    RoomState,
    room::MessagesOptions,
    ruma::{
        api::{client::profile::DisplayName, error::ErrorKind},
        events::room::member::MembershipState,
    },
};

use crate::{
    client::{create_private_room, user_id},
    fixtures::{Pair, invite_and_join, room, send_text},
    harness::scenario,
    sync::{members, mentions, sync_until, texts},
};

/// Alice sets her display name. Her profile shows it to Bob, and the spec has the server update
/// her `m.room.member` event in each room she is in: Bob sees the new event through `/sync` and
/// his client's member list shows the new name.
#[tokio::test]
async fn display_name_change_updates_room_membership() {
    scenario(async |server| {
        let pair = Pair::in_private_room(server).await?;
        let room_id = &pair.room_id;
        let new_name = "Alice Liddell";

        pair.alice.account().set_display_name(Some(new_name)).await.context("PUT displayname")?;
        let own = pair.alice.account().get_display_name().await.context("GET own displayname")?;
        ensure!(own.as_deref() == Some(new_name), "alice's own display name reads {own:?}");

        let profile = pair.bob.account().fetch_user_profile_of(&user_id("alice")).await.context("GET profile")?;
        let shown = profile.get_static::<DisplayName>()?;
        ensure!(shown.as_deref() == Some(new_name), "bob reads alice's display name as {shown:?}");

        let member = sync_until(&pair.bob, "alice's member event with her new name", |response| {
            Ok(members(response, room_id)?
                .into_iter()
                .find(|member| member.user_id == user_id("alice") && member.displayname.as_deref() == Some(new_name)))
        })
        .await?;
        ensure!(member.membership == MembershipState::Join, "the renaming event says {:?}", member.membership);
        ensure!(member.sender == user_id("alice"), "the renaming event was sent by {}", member.sender);

        let stored = pair.bob_room()?.get_member_no_sync(&user_id("alice")).await?;
        let stored = stored.context("bob's store has no member event for alice")?;
        ensure!(stored.display_name() == Some(new_name), "bob's member list shows {:?}", stored.display_name());
        Ok(())
    })
    .await;
}

/// Bob leaves the private room: Alice sees his `leave` through `/sync`, Bob's `/sync` moves the
/// room to his left rooms. A message Alice sends afterwards never reaches Bob, neither through
/// `/sync` (checked up to a later message in another room they share) nor through `/messages`.
#[tokio::test]
async fn leaving_is_seen_and_ends_access() {
    scenario(async |server| {
        let pair = Pair::in_private_room(server).await?;
        let room_id = &pair.room_id;
        let lobby = create_private_room(&pair.alice, "Lobby").await?;
        invite_and_join(&pair.alice, &pair.bob, &lobby).await?;

        let bob_room = pair.bob_room()?;
        bob_room.leave().await.context("bob leaves")?;
        let leave = sync_until(&pair.alice, "bob's leave", |response| {
            Ok(members(response, room_id)?
                .into_iter()
                .find(|member| member.user_id == user_id("bob") && member.membership == MembershipState::Leave))
        })
        .await?;
        ensure!(leave.sender == user_id("bob"), "the leave was sent by {}", leave.sender);
        sync_until(&pair.bob, "the room among bob's left rooms", |response| {
            Ok(response.rooms.left.contains_key(room_id).then_some(()))
        })
        .await?;
        ensure!(bob_room.state() == RoomState::Left, "bob's room state is {:?}", bob_room.state());
        let alice_view = room(&pair.alice, room_id)?.get_member_no_sync(&user_id("bob")).await?;
        let alice_view = alice_view.context("alice's store forgot bob's membership")?;
        ensure!(*alice_view.membership() == MembershipState::Leave, "alice sees bob as {:?}", alice_view.membership());

        // Messages after the leave: the secret in the room Bob left, then a marker in the lobby.
        let secret = "said after bob left";
        send_text(&pair.alice, room_id, secret).await?;
        let marker = send_text(&pair.alice, &lobby, "marker").await?;
        let mut leaked = false;
        sync_until(&pair.bob, "the marker in the lobby", |response| {
            leaked |= mentions(response, secret);
            Ok(texts(response, &lobby)?.into_iter().any(|text| text.event_id == marker).then_some(()))
        })
        .await?;
        ensure!(!leaked, "bob received a message sent after he left");

        match bob_room.messages(MessagesOptions::backward()).await {
            Ok(history) => {
                let leaked = history.chunk.iter().any(|event| event.raw().json().get().contains(secret));
                ensure!(!leaked, "GET /messages shows bob a message sent after he left");
            }
            Err(error) => ensure!(
                error.client_api_error_kind() == Some(&ErrorKind::Forbidden),
                "GET /messages after leaving: expected the history up to the leave or M_FORBIDDEN, got {error:?}"
            ),
        }
        Ok(())
    })
    .await;
}
