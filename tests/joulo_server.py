"""The Joulo simulator served over real loopback HTTP, for tests that run the bot as a process.

The simulator itself lives in `bot.joulo.simulator` (the demo uses it in-process); only tests
need it behind a socket.
"""

from __future__ import annotations

import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, cast

import httpx

from bot.joulo.simulator import SimulatorError, error_response
from tests.joulo_sim import JouloSimulator

log = logging.getLogger(__name__)


class _SimHTTPServer(ThreadingHTTPServer):
    """A threading HTTP server that knows the SimulatorServer it belongs to."""

    daemon_threads = True

    def __init__(self, address: tuple[str, int], owner: SimulatorServer) -> None:
        super().__init__(address, _SimRequestHandler)
        self.owner = owner


class _SimRequestHandler(BaseHTTPRequestHandler):
    """Turns one HTTP request into an httpx.Request for the simulator, and back."""

    def do_GET(self) -> None:
        """Serve a GET."""
        self._serve()

    def do_POST(self) -> None:
        """Serve a POST."""
        self._serve()

    def do_PUT(self) -> None:
        """Serve a PUT."""
        self._serve()

    def do_PATCH(self) -> None:
        """Serve a PATCH."""
        self._serve()

    def do_DELETE(self) -> None:
        """Serve a DELETE."""
        self._serve()

    def log_message(self, format: str, *args: Any) -> None:
        """Keep the test output quiet."""
        log.debug("simulator server: " + format, *args)

    def _serve(self) -> None:
        """Run the request through the simulator and write its answer."""
        server = cast(_SimHTTPServer, self.server)
        owner = server.owner
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length > 0 else b""
        request = httpx.Request(
            self.command,
            f"http://{owner.host}:{server.server_port}{self.path}",
            headers=list(self.headers.items()),
            content=body,
        )
        try:
            response = owner.sim.handle(request)
        except httpx.TimeoutException:
            owner.stopping.wait(owner.timeout_delay)
            self.close_connection = True
            return
        except Exception:
            log.exception("simulator failed on %s %s", self.command, self.path)
            response = error_response(500, "Simulator crashed")
        content = response.read()
        self.send_response(response.status_code)
        for key, value in response.headers.multi_items():
            if key.lower() not in {"content-length", "transfer-encoding", "connection"}:
                self.send_header(key, value)
        self.send_header("Content-Length", str(len(content)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(content)


class SimulatorServer:
    """Serves a JouloSimulator over real HTTP on loopback, from a daemon thread.

    A "timeout" fault makes the server wait `timeout_delay` seconds (or until `stop`) and
    then close the connection without an answer.
    """

    def __init__(
        self,
        sim: JouloSimulator,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        timeout_delay: float = 15.0,
    ) -> None:
        self.sim = sim
        self.host = host
        self.port = port
        self.timeout_delay = timeout_delay
        self.stopping = threading.Event()
        self._httpd: _SimHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Bind the socket and start serving in a daemon thread."""
        if self._httpd is not None:
            raise SimulatorError("server already started")
        self.stopping.clear()
        self._httpd = _SimHTTPServer((self.host, self.port), self)
        self.port = self._httpd.server_port
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="joulo-simulator",
            daemon=True,
        )
        self._thread.start()

    def stop(self) -> None:
        """Stop serving, wake any request held by a timeout fault, and close the socket."""
        httpd, thread = self._httpd, self._thread
        if httpd is None:
            return
        self.stopping.set()
        httpd.shutdown()
        httpd.server_close()
        if thread is not None:
            thread.join(timeout=5)
        self._httpd = self._thread = None

    @property
    def base_url(self) -> str:
        """Return the API base URL, e.g. http://127.0.0.1:43123/functions/v1/api."""
        if self._httpd is None:
            raise SimulatorError("server not started")
        return f"http://{self.host}:{self.port}/functions/v1/api"

    def __enter__(self) -> SimulatorServer:
        """Start the server."""
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Stop the server."""
        self.stop()
