"""What the chargers are doing now (`/status`) and what they did (`/stats`, with its chart)."""

from __future__ import annotations

import asyncio
import logging
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
from bot.core.buttons import StatsPeriod
from bot.core.chart import draw_chart
from bot.core.reply import Attachment, Reply
from bot.core.text import replies
from bot.core.text.catalog import chart_text
from bot.core.text.format import fits_caption
from bot.store import Account

log = logging.getLogger(__name__)

CHART_FILENAME: Final = "joulo-stats.png"


class Status:
    """`/status` and `/stats` for every account the chat may see."""

    def __init__(self, deps: Deps, accounts: AccountReader) -> None:
        self._deps = deps
        self._store = deps.store
        self._accounts = accounts

    async def answer(self, asked: Asked) -> Reply:
        """`/status` or `/stats`."""
        match asked.command:
            case "status":
                return await self.status(asked.person, asked.place)
            case "stats":
                return await self.stats(asked.person, asked.place)
        raise unknown_command(asked.command)

    async def status(self, person: Person, place: Place) -> Reply:
        """Every visible charger: online or not, charging, kWh so far, power, data age."""
        lang = person.language
        accounts = await visible_accounts(self._store, person, place)
        if not accounts:
            return nothing_to_show(place, lang)
        views = [
            replies.AccountStatus(
                owner_name=account.owner_name,
                paused=account.status == "token_rejected",
                chargers=list(
                    (
                        await self._deps.readings.charger_states(account.id, account.link_seq)
                    ).values()
                ),
                last_success_at=self._deps.readings.last_success(account),
                tag_names=await self._deps.store.tag_names(account.id),
            )
            for account in accounts
        ]
        text = replies.status(
            views,
            lang,
            self._deps.tz,
            self._deps.clock.now(),
            poll_interval=self._deps.poll_interval,
        )
        return Reply(text)

    async def _account_stats(self, account: Account) -> replies.AccountStats:
        try:
            energy = await self._accounts.energy(account)
        except AccountUnreadable as err:
            return replies.AccountStats(account.owner_name, None, problem=err.problem)
        position = await self._accounts.position(account)
        return replies.AccountStats(account.owner_name, energy, position)

    async def stats(self, person: Person, place: Place, period: StatsPeriod = "12m") -> Reply:
        """A chart of the months, and this month, last month, this year and lifetime in text.

        The chart comes as a photo with the text as its caption and buttons for the period;
        if it cannot be drawn (or the caption would be too long), the text comes alone.
        """
        lang = person.language
        accounts = await visible_accounts(self._store, person, place)
        if not accounts:
            return nothing_to_show(place, lang)
        now, tz = self._deps.clock.now(), self._deps.tz
        figures = [await self._account_stats(account) for account in accounts]
        chat = await self._store.chat(place.id)
        tariff = chat.tariff if chat is not None else None
        text = replies.render_stats(figures, lang, now, tz, tariff)
        if all(f.energy is None for f in figures) or not fits_caption(text):
            return Reply(text)
        bars = replies.chart_bars(figures, period, lang, now, tz)
        words = chart_text(lang, all_time=period == "all")
        try:
            # In a worker thread, so the bot stays responsive (draw_chart draws one at a time).
            png = await asyncio.to_thread(draw_chart, bars, words, lang)
        except Exception:  # any drawing failure: the figures still go out
            log.exception("/stats: could not draw the chart")
            return Reply(text)
        return Reply(
            text,
            buttons=replies.stats_buttons(period, lang),
            attachment=Attachment("photo", CHART_FILENAME, png),
        )
