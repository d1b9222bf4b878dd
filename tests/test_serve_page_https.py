"""`voiceguide serve --lan --https` gives a phone a secure context, shown in a real browser:
Debian's Chromium (/usr/bin/chromium, through Playwright for Python, as in
tests/test_serve_page.py) on a network address: the server and the browser both run in a
network namespace the test makes (tests/helpers/netns.py; skipped where none can be made),
never on this machine's own interface.

The control: the same page over plain http on that address is no secure context (no service
worker). Over https, with the local CA trusted the way a phone trusts it once installed (here:
imported into the NSS database of the browser's $HOME with Debian's certutil, which Chromium
on Linux reads), it is one: the service worker registers and controls the page, the Screen
Wake Lock is there. A browser whose NSS database lacks the CA refuses the page, so the trust
comes from the CA, never from ignoring certificate errors."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .helpers.browser import CHROMIUM, CHROMIUM_FLAGS, PHONE, problems_of
from .helpers.lan import lan_server
from .helpers.netns import Namespace, network_namespace

playwright_api = pytest.importorskip("playwright.sync_api", reason="the dev extra's playwright")
CERTUTIL = shutil.which("certutil")
if not os.environ.get("CI"):  # in CI (bin/setup --test installs both) a missing one fails
    if not CHROMIUM.exists():
        pytest.skip(
            "Debian's chromium is not installed (bin/setup --test installs it)", allow_module_level=True
        )
    if CERTUTIL is None:
        pytest.skip(
            "certutil is not installed (Debian's libnss3-tools; bin/setup --test installs it)",
            allow_module_level=True,
        )

pytestmark = pytest.mark.slow

expect = playwright_api.expect


@pytest.fixture(scope="module")
def namespace() -> Iterator[Namespace]:
    """The network the servers and browsers of this module share (its address is not
    loopback: a loopback page is a secure context even over http, so there is no control)."""
    with network_namespace() as made:
        yield made


@pytest.fixture(scope="module")
def http_server(tmp_path_factory: pytest.TempPathFactory, namespace: Namespace) -> Iterator[str]:
    with lan_server(namespace, tmp_path_factory.mktemp("serve-http")) as server:
        yield server.url


@pytest.fixture(scope="module")
def https_server(
    tmp_path_factory: pytest.TempPathFactory, namespace: Namespace
) -> Iterator[tuple[str, Path]]:
    """The https server's URL and its CA certificate file."""
    home = tmp_path_factory.mktemp("serve-https")
    with lan_server(namespace, home, "--https") as server:
        assert server.url.startswith(f"https://{namespace.address}:"), server.lines
        yield server.url, home / "no-config" / "serve-ca" / "ca.pem"


def nss_home(home: Path, ca: Path | None) -> Path:
    """A $HOME whose NSS database (what Chromium on Linux reads) trusts ``ca`` as a CA for
    web sites ("C,,"), as a phone does once the CA is installed; none: an empty database."""
    database = home / ".pki" / "nssdb"
    database.mkdir(parents=True)
    assert CERTUTIL is not None
    subprocess.run(
        [CERTUTIL, "-d", f"sql:{database}", "-N", "--empty-password"],
        check=True,
        capture_output=True,
        timeout=60,
    )
    if ca is not None:
        subprocess.run(
            [CERTUTIL, "-d", f"sql:{database}", "-A", "-t", "C,,", "-n", "voiceguide", "-i", str(ca)],
            check=True,
            capture_output=True,
            timeout=60,
        )
        listed = subprocess.run(
            [CERTUTIL, "-d", f"sql:{database}", "-L"], check=True, capture_output=True, text=True, timeout=60
        ).stdout
        assert re.search(r"^voiceguide\s+C,,", listed, re.M), listed
    return home


@pytest.fixture(scope="module")
def playwright() -> Iterator[Any]:
    with playwright_api.sync_playwright() as running:
        yield running


def launch(playwright: Any, home: Path, namespace: Namespace) -> Iterator[Any]:
    """Debian's Chromium inside ``namespace`` with ``home`` as its $HOME (so its NSS database)."""
    browser = playwright.chromium.launch(
        executable_path=str(namespace.wrapper(CHROMIUM, home)),
        args=CHROMIUM_FLAGS,
        env=dict(os.environ) | {"HOME": str(home)},
    )
    yield browser
    browser.close()


@pytest.fixture(scope="module")
def trusting_browser(
    playwright: Any,
    tmp_path_factory: pytest.TempPathFactory,
    https_server: tuple[str, Path],
    namespace: Namespace,
) -> Iterator[Any]:
    home = nss_home(tmp_path_factory.mktemp("home-trusting"), https_server[1])
    yield from launch(playwright, home, namespace)


@pytest.fixture(scope="module")
def plain_browser(
    playwright: Any, tmp_path_factory: pytest.TempPathFactory, namespace: Namespace
) -> Iterator[Any]:
    yield from launch(playwright, nss_home(tmp_path_factory.mktemp("home-plain"), None), namespace)


def open_page(browser: Any, url: str) -> tuple[Any, Any, list[str]]:
    """A phone-sized page at ``url``, the response and the console errors and page errors
    it gets."""
    context = browser.new_context(**PHONE)  # ignore_https_errors stays False
    page = context.new_page()
    problems = problems_of(page)
    page.set_default_timeout(30_000)
    response = page.goto(url)
    return page, response, problems


