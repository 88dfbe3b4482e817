"""A real WordPress on loopback, for the tests: Debian's ``wordpress`` package served by
PHP's built-in server from a copied docroot, on a private MariaDB in a temporary folder.

``start_site(folder)`` installs the site with a small PHP script (``wp_install()``), makes
an editor and an Application Password for it, and returns a ``Site``; ``Site.stop()`` ends
both servers. ``missing()`` says what is not installed (the tests skip with that reason,
which CI refuses: .ci/run installs the packages). The session fixture ``wordpress_site``
(made available to every test by tests/conftest.py) starts one site for the whole run, and
``SiteRelay`` stands in front of it to lose, delay or fail its answers.

The site has no pretty permalinks (PHP's built-in server has no rewrite rules), so its API
is at ``/?rest_route=/wp/v2/...``, and its environment type is ``local``, the one case in
which WordPress offers Application Passwords over plain http.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from tests.fakes.base import Fault

WORDPRESS = Path("/usr/share/wordpress")
PROGRAMS = ("php", "mariadbd", "mariadb-install-db", "mariadb")
USERNAME = "campaign-bot"
START_SECONDS = 60.0

CONFIG = """<?php
define('DB_NAME', 'wordpress');
define('DB_USER', 'root');
define('DB_PASSWORD', '');
define('DB_HOST', 'localhost:{socket}');
define('DB_CHARSET', 'utf8mb4');
define('DB_COLLATE', '');
{keys}
$table_prefix = 'wp_';
define('WP_ENVIRONMENT_TYPE', 'local');
define('WP_HOME', '{url}');
define('WP_SITEURL', '{url}');
define('DISABLE_WP_CRON', true);
define('AUTOMATIC_UPDATER_DISABLED', true);
define('WP_HTTP_BLOCK_EXTERNAL', true);
define('WP_DEBUG', false);
if (!defined('ABSPATH')) {{ define('ABSPATH', __DIR__ . '/'); }}
require_once ABSPATH . 'wp-settings.php';
"""

INSTALL = """<?php
define('WP_INSTALLING', true);
$_SERVER['HTTP_HOST'] = '{host}';
require __DIR__ . '/wp-load.php';
require_once ABSPATH . 'wp-admin/includes/upgrade.php';
wp_install('Campaign stories', 'admin', 'admin@example.org', false, '', wp_generate_password(32));
$user = wp_create_user('{username}', wp_generate_password(32), 'bot@example.org');
(new WP_User($user))->set_role('editor');
[$password, $item] = WP_Application_Passwords::create_new_application_password(
    $user, array('name' => 'campaign scheduler')
);
echo json_encode(array('password' => $password, 'user' => $user));
"""


def missing() -> str | None:
    """Why a real WordPress cannot be started here; None when it can."""
    absent = [p for p in PROGRAMS if shutil.which(p) is None]
    if not (WORDPRESS / "wp-settings.php").exists():
        absent.append("wordpress")
    if (
        not absent
        and "mysqli"
        not in subprocess.run(["php", "-m"], capture_output=True, text=True, check=False).stdout
    ):
        absent.append("php-mysql")
    if absent:
        return "a real WordPress needs " + ", ".join(absent) + " (Debian packages; see .ci/run)"
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class Site:
    url: str
    username: str
    password: str
    processes: tuple[subprocess.Popen[bytes], ...]

    def stop(self) -> None:
        for process in reversed(self.processes):
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _wait(what: str, ready: object, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited: {log.read_text(errors='replace')[-2000:]}")
        if callable(ready) and ready():
            return
        time.sleep(0.1)
    raise RuntimeError(f"{what} did not start in {START_SECONDS:.0f} s")


def _database(folder: Path) -> tuple[subprocess.Popen[bytes], Path]:
    data, sock, log = folder / "db", folder / "db.sock", folder / "db.log"
    user = ["--user=root"] if os.geteuid() == 0 else []
    subprocess.run(
        [
            "mariadb-install-db",
            "--no-defaults",
            f"--datadir={data}",
            "--skip-test-db",
            "--auth-root-authentication-method=normal",
            *user,
        ],
        check=True,
        capture_output=True,
    )
    server = subprocess.Popen(
        ["mariadbd", "--no-defaults", f"--datadir={data}", f"--socket={sock}",
         "--skip-networking", f"--pid-file={folder / 'db.pid'}", f"--log-error={log}", *user],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    _wait("mariadbd", sock.exists, server, log)
    for _ in range(50):
        done = subprocess.run(
            ["mariadb", "--no-defaults", f"--socket={sock}", "-uroot",
             "-e", "CREATE DATABASE IF NOT EXISTS wordpress"],
            capture_output=True, check=False,
        )  # fmt: skip
        if done.returncode == 0:
            return server, sock
        time.sleep(0.2)
    server.terminate()
    raise RuntimeError(f"cannot make the database: {done.stderr.decode(errors='replace')}")


def start_site(folder: Path) -> Site:
    folder.mkdir(parents=True, exist_ok=True)
    database, sock = _database(folder)
    try:
        port = free_port()
        host = f"127.0.0.1:{port}"
        url = f"http://{host}"
        root = folder / "docroot"
        shutil.copytree(WORDPRESS, root, symlinks=False, ignore=shutil.ignore_patterns(
            "wp-config.php", ".htaccess"))  # fmt: skip
        keys = "\n".join(
            f"define('{k}', '{secrets.token_hex(32)}');"
            for k in ("AUTH_KEY", "SECURE_AUTH_KEY", "LOGGED_IN_KEY", "NONCE_KEY",
                      "AUTH_SALT", "SECURE_AUTH_SALT", "LOGGED_IN_SALT", "NONCE_SALT")
        )  # fmt: skip
        (root / "wp-config.php").write_text(CONFIG.format(socket=sock, keys=keys, url=url))
        (root / "install-for-tests.php").write_text(INSTALL.format(host=host, username=USERNAME))
        done = subprocess.run(
            ["php", str(root / "install-for-tests.php")],
            capture_output=True, check=False, cwd=root, text=True,
        )  # fmt: skip
        (root / "install-for-tests.php").unlink()
        if done.returncode != 0 or "{" not in done.stdout:
            raise RuntimeError(f"wp_install failed: {done.stdout[-2000:]} {done.stderr[-2000:]}")
        made = json.loads(done.stdout[done.stdout.index("{") :])
        log = folder / "php.log"
        with open(log, "wb") as out:
            php = subprocess.Popen(
                ["php", "-S", host, "-t", str(root)],
                stdout=out, stderr=subprocess.STDOUT, cwd=root,
                env={**os.environ, "WP_ENVIRONMENT_TYPE": "local"},
            )  # fmt: skip

        def answers() -> bool:
            try:
                return requests.get(f"{url}/?rest_route=/", timeout=2).status_code == 200
            except requests.RequestException:
                return False

        _wait("php -S", answers, php, log)
    except BaseException:
        database.terminate()
        database.wait()
        raise
    return Site(url, USERNAME, str(made["password"]), (database, php))


class SiteRelay:
    """An HTTP relay in front of the site that does to the next requests for an API route
    what a real site will not do on demand, with the fakes' faults (tests/fakes/base.py):
    ``drop_after`` lets WordPress store the post and closes without its answer, ``delay``
    stores it and answers late, ``status_after`` stores it and answers an error instead,
    ``status`` and ``drop_before`` answer without passing the request on.

        relay.inject("POST", "/wp/v2/posts", Fault.drop_after())
    """

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream
        self._faults: dict[tuple[str, str], list[Fault]] = {}
        # Every request passed on to the site, as (method, route, the site's status).
        self.passed: list[tuple[str, str, int]] = []
        self._lock = threading.Lock()
        relay = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:
                return None

            def _relay(self) -> None:
                # A daemon killed mid-request leaves its connection broken: nothing to answer.
                with contextlib.suppress(OSError):
                    relay._handle(self)

            do_GET = do_POST = _relay

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def inject(self, method: str, route: str, *faults: Fault, times: int = 1) -> None:
        """Queue faults for ``route`` (as in ``?rest_route=``), consumed in order."""
        with self._lock:
            self._faults.setdefault((method.upper(), route), []).extend(list(faults) * times)

    @staticmethod
    def _route(path: str) -> str:
        return parse_qs(urlsplit(path).query).get("rest_route", [""])[0]

    def _next(self, method: str, path: str) -> Fault | None:
        route = self._route(path)
        with self._lock:
            queue = self._faults.get((method, route))
            return queue.pop(0) if queue else None

    def _handle(self, h: BaseHTTPRequestHandler) -> None:
        length = int(h.headers.get("Content-Length") or 0)
        body = h.rfile.read(length) if length else None
        fault = self._next(h.command, h.path)
        kind = fault.kind if fault is not None else "pass"
        if kind == "drop_before":
            h.close_connection = True
            return
        if kind == "status" and fault is not None and fault.response is not None:
            self._send(h, fault.response.status, fault.response.encode(), {})
            return
        headers = {k: v for k, v in h.headers.items() if k.lower() != "host"}
        answer = requests.request(
            h.command, self.upstream + h.path, headers=headers, data=body,
            timeout=60, allow_redirects=False,
        )  # fmt: skip
        with self._lock:
            self.passed.append((h.command, self._route(h.path), answer.status_code))
        if kind == "drop_after":
            h.close_connection = True
            return  # the post is made; its answer never comes
        if kind == "delay" and fault is not None:
            time.sleep(fault.seconds)
        if kind == "status_after" and fault is not None and fault.response is not None:
            self._send(h, fault.response.status, fault.response.encode(), {})
            return
        passed = {
            name: value
            for name, value in answer.headers.items()
            if name.lower() not in ("content-length", "transfer-encoding", "connection")
        }
        content_type = answer.headers.get("Content-Type", "application/octet-stream")
        self._send(h, answer.status_code, (answer.content, content_type), passed)

    @staticmethod
    def _send(
        h: BaseHTTPRequestHandler, status: int, payload: tuple[bytes, str], headers: dict[str, str]
    ) -> None:
        content, content_type = payload
        h.send_response(status)
        for name, value in {"Content-Type": content_type, **headers}.items():
            h.send_header(name, value)
        h.send_header("Content-Length", str(len(content)))
        h.end_headers()
        h.wfile.write(content)

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="session")
def wordpress_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """One real site for the whole run (it takes seconds to install); each test gives its
    stories slugs of their own."""
    why = missing()
    if why is not None:
        pytest.skip(why)
    started = start_site(tmp_path_factory.mktemp("wordpress"))
    try:
        yield started
    finally:
        started.stop()
