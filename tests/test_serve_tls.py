"""`voiceguide serve --https`: the local CA and the server certificate (voiceguide.serve.tls),
checked with `cryptography` and OpenSSL (`ssl`); and a real server over TLS that a client
trusting only that CA can reach, and one that does not trust it cannot."""

from __future__ import annotations

import ipaddress
import os
import signal
import ssl
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from voiceguide.serve import tls
from voiceguide.serve.tls import CertificateError, ensure_certificates

from .helpers.lan import lan_server
from .helpers.netns import Namespace, network_namespace
from .helpers.run import VOICEGUIDE, private_environment
from .helpers.serving import wait_listening

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.hashes import SHA256
    from cryptography.x509 import Certificate

x509 = pytest.importorskip("cryptography.x509", reason="cryptography (a dependency of serve --https)")

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
LAN = "192.168.1.23"


def load(path: Path) -> Certificate:
    cert: Certificate = x509.load_pem_x509_certificate(path.read_bytes())
    return cert


def ext(cert: Certificate, kind: type) -> Any:  # an Extension of ``kind``
    return cert.extensions.get_extension_for_class(kind)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return tmp_path / "config" / "serve-ca"


# ---- what is made -------------------------------------------------------------------------


def test_the_ca_is_a_name_constrained_ca_for_ten_years(folder: Path) -> None:
    made = ensure_certificates(folder, LAN, "studio", NOW)
    assert made.ca_created and made.ca_reason == tls.NO_CA_YET and made.renewed
    ca = load(made.ca_path)
    assert ca.subject == ca.issuer
    assert (
        ca.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)[0].value == "voiceguide local CA (studio)"
    )
    basic = ext(ca, x509.BasicConstraints)
    assert basic.critical and basic.value.ca and basic.value.path_length == 0
    usage = ext(ca, x509.KeyUsage)
    assert usage.critical and usage.value.key_cert_sign and usage.value.crl_sign
    assert not usage.value.digital_signature
    assert 3649 <= (ca.not_valid_after_utc - ca.not_valid_before_utc).days <= 3651
    constraints = ext(ca, x509.NameConstraints)
    assert constraints.critical and constraints.value.excluded_subtrees is None
    permitted = constraints.value.permitted_subtrees
    networks = {str(n.value) for n in permitted if isinstance(n, x509.IPAddress)}
    names = {n.value for n in permitted if isinstance(n, x509.DNSName)}
    assert networks == {
        "10.0.0.0/8",
        "172.16.0.0/12",
        "192.168.0.0/16",
        "100.64.0.0/10",
        "169.254.0.0/16",
        "127.0.0.0/8",
        "fc00::/7",
        "fe80::/10",
        "::1/128",
    }
    assert names == {"localhost", "local", ".local", "studio"}
    assert made.ca_fingerprint_sha256 == ":".join(f"{b:02X}" for b in ca.fingerprint(tls_hash()))


def tls_hash() -> SHA256:
    from cryptography.hazmat.primitives import hashes

    return hashes.SHA256()


@pytest.mark.parametrize(
    "name, allowed",
    [
        ("localhost", True),
        ("studio", True),
        ("studio.local", True),
        ("phone.local", True),
        ("local", True),
        ("www.google.com", False),
        ("studio.example", False),
        ("evil-local", False),
        ("notlocalhost", False),
        ("local.example.com", False),
    ],
)
def test_the_name_constraints_cover_local_names_only(folder: Path, name: str, allowed: bool) -> None:
    ca = load(ensure_certificates(folder, LAN, "studio", NOW).ca_path)
    constraints = tls.name_constraints(ca)
    assert constraints is not None
    assert tls.name_permitted(name, constraints[1]) is allowed


@pytest.mark.parametrize(
    "address, allowed",
    [
        ("192.168.1.23", True),
        ("10.1.2.3", True),
        ("172.31.255.1", True),
        ("100.100.1.1", True),
        ("169.254.3.4", True),
        ("127.0.0.1", True),
        ("fd12::1", True),
        ("fe80::1", True),
        ("::1", True),
        ("8.8.8.8", False),
        ("172.32.0.1", False),
        ("192.0.2.2", False),
        ("2606:4700::1111", False),
        ("::ffff:8.8.8.8", False),
    ],
)
def test_the_name_constraints_cover_private_addresses_only(folder: Path, address: str, allowed: bool) -> None:
    ca = load(ensure_certificates(folder, LAN, "studio", NOW).ca_path)
    constraints = tls.name_constraints(ca)
    assert constraints is not None
    assert tls.address_permitted(ipaddress.ip_address(address), constraints[0]) is allowed


