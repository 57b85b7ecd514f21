"""The bot's listening sockets (metrics, webhook), bound before anything else is made.

A port that is taken is a setting that cannot work: it is found at start-up, before the
database or the key file is created, and named in one line (exit 2). The bound sockets are
handed to the servers as they are, so no other process can take the port in between.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass

from bot.config import Settings


class ListenError(Exception):
    """A port cannot be listened on; the message names the setting."""


@dataclass
class Listeners:
    """The sockets the bot listens on; None where that server is off."""

    metrics: socket.socket | None = None
    webhook: socket.socket | None = None

    def close(self) -> None:
        """Close every socket (the servers that used them have stopped)."""
        for sock in (self.metrics, self.webhook):
            if sock is not None:
                sock.close()


def listen(host: str, port: int, *, setting: str, address_setting: str) -> socket.socket:
    """A non-blocking TCP socket listening on `host`:`port`, or ListenError naming `setting`."""
    try:
        infos = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE | socket.AI_NUMERICSERV
        )
    except socket.gaierror as err:
        raise ListenError(f"{address_setting}: cannot listen on {host!r}: {err.strerror}") from None
    family, _, _, _, address = infos[0]
    try:
        sock = socket.create_server(address, family=family, backlog=128)
    except OSError as err:
        raise ListenError(
            f"{setting}: cannot listen on {host}:{port}: {err.strerror or err}"
        ) from None
    sock.setblocking(False)
    return sock


def open_listeners(settings: Settings) -> Listeners:
    """Bind the metrics and webhook ports the settings ask for (closing all on failure)."""
    listeners = Listeners()
    try:
        if settings.metrics_port is not None:
            listeners.metrics = listen(
                settings.metrics_listen,
                settings.metrics_port,
                setting="METRICS_PORT",
                address_setting="METRICS_LISTEN",
            )
        if settings.webhook_url is not None:
            listeners.webhook = listen(
                settings.webhook_listen,
                settings.webhook_port,
                setting="WEBHOOK_PORT",
                address_setting="WEBHOOK_LISTEN",
            )
    except BaseException:
        listeners.close()
        raise
    return listeners
