"""The Telegram adapter: updates in, `Answers` calls, replies out. No rules live here.

Each handler turns an update into an `Asked` (who, where, which arguments), asks `Answers`,
and sends the `Reply` back: as a message, a photo or a document, with inline buttons, or as
an edit of the message whose button was pressed. Registration happens in `bot.app`.
"""

from __future__ import annotations

import logging
from dataclasses import replace

from telegram import (
    Chat,
    ChatMember,
    ChatMemberUpdated,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    InputMediaDocument,
    InputMediaPhoto,
    Message,
    Update,
    User,
)
from telegram.constants import ChatMemberStatus, ChatType, ParseMode
from telegram.error import BadRequest, Forbidden, RetryAfter, TelegramError
from telegram.ext import ContextTypes

from bot.commands import COMMANDS, Answers, Asked, Person, Place, find_token
from bot.core.reply import Reply
from bot.core.text.format import Language, pick_language
from bot.store import ChatKind
from bot.telegram.send import topic_refused

log = logging.getLogger(__name__)

Context = ContextTypes.DEFAULT_TYPE
_CHAT_KINDS: dict[str, ChatKind] = {
    ChatType.PRIVATE: "private",
    ChatType.GROUP: "group",
    ChatType.SUPERGROUP: "supergroup",
    ChatType.CHANNEL: "channel",
}
_PRESENT = (ChatMemberStatus.MEMBER, ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.OWNER)
_ADMINS = (ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.OWNER)


def _place(chat: Chat, message: Message | None = None) -> Place:
    return Place(
        id=chat.id,
        kind=_CHAT_KINDS.get(chat.type, "group"),
        title=chat.title,
        thread=_thread(message),
        thread_name=_thread_name(message),
        forum=bool(chat.is_forum),
    )


def _thread(message: Message | None) -> int | None:
    """The forum topic a message is in; None for General and for reply threads of non-forums."""
    if message is None or not message.is_topic_message:
        return None
    return message.message_thread_id


def _thread_name(message: Message | None) -> str | None:
    """The topic's name: a message in a topic answers the topic's creation (when not a reply)."""
    if _thread(message) is None or message is None:
        return None
    created = message.reply_to_message.forum_topic_created if message.reply_to_message else None
    if created is None:
        created = message.forum_topic_created
    return created.name if created is not None else None


def _markup(reply: Reply) -> InlineKeyboardMarkup | None:
    if not reply.buttons:
        return None
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(button.text, url=button.url)
                if button.url
                else InlineKeyboardButton(button.text, callback_data=button.data)
                for button in row
            ]
            for row in reply.buttons
        ]
    )


async def send_reply(
    context: Context, chat_id: int, reply: Reply, thread: int | None = None
) -> Message:
    """Send a reply as a message, or as a photo or document with the text as its caption; then
    the replies in its `more`, in order. Returns the first message.

    `thread`: the forum topic the question came from, where the answer goes too; if Telegram
    refuses that topic (closed meanwhile, or an admin wrote in a closed one), to General.
    """
    first = await _send_in_topic(context, chat_id, reply, thread)
    for following in reply.more:
        await send_reply(context, chat_id, following, thread)
    return first


async def _send_in_topic(
    context: Context, chat_id: int, reply: Reply, thread: int | None
) -> Message:
    try:
        return await _send_one(context, chat_id, reply, thread)
    except BadRequest as err:
        if thread is None or not topic_refused(err):
            raise
        log.info(
            "chat %s: topic %s refused a reply (%s); answering in General", chat_id, thread, err
        )
        return await _send_one(context, chat_id, reply, None)


