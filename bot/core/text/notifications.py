"""What a chat is told when something happens: one text per event, the live card, the digest.

Pure: no I/O, `now` is an argument. External strings (charger names, tags) go in as they are:
`t()` escapes them.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, tzinfo

from bot.core.events import (
    ChargerOffline,
    ChargerOnline,
    Event,
    GroupLost,
    JouloRecovered,
    JouloUnreachable,
    MonthlyDigest,
    PayoutReceived,
    QuarterFinal,
    SessionCredited,
    SessionFinished,
    SessionStalled,
    SessionStarted,
    TokenRejected,
)
from bot.core.money import CreditPrice, credits_value
from bot.core.state import MIN_POWER_WINDOW, ChargerState, estimate_power_kw, plausible_power
from bot.core.tags import tag_key, tag_name
from bot.core.tariff import cost
from bot.core.text.catalog import euros, per_kwh, plural, t, tag_note, who_note
from bot.core.text.format import (
    Html,
    Language,
    fmt_duration,
    fmt_number,
    fmt_time,
    month_name,
)
from bot.core.text.replies import render_year_money


def render_event(
    event: Event,
    lang: Language,
    tz: tzinfo,
    now: datetime,
    tag_names: Mapping[str, str],
    *,
    price: CreditPrice | None = None,
    tariff: float | None = None,
    owner: bool = False,
) -> Html:
    """The message that announces `event` in a chat that speaks `lang`.

    `tag_names` are the account's names for its charge cards: a session on a named card says
    who charged ("Anna started charging at Garage") instead of the card's id, in every text
    about it (the live card and the late-credits edit too). `price` is the account's price per
    ERE credit (`Store.credit_price`): credits then show their estimated value beside them.
    `tariff` is this chat's price per kWh: with one, a finished session says what it cost here
    (the late-credits edit too). `owner`: the chat is the account owner's, who is asked to
    name a new card (`SessionStarted.new_card`); groups are not.
    """
    match event:
        case SessionStarted():
            who = tag_name(tag_names, event.id_tag)
            text = t(
                lang,
                "started_by" if who else "started",
                who=who or "",
                charger=event.charger_name,
                time=fmt_time(event.started_at, lang, tz, now),
                tag=tag_note(event.id_tag, lang),
            )
            text += new_card_note(event, who, owner=owner, lang=lang)
        case SessionFinished():
            span = event.ended_at - event.started_at
            hours = span.total_seconds() / 3600
            average = plausible_power(event.kwh / hours) if span >= MIN_POWER_WINDOW else None
            power = (
                t(lang, "avg_power", kw=fmt_number(average, lang))
                if average is not None and event.kwh > 0
                else ""
            )
            who = tag_name(tag_names, event.id_tag)
            text = t(
                lang,
                "finished_by" if who else "finished",
                who=who or "",
                charger=event.charger_name,
                tag=tag_note(event.id_tag, lang),
                kwh=fmt_number(event.kwh, lang, 2),
                duration=fmt_duration(span, lang),
                power=power,
            )
            text += cost_line(event.kwh, tariff, lang)
            text += credits_line(event.ere_credits, price, lang)
            if not event.final:
                text += t(lang, "not_final")
        case SessionCredited():
            return render_event(
                event.finished, lang, tz, now, tag_names, price=price, tariff=tariff
            )
        case SessionStalled():
            return stalled(event, lang, tz, now, tag_names)
        case MonthlyDigest():
            return digest(event, lang, price=price, tariff=tariff)
        case ChargerOffline():
            return t(
                lang,
                "offline",
                charger=event.charger_name,
                time=fmt_time(event.since, lang, tz, now),
                status=event.status,
            )
        case ChargerOnline():
            return t(
                lang,
                "online",
                charger=event.charger_name,
                duration=fmt_duration(event.back_at - event.offline_since, lang),
            )
        case TokenRejected():
            return t(lang, "token_unreadable" if event.reason == "unreadable" else "token_rejected")
        case JouloUnreachable():
            return t(lang, "joulo_unreachable", time=fmt_time(event.since, lang, tz, now))
        case JouloRecovered():
            return t(lang, "joulo_recovered", duration=fmt_duration(event.at - event.since, lang))
        case GroupLost():
            return t(lang, "group_lost", title=event.title or str(event.chat_id))
        case PayoutReceived() | QuarterFinal():
            return money_news(event, lang, tz, now)
    if event.while_away:
        text += t(lang, "while_away")
    return text


def live_card(
    started: SessionStarted,
    state: ChargerState | None,
    finished: SessionFinished | None,
    *,
    tag_names: Mapping[str, str],
    lang: Language,
    tz: tzinfo,
    now: datetime,
    price: CreditPrice | None = None,
    tariff: float | None = None,
    owner: bool = False,
) -> Html:
    """The "started" message redrawn: kWh, power and time while running; end figures at last.

    A named card keeps its person: the card starts as the "started" message did. Its end
    figures give the cost at the chat's `tariff`, as the "finished" message does.
    """
    charger = started.charger_name
    begin = fmt_time(started.started_at, lang, tz, now)
    who = tag_name(tag_names, started.id_tag)
    if finished is not None:
        span = finished.ended_at - finished.started_at
        text = t(
            lang,
            "card_done_by" if who else "card_done",
            who=who or "",
            charger=charger,
            start=begin,
            end=fmt_time(finished.ended_at, lang, tz, now),
            tag=tag_note(started.id_tag, lang),
            kwh=fmt_number(finished.kwh, lang, 2),
            duration=fmt_duration(span, lang),
        )
        text += cost_line(finished.kwh, tariff, lang)
        return text + credits_line(finished.ere_credits, price, lang)
    if who:
        text = t(lang, "started_by", who=who, charger=charger, time=begin)
    else:
        text = t(lang, "card_live", charger=charger, time=begin, tag=tag_note(started.id_tag, lang))
    session = state.session if state is not None else None
    if state is not None and session is not None and session.id == started.session_id:
        power = estimate_power_kw(session, state.observed_at)
        text += t(
            lang,
            "card_figures",
            kwh=fmt_number(session.kwh, lang, 2),
            power=t(lang, "power_now", kw=fmt_number(power, lang)) if power is not None else "",
            duration=fmt_duration(state.observed_at - session.started_at, lang),
            updated=fmt_time(state.observed_at, lang, tz, now),
        )
    return text + new_card_note(started, who, owner=owner, lang=lang)


def new_card_note(started: SessionStarted, who: str | None, *, owner: bool, lang: Language) -> Html:
    """To the owner, under a start on a new card nobody named yet: the command that names it."""
    if not owner or not started.new_card or who or not started.id_tag:
        return Html()
    return t(lang, "new_card", tag=tag_key(started.id_tag))


def credits_line(credits: float | None, price: CreditPrice | None, lang: Language) -> Html:
    """ "ERE credits: 3.00 · ≈ €0.74" (≈: an estimate at today's price), or without the euros
    when no price is known; empty without credits."""
    if credits is None:
        return Html()
    value = credits_value(credits, price)
    if value is None:
        return t(lang, "credits", credits=fmt_number(credits, lang, 2))
    return t(lang, "credits_value", credits=fmt_number(credits, lang, 2), value=euros(value, lang))


def cost_line(kwh: float, tariff: float | None, lang: Language) -> Html:
    """ "💶 Cost: €2.50 (10.00 kWh × €0.25)" at this chat's tariff; empty without one."""
    if tariff is None:
        return Html()
    return t(
        lang,
        "cost",
        cost=euros(cost(kwh, tariff), lang),
        kwh=fmt_number(kwh, lang, 2),
        price=per_kwh(tariff, lang),
    )


def stalled(
    event: SessionStalled,
    lang: Language,
    tz: tzinfo,
    now: datetime,
    tag_names: Mapping[str, str],
) -> Html:
    """ "Charging seems to have stopped", for whom, since when and the kWh so far."""
    return t(
        lang,
        "stalled",
        charger=event.charger_name,
        who=who_note(event.id_tag, tag_names, lang),
        time=fmt_time(event.since, lang, tz, now),
        kwh=fmt_number(event.kwh, lang, 2),
    )


def _change(now: float, before: float, lang: Language, decimals: int = 1) -> Html:
    if before <= 0:
        return Html()
    percent = (now - before) / before * 100
    sign = "+" if percent >= 0 else "−"
    return t(lang, "digest_change", change=f"{sign}{fmt_number(abs(percent), lang, 0)}")


def digest(
    event: MonthlyDigest,
    lang: Language,
    *,
    price: CreditPrice | None = None,
    tariff: float | None = None,
) -> Html:
    """Last month's kWh, sessions and credits, each compared with the month before; the
    credits' estimated value at `price`, the account's price per credit, when one is known;
    what the month and the year so far cost at the chat's `tariff`, when it has one."""
    value = credits_value(event.credits, price) if event.credits > 0 else None
    return t(
        lang,
        "digest",
        month=month_name(event.month, lang),
        who=t(lang, "sessions_who", who=event.owner) if event.owner else "",
        previous=month_name(event.previous_month, lang),
        kwh=fmt_number(event.kwh, lang),
        kwh_change=_change(event.kwh, event.previous_kwh, lang),
        sessions=plural(lang, "sessions", event.sessions),
        sessions_change=_change(event.sessions, event.previous_sessions, lang),
        credits=fmt_number(event.credits, lang, 2),
        credits_change=_change(event.credits, event.previous_credits, lang),
        value=t(lang, "value_estimate", value=euros(value, lang)) if value is not None else "",
        previous_kwh=fmt_number(event.previous_kwh, lang),
        previous_sessions=plural(lang, "sessions", event.previous_sessions),
        previous_credits=fmt_number(event.previous_credits, lang, 2),
        money=Html("\n") + money if (money := render_year_money(event.money, lang)) else "",
        cost=digest_cost(event, tariff, lang),
    )


def digest_cost(event: MonthlyDigest, tariff: float | None, lang: Language) -> Html:
    """ "💶 Charging cost €41.15 (164.6 kWh × €0.25) · €739.03 in 2026 so far", at `tariff`.

    All charging is paid for, not only the ERE part: a month's `kwh_all` when Joulo gives it.
    The year is added up from the digest's months (older digests have none: the month alone).
    """
    if tariff is None:
        return Html()
    paid = {m.month: m.kwh_all if m.kwh_all is not None else m.kwh for m in event.months}
    month_kwh = paid.get(event.month, event.kwh)
    text = t(
        lang,
        "digest_cost",
        cost=euros(cost(month_kwh, tariff), lang),
        kwh=fmt_number(month_kwh, lang),
        price=per_kwh(tariff, lang),
    )
    year = event.month[:4]
    months = [kwh for month, kwh in paid.items() if month[:4] == year and month <= event.month]
    if months:
        text += t(lang, "digest_cost_year", cost=euros(cost(sum(months), tariff), lang), year=year)
    return text


def money_news(
    event: PayoutReceived | QuarterFinal, lang: Language, tz: tzinfo, now: datetime
) -> Html:
    """A payout ("💶 Joulo paid out €10.00 — €12.48 this year"), or a quarter's final price."""
    if isinstance(event, PayoutReceived):
        added, total = euros(event.added_eur, lang), euros(event.total_eur, lang)
        if event.year is None or event.year == now.astimezone(tz).year:
            return t(lang, "payout", added=added, total=total)
        return t(lang, "payout_year", added=added, total=total, year=event.year)
    share = (
        t(
            lang,
            "quarter_share",
            credits=fmt_number(event.ere, lang, 2),
            eur=euros(event.net_eur, lang),
        )
        if event.ere is not None and event.net_eur is not None
        else ""
    )
    return t(
        lang,
        "quarter_final",
        quarter=event.quarter,
        price=euros(event.price_per_ere, lang),
        share=share,
    )
