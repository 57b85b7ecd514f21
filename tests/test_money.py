"""What a credit is worth, and what is worth telling about payouts (bot.core.money, pure).

Pins down: the account's own price first, net of Joulo's fee, else the public feed's mid price;
no price (or one too old, or a token without the scope) means no euros, never a made-up one;
the value of N credits; `/ere-position` parsed leniently (a field of the wrong type reads as
missing); the first look at an account announces nothing; `paid` growing is one payout; a
quarter turning final is told once, with its price; the credits' estimated value ("≈ €0.74")
beside them in the "finished" message, its late-credit edit, /sessions and the digest, in both
languages, and nothing of it without a price.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.core.events import (
    MonthlyDigest,
    PayoutReceived,
    QuarterFinal,
    SessionCredited,
    SessionFinished,
    YearMoney,
)
from bot.core.export import SessionView
from bot.core.money import (
    MAX_PRICE_AGE,
    CreditPrice,
    MoneyMark,
    account_price,
    choose_price,
    credits_value,
    feed_price,
    money_news,
    year_money,
)
from bot.core.text.notifications import render_event
from bot.core.text.replies import render_money, render_session_line, render_year_money
from bot.joulo.models import ErePosition, ErePrice, Session

NOW = datetime(2026, 4, 15, 8, 0, tzinfo=UTC)
AMSTERDAM = UTC


@pytest.fixture(autouse=True)
def _no_dotenv() -> None:
    """Overrides conftest's per-test env scrub and chdir: this pure code reads no settings."""


def position(**fields: Any) -> ErePosition:
    """An `/ere-position` answer as the client parses it."""
    return ErePosition.model_validate(fields)


# --- the price per credit --------------------------------------------------------------------


def test_the_accounts_own_price_is_net_of_joulos_fee() -> None:
    price = account_price(position(indicative_price_per_ere=0.35, effective_fee_pct=15), NOW)

    assert price == CreditPrice(pytest.approx(0.2975), "account", NOW, net_of_fee=True)  # type: ignore[arg-type]


def test_without_a_fee_the_indicative_price_is_shown_as_it_is() -> None:
    price = account_price(position(indicative_price_per_ere="0.35", effective_fee_pct="?"), NOW)

    assert price is not None
    assert (price.eur, price.net_of_fee) == (0.35, False)


@pytest.mark.parametrize("garbage", [None, "n/a", -1, 0, True, [0.3], {"eur": 0.3}, "nan"])
def test_no_usable_indicative_price_is_no_price(garbage: object) -> None:
    assert account_price(position(indicative_price_per_ere=garbage), NOW) is None


def test_the_feed_gives_the_markets_mid_price_before_the_fee() -> None:
    feed = ErePrice.model_validate({"mid_eur": 0.31, "week_number": 16})

    assert feed_price(feed, NOW) == CreditPrice(0.31, "feed", NOW, net_of_fee=False)


def test_the_accounts_own_price_wins_over_the_feed() -> None:
    own = CreditPrice(0.30, "account", NOW)
    feed = CreditPrice(0.31, "feed", NOW, net_of_fee=False)

    assert choose_price(own=own, feed=feed, previous=None, denied=False, now=NOW) == own
    assert choose_price(own=None, feed=feed, previous=own, denied=False, now=NOW) == feed


def test_a_failed_look_keeps_the_last_price_until_it_is_too_old() -> None:
    earlier = CreditPrice(0.30, "account", NOW)

    kept = choose_price(own=None, feed=None, previous=earlier, denied=False, now=NOW)
    expired = choose_price(
        own=None,
        feed=None,
        previous=earlier,
        denied=False,
        now=NOW + MAX_PRICE_AGE + timedelta(seconds=1),
    )

    assert kept == earlier
    assert expired is None


def test_a_token_without_the_scope_gets_no_price_even_with_a_feed() -> None:
    feed = CreditPrice(0.31, "feed", NOW, net_of_fee=False)

    assert choose_price(own=None, feed=feed, previous=feed, denied=True, now=NOW) is None


