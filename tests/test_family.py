"""What the family looks at, through the fake Bot API: /stats as a chart with its figures and
money side (buttons edit the photo), /sessions paging without repeats or gaps, /export as a CSV
of exactly the period's sessions, and charge-card names in notifications, history and export.
"""

from __future__ import annotations

import csv
import io
import subprocess
import sys
import textwrap
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from tests.demo_play import play, typed
from tests.fake_telegram import BOT_TOKEN, FakeChat, FakeUser, SentMessage, UploadedFile
from tests.story import ANNA, FAMILY, World, png_size

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
BERT = FakeUser(id=5002, first_name="Bert", language_code="nl")


async def _press(
    world: World, chat: FakeChat | FakeUser, user: FakeUser, sent: SentMessage, text: str
) -> SentMessage:
    """Press the button labelled `text` under `sent` and return the edit it caused."""
    markup = world.telegram.message(chat.id, sent.message_id)
    assert markup is not None
    buttons = [b for row in markup["reply_markup"]["inline_keyboard"] for b in row]
    data = next(b["callback_data"] for b in buttons if b["text"] == text)
    before = len(world.telegram.edits())
    world.telegram.press_button(chat, user, sent.message_id, data)
    await world.telegram.await_for(lambda api: len(api.edits()) > before)
    return world.telegram.edits()[before]


def _buttons(world: World, chat_id: int, message_id: int) -> list[str]:
    message = world.telegram.message(chat_id, message_id)
    assert message is not None
    rows = message.get("reply_markup", {}).get("inline_keyboard", [])
    return [button["text"] for row in rows for button in row]


async def _link(world: World) -> None:
    reply = await world.answer(ANNA, ANNA, f"/link {world.token}")
    assert reply.plain_text.startswith("✅ Linked!")


def _history(world: World, count: int, *, tag: str | None = None) -> list[str]:
    """`count` finished sessions on the Garage, one a day before today; ids newest first."""
    now = world.clock.now()
    ids = []
    for day in range(count, 0, -1):
        start = now - timedelta(days=day, hours=3)
        ids.append(
            world.sim.add_past_session(
                world.garage, start, start + timedelta(minutes=90), 10 + day / 10, id_tag=tag
            )
        )
    return ids[::-1]


# --- /stats ---------------------------------------------------------------------------------


async def test_stats_is_a_chart_with_the_month_figures_and_the_money_in_its_caption(
    world: World,
) -> None:
    await _link(world)
    _history(world, 20)
    sent = await world.answer(ANNA, ANNA, "/stats")

    assert sent.method == "sendPhoto"
    photo = world.telegram.calls_to("sendPhoto")[-1].params["photo"]
    assert isinstance(photo, UploadedFile)
    assert png_size(photo.data) == (1200, 780)
    assert 10_000 < len(photo.data) < 500_000
    caption = sent.plain_text
    assert caption.startswith("📊 Charging\nThis month (April 2026): ")
    assert "Last month (March 2026): " in caption
    assert "This year (2026): " in caption
    assert "Lifetime: " in caption
    assert "💶 ERE in euros, 2026: €" in caption
    assert "still to come (Joulo's forecast)" in caption
    assert _buttons(world, ANNA.id, sent.message_id) == ["• 12 months •", "All time"]


async def test_the_period_buttons_edit_the_same_photo(world: World) -> None:
    await _link(world)
    _history(world, 5)
    sent = await world.answer(ANNA, ANNA, "/stats")

    edit = await _press(world, ANNA, ANNA, sent, "All time")
    assert edit.method == "editMessageMedia"
    assert edit.message_id == sent.message_id
    assert edit.media_bytes is not None
    assert edit.media_bytes > 10_000
    assert edit.plain_text == sent.plain_text
    assert _buttons(world, ANNA.id, sent.message_id) == ["12 months", "• All time •"]

    back = await _press(world, ANNA, ANNA, sent, "12 months")
    assert back.method == "editMessageMedia"
    assert _buttons(world, ANNA.id, sent.message_id) == ["• 12 months •", "All time"]
    assert len(world.telegram.calls_to("sendPhoto")) == 1


async def test_a_dutch_group_sees_the_subscribed_account_in_dutch(world: World) -> None:
    await _link(world)
    _history(world, 3)
    world.telegram.add_bot_to_group(FAMILY, by=ANNA)
    await world.messages(FAMILY.id, 1)
    await world.answer(FAMILY, ANNA, "/subscribe")
    sent = await world.answer(FAMILY, BERT, "/stats")

    assert sent.method == "sendPhoto"
    assert sent.plain_text.startswith("📊 Laden\nDeze maand (april 2026): ")
    assert "💶 ERE in euro's, 2026: € " in sent.plain_text
    assert "uitbetaald · € " in sent.plain_text


