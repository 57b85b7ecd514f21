"""What people see when they talk to the bot: linking, subscriptions, privacy and bad input.

Every test drives the real Application through the fake Bot API and checks the exact replies.
"""

from __future__ import annotations

import sqlite3

import pytest

from tests.fake_telegram import FakeChat, FakeUser
from tests.story import ANNA, FAMILY, World

BERT = FakeUser(id=5002, first_name="Bert", language_code="nl")
CARLA = FakeUser(id=5003, first_name="Carla", language_code="de")
NEIGHBOURS = FakeChat(id=-100888, title="Neighbours", type="supergroup")


async def _link(world: World, user: FakeUser = ANNA, token: str | None = None) -> str:
    before = len(world.telegram.messages_to(user.id))
    world.telegram.private_message(user, f"/link {token or world.token}")
    replies = await world.messages(user.id, before + 1)
    return replies[before]


async def _join(world: World, chat: FakeChat, by: FakeUser = ANNA) -> None:
    """Add the bot to a group and wait for its welcome."""
    before = len(world.telegram.messages_to(chat.id))
    world.telegram.add_bot_to_group(chat, by=by)
    await world.messages(chat.id, before + 1)


def _rows(world: World, table: str) -> int:
    with sqlite3.connect(world.settings.database_path) as db:
        return int(db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])  # noqa: S608


@pytest.mark.menus
async def test_the_command_menu_is_registered_in_english_and_dutch(world: World) -> None:
    menus = world.telegram.commands
    private_nl = [c["command"] for c in menus[("all_private_chats", "nl")]]
    group_en = {c["command"]: c["description"] for c in menus[("all_group_chats", "en")]}
    assert private_nl == [
        "start", "link", "unlink", "invite", "status", "stats", "sessions", "export",
        "statement", "tag",
        "settings", "mute", "unmute", "quiet", "live", "pin", "language", "tariff", "help",
    ]  # fmt: skip
    assert group_en["subscribe"] == "Send notifications to this group"
    assert menus[("all_group_chats", "nl")][0]["description"] == "Meldingen naar deze groep"


async def test_link_with_a_token_validates_stores_and_deletes_the_message(world: World) -> None:
    reply = await _link(world)
    assert reply.startswith("✅ Linked! I found 2 chargers:")
    linked_message = world.telegram.calls_to("deleteMessage")[-1].params
    assert linked_message["chat_id"] == ANNA.id
    assert _rows(world, "accounts") == 1


async def test_a_token_pasted_with_bearer_and_spaces_is_accepted(world: World) -> None:
    reply = await world.say(ANNA, ANNA, f"  Bearer {world.token}  ")
    assert reply.startswith("✅ Linked!")


async def test_an_invalid_token_is_refused_and_nothing_is_stored(world: World) -> None:
    reply = await _link(world, token="joulo_" + "x" * 32)
    assert reply.startswith("❌ Joulo did not accept that token.")
    assert "Nothing was stored" in reply
    assert _rows(world, "accounts") == 0


async def test_an_invalid_token_does_not_replace_a_working_one(world: World) -> None:
    await _link(world)
    reply = await _link(world, token="joulo_" + "y" * 32)
    assert reply.endswith("Your previously linked token stays in use.")
    status = await world.say(ANNA, ANNA, "/status")
    assert "Garage — 🟢 online, idle" in status


async def test_link_without_a_token_explains_where_to_find_one(world: World) -> None:
    reply = await world.say(ANNA, ANNA, "/link")
    assert reply.startswith("Send your Joulo API token like this: /link joulo_…")
    assert "Settings → API → Activate" in reply


async def test_a_token_pasted_in_a_group_is_deleted_and_never_used(world: World) -> None:
    await _join(world, FAMILY)
    world.telegram.set_can_delete(FAMILY, True)
    await world.messages(FAMILY.id, 1)
    message_id = world.telegram.group_message(FAMILY, ANNA, f"here: {world.token}")
    warning = (await world.messages(FAMILY.id, 2))[1]
    assert warning.startswith("⚠️ Never share your Joulo token in a group! I deleted the message.")
    assert "create a new token" in warning
    assert (FAMILY.id, message_id) in world.telegram.deleted
    assert _rows(world, "accounts") == 0
    assert [r for r in world.sim.requests if r.token == world.token] == []


async def test_a_token_in_a_group_that_cannot_be_deleted_says_so(world: World) -> None:
    await _join(world, FAMILY)
    world.telegram.group_message(FAMILY, ANNA, f"/link {world.token}")
    warning = (await world.messages(FAMILY.id, 2))[1]
    assert "I couldn't delete the message (I need admin rights for that)." in warning
    assert _rows(world, "accounts") == 0


async def test_a_bare_token_in_a_group_gets_exactly_what_link_there_gets(world: World) -> None:
    await _join(world, FAMILY)
    await world.messages(FAMILY.id, 1)
    for can_delete in (False, True):
        world.telegram.set_can_delete(FAMILY, can_delete)
        before = len(world.telegram.messages_to(FAMILY.id))
        by_link = world.telegram.group_message(FAMILY, ANNA, f"/link {world.token}")
        bare = world.telegram.group_message(FAMILY, ANNA, world.token)
        link_warning, bare_warning = (await world.messages(FAMILY.id, before + 2))[before:]
        assert bare_warning == link_warning
        assert link_warning.startswith("⚠️ Never share your Joulo token in a group!")
        deleted = {(FAMILY.id, by_link), (FAMILY.id, bare)} <= set(world.telegram.deleted)
        assert deleted == can_delete
    assert _rows(world, "accounts") == 0
    assert [r for r in world.sim.requests if r.token == world.token] == []