def test_the_value_of_credits_is_credits_times_the_price() -> None:
    price = CreditPrice(0.2475, "account", NOW)

    assert credits_value(3.0, price) == pytest.approx(0.7425)
    assert credits_value(None, price) is None
    assert credits_value(3.0, None) is None


# --- parsing /ere-position leniently -----------------------------------------------------------


def test_every_documented_field_is_read() -> None:
    parsed = position(
        compliance_year=2026,
        effective_fee_pct=15.0,
        indicative_price_per_ere=0.35,
        realized_avg_price=0.33,
        paid={"ere": 40.0, "net_eur": 11.22, "price_per_ere": 0.33},
        payable={"ere": 2.0, "net_eur": 0.6, "price_per_ere": 0.35},
        reserved={"ere": 1.0, "net_eur": 0.3, "price_per_ere": 0.35},
        quarters=[
            {"quarter": "2026-Q1", "final": True, "ere": 40.0, "price_per_ere": 0.33},
            {"quarter": "2026-Q2", "status": "Open", "ere": 3.0},
        ],
    )

    assert parsed.realized_avg_price == 0.33
    assert parsed.payable is not None
    assert parsed.payable.net_eur == 0.6
    assert parsed.reserved is not None
    assert parsed.reserved.ere == 1.0
    assert [(q.quarter, q.is_final, q.price_per_ere) for q in parsed.quarters] == [
        ("2026-Q1", True, 0.33),
        ("2026-Q2", False, None),
    ]


def test_fields_of_the_wrong_type_read_as_missing() -> None:
    parsed = position(
        compliance_year="twenty",
        effective_fee_pct={"pct": 15},
        realized_avg_price="Infinity",
        payable=[1],
        reserved="none",
        quarters=[{"quarter": 7}, "Q1", {"quarter": "2026-Q1", "final": "yes", "ere": "x"}],
    )

    assert (parsed.compliance_year, parsed.effective_fee_pct, parsed.realized_avg_price) == (
        None,
        None,
        None,
    )
    assert (parsed.payable, parsed.reserved) == (None, None)
    assert [(q.quarter, q.is_final, q.ere) for q in parsed.quarters] == [("2026-Q1", False, None)]


def test_a_quarter_marked_final_by_its_status_is_final() -> None:
    parsed = position(quarters=[{"quarter": "2026-Q1", "status": "FINAL"}])

    assert parsed.quarters[0].is_final


# --- payouts and final quarters ----------------------------------------------------------------


def test_the_first_look_records_where_the_account_stands_and_tells_nothing() -> None:
    seen = position(
        compliance_year=2026,
        paid={"net_eur": 2.48},
        quarters=[{"quarter": "2026-Q1", "final": True, "price_per_ere": 0.33}],
    )

    news = money_news(None, seen, NOW)

    assert news.events == ()
    assert news.mark == MoneyMark(
        year=2026,
        paid_eur=2.48,
        final_quarters=frozenset({"2026-Q1"}),
        money=YearMoney(year=2026, paid_eur=2.48),
    )


def test_paid_growing_is_one_payout_of_the_difference() -> None:
    before = MoneyMark(year=2026, paid_eur=2.48)

    news = money_news(before, position(compliance_year=2026, paid={"net_eur": 12.48}), NOW)
    again = money_news(news.mark, position(compliance_year=2026, paid={"net_eur": 12.48}), NOW)

    assert news.events == [PayoutReceived(year=2026, added_eur=10.0, total_eur=12.48, at=NOW)]
    assert news.events[0].key == "payout:2026:12.48"
    assert again.events == []


def test_paid_in_a_new_compliance_year_counts_from_nothing() -> None:
    before = MoneyMark(year=2025, paid_eur=30.0)

    news = money_news(before, position(compliance_year=2026, paid={"net_eur": 4.0}), NOW)

    assert news.events == [PayoutReceived(year=2026, added_eur=4.0, total_eur=4.0, at=NOW)]
    assert news.mark.year == 2026


