"""The clinic's signing key and certificate, which seal every chart document.

Where they come from: INTAKE_SIGNING_KEY_FILE and INTAKE_SIGNING_CERT_FILE (PEM), or a PKCS#12
file (.p12 / .pfx) as the key file, its passphrase in INTAKE_SIGNING_KEY_PASSPHRASE. Outside
production, without them, a self-signed clinic certificate is made once in the instance folder
(mode 0600), like the development secret key. `flask intake signing-key create` makes one for a
clinic with no certificate authority.

Which certificates a seal may be made with, for `verify`: the current one, and those in
INTAKE_SIGNING_TRUST_FILE (earlier clinic certificates after a rotation, or the authority that
issued them), never anything read from the database.
"""

import fcntl
import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cached_property, lru_cache
from pathlib import Path

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.ec import ECDSA
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from cryptography.x509.oid import NameOID
from flask import current_app
from pyhanko.keys import load_certs_from_pemder
from pyhanko.sign.signers import SimpleSigner
from pyhanko_certvalidator.util import get_pyca_cryptography_hash

DEVELOPMENT_KEY = "signing_key.pem"
DEVELOPMENT_CERT = "signing_cert.pem"
PKCS12_SUFFIXES = (".p12", ".pfx")
KEY_BITS = 3072


class SigningKeyError(RuntimeError):
    """The clinic's signing key or certificate cannot be read; the message says which."""


@dataclass(frozen=True)
class KeyFiles:
    """Where the clinic's key and certificate are (cert is None for a PKCS#12 file)."""

    key: Path
    cert: Path | None
    passphrase: bytes | None = None


def key_files() -> KeyFiles:
    """The configured key files; outside production, the instance folder's, made if missing."""
    config = current_app.config
    passphrase = config.get("SIGNING_KEY_PASSPHRASE")
    passphrase = passphrase.encode("utf-8") if passphrase else None
    if config.get("SIGNING_KEY_FILE"):
        key = Path(config["SIGNING_KEY_FILE"])
        cert = Path(config["SIGNING_CERT_FILE"]) if config.get("SIGNING_CERT_FILE") else None
        return KeyFiles(key, cert, passphrase)
    instance = Path(current_app.instance_path)
    files = KeyFiles(instance / DEVELOPMENT_KEY, instance / DEVELOPMENT_CERT)
    if not files.key.exists() or not files.cert.exists():
        _create_development_key(instance, files, config["CLINIC_NAME"])
    return files


def signer() -> SimpleSigner:
    """pyHanko's signer for the clinic's key, loaded once per process (again if a file changes)."""
    files = key_files()
    return _load_signer(files, _mtimes(files))


def trusted_certificates() -> list[asn1_x509.Certificate]:
    """The certificates a chart document's seal may chain to: the current one and past ones.

    With a PEM certificate file, read from it alone: checking needs no private key.
    """
    files = key_files()
    if files.cert is not None:
        certificates = list(_load_certificates(files.cert, _mtime(files.cert)))
    else:
        certificates = [signer().signing_cert]
    trust_file = current_app.config.get("SIGNING_TRUST_FILE")
    if trust_file:
        certificates += _load_certificates(Path(trust_file), _mtime(Path(trust_file)))
    return certificates


def create_signing_key(
    key_path: Path, cert_path: Path, clinic_name: str, years: int = 10
) -> x509.Certificate:
    """Write a new RSA key (mode 0600) and a self-signed document-sealing certificate (PEM).

    Refuses to overwrite either file.
    """
    key = rsa.generate_private_key(public_exponent=65537, key_size=KEY_BITS)
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, f"{clinic_name} chart documents"[:64]),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, clinic_name[:64]),
        ]
    )
    usage = x509.KeyUsage(
        digital_signature=True,
        content_commitment=True,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=False,
        crl_sign=False,
        encipher_only=False,
        decipher_only=False,
    )
    certificate = self_signed_certificate(
        key,
        name,
        timedelta(days=365 * years),
        [(x509.BasicConstraints(ca=False, path_length=None), True), (usage, True)],
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    _write_new(key_path, key_pem, 0o600)
    try:
        _write_new(cert_path, certificate.public_bytes(serialization.Encoding.PEM), 0o644)
    except FileExistsError:
        key_path.unlink()
        raise
    return certificate


def self_signed_certificate(
    key: rsa.RSAPrivateKey,
    name: x509.Name,
    lifetime: timedelta,
    extensions: list[tuple[x509.ExtensionType, bool]],
) -> x509.Certificate:
    """A certificate for `key`, issued by itself, valid from yesterday for `lifetime`.

    `extensions` are (extension, critical) pairs; the subject key identifier is added.
    """
    now = datetime.now(UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + lifetime)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    )
    for extension, critical in extensions:
        builder = builder.add_extension(extension, critical=critical)
    return builder.sign(key, hashes.SHA256())