async def _send_one(context: Context, chat_id: int, reply: Reply, thread: int | None) -> Message:
    markup = _markup(reply)
    attachment = reply.attachment
    if attachment is None:
        # Not reply_text: the message being answered may just have been deleted (a token).
        return await context.bot.send_message(
            chat_id, reply.text, reply_markup=markup, message_thread_id=thread
        )
    upload = InputFile(attachment.content, filename=attachment.filename)
    if attachment.kind == "photo":
        return await context.bot.send_photo(
            chat_id, upload, caption=reply.text, reply_markup=markup, message_thread_id=thread
        )
    return await context.bot.send_document(
        chat_id, upload, caption=reply.text, reply_markup=markup, message_thread_id=thread
    )


class TelegramHandlers:
    """Every handler the bot registers, bound to `Answers`."""

    def __init__(self, *, answers: Answers, default_language: Language) -> None:
        self._answers = answers
        self._default_language = default_language

    # --- translating updates ----------------------------------------------------------------

    def _person(self, user: User) -> Person:
        name = user.first_name or user.username or str(user.id)
        return Person(
            id=user.id,
            name=name,
            language=pick_language(user.language_code, self._default_language),
        )

    def _asked(
        self, context: Context, user: User, message: Message, args: tuple[str, ...] = ()
    ) -> Asked:
        chat = message.chat

        async def is_admin() -> bool:
            try:
                member = await context.bot.get_chat_member(chat.id, user.id)
            except TelegramError:
                return False
            return member.status in _ADMINS

        return Asked(
            self._person(user),
            _place(chat, message),
            args,
            is_admin=is_admin,
            bot_username=context.bot.username or "",
        )

    @staticmethod
    def _who(update: Update) -> tuple[User, Chat, Message] | None:
        user, chat, message = update.effective_user, update.effective_chat, update.effective_message
        if user is None or chat is None or message is None:
            return None
        return user, chat, message

    @staticmethod
    async def _delete(message: Message) -> bool:
        try:
            return await message.delete()
        except (BadRequest, Forbidden):
            return False

    # --- messages ---------------------------------------------------------------------------

    async def command(self, update: Update, context: Context) -> None:
        """Every command: `Answers.command` knows which exist and where they may be used."""
        if (who := self._who(update)) is None:
            return
        user, chat, message = who
        words = (message.text or "").split()
        if not words:  # a command entity always starts the text, but be safe
            return
        word, *args = words
        name, _, addressee = word.removeprefix("/").lower().partition("@")
        if chat.type != ChatType.PRIVATE:
            if addressee and addressee != (context.bot.username or "").lower():
                return  # "/status@otherbot": not for us
            if name not in COMMANDS and not addressee:
                return  # an unknown command in a group is usually another bot's
        asked = self._asked(context, user, message, tuple(args))
        spec = COMMANDS.get(name)
        if spec is not None and spec.secret_args and asked.args:
            asked = replace(asked, deleted=await self._delete(message))
        reply = await self._answers.command(name, asked)
        await send_reply(context, chat.id, reply, asked.place.thread)

    async def pasted_token(self, update: Update, context: Context) -> None:
        """A message that contains a Joulo token: it is deleted, then linked or warned about."""
        if (who := self._who(update)) is None:
            return
        user, chat, message = who
        token = find_token(message.text or message.caption or "")
        if token is None:
            return
        asked = replace(self._asked(context, user, message), deleted=await self._delete(message))
        reply = await self._answers.token_message(asked, token)
        await send_reply(context, chat.id, reply, asked.place.thread)

    async def chatter(self, update: Update, context: Context) -> None:
        """Plain text in a private chat."""
        if (who := self._who(update)) is None:
            return
        user, chat, message = who
        reply = await self._answers.chatter(self._asked(context, user, message))
        await send_reply(context, chat.id, reply, _thread(message))

    async def press(self, update: Update, context: Context) -> None:
        """An inline button: the message it belongs to is edited with the answer."""
        query = update.callback_query
        if query is None:
            return
        message = query.message
        language = pick_language(query.from_user.language_code, self._default_language)
        reply = None
        if isinstance(message, Message) and query.data:
            asked = self._asked(context, query.from_user, message)
            reply = await self._answers.press(asked, query.data)
        try:
            if reply is None or not isinstance(message, Message):
                if isinstance(message, Message):  # in the chat's language, as every reply
                    person = self._person(query.from_user)
                    language = await self._answers.language_in(_place(message.chat), person)
                await query.answer(self._answers.stale_button(language))
                return
            await query.answer(reply.notice)
            await self._edit(message, reply)
        except BadRequest as err:  # expired query, or "message is not modified"
            log.debug("could not answer a button press: %s", err.message)

    @staticmethod
    async def _edit(message: Message, reply: Reply) -> None:
        markup = _markup(reply)
        attachment = reply.attachment
        if attachment is not None and (message.photo or message.document):
            media = (InputMediaPhoto if attachment.kind == "photo" else InputMediaDocument)(
                attachment.content,
                caption=reply.text,
                parse_mode=ParseMode.HTML,
                filename=attachment.filename,
            )
            await message.edit_media(media, reply_markup=markup)
        elif message.photo or message.document:
            await message.edit_caption(caption=reply.text, reply_markup=markup)
        else:
            await message.edit_text(reply.text, reply_markup=markup)

    # --- the bot's membership ---------------------------------------------------------------

    async def membership(self, update: Update, context: Context) -> None:
        """The bot was added to or removed from a chat, or blocked/unblocked in private."""
        change = update.my_chat_member
        if change is None:
            return
        was, now_present = self._present(change, old=True), self._present(change, old=False)
        place = _place(change.chat)
        if now_present and not was:
            reply = await self._answers.bot_added(place, self._person(change.from_user))
            if reply is not None:
                await send_reply(context, place.id, reply)
        elif was and not now_present:
            await self._answers.bot_removed(place)

    async def migrated(self, update: Update, context: Context) -> None:
        """A group became a supergroup (either service message of the pair)."""
        message = update.effective_message
        if message is None:
            return
        if message.migrate_to_chat_id is not None:
            await self._answers.chat_moved(message.chat.id, message.migrate_to_chat_id)
        elif message.migrate_from_chat_id is not None:
            await self._answers.chat_moved(message.migrate_from_chat_id, message.chat.id)

    @staticmethod
    def _present(change: ChatMemberUpdated, *, old: bool) -> bool:
        member: ChatMember = change.old_chat_member if old else change.new_chat_member
        if member.status in _PRESENT:
            return True
        return member.status == ChatMemberStatus.RESTRICTED and bool(
            getattr(member, "is_member", False)
        )

    # --- errors -----------------------------------------------------------------------------

    async def error(self, update: object, context: Context) -> None:
        """Log the failure with context but never the update's text (it may hold a token).

        Never raises: a failing error handler would hide the original error.
        """
        try:
            await self._report(update, context)
        except Exception:  # the last line of defence must not fall over itself
            log.exception("the error handler failed")

    async def _report(self, update: object, context: Context) -> None:
        where = ""
        if isinstance(update, Update):
            chat = update.effective_chat
            kind = (
                "command"
                if update.effective_message and update.effective_message.text
                else "update"
            )
            where = f" ({kind} {update.update_id}, chat {chat.id if chat else '?'})"
        error = context.error
        if isinstance(error, RetryAfter):
            # A reply refused by a long flood (see FloodPolicy): the chat can't be told either.
            log.warning(
                "reply dropped%s: Telegram's flood control for %s", where, error.retry_after
            )
            return
        log.error(
            "error while handling an update%s: %s",
            where,
            type(error).__name__,
            exc_info=(type(error), error, error.__traceback__) if error else None,
        )
        if isinstance(update, Update) and update.effective_chat is not None:
            user = update.effective_user
            lang = pick_language(user.language_code if user else None, self._default_language)
            try:  # in the forum topic the failed question came from
                await context.bot.send_message(
                    update.effective_chat.id,
                    self._answers.error_text(lang),
                    message_thread_id=_thread(update.effective_message),
                )
            except TelegramError:
                log.debug("could not tell the chat about the error")