def test_an_address_outside_the_private_ranges_brings_its_own_network(folder: Path) -> None:
    ca = load(ensure_certificates(folder, "192.0.2.2", "studio", NOW).ca_path)
    networks, _ = tls.name_constraints(ca) or ([], [])
    assert ipaddress.ip_network("192.0.2.0/24") in networks
    assert tls.address_permitted(ipaddress.ip_address("192.0.2.200"), networks)
    assert not tls.address_permitted(ipaddress.ip_address("192.0.3.1"), networks)
    six = load(ensure_certificates(folder.parent / "six", "2001:db8:1:2::5", None, NOW).ca_path)
    networks, names = tls.name_constraints(six) or ([], [])
    assert ipaddress.ip_network("2001:db8:1:2::/64") in networks
    assert not tls.address_permitted(ipaddress.ip_address("2001:db8:1:3::5"), networks)
    assert set(names) == {"localhost", "local", ".local"}  # no hostname given: none added


def test_the_server_certificate_is_signed_by_the_ca_for_the_served_names(folder: Path) -> None:
    made = ensure_certificates(folder, LAN, "studio.home.arpa", NOW)
    ca, leaf = load(made.ca_path), load(made.cert_path)
    leaf.verify_directly_issued_by(ca)  # raises if the CA did not sign it
    assert leaf.issuer == ca.subject
    sans = ext(leaf, x509.SubjectAlternativeName).value
    assert [str(a) for a in sans.get_values_for_type(x509.IPAddress)] == [LAN, "127.0.0.1"]
    assert sans.get_values_for_type(x509.DNSName) == ["localhost", "studio.home.arpa", "studio.local"]
    assert ext(leaf, x509.ExtendedKeyUsage).value == x509.ExtendedKeyUsage(
        [x509.ExtendedKeyUsageOID.SERVER_AUTH]
    )
    assert not ext(leaf, x509.BasicConstraints).value.ca
    assert leaf.not_valid_after_utc == NOW + timedelta(days=397)
    assert leaf.not_valid_after_utc - leaf.not_valid_before_utc <= timedelta(days=398)  # iOS, Chrome
    assert leaf.not_valid_before_utc < NOW  # a phone's clock a little behind still accepts it


def test_openssl_verifies_the_chain_with_its_name_constraints(folder: Path) -> None:
    made = ensure_certificates(folder, "192.0.2.2", "studio", NOW)
    context = ssl.create_default_context(cafile=str(made.ca_path))
    context.load_cert_chain(made.cert_path, made.key_path)  # the key matches the certificate
    verified = subprocess.run(
        [
            "openssl",
            "verify",
            "-attime",
            str(int(NOW.timestamp())),
            "-CAfile",
            str(made.ca_path),
            str(made.cert_path),
        ],
        capture_output=True,
        text=True,
    )
    if verified.returncode == 127:
        pytest.skip("no openssl command")
    assert verified.returncode == 0, verified.stdout + verified.stderr


def test_the_keys_are_private_and_the_folder_too(folder: Path) -> None:
    made = ensure_certificates(folder, LAN, "studio", NOW)
    assert folder.stat().st_mode & 0o777 == 0o700
    for key in (folder / tls.CA_KEY_FILE, made.key_path):
        assert key.stat().st_mode & 0o777 == 0o600
    assert not [p.name for p in folder.iterdir() if ".partial" in p.name]  # atomic writes, no leftovers


def test_an_open_folder_is_closed(folder: Path) -> None:
    folder.mkdir(parents=True, mode=0o755)
    folder.chmod(0o755)
    ensure_certificates(folder, LAN, "studio", NOW)
    assert folder.stat().st_mode & 0o777 == 0o700


# ---- kept, renewed, replaced -----------------------------------------------------------------


def snapshot(folder: Path) -> dict[str, tuple[bytes, int]]:
    return {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in folder.iterdir()}


def test_a_second_call_keeps_every_file(folder: Path) -> None:
    first = ensure_certificates(folder, LAN, "studio", NOW)
    before = snapshot(folder)
    again = ensure_certificates(folder, LAN, "studio", NOW + timedelta(days=100))
    assert snapshot(folder) == before
    assert not again.ca_created and not again.renewed
    assert again.ca_fingerprint_sha256 == first.ca_fingerprint_sha256


def test_a_new_address_in_the_ca_gets_a_new_server_certificate_only(folder: Path) -> None:
    first = ensure_certificates(folder, LAN, "studio", NOW)
    ca_bytes = first.ca_path.read_bytes()
    moved = ensure_certificates(folder, "10.0.0.7", "studio", NOW)
    assert moved.renewed and not moved.ca_created
    assert moved.ca_path.read_bytes() == ca_bytes  # the phone keeps trusting it
    leaf = load(moved.cert_path)
    assert ipaddress.ip_address("10.0.0.7") in ext(
        leaf, x509.SubjectAlternativeName
    ).value.get_values_for_type(x509.IPAddress)
    leaf.verify_directly_issued_by(load(moved.ca_path))