def test_over_plain_http_a_network_address_is_no_secure_context(plain_browser: Any, http_server: str) -> None:
    page, _, problems = open_page(plain_browser, http_server)
    try:
        expect(page.locator('.card[data-name="box-breathing"]')).to_be_visible()
        assert page.evaluate("() => window.isSecureContext") is False
        assert page.evaluate("() => 'serviceWorker' in navigator") is False  # no offline copy
        assert page.evaluate("() => 'wakeLock' in navigator") is False
        assert problems == []
    finally:
        page.context.close()


def test_over_https_with_the_ca_trusted_the_page_is_a_secure_context(
    trusting_browser: Any, https_server: tuple[str, Path]
) -> None:
    url, ca_file = https_server
    page, response, problems = open_page(trusting_browser, url)
    try:
        from cryptography import x509

        ca = x509.load_pem_x509_certificate(ca_file.read_bytes())
        details = response.security_details()  # the connection Chromium verified
        assert details["issuer"] == ca.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)[0].value
        assert details["protocol"] == "TLS 1.3"
        expect(page.locator('.card[data-name="box-breathing"]')).to_be_visible()
        assert page.evaluate("() => window.isSecureContext") is True
        page.evaluate("async () => !!(await navigator.serviceWorker.ready).active")  # resolves once active
        page.reload()  # now the service worker controls the page
        page.wait_for_function("() => !!navigator.serviceWorker.controller")
        scope = page.evaluate("async () => (await navigator.serviceWorker.ready).scope")
        assert scope == url.split("?", 1)[0]
        assert page.evaluate("() => 'wakeLock' in navigator && 'mediaSession' in navigator") is True
        state = page.evaluate("""async () => {
            const lock = await navigator.wakeLock.request('screen');
            const held = !lock.released; await lock.release(); return [held, lock.released]; }""")
        assert state == [True, True]  # the screen can be kept on while a session plays
        assert problems == []
    finally:
        page.context.close()


def test_without_the_ca_the_https_page_is_refused(plain_browser: Any, https_server: tuple[str, Path]) -> None:
    context = plain_browser.new_context(**PHONE)
    try:
        with pytest.raises(playwright_api.Error, match="ERR_CERT_AUTHORITY_INVALID"):
            context.new_page().goto(https_server[0])
    finally:
        context.close()


def leaf_for(name: str, ca_folder: Path, into: Path) -> tuple[Path, Path]:
    """A server certificate for DNS ``name`` signed with the local CA's key, as a thief of
    that key could make one: its certificate and key files in ``into``."""
    from datetime import UTC, datetime, timedelta

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    ca = x509.load_pem_x509_certificate((ca_folder / "ca.pem").read_bytes())
    ca_key = serialization.load_pem_private_key((ca_folder / "ca-key.pem").read_bytes(), None)
    assert isinstance(ca_key, ec.EllipticCurvePrivateKey)
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, name)]))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(hours=1))
        .not_valid_after(now + timedelta(days=30))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    into.mkdir(parents=True, exist_ok=True)
    cert_file, key_file = into / f"{name}.pem", into / f"{name}-key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return cert_file, key_file


def tls_server(cert_file: Path, key_file: Path) -> tuple[Any, int]:
    """A plain https server on a free loopback port presenting ``cert_file``."""
    import http.server
    import ssl

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), http.server.SimpleHTTPRequestHandler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, server.server_address[1]


@pytest.mark.parametrize("name, refused", [("studio.local", False), ("www.example.com", True)])
def test_chromium_refuses_what_the_ca_was_not_allowed_to_sign(
    playwright: Any, tmp_path: Path, https_server: tuple[str, Path], name: str, refused: bool
) -> None:
    """The name constraints, enforced by the browser: with the CA's key (stolen, say) a
    certificate for a website is refused although the CA is trusted; one for a .local name
    (inside the constraints) is accepted: the control. Chromium 156 reports the refusal as
    net::ERR_CERT_INVALID; its net log names the reason, which the test reads."""
    cert_file, key_file = leaf_for(name, https_server[1].parent, tmp_path / "leaf")
    server, port = tls_server(cert_file, key_file)
    home = nss_home(tmp_path / "home", https_server[1])
    net_log = tmp_path / "net-log.json"
    browser = playwright.chromium.launch(  # the name leads to the loopback server
        executable_path=str(CHROMIUM),
        env=dict(os.environ) | {"HOME": str(home)},
        args=[*CHROMIUM_FLAGS, f"--host-resolver-rules=MAP {name} 127.0.0.1", f"--log-net-log={net_log}"],
    )
    try:
        page = browser.new_context().new_page()
        if refused:
            with pytest.raises(playwright_api.Error, match=r"net::ERR_CERT_(INVALID|NAME_CONSTRAINT)"):
                page.goto(f"https://{name}:{port}/")
        else:
            assert page.goto(f"https://{name}:{port}/").ok
    finally:
        browser.close()  # the net log is complete once the browser has closed
        server.shutdown()
    verdicts = re.findall(r'"errors":"([^"]*)"', net_log.read_text(errors="replace"))
    said = f"Certificate i=0 (CN={name}) -----\\nERROR: Not permitted by name constraints"
    assert any(said in verdict for verdict in verdicts) is refused, verdicts
