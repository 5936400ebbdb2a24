#!/usr/bin/env python3
"""Second-client check: matrix-nio (an independent Python client) registers two users on a
running shard (open registration), creates a room, invites, joins and chats through sync.

Usage: nio_check.py http://127.0.0.1:PORT
Exits non-zero with a message on the first thing that does not work.
"""

import asyncio
import sys
import uuid

from nio import (
    AsyncClient,
    InviteMemberEvent,
    JoinResponse,
    RegisterResponse,
    RoomCreateResponse,
    RoomMessagesResponse,
    RoomMessageText,
    RoomSendResponse,
    SyncResponse,
)


def fail(message):
    print(f"nio check failed: {message}", file=sys.stderr)
    sys.exit(1)


async def register(url, name):
    client = AsyncClient(url, f"@{name}:localhost")
    response = await client.register(name, f"password-{name}", device_name="nio")
    if not isinstance(response, RegisterResponse):
        fail(f"register {name}: {response}")
    return client


async def sync_until(client, predicate, what, rounds=20):
    for _ in range(rounds):
        response = await client.sync(timeout=1000)
        if not isinstance(response, SyncResponse):
            fail(f"sync for {client.user_id}: {response}")
        if predicate(response):
            return response
    fail(f"{client.user_id} never saw {what}")


async def main(url):
    suffix = uuid.uuid4().hex[:8]
    alice = await register(url, f"nioalice{suffix}")
    bob = await register(url, f"niobob{suffix}")
    try:
        await alice.sync(timeout=0)
        await bob.sync(timeout=0)
        created = await alice.room_create(name="nio check", invite=[bob.user_id])
        if not isinstance(created, RoomCreateResponse):
            fail(f"room_create: {created}")
        room_id = created.room_id

        await sync_until(bob, lambda r: room_id in r.rooms.invite, "the invite")
        joined = await bob.join(room_id)
        if not isinstance(joined, JoinResponse):
            fail(f"join: {joined}")

        sent = await alice.room_send(room_id, "m.room.message", {"msgtype": "m.text", "body": "hello from nio"})
        if not isinstance(sent, RoomSendResponse):
            fail(f"room_send: {sent}")

        def bob_got_message(response):
            room = response.rooms.join.get(room_id)
            return room is not None and any(
                isinstance(e, RoomMessageText) and e.body == "hello from nio" for e in room.timeline.events
            )

        await sync_until(bob, bob_got_message, "alice's message")
        reply = await bob.room_send(room_id, "m.room.message", {"msgtype": "m.text", "body": "hi alice"})
        if not isinstance(reply, RoomSendResponse):
            fail(f"reply: {reply}")

        def alice_got_reply(response):
            room = response.rooms.join.get(room_id)
            return room is not None and any(isinstance(e, RoomMessageText) and e.body == "hi alice" for e in room.timeline.events)

        await sync_until(alice, alice_got_reply, "bob's reply")
        history = await bob.room_messages(room_id, start="", limit=50)
        if not isinstance(history, RoomMessagesResponse):
            fail(f"room_messages: {history}")
        bodies = [e.body for e in history.chunk if isinstance(e, RoomMessageText)]
        if bodies[:2] != ["hi alice", "hello from nio"]:
            fail(f"unexpected history {bodies}")
        print("nio check passed: register, create room, invite, join, chat, paginate")
    finally:
        await alice.close()
        await bob.close()


if __name__ == "__main__":
    if len(sys.argv) != 2:
        fail("usage: nio_check.py HOMESERVER_URL")
    asyncio.run(main(sys.argv[1]))
