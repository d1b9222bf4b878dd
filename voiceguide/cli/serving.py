"""``voiceguide serve`` (the phone's page, its API and a podcast feed on this machine) and
``voiceguide feed DIR --base-url URL`` (the same feed as static files).
:mod:`voiceguide.cli.app` lists them in the group; the server itself
(:mod:`voiceguide.serve`, Starlette and uvicorn) is imported only when one runs.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from ..errors import UsageError
from ..routine.schema import PRESETS
from .options import AsciiIntRange

if TYPE_CHECKING:
    from ..serve.tls import ServerCertificate

SERVE_EPILOG = """\b
Examples:
  voiceguide serve                      # this computer only: http://127.0.0.1:8765/
  voiceguide serve --lan                # phones on your network: URL with a token + QR code
  voiceguide serve --lan --https        # the same over https (offline play, screen kept on):
                                        #   install the printed local CA on the phone once
  voiceguide serve my-stretch.yaml      # list a file of yours beside the library
"""

FEED_EPILOG = """\b
Example:
  voiceguide feed podcast --base-url https://example.org/podcast/ box-breathing desk-break
"""

_LOUD = "!" * 72


def _cache_dir_option() -> click.Option:
    return click.Option(
        ["--cache-dir"],
        type=click.Path(file_okay=False, path_type=Path),
        help="Where synthesized speech (and rendered sessions, in serve/) are kept.",
    )


def _routine_files(routines: tuple[str, ...]) -> list[Path]:
    from ..routine.bundled import resolve_routine

    files = []
    for routine in routines:
        path = resolve_routine(routine)
        if str(path) == "-":
            raise UsageError("serve and feed need routine files or names, not standard input")
        files.append(path)
    return files


@click.command(epilog=SERVE_EPILOG)
@click.argument("routines", nargs=-1, metavar="[ROUTINE]...")
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="The address to listen on; only this computer unless --lan.",
)
@click.option(
    "--port",
    type=AsciiIntRange(0, 65535),
    default=8765,
    show_default=True,
    help="The port (0: any free one).",
)
@click.option(
    "--lan",
    is_flag=True,
    help="Listen on this computer's network address, so phones on the same network "
    "can open the page; a random access token guards it (in the URL and QR code).",
)
@click.option(
    "--no-token",
    is_flag=True,
    help="With --lan: no access token, so anyone on the network can use the server "
    "and save routines. Not recommended.",
)
@click.option(
    "--https",
    is_flag=True,
    help="Serve over https with a certificate from a local certificate authority made "
    "once in the config folder (like mkcert). A phone that installs that CA (the "
    "printed steps, from /ca.crt) gets a secure context: offline play, the screen kept "
    "on, lock-screen controls. The CA can only vouch for local addresses and names.",
)
@click.option(
    "--no-feed",
    is_flag=True,
    help="The podcast feed (/feed.xml) lists only the sessions played from the page; "
    "without this it also offers every bundled routine at standard pacing, rendered "
    "(in the background) once a podcast app first asks for the feed.",
)
@click.pass_context
def serve(
    ctx: click.Context,
    routines: tuple[str, ...],
    host: str,
    port: int,
    lan: bool,
    no_token: bool,
    https: bool,
    no_feed: bool,
    cache_dir: Path | None,
) -> int:
    """Serve the phone page, its player and a podcast feed from this computer.

    Open the printed URL on a phone or in a browser: the library, pacing, a player that
    follows the audio, an editor, and a feed any podcast app can subscribe to. Sessions
    are rendered here, through the same path as `voiceguide export`, and kept in the
    cache. Ctrl-C stops it.
    """
    from ..serve.app import ServeConfig, create_app
    from ..serve.runner import BACKLOG, bind, is_loopback, lan_address, run_server
    from ..serve.security import new_token

    if lan and ctx.get_parameter_source("host") is click.core.ParameterSource.DEFAULT:
        host = lan_address()
    if not lan and not is_loopback(host):
        raise UsageError(
            f"--host {host} would open the server to the network without its access token",
            hint="use --lan, which guards it with a random token",
        )
    if no_token and not lan:
        raise UsageError("--no-token is only for --lan (on this computer alone there is no token)")
    token = new_token() if lan and not no_token else None
    files = _routine_files(routines)
    certificate = _certificate(host) if https else None
    sock = bind(host, port)
    bound = sock.getsockname()[1]
    every_address = host in ("0.0.0.0", "::")
    reached_at = lan_address() if every_address else host.strip("[]")  # what a phone types
    shown_host = f"[{reached_at}]" if ":" in reached_at else reached_at
    url = f"{'https' if https else 'http'}://{shown_host}:{bound}/"
    hosts = None if every_address else _host_names(reached_at, lan)
    config = ServeConfig(
        token=token,
        cache_dir=cache_dir,
        routines=tuple(files),
        render_feed=not no_feed,
        allowed_hosts=hosts,
        ca_certificate=_ca_der(certificate),
    )
    app = create_app(config)
    _announce(url, token, lan, no_token, certificate)
    tls = (certificate.cert_path, certificate.key_path) if certificate else None
    sock.listen(BACKLOG)  # after the URL is out: a client that connects has seen it (uvicorn
    run_server(app, sock, tls)  # serves the connections waiting in the backlog)
    return 0


def _host_names(address: str, lan: bool) -> tuple[str, ...]:
    """The Host headers the server answers (any other is refused: DNS rebinding): the
    address it listens on, loopback, and with --lan this computer's own names (``vm``,
    ``vm.local``), which nobody outside the network can point elsewhere. An IPv6 address
    is in brackets, as a Host header writes it (``[::1]:8765``)."""
    names = [f"[{address}]" if ":" in address else address, "127.0.0.1", "localhost"]
    if lan:
        from ..serve.tls import local_hostname, mdns_name

        hostname = local_hostname()
        if hostname is not None:
            names += [hostname, mdns_name(hostname)]
    return tuple(names)


def _certificate(host: str) -> ServerCertificate:
    """The server certificate for ``host`` (the local CA's, made or renewed as needed)."""
    from datetime import UTC, datetime

    from ..serve.runner import lan_address
    from ..serve.tls import default_folder, ensure_certificates, local_hostname

    address = {"0.0.0.0": lan_address(), "::": lan_address(), "localhost": "127.0.0.1"}.get(host, host)
    return ensure_certificates(default_folder(), address, local_hostname(), datetime.now(UTC))


def _ca_der(certificate: ServerCertificate | None) -> bytes | None:
    if certificate is None:
        return None  # plain http: cryptography is not even imported
    from ..serve.tls import ca_der

    return ca_der(certificate.ca_path)


def _announce(
    url: str, token: str | None, lan: bool, no_token: bool, certificate: ServerCertificate | None = None
) -> None:
    """What the person starting the server needs: where to go, how to subscribe, how to
    trust its certificate (with --https), how to stop."""
    full = f"{url}?token={token}" if token else url
    click.echo(f"voiceguide serve: open {full}")
    click.echo(f"  podcast feed: {url}feed.xml" + (f"?token={token}" if token else ""))
    if certificate is not None:
        _announce_certificate(url, certificate, lan)
    if lan and token:
        import segno

        click.echo("  on a phone on the same network: scan this code (it holds the token)")
        segno.make(full, error="l").terminal(out=sys.stdout, compact=True)
    if lan and no_token:
        warning = (
            "WARNING: --no-token: anyone on this network can use this server, render "
            "sessions and save routines into your folder. Stop it with Ctrl-C unless you "
            "trust everyone on the network."
        )
        click.echo(f"{_LOUD}\n{warning}\n{_LOUD}", err=True)
    click.echo("  Ctrl-C stops it")
    sys.stdout.flush()


def _announce_certificate(url: str, certificate: ServerCertificate, lan: bool) -> None:
    """How to trust the local CA, said once at start: where it is, its fingerprint, and on
    a phone (with --lan) the steps to install it."""
    from ..serve.tls import NO_CA_YET

    if certificate.ca_created and certificate.ca_reason == NO_CA_YET:
        click.echo("  https: made this computer's local certificate authority (kept for later runs)")
    elif certificate.ca_created:
        click.echo(
            f"  https: made a new local certificate authority: {certificate.ca_reason}; "
            "a phone that trusted the old one must install this one"
        )
    click.echo(f"  https: the local CA is {url}ca.crt ({certificate.ca_path})")
    click.echo(f"    its SHA-256 fingerprint: {certificate.ca_fingerprint_sha256}")
    if not lan:
        return
    click.echo(
        "  once per phone, to trust it (before the page): open that ca.crt URL (the browser "
        "warns this once:\n    the CA is not trusted yet), check the fingerprint, then"
    )
    click.echo(
        "    Android: Settings → Security → Encryption & credentials → Install a certificate "
        "→ CA certificate → the downloaded voiceguide-ca.crt"
    )
    click.echo(
        "    iOS: Allow the profile, Settings → Profile Downloaded → Install, then Settings → "
        "General → About → Certificate Trust Settings → turn on full trust for it"
    )
    click.echo(
        "    (its name constraints limit it to local addresses and names: it cannot vouch for any website)"
    )


@click.command(epilog=FEED_EPILOG)
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.argument("routines", nargs=-1, metavar="[ROUTINE]...")
@click.option(
    "--base-url",
    required=True,
    metavar="URL",
    help="Where DIRECTORY will be served from (http:// or https://): the feed's links start with it.",
)
@click.option(
    "--preset",
    type=click.Choice(PRESETS),
    default="standard",
    show_default=True,
    help="The pacing of every episode.",
)
def feed(
    directory: Path, routines: tuple[str, ...], base_url: str, preset: str, cache_dir: Path | None
) -> int:
    """Write a podcast feed as static files: feed.xml, and each routine's mp3 (with
    chapters), JSON chapters and WebVTT transcript, for hosting anywhere.

    Without ROUTINE, every bundled routine. Episodes already in DIRECTORY (same routine
    and pacing) are kept, not rendered again; every file is written atomically.
    """
    from ..routine.bundled import bundled_routines
    from ..serve.app import slug
    from ..serve.feed import FEED_NAME, write_feed_directory
    from ..serve.jobs import check_pacing

    if not base_url.startswith(("http://", "https://")) or " " in base_url:
        raise UsageError(f"--base-url {base_url!r} is not an http:// or https:// URL")
    chosen = [(slug(p.stem), p) for p in _routine_files(routines)] if routines else bundled_routines()
    if not chosen:
        raise UsageError("no routines to put in the feed")

    def told(name: str, rendered: bool) -> None:
        click.echo(f"{'rendered' if rendered else 'kept'} {name}", err=True)

    episodes = write_feed_directory(
        directory, base_url, chosen, cache_dir, pacing=check_pacing({"preset": preset}), on_episode=told
    )
    base = base_url if base_url.endswith("/") else base_url + "/"
    count = f"{len(episodes)} episode{'' if len(episodes) == 1 else 's'}"
    click.echo(
        f"wrote {directory / FEED_NAME} ({count}); once {directory}{os.sep} is served at "
        f"{base}, subscribe to {base}{FEED_NAME}"
    )
    return 0


serve.params.append(_cache_dir_option())
feed.params.append(_cache_dir_option())
