"""The fake Bot API is faithful enough for the real python-telegram-bot to be fooled.

Every test drives the fake through python-telegram-bot 22.8 itself (``telegram.Bot``, over
loopback HTTP and through the fake's in-process transport alike, or a full
``telegram.ext.Application`` polling over loopback HTTP), so the wire format, the error mapping
(400 BadRequest, 403 Forbidden, 429 RetryAfter, migrate_to_chat_id ChatMigrated, dropped
connection NetworkError) and Telegram's HTML rules are pinned down where the bot meets them.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeAllGroupChats,
    BotCommandScopeAllPrivateChats,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    ChatMigrated,
    EndPointNotFound,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
)
from telegram.ext import (
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
)
from telegram.request import HTTPXRequest

from tests.fake_telegram import (
    BOT_TOKEN,
    FakeBotAPI,
    FakeChat,
    FakeUser,
    HtmlParseError,
    parse_html,
)

ALICE = FakeUser(id=1001, first_name="Alice", username="alice")
BOB = FakeUser(id=1002, first_name="Bob", language_code="nl")
GROUP = FakeChat(id=-100123, title="Home", type="supergroup")


@pytest.fixture
def fake() -> Iterator[FakeBotAPI]:
    with FakeBotAPI() as api:
        yield api
        assert api.internal_errors == []


@pytest.fixture(params=["loopback", "in process"])
async def bot(fake: FakeBotAPI, request: pytest.FixtureRequest) -> AsyncIterator[Bot]:
    """python-telegram-bot's Bot over loopback HTTP, or through `FakeBotAPI.transport()`: every
    test below holds for both."""
    if request.param == "loopback":
        real_bot = Bot(BOT_TOKEN, base_url=fake.base_url)
    else:
        real_bot = Bot(
            BOT_TOKEN,
            base_url=fake.base_url,
            request=HTTPXRequest(httpx_kwargs={"transport": fake.transport()}),
            get_updates_request=HTTPXRequest(httpx_kwargs={"transport": fake.transport()}),
        )
    async with real_bot:
        yield real_bot


def test_the_token_looks_like_a_real_one() -> None:
    bot_id, _, secret = BOT_TOKEN.partition(":")
    assert bot_id.isdigit()
    assert len(secret) == 35


# ------------------------------------------------------------------ basics


async def test_get_me_describes_the_configured_bot(bot: Bot) -> None:
    me = await bot.get_me()
    assert me.id == 123456789
    assert me.username == "joulo_test_bot"
    assert me.is_bot
    assert me.can_join_groups


async def test_a_wrong_token_is_refused_as_invalid(fake: FakeBotAPI) -> None:
    wrong = Bot("987654321:AAF-some-other-token-xxxxxxxxxxxxxx", base_url=fake.base_url)
    with pytest.raises(InvalidToken, match="Unauthorized"):
        await wrong.get_me()
    assert fake.calls == []


async def test_an_unknown_method_answers_not_found_and_other_methods_just_succeed(
    bot: Bot, fake: FakeBotAPI
) -> None:
    with pytest.raises(EndPointNotFound):
        await bot.do_api_request("sendTelepathy", api_kwargs={"chat_id": 1})
    assert await bot.send_chat_action(ALICE.id, "typing") is True
    assert fake.calls_to("sendChatAction")[0].params == {"chat_id": ALICE.id, "action": "typing"}


async def test_parameters_are_decoded_to_python_values(bot: Bot, fake: FakeBotAPI) -> None:
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("Stop", callback_data="stop:7")]])
    await bot.send_message(ALICE.id, "123", reply_markup=markup, disable_notification=True)
    params = fake.calls_to("sendMessage")[0].params
    assert params["chat_id"] == ALICE.id
    assert params["text"] == "123"  # a string parameter stays a string
    assert params["disable_notification"] is True
    assert params["reply_markup"] == {
        "inline_keyboard": [[{"text": "Stop", "callback_data": "stop:7"}]]
    }


# ------------------------------------------------------------------ sending


async def test_a_valid_html_message_is_recorded_with_increasing_ids(
    bot: Bot, fake: FakeBotAPI
) -> None:
    first = await bot.send_message(ALICE.id, "<b>Charging</b> &amp; co", parse_mode="HTML")
    second = await bot.send_message(ALICE.id, "plain")
    assert first.text == "Charging & co"  # Telegram answers with the parsed text
    assert second.message_id == first.message_id + 1
    assert first.from_user is not None
    assert first.from_user.id == fake.bot_id
    assert fake.messages_to(ALICE.id) == ["<b>Charging</b> &amp; co", "plain"]
    assert fake.messages_to(ALICE.id, plain=True) == ["Charging & co", "plain"]
    assert [m.parse_mode for m in fake.sent()] == ["HTML", None]


@pytest.mark.parametrize(
    "text",
    [
        "price < 5 cents",
        "mail <alice@example.com>",
        "<b>unclosed",
        "<b><i>crossed</b></i>",
        "stray </b>",
        "AT&T",
        '<span class="other">x</span>',
        "<h1>title</h1>",
    ],
)
async def test_broken_html_is_rejected_like_telegram_does(
    bot: Bot, fake: FakeBotAPI, text: str
) -> None:
    with pytest.raises(BadRequest, match=r"(?i)can't parse entities"):
        await bot.send_message(ALICE.id, text, parse_mode=ParseMode.HTML)
    assert fake.sent() == []
    assert fake.calls[-1].status == 400


def test_the_html_parser_accepts_every_supported_tag() -> None:
    text = (
        "<b>b</b><strong>s</strong><i>i</i><em>e</em><u>u</u><ins>n</ins><s>s</s>"
        '<strike>k</strike><del>d</del><span class="tg-spoiler">p</span>'
        '<tg-spoiler>q</tg-spoiler><a href="https://x.test/?a=1&amp;b=2">a</a>'
        '<code>c</code><pre><code class="language-python">x</code></pre>'
        "<blockquote expandable>q</blockquote> 1 &lt; 2 &gt; 0 &quot;&#65;&#x42;"
    )
    assert parse_html(text) == 'bsieunskdpqacxq 1 < 2 > 0 "AB'


def test_html_errors_carry_telegrams_wording_and_byte_offsets() -> None:
    with pytest.raises(HtmlParseError, match='Unsupported start tag "3" at byte offset 4'):
        parse_html("€ <3")  # € is three bytes in UTF-8
    with pytest.raises(HtmlParseError, match='corresponding to start tag "b"'):
        parse_html("<b><i>x</i>")
    with pytest.raises(HtmlParseError, match=r'expected "</i>", found "</b>"'):
        parse_html("<b><i>x</b>")


async def test_overlong_and_empty_messages_are_rejected(bot: Bot) -> None:
    await bot.send_message(ALICE.id, "<b>" + "x" * 4096 + "</b>", parse_mode="HTML")
    with pytest.raises(BadRequest, match=r"(?i)message is too long"):
        await bot.send_message(ALICE.id, "x" * 4097)
    with pytest.raises(BadRequest, match=r"(?i)message text is empty"):
        await bot.send_message(ALICE.id, "<b> </b>", parse_mode="HTML")


async def test_a_photo_is_recorded_with_its_caption_and_size(bot: Bot, fake: FakeBotAPI) -> None:
    png = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
    message = await bot.send_photo(
        GROUP.id, png, caption="<i>Today</i>", parse_mode="HTML", filename="day.png"
    )
    assert message.photo
    assert message.caption == "Today"
    [sent] = fake.sent()
    assert (sent.method, sent.text, sent.media_bytes) == ("sendPhoto", "<i>Today</i>", len(png))
    assert fake.messages_to(GROUP.id) == ["<i>Today</i>"]


async def test_a_message_can_be_edited_but_not_to_the_same_content(
    bot: Bot, fake: FakeBotAPI
) -> None:
    sent = await bot.send_message(ALICE.id, "Charging…")
    edited = await bot.edit_message_text("Done", chat_id=ALICE.id, message_id=sent.message_id)
    assert isinstance(edited, object)
    with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
        await bot.edit_message_text("Done", chat_id=ALICE.id, message_id=sent.message_id)
    with pytest.raises(BadRequest, match=r"(?i)message to edit not found"):
        await bot.edit_message_text("x", chat_id=ALICE.id, message_id=999)
    assert [e.text for e in fake.edits()] == ["Done"]
    current = fake.message(ALICE.id, sent.message_id)
    assert current is not None
    assert current["text"] == "Done"


# ------------------------------------------------------------------ deleting, members, commands


async def test_delete_works_in_private_and_in_groups_only_with_the_right(
    bot: Bot, fake: FakeBotAPI
) -> None:
    private = await bot.send_message(ALICE.id, "hi")
    in_group = await bot.send_message(GROUP.id, "hi all")
    assert await bot.delete_message(ALICE.id, private.message_id)
    with pytest.raises(BadRequest, match=r"(?i)message to delete not found"):
        await bot.delete_message(ALICE.id, private.message_id)
    with pytest.raises(BadRequest, match=r"(?i)message can't be deleted"):
        await bot.delete_message(GROUP.id, in_group.message_id)
    fake.set_can_delete(GROUP, True)
    assert await bot.delete_message(GROUP.id, in_group.message_id)
    assert fake.deleted == [(ALICE.id, private.message_id), (GROUP.id, in_group.message_id)]


async def test_commands_are_recorded_per_scope_and_language(bot: Bot, fake: FakeBotAPI) -> None:
    status = BotCommand("status", "Laadstatus")
    await bot.set_my_commands([BotCommand("start", "Start")])
    await bot.set_my_commands([status], scope=BotCommandScopeAllPrivateChats(), language_code="nl")
    await bot.set_my_commands([status], scope=BotCommandScopeAllGroupChats())
    assert fake.commands == {
        ("default", ""): [{"command": "start", "description": "Start"}],
        ("all_private_chats", "nl"): [{"command": "status", "description": "Laadstatus"}],
        ("all_group_chats", ""): [{"command": "status", "description": "Laadstatus"}],
    }
    mine = await bot.get_my_commands(scope=BotCommandScopeAllPrivateChats(), language_code="nl")
    assert [c.command for c in mine] == ["status"]
    await bot.delete_my_commands(scope=BotCommandScopeAllGroupChats())
    assert ("all_group_chats", "") not in fake.commands
    with pytest.raises(BadRequest, match=r"(?i)BOT_COMMAND_INVALID"):
        await bot.set_my_commands([BotCommand("Status!", "bad")])


async def test_chat_members_report_what_set_admin_said(bot: Bot, fake: FakeBotAPI) -> None:
    fake.set_admin(GROUP, ALICE)
    fake.set_admin(GROUP, BOB, creator=True)
    alice = await bot.get_chat_member(GROUP.id, ALICE.id)
    bob = await bot.get_chat_member(GROUP.id, BOB.id)
    stranger = await bot.get_chat_member(GROUP.id, 4242)
    assert (alice.status, bob.status, stranger.status) == ("administrator", "creator", "member")
    assert alice.user.first_name == "Alice"
    admins = await bot.get_chat_administrators(GROUP.id)
    assert {a.user.id for a in admins} == {ALICE.id, BOB.id}
    fake.set_admin(GROUP, ALICE, admin=False)
    assert (await bot.get_chat_member(GROUP.id, ALICE.id)).status == "member"
    chat = await bot.get_chat(GROUP.id)
    assert (chat.title, chat.type) == ("Home", "supergroup")


# ------------------------------------------------------------------ faults


async def test_a_429_surfaces_as_retry_after_and_is_not_recorded_as_sent(
    bot: Bot, fake: FakeBotAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "1")  # PTB 22 warns unless retry_after is a timedelta
    fake.fail_next(
        "sendMessage",
        error_code=429,
        description="Too Many Requests: retry after 3",
        retry_after=3,
    )
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(ALICE.id, "hello")
    assert caught.value.retry_after == dt.timedelta(seconds=3)
    assert fake.sent() == []
    await bot.send_message(ALICE.id, "hello")  # only the next call failed
    assert fake.messages_to(ALICE.id) == ["hello"]


async def test_a_flood_window_refuses_one_chat_until_its_clock_has_moved_on(
    bot: Bot, fake: FakeBotAPI
) -> None:
    now = {"t": 1000.0}
    fake.flood(GROUP.id, 30, now=lambda: now["t"])
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(GROUP.id, "too soon")
    assert caught.value.retry_after == dt.timedelta(seconds=30)
    await bot.send_message(ALICE.id, "other chats are not limited")
    now["t"] += 29.5
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(GROUP.id, "still too soon")
    assert caught.value.retry_after == dt.timedelta(seconds=1)  # what is left, rounded up
    now["t"] += 0.5
    await bot.send_message(GROUP.id, "now")
    assert fake.messages_to(GROUP.id) == ["now"]
    assert fake.flood_refusals(GROUP.id) == 2
    assert fake.flood_refusals(ALICE.id) == 0


async def test_a_flood_window_refuses_edits_in_that_chat_too(bot: Bot, fake: FakeBotAPI) -> None:
    now = {"t": 1000.0}
    sent = await bot.send_message(GROUP.id, "card")
    fake.flood(GROUP.id, 30, now=lambda: now["t"])
    with pytest.raises(RetryAfter):
        await bot.edit_message_text("card, redrawn", chat_id=GROUP.id, message_id=sent.message_id)
    now["t"] += 30
    await bot.edit_message_text("card, redrawn", chat_id=GROUP.id, message_id=sent.message_id)
    assert fake.flood_refusals(GROUP.id) == 1


async def test_a_message_a_person_deleted_cannot_be_edited(bot: Bot, fake: FakeBotAPI) -> None:
    sent = await bot.send_message(ALICE.id, "card")
    fake.delete_by_user(ALICE.id, sent.message_id)
    with pytest.raises(BadRequest, match=r"(?i)message to edit not found"):
        await bot.edit_message_text("card, redrawn", chat_id=ALICE.id, message_id=sent.message_id)


async def test_faults_can_target_one_chat_only(bot: Bot, fake: FakeBotAPI) -> None:
    fake.fail_next(
        "sendMessage", error_code=400, description="Bad Request: chat not found", chat_id=BOB.id
    )
    await bot.send_message(ALICE.id, "to alice")
    with pytest.raises(BadRequest, match=r"(?i)chat not found"):
        await bot.send_message(BOB.id, "to bob")


async def test_a_blocked_user_surfaces_as_forbidden(bot: Bot, fake: FakeBotAPI) -> None:
    fake.fail_next("sendMessage", error_code=403, description="Forbidden: user is deactivated")
    with pytest.raises(Forbidden, match=r"(?i)deactivated"):
        await bot.send_message(ALICE.id, "hello")
    fake.block_bot(ALICE)
    with pytest.raises(Forbidden, match=r"(?i)bot was blocked by the user"):
        await bot.send_message(ALICE.id, "hello")
    assert fake.sent() == []


async def test_a_migrated_group_surfaces_as_chat_migrated(bot: Bot, fake: FakeBotAPI) -> None:
    fake.fail_next(
        "sendMessage",
        error_code=400,
        description="Bad Request: group chat was upgraded to a supergroup chat",
        migrate_to_chat_id=-100777,
    )
    with pytest.raises(ChatMigrated) as caught:
        await bot.send_message(-777, "hello")
    assert caught.value.new_chat_id == -100777

    old = FakeChat(id=-555, title="Old group")
    new = fake.migrate_group(old)
    with pytest.raises(ChatMigrated) as again:
        await bot.send_message(old.id, "hello")
    assert again.value.new_chat_id == new.id == -100555
    await bot.send_message(new.id, "hello")


async def test_a_dropped_connection_is_a_network_error_and_delivery_is_explicit(
    bot: Bot, fake: FakeBotAPI
) -> None:
    fake.drop_connection_next("sendMessage")
    with pytest.raises(NetworkError):
        await bot.send_message(ALICE.id, "lost on the way")
    fake.drop_connection_next("sendMessage", delivered=True)
    with pytest.raises(NetworkError):
        await bot.send_message(ALICE.id, "arrived, answer lost")
    assert fake.messages_to(ALICE.id) == ["arrived, answer lost"]
    assert [c.status for c in fake.calls_to("sendMessage")] == [0, 0]


async def test_a_stopped_fake_refuses_connections_until_restarted(
    bot: Bot, fake: FakeBotAPI
) -> None:
    url = fake.base_url
    fake.stop()
    with pytest.raises(NetworkError):
        await bot.get_me()
    fake.start()
    assert fake.base_url == url
    assert (await bot.get_me()).id == fake.bot_id


# ------------------------------------------------------------------ updates


async def test_updates_carry_commands_and_are_dropped_once_confirmed(
    bot: Bot, fake: FakeBotAPI
) -> None:
    message_id = fake.private_message(ALICE, "/status now")
    fake.group_message(GROUP, BOB, "/status@joulo_test_bot")
    assert fake.pending_updates() == 2

    first, second = await bot.get_updates(timeout=0)
    assert first.message is not None
    assert first.message.message_id == message_id
    assert first.message.text == "/status now"
    assert first.message.parse_entities() != {}
    assert first.message.from_user is not None
    assert first.message.from_user.language_code == "en"
    assert second.effective_chat is not None
    assert second.effective_chat.id == GROUP.id
    assert fake.pending_updates() == 0
    assert fake.unconfirmed_updates() == 2

    again = await bot.get_updates(offset=second.update_id, timeout=0)
    assert [u.update_id for u in again] == [second.update_id]
    assert await bot.get_updates(offset=second.update_id + 1, timeout=0) == ()
    assert fake.unconfirmed_updates() == 0


async def test_long_polling_returns_as_soon_as_an_update_arrives(
    bot: Bot, fake: FakeBotAPI
) -> None:
    loop = asyncio.get_running_loop()
    loop.call_later(0.1, fake.private_message, ALICE, "hi")
    started = loop.time()
    updates = await bot.get_updates(timeout=5)
    assert len(updates) == 1
    assert loop.time() - started < 0.9


async def test_a_long_poll_given_up_in_process_ends_at_once(fake: FakeBotAPI) -> None:
    fake.max_poll_wait = 30.0
    async with httpx.AsyncClient(transport=fake.transport()) as client:
        poll = asyncio.create_task(
            client.post(f"{fake.base_url}{BOT_TOKEN}/getUpdates", data={"timeout": "30"})
        )
        await fake.await_for(lambda api: api.pending_updates() == 0)  # nothing to wait for
        await asyncio.sleep(0.05)  # the poll waits in its thread
        poll.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await poll
    loop = asyncio.get_running_loop()
    started = loop.time()
    await loop.shutdown_default_executor()  # waits for the poll's thread, as closing a loop does
    assert loop.time() - started < 1.0


async def test_group_membership_changes_arrive_as_my_chat_member_updates(
    bot: Bot, fake: FakeBotAPI
) -> None:
    fake.add_bot_to_group(GROUP, by=ALICE)
    joined, welcome = await bot.get_updates(timeout=0)
    assert joined.my_chat_member is not None
    assert joined.my_chat_member.new_chat_member.status == "member"
    assert welcome.message is not None
    assert [u.id for u in welcome.message.new_chat_members] == [fake.bot_id]

    fake.remove_bot_from_group(GROUP, by=ALICE)
    [kicked] = await bot.get_updates(offset=welcome.update_id + 1, timeout=0)
    assert kicked.my_chat_member is not None
    assert kicked.my_chat_member.new_chat_member.status == "kicked"
    with pytest.raises(Forbidden, match=r"(?i)bot was kicked from the supergroup chat"):
        await bot.send_message(GROUP.id, "still there?")


async def test_a_startgroup_link_adds_the_bot_then_sends_start_with_its_parameter(
    bot: Bot, fake: FakeBotAPI
) -> None:
    fake.add_bot_by_link("https://t.me/joulo_test_bot?startgroup=abc_DEF-123", GROUP, ALICE)
    joined, welcome, start = await bot.get_updates(timeout=0)
    assert joined.my_chat_member is not None
    assert welcome.message is not None
    assert start.message is not None
    assert start.message.text == "/start@joulo_test_bot abc_DEF-123"
    assert start.message.from_user is not None
    assert start.message.from_user.id == ALICE.id
    assert start.message.parse_entities() != {}

    # Already in the group: Telegram only sends the /start.
    fake.add_bot_by_link("https://t.me/joulo_test_bot?startgroup=again", GROUP, ALICE)
    [again] = await bot.get_updates(offset=start.update_id + 1, timeout=0)
    assert again.message is not None
    assert again.message.text == "/start@joulo_test_bot again"

    for link in (
        "https://t.me/other_bot?startgroup=abc",
        "https://t.me/joulo_test_bot?startgroup=" + "x" * 65,
        "https://t.me/joulo_test_bot?startgroup=no!",
        "https://t.me/joulo_test_bot?start=abc",
    ):
        with pytest.raises(ValueError, match=r"link|parameter"):
            fake.add_bot_by_link(link, GROUP, ALICE)


async def test_an_inline_button_has_exactly_one_action_and_a_url_telegram_opens(
    bot: Bot, fake: FakeBotAPI
) -> None:
    link = InlineKeyboardButton("Add", url="https://t.me/joulo_test_bot?startgroup=abc")
    sent = await bot.send_message(ALICE.id, "hi", reply_markup=InlineKeyboardMarkup([[link]]))
    assert sent.reply_markup is not None
    assert sent.reply_markup.inline_keyboard[0][0].url == link.url

    bad = InlineKeyboardButton("Add", url="ftp://example.com/x")
    with pytest.raises(BadRequest, match=r"(?i)button_url_invalid"):
        await bot.send_message(ALICE.id, "hi", reply_markup=InlineKeyboardMarkup([[bad]]))
    with pytest.raises(BadRequest, match=r"(?i)text buttons are unallowed"):
        await bot.send_message(
            ALICE.id,
            "hi",
            reply_markup={"inline_keyboard": [[{"text": "nothing"}]]},  # type: ignore[arg-type]
        )


def test_wait_for_explains_what_the_bot_did_on_timeout(fake: FakeBotAPI) -> None:
    fake.private_message(ALICE, "/ping")
    with pytest.raises(AssertionError, match=r"(?s)bot sent 0.*not fetched: 1"):
        fake.wait_for(lambda f: bool(f.sent()), timeout=0.05)


# ------------------------------------------------------------------ a real Application


async def test_an_application_answers_ping_with_pong(fake: FakeBotAPI) -> None:
    async def ping(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        await update.effective_message.reply_text("pong")

    app = ApplicationBuilder().token(BOT_TOKEN).base_url(fake.base_url).build()
    app.add_handler(CommandHandler("ping", ping))
    async with app:
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0.0, timeout=1)
        try:
            fake.private_message(ALICE, "/ping")
            await fake.await_for(lambda f: f.messages_to(ALICE.id) == ["pong"], timeout=5)
        finally:
            await app.updater.stop()
            await app.stop()
    assert fake.unconfirmed_updates() == 0  # the shutdown confirmed the update


async def test_an_application_sees_a_button_press(fake: FakeBotAPI) -> None:
    async def pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None
        await query.answer("Stopping")
        await query.edit_message_text(f"Pressed {query.data}")

    app = ApplicationBuilder().token(BOT_TOKEN).base_url(fake.base_url).build()
    app.add_handler(CallbackQueryHandler(pressed))
    async with app:
        markup = InlineKeyboardMarkup([[InlineKeyboardButton("Stop", callback_data="stop")]])
        sent = await app.bot.send_message(ALICE.id, "Charging", reply_markup=markup)
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0.0, timeout=1)
        try:
            query_id = fake.press_button(ALICE, ALICE, sent.message_id, "stop")
            await fake.await_for(lambda f: bool(f.edits()), timeout=5)
        finally:
            await app.updater.stop()
            await app.stop()
    assert fake.callback_answers() == [{"callback_query_id": query_id, "text": "Stopping"}]
    [edit] = fake.edits()
    assert (edit.text, edit.reply_markup) == ("Pressed stop", None)


# ------------------------------------------------------------------ forum topics and pins

FORUM = FakeChat(id=-100777, title="Family", type="supergroup", is_forum=True)


async def test_a_message_in_a_topic_carries_its_thread_and_the_topic_it_belongs_to(
    bot: Bot, fake: FakeBotAPI
) -> None:
    thread = fake.create_topic(FORUM, "Car", by=ALICE)
    fake.group_message(FORUM, BOB, "/status", topic=thread)
    fake.group_message(FORUM, BOB, "/status")  # in General
    created, in_topic, in_general = await bot.get_updates(timeout=0)
    assert created.message is not None
    assert created.message.forum_topic_created is not None
    assert created.message.forum_topic_created.name == "Car"
    assert created.message.message_id == thread
    message = in_topic.message
    assert message is not None
    assert message.chat.is_forum is True
    assert (message.message_thread_id, message.is_topic_message) == (thread, True)
    assert message.reply_to_message is not None
    assert message.reply_to_message.forum_topic_created is not None
    assert in_general.message is not None
    assert in_general.message.message_thread_id is None
    assert not in_general.message.is_topic_message


async def test_a_send_with_a_thread_lands_in_that_topic(bot: Bot, fake: FakeBotAPI) -> None:
    thread = fake.create_topic(FORUM, "Car")
    sent = await bot.send_message(FORUM.id, "in the topic", message_thread_id=thread)
    await bot.send_message(FORUM.id, "in General")
    assert (sent.message_thread_id, sent.is_topic_message) == (thread, True)
    assert fake.messages_in(FORUM.id, thread) == ["in the topic"]
    assert fake.messages_in(FORUM.id, None) == ["in General"]
    photo = await bot.send_photo(FORUM.id, b"\x89PNG", message_thread_id=thread)
    assert photo.message_thread_id == thread


async def test_a_deleted_or_closed_topic_or_no_forum_refuses_the_send_like_telegram(
    bot: Bot, fake: FakeBotAPI
) -> None:
    gone, closed = fake.create_topic(FORUM, "Old"), fake.create_topic(FORUM, "Quiet")
    fake.delete_topic(FORUM, gone)
    fake.close_topic(FORUM, closed)
    with pytest.raises(BadRequest, match=r"(?i)^message thread not found$"):
        await bot.send_message(FORUM.id, "x", message_thread_id=gone)
    with pytest.raises(BadRequest, match=r"(?i)^topic_closed$"):
        await bot.send_document(FORUM.id, b"x", message_thread_id=closed)
    with pytest.raises(BadRequest, match=r"(?i)^message thread not found$"):
        await bot.send_message(GROUP.id, "x", message_thread_id=gone)  # not a forum
    fake.close_topic(FORUM, closed, closed=False)
    await bot.send_message(FORUM.id, "open again", message_thread_id=closed)
    assert fake.sent()[-1].thread_id == closed
    with pytest.raises(ValueError, match="no open topic"):
        fake.group_message(FORUM, BOB, "hello", topic=gone)


async def test_deleting_a_topic_deletes_its_messages(bot: Bot, fake: FakeBotAPI) -> None:
    thread = fake.create_topic(FORUM, "Car")
    sent = await bot.send_message(FORUM.id, "card", message_thread_id=thread)
    fake.delete_topic(FORUM, thread)
    with pytest.raises(BadRequest, match=r"(?i)message to edit not found"):
        await bot.edit_message_text("new", chat_id=FORUM.id, message_id=sent.message_id)


async def test_a_supergroup_can_become_a_forum(bot: Bot, fake: FakeBotAPI) -> None:
    with pytest.raises(ValueError, match="not a forum"):
        fake.create_topic(GROUP, "Car")
    forum = fake.make_forum(GROUP)
    thread = fake.create_topic(GROUP, "Car")  # the old FakeChat is a forum now too
    assert (await bot.get_chat(GROUP.id)).is_forum is True
    assert forum.is_forum
    await bot.send_message(GROUP.id, "there", message_thread_id=thread)
    assert fake.messages_in(GROUP.id, thread) == ["there"]


async def test_edits_and_pins_refuse_a_thread_id_the_bot_api_does_not_have(
    bot: Bot, fake: FakeBotAPI
) -> None:
    thread = fake.create_topic(FORUM, "Car")
    sent = await bot.send_message(FORUM.id, "card", message_thread_id=thread)
    with pytest.raises(BadRequest, match="no parameter message_thread_id"):
        await bot.edit_message_text(
            "new",
            chat_id=FORUM.id,
            message_id=sent.message_id,
            api_kwargs={"message_thread_id": thread},
        )
    await bot.edit_message_text("new", chat_id=FORUM.id, message_id=sent.message_id)


async def test_pinning_needs_the_pin_right_in_groups_but_not_in_private(
    bot: Bot, fake: FakeBotAPI
) -> None:
    in_group = await bot.send_message(GROUP.id, "card")
    with pytest.raises(BadRequest, match=r"(?i)^not enough rights to manage pinned messages"):
        await bot.pin_chat_message(GROUP.id, in_group.message_id, disable_notification=True)
    with pytest.raises(BadRequest, match=r"(?i)not enough rights"):
        await bot.unpin_chat_message(GROUP.id, in_group.message_id)
    assert fake.pinned(GROUP.id) == []
    fake.set_can_pin(GROUP, True)
    me = await bot.get_chat_member(GROUP.id, fake.bot_id)
    assert me.status == "administrator"
    assert getattr(me, "can_pin_messages", None) is True
    assert await bot.pin_chat_message(GROUP.id, in_group.message_id, disable_notification=True)
    assert fake.pinned(GROUP.id) == [in_group.message_id]
    assert fake.calls_to("pinChatMessage")[-1].params["disable_notification"] is True
    assert await bot.unpin_chat_message(GROUP.id, in_group.message_id)
    assert fake.pinned(GROUP.id) == []
    private = await bot.send_message(ALICE.id, "card")
    assert await bot.pin_chat_message(ALICE.id, private.message_id)
    assert fake.pinned(ALICE.id) == [private.message_id]
    with pytest.raises(BadRequest, match=r"(?i)message to pin not found"):
        await bot.pin_chat_message(ALICE.id, 999)


async def test_a_user_who_never_wrote_to_the_bot_cannot_be_messaged_until_they_do(
    bot: Bot, fake: FakeBotAPI
) -> None:
    fake.never_started(BOB)
    with pytest.raises(Forbidden, match="bot can't initiate conversation with a user"):
        await bot.send_message(BOB.id, "hello")
    fake.private_message(BOB, "/start")
    await bot.send_message(BOB.id, "hello")
    assert fake.messages_to(BOB.id) == ["hello"]
