"""A real WordPress on loopback, for the tests: Debian's ``wordpress`` package served by
PHP's built-in server from a copied docroot, on a private MariaDB in a temporary folder.

``start_site(folder)`` installs the site with a small PHP script (``wp_install()``), makes
an editor and an Application Password for it, and returns a ``Site``; ``Site.stop()`` ends
both servers. ``missing()`` says what is not installed (the tests skip with that reason,
which CI refuses: .ci/run installs the packages).

The site has no pretty permalinks (PHP's built-in server has no rewrite rules), so its API
is at ``/?rest_route=/wp/v2/...``, and its environment type is ``local``, the one case in
which WordPress offers Application Passwords over plain http.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import requests

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


class AnswerDropper:
    """An HTTP relay to the site that, when told to, lets the next create of a post reach
    WordPress and then closes the connection without its answer: a lost answer, which a
    real site will not produce on demand."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream
        self.drop_next = False
        relay = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:
                return None

            def _relay(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                headers = {k: v for k, v in self.headers.items() if k.lower() != "host"}
                answer = requests.request(
                    self.command, relay.upstream + self.path, headers=headers, data=body,
                    timeout=30, allow_redirects=False,
                )  # fmt: skip
                creates = self.command == "POST" and self.path.endswith("/wp/v2/posts")
                if creates and relay.drop_next:
                    relay.drop_next = False
                    self.close_connection = True
                    return  # the post is made; its answer never comes
                self.send_response(answer.status_code)
                for name, value in answer.headers.items():
                    if name.lower() not in ("content-length", "transfer-encoding", "connection"):
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(answer.content)))
                self.end_headers()
                self.wfile.write(answer.content)

            do_GET = do_POST = _relay

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
