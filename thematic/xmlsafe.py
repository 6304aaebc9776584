"""Reading XML that other programs wrote, safely: entity tricks and external references are refused.

Used by the REFI-QDA codebook (.qdc) and project (.qdpx) readers. Parse inside
``with refusing_unsafe_xml(...)``; defusedxml's exceptions come out as one-line ThematicErrors. The
.qdpx reader parses with ``forbid_dtd=True``: a document type declaration of any kind is refused.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from thematic.errors import ThematicError


def parse_untrusted(data: bytes, target, source: str, *, forbid_dtd: bool, advice: str, malformed: str,
                    unreadable: str):
    """Parse ``data`` into the ElementTree parser ``target`` (whose ``expat`` attribute is set, so it can
    read line numbers) with defusedxml, inside :func:`refusing_unsafe_xml`; returns ``target.close()``.

    ``unreadable`` begins the message for bytes expat cannot decode (a bad encoding declaration).
    """
    from defusedxml.ElementTree import DefusedXMLParser

    try:
        with refusing_unsafe_xml(source, advice=advice, malformed=malformed):
            parser = DefusedXMLParser(
                target=target, forbid_dtd=forbid_dtd, forbid_entities=True, forbid_external=True
            )
            target.expat = parser.parser
            parser.feed(data)
            return parser.close()
    except (ValueError, LookupError) as exc:
        raise ThematicError(f"{source}: {unreadable} ({exc}) ({advice})") from None


@contextmanager
def refusing_unsafe_xml(source: str, *, advice: str, malformed: str) -> Iterator[None]:
    """Translate defusedxml's refusals and expat's parse errors into ThematicErrors naming ``source``.

    ``advice`` ends every message (what the user can do); ``malformed`` is the message for XML that is
    not well-formed, with ``{reason}`` where expat's reason goes.
    """
    from defusedxml import DefusedXmlException, DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden
    from defusedxml.ElementTree import ParseError

    try:
        yield
    except DTDForbidden as exc:
        points = exc.sysid or exc.pubid
        raise ThematicError(
            f"{source}: refused: it has a document type declaration (<!DOCTYPE {exc.name}"
            f"{' ... ' + points if points else ''}>), which REFI-QDA files never need (thematic reads no "
            f"DTDs, so nothing in one can expand or be fetched; {advice})"
        ) from None
    except EntitiesForbidden as exc:
        if exc.sysid or exc.pubid:
            raise ThematicError(
                f"{source}: refused: it declares an external XML entity '{exc.name}' that points to "
                f"{exc.sysid or exc.pubid} (thematic never reads external entities; {advice})"
            ) from None
        raise ThematicError(
            f"{source}: refused: it declares the XML entity '{exc.name}', which could expand without limit "
            f"(thematic never expands entities; {advice})"
        ) from None
    except ExternalReferenceForbidden as exc:
        raise ThematicError(
            f"{source}: refused: it refers to the external resource {exc.sysid} (thematic never fetches "
            f"anything; {advice})"
        ) from None
    except DefusedXmlException as exc:  # pragma: no cover - every kind defusedxml raises is caught above
        raise ThematicError(f"{source}: refused: {exc} ({advice})") from None
    except ParseError as exc:
        line = exc.position[0] if getattr(exc, "position", None) else None
        reason = str(exc).split(":")[0]
        where = f"{source}:{line}" if line else source
        raise ThematicError(f"{where}: {malformed.format(reason=reason)}") from None
