"""Comments follow the consent rounds (questions, then reactions, then comments), are not blank
and not longer than 5000 characters; attachments are a PDF, a photo or a text document
recognised by their content, 10 MB at most, added by the author or a lead while the proposal is
alive."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from conftest import Cast
from kpa.core.models import AuditEvent, Notification
from kpa.governance import attachments, ballots
from kpa.governance.models import Comment, Method, ProposalAttachment
from kpa.governance.tests import factories as gf
from kpa.governance.tests.test_ballots import LATER, close_by_hand, messages, to_objection_round
from kpa.journey.uploads import MAX_UPLOAD_BYTES

PDF = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def odt() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"), attachments.ODT,
                         compress_type=zipfile.ZIP_STORED)
        archive.writestr("content.xml", "<office:document-content/>")
    return buffer.getvalue()


def docx(main: str = "wordprocessingml.document.main+xml") -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", (
            '<Types><Override PartName="/word/document.xml" ContentType="application/'
            f'vnd.openxmlformats-officedocument.{main}"/></Types>'))
        archive.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


# -- comments ---------------------------------------------------------------------------------

def test_a_member_comments_and_the_author_is_told(cast: Cast) -> None:
    proposal = gf.make_proposal(cast, method=Method.MAJORITY)

    comment = ballots.add_comment(proposal, actor=cast.user("cooperant"), now=LATER,
                                  body="  Et le samedi ?  ")

    assert comment.body == "Et le samedi ?"
    assert comment.kind == Comment.Kind.COMMENT
    assert comment.author == cast.cooperant
    assert AuditEvent.objects.filter(action="governance.comment.added").count() == 1
    assert Notification.objects.filter(recipient=cast.user("referent"),
                                       topic="governance.comment.added").exists()


def test_consent_comments_follow_the_round(cast: Cast) -> None:
    proposal = gf.make_proposal(cast, method=Method.CONSENT)
    assert ballots.comment_kind_for(proposal) == Comment.Kind.QUESTION

    with pytest.raises(ValidationError) as refused:
        ballots.add_comment(proposal, actor=cast.user("cooperant"), now=LATER,
                            body="Je suis contre.", kind=Comment.Kind.REACTION)
    assert messages(refused.value) == ("Pendant l'étape « Questions de clarification », on "
                                       "écrit : Question de clarification.")
    question = ballots.add_comment(proposal, actor=cast.user("cooperant"), now=LATER,
                                   body="À quelle heure ?", kind=Comment.Kind.QUESTION)
    proposal = to_objection_round(cast, proposal)
    with pytest.raises(ValidationError, match="Tour d'objections"):
        ballots.add_comment(proposal, actor=cast.user("cooperant"), now=LATER,
                            body="Une question encore", kind=Comment.Kind.QUESTION)

    assert question.kind == Comment.Kind.QUESTION
    assert ballots.comment_kind_for(proposal) == Comment.Kind.COMMENT


def test_an_empty_comment_is_refused(cast: Cast) -> None:
    proposal = gf.make_proposal(cast, method=Method.MAJORITY)

    with pytest.raises(ValidationError, match="Le message est vide"):
        ballots.add_comment(proposal, actor=cast.user("cooperant"), now=LATER, body=" \n ")


def test_a_comment_holds_5000_characters_at_most(cast: Cast) -> None:
    proposal = gf.make_proposal(cast, method=Method.MAJORITY)

    ballots.add_comment(proposal, actor=cast.user("cooperant"), now=LATER, body="a" * 5000)
    with pytest.raises(ValidationError, match="Ton message fait 5001 caractères : 5000 au plus"):
        ballots.add_comment(proposal, actor=cast.user("cooperant"), now=LATER,
                            body="a" * 5001)
    assert Comment.objects.count() == 1


def test_an_outsider_does_not_comment(cast: Cast) -> None:
    proposal = gf.make_proposal(cast, method=Method.MAJORITY)

    with pytest.raises(PermissionDenied):
        ballots.add_comment(proposal, actor=cast.user("outsider"), now=LATER, body="Coucou")


def test_a_closed_proposal_takes_no_comment(cast: Cast) -> None:
    proposal = close_by_hand(gf.make_proposal(cast, method=Method.MAJORITY))

    with pytest.raises(ValidationError, match="Cette proposition est close ou annulée"):
        ballots.add_comment(proposal, actor=cast.user("cooperant"), now=LATER, body="Trop tard")


# -- attachments ------------------------------------------------------------------------------

@pytest.mark.parametrize(("content", "name", "stored_ext", "kind"), [
    (PDF, "budget.pdf", ".pdf", "application/pdf"),
    (PNG, "plan du local.png", ".png", "image/png"),
    (odt(), "charte.odt", ".odt", attachments.ODT),
    (docx(), "charte.docx", ".docx", attachments.DOCX),
    (PDF, "piege.html", ".pdf", "application/pdf"),
])
def test_the_author_attaches_a_recognised_file(cast: Cast, content: bytes, name: str,
                                               stored_ext: str, kind: str) -> None:
    proposal = gf.make_proposal(cast, method=Method.MAJORITY)

    attachment = ballots.add_attachment(proposal, actor=cast.user("referent"), now=LATER,
                                        upload=SimpleUploadedFile(name, content))

    assert attachment.name == name
    assert str(attachment.file.name).endswith(stored_ext)
    assert attachment.file.read() == content
    event = AuditEvent.objects.get(action="governance.attachment.added")
    assert event.data["content_type"] == kind == attachments.content_type_of(content)


@pytest.mark.parametrize("content", [
    b"<html><script>alert(1)</script></html>",
    b"",
    docx(main="wordprocessingml.template.main+xml"),
    b"PK\x03\x04 not really a zip",
])
def test_a_file_of_another_kind_is_refused(cast: Cast, content: bytes) -> None:
    proposal = gf.make_proposal(cast, method=Method.MAJORITY)

    with pytest.raises(ValidationError):
        ballots.add_attachment(proposal, actor=cast.user("referent"), now=LATER,
                               upload=SimpleUploadedFile("document.pdf", content))
    assert not ProposalAttachment.objects.exists()


def test_a_file_over_10_mb_is_refused(cast: Cast) -> None:
    proposal = gf.make_proposal(cast, method=Method.MAJORITY)
    big = PDF + b"0" * (MAX_UPLOAD_BYTES + 1 - len(PDF))

    with pytest.raises(ValidationError, match="10 Mo au plus"):
        ballots.add_attachment(proposal, actor=cast.user("referent"), now=LATER,
                               upload=SimpleUploadedFile("gros.pdf", big))


def test_only_the_author_or_a_lead_attaches(cast: Cast) -> None:
    proposal = gf.make_proposal(cast, method=Method.MAJORITY)

    with pytest.raises(PermissionDenied):
        ballots.add_attachment(proposal, actor=cast.user("cooperant"), now=LATER,
                               upload=SimpleUploadedFile("a.pdf", PDF))
    ballots.add_attachment(proposal, actor=cast.user("animateur"), now=LATER,
                           upload=SimpleUploadedFile("a.pdf", PDF))
    assert ProposalAttachment.objects.count() == 1


def test_a_closed_proposal_takes_no_attachment(cast: Cast) -> None:
    proposal = close_by_hand(gf.make_proposal(cast, method=Method.MAJORITY))

    with pytest.raises(ValidationError, match="on n'y ajoute plus de pièce"):
        ballots.add_attachment(proposal, actor=cast.user("referent"), now=LATER,
                               upload=SimpleUploadedFile("a.pdf", PDF))
