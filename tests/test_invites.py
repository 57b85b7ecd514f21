"""Invite links: `/invite` gives `https://t.me/<bot>?startgroup=<code>` with a button; adding the
bot to a group through it subscribes that group to the inviter's account in one step. A code
works once, for 24 hours, only for its maker or an admin of the group, and only its sha256 is
stored; a bad, used or expired code gets a clear answer. `/start <code>` in private (a `?start=`
deep link) opens the linking steps.

Everything runs through the fake Bot API, which adds the bot and sends `/start@<bot> <code>` in
the group as Telegram does when someone follows a startgroup link.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
import sqlite3
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.fake_telegram import FakeChat, FakeUser
from tests.story import ANNA, FAMILY, World

BERT = FakeUser(id=5002, first_name="Bert", language_code="nl")
COUSINS = FakeChat(id=-100999, title="Cousins", type="supergroup")
LINK = re.compile(r"https://t\.me/joulo_test_bot\?startgroup=([A-Za-z0-9_-]{22})")


async def _invite(world: World) -> str:
    """Anna links her account and asks for an invite link; returns the link."""
    linked = await world.answer(ANNA, ANNA, f"/link {world.token}")
    assert linked.plain_text.startswith("✅ Linked!")
    reply = await world.answer(ANNA, ANNA, "/invite")
    found = LINK.search(reply.plain_text)
    assert found is not None, reply.plain_text
    return found.group()


async def _follow(world: World, link: str, chat: FakeChat, user: FakeUser) -> str:
    """`user` adds the bot to `chat` through `link`; the bot's last answer there."""
    before = len(world.telegram.messages_to(chat.id))
    joined = chat.id not in {m.chat_id for m in world.telegram.sent()}
    world.telegram.add_bot_by_link(link, chat, user)
    # A group the bot just joined is welcomed first, then the code is answered.
    messages = await world.messages(chat.id, before + (2 if joined else 1))
    return messages[-1]


async def _subscribed(world: World, chat: FakeChat) -> list[str]:
    accounts = await world.bot.services.store.subscribed_accounts(chat.id)
    return [account.owner_name for account in accounts]


async def test_invite_gives_a_startgroup_link_and_a_button_that_opens_it(world: World) -> None:
    link = await _invite(world)
    reply = [m for m in world.telegram.sent() if m.chat_id == ANNA.id][-1]

    assert reply.plain_text.startswith("🔗 Your invite link:\n" + link)
    assert "works once, for 24 hours" in reply.plain_text
    assert reply.reply_markup == {
        "inline_keyboard": [[{"text": "➕ Add me to a group", "url": link}]]
    }
    code = parse_qs(urlsplit(link).query)["startgroup"][0]
    assert len(code) == 22
    assert link != await _say_link(world)  # every /invite is a fresh code


async def _say_link(world: World) -> str:
    reply = await world.answer(ANNA, ANNA, "/invite")
    found = LINK.search(reply.plain_text)
    assert found is not None
    return found.group()


async def test_adding_the_bot_through_the_link_subscribes_the_group_in_one_step(
    world: World,
) -> None:
    link = await _invite(world)

    answer = await _follow(world, link, FAMILY, ANNA)

    assert answer == (
        "🔔 This group now gets the charging notifications of Anna's Joulo account. "
        "/status and /stats work here too."
    )
    assert await _subscribed(world, FAMILY) == ["Anna"]
    world.sim.start_session(world.garage, power_kw=7.2)
    await world.next_polls()
    await world.telegram.await_for(
        lambda api: any("charging started" in text for text in api.messages_to(FAMILY.id))
    )


async def test_a_link_works_once(world: World) -> None:
    link = await _invite(world)
    await _follow(world, link, FAMILY, ANNA)

    again = await _follow(world, link, COUSINS, ANNA)

    assert again.startswith("❌ That invite link was already used: each link works once.")
    assert await _subscribed(world, COUSINS) == []


async def test_a_link_expires_after_24_hours(world: World) -> None:
    first = await _invite(world)
    second = await _say_link(world)

    world.clock.advance(24 * 3600 - 1)
    assert (await _follow(world, first, FAMILY, ANNA)).startswith("🔔 This group now gets")
    world.clock.advance(1)
    expired = await _follow(world, second, COUSINS, ANNA)

    assert expired == (
        "⌛ That invite link has expired (a link works for 24 hours). Send /invite to me in a "
        "private chat for a fresh one."
    )
    assert await _subscribed(world, COUSINS) == []


