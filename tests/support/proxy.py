"""nginx in front of the console, as docs/deployment.md puts it: one server block per
test identity, each including deploy/nginx/owner-console-proxy.conf as production does."""

import os
import pwd
import socket
import subprocess
import tempfile
import time
from collections.abc import Collection, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from lib.db.settings import PROJECT_ROOT

NGINX = Path("/usr/sbin/nginx")
PROXY_LOCATION = PROJECT_ROOT / "deploy" / "nginx" / "owner-console-proxy.conf"
STARTUP_SECONDS = 10

CONFIGURATION = """\
user {user};
worker_processes 1;
daemon off;
pid {folder}/nginx.pid;
error_log {folder}/error.log warn;
events {{ worker_connections 256; }}
http {{
    access_log off;
    client_body_temp_path {folder}/client_body;
    proxy_temp_path {folder}/proxy;
    fastcgi_temp_path {folder}/fastcgi;
    uwsgi_temp_path {folder}/uwsgi;
    scgi_temp_path {folder}/scgi;
    map $http_upgrade $connection_upgrade {{
        default upgrade;
        ""      close;
    }}
    upstream owner_console {{
        server 127.0.0.1:{upstream_port};
    }}
{servers}
}}
"""

# The identity comes from the server block, as production's comes from its authentication.
SERVER = """\
    server {{
        listen 127.0.0.1:{port};
        set $owner_console_user "{identity}";
        set $owner_console_proxy_secret "{secret}";
        include {location};
    }}
"""
# A misconfigured proxy, not the recipe: it sends the identity header twice.
DOUBLING_SERVER = """\
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://owner_console;
            proxy_http_version 1.1;
            proxy_set_header Host $host;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection $connection_upgrade;
            proxy_set_header X-Forwarded-User "{first}";
            proxy_set_header X-Forwarded-User "{second}";
            proxy_set_header X-Owner-Console-Proxy-Secret "{secret}";
        }}
    }}
"""
DOUBLED = "doubled"


def free_ports(count: int, avoid: Collection[int] = ()) -> list[int]:
    """Ports that nothing listens on now, distinct from each other and from `avoid` (ports chosen
    for a server that has not bound them yet)."""
    probes: list[socket.socket] = []
    try:
        while len(probes) < count:
            probe = socket.socket()
            probe.bind(("127.0.0.1", 0))
            if probe.getsockname()[1] in avoid:
                probe.close()
            else:
                probes.append(probe)  # held open, so the next probe gets another port
        return [probe.getsockname()[1] for probe in probes]
    finally:
        for probe in probes:
            probe.close()


@contextmanager
def running_proxy(upstream_port: int, identities: Mapping[str, str], secret: str) -> Iterator[dict[str, str]]:
    """nginx in front of 127.0.0.1:upstream_port, adding the proxy `secret` to every request;
    yields {name: base URL of its server block} for each of `identities` ({name: identity the block
    sets}; "" establishes nobody), and for DOUBLED, a block that sends the first two identities both."""
    if not NGINX.exists():
        raise RuntimeError(f"{NGINX} is missing: install Debian's nginx-light (.ci/run does).")
    names = [*identities, DOUBLED]
    ports = dict(zip(names, free_ports(len(names), avoid={upstream_port}), strict=True))
    servers = "".join(
        SERVER.format(port=ports[name], identity=identity, secret=secret, location=PROXY_LOCATION)
        for name, identity in identities.items()
    )
    first, second = list(identities.values())[:2]
    servers += DOUBLING_SERVER.format(port=ports[DOUBLED], first=first, second=second, secret=secret)
    with tempfile.TemporaryDirectory(prefix="owner-console-nginx-") as folder:
        configuration = Path(folder) / "nginx.conf"
        configuration.write_text(
            CONFIGURATION.format(
                user=pwd.getpwuid(os.getuid()).pw_name,
                folder=folder,
                upstream_port=upstream_port,
                servers=servers,
            )
        )
        process = subprocess.Popen(
            [NGINX, "-p", folder, "-c", configuration, "-e", f"{folder}/error.log"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
        )
        try:
            _wait_until_listening(ports.values(), process, Path(folder) / "error.log")
            yield {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
        finally:
            process.terminate()
            process.wait(timeout=30)


def _wait_until_listening(ports, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    waiting = set(ports)
    while waiting and time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"nginx exited with {process.returncode}:\n{log.read_text()}")
        for port in list(waiting):
            with socket.socket() as attempt:
                if attempt.connect_ex(("127.0.0.1", port)) == 0:
                    waiting.discard(port)
        if waiting:
            time.sleep(0.05)  # polling nginx's own listening sockets
    if waiting:
        raise RuntimeError(f"nginx did not listen within {STARTUP_SECONDS} s:\n{log.read_text()}")