# --- /sessions ------------------------------------------------------------------------------


def _session_lines(text: str) -> list[str]:
    """The first line of each listed session (its date, time and charger)."""
    return [line for line in text.splitlines() if line.endswith(" · Garage")]


async def test_sessions_page_forward_and_back_without_repeating_or_skipping(world: World) -> None:
    await _link(world)
    _history(world, 23)
    sent = await world.answer(ANNA, ANNA, "/sessions")
    assert sent.plain_text.startswith("🕘 Charging sessions 1–10\n")
    first = _session_lines(sent.plain_text)
    assert _buttons(world, ANNA.id, sent.message_id) == ["Older »"]

    second = await _press(world, ANNA, ANNA, sent, "Older »")
    assert second.plain_text.startswith("🕘 Charging sessions 11–20\n")
    assert _buttons(world, ANNA.id, sent.message_id) == ["« Newer", "Older »"]
    third = await _press(world, ANNA, ANNA, sent, "Older »")
    assert third.plain_text.startswith("🕘 Charging sessions 21–23\n")
    assert _buttons(world, ANNA.id, sent.message_id) == ["« Newer"]
    back = await _press(world, ANNA, ANNA, sent, "« Newer")

    pages = [first, _session_lines(second.plain_text), _session_lines(third.plain_text)]
    seen = [line for page in pages for line in page]
    assert [len(page) for page in pages] == [10, 10, 3]
    assert len(set(seen)) == 23
    now = world.clock.now()
    starts = [(now - timedelta(days=n, hours=3)).astimezone(AMSTERDAM) for n in range(1, 24)]
    assert seen == [f"{start.day} {start:%b %H:%M} · Garage" for start in starts]
    assert _session_lines(back.plain_text) == pages[1]


async def test_a_session_line_shows_kwh_duration_credits_and_who(world: World) -> None:
    await _link(world)
    _history(world, 1, tag="04A3B2C1")
    reply = await world.answer(ANNA, ANNA, "/sessions")
    assert reply.plain_text == (
        "🕘 Charging sessions 1–1\n14 Apr 07:00 · Garage\n"
        "   10.10 kWh · 1 h 30 min · 3.33 ERE credits · 💳 04A3B2C1"
    )
    assert _buttons(world, ANNA.id, reply.message_id) == []


async def test_sessions_for_one_charger_and_an_unknown_one(world: World) -> None:
    await _link(world)
    _history(world, 2)
    start = world.clock.now() - timedelta(hours=5)
    world.sim.add_past_session(world.driveway, start, start + timedelta(hours=1), 4.0)
    one = await world.answer(ANNA, ANNA, "/sessions driveway")
    assert one.plain_text.startswith(
        "🕘 Charging sessions at Driveway 1–1\n15 Apr 05:00 · Driveway"
    )
    unknown = await world.answer(ANNA, ANNA, "/sessions Shed")
    assert unknown.plain_text == (
        "I don't know a charger called “Shed”. Chargers here: Driveway, Garage."
    )


async def test_a_chat_without_an_account_gets_the_same_guidance_as_status(world: World) -> None:
    for command in ("/sessions", "/export", "/stats"):
        reply = await world.answer(ANNA, ANNA, command)
        assert reply.plain_text == "No Joulo account linked yet. Send /start to see how."


# --- /export --------------------------------------------------------------------------------


def _march_sessions(world: World) -> dict[str, str]:
    """Sessions around March 2026 in Amsterdam time; returns id → where it lies."""

    def add(start_utc: datetime, kwh: float) -> str:
        return world.sim.add_past_session(
            world.garage, start_utc, start_utc + timedelta(hours=1), kwh, id_tag="04A3B2C1"
        )

    return {
        add(datetime(2026, 2, 28, 22, 50, tzinfo=UTC), 1.0): "before",  # 23:50 on 28 Feb
        add(datetime(2026, 2, 28, 23, 30, tzinfo=UTC), 2.5): "in",  # 00:30 on 1 Mar
        add(datetime(2026, 3, 15, 12, 0, tzinfo=UTC), 3.25): "in",
        add(datetime(2026, 3, 31, 21, 59, tzinfo=UTC), 4.0): "in",  # 23:59 on 31 Mar
        add(datetime(2026, 3, 31, 22, 10, tzinfo=UTC), 5.0): "after",  # 00:10 on 1 Apr
    }


