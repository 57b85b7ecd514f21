"""Past sessions: `/sessions` a page at a time, `/export` as CSV, `/statement` as a PDF per
account, and `/tag` names for cards."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Final

from bot.commands.accounts import AccountReader, AccountUnreadable
from bot.commands.asked import (
    Asked,
    Deps,
    Person,
    Place,
    nothing_to_show,
    unknown_command,
    visible_accounts,
)
from bot.core import buttons
from bot.core.export import Period, SessionView, parse_period, sessions_csv
from bot.core.money import CreditPrice
from bot.core.reply import Attachment, Button, Reply
from bot.core.state import ChargerState
from bot.core.statement import render_statement, statement_data, statement_filename
from bot.core.statement_pdf import draw_statement
from bot.core.tags import MAX_TAG_NAME, TAG_ID, clean_name, tag_key, tag_name
from bot.core.text import replies
from bot.core.text.catalog import t
from bot.core.text.format import Language, period_name
from bot.joulo.client import SESSIONS_PAGE_LIMIT
from bot.joulo.models import Session
from bot.store import Account

#: Sessions per /sessions page, and how far back the paging buttons go.
SESSIONS_PAGE: Final = 10
MAX_SESSIONS_OFFSET: Final = 1000
#: Cap on /sessions pages read for one /export (100 sessions each).
EXPORT_MAX_PAGES: Final = 50

#: An account's tag names, charger states and price per ERE credit, read once per reply.
_Lookup = tuple[dict[str, str], dict[str, ChargerState], CreditPrice | None]


class History:
    """`/sessions`, `/export` and `/tag`."""

    def __init__(self, deps: Deps, accounts: AccountReader) -> None:
        self._deps = deps
        self._accounts = accounts
        self._store = deps.store

    async def answer(self, asked: Asked) -> Reply:
        """`/sessions`, `/export`, `/statement` or `/tag`, with their arguments."""
        match asked.command:
            case "sessions":
                return await self.sessions(asked.person, asked.place, " ".join(asked.args))
            case "export":
                return await self.export(asked.person, asked.place, " ".join(asked.args))
            case "statement":
                return await self.statement(asked.person, asked.place, " ".join(asked.args))
            case "tag":
                return await self.tag(asked.person, asked.args)
        raise unknown_command(asked.command)

    # --- /sessions --------------------------------------------------------------------------

    async def _charger_filter(
        self, accounts: list[Account], wanted: str, lang: Language
    ) -> tuple[str, dict[int, str]] | Reply:
        """The charger called (or with id) `wanted`: its name and its id per account."""
        found: dict[int, str] = {}
        name = wanted
        known: list[str] = []
        for account in accounts:
            states = await self._deps.readings.charger_states(account.id, account.link_seq)
            for state in states.values():
                known.append(state.name)
                if wanted.casefold() in (state.name.casefold(), state.charger_id.casefold()):
                    found[account.id] = state.charger_id
                    name = state.name
        if found:
            return name, found
        return Reply(
            t(
                lang,
                "sessions_unknown_charger",
                name=wanted,
                names=", ".join(sorted(set(known), key=str.casefold)) or "—",
            )
        )

    async def sessions(
        self, person: Person, place: Place, charger: str = "", offset: int = 0
    ) -> Reply:
        """The last sessions this chat may see, newest first, a page at a time."""
        lang = person.language
        accounts = await visible_accounts(self._store, person, place)
        if not accounts:
            return nothing_to_show(place, lang)
        offset = max(0, min(offset, MAX_SESSIONS_OFFSET))
        wanted = " ".join(charger.split())
        charger_name: str | None = None
        charger_ids: dict[int, str] = {}
        if wanted:
            resolved = await self._charger_filter(accounts, wanted, lang)
            if isinstance(resolved, Reply):
                return resolved
            charger_name, charger_ids = resolved
            accounts = [a for a in accounts if a.id in charger_ids]
        # One account pages at Joulo; several are merged, so each gives its newest ones.
        single = len(accounts) == 1
        merged: list[tuple[Session, Account]] = []
        try:
            for account in accounts:
                found = await self._accounts.sessions(
                    account,
                    offset=offset if single else 0,
                    count=SESSIONS_PAGE + 1 + (0 if single else offset),
                    charger_id=charger_ids.get(account.id),
                )
                merged.extend((session, account) for session in found)
        except AccountUnreadable as err:
            return err.reply(lang)
        merged.sort(key=lambda pair: (pair[0].started_at, pair[0].id), reverse=True)
        window = merged if single else merged[offset:]
        page, more = window[:SESSIONS_PAGE], len(window) > SESSIONS_PAGE
        lookups: dict[int, _Lookup] = {}
        views = [await self._view(session, account, lookups) for session, account in page]
        text = replies.render_sessions(
            views,
            offset=offset,
            charger=charger_name,
            lang=lang,
            tz=self._deps.tz,
            now=self._deps.clock.now(),
        )
        return Reply(text, buttons=self._paging(offset, more, wanted, charger_ids, lang))

    async def _view(
        self, session: Session, account: Account, lookups: dict[int, _Lookup]
    ) -> SessionView:
        """A session with its charger's and tag's names (read once per account into `lookups`)."""
        if account.id not in lookups:
            lookups[account.id] = (
                await self._store.tag_names(account.id),
                await self._deps.readings.charger_states(account.id, account.link_seq),
                await self._store.credit_price(account.id),
            )
        names, states, price = lookups[account.id]
        state = states.get(session.charger_id)
        charger = (session.charger_nickname or "").strip() or (
            state.name if state else session.charger_id
        )
        return SessionView(session, charger, tag_name(names, session.id_tag), price)

    @staticmethod
    def _paging(
        offset: int, more: bool, wanted: str, charger_ids: dict[int, str], lang: Language
    ) -> tuple[tuple[Button, ...], ...]:
        charger_id = next(iter(charger_ids.values()), "")

        def page(start: int) -> str:
            return buttons.sessions(start, wanted, charger_id=charger_id)

        newer = page(max(0, offset - SESSIONS_PAGE)) if offset > 0 else None
        has_older = more and offset + SESSIONS_PAGE <= MAX_SESSIONS_OFFSET
        older = page(offset + SESSIONS_PAGE) if has_older else None
        return replies.paging_buttons(lang, newer=newer, older=older)

    # --- /export ----------------------------------------------------------------------------

    async def export(self, person: Person, place: Place, argument: str = "") -> Reply:
        """A CSV of the finished sessions started in a month or a year (default: last month)."""
        lang = person.language
        accounts = await visible_accounts(self._store, person, place)
        if not accounts:
            return nothing_to_show(place, lang)
        period = parse_period(argument, self._deps.clock.now(), self._deps.tz)
        if period is None:
            return Reply(t(lang, "export_usage"))
        rows: list[SessionView] = []
        lookups: dict[int, _Lookup] = {}
        try:
            for account in [] if period.before_joulo else accounts:
                rows.extend(await self._finished_in(period, account, lookups))
        except AccountUnreadable as err:
            return err.reply(lang)
        label = period_name(period.label, lang)
        if not rows:
            return Reply(t(lang, "export_empty", period=label))
        chat = await self._store.chat(place.id)
        tariff = chat.tariff if chat is not None else None
        content = sessions_csv(rows, lang, self._deps.tz, tariff)
        caption = replies.render_export_caption(rows, period.label, lang, tariff)
        return Reply(caption, attachment=Attachment("document", period.filename, content))

    async def _finished_in(
        self, period: Period, account: Account, lookups: dict[int, _Lookup]
    ) -> list[SessionView]:
        """An account's finished sessions started in `period` (only those are counted, as in
        /stats)."""
        found = await self._accounts.sessions(
            account,
            since=period.start,
            until=period.end - timedelta(seconds=1),
            max_pages=EXPORT_MAX_PAGES,
        )
        return [
            await self._view(session, account, lookups)
            for session in found
            if session.ended_at is not None and period.start <= session.started_at < period.end
        ]

    # --- /statement -------------------------------------------------------------------------

    async def statement(self, person: Person, place: Place, argument: str = "") -> Reply:
        """A PDF per account of a month's finished sessions for an employer (default: last month).

        One PDF per account, not one per chat: each driver hands their own to their employer,
        who should see that driver's charging and totals and nobody else's. Months are read as
        /export reads them; a month in which an account has no finished session gets no PDF but
        a line saying so.
        """
        lang = person.language
        accounts = await visible_accounts(self._store, person, place)
        if not accounts:
            return nothing_to_show(place, lang)
        now, tz = self._deps.clock.now(), self._deps.tz
        period = parse_period(argument, now, tz)
        if period is None or len(period.label) != len("YYYY-MM"):
            return Reply(t(lang, "statement_usage"))
        chat = await self._store.chat(place.id)
        tariff = chat.tariff if chat is not None else None
        prices = await self._store.credit_prices(account.id for account in accounts)
        documents: list[Reply] = []
        without: list[str] = []
        lookups: dict[int, _Lookup] = {}
        try:
            for account in accounts:
                views = (
                    [] if period.before_joulo else await self._finished_in(period, account, lookups)
                )
                data = statement_data(
                    account.owner_name,
                    period,
                    views,
                    made_at=now,
                    tariff=tariff,
                    price=prices.get(account.id),
                )
                if data is None:
                    without.append(account.owner_name)
                    continue
                page = render_statement(data, lang, tz)
                # In a worker thread, so the bot stays responsive while the PDF is laid out.
                pdf = await asyncio.to_thread(draw_statement, page, now)
                documents.append(
                    Reply(
                        replies.render_statement_caption(data, lang),
                        attachment=Attachment("document", statement_filename(data), pdf),
                    )
                )
        except AccountUnreadable as err:
            return err.reply(lang)
        if without:
            names = ", ".join(without)
            month = period_name(period.label, lang)
            documents.append(Reply(t(lang, "statement_empty", names=names, month=month)))
        first, *more = documents
        return replace(first, more=tuple(more))

    # --- /tag -------------------------------------------------------------------------------

    async def tag(self, person: Person, args: tuple[str, ...]) -> Reply:
        """List the charge cards with their names, name one, or remove a name."""
        lang = person.language
        account = await self._store.account_for_owner(person.id)
        if account is None:
            return Reply(t(lang, "not_linked"))
        if not args:
            return await self._tag_list(account, lang)
        tag = tag_key(args[0])
        if not TAG_ID.fullmatch(tag):
            return Reply(t(lang, "tag_bad_name", max=MAX_TAG_NAME))
        if len(args) == 1:
            removed = await self._store.remove_tag_name(account.id, tag)
            return Reply(t(lang, "tag_unnamed" if removed else "tag_had_no_name", tag=tag))
        name = clean_name(" ".join(args[1:]))
        if name is None:
            return Reply(t(lang, "tag_bad_name", max=MAX_TAG_NAME))
        await self._store.set_tag_name(account.id, tag, name, self._deps.clock.now())
        return Reply(t(lang, "tag_named", tag=tag, name=name))

    async def _tag_list(self, account: Account, lang: Language) -> Reply:
        names = await self._store.tag_names(account.id)
        last_used: dict[str, datetime] = {}
        note = ""
        try:
            recent = await self._accounts.sessions(account, count=SESSIONS_PAGE_LIMIT)
            for session in recent:
                if session.id_tag:
                    key = tag_key(session.id_tag)
                    last_used[key] = max(last_used.get(key, session.started_at), session.started_at)
        except AccountUnreadable:
            note = "\n" + t(lang, "joulo_busy")
        seen = [
            replies.TagSeen(tag, names.get(tag), last_used.get(tag))
            for tag in sorted(set(last_used) | set(names))
        ]
        seen.sort(key=lambda s: s.last_used or datetime.min.replace(tzinfo=UTC), reverse=True)
        return Reply(replies.render_tags(seen, lang, self._deps.tz, self._deps.clock.now()) + note)