async def test_only_the_inviter_or_an_admin_of_the_group_can_use_a_link(world: World) -> None:
    link = await _invite(world)

    refused = await _follow(world, link, FAMILY, BERT)
    assert refused == (
        "Alleen wie deze uitnodigingslink maakte, of een beheerder van deze groep, kan hem "
        "gebruiken. Er is niets veranderd; de link werkt nog voor hen."
    )
    assert await _subscribed(world, FAMILY) == []

    world.telegram.set_admin(FAMILY, BERT)
    accepted = await _follow(world, link, FAMILY, BERT)
    assert accepted == (
        "🔔 Deze groep krijgt nu de laadmeldingen van het Joulo-account van Anna. "
        "/status en /stats werken hier ook."
    )
    assert await _subscribed(world, FAMILY) == ["Anna"]


@pytest.mark.parametrize(
    "argument",
    [
        "garbage!",
        "x" * 65,
        "A" * 300,
        "AAAAAAAAAAAAAAAAAAAAAA",  # the shape of a code, but none the bot made
        "two words",
    ],
)
async def test_a_bad_code_gets_a_clear_answer_in_the_chats_language(
    world: World, argument: str
) -> None:
    await _invite(world)
    await world.answer(FAMILY, ANNA, "/help")  # the bot is in the group

    english = await world.answer(FAMILY, ANNA, f"/start@joulo_test_bot {argument}")
    dutch = await world.answer(FAMILY, BERT, f"/start {argument}")

    assert english.plain_text == (
        "❌ That invite link is not valid. Ask for a fresh one: send /invite to me in a private "
        "chat, then use the new link."
    )
    assert dutch.plain_text.startswith("❌ Die uitnodigingslink is niet geldig.")
    assert await _subscribed(world, FAMILY) == []


async def test_the_code_is_stored_only_as_its_hash(world: World) -> None:
    link = await _invite(world)
    code = parse_qs(urlsplit(link).query)["startgroup"][0]
    folder = Path(world.settings.database_path).parent

    stored = b"".join(path.read_bytes() for path in folder.iterdir() if path.is_file())

    assert code.encode() not in stored
    assert hashlib.sha256(code.encode()).hexdigest().encode() in stored


async def test_start_with_a_code_in_private_opens_the_linking_steps(world: World) -> None:
    reply = await world.answer(ANNA, ANNA, "/start from_the_website")

    assert reply.plain_text == (
        "Send your Joulo API token like this: /link joulo_…\n"
        "You find it in the Joulo dashboard under Settings → API → Activate."
    )


async def test_invite_needs_a_linked_account_and_a_private_chat(world: World) -> None:
    unlinked = await world.answer(BERT, BERT, "/invite")
    in_group = await world.answer(FAMILY, ANNA, "/invite")

    assert unlinked.plain_text == (
        "Koppel eerst je Joulo-account met /link; daarna geeft /invite je een link die mij aan "
        "je gezinsgroep toevoegt."
    )
    assert in_group.plain_text == "That command works in a private chat with me."


async def test_expired_links_are_forgotten_by_the_daily_prune(world: World) -> None:
    await _invite(world)
    housekeeping = world.bot.services.housekeeping

    await housekeeping.prune()
    assert _invites_stored(world) == 1  # still valid: kept
    world.clock.advance(24 * 3600)
    await housekeeping.prune()
    assert _invites_stored(world) == 0


def _invites_stored(world: World) -> int:
    with contextlib.closing(sqlite3.connect(world.settings.database_path)) as db:
        return int(db.execute("SELECT count(*) FROM invites").fetchone()[0])


async def test_unlinking_forgets_the_invite_links_and_a_link_then_says_so(world: World) -> None:
    link = await _invite(world)
    assert _invites_stored(world) == 1

    assert (await world.answer(ANNA, ANNA, "/unlink")).plain_text.startswith("🗑 Done")

    assert _invites_stored(world) == 0
    answer = await _follow(world, link, FAMILY, ANNA)
    assert answer.startswith("❌ That invite link is not valid.")
