//! Common starting points for scenarios: two users sharing a private room.
//!
//! The steps here are the ones `rooms::private_room_invite_and_join` checks one by one; other
//! scenarios use them as a given.

use anyhow::{Context, Result, ensure};
use matrix_sdk::{
    Client, Room,
    ruma::{
        OwnedEventId, OwnedRoomId, RoomId,
        events::room::{member::MembershipState, message::RoomMessageEventContent},
    },
};

use crate::{
    client::{create_private_room, new_user},
    harness::TestServer,
    sync::{initial_sync, members, sync_until},
};

/// Alice and Bob, both logged in, both joined to a private room Alice created.
pub struct Pair {
    pub alice: Client,
    pub bob: Client,
    pub room_id: OwnedRoomId,
}

impl Pair {
    /// Registers alice and bob, lets alice create a private room and bob join it on invitation.
    pub async fn in_private_room(server: &TestServer) -> Result<Self> {
        let alice = new_user(server, "alice").await?;
        let bob = new_user(server, "bob").await?;
        initial_sync(&alice).await?;
        initial_sync(&bob).await?;
        let room_id = create_private_room(&alice, "Private").await?;
        invite_and_join(&alice, &bob, &room_id).await?;
        Ok(Self { alice, bob, room_id })
    }

    /// Alice's view of the shared room.
    pub fn alice_room(&self) -> Result<Room> {
        room(&self.alice, &self.room_id)
    }

    /// Bob's view of the shared room.
    pub fn bob_room(&self) -> Result<Room> {
        room(&self.bob, &self.room_id)
    }
}

/// The client's local view of a room it knows about.
pub fn room(client: &Client, room_id: &RoomId) -> Result<Room> {
    client.get_room(room_id).with_context(|| format!("{:?} does not know room {room_id}", client.user_id()))
}

/// `inviter` invites `invitee` to `room_id`; the invitee waits for the invite in `/sync` and
/// joins; the inviter waits for the join in `/sync`.
pub async fn invite_and_join(inviter: &Client, invitee: &Client, room_id: &RoomId) -> Result<()> {
    let invitee_id = invitee.user_id().context("invitee is not logged in")?.to_owned();
    room(inviter, room_id)?.invite_user_by_id(&invitee_id).await.context("inviting")?;

    sync_until(invitee, "the invite", |response| Ok(response.rooms.invited.get(room_id).map(|_| ()))).await?;
    room(invitee, room_id)?.join().await.context("joining on invitation")?;

    sync_until(inviter, "the invitee's join", |response| {
        let joined = members(response, room_id)?
            .into_iter()
            .any(|member| member.user_id == invitee_id && member.membership == MembershipState::Join);
        Ok(joined.then_some(()))
    })
    .await
}

/// Sends a plain-text message and returns its event ID.
pub async fn send_text(client: &Client, room_id: &RoomId, body: &str) -> Result<OwnedEventId> {
    let sent = room(client, room_id)?
        .send(RoomMessageEventContent::text_plain(body))
        .await
        .with_context(|| format!("sending {body:?}"))?;
    let event_id = sent.response.event_id;
    ensure!(event_id.as_str().starts_with('$'), "odd event ID {event_id} for {body:?}");
    Ok(event_id)
}