def test_a_look_without_paid_keeps_the_mark_and_tells_nothing() -> None:
    before = MoneyMark(year=2026, paid_eur=2.48)

    news = money_news(before, position(paid="soon"), NOW)
    after = money_news(news.mark, position(compliance_year=2026, paid={"net_eur": 2.48}), NOW)

    assert news.events == []
    assert news.mark == before
    assert after.events == []


def test_a_quarter_that_becomes_final_is_told_once_with_its_price() -> None:
    open_q1 = position(quarters=[{"quarter": "2026-Q1", "final": False, "ere": 40.0}])
    final_q1 = position(
        quarters=[
            {
                "quarter": "2026-Q1",
                "final": True,
                "ere": 40.0,
                "price_per_ere": 0.33,
                "net_eur": 11.22,
            }
        ]
    )

    first = money_news(None, open_q1, NOW)
    told = money_news(first.mark, final_q1, NOW)
    again = money_news(told.mark, final_q1, NOW)

    assert first.events == ()
    assert told.events == [
        QuarterFinal(quarter="2026-Q1", price_per_ere=0.33, ere=40.0, net_eur=11.22, at=NOW)
    ]
    assert again.events == []


def test_a_final_quarter_without_a_price_waits_for_one() -> None:
    no_price = position(quarters=[{"quarter": "2026-Q1", "final": True}])
    priced = position(quarters=[{"quarter": "2026-Q1", "final": True, "ere": 10, "net_eur": 3}])

    waiting = money_news(MoneyMark(), no_price, NOW)
    told = money_news(waiting.mark, priced, NOW)

    assert waiting.events == []
    assert [e.price_per_ere for e in told.events if isinstance(e, QuarterFinal)] == [0.3]


# --- what the owner reads ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("en", "💶 Joulo paid out €10.00 — €12.48 this year"),
        ("nl", "💶 Joulo heeft € 10,00 uitbetaald — € 12,48 dit jaar"),
    ],
)
def test_a_payout_reads_as_the_amount_and_the_years_total(lang: str, expected: str) -> None:
    event = PayoutReceived(year=2026, added_eur=10.0, total_eur=12.48, at=NOW)

    assert render_event(event, lang, AMSTERDAM, NOW, {}) == expected  # type: ignore[arg-type]


def test_a_final_quarter_reads_as_its_price_and_the_households_share() -> None:
    event = QuarterFinal(quarter="2026-Q1", price_per_ere=0.33, ere=40.0, net_eur=11.22, at=NOW)

    assert render_event(event, "nl", AMSTERDAM, NOW, {}) == (
        "📈 De prijs van Joulo voor 2026-Q1 staat vast: € 0,33 per ERE-credit\n"
        "Jouw 40,00 credits dat kwartaal: € 11,22 na de vergoeding van Joulo"
    )


def test_when_joulo_does_not_answer_the_accounts_last_price_beats_the_feed() -> None:
    own = CreditPrice(0.30, "account", NOW)
    feed = CreditPrice(0.31, "feed", NOW, net_of_fee=False)

    kept = choose_price(own=None, feed=feed, previous=own, answered=False, now=NOW)
    no_own_price = choose_price(own=None, feed=feed, previous=own, answered=True, now=NOW)

    assert kept == own
    assert no_own_price == feed


# --- euros beside credits ----------------------------------------------------------------------

GARAGE = "a1b2c3d4-e5f6-7890-abcd-ef1234567890"
PRICE = CreditPrice(0.2475, "account", NOW)


def finished(credits: float | None = 3.0) -> SessionFinished:
    """Anna's car done at the garage: 10 kWh in 2 hours."""
    return SessionFinished(
        charger_id=GARAGE,
        charger_name="Garage",
        session_id="s1",
        started_at=NOW - timedelta(hours=2),
        ended_at=NOW,
        kwh=10.0,
        ere_credits=credits,
    )


@pytest.mark.parametrize(
    ("lang", "line"),
    [("en", "ERE credits: 3.00 · ≈ €0.74"), ("nl", "ERE-credits: 3,00 · ≈ € 0,74")],
)
def test_the_finished_message_gives_the_credits_estimated_value(lang: str, line: str) -> None:
    text = render_event(finished(), lang, AMSTERDAM, NOW, {}, price=PRICE)  # type: ignore[arg-type]

    assert text.splitlines()[-1] == line