def test_a_server_certificate_near_its_end_is_renewed(folder: Path) -> None:
    first = ensure_certificates(folder, LAN, "studio", NOW)
    end = load(first.cert_path).not_valid_after_utc
    kept = ensure_certificates(folder, LAN, "studio", end - timedelta(days=31))
    assert not kept.renewed
    renewed = ensure_certificates(folder, LAN, "studio", end - timedelta(days=29))
    assert renewed.renewed and not renewed.ca_created
    assert load(renewed.cert_path).not_valid_after_utc == end - timedelta(days=29) + timedelta(days=397)


def test_an_address_outside_the_ca_makes_a_new_ca(folder: Path) -> None:
    first = ensure_certificates(folder, LAN, "studio", NOW)
    outside = ensure_certificates(folder, "192.0.2.2", "studio", NOW)
    assert outside.ca_created and "did not cover 192.0.2.2" in outside.ca_reason
    assert outside.ca_fingerprint_sha256 != first.ca_fingerprint_sha256
    ca, leaf = load(outside.ca_path), load(outside.cert_path)
    leaf.verify_directly_issued_by(ca)
    assert ipaddress.ip_network("192.0.2.0/24") in (tls.name_constraints(ca) or ([], []))[0]
    back = ensure_certificates(folder, LAN, "studio", NOW)  # still private: this CA covers it
    assert not back.ca_created and back.ca_fingerprint_sha256 == outside.ca_fingerprint_sha256


def test_a_server_certificate_of_another_ca_is_issued_again(folder: Path, tmp_path: Path) -> None:
    ensure_certificates(folder, LAN, "studio", NOW)
    other = ensure_certificates(tmp_path / "other", LAN, "studio", NOW)
    for name in (tls.SERVER_FILE, tls.SERVER_KEY_FILE):  # same names, another CA's signature
        (folder / name).write_bytes((tmp_path / "other" / name).read_bytes())
    again = ensure_certificates(folder, LAN, "studio", NOW)
    assert again.renewed and not again.ca_created
    load(again.cert_path).verify_directly_issued_by(load(again.ca_path))
    assert again.ca_fingerprint_sha256 != other.ca_fingerprint_sha256


def test_a_damaged_or_mismatched_ca_is_made_again(folder: Path, tmp_path: Path) -> None:
    ensure_certificates(folder, LAN, "studio", NOW)
    ensure_certificates(tmp_path / "other", LAN, "studio", NOW)
    (folder / tls.CA_KEY_FILE).write_bytes((tmp_path / "other" / tls.CA_KEY_FILE).read_bytes())
    mismatched = ensure_certificates(folder, LAN, "studio", NOW)
    assert mismatched.ca_created and "did not match" in mismatched.ca_reason
    (folder / tls.CA_FILE).write_text("not a certificate")
    damaged = ensure_certificates(folder, LAN, "studio", NOW)
    assert damaged.ca_created and "unreadable" in damaged.ca_reason
    load(damaged.cert_path).verify_directly_issued_by(load(damaged.ca_path))


def test_bad_input_is_a_clear_error(folder: Path, tmp_path: Path) -> None:
    with pytest.raises(CertificateError, match="needs an IP address"):
        ensure_certificates(folder, "example.com", "studio", NOW)
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(CertificateError, match="cannot make the folder"):
        ensure_certificates(blocker / "serve-ca", LAN, "studio", NOW)
    assert tls.valid_hostname("My_Laptop") is None  # not a DNS name: left out
    assert tls.valid_hostname("Studio.") == "studio"


# ---- a real server over TLS ---------------------------------------------------------------------


@dataclass(frozen=True)
class HttpsServer:
    """`voiceguide serve --https --lan`'s origin, token, CA file and what it printed at
    start, and the network namespace it runs in (its clients must run there too)."""

    origin: str
    token: str
    ca_file: Path
    lines: list[str]
    namespace: Namespace


@pytest.fixture
def https_server(tmp_path: Path) -> Iterator[HttpsServer]:
    """`voiceguide serve --https --lan --port 0` with a private config folder, in a network
    namespace of its own (skipped where none can be made)."""
    with (
        network_namespace() as namespace,
        lan_server(namespace, tmp_path, "--https", env={"HOME": str(tmp_path / "home")}) as server,
    ):
        ca_file = tmp_path / "no-config" / "serve-ca" / "ca.pem"
        yield HttpsServer(server.origin, server.token, ca_file, server.lines, namespace)
    assert server.process.returncode == 130 and "Traceback" not in server.err, server.err


