"""A TCP relay the test owns, between a client and a server on loopback:
it records every byte each way (to show what crossed the wire in clear),
can cut the connection in the middle of a server's answer, and can die
like a server does (every connection closed, the port refused). And a
black hole: a port that accepts connections and never answers, as a
hung server does."""
import socket
import threading
import time


def _close_listener(listener):
    """Closes a listening socket and frees its port now: a thread blocked
    in accept() keeps it listening after a bare close()."""
    try:
        listener.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    listener.close()


class Relay:
    def __init__(self, target_port, target_host="127.0.0.1", listen_port=0):
        self.target = (target_host, target_port)
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", listen_port))
        self.listener.listen(16)
        self.port = self.listener.getsockname()[1]
        self.to_server = bytearray()
        self.to_client = bytearray()
        self.connections = 0
        # cut every connection once the server has sent this, after
        # relaying the part of the chunk before it
        self.cut_marker = None
        self.cuts = 0
        # hung: nothing more is relayed either way and new connections are
        # accepted but never answered, as a server that stopped responding
        self.hung = False
        self._lock = threading.Lock()
        self._closing = False
        self._sockets = []
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self):
        while not self._closing:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if self.hung:
                with self._lock:
                    self._sockets.append(client)
                continue
            try:
                server = socket.create_connection(self.target)
            except OSError:
                client.close()
                continue
            with self._lock:
                self.connections += 1
                self._sockets += [client, server]
            for source, sink, record, cut in ((client, server, self.to_server, False),
                                              (server, client, self.to_client, True)):
                threading.Thread(target=self._pump, args=(source, sink, record, cut),
                                 daemon=True).start()

    def _pump(self, source, sink, record, may_cut):
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                while self.hung and not self._closing:
                    time.sleep(0.05)
                marker = self.cut_marker if may_cut else None
                if marker is not None and marker in data:
                    sink.sendall(data[:data.index(marker)])
                    with self._lock:
                        record.extend(data[:data.index(marker)])
                        self.cuts += 1
                    break
                with self._lock:
                    record.extend(data)
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for s in (source, sink):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                s.close()

    def wire(self):
        """Everything that crossed, both ways."""
        with self._lock:
            return bytes(self.to_server) + bytes(self.to_client)

    def close(self):
        """Stops listening and closes every open connection."""
        self._closing = True
        _close_listener(self.listener)
        with self._lock:
            sockets, self._sockets = self._sockets, []
        for s in sockets:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()


class BlackHole:
    """Accepts connections and never sends a byte: a hung server."""

    def __init__(self, listen_port=0):
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", listen_port))
        self.listener.listen(16)
        self.port = self.listener.getsockname()[1]
        self.connections = 0
        self._held = []
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self):
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            self.connections += 1
            self._held.append(conn)

    def close(self):
        _close_listener(self.listener)
        for conn in self._held:
            conn.close()
