"""Mail clients for the tests: IMAP and POP3 from a fresh loopback
address per connection."""
import imaplib
import poplib
import socket


_next_client = [0]


def client_address():
    """A fresh loopback source address per connection, so that Dovecot's
    auth penalty for failed logins (per address, up to 15 s) does not slow
    the suite down."""
    _next_client[0] += 1
    n = _next_client[0]
    return "127.%d.%d.%d" % (100 + (n >> 16) % 100, (n >> 8) & 255, n & 255 or 1)


def _socket_from_fresh_address(self, timeout):
    return socket.create_connection((self.host, self.port), timeout,
                                    source_address=(client_address(), 0))


class IMAP(imaplib.IMAP4):
    """imaplib.IMAP4 connecting from a fresh loopback address."""
    _create_socket = _socket_from_fresh_address


class POP3(poplib.POP3):
    """poplib.POP3 connecting from a fresh loopback address."""
    _create_socket = _socket_from_fresh_address
