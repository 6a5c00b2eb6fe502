"""A TCP forwarder to put between the app and a server, to make that server fail on demand.

``TcpProxy(host, port)`` listens on 127.0.0.1 (its own ``port``) and forwards each connection
to ``host:port``. ``cut()`` drops every open connection and refuses new ones, as a stopped
server does; ``stall()`` keeps connections open but passes nothing, as a hung server or a
broken network does; ``restore()`` forwards again on the same port. Used by the tests and by
the fault benchmark, so it depends on nothing of the application. ``wait_until`` polls for
what a faulty process should come to.
"""

import contextlib
import selectors
import socket
import threading
import time

POLL = 0.05  # how often the threads look at the proxy's state, in seconds
BUFFER = 65536


class TcpProxy:
    """A threaded TCP forwarder that can cut, stall and restore its connections."""

    def __init__(self, target_host: str, target_port: int, port: int = 0):
        self.target = (target_host, target_port)
        self.port = port
        self.connections_made = 0
        self._listener: socket.socket | None = None
        self._pairs: set[tuple[socket.socket, socket.socket]] = set()
        self._lock = threading.Lock()
        self._stalled = threading.Event()
        self._stopped = threading.Event()
        self._thread: threading.Thread | None = None
        self._held: list[socket.socket] = []

    # ------------------------------------------------------------------ control

    def start(self) -> "TcpProxy":
        """Listen (on a free port the first time) and forward until ``stop``."""
        self._stopped.clear()
        self._stalled.clear()
        self._listen()
        self._thread = threading.Thread(target=self._accept_loop, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop listening and close every connection; the proxy can be started again."""
        self._stopped.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        self._close_listener()
        self._close_connections()

    def cut(self) -> None:
        """Drop every connection and refuse new ones (connect gets ECONNREFUSED)."""
        self.stop()

    def stall(self) -> None:
        """Accept connections but pass no byte either way, until ``restore``."""
        self._stalled.set()

    def restore(self) -> None:
        """Forward again, on the same port, after ``cut`` or ``stall``."""
        if self._thread is None:
            self.start()
        else:
            self._stalled.clear()
            self._release_held()

    @property
    def address(self) -> tuple[str, int]:
        return ("127.0.0.1", self.port)

    def __enter__(self) -> "TcpProxy":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # ------------------------------------------------------------------ internals

    def _listen(self) -> None:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        listener.setblocking(False)
        self.port = listener.getsockname()[1]
        self._listener = listener

    def _close_listener(self) -> None:
        if self._listener is not None:
            self._listener.close()
            self._listener = None

    def _accept_loop(self) -> None:
        selector = selectors.DefaultSelector()
        selector.register(self._listener, selectors.EVENT_READ)
        try:
            while not self._stopped.is_set():
                if not selector.select(timeout=POLL):
                    continue
                try:
                    client, _ = self._listener.accept()
                except (BlockingIOError, OSError):
                    continue
                if self._stalled.is_set():
                    with self._lock:
                        self._held.append(client)
                    continue
                self._open(client)
        finally:
            selector.close()

    def _release_held(self) -> None:
        with self._lock:
            held, self._held = self._held, []
        for client in held:
            self._open(client)

    def _open(self, client: socket.socket) -> None:
        try:
            upstream = socket.create_connection(self.target, timeout=5)
        except OSError:
            client.close()
            return
        pair = (client, upstream)
        with self._lock:
            self._pairs.add(pair)
            self.connections_made += 1
        threading.Thread(target=self._pump, args=(pair,), daemon=True).start()

    def _pump(self, pair: tuple[socket.socket, socket.socket]) -> None:
        client, upstream = pair
        other = {client: upstream, upstream: client}
        selector = selectors.DefaultSelector()
        try:
            for sock in pair:
                sock.setblocking(False)
                selector.register(sock, selectors.EVENT_READ)
            while not self._stopped.is_set():
                if self._stalled.is_set():
                    self._stopped.wait(POLL)
                    continue
                for key, _ in selector.select(timeout=POLL):
                    data = key.fileobj.recv(BUFFER)
                    if not data:
                        return
                    other[key.fileobj].setblocking(True)
                    other[key.fileobj].sendall(data)
                    other[key.fileobj].setblocking(False)
        except OSError:
            return
        finally:
            selector.close()
            self._drop(pair)

    def _drop(self, pair) -> None:
        with self._lock:
            self._pairs.discard(pair)
        for sock in pair:
            with contextlib.suppress(OSError):
                sock.close()

    def _close_connections(self) -> None:
        with self._lock:
            pairs, self._pairs = list(self._pairs), set()
            held, self._held = self._held, []
        for pair in pairs:
            for sock in pair:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()
        for sock in held:
            sock.close()


def wait_until(condition, timeout: float, what: str):
    """Poll ``condition`` until it returns something true; fail after ``timeout`` seconds."""
    import pytest

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.02)
    pytest.fail(f"timed out after {timeout} s waiting for {what}")