async def test_unlink_forgets_the_token_and_everything_derived_from_it(world: World) -> None:
    await _link(world)
    await _join(world, FAMILY)
    await world.say(FAMILY, ANNA, "/subscribe")
    reply = await world.say(ANNA, ANNA, "/unlink")
    assert reply.startswith("🗑 Done: I forgot your token")
    for table in ("accounts", "subscriptions", "charger_states", "pending_ends", "events"):
        assert _rows(world, table) == 0, table
    assert await world.say(ANNA, ANNA, "/unlink") == (
        "You haven't linked a Joulo account yet. Send /start in a private chat with me to see how."
    )


async def test_a_dutch_speaker_gets_dutch_and_others_the_default_language(world: World) -> None:
    dutch = await world.say(BERT, BERT, "/help")
    assert dutch.startswith("Wat ik kan")
    german = await world.say(CARLA, CARLA, "/help")
    assert german.startswith("What I can do")  # DEFAULT_LANGUAGE is "en" in the tests


async def test_subscribe_needs_a_linked_account_and_a_group(world: World) -> None:
    await _join(world, FAMILY)
    reply = await world.say(FAMILY, BERT, "/subscribe")
    assert reply.startswith("Bert, koppel eerst je Joulo-account")
    assert await world.say(ANNA, ANNA, "/subscribe") == (
        "That command is for a group: add me to your family group and send it there."
    )


async def test_a_chat_only_sees_the_accounts_subscribed_to_it(world: World) -> None:
    bert_token = world.sim.add_account()
    world.sim.add_charger(bert_token, "Carport")
    await _link(world)
    await _link(world, BERT, bert_token)
    for chat in (FAMILY, NEIGHBOURS):
        await _join(world, chat)
    await world.say(FAMILY, ANNA, "/subscribe")
    await world.say(NEIGHBOURS, BERT, "/subscribe")

    family = await world.say(FAMILY, ANNA, "/status")
    neighbours = await world.say(NEIGHBOURS, ANNA, "/status")
    assert "Garage" in family
    assert "Carport" not in family
    assert "Carport" in neighbours
    assert "Garage" not in neighbours
    bert_private = await world.say(BERT, BERT, "/status")
    assert "Carport" in bert_private
    assert "Garage" not in bert_private


async def test_only_the_owner_or_an_admin_can_unsubscribe(world: World) -> None:
    await _link(world)
    await _join(world, FAMILY)
    await world.say(FAMILY, ANNA, "/subscribe")
    refused = await world.say(FAMILY, CARLA, "/unsubscribe")
    assert refused == "Only the account's owner or a group admin can do that."
    world.telegram.set_admin(FAMILY, CARLA)
    done = await world.say(FAMILY, CARLA, "/unsubscribe")
    assert done == "🔕 This group no longer gets notifications for: Anna."
    assert _rows(world, "subscriptions") == 0


async def test_the_owner_unsubscribes_their_own_account(world: World) -> None:
    await _link(world)
    await _join(world, FAMILY)
    await world.say(FAMILY, ANNA, "/subscribe")
    assert await world.say(FAMILY, ANNA, "/subscribe") == (
        "This group already gets the notifications of Anna's account."
    )
    assert await world.say(FAMILY, ANNA, "/unsubscribe") == (
        "🔕 This group no longer gets notifications for: Anna."
    )
    assert await world.say(FAMILY, ANNA, "/status") == (
        "No Joulo account is subscribed in this group. Someone who linked an account with me "
        "can send /subscribe here."
    )


async def test_unknown_commands_point_to_help_but_other_bots_commands_are_ignored(
    world: World,
) -> None:
    assert await world.say(ANNA, ANNA, "/frobnicate") == (
        "I don't know that command. /help lists what I can do."
    )
    await _join(world, FAMILY)
    world.telegram.group_message(FAMILY, ANNA, "/weather")
    addressed = await world.say(FAMILY, ANNA, "/weather@joulo_test_bot")
    assert addressed == "I don't know that command. /help lists what I can do."
    assert len(world.telegram.messages_to(FAMILY.id)) == 2  # welcome + one pointer


async def test_a_removed_bot_stops_sending_to_that_group(world: World) -> None:
    await _link(world)
    await _join(world, FAMILY)
    await world.say(FAMILY, ANNA, "/subscribe")
    world.telegram.remove_bot_from_group(FAMILY, by=BERT)
    await world.telegram.await_for(lambda _: _rows(world, "subscriptions") == 0)
    world.sim.start_session(world.garage)
    world.clock.advance(60)
    private = await world.messages(ANNA.id, 3)
    assert private[1] == (
        "ℹ️ I was removed from the group “Family”, so it no longer gets your charging "
        "notifications. Add me again and send /subscribe there to resume."
    )
    assert private[2].startswith("🔌 Garage: charging started at")
    await world.next_polls(2)
    assert not any("charging started" in m for m in world.telegram.messages_to(FAMILY.id))


async def test_a_bot_added_back_to_a_group_welcomes_it_and_can_be_subscribed_again(
    world: World,
) -> None:
    await _link(world)
    await _join(world, FAMILY)
    await world.say(FAMILY, ANNA, "/subscribe")
    world.telegram.remove_bot_from_group(FAMILY, by=BERT)
    await world.telegram.await_for(lambda _: _rows(world, "subscriptions") == 0)
    await _join(world, FAMILY)
    assert world.telegram.messages_to(FAMILY.id, plain=True)[-1].startswith("👋 Hi all!")
    assert await world.say(FAMILY, ANNA, "/subscribe") == (
        "🔔 This group now gets the charging notifications of Anna's Joulo account. "
        "/status and /stats work here too."
    )
    world.sim.start_session(world.garage)
    world.clock.advance(60)
    group = await world.messages(FAMILY.id, 5)
    assert group[4].startswith("🔌 Garage: charging started")