async def test_export_sends_a_csv_of_exactly_last_months_sessions(world: World) -> None:
    await _link(world)
    _march_sessions(world)
    sent = await world.answer(ANNA, ANNA, "/export")

    assert sent.method == "sendDocument"
    assert sent.plain_text == "📄 Charging sessions, March 2026: 3 sessions · 9.8 kWh"
    document = world.telegram.calls_to("sendDocument")[-1].params["document"]
    assert isinstance(document, UploadedFile)
    assert document.filename == "joulo-sessions-2026-03.csv"
    rows = list(csv.DictReader(io.StringIO(document.data.decode("utf-8-sig"))))
    assert [(r["Start"], r["kWh"]) for r in rows] == [
        ("2026-03-01 00:30", "2.50"),
        ("2026-03-15 13:00", "3.25"),
        ("2026-03-31 23:59", "4.00"),
    ]
    assert {r["Counts for ERE"] for r in rows} == {"yes"}
    assert rows[0]["Duration (min)"] == "60"


async def test_a_dutch_export_of_a_year_opens_as_columns_in_dutch_excel(world: World) -> None:
    await _link(world)
    _march_sessions(world)
    world.telegram.add_bot_to_group(FAMILY, by=ANNA)
    await world.messages(FAMILY.id, 1)
    await world.answer(FAMILY, ANNA, "/subscribe")
    sent = await world.answer(FAMILY, BERT, "/export 2026")

    document = world.telegram.calls_to("sendDocument")[-1].params["document"]
    assert document.filename == "joulo-sessions-2026.csv"
    assert document.data.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(document.data.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:4] == ["Begin", "Einde", "Laadpaal", "kWh"]
    assert [row[3] for row in rows[1:]] == ["1,00", "2,50", "3,25", "4,00", "5,00"]
    assert sent.plain_text == "📄 Laadsessies, 2026: 5 sessies · 15,8 kWh"


async def test_an_empty_period_sends_a_sentence_and_no_file(world: World) -> None:
    await _link(world)
    _march_sessions(world)
    reply = await world.answer(ANNA, ANNA, "/export 2025-06")
    assert reply.method == "sendMessage"
    assert reply.plain_text == "📄 No charging sessions in June 2025, so there is no file to send."
    assert world.telegram.calls_to("sendDocument") == []


async def test_a_session_still_charging_is_no_row_and_the_count_matches_stats(
    world: World,
) -> None:
    await _link(world)
    _march_sessions(world)
    world.sim.start_session(world.garage, power_kw=7.2)
    await world.next_polls()

    sent = await world.answer(ANNA, ANNA, "/export 2026")

    assert sent.plain_text == "📄 Charging sessions, 2026: 5 sessions · 15.8 kWh"
    document = world.telegram.calls_to("sendDocument")[-1].params["document"]
    rows = list(csv.DictReader(io.StringIO(document.data.decode("utf-8-sig"))))
    assert len(rows) == 5
    assert all(row["End"] for row in rows)
    stats = await world.answer(ANNA, ANNA, "/stats")
    assert "This year (2026)</b>: 15.8 kWh · 5 sessions" in stats.text


async def test_a_long_past_year_has_no_sessions_in_either_language(world: World) -> None:
    await _link(world)
    _march_sessions(world)
    reply = await world.answer(ANNA, ANNA, "/export 1999")
    assert reply.plain_text == "📄 No charging sessions in 1999, so there is no file to send."
    world.telegram.add_bot_to_group(FAMILY, by=ANNA)
    await world.messages(FAMILY.id, 1)
    await world.answer(FAMILY, ANNA, "/subscribe")
    reply = await world.answer(FAMILY, BERT, "/export 1999-12")
    assert reply.plain_text == (
        "📄 Geen laadsessies in december 1999, dus er is geen bestand om te sturen."
    )
    assert world.telegram.calls_to("sendDocument") == []


async def test_a_future_or_malformed_period_gets_a_usage_hint(world: World) -> None:
    await _link(world)
    for argument in ("2026-05", "next month"):
        reply = await world.answer(ANNA, ANNA, f"/export {argument}")
        assert reply.plain_text.startswith("Use /export (last month), /export 2026-10 (a month)")
    assert [r for r in world.sim.requests if r.endpoint == "/sessions"] == []


# --- /tag -----------------------------------------------------------------------------------


