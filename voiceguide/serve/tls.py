"""The local certificate authority and the server certificate of ``voiceguide serve --https``,
the way mkcert does it: a CA made once and kept in the config directory, which the phone
installs (trusts) once; a server certificate for the served address, signed by it.

* **The CA** (``ca.pem``, ``ca-key.pem``): ECDSA P-256, about 10 years, basicConstraints
  CA:true pathlen 0 and keyUsage keyCertSign + cRLSign (both critical).
* **Its name constraints** (critical) are what make installing it safe: the CA's key lives
  on this computer, and a CA without constraints whose key were stolen could sign a
  certificate for any website the phone visits. This one can only vouch for private,
  link-local and loopback addresses (:data:`PRIVATE_NETWORKS`), the served address's own
  network (/24 or /64) when it is outside those, and the names ``localhost``, ``*.local``
  and this machine's hostname. A phone (Android, iOS, Chrome, Firefox) refuses a
  certificate from it for anything else. When the served address falls outside the CA's
  constraints later, a new CA is made (and must be installed again): the constraints are
  never widened in place.
* **The server certificate** (``server.pem``, ``server-key.pem``): ECDSA P-256, signed by
  the CA, subjectAltName = the served address, 127.0.0.1, localhost, the hostname and
  ``<hostname>.local`` (those the CA covers), extendedKeyUsage serverAuth, 397 days (the
  most iOS and Chrome accept). Issued again when the address is not among its names, when
  it expires within 30 days, or when the current CA did not sign it.

Every file is written atomically (:mod:`voiceguide.atomic`); the keys are mode 0600 and
the folder 0700. :func:`ensure_certificates` is the one entry; it takes the time as an
argument (no clock inside). ``cryptography`` is imported only here, only for ``--https``.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import EXIT_USAGE, VoiceguideError

if TYPE_CHECKING:
    from cryptography import x509
    from cryptography.hazmat.primitives.asymmetric import ec

FOLDER_NAME = "serve-ca"
CA_FILE, CA_KEY_FILE = "ca.pem", "ca-key.pem"
SERVER_FILE, SERVER_KEY_FILE = "server.pem", "server-key.pem"
#: the lifetimes (days) and the margin before the end at which a certificate is renewed
CA_DAYS = 3650
SERVER_DAYS = 397  # Apple and Chrome refuse a server certificate valid for over 398 days
RENEW_DAYS = 30
#: the start of validity lies this far back (a phone's clock a little behind still accepts it)
BACKDATE = timedelta(hours=1)
#: the address ranges the CA may always vouch for: private, shared (CGNAT), link-local, loopback
PRIVATE_NETWORKS = tuple(
    ipaddress.ip_network(n)
    for n in (
        "10.0.0.0/8",
        "172.16.0.0/12",
        "192.168.0.0/16",
        "100.64.0.0/10",
        "169.254.0.0/16",
        "127.0.0.0/8",
        "fc00::/7",
        "fe80::/10",
        "::1/128",
    )
)
#: the DNS names (and, in X.509 name constraints, everything under them) it may vouch for
PRIVATE_NAMES = ("localhost", "local", ".local")
#: the reason :attr:`ServerCertificate.ca_reason` gives for the first CA of this computer
NO_CA_YET = "there was no local CA yet"
_LABEL = re.compile(r"(?!-)[a-z0-9-]{1,63}(?<!-)")

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


class CertificateError(VoiceguideError):
    """The local CA or the server certificate cannot be made, read or written."""


@dataclass(frozen=True)
class ServerCertificate:
    """What uvicorn and the announcement need: the server's certificate and key files, the
    CA's certificate file, its SHA-256 fingerprint (``AB:CD:…``, as phones show it) and
    whether the CA was made by this call (``ca_reason`` says why; the phone must install it)."""

    cert_path: Path
    key_path: Path
    ca_path: Path
    ca_fingerprint_sha256: str
    ca_created: bool
    ca_reason: str = ""
    renewed: bool = False  # the server certificate was issued by this call


def default_folder() -> Path:
    """``$VOICEGUIDE_CONFIG_DIR/serve-ca``, else the per-user config directory's
    (``~/.config/voiceguide/serve-ca`` on Linux)."""
    from ..userdirs import config_dir

    return config_dir() / FOLDER_NAME


def local_hostname() -> str | None:
    """This machine's hostname, lowercased, if it is a valid DNS name (else None: it is
    left out of the certificates)."""
    return valid_hostname(socket.gethostname())


def valid_hostname(name: str) -> str | None:
    name = name.strip().rstrip(".").lower()
    labels = name.split(".")
    if not name or len(name) > 253 or not all(_LABEL.fullmatch(label) for label in labels):
        return None
    if name == "localhost" or labels[-1] == "local" or _is_ip(name):
        return None  # covered already, or not a name
    return name


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def parse_address(address: str) -> Address:
    """The served address as an IP address; a name or anything else is a CertificateError
    (the certificate is for the address the phone opens)."""
    try:
        return ipaddress.ip_address(address.strip("[]"))
    except ValueError:
        raise CertificateError(
            f"--https needs an IP address to certify, not {address!r}",
            EXIT_USAGE,
            hint="use --lan, or --host with this computer's IP address",
        ) from None


def own_network(address: Address) -> Network:
    """The network an address outside :data:`PRIVATE_NETWORKS` brings into a new CA's
    constraints: its /24 (IPv4) or /64 (IPv6)."""
    prefix = 24 if address.version == 4 else 64
    return ipaddress.ip_network(f"{address}/{prefix}", strict=False)


def permitted_networks(address: Address) -> tuple[Network, ...]:
    """The IP ranges a new CA for ``address`` may vouch for."""
    if any(address in network for network in PRIVATE_NETWORKS):
        return PRIVATE_NETWORKS
    return (*PRIVATE_NETWORKS, own_network(address))


def permitted_names(hostname: str | None) -> tuple[str, ...]:
    """The DNS names (and their subdomains) a new CA may vouch for."""
    return (*PRIVATE_NAMES, hostname) if hostname else PRIVATE_NAMES


def mdns_name(hostname: str) -> str:
    """The name a phone on the network reaches this computer by through mDNS: ``vm.local``."""
    return f"{hostname.split('.')[0]}.local"


def server_names(address: Address, hostname: str | None) -> tuple[list[str], list[Address]]:
    """The names and addresses the server certificate should hold."""
    names = ["localhost"]
    if hostname:
        names += [hostname, mdns_name(hostname)]
    addresses: list[Address] = [address]
    if address != ipaddress.ip_address("127.0.0.1"):
        addresses.append(ipaddress.ip_address("127.0.0.1"))
    return names, addresses


# ---- reading what the CA allows -------------------------------------------------------------


def name_constraints(ca: x509.Certificate) -> tuple[list[Network], list[str]] | None:
    """The permitted IP ranges and DNS names of ``ca``; None when it has no (permitted)
    name constraints, or excluded ones this module never writes."""
    from cryptography import x509

    try:
        constraints = ca.extensions.get_extension_for_class(x509.NameConstraints).value
    except x509.ExtensionNotFound:
        return None
    if constraints.permitted_subtrees is None or constraints.excluded_subtrees:
        return None
    networks = [n.value for n in constraints.permitted_subtrees if isinstance(n, x509.IPAddress)]
    names = [n.value for n in constraints.permitted_subtrees if isinstance(n, x509.DNSName)]
    return [n for n in networks if isinstance(n, ipaddress.IPv4Network | ipaddress.IPv6Network)], names


def name_permitted(name: str, permitted: list[str]) -> bool:
    """Whether DNS ``name`` falls under one of ``permitted`` (RFC 5280: the name itself or
    any name under it; a leading dot: only names under it)."""
    name = name.lower()
    for constraint in permitted:
        constraint = constraint.lower()
        if constraint.startswith("."):
            if name.endswith(constraint):
                return True
        elif name == constraint or name.endswith("." + constraint):
            return True
    return False


def address_permitted(address: Address, permitted: list[Network]) -> bool:
    return any(address.version == n.version and address in n for n in permitted)


# ---- making them ------------------------------------------------------------------------------


def _new_key() -> ec.EllipticCurvePrivateKey:
    from cryptography.hazmat.primitives.asymmetric import ec

    return ec.generate_private_key(ec.SECP256R1())


def make_ca(
    address: Address, hostname: str | None, now: datetime
) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    """A new CA certificate and key for serving ``address``, valid from ``now`` (less
    :data:`BACKDATE`) for :data:`CA_DAYS` days, name-constrained as the module says."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.x509.oid import NameOID

    key = _new_key()
    label = hostname or "this computer"
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "voiceguide"),
            x509.NameAttribute(NameOID.COMMON_NAME, f"voiceguide local CA ({label})"[:64]),
        ]
    )
    permitted: list[x509.GeneralName] = [x509.IPAddress(n) for n in permitted_networks(address)]
    permitted += [x509.DNSName(n) for n in permitted_names(hostname)]
    public = key.public_key()
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - BACKDATE)
        .not_valid_after(now + timedelta(days=CA_DAYS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.NameConstraints(permitted_subtrees=permitted, excluded_subtrees=None), critical=True
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .sign(key, hashes.SHA256())
    )
    return cert, key


def make_server_certificate(
    ca: x509.Certificate,
    ca_key: ec.EllipticCurvePrivateKey,
    address: Address,
    hostname: str | None,
    now: datetime,
) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    """A new server certificate and key signed by ``ca``: the names of :func:`server_names`
    that the CA's constraints permit, serverAuth, :data:`SERVER_DAYS` days from ``now``."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    constraints = name_constraints(ca)
    networks, allowed = constraints if constraints else ([], [])
    names, addresses = server_names(address, hostname)
    sans: list[x509.GeneralName] = [x509.IPAddress(a) for a in addresses if address_permitted(a, networks)]
    sans += [x509.DNSName(n) for n in names if name_permitted(n, allowed)]
    key = _new_key()
    public = key.public_key()
    cert = (
        x509.CertificateBuilder()
        .subject_name(
            x509.Name(
                [
                    x509.NameAttribute(NameOID.ORGANIZATION_NAME, "voiceguide"),
                    x509.NameAttribute(NameOID.COMMON_NAME, f"voiceguide serve {address}"),
                ]
            )
        )
        .issuer_name(ca.subject)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - BACKDATE)
        .not_valid_after(now + timedelta(days=SERVER_DAYS))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectAlternativeName(sans), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    return cert, key


def fingerprint(cert: x509.Certificate) -> str:
    """The SHA-256 fingerprint of ``cert``'s DER bytes as ``AB:CD:…`` (64 hex digits)."""
    from cryptography.hazmat.primitives import hashes

    return ":".join(f"{b:02X}" for b in cert.fingerprint(hashes.SHA256()))


# ---- keeping them -------------------------------------------------------------------------------


def ensure_certificates(folder: Path, address: str, hostname: str | None, now: datetime) -> ServerCertificate:
    """The CA and server certificate in ``folder`` for serving ``address`` (an IP address)
    at ``now`` (timezone-aware): those already there when they still fit, else new ones
    (see the module's docstring for when). Raises :class:`CertificateError`."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    _require_cryptography()
    served = parse_address(address)
    hostname = valid_hostname(hostname) if hostname else None
    _private_folder(folder)
    ca, ca_key, reason = _usable_ca(folder, served, now)
    created = ca is None or ca_key is None
    if ca is None or ca_key is None:
        ca, ca_key = make_ca(served, hostname, now)
        _write_key(folder / CA_KEY_FILE, ca_key)  # the key first: a cert without its key is remade
        _write_cert(folder / CA_FILE, ca)
    renewed = False
    if _server_needs_renewal(folder, ca, served, now):
        cert, key = make_server_certificate(ca, ca_key, served, hostname, now)
        _write_key(folder / SERVER_KEY_FILE, key)
        _write_cert(folder / SERVER_FILE, cert)
        renewed = True
    return ServerCertificate(
        folder / SERVER_FILE,
        folder / SERVER_KEY_FILE,
        folder / CA_FILE,
        fingerprint(ca),
        created,
        reason if created else "",
        renewed,
    )


def _require_cryptography() -> None:
    try:
        import cryptography.x509  # noqa: F401
    except ImportError as exc:  # a dependency, but an install may lack it
        raise CertificateError(
            f"--https needs the cryptography package ({exc})", hint="pip install 'cryptography>=42'"
        ) from None


def _usable_ca(
    folder: Path, served: Address, now: datetime
) -> tuple[x509.Certificate | None, ec.EllipticCurvePrivateKey | None, str]:
    """The CA in ``folder`` if it can serve ``served`` at ``now``; else None and why not."""
    ca = _read_cert(folder / CA_FILE)
    key = _read_key(folder / CA_KEY_FILE)
    if ca is None or key is None:
        return (
            None,
            None,
            NO_CA_YET if ca is None and key is None else "the local CA's files were incomplete or unreadable",
        )
    if ca.public_key() != key.public_key():
        return None, None, "the local CA's key did not match its certificate"
    constraints = name_constraints(ca)
    if constraints is None:
        return None, None, "the local CA had no name constraints"
    if not address_permitted(served, constraints[0]):
        return None, None, f"the local CA did not cover {served} (its name constraints)"
    if ca.not_valid_after_utc - timedelta(days=RENEW_DAYS) <= now or ca.not_valid_before_utc > now:
        return None, None, "the local CA expires soon"
    return ca, key, ""


def _server_needs_renewal(folder: Path, ca: x509.Certificate, served: Address, now: datetime) -> bool:
    from cryptography import x509

    cert = _read_cert(folder / SERVER_FILE)
    key = _read_key(folder / SERVER_KEY_FILE)
    if cert is None or key is None or cert.public_key() != key.public_key():
        return True
    if cert.issuer != ca.subject:
        return True
    try:
        cert.verify_directly_issued_by(ca)
    except Exception:  # InvalidSignature, ValueError, TypeError: another CA signed it
        return True
    if cert.not_valid_after_utc - timedelta(days=RENEW_DAYS) <= now or cert.not_valid_before_utc > now:
        return True
    try:
        sans = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return True
    return served not in sans.get_values_for_type(x509.IPAddress)


def _private_folder(folder: Path) -> None:
    """``folder``, made (with its parents) if needed, mode 0700."""
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        if folder.stat().st_mode & 0o077:
            folder.chmod(0o700)
    except OSError as exc:
        raise CertificateError(f"cannot make the folder {folder}: {exc.strerror or exc}") from exc


def _read_bytes(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise CertificateError(f"cannot read {path}: {exc.strerror or exc}") from exc


def _read_cert(path: Path) -> x509.Certificate | None:
    from cryptography import x509

    data = _read_bytes(path)
    if data is None:
        return None
    try:
        return x509.load_pem_x509_certificate(data)
    except ValueError:
        return None  # damaged: made again


def _read_key(path: Path) -> ec.EllipticCurvePrivateKey | None:
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    data = _read_bytes(path)
    if data is None:
        return None
    try:
        key = load_pem_private_key(data, password=None)
    except (ValueError, TypeError):
        return None
    return key if isinstance(key, ec.EllipticCurvePrivateKey) else None


def _write_cert(path: Path, cert: x509.Certificate) -> None:
    from cryptography.hazmat.primitives.serialization import Encoding

    _write(path, cert.public_bytes(Encoding.PEM), private=False)


def _write_key(path: Path, key: ec.EllipticCurvePrivateKey) -> None:
    from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

    _write(path, key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()), private=True)


def _write(path: Path, data: bytes, private: bool) -> None:
    from ..atomic import atomic_path

    try:
        with atomic_path(path, private=private) as temp:
            temp.write_bytes(data)
    except VoiceguideError as exc:
        raise CertificateError(exc.message) from exc


def ca_der(ca_path: Path) -> bytes:
    """The CA certificate at ``ca_path`` in DER (what ``/ca.crt`` serves to phones)."""
    from cryptography.hazmat.primitives.serialization import Encoding

    cert = _read_cert(ca_path)
    if cert is None:
        raise CertificateError(f"cannot read the local CA certificate {ca_path}")
    return cert.public_bytes(Encoding.DER)
