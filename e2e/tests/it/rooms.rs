//! Rooms: a private (invite-only) room joined on invitation, and a public room with an alias,
//! listed in the directory and joined by alias.

use anyhow::{Context, bail, ensure};
use matrix_sdk::{
    RoomState,
    config::RequestConfig,
    ruma::{
        RoomAliasId, RoomOrAliasId,
        api::{
            client::{
                directory::get_public_rooms,
                room::{
                    Visibility,
                    create_room::v3::{Request as CreateRoomRequest, RoomPreset},
                },
            },
            error::ErrorKind,
        },
        events::{
            AnyStrippedStateEvent,
            room::{join_rules::JoinRule, member::MembershipState},
        },
    },
};

use crate::{
    client::{create_private_room, new_user, user_id},
    fixtures::{room, send_text},
    harness::scenario,
    sync::{initial_sync, members, parse, sync_until, texts},
};

/// Alice creates a `private_chat` room; Bob cannot join it uninvited; Alice invites him; the
/// invite reaches Bob through `/sync` with its stripped state; Bob joins and Alice sees it.
#[tokio::test]
async fn private_room_invite_and_join() {
    scenario(async |server| {
        let alice = new_user(server, "alice").await?;
        let bob = new_user(server, "bob").await?;
        initial_sync(&alice).await?;
        initial_sync(&bob).await?;

        let room_id = create_private_room(&alice, "Private").await?;
        sync_until(&alice, "alice's own join in the new room", |response| {
            let joined = members(response, &room_id)?
                .into_iter()
                .any(|member| member.user_id == user_id("alice") && member.membership == MembershipState::Join);
            Ok(joined.then_some(()))
        })
        .await?;
        let alice_room = room(&alice, &room_id)?;
        ensure!(alice_room.join_rule() == Some(JoinRule::Invite), "join rule {:?}", alice_room.join_rule());
        ensure!(alice_room.name().as_deref() == Some("Private"), "room name {:?}", alice_room.name());

        match bob.join_room_by_id(&room_id).await {
            Ok(_) => bail!("bob joined an invite-only room without an invite"),
            Err(error) => ensure!(
                error.client_api_error_kind() == Some(&ErrorKind::Forbidden),
                "joining uninvited: expected M_FORBIDDEN, got {error:?}"
            ),
        }

        alice_room.invite_user_by_id(&user_id("bob")).await.context("inviting bob")?;
        let invite_state = sync_until(&bob, "the invite", |response| {
            Ok(response.rooms.invited.get(&room_id).map(|invited| invited.invite_state.events.clone()))
        })
        .await?;
        // The invite's own m.room.member event is part of the stripped state: clients read the
        // inviter from it.
        let mut invite_seen = false;
        for raw in &invite_state {
            if let AnyStrippedStateEvent::RoomMember(member) = parse(raw)? {
                invite_seen |= member.state_key == user_id("bob")
                    && member.sender == user_id("alice")
                    && member.content.membership == MembershipState::Invite;
            }
        }
        ensure!(invite_seen, "no m.room.member invite from alice in the stripped state: {invite_state:?}");
        let bob_room = room(&bob, &room_id)?;
        ensure!(bob_room.state() == RoomState::Invited, "bob's room state {:?}", bob_room.state());

        bob_room.join().await.context("bob accepts the invite")?;
        sync_until(&alice, "bob's join", |response| {
            let joined = members(response, &room_id)?
                .into_iter()
                .any(|member| member.user_id == user_id("bob") && member.membership == MembershipState::Join);
            Ok(joined.then_some(()))
        })
        .await?;
        sync_until(&bob, "the room among bob's joined rooms", |response| {
            Ok(response.rooms.joined.contains_key(&room_id).then_some(()))
        })
        .await?;
        ensure!(bob_room.state() == RoomState::Joined, "bob's room state {:?}", bob_room.state());
        Ok(())
    })
    .await;
}

/// Alice creates a `public_chat` room published in the directory with the alias
/// `#forum:localhost`; Bob resolves the alias, finds the room in `/publicRooms`, joins it by
/// alias without any invite, and they talk.
#[tokio::test]
async fn public_room_joined_by_alias() {
    scenario(async |server| {
        let alice = new_user(server, "alice").await?;
        let bob = new_user(server, "bob").await?;
        initial_sync(&alice).await?;
        initial_sync(&bob).await?;

        let mut request = CreateRoomRequest::new();
        request.name = Some("Forum".to_owned());
        request.preset = Some(RoomPreset::PublicChat);
        request.room_alias_name = Some("forum".to_owned());
        request.visibility = Visibility::Public;
        let room_id = alice.create_room(request).await.context("creating the public room")?.room_id().to_owned();
        let alias = RoomAliasId::parse("#forum:localhost")?;

        let resolved = bob.resolve_room_alias(&alias).await.context("resolving #forum:localhost")?;
        ensure!(resolved.room_id == room_id, "alias resolves to {} instead of {room_id}", resolved.room_id);

        // The spec lets servers require a token here; Rempart's directory is for members only.
        let directory = bob
            .send(get_public_rooms::v3::Request::new())
            .with_request_config(RequestConfig::new().disable_retry().force_auth())
            .await
            .context("GET /publicRooms")?;
        let listed = directory
            .chunk
            .iter()
            .find(|chunk| chunk.room_id == room_id)
            .with_context(|| format!("{room_id} missing from /publicRooms: {:?}", directory.chunk))?;
        ensure!(listed.canonical_alias.as_ref() == Some(&alias), "listed alias {:?}", listed.canonical_alias);
        ensure!(listed.name.as_deref() == Some("Forum"), "listed name {:?}", listed.name);
        ensure!(u64::from(listed.num_joined_members) == 1, "listed members {}", listed.num_joined_members);

        let joined =
            bob.join_room_by_id_or_alias(<&RoomOrAliasId>::from(&*alias), &[]).await.context("joining by alias")?;
        ensure!(joined.room_id() == room_id, "joined {} instead of {room_id}", joined.room_id());
        sync_until(&alice, "bob's join", |response| {
            let joined = members(response, &room_id)?
                .into_iter()
                .any(|member| member.user_id == user_id("bob") && member.membership == MembershipState::Join);
            Ok(joined.then_some(()))
        })
        .await?;

        let sent = send_text(&bob, &room_id, "Hello forum").await?;
        sync_until(&alice, "bob's message in the forum", |response| {
            Ok(texts(response, &room_id)?.into_iter().find(|text| text.event_id == sent))
        })
        .await
        .and_then(|text| {
            ensure!(text.sender == user_id("bob") && text.body == "Hello forum", "got {text:?}");
            Ok(())
        })
    })
    .await;
}