def _create_development_key(instance: Path, files: KeyFiles, clinic_name: str) -> None:
    """Make the instance folder's key once, whichever worker gets there first."""
    instance.mkdir(mode=0o700, parents=True, exist_ok=True)
    with open(instance / "signing_key.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not files.key.exists() and not files.cert.exists():
            create_signing_key(files.key, files.cert, clinic_name)


def _write_new(path: Path, data: bytes, mode: int) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)


@lru_cache(maxsize=4)
def _load_signer(files: KeyFiles, _mtimes: tuple[float, ...]) -> SimpleSigner:
    try:
        if files.key.suffix.lower() in PKCS12_SUFFIXES:
            loaded = SimpleSigner.load_pkcs12(str(files.key), passphrase=files.passphrase)
        elif files.cert is None:
            raise SigningKeyError(
                "INTAKE_SIGNING_CERT_FILE must be set with a PEM INTAKE_SIGNING_KEY_FILE"
            )
        else:
            loaded = SimpleSigner.load(
                str(files.key), str(files.cert), key_passphrase=files.passphrase
            )
    except (OSError, ValueError) as error:
        raise SigningKeyError(f"cannot read the clinic's signing key: {error}") from None
    if loaded is None:  # pyHanko logs the reason and returns None
        raise SigningKeyError(f"cannot read the clinic's signing key from {files.key}")
    return ClinicSigner(
        signing_cert=loaded.signing_cert,
        signing_key=loaded.signing_key,
        cert_registry=loaded.cert_registry,
    )


class ClinicSigner(SimpleSigner):
    """pyHanko's SimpleSigner, keeping the private key it loads instead of loading it per use.

    SimpleSigner turns the key into a `cryptography` object for every signature, and pyHanko
    signs twice per document (once to size the signature); loading an RSA key checks it, which
    for 3072 bits took 120 ms each time. Signing itself is pyHanko's and `cryptography`'s.
    """

    @cached_property
    def _private_key(self):
        return serialization.load_der_private_key(self.signing_key.dump(), password=None)

    def sign_raw(self, data: bytes, digest_algorithm: str) -> bytes:
        """Sign with the key loaded once (RSA PKCS#1 v1.5 and ECDSA; others as pyHanko does)."""
        chosen = self.get_signature_mechanism_for_digest(digest_algorithm)
        try:
            mechanism = chosen.signature_algo
        except ValueError:  # as pyHanko does: a mechanism asn1crypto cannot name
            mechanism = chosen["algorithm"].native
        hash_algorithm = get_pyca_cryptography_hash(digest_algorithm)
        if mechanism == "rsassa_pkcs1v15":
            return self._private_key.sign(data, PKCS1v15(), hash_algorithm)
        if mechanism == "ecdsa":
            return self._private_key.sign(data, ECDSA(hash_algorithm))
        return super().sign_raw(data, digest_algorithm)


@lru_cache(maxsize=4)
def _load_certificates(path: Path, _mtime: float) -> tuple[asn1_x509.Certificate, ...]:
    try:
        return tuple(load_certs_from_pemder([str(path)]))
    except (OSError, ValueError) as error:
        raise SigningKeyError(f"cannot read the certificates in {path}: {error}") from None


def _mtimes(files: KeyFiles) -> tuple[float, ...]:
    return tuple(_mtime(path) for path in (files.key, files.cert) if path is not None)


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0