def test_without_a_price_the_finished_message_shows_credits_only() -> None:
    text = render_event(finished(), "en", AMSTERDAM, NOW, {})

    assert text.splitlines()[-1] == "ERE credits: 3.00"


def test_without_credits_there_are_no_euros_either() -> None:
    text = render_event(finished(None), "en", AMSTERDAM, NOW, {}, price=PRICE)

    assert "€" not in text
    assert "ERE" not in text


def test_the_late_credit_edit_gives_the_value_too() -> None:
    credited = SessionCredited(charger_id=GARAGE, session_id="s1", finished=finished(4.0))

    text = render_event(credited, "en", AMSTERDAM, NOW, {}, price=PRICE)

    assert text.splitlines()[-1] == "ERE credits: 4.00 · ≈ €0.99"


def test_the_digest_gives_the_months_credits_value() -> None:
    digest = MonthlyDigest(
        month="2026-03",
        previous_month="2026-02",
        kwh=120.0,
        sessions=10,
        credits=40.0,
        previous_kwh=100.0,
        previous_sessions=8,
        previous_credits=33.0,
    )

    text = render_event(digest, "nl", AMSTERDAM, NOW, {}, price=PRICE)
    bare = render_event(digest, "nl", AMSTERDAM, NOW, {})

    assert "40,00 ERE-credits (+21%) · ≈ € 9,90\n" in text
    assert "€" not in bare


def test_a_sessions_line_gives_the_value_beside_the_credits() -> None:
    session = Session(
        id="s1",
        charger_id=GARAGE,
        started_at=NOW - timedelta(hours=2),
        ended_at=NOW,
        kwh=10.0,
        ere_credits=3.0,
    )

    line = render_session_line(SessionView(session, "Garage", None, PRICE), "en", AMSTERDAM, NOW)
    bare = render_session_line(SessionView(session, "Garage", None), "en", AMSTERDAM, NOW)

    assert line.endswith("10.00 kWh · 2 h · 3.00 ERE credits ≈ €0.74")
    assert bare.endswith("10.00 kWh · 2 h · 3.00 ERE credits")


# --- this year's euros: /stats and the digest ----------------------------------------------------


def test_still_to_come_is_joulos_forecast_for_the_year_less_what_it_paid() -> None:
    seen = position(compliance_year=2026, paid={"net_eur": 124.93}, ytd_expected_eur=128.36)

    assert year_money(seen) == YearMoney(year=2026, paid_eur=124.93, to_come_eur=3.43)


def test_a_forecast_below_what_was_paid_is_shown_as_joulo_gives_it() -> None:
    seen = position(paid={"net_eur": 50.0}, ytd_expected_eur=20.0)

    assert year_money(seen) == YearMoney(paid_eur=50.0, expected_eur=20.0)
    assert render_money(seen, "en") == (
        "💶 ERE in euros, this year: €50.00 paid out · €20.00 expected <i>(Joulo's forecast)</i>"
    )


def test_without_paid_or_forecast_there_is_no_money_line() -> None:
    assert year_money(position(paid="soon", ytd_expected_eur=None)) is None
    assert render_money(position(), "nl") is None
    assert render_money(None, "en") is None


def test_the_digest_gives_this_years_euros_in_the_same_words_as_stats() -> None:
    money = YearMoney(year=2026, paid_eur=124.93, to_come_eur=3.43)
    digest = MonthlyDigest(
        month="2026-03",
        previous_month="2026-02",
        kwh=120.0,
        sessions=10,
        credits=40.0,
        previous_kwh=100.0,
        previous_sessions=8,
        previous_credits=33.0,
        money=money,
    )

    text = render_event(digest, "nl", AMSTERDAM, NOW, {})

    assert text.splitlines()[-2] == (
        "💶 ERE in euro's, 2026: € 124,93 uitbetaald · € 3,43 nog te komen "
        "<i>(prognose van Joulo)</i>"
    )
    assert render_year_money(money, "nl") == text.splitlines()[-2]
