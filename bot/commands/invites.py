"""Invite links: `/invite` makes one, and `/start@bot <code>` in a group uses it.

The link adds the bot to a group and subscribes that group to the inviter's account in one
step (see `bot.core.invites` for the code's rules; `Linking` subscribes, as /subscribe does).
Only the code's hash is stored.
"""

from __future__ import annotations

import logging
import secrets

from bot.commands.asked import Asked, Deps, unknown_command
from bot.core.invites import (
    CODE_BYTES,
    INVITE_TTL,
    InviteState,
    code_hash,
    invite_state,
    start_link,
)
from bot.core.reply import Button, Reply
from bot.core.text.catalog import plain, t
from bot.store import Account

log = logging.getLogger(__name__)


class Invites:
    """`/invite`, and redeeming its code in a group."""

    def __init__(self, deps: Deps) -> None:
        self._deps = deps
        self._store = deps.store

    async def answer(self, asked: Asked) -> Reply:
        """`/invite` (in a private chat: the table says so)."""
        if asked.command != "invite":
            raise unknown_command(asked.command)
        return await self.invite(asked)

    async def invite(self, asked: Asked) -> Reply:
        """A fresh invite link for the person's account, with a button that opens it."""
        lang, person = asked.language, asked.person
        if await self._store.account_for_owner(person.id) is None:
            return Reply(t(lang, "invite_need_link"))
        code = secrets.token_urlsafe(CODE_BYTES)
        hashed = code_hash(code)
        assert hashed is not None  # noqa: S101  (token_urlsafe makes codes of CODE_PATTERN)
        now = self._deps.clock.now()
        await self._store.add_invite(
            code_hash=hashed, owner_id=person.id, now=now, expires_at=now + INVITE_TTL
        )
        log.info("user %s made an invite link", person.id)
        link = start_link(asked.bot_username, code)
        hours = int(INVITE_TTL.total_seconds() // 3600)
        button = Button(plain(lang, "invite_button"), url=link)
        return Reply(t(lang, "invite_link", link=link, hours=hours), buttons=((button,),))

    async def redeem(self, asked: Asked, code: str) -> Account | Reply:
        """`/start <code>` in a group: the account to subscribe the group to, the code used up;
        or why not (a Reply, and the code unused)."""
        lang, place, person = asked.language, asked.place, asked.person
        now = self._deps.clock.now()
        hashed = code_hash(code)
        found = await self._store.invite(hashed) if hashed is not None else None
        state = invite_state(
            found=found is not None,
            used_at=found.used_at if found else None,
            expires_at=found.expires_at if found else None,
            now=now,
        )
        if hashed is None or found is None or state != "valid":
            return self._refused(asked, state)
        if found.owner_id != person.id and not await asked.is_admin():
            return Reply(t(lang, "invite_not_yours"))
        account = await self._store.account_for_owner(found.owner_id)
        if account is None:
            return Reply(t(lang, "invite_owner_unlinked"))
        if not await self._store.use_invite(hashed, place.id, now):
            return self._refused(asked, "used")  # by someone else since it was read
        log.info("chat %s used an invite link of account %s", place.id, account.id)
        return account

    @staticmethod
    def _refused(asked: Asked, state: InviteState) -> Reply:
        hours = int(INVITE_TTL.total_seconds() // 3600)
        return Reply(t(asked.language, f"invite_{state}", hours=hours))
