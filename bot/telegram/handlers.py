"""Telegram update handlers: translate an update into an `Answers` call and send the reply.

Each handler is a few lines; the logic lives in `answers`. Registration happens in `app`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from telegram import Chat, ChatMember, ChatMemberUpdated, Message, Update, User
from telegram.constants import ChatMemberStatus, ChatType
from telegram.error import BadRequest, Forbidden, TelegramError
from telegram.ext import ContextTypes

from bot.clock import Clock
from bot.commands import Answers, Person, Place, find_token
from bot.core.i18n import Language, pick_language, t
from bot.core.reply import Reply
from bot.store import ChatKind, Store

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


def _place(chat: Chat) -> Place:
    return Place(id=chat.id, kind=_CHAT_KINDS.get(chat.type, "group"), title=chat.title)


class TelegramHandlers:
    """Every handler the bot registers, bound to the services they use."""

    def __init__(
        self,
        *,
        answers: Answers,
        store: Store,
        clock: Clock,
        default_language: Language,
        on_events: Callable[[], None] = lambda: None,
    ) -> None:
        self._answers = answers
        self._store = store
        self._clock = clock
        self._default_language = default_language
        self._on_events = on_events

    # --- helpers ----------------------------------------------------------------------------

    def _person(self, user: User) -> Person:
        name = user.first_name or user.username or str(user.id)
        return Person(
            id=user.id,
            name=name,
            language=pick_language(user.language_code, self._default_language),
        )

    @staticmethod
    def _who(update: Update) -> tuple[User, Chat, Message] | None:
        user, chat, message = update.effective_user, update.effective_chat, update.effective_message
        if user is None or chat is None or message is None:
            return None
        return user, chat, message

    @staticmethod
    async def _send(context: Context, chat_id: int, reply: Reply) -> None:
        # Not reply_text: the message being answered may just have been deleted (a token).
        await context.bot.send_message(chat_id, reply.text)

    @staticmethod
    async def _delete(message: Message) -> bool:
        try:
            return await message.delete()
        except (BadRequest, Forbidden):
            return False

    @staticmethod
    async def _is_admin(context: Context, chat_id: int, user_id: int) -> bool:
        try:
            member = await context.bot.get_chat_member(chat_id, user_id)
        except TelegramError:
            return False
        return member.status in _ADMINS

    async def _no_args(self, update: Update, context: Context, command: str) -> bool:
        """Answer a hint and return False when a command that takes no arguments got some."""
        if not context.args or (who := self._who(update)) is None:
            return True
        user, chat, _ = who
        hint = t(self._person(user).language, "too_many_args", command=command)
        await self._send(context, chat.id, Reply(hint))
        return False

    # --- commands ---------------------------------------------------------------------------

    async def start(self, update: Update, context: Context) -> None:
        """/start: what the bot does and how to link (private) or subscribe (group)."""
        if (who := self._who(update)) is None:
            return
        user, chat, _ = who
        reply = await self._answers.start(self._person(user), _place(chat))
        await self._send(context, chat.id, reply)

    async def help(self, update: Update, context: Context) -> None:
        """/help: the command list."""
        if not await self._no_args(update, context, "help"):
            return
        if (who := self._who(update)) is None:
            return
        user, chat, _ = who
        await self._send(context, chat.id, self._answers.help(self._person(user).language))

    async def link(self, update: Update, context: Context) -> None:
        """/link <token>: validate and store a token (the message is deleted)."""
        if (who := self._who(update)) is None:
            return
        user, chat, message = who
        person = self._person(user)
        raw = " ".join(context.args or [])
        if chat.type != ChatType.PRIVATE:
            if raw:
                await self._token_in_group(context, person, chat, message)
            else:
                await self._send(context, chat.id, Reply(t(person.language, "private_only")))
            return
        if not raw:
            await self._send(context, chat.id, Reply(t(person.language, "link_usage")))
            return
        await self._link(context, person, chat, message, raw)

    async def pasted_token(self, update: Update, context: Context) -> None:
        """A message that contains a Joulo token: link it (private) or warn (group)."""
        if (who := self._who(update)) is None:
            return
        user, chat, message = who
        person = self._person(user)
        token = find_token(message.text or message.caption or "")
        if token is None:
            return
        if chat.type == ChatType.PRIVATE:
            await self._link(context, person, chat, message, token)
        else:
            await self._token_in_group(context, person, chat, message)

    async def _link(
        self, context: Context, person: Person, chat: Chat, message: Message, raw: str
    ) -> None:
        deleted = await self._delete(message)
        outcome = await self._answers.link(person, raw)
        text = outcome.reply.text
        if not deleted:
            text += t(person.language, "token_not_deleted_private")
        await self._send(context, chat.id, Reply(text))

    async def _token_in_group(
        self, context: Context, person: Person, chat: Chat, message: Message
    ) -> None:
        deleted = await self._delete(message)
        note = t(person.language, "token_deleted_group" if deleted else "token_not_deleted_group")
        log.warning("a Joulo token was posted in group %s; it was not used", chat.id)
        await self._send(context, chat.id, Reply(t(person.language, "link_in_group", deleted=note)))

    async def unlink(self, update: Update, context: Context) -> None:
        """/unlink: forget the token and everything derived from it."""
        if not await self._no_args(update, context, "unlink"):
            return
        if (who := self._who(update)) is None:
            return
        user, chat, _ = who
        person = self._person(user)
        if chat.type != ChatType.PRIVATE:
            await self._send(context, chat.id, Reply(t(person.language, "private_only")))
            return
        await self._send(context, chat.id, await self._answers.unlink(person))

    async def subscribe(self, update: Update, context: Context) -> None:
        """/subscribe (group): share the sender's account notifications here."""
        if not await self._no_args(update, context, "subscribe"):
            return
        if (who := self._who(update)) is None:
            return
        user, chat, _ = who
        reply = await self._answers.subscribe(self._person(user), _place(chat))
        await self._send(context, chat.id, reply)

    async def unsubscribe(self, update: Update, context: Context) -> None:
        """/unsubscribe (group): the owner stops their account; an admin stops all."""
        if not await self._no_args(update, context, "unsubscribe"):
            return
        if (who := self._who(update)) is None:
            return
        user, chat, _ = who
        place = _place(chat)
        is_admin = not place.is_private and await self._is_admin(context, chat.id, user.id)
        reply = await self._answers.unsubscribe(self._person(user), place, is_admin=is_admin)
        await self._send(context, chat.id, reply)

    async def status(self, update: Update, context: Context) -> None:
        """/status: the chargers this chat can see, right now."""
        if not await self._no_args(update, context, "status"):
            return
        if (who := self._who(update)) is None:
            return
        user, chat, _ = who
        await self._send(
            context, chat.id, await self._answers.status(self._person(user), _place(chat))
        )

    async def stats(self, update: Update, context: Context) -> None:
        """/stats: energy and ERE credits this month, last month and lifetime."""
        if not await self._no_args(update, context, "stats"):
            return
        if (who := self._who(update)) is None:
            return
        user, chat, _ = who
        await self._send(
            context, chat.id, await self._answers.stats(self._person(user), _place(chat))
        )

    async def unknown_command(self, update: Update, context: Context) -> None:
        """Any other command: a pointer to /help (in groups only when addressed to us)."""
        if (who := self._who(update)) is None:
            return
        user, chat, message = who
        if chat.type != ChatType.PRIVATE:
            command = (message.text or "").split()[0] if message.text else ""
            if not command.lower().endswith(f"@{context.bot.username.lower()}"):
                return
        await self._send(
            context, chat.id, self._answers.unknown_command(self._person(user).language)
        )

    async def chatter(self, update: Update, context: Context) -> None:
        """Plain text in a private chat: the bot only understands commands."""
        if (who := self._who(update)) is None:
            return
        user, chat, _ = who
        await self._send(context, chat.id, Reply(t(self._person(user).language, "only_commands")))

    async def stale_button(self, update: Update, context: Context) -> None:
        """A button from an old message (before a restart or an upgrade)."""
        query = update.callback_query
        if query is None:
            return
        language = pick_language(query.from_user.language_code, self._default_language)
        try:
            await query.answer(t(language, "stale_button"))
        except BadRequest:  # too old for Telegram to accept an answer: nothing left to do
            log.debug("could not answer an expired button press")

    # --- membership -------------------------------------------------------------------------

    async def membership(self, update: Update, context: Context) -> None:
        """The bot was added to or removed from a chat, or blocked/unblocked in private."""
        change = update.my_chat_member
        if change is None:
            return
        was = self._present(change, old=True)
        now_present = self._present(change, old=False)
        chat = change.chat
        if now_present and not was:
            if chat.type == ChatType.PRIVATE:
                await self._store.reactivate_chat(chat.id, self._clock.now())
                return
            if await self._store.chat(chat.id) is not None:
                await self._store.reactivate_chat(chat.id, self._clock.now())
            language = pick_language(change.from_user.language_code, self._default_language)
            await self._send(context, chat.id, self._answers.welcome_group(language))
        elif was and not now_present:
            reason = "bot blocked" if chat.type == ChatType.PRIVATE else "bot removed from chat"
            accounts = await self._store.deactivate_chat(chat.id, reason, self._clock.now())
            log.info("%s: chat %s (%d subscription(s) ended)", reason, chat.id, len(accounts))
            self._on_events()

    async def migrated(self, update: Update, context: Context) -> None:
        """A group became a supergroup: its subscriptions follow it to the new id."""
        message = update.effective_message
        if message is None:
            return
        if message.migrate_to_chat_id is not None:
            old, new = message.chat.id, message.migrate_to_chat_id
        elif message.migrate_from_chat_id is not None:
            old, new = message.migrate_from_chat_id, message.chat.id
        else:
            return
        log.info("chat %s became supergroup %s", old, new)
        await self._store.migrate_chat(old, new, self._clock.now())

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
        log.error(
            "error while handling an update%s: %s",
            where,
            type(error).__name__,
            exc_info=(type(error), error, error.__traceback__) if error else None,
        )
        if isinstance(update, Update) and update.effective_chat is not None:
            user = update.effective_user
            lang = pick_language(user.language_code if user else None, self._default_language)
            try:
                await context.bot.send_message(update.effective_chat.id, t(lang, "error_generic"))
            except TelegramError:
                log.debug("could not tell the chat about the error")
