"""`python -m bot demo`: the whole bot offline, with a simulated Joulo and the terminal as chat.

The same store, poller, outbox sender and answers as the real bot run here; only Telegram is
replaced by the terminal and Joulo by the embedded simulator on a sped-up clock.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import os
import random
import re
import signal
import stat
import sys
import tempfile
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path
from types import FrameType
from typing import Any, Final, TextIO

from cryptography.fernet import Fernet
from pydantic import SecretStr

from bot.clock import ScaledClock, SystemClock
from bot.commands import TOKEN_PATTERN, Answers, Asked, Person, Place, find_token
from bot.config import Settings
from bot.core.reply import Button, Reply
from bot.core.text.catalog import plain, t
from bot.core.text.format import Html, Language, escape, fmt, fmt_number, fmt_time, plain_text
from bot.exits import ExitStatus
from bot.joulo.simulator import JouloSimulator
from bot.logs import setup_logging
from bot.outbox import Sender
from bot.services import open_services
from bot.tasks import cancel_and_wait

#: Real seconds between poll cycles in the demo.
DEMO_POLL_SECONDS = 1.0
#: Settings the demo ignores, even malformed: Telegram's, and those it replaces with its own.
DEMO_IGNORES: Final = frozenset(
    {
        "telegram_bot_token",
        "telegram_api_url",
        "allowed_users",
        "joulo_api_url",
        "database_path",
        "encryption_key",
        "poll_interval",
        "log_level",
    }
)
OWNER = 1001
GROUP = -1001
#: The bot's username in the demo's links (`/invite`).
DEMO_BOT_USERNAME: Final = "joulo_demo_bot"


def write(out: TextIO, text: str) -> bool:
    """Print a line; False, and `out` silenced, when its reader has gone (`demo | head -5`)."""
    try:
        print(text, file=out, flush=True)
    except BrokenPipeError:
        # What is still buffered, and all that follows, goes nowhere: also the flush at exit.
        with contextlib.suppress(OSError, ValueError):
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, out.fileno())
            os.close(devnull)
        return False
    return True


@dataclass
class Terminal:
    """Prints chat messages as plain text, bold where the terminal can show it."""

    out: TextIO
    clock: ScaledClock
    settings: Settings
    lang: Language
    #: Each chat's name, as a catalog key: it is said in that chat's language.
    names: dict[int, str] = field(default_factory=dict)
    #: Each chat's language (`Answers.language_in`); the demo's own for a chat not in it.
    langs: dict[int, Language] = field(default_factory=dict)
    #: Where pictures the bot sends (the digest's chart) are written.
    out_dir: Path = field(default_factory=lambda: Path(tempfile.gettempdir()) / "joulo-demo")
    #: Called once when nobody reads the output any more (the demo then ends, as on /quit).
    on_gone: Callable[[], object] = lambda: None
    _gone: bool = False
    _sent: int = 0

    def write(self, text: str) -> None:
        """Print `text`, unless the reader has gone."""
        if not self._gone and not write(self.out, text):
            self._gone = True
            self.on_gone()

    def _plain(self, text: str) -> str:
        bold = self.out.isatty()
        text = re.sub(r"</?b>", "\033[1m" if bold else "", text, count=1)
        text = re.sub(r"</?b>", "\033[0m" if bold else "", text, count=1)
        text = re.sub(r"</?b>", "", text)
        return plain_text(text)

    def show(self, chat: str, text: str) -> None:
        """Print one message with the simulated time and the chat it went to."""
        now = self.clock.now()
        stamp = fmt_time(now, self.lang, self.settings.tz, now)
        body = self._plain(text).replace("\n", "\n" + " " * 4)
        self.write(f"[{stamp}] {chat}\n    {body}\n")

    def language(self, chat_id: int) -> Language:
        """The language the chat is in."""
        return self.langs.get(chat_id, self.lang)

    def _file(self, filename: str, content: bytes, lang: Language) -> str:
        """Write a file the bot sends to `out_dir`; returns the line that shows where (HTML)."""
        self.out_dir.mkdir(parents=True, exist_ok=True)
        path = self.out_dir / filename
        path.write_bytes(content)
        size = fmt_number(len(content), lang, decimals=0)
        return Html("\n") + t(lang, "demo_file", path=str(path), size=size)

    def show_reply(self, chat: str, reply: Reply, lang: Language) -> None:
        """Print a reply; its file (a chart, a CSV) is written to `out_dir` and its path shown."""
        text = Html(reply.text)  # a reply's text is Telegram HTML
        if reply.attachment is not None:
            text += self._file(reply.attachment.filename, reply.attachment.content, lang)
        if reply.buttons:
            labels = "  ".join(f"[{button.text}]" for row in reply.buttons for button in row)
            text += "\n" + labels
        self.show(chat, text)
        for following in reply.more:
            self.show_reply(chat, following, lang)

    async def send(
        self, chat_id: int, text: str, *, silent: bool = False, thread: int | None = None
    ) -> int | None:
        """The `Messenger` interface: a notification arrives in a chat."""
        lang = self.language(chat_id)
        chat = plain(lang, self.names[chat_id]) if chat_id in self.names else str(chat_id)
        self.show(plain(lang, "demo_silently", chat=chat) if silent else chat, text)
        self._sent += 1
        return self._sent

    async def edit(self, chat_id: int, message_id: int, text: str) -> None:
        """The `Messenger` interface: a sent message is changed in place."""
        lang = self.language(chat_id)
        chat = plain(lang, self.names[chat_id]) if chat_id in self.names else str(chat_id)
        self.show(plain(lang, "demo_edited", chat=chat, number=message_id), text)

    async def pin(self, chat_id: int, message_id: int) -> None:
        """The `Messenger` interface; a terminal has no pinned messages, so nothing shows."""

    async def unpin(self, chat_id: int, message_id: int) -> None:
        """The `Messenger` interface; a terminal has no pinned messages, so nothing shows."""


@dataclass(frozen=True)
class Step:
    """A scripted happening at a simulated offset from the start, for a lively first minute."""

    after: timedelta
    action: Callable[[], object]


def _script(sim: JouloSimulator, garage: str, driveway: str) -> list[Step]:
    return [
        Step(
            timedelta(minutes=2),
            lambda: sim.start_session(garage, id_tag="04A3B2C1", power_kw=11.0),
        ),
        Step(timedelta(minutes=9), lambda: sim.set_status(driveway, "offline")),
        Step(timedelta(minutes=11), lambda: sim.set_status(driveway, "online")),  # a blip: silent
        Step(timedelta(minutes=20), lambda: sim.set_status(driveway, "offline")),
        Step(timedelta(minutes=40), lambda: sim.set_status(driveway, "online")),
        Step(timedelta(minutes=95), lambda: sim.finish_session(garage)),
    ]


def _past(
    sim: JouloSimulator, garage: str, driveway: str, now: datetime, rng: random.Random
) -> None:
    """Fourteen months of history: the Garage (MID) most evenings, the driveway now and then."""
    for days_ago in range(425, 0, -1):
        if rng.random() < 0.3:
            hours = rng.uniform(1.0, 5.0)
            start = now - timedelta(days=days_ago, hours=rng.uniform(2, 8))
            tag = rng.choice(("04A3B2C1", "04A3B2C1", "04F19A7E", None))
            kwh = hours * rng.uniform(6.5, 11.0)
            sim.add_past_session(garage, start, start + timedelta(hours=hours), kwh, id_tag=tag)
        if rng.random() < 0.06:
            start = now - timedelta(days=days_ago, hours=rng.uniform(10, 14))
            sim.add_past_session(
                driveway, start, start + timedelta(hours=2), rng.uniform(5, 14), id_tag="04F19A7E"
            )


#: English names for the buttons, so `/sessions older` also works in a Dutch demo.
_BUTTON_ALIASES: Final = {"older": "ouder", "newer": "nieuwer", "all": "alles", "12m": "12"}


def _button(reply: Reply | None, words: list[str]) -> str | None:
    """The data of the button of `reply` whose label holds `words` ("older", "all"), if any."""
    wanted = " ".join(words).casefold()
    if reply is None or not wanted:
        return None
    names = (wanted, _BUTTON_ALIASES.get(wanted, wanted))
    for row in reply.buttons:
        for button in row:
            if any(name in button.text.casefold() for name in names):
                return button.data
    return None


async def _read_lines(on_line: Callable[[str], Awaitable[bool]], stdin: TextIO | None) -> None:
    """Feed stdin lines to `on_line` until end of input or until it returns False."""
    if stdin is None or stdin.closed:
        return
    try:
        mode = os.fstat(stdin.fileno()).st_mode
    except (OSError, ValueError):
        return
    if not (stdin.isatty() or stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode)):
        # A regular file or /dev/null: the event loop cannot watch it, and it never blocks.
        for line in stdin.read().splitlines():
            if not await on_line(line):
                return
        return
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    transport, _ = await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), stdin)
    try:
        while line_bytes := await reader.readline():
            if not await on_line(line_bytes.decode(errors="replace")):
                return
    finally:
        transport.close()


async def play_demo(
    settings: Settings,
    *,
    duration: float | None,
    speed: float,
    seed: int,
    out_dir: Path,
    signals: EndSignals,
    stdin: TextIO | None,
    out: TextIO,
) -> int:
    """The demo from its banner to "Demo ended.", in a throw-away database, in the running loop.

    What `python -m bot demo` runs (`run_demo` gives it the terminal's streams): Anna types on
    `stdin`, the chats are printed on `out`, and `signals` end it as `/quit` does.
    """
    stop = asyncio.Event()
    with (
        signals.setting(stop),
        tempfile.TemporaryDirectory(prefix="joulo-demo-") as folder,
    ):
        demo_settings = settings.model_copy(
            update={
                "database_path": Path(folder) / "demo.sqlite3",
                "encryption_key": SecretStr(Fernet.generate_key().decode()),
                "poll_interval": DEMO_POLL_SECONDS,
                "allowed_users": frozenset(),
            }
        )
        await _play(
            demo_settings,
            duration=duration,
            speed=speed,
            seed=seed,
            out_dir=out_dir,
            stop=stop,
            stdin=stdin,
            out=out,
        )
    write(out, plain(settings.default_language, "demo_ended"))
    return ExitStatus.OK


async def _play(
    settings: Settings,
    *,
    duration: float | None,
    speed: float,
    seed: int,
    out_dir: Path,
    stop: asyncio.Event,
    stdin: TextIO | None,
    out: TextIO,
) -> None:
    """Run the demo until `stop` is set, the input ends (without a duration) or time is up."""
    lang = settings.default_language
    clock = ScaledClock(SystemClock().now(), speed)
    sim = JouloSimulator(clock, seed=seed)
    token = sim.add_account()
    garage = sim.add_charger(token, "Garage", connection_type="easee", mid_certified=True)
    driveway = sim.add_charger(
        token, plain(lang, "demo_driveway"), connection_type="ocpp", mid_certified=False
    )
    _past(sim, garage, driveway, clock.now(), random.Random(seed))  # noqa: S311  (a simulation)

    terminal = Terminal(
        out,
        clock,
        settings,
        lang,
        {OWNER: "demo_private_chat", GROUP: "demo_group_chat"},
        out_dir=out_dir,
        on_gone=stop.set,
    )
    person = Person(id=OWNER, name="Anna", language=lang)
    group = Place(GROUP, "group", plain(lang, "demo_group_title"))

    async with open_services(settings, clock=clock, joulo_transport=sim.transport()) as services:
        answers: Answers = services.answers
        sender = Sender(
            store=services.store,
            readings=services.poller,
            messenger=terminal,
            clock=clock,
            tz=settings.tz,
            wakeup=services.wakeup,
        )
        # Plain text for the terminal (not HTML): the folder's name is shown as it is.
        terminal.write(plain(lang, "demo_banner", speed=f"{speed:g}", folder=out_dir))
        anna_to_bot, bot_to_anna = plain(lang, "demo_anna_to_bot"), plain(lang, "demo_bot_to_anna")
        anna_to_group = plain(lang, "demo_anna_to_group")
        bot_to_group = plain(lang, "demo_bot_to_group")
        terminal.show(anna_to_bot, escape(f"/link {token[:10]}…"))
        terminal.show(bot_to_anna, (await answers.link(person, token)).reply.text)
        terminal.show(anna_to_bot, escape("/tag 04A3B2C1 Anna"))
        terminal.show(bot_to_anna, (await answers.tag(person, ("04A3B2C1", "Anna"))).text)
        terminal.show(anna_to_group, escape("/subscribe"))
        terminal.show(bot_to_group, (await answers.subscribe(person, group)).text)

        #: The buttons of the last reply, numbered: typing a number presses one.
        menu: list[Button] = []
        last: dict[str, Reply] = {}  # per command, the reply whose buttons can be named
        private = Place(OWNER, "private")
        #: Where what Anna types goes: the family group, or (after /private) her own chat.
        here = [group]

        async def anna_is_admin() -> bool:
            return True  # she created the family group

        def to_bot(place: Place) -> str:
            key = "demo_anna_to_group" if place == group else "demo_anna_to_bot"
            return plain(terminal.language(place.id), key)

        def from_bot(place: Place) -> str:
            key = "demo_bot_to_group" if place == group else "demo_bot_to_anna"
            return plain(terminal.language(place.id), key)

        def show_reply(place: Place, reply: Reply) -> None:
            shown = Html(
                reply.text
            )  # a reply's text is Telegram HTML; the notice and labels are not
            if reply.notice is not None:
                shown = fmt("({notice})\n", notice=reply.notice) + shown
            menu[:] = [button for row in reply.buttons for button in row]
            lines = [f"{number}. {b.text}" for number, b in enumerate(menu, start=1)]
            if lines:
                hint = plain(terminal.language(place.id), "demo_menu_hint")
                shown += "\n" + "\n".join(lines) + "\n" + hint
            terminal.show_reply(
                from_bot(place), replace(reply, text=shown, buttons=()), terminal.language(place.id)
            )

        async def answer(place: Place, line: str) -> Reply | None:
            """What the bot answers to `line` typed in `place`, as the Telegram handlers would."""
            words = line.split()
            lang = terminal.language(place.id)
            asked = Asked(
                person,
                place,
                tuple(words[1:]),
                is_admin=anna_is_admin,
                bot_username=DEMO_BOT_USERNAME,
            )
            token = find_token(line)
            if token is not None:  # before the commands, as in Telegram: even "/link <token>"
                terminal.show(from_bot(place), t(lang, "demo_deleted"))
                return await answers.token_message(replace(asked, deleted=True), token)
            if words[0].isdigit():
                number = int(words[0])
                if not 1 <= number <= len(menu):
                    key = "demo_no_button" if menu else "demo_no_buttons"
                    return Reply(t(lang, key, number=number, count=len(menu)))
                return await answers.press(asked, menu[number - 1].data) or Reply(
                    answers.stale_button(lang)
                )
            if not words[0].startswith("/"):
                if place.is_private:
                    return await answers.chatter(asked)
                return Reply(t(lang, "demo_group_chatter"))
            name = words[0].lower().removeprefix("/").partition("@")[0]  # /status@bot too
            pressed = _button(last.get(name), words[1:])
            if pressed is not None:
                return await answers.press(asked, pressed) or Reply(answers.stale_button(lang))
            reply = await answers.command(name, asked)
            if reply.buttons:
                last[name] = reply
            return reply

        async def say(line: str, place: Place | None = None) -> None:
            place = place or here[0]
            shown = TOKEN_PATTERN.sub(lambda found: found.group(0)[:10] + "…", line.strip())
            terminal.show(to_bot(place), escape(shown))  # what Anna typed is not HTML
            reply = await answer(place, line.strip())
            # /language, or the menu's language buttons, may have changed the chat's language.
            terminal.langs[place.id] = await answers.language_in(place, person)
            if reply is not None:
                show_reply(place, reply)

        def move(place: Place) -> None:
            here[0] = place
            key = "demo_in_group" if place == group else "demo_in_private"
            terminal.show("🎬", t(terminal.language(place.id), key))

        async def on_line(line: str) -> bool:
            words = line.strip().split()
            if not words:
                return True
            if words[0].lower() in ("/quit", "/exit", "quit", "exit"):
                stop.set()
                return False
            if words[0].lower() in ("/private", "/group"):
                move(private if words[0].lower() == "/private" else group)
                return True
            await say(line)
            return True

        # The family turns on the live card and looks at its settings (a numbered menu here).
        await say("/live on", group)
        await say("/settings", group)

        async def input_loop() -> None:
            await _read_lines(on_line, stdin)
            if duration is None:  # end of input ends an open-ended demo
                stop.set()

        async def world_loop() -> None:
            script = _script(sim, garage, driveway)
            # A scripted bedtime: the group is muted and gets quiet hours (both visible below).
            script.insert(3, Step(timedelta(minutes=15), lambda: say("/mute 30m", group)))
            script.insert(4, Step(timedelta(minutes=16), lambda: say("/quiet 22:00-07:00", group)))
            started = clock.now()
            rng = random.Random(seed)  # noqa: S311  (a simulation, not security)
            while not stop.is_set():
                elapsed = clock.now() - started
                while script and script[0].after <= elapsed:
                    done = script.pop(0).action()
                    if inspect.isawaitable(done):
                        await done
                if not script:
                    sim.autopilot(rng)
                await services.poller.run_cycle()  # raises CancelledError when we are ended
                await services.money.run()  # the price per credit and payouts, hourly
                await sender.drain()
                await asyncio.sleep(DEMO_POLL_SECONDS)

        def end_on_failure(task: asyncio.Task[None]) -> None:
            if not task.cancelled() and task.exception() is not None:
                stop.set()  # the error is raised below, when the task is awaited

        tasks = [asyncio.create_task(world_loop()), asyncio.create_task(input_loop())]
        for task in tasks:
            task.add_done_callback(end_on_failure)
        try:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(duration):  # wait_for() of 3.11 can lose a cancel
                    await stop.wait()
        finally:
            for task in tasks:
                task.cancel()
            for task in tasks:
                await cancel_and_wait(task)


class EndSignals:
    """SIGINT (Ctrl-C), SIGTERM and SIGHUP end the demo in order; none of them cuts it short.

    Installed before the throw-away folder is made and restored after it is removed, so no
    signal can end the process in between and leave the folder behind. While the demo runs,
    asyncio's own handlers take over (they wake the event loop at once) and set its `stop`
    event; before and after that, a signal is only remembered.
    """

    SIGNALS: Final = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)

    def __init__(self) -> None:
        self.received = False
        self._previous: dict[signal.Signals, Any] = {}

    def __enter__(self) -> EndSignals:
        for sig in self.SIGNALS:
            self._previous[sig] = signal.signal(sig, self._remember)
        return self

    def __exit__(self, *exc_info: object) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)

    def _remember(self, signum: int, frame: FrameType | None) -> None:
        self.received = True

    @contextlib.contextmanager
    def setting(self, stop: asyncio.Event) -> Iterator[None]:
        """While inside, a signal sets `stop` (at once if one came before)."""
        loop = asyncio.get_running_loop()

        def received() -> None:
            self.received = True
            stop.set()

        for sig in self.SIGNALS:
            loop.add_signal_handler(sig, received)
        if self.received:
            stop.set()
        try:
            yield
        finally:
            for sig in self.SIGNALS:
                loop.remove_signal_handler(sig)  # this resets the handler to the default ...
                signal.signal(sig, self._remember)  # ... so remember signals again


def ignored_settings() -> dict[str, object]:
    """The settings the demo ignores, at their defaults: `.env` cannot spoil them for it."""
    return {
        name: Settings.model_fields[name].get_default(call_default_factory=True)
        for name in DEMO_IGNORES
    }


def run_demo(
    settings: Settings,
    *,
    duration: float | None,
    speed: float,
    seed: int | None,
    out_dir: Path | None = None,
) -> int:
    """Run the demo in a throw-away database; returns the exit code.

    Files the bot would send (the /stats chart, /export's CSV) are written to `out_dir`
    (by default `joulo-demo` in the system's temporary directory).
    """
    out = out_dir if out_dir is not None else Path(tempfile.gettempdir()) / "joulo-demo"
    setup_logging("WARNING")
    with EndSignals() as signals:
        return asyncio.run(
            play_demo(
                settings,
                duration=duration,
                speed=speed,
                seed=seed if seed is not None else 7,
                out_dir=out,
                signals=signals,
                stdin=sys.stdin,
                out=sys.stdout,
            )
        )
