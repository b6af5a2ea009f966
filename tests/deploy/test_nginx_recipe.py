"""The reverse-proxy recipe (deploy/nginx/owner-console-proxy.conf) in a real nginx, in front of an
upstream that answers with the identity headers it received."""

import http.client
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from lib.guard.identity import PROXY_SECRET_HEADER
from tests.support.proxy import DOUBLED, running_proxy


class EchoHeaders(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = json.dumps(
            {
                name: self.headers.get_all(name) or []
                for name in ("X-Forwarded-User", PROXY_SECRET_HEADER, "Upgrade", "Connection")
            }
        ).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


IDENTITIES = {"ops": "ops.lead@example.com", "analyst": "analyst@example.com", "nobody": ""}
SECRET = "the-proxy-secret"


@pytest.fixture(scope="module")
def proxy() -> Iterator[dict[str, str]]:
    upstream = ThreadingHTTPServer(("127.0.0.1", 0), EchoHeaders)
    threading.Thread(target=upstream.serve_forever, daemon=True).start()
    try:
        with running_proxy(upstream.server_port, IDENTITIES, SECRET) as via:
            yield via
    finally:
        upstream.shutdown()


def received(base: str, headers: list[tuple[str, str]]) -> dict[str, list[str]]:
    """What the upstream got for a GET with `headers`, each (name, value) sent as its own line."""
    connection = http.client.HTTPConnection(base.removeprefix("http://"), timeout=10)
    connection.putrequest("GET", "/")
    for name, value in headers:
        connection.putheader(name, value)
    connection.endheaders()
    answer = connection.getresponse()
    assert answer.status == 200
    return json.loads(answer.read())


CLIENT_CLAIMS = [("X-Forwarded-User", "ops.lead@example.com"), ("X-Forwarded-User", "admin")]


def test_the_proxy_replaces_every_identity_header_the_client_sends(proxy):
    assert received(proxy["ops"], CLIENT_CLAIMS)["X-Forwarded-User"] == ["ops.lead@example.com"]


def test_the_proxy_replaces_any_secret_the_client_sends_with_its_own(proxy):
    for block in ("ops", "nobody"):
        got = received(proxy[block], [(PROXY_SECRET_HEADER, "guessed"), (PROXY_SECRET_HEADER, SECRET)])
        assert got[PROXY_SECRET_HEADER] == [SECRET]


def test_a_block_that_authenticated_nobody_sends_no_identity_header(proxy):
    assert received(proxy["nobody"], CLIENT_CLAIMS)["X-Forwarded-User"] == []


def test_the_websocket_upgrade_reaches_streamlit(proxy):
    upgrade = [("Connection", "Upgrade"), ("Upgrade", "websocket")]
    got = received(proxy["ops"], upgrade)
    assert (got["Upgrade"], got["Connection"]) == (["websocket"], ["upgrade"])
    assert received(proxy["ops"], [])["Connection"] == ["close"]


def test_the_misconfigured_test_block_really_sends_the_header_twice(proxy):
    """tests/browser/test_identity.py relies on it."""
    assert received(proxy[DOUBLED], [])["X-Forwarded-User"] == ["ops.lead@example.com", "analyst@example.com"]
