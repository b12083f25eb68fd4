"""The clinic's seal on every chart document, and `verify` against someone who can write the
database: a PDF changed together with its row, its hash and its audit event is still caught.

Time-stamps come from pyHanko's own test time-stamp authority, served on loopback; never a
network service.
"""

import asyncio
import hashlib
import http.server
import io
import threading
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from contextvars import copy_context
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pikepdf
import pytest
from asn1crypto import keys, tsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper
from sqlalchemy import select, update

from intake import audit, audit_chain, config
from intake.audit import AuditAction
from intake.chart import render_and_store, render_pending
from intake.chart.clinic_certificate import create_signing_key, self_signed_certificate
from intake.chart.seal import SealState, check_seal, seal_pdf
from intake.chart.worker import renderer
from intake.extensions import db
from intake.models import AuditChain, AuditEvent, ChartDocument, PdfStatus, Submission
from testkit.factories import make_submission
from tests.chart_support import flat, needs, pdf_pages, pdfsig


def _rendered() -> tuple[Submission, ChartDocument]:
    submission = make_submission()
    document = render_and_store(submission)
    assert document is not None, submission.pdf_error
    return submission, document


def _behind_the_apps_back(*statements) -> None:
    for statement in statements:
        db.session.execute(statement)
    db.session.commit()


def _render_event(public_id) -> AuditEvent:
    return db.session.scalars(
        select(AuditEvent).where(
            AuditEvent.action == AuditAction.CHART_RENDER,
            AuditEvent.target_id == str(public_id),
        )
    ).one()


def _replace_everywhere(document_id: int, event_id: int, pdf: bytes) -> str:
    """What an intruder with database access does: new bytes, hash, size and audit record."""
    digest = hashlib.sha256(pdf).hexdigest()
    event = db.session.get(AuditEvent, event_id)
    detail = {**event.detail, "sha256": digest, "size": len(pdf)}
    db.session.rollback()
    _behind_the_apps_back(
        update(ChartDocument)
        .where(ChartDocument.id == document_id)
        .values(content=pdf, sha256=digest, size=len(pdf)),
        update(AuditEvent).where(AuditEvent.id == event_id).values(detail=detail),
    )
    return digest


@needs("pdfsig")
def test_pdfsig_and_pyhanko_find_the_seal_valid_over_the_whole_pdf(app_context):
    _, document = _rendered()
    report = pdfsig(document.content)
    assert "Signature Validation: Signature is Valid." in report
    assert "Total document signed" in report
    assert "Signature Type: ETSI.CAdES.detached" in report  # PAdES
    assert "Signer Certificate Common Name: Riverside Physical Therapy chart documents" in report
    seal = check_seal(document.content, document.created_at)
    assert seal.state == SealState.VALID, seal.reason
    assert document.sha256 == hashlib.sha256(document.content).hexdigest()


def test_a_sealed_pdf_stays_pdf_a_3u_with_the_metadata_it_was_rendered_with(app_context):
    _, document = _rendered()
    pdf = pikepdf.open(io.BytesIO(document.content))
    xmp = pdf.open_metadata()
    assert (xmp["pdfaid:part"], xmp["pdfaid:conformance"]) == ("3", "U")
    assert pdf.pdf_version == "1.7"
    assert str(pdf.docinfo.Producer).startswith("WeasyPrint")  # metadata left as rendered
    (field,) = pdf.Root.AcroForm.Fields
    assert field.FT == "/Sig" and field.V.SubFilter == "/ETSI.CAdES.detached"
    assert int(field.F) & 4  # printable, as PDF/A asks of every annotation
    assert list(field.Rect) == [0, 0, 0, 0]  # invisible: no appearance needed


@needs("pdftotext")
def test_the_audit_page_prints_the_chain_head_at_rendering(app_context):
    submission = make_submission()
    audit.record(AuditAction.SUBMISSION_VIEW, target_type="submission", target_id="elsewhere")
    db.session.commit()
    before = audit_chain.head()
    assert before.length == 1
    document = render_and_store(submission)
    page = flat(pdf_pages(document.content)[-1])
    assert f"Audit chain at rendering {before.length} events, the last at {before.at}" in page
    assert before.hash in page.replace(" ", "")


