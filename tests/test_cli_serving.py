"""`voiceguide serve` and `voiceguide feed` as typed (cli/serving.py), in this process: the
server's loop is replaced by one that records what it was given, so what is checked is
what a person sees and what the server would have been started with."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from voiceguide.serve.app import ServeConfig

from .helpers.routines import YAML_ROUTINE
from .helpers.run import Runner


class Started:
    """What `serve` handed to create_app and run_server."""

    def __init__(self) -> None:
        self.config: ServeConfig | None = None
        self.tls: tuple[Path, Path] | None = None
        self.port = 0
        self.listening = False


@pytest.fixture
def started(monkeypatch: pytest.MonkeyPatch) -> Started:
    record = Started()

    def create_app(config: ServeConfig) -> object:
        record.config = config
        return object()

    def run_server(app: object, sock: socket.socket, tls: tuple[Path, Path] | None = None) -> None:
        record.port, record.tls = sock.getsockname()[1], tls
        record.listening = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN) == 1
        sock.close()

    monkeypatch.setattr("voiceguide.serve.app.create_app", create_app)
    monkeypatch.setattr("voiceguide.serve.runner.run_server", run_server)
    monkeypatch.setattr("voiceguide.serve.runner.lan_address", lambda: "127.0.0.1")  # any network
    return record


def test_serve_on_this_computer_prints_its_url_and_the_feed(vg_in_process: Runner, started: Started) -> None:
    result = vg_in_process("serve", "--port", "0")
    assert result.returncode == 0, result.stderr
    url = f"http://127.0.0.1:{started.port}/"
    assert started.port > 0 and started.listening and started.tls is None
    assert result.stdout.splitlines()[:2] == [
        f"voiceguide serve: open {url}",
        f"  podcast feed: {url}feed.xml",
    ]
    assert "Ctrl-C stops it" in result.stdout and "token" not in result.stdout
    config = started.config
    assert config is not None and config.token is None and config.render_feed
    assert config.allowed_hosts == ("127.0.0.1", "127.0.0.1", "localhost")
    assert config.ca_certificate is None


def test_serve_lan_guards_with_a_token_in_the_url_and_a_qr_code(
    vg_in_process: Runner, started: Started, tmp_path: Path
) -> None:
    (tmp_path / "mine.yaml").write_text(YAML_ROUTINE)
    result = vg_in_process("serve", "--lan", "--port", "0", "--no-feed", "mine.yaml")
    assert result.returncode == 0, result.stderr
    config = started.config
    assert config is not None and config.token and len(config.token) >= 16
    assert f"?token={config.token}" in result.stdout.splitlines()[0]
    assert "scan this code" in result.stdout and "█" in result.stdout  # the QR code, in blocks
    assert config.routines == (Path("mine.yaml"),)  # as given, from the working directory
    assert not config.render_feed


def test_serve_lan_without_a_token_warns_loudly(vg_in_process: Runner, started: Started) -> None:
    result = vg_in_process("serve", "--lan", "--no-token", "--port", "0")
    assert result.returncode == 0, result.stderr
    assert "WARNING: --no-token: anyone on this network can use this server" in result.stderr
    assert started.config is not None and started.config.token is None
    assert "scan this code" not in result.stdout


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (("--host", "0.0.0.0"), "would open the server to the network without its access token"),
        (("--no-token",), "--no-token is only for --lan"),
        (("-",), "serve and feed need routine files or names, not standard input"),
        (("no-such-routine",), "no-such-routine"),
    ],
)
def test_serve_refuses_what_would_be_unsafe_or_unclear(
    vg_in_process: Runner, started: Started, args: tuple[str, ...], said: str
) -> None:
    result = vg_in_process("serve", "--port", "0", *args)
    assert result.returncode == 2, result.stderr
    assert said in result.stderr and "Traceback" not in result.stderr
    assert started.config is None  # refused before anything was started


def test_serve_https_on_the_lan_announces_the_ca_and_how_a_phone_trusts_it(
    vg_in_process: Runner, started: Started, tmp_path: Path
) -> None:
    pytest.importorskip("cryptography", reason="cryptography (a dependency of serve --https)")
    result = vg_in_process("serve", "--lan", "--https", "--port", "0")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert out.startswith(f"voiceguide serve: open https://127.0.0.1:{started.port}/?token=")
    assert "made this computer's local certificate authority" in out
    assert "SHA-256 fingerprint" in out and "Android:" in out and "iOS:" in out
    assert started.tls is not None and all(p.exists() for p in started.tls)
    assert started.config is not None and started.config.ca_certificate  # served at /ca.crt
    again = vg_in_process("serve", "--https", "--port", "0")  # the CA is kept between runs
    assert again.returncode == 0, again.stderr
    assert "made" not in again.stdout and "Android:" not in again.stdout  # not on the LAN: no phone steps


@pytest.mark.parametrize("url", ["ftp://example.org/", "example.org/podcast", "https://exa mple.org/"])
def test_feed_needs_an_http_base_url(vg_in_process: Runner, tmp_path: Path, url: str) -> None:
    result = vg_in_process("feed", str(tmp_path / "out"), "box-breathing", "--base-url", url)
    assert result.returncode == 2
    assert "is not an http:// or https:// URL" in result.stderr
    assert not (tmp_path / "out").exists()


def test_feed_writes_the_episodes_and_keeps_them_next_time(vg_in_process: Runner, tmp_path: Path) -> None:
    (tmp_path / "mine.yaml").write_text(YAML_ROUTINE)
    args = ("feed", "site", "mine.yaml", "--base-url", "https://example.org/pod", "--preset", "brisk")
    first = vg_in_process(*args)
    assert first.returncode == 0, first.stderr
    assert first.stderr.splitlines() == ["rendered mine"]
    assert first.stdout.strip() == (  # the folder's name as given (issue 25 item 14), one episode
        "wrote site/feed.xml (1 episode); once site/ is served at https://example.org/pod/, "
        "subscribe to https://example.org/pod/feed.xml"
    )
    assert "https://example.org/pod/" in (tmp_path / "site" / "feed.xml").read_text()
    second = vg_in_process(*args)
    assert second.returncode == 0 and second.stderr.splitlines() == ["kept mine"]
