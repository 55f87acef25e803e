"""A network switch between the browser and the test server: a TCP relay that can drop
every connection and refuse new ones, like a phone losing its signal in a car park.

Why not only ``context.set_offline(True)``: in Chromium 156 DevTools' offline emulation does
not stop every request a service worker makes (requests it sends while it is handling the
page's form post reached the server in our runs). The tests set both: the page sees
``navigator.onLine === false`` and nothing at all reaches the server.
"""

from __future__ import annotations

import contextlib
import socket
import threading


class NetworkSwitch:
    def __init__(self, target_port: int) -> None:
        self.target = ("127.0.0.1", target_port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.online = True
        self._lock = threading.Lock()
        self._open: set[socket.socket] = set()
        self._closed = False
        threading.Thread(target=self._accept, name="network-switch", daemon=True).start()

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if not self.online:
                client.close()
                continue
            try:
                upstream = socket.create_connection(self.target)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._open.update((client, upstream))
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket) -> None:
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)
                s.close()
                with self._lock:
                    self._open.discard(s)

    def down(self) -> None:
        self.online = False
        with self._lock:
            sockets = list(self._open)
        for s in sockets:
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)
            s.close()

    def up(self) -> None:
        self.online = True

    def retarget(self, port: int) -> None:
        """Send new connections to another server (a new deploy at the same origin)."""
        self.target = ("127.0.0.1", port)
        online = self.online
        self.down()
        self.online = online

    def close(self) -> None:
        self._closed = True
        self.listener.close()
        self.down()