def test_verify_catches_a_pdf_replaced_with_its_row_hash_and_audit_event(app, runner, tmp_path):
    """Another clinic's (or an intruder's own) certificate: the seal is not the clinic's."""
    with app.app_context():
        submission, document = _rendered()
        public_id, document_id = submission.public_id, document.id
        event_id = _render_event(public_id).id
        forged = _sealed_with_another_key(app, document.content, tmp=tmp_path)
        _replace_everywhere(document_id, event_id, forged)

    result = runner.invoke(args=["intake", "verify"])
    assert result.exit_code == 1
    assert "REPLACED" not in result.output and "CHANGED" not in result.output
    assert (
        f"SEAL submission {public_id}: chart document {document_id} (intake): its seal is by "
    ) in result.output
    assert "which is not one of the clinic's certificates" in result.output
    # The audit event edited with it breaks the chain, at that event.
    assert f"CHAIN audit event {event_id} (chain position " in result.output


def test_verify_catches_an_unsealed_pdf_put_in_place_of_a_sealed_one(app, runner):
    with app.app_context():
        submission, document = _rendered()
        public_id, document_id = submission.public_id, document.id
        event_id = _render_event(public_id).id
        unsealed = document.content[: document.content.index(b"%%EOF") + 6]
        _replace_everywhere(document_id, event_id, unsealed)

    result = runner.invoke(args=["intake", "verify"])
    assert result.exit_code == 1
    assert (
        f"UNSEALED submission {public_id}: chart document {document_id} (intake) carries no "
        "seal, and was stored after sealing began"
    ) in result.output


def test_documents_stored_before_sealing_still_verify_and_are_counted(app, runner):
    """A PDF and its render event from before the upgrade: unsealed, outside the chain."""
    with app.app_context():
        submission, _ = _rendered()  # one sealed, made today
        old = make_submission()
        made = datetime.now(UTC) - timedelta(days=400)
        pdf = renderer.render(_job(old, made), timeout=60).pdf
        digest = hashlib.sha256(pdf).hexdigest()
        _behind_the_apps_back(
            ChartDocument.__table__.insert().values(
                submission_id=old.id,
                kind="intake",
                content_type="application/pdf",
                content=pdf,
                size=len(pdf),
                sha256=digest,
                created_at=made,
            ),
            AuditEvent.__table__.insert().values(
                at=made,
                actor_type="kiosk",
                action="chart.render",
                target_type="submission",
                target_id=str(old.public_id),
                outcome="success",
                detail={"document": "intake", "sha256": digest, "size": len(pdf)},
            ),
            update(Submission).where(Submission.id == old.id).values(pdf_status="rendered"),
            # The chain begins after them, as the upgrade's migration makes it.
            AuditChain.__table__.delete(),
            update(AuditEvent).values(chain_seq=None, prev_hash=None, hash=None),
        )

    result = runner.invoke(args=["intake", "verify"])
    assert result.exit_code == 0, result.output
    assert "1 document(s) are unsealed, made before sealing began" in result.output


def _job(submission: Submission, made: datetime):
    from intake.chart.document import render_job

    return render_job(submission, [], made)


def test_a_key_that_cannot_be_read_leaves_the_submission_failed_for_render_pending(
    app, runner, tmp_path
):
    with app.app_context():
        app.config["SIGNING_KEY_FILE"] = str(tmp_path / "missing.pem")
        submission = make_submission()
        assert render_and_store(submission) is None
        stored = db.session.get(Submission, submission.id)
        assert stored.pdf_status == PdfStatus.FAILED
        assert "cannot read the clinic's signing key" in stored.pdf_error
        app.config["SIGNING_KEY_FILE"] = None  # the instance folder's key, made on first use
        (outcome,) = list(render_pending())
        assert outcome.document is not None
        assert (Path(app.instance_path) / "signing_key.pem").stat().st_mode & 0o777 == 0o600


def test_rotated_keys_keep_old_documents_verifying_through_the_trust_file(app, runner, tmp_path):
    with app.app_context():
        _rendered()
    old_cert = Path(app.config["SIGNING_CERT_FILE"])
    create_signing_key(tmp_path / "new.pem", tmp_path / "new.crt", "Riverside Physical Therapy")
    app.config.update(
        SIGNING_KEY_FILE=str(tmp_path / "new.pem"), SIGNING_CERT_FILE=str(tmp_path / "new.crt")
    )
    with app.app_context():
        _rendered()
    result = runner.invoke(args=["intake", "verify"])
    assert result.exit_code == 1  # the old document's certificate is no longer trusted
    assert result.output.count("not one of the clinic's certificates") == 1

    app.config["SIGNING_TRUST_FILE"] = str(old_cert)
    result = runner.invoke(args=["intake", "verify"])
    assert result.exit_code == 0, result.output


def test_sealing_and_checking_work_where_an_event_loop_already_runs(app_context):
    """pyHanko starts its own asyncio loop; a caller inside one (Playwright, say) still seals."""
    _, document = _rendered()
    unsealed = document.content[: document.content.index(b"%%EOF") + 6]

    async def inside_a_loop():
        sealed = seal_pdf(unsealed)
        return check_seal(sealed, document.created_at)

    # On a thread of its own: this one may run a loop already (Playwright's, in a whole run).
    with ThreadPoolExecutor(max_workers=1) as pool:
        seal = pool.submit(copy_context().run, asyncio.run, inside_a_loop()).result()
    assert seal.state == SealState.VALID, seal.reason


