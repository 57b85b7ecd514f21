"""Every external string reaches Telegram escaped exactly once, so a person reads it as typed.

Pins down the one escaping rule (`bot.core.text`): names of people, charge cards and chargers
go into `t()` as they are and are escaped there, once; button labels are plain text and are
not escaped at all. Driven through the fake Bot API, which parses HTML like Telegram does.
"""

from __future__ import annotations

import html

from tests.fake_telegram import FakeUser, SentMessage
from tests.story import FAMILY, World

ODD = '<Anna & "Bob">'
CHARGER = 'Oost <&> "West"'
OWNER = FakeUser(id=5009, first_name=ODD, language_code="en")


async def _say(world: World, chat_id: int, text: str) -> SentMessage:
    before = len(world.telegram.messages_to(chat_id))
    if chat_id == FAMILY.id:
        world.telegram.group_message(FAMILY, OWNER, text)
    else:
        world.telegram.private_message(OWNER, text)
    await world.messages(chat_id, before + 1)
    return [m for m in world.telegram.sent() if m.chat_id == chat_id][before]


def _once(sent: SentMessage | str, *raw: str) -> None:
    """`raw` reads as typed, and the HTML holds it escaped once (never twice)."""
    text = sent if isinstance(sent, str) else sent.text
    plain = sent if isinstance(sent, str) else sent.plain_text
    for value in raw:
        assert value in plain, plain
        assert html.escape(value) in text, text
        for twice in ("&amp;amp;", "&amp;lt;", "&amp;quot;"):
            assert twice not in text, text


async def test_names_with_markup_characters_read_as_typed_everywhere(world: World) -> None:
    charger = world.sim.add_charger(world.token, CHARGER, connection_type="easee")
    linked = await _say(world, OWNER.id, f"/link {world.token}")
    _once(linked, CHARGER)

    named = await _say(world, OWNER.id, f"/tag 04A3B2C1 {ODD}")
    _once(named, ODD)

    before = len(world.telegram.messages_to(OWNER.id))
    world.sim.start_session(charger, id_tag="04A3B2C1", power_kw=11.0)
    started = await world.messages(OWNER.id, before + 1)
    sent = [m for m in world.telegram.sent() if m.chat_id == OWNER.id][before]
    assert started[before].startswith(f"🔌 {ODD} started charging at {CHARGER}")
    _once(sent, ODD, CHARGER)

    _once(await _say(world, OWNER.id, "/status"), CHARGER)
    _once(await _say(world, OWNER.id, "/tag"), ODD)

    world.sim.finish_session(charger)
    await world.next_polls()
    _once(await _say(world, OWNER.id, "/sessions"), ODD, CHARGER)

    world.telegram.add_bot_to_group(FAMILY, by=OWNER)
    await world.messages(FAMILY.id, 1)
    _once(await _say(world, FAMILY.id, "/subscribe"), ODD)
    _once(await _say(world, FAMILY.id, "/unsubscribe"), ODD)


async def test_a_muted_charger_is_named_once_escaped_and_its_button_as_typed(
    world: World,
) -> None:
    charger = world.sim.add_charger(world.token, CHARGER, connection_type="easee")
    await _say(world, OWNER.id, f"/link {world.token}")
    menu = await _say(world, OWNER.id, "/settings")
    markup = world.telegram.message(OWNER.id, menu.message_id)
    assert markup is not None
    buttons = {
        b["text"]: b["callback_data"]
        for row in markup["reply_markup"]["inline_keyboard"]
        for b in row
    }
    assert f"✅ {CHARGER}" in buttons  # a button label is plain text: nothing escaped
    before = len(world.telegram.edits())
    world.telegram.press_button(OWNER, OWNER, menu.message_id, buttons[f"✅ {CHARGER}"])
    await world.telegram.await_for(lambda api: len(api.edits()) > before)
    edit = world.telegram.edits()[before]
    assert f"Muted chargers: {CHARGER}" in edit.plain_text
    _once(edit, CHARGER)
    assert charger
