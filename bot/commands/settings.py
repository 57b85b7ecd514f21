"""What a chat gets: `/settings` and its buttons, `/language`, `/quiet`, `/live`, `/mute`…

…and `/tariff`, the chat's price per kWh (stored on the chat; read by every cost shown there).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Final

from bot.commands.asked import Asked, Deps, Person, Place, unknown_command, visible_accounts
from bot.core.buttons import (
    ChargerPress,
    ChatSettingPress,
    LanguagePress,
    LivePress,
    PinPress,
    QuietPress,
    SettingPress,
    TariffOffPress,
    TopicPress,
)
from bot.core.policy import ChatSettings, chat_language, parse_mute, parse_quiet
from bot.core.reply import Reply
from bot.core.tariff import MAX_DECIMALS, MAX_TARIFF, BadTariff, parse_tariff
from bot.core.text.catalog import euros, per_kwh, t
from bot.core.text.format import LANGUAGES, Language, as_lang, fmt_time
from bot.core.text.settings import ThreadShown, settings_menu, settings_notice

_ON: Final = frozenset({"on", "aan", "1", "yes", "ja"})
_OFF: Final = frozenset({"off", "uit", "0", "no", "nee"})


class Settings:
    """A chat's settings: shown, changed by command or button (by an admin in a group)."""

    def __init__(self, deps: Deps) -> None:
        self._deps = deps
        self._store = deps.store

    async def answer(self, asked: Asked) -> Reply:
        """`/settings`, `/mute`, `/unmute`, `/quiet`, `/live` or `/language`."""
        match asked.command:
            case "settings":
                return await self.settings(asked)
            case "mute":
                return await self.mute(asked)
            case "unmute":
                return await self.unmute(asked)
            case "quiet":
                return await self.quiet(asked)
            case "live":
                return await self.live(asked)
            case "pin":
                return await self.pin(asked)
            case "language":
                return await self.set_language(asked)
            case "tariff":
                return await self.tariff(asked)
        raise unknown_command(asked.command)

    async def _notification_language(
        self, place: Place, settings: ChatSettings, fallback: Language
    ) -> Language:
        """The language this chat's notifications use (shown in the menu)."""
        chat = await self._store.chat(place.id)
        recorded = as_lang(chat.language, fallback) if chat is not None else fallback
        return chat_language(settings.language, recorded)

    async def _chargers(self, person: Person, place: Place) -> list[tuple[str, str]]:
        chargers: list[tuple[str, str]] = []
        for account in await visible_accounts(self._store, person, place):
            states = await self._deps.readings.charger_states(account.id, account.link_seq)
            chargers.extend((s.charger_id, s.name) for s in states.values())
        return sorted(chargers, key=lambda pair: pair[1].lower())

    async def settings(self, asked: Asked) -> Reply:
        """The chat's settings as a summary with a keyboard that changes them."""
        current = await self._store.chat_settings(asked.place.id)
        return await self._menu(asked.person, asked.place, current)

    async def _menu(
        self,
        person: Person,
        place: Place,
        current: ChatSettings,
        chargers: list[tuple[str, str]] | None = None,
    ) -> Reply:
        notifications = await self._notification_language(place, current, person.language)
        chat = await self._store.chat(place.id)
        thread = None
        if chat is not None and (place.forum or chat.thread_id is not None):
            thread = ThreadShown(chat.thread_id, chat.thread_name)
        elif place.forum:
            thread = ThreadShown(None)
        return settings_menu(
            current,
            chargers if chargers is not None else await self._chargers(person, place),
            chat_language(current.language, person.language),
            self._deps.tz,
            self._deps.clock.now(),
            private=place.is_private,
            chat_language=notifications,
            thread=thread,
            tariff=chat.tariff if chat is not None else None,
        )

    async def _change(
        self,
        asked: Asked,
        change: Callable[[ChatSettings], ChatSettings],
        *,
        pin_switch: bool = False,
    ) -> ChatSettings | None:
        """Apply `change` to the chat's settings; None (and nothing changes) for a non-admin.

        A private chat belongs to its person. In a group, Telegram is asked at this moment.
        `pin_switch`: pinning was switched (by this person, who hears if the bot may not pin;
        and the bot tries again where Telegram refused it).
        """
        person, place = asked.person, asked.place
        if not place.is_private and not await asked.is_admin():
            return None
        current = await self._store.chat_settings(place.id)
        updated = change(current)
        await self._store.save_chat_settings(
            chat_id=place.id,
            kind=place.kind,
            title=place.title,
            language=person.language,
            settings=updated,
            now=self._deps.clock.now(),
            pin_switched_by=person.id if pin_switch else None,
        )
        return updated

    async def press(self, asked: Asked, pressed: SettingPress) -> Reply | None:
        """A `/settings` button: the menu redrawn; None when it is no such button (any more).

        A non-admin in a group gets the menu unchanged, with a short notice why.
        """
        person, place, lang = asked.person, asked.place, asked.language
        chargers = await self._chargers(person, place)
        if isinstance(pressed, TariffOffPress):
            cleared = await self._save_tariff(asked, None)
            redrawn = await self._menu(
                person, place, await self._store.chat_settings(place.id), chargers
            )
            return replace(redrawn, notice=settings_notice(lang, saved=cleared))
        change = self._button_change(pressed, chargers, private=place.is_private)
        if change is None:
            return None
        updated = await self._change(asked, change, pin_switch=isinstance(pressed, PinPress))
        if updated is None:
            current = await self._store.chat_settings(place.id)
            redrawn = await self._menu(person, place, current, chargers)
            return replace(redrawn, notice=settings_notice(lang, saved=False))
        redrawn = await self._menu(person, place, updated, chargers)
        saved = settings_notice(chat_language(updated.language, lang), saved=True)
        return replace(redrawn, notice=saved)

    @staticmethod
    def _button_change(
        pressed: ChatSettingPress, chargers: list[tuple[str, str]], *, private: bool
    ) -> Callable[[ChatSettings], ChatSettings] | None:
        match pressed:
            case TopicPress(topic):

                def toggle(s: ChatSettings) -> ChatSettings:
                    on = s.wants(topic, private=private)
                    return s.model_copy(update={"topics": {**s.topics, topic: not on}})

                return toggle
            case ChargerPress(charger_id):
                if charger_id not in {cid for cid, _ in chargers}:
                    return None  # no longer visible here
                muted = {charger_id}
                return lambda s: s.model_copy(update={"muted_chargers": s.muted_chargers ^ muted})
            case LivePress():
                return lambda s: s.model_copy(update={"live": not s.live})
            case PinPress():
                return lambda s: s.model_copy(update={"pin": not s.pin})
            case LanguagePress(language):
                return lambda s: s.model_copy(update={"language": language})
            case QuietPress(window):
                return lambda s: s.model_copy(update={"quiet": window})

    async def set_language(self, asked: Asked) -> Reply:
        """`/language nl|en`: the language of this chat's notifications."""
        person, code = asked.person, " ".join(asked.args).strip().lower()
        if code not in LANGUAGES:
            return Reply(t(person.language, "language_usage"))
        chosen = as_lang(code)
        updated = await self._change(asked, lambda s: s.model_copy(update={"language": chosen}))
        if updated is None:
            return Reply(t(person.language, "settings_admins_only"))
        return Reply(t(chosen, "language_set"))

    async def quiet(self, asked: Asked) -> Reply:
        """`/quiet HH:MM-HH:MM` (may cross midnight) or `/quiet off`."""
        lang, text = asked.language, " ".join(asked.args).strip().lower()
        window = None if text in _OFF else parse_quiet(text)
        if window is None and text not in _OFF:
            return Reply(t(lang, "quiet_usage"))
        updated = await self._change(asked, lambda s: s.model_copy(update={"quiet": window}))
        if updated is None:
            return Reply(t(lang, "settings_admins_only"))
        if window is None:
            return Reply(t(lang, "quiet_off"))
        return Reply(t(lang, "quiet_set", window=window.label()))

    async def live(self, asked: Asked) -> Reply:
        """`/live on|off`: the "started" message becomes a card edited while the session runs."""
        lang, text = asked.language, " ".join(asked.args).strip().lower()
        if text not in _ON | _OFF:
            return Reply(t(lang, "live_usage"))
        on = text in _ON
        updated = await self._change(asked, lambda s: s.model_copy(update={"live": on}))
        if updated is None:
            return Reply(t(lang, "settings_admins_only"))
        return Reply(t(lang, "live_on" if on else "live_off"))

    async def pin(self, asked: Asked) -> Reply:
        """`/pin on|off`: the live card is pinned while its session runs."""
        lang, text = asked.language, " ".join(asked.args).strip().lower()
        if text not in _ON | _OFF:
            return Reply(t(lang, "pin_usage"))
        on = text in _ON
        updated = await self._change(
            asked, lambda s: s.model_copy(update={"pin": on}), pin_switch=True
        )
        if updated is None:
            return Reply(t(lang, "settings_admins_only"))
        if not on:
            return Reply(t(lang, "pin_off"))
        return Reply(t(lang, "pin_on") + ("" if updated.live else t(lang, "pin_needs_live")))

    async def mute(self, asked: Asked) -> Reply:
        """`/mute [30m|2h|1d]` (default one hour): nothing is sent here until then."""
        lang = asked.language
        span = parse_mute(" ".join(asked.args))
        if span is None:
            return Reply(t(lang, "mute_usage"))
        now = self._deps.clock.now()
        until = now + span
        updated = await self._change(asked, lambda s: s.model_copy(update={"muted_until": until}))
        if updated is None:
            return Reply(t(lang, "settings_admins_only"))
        return Reply(t(lang, "mute_set", time=fmt_time(until, lang, self._deps.tz, now)))

    async def unmute(self, asked: Asked) -> Reply:
        """`/unmute`: notifications are back right away."""
        lang = asked.language
        if not (await self._store.chat_settings(asked.place.id)).muted(self._deps.clock.now()):
            return Reply(t(lang, "not_muted"))
        updated = await self._change(asked, lambda s: s.model_copy(update={"muted_until": None}))
        if updated is None:
            return Reply(t(lang, "settings_admins_only"))
        return Reply(t(lang, "unmuted"))

    async def tariff(self, asked: Asked) -> Reply:
        """`/tariff 0.25` (or `0,25`) sets the chat's price per kWh, `/tariff off` clears it.

        Alone it shows the current one. Bad input is answered with what was wrong; nothing is
        saved. In a group only an admin may change it, as every other setting.
        """
        lang, place, text = asked.language, asked.place, " ".join(asked.args).strip()
        if not text:
            chat = await self._store.chat(place.id)
            current = chat.tariff if chat is not None else None
            if current is None:
                return Reply(t(lang, "tariff_none"))
            return Reply(t(lang, "tariff_current", price=per_kwh(current, lang)))
        try:
            tariff = parse_tariff(text)
        except BadTariff as bad:
            return Reply(
                t(
                    lang,
                    f"tariff_{bad.problem}",
                    text=text,
                    decimals=MAX_DECIMALS,
                    zero=euros(0, lang),
                    limit=euros(MAX_TARIFF, lang),
                )
            )
        if not await self._save_tariff(asked, tariff):
            return Reply(t(lang, "settings_admins_only"))
        if tariff is None:
            return Reply(t(lang, "tariff_off"))
        return Reply(t(lang, "tariff_set", price=per_kwh(tariff, lang)))

    async def _save_tariff(self, asked: Asked, tariff: float | None) -> bool:
        """Store the chat's tariff (None clears it); False, and nothing saved, for a non-admin."""
        place = asked.place
        if not place.is_private and not await asked.is_admin():
            return False
        await self._store.set_tariff(
            chat_id=place.id,
            kind=place.kind,
            title=place.title,
            language=asked.person.language,
            tariff=tariff,
            now=self._deps.clock.now(),
        )
        return True