def test_verify_needs_the_certificates_not_the_private_key(app, runner, tmp_path):
    with app.app_context():
        _rendered()
    app.config["SIGNING_KEY_FILE"] = str(tmp_path / "kept-elsewhere.pem")
    result = runner.invoke(args=["intake", "verify"])
    assert result.exit_code == 0, result.output


def test_a_time_stamp_is_added_when_an_authority_is_configured(app):
    with _test_time_stamp_authority() as url, app.app_context():
        app.config["TIMESTAMP_URL"] = url
        _, document = _rendered()
        seal = check_seal(document.content, document.created_at)
    assert seal.state == SealState.VALID, seal.reason
    assert seal.timestamped


def test_an_unreachable_time_stamp_authority_leaves_the_pdf_pending(app):
    with app.app_context():
        app.config["TIMESTAMP_URL"] = "http://127.0.0.1:9/"  # discard port: nothing answers
        submission = make_submission()
        assert render_and_store(submission) is None
        assert db.session.get(Submission, submission.id).pdf_status == PdfStatus.FAILED


def test_signing_key_create_writes_a_private_key_and_refuses_to_overwrite(runner, tmp_path):
    key, cert = tmp_path / "clinic.key", tmp_path / "clinic.crt"
    args = ["intake", "signing-key", "create", "--key-out", str(key), "--cert-out", str(cert)]
    result = runner.invoke(args=args)
    assert result.exit_code == 0, result.output
    assert key.stat().st_mode & 0o777 == 0o600
    certificate = x509.load_pem_x509_certificate(cert.read_bytes())
    assert "Riverside Physical Therapy" in certificate.subject.rfc4514_string()
    assert "Certificate SHA-256 fingerprint" in result.output
    again = runner.invoke(args=args)
    assert again.exit_code == 1 and "already exists" in again.output


def test_production_refuses_to_start_without_a_signing_key(tmp_path):
    environ = {
        "INTAKE_ENV": "production",
        "INTAKE_SECRET_KEY": "k" * 64,
        "INTAKE_ALLOWED_HOSTS": "intake.clinic.example",
    }
    with pytest.raises(config.ConfigError, match="INTAKE_SIGNING_KEY_FILE must be set"):
        config.load_config(str(tmp_path), environ)
    key, cert = tmp_path / "k.pem", tmp_path / "c.pem"
    create_signing_key(key, cert, "Clinic")
    settings = config.load_config(
        str(tmp_path),
        {**environ, "INTAKE_SIGNING_KEY_FILE": str(key), "INTAKE_SIGNING_CERT_FILE": str(cert)},
    )
    assert settings["SIGNING_KEY_FILE"] == str(key)


# ---------------------------------------------------------------- helpers


def _sealed_with_another_key(app, sealed: bytes, tmp: Path) -> bytes:
    """The same document sealed anew with a key that is not the clinic's (same name, too)."""
    unsealed = sealed[: sealed.index(b"%%EOF") + 6]
    key, cert = tmp / "intruder.pem", tmp / "intruder.crt"
    create_signing_key(key, cert, "Riverside Physical Therapy")
    current = app.config["SIGNING_KEY_FILE"], app.config["SIGNING_CERT_FILE"]
    app.config.update(SIGNING_KEY_FILE=str(key), SIGNING_CERT_FILE=str(cert))
    try:
        return seal_pdf(unsealed)
    finally:
        app.config.update(SIGNING_KEY_FILE=current[0], SIGNING_CERT_FILE=current[1])


@contextmanager
def _test_time_stamp_authority():
    """pyHanko's DummyTimeStamper behind an RFC 3161 HTTP endpoint on loopback."""
    stamper = DummyTimeStamper(*_tsa_certificate())

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            reply = stamper.request_tsa_response(tsp.TimeStampReq.load(body)).dump()
            self.send_response(200)
            self.send_header("Content-Type", "application/timestamp-reply")
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def _tsa_certificate() -> tuple[asn1_x509.Certificate, keys.PrivateKeyInfo]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Test time-stamp authority")])
    certificate = self_signed_certificate(
        key,
        name,
        timedelta(days=30),
        [(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), True)],
    )
    der_key = key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return (
        asn1_x509.Certificate.load(certificate.public_bytes(serialization.Encoding.DER)),
        keys.PrivateKeyInfo.load(der_key),
    )