def test_a_real_https_server_is_trusted_through_its_ca_only(https_server: HttpsServer) -> None:
    import httpx

    origin, token, ca_file = https_server.origin, https_server.token, https_server.ca_file
    lines = https_server.lines
    assert origin.startswith(f"https://{https_server.namespace.address}:")
    printed = "".join(lines)
    made = load(ca_file)
    assert tls.fingerprint(made) in printed and f"{origin}/ca.crt" in printed
    assert "Certificate Trust Settings" in printed and "Install a certificate" in printed
    assert sum("█" in line for line in lines) > 10  # the QR code of the https URL
    trusting = ssl.create_default_context(cafile=str(ca_file))  # this CA and nothing else
    with (
        https_server.namespace.entered(),
        httpx.Client(base_url=origin, verify=trusting, timeout=10) as client,
    ):
        answer = client.get("/ca.crt")  # no token: the CA certificate is public
        assert answer.status_code == 200
        assert answer.headers["content-type"] == "application/x-x509-ca-cert"
        assert x509.load_der_x509_certificate(answer.content) == made
        assert client.get("/api/routines").status_code == 401  # the token still guards the rest
        routines = client.get("/api/routines", headers={"authorization": f"Bearer {token}"})
        assert routines.status_code == 200 and any(r["name"] == "box-breathing" for r in routines.json())
        assert client.get(f"/?token={token}").status_code == 200
    with (
        https_server.namespace.entered(),
        httpx.Client(base_url=origin, timeout=10) as stranger,
        pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"),
    ):
        stranger.get("/ca.crt")  # the system's CAs only
    plain_origin = origin.replace("https://", "http://")
    with (
        https_server.namespace.entered(),
        httpx.Client(base_url=plain_origin, timeout=10) as plain,
        pytest.raises(httpx.HTTPError),
    ):
        plain.get("/ca.crt")  # no plain http on the TLS port


def test_https_on_this_computer_only_and_the_ca_kept_between_runs(tmp_path: Path) -> None:
    import httpx

    environment = dict(os.environ) | private_environment(tmp_path, "fake")
    environment.pop("VOICEGUIDE_DEBUG", None)
    fingerprints = []
    for run in range(2):
        process = subprocess.Popen(
            [str(VOICEGUIDE), "serve", "--https", "--port", "0", "--no-feed"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=environment,
            cwd=tmp_path,
        )
        try:
            assert process.stdout is not None
            lines = [process.stdout.readline() for _ in range(5)]
            origin = lines[0].split("open ", 1)[1].strip().rstrip("/")
            assert origin.startswith("https://127.0.0.1:")
            assert ("made this computer's local certificate authority" in "".join(lines)) is (run == 0)
            assert "Install a certificate" not in "".join(lines)  # no phone steps without --lan
            ca_file = tmp_path / "no-config" / "serve-ca" / "ca.pem"
            fingerprints.append(tls.fingerprint(load(ca_file)))
            wait_listening(origin)
            context = ssl.create_default_context(cafile=str(ca_file))
            with httpx.Client(base_url=origin, verify=context, timeout=10) as client:
                assert client.get("/api/routines").status_code == 200  # loopback: no token
        finally:
            process.send_signal(signal.SIGINT)
            _, err = process.communicate(timeout=30)
        assert process.returncode == 130 and "Traceback" not in err, err
    assert fingerprints[0] == fingerprints[1]


def test_ca_crt_is_a_404_without_https(tmp_path: Path) -> None:
    from starlette.testclient import TestClient

    from voiceguide.serve.app import ServeConfig, create_app

    config = ServeConfig(token="secret", cache_dir=tmp_path / "cache", measure_lengths=False)
    with TestClient(create_app(config)) as client:
        answer = client.get("/ca.crt")
    assert answer.status_code == 404 and "without --https" in answer.json()["error"]


def test_https_with_a_host_name_is_a_usage_error(vg_in_process: Any) -> None:
    result = vg_in_process("serve", "--https", "--lan", "--host", "localhost.example", "--port", "0")
    assert result.returncode == 2 and "--https needs an IP address to certify" in result.stderr
    assert "Traceback" not in result.stderr


def test_without_cryptography_the_error_says_what_to_install(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "cryptography.x509", None)  # as if not installed
    with pytest.raises(CertificateError, match="needs the cryptography package") as caught:
        ensure_certificates(folder, LAN, "studio", NOW)
    assert "pip install" in caught.value.hint
    assert not folder.exists()