async def test_a_named_card_shows_in_notifications_sessions_and_export(world: World) -> None:
    await _link(world)
    _march_sessions(world)
    named = await world.answer(ANNA, ANNA, "/tag 04a3b2c1 Anna <3")
    assert named.text == (
        "💳 Card <code>04A3B2C1</code> is now called <b>Anna &lt;3</b>. Notifications, "
        "/sessions and /export will say so."
    )
    before = len(world.telegram.messages_to(ANNA.id))
    world.sim.start_session(world.garage, id_tag="04A3B2C1", power_kw=11.0)
    notices = await world.messages(ANNA.id, before + 1)
    assert notices[before] == "🔌 Anna <3 started charging at Garage · 10:00"

    history = await world.answer(ANNA, ANNA, "/sessions")
    assert "· 👤 Anna <3" in history.plain_text
    assert "&lt;3" in history.text
    await world.answer(ANNA, ANNA, "/export")
    document = world.telegram.calls_to("sendDocument")[-1].params["document"]
    rows = list(csv.DictReader(io.StringIO(document.data.decode("utf-8-sig"))))
    assert {(r["Tag"], r["Tag name"]) for r in rows} == {("04A3B2C1", "Anna <3")}


async def test_tag_lists_recent_cards_and_removes_a_name(world: World) -> None:
    await _link(world)
    _history(world, 2, tag="04F19A7E")
    await world.answer(ANNA, ANNA, "/tag 04F19A7E Guest")
    listed = await world.answer(ANNA, ANNA, "/tag")
    assert listed.plain_text == (
        "💳 Charge cards\n04F19A7E — Guest · last used 14 Apr 07:00\n"
        "Name a card: /tag 04A3B2C1 Anna · remove a name: /tag 04A3B2C1"
    )
    removed = await world.answer(ANNA, ANNA, "/tag 04f19a7e")
    assert removed.plain_text == "💳 Card 04F19A7E no longer has a name."
    again = await world.answer(ANNA, ANNA, "/tag")
    assert "04F19A7E — no name · last used" in again.plain_text


async def test_tag_is_for_the_owner_in_private(world: World) -> None:
    await _link(world)
    world.telegram.add_bot_to_group(FAMILY, by=ANNA)
    await world.messages(FAMILY.id, 1)
    reply = await world.answer(FAMILY, ANNA, "/tag 04A3B2C1 Anna")
    assert reply.plain_text == "That command works in a private chat with me."
    too_long = await world.answer(ANNA, ANNA, "/tag 04A3B2C1 " + "x" * 40)
    assert too_long.plain_text.startswith("A card's name is 1 to 32 characters")


# --- start-up stays light -------------------------------------------------------------------


def test_an_idle_bot_has_imported_neither_matplotlib_nor_fpdf(tmp_path) -> None:
    script = textwrap.dedent(
        f"""
        import asyncio, sys
        from cryptography.fernet import Fernet
        from bot.app import build_application, open_services
        from bot.clock import SystemClock
        from bot.config import Settings
        from bot.joulo.simulator import JouloSimulator

        async def main():
            clock = SystemClock()
            sim = JouloSimulator(clock)
            sim.add_charger(sim.add_account(), "Garage")
            settings = Settings(
                telegram_bot_token={BOT_TOKEN!r},
                database_path={str(tmp_path / "bot.sqlite3")!r},
                encryption_key=Fernet.generate_key().decode(),
            )
            async with open_services(settings, clock=clock, joulo_transport=sim.transport()) as s:
                build_application(s)
                await s.poller.run_cycle()
            heavy = ("matplotlib", "numpy", "fpdf", "PIL")
            print(sorted(m for m in sys.modules if m.split(".")[0] in heavy))

        asyncio.run(main())
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


async def test_the_demo_writes_the_chart_and_the_csv_and_pages_sessions(tmp_path) -> None:
    out = tmp_path / "out"
    with typed("/stats\n/stats all\n/sessions\n/sessions older\n/export\n") as stdin:
        code, shown = await play(stdin, out_dir=out, speed=120)  # the demo's own speed

    assert code == 0
    chart, csv_file = out / "joulo-stats.png", out / next(out.glob("*.csv")).name
    assert f"📎 {chart} (" in shown
    assert f"📎 {csv_file} (" in shown
    assert chart.read_bytes().startswith(b"\x89PNG")
    assert csv_file.read_bytes().startswith("\ufeffStart,End,Charger".encode())
    assert "1. • 12 months •\n    2. All time\n" in shown
    assert "1. 12 months\n    2. • All time •\n" in shown
    assert "🕘 Charging sessions 1–10" in shown
    assert "🕘 Charging sessions 11–20" in shown
