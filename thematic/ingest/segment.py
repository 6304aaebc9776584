"""Segmentation into coding units, and the stable unit id.

A unit is a whole response (``response``) or one sentence of it (``sentence``). Units keep their
character offsets (code points, end exclusive) into the response text. The id is derived from the
respondent id, the question id and the offsets, so two projects built from the same file agree on
every unit id.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

UNIT_KINDS = ("response", "sentence")
_PREFIX_SAFE = re.compile(r"[^A-Za-z0-9_-]+")


@dataclass(frozen=True)
class Segment:
    start: int
    end: int
    text: str


def unit_id(respondent_id: str, question_id: str, start: int, end: int) -> str:
    """A short stable id with a readable prefix (the respondent id), e.g. ``R001.fe9d9de9a2``.

    >>> unit_id("R001", "answer", 0, 42)
    'R001.fe9d9de9a2'
    """
    digest = hashlib.sha256(f"{respondent_id}\x1f{question_id}\x1f{start}\x1f{end}".encode()).hexdigest()
    prefix = _PREFIX_SAFE.sub("-", respondent_id)[:16].strip("-") or "u"
    return f"{prefix}.{digest[:10]}"


def text_sha256(text: str) -> str:
    """The hex sha256 of the UTF-8 text: stored with each unit, and the key of the embedding cache.

    >>> text_sha256("ok")[:12]
    '2689367b205c'
    """
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def unit_rows(
    response_id: int, respondent_id: str, question_id: str, segments: Iterable[Segment]
) -> list[tuple]:
    """Rows for ``store.corpus.insert_units``: (id, response id, seq, start, end, text, text sha256)."""
    return [
        (
            unit_id(respondent_id, question_id, seg.start, seg.end),
            response_id,
            seq,
            seg.start,
            seg.end,
            seg.text,
            text_sha256(seg.text),
        )
        for seq, seg in enumerate(segments)
    ]


def whole_response(text: str) -> list[Segment]:
    return [Segment(0, len(text), text)] if text.strip() else []


def _load_sentencizer():
    import spacy

    if spacy.util.is_package("en_core_web_sm"):
        nlp = spacy.load("en_core_web_sm", exclude=["ner", "lemmatizer", "attribute_ruler", "tagger"])
        return nlp, "en_core_web_sm"
    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    return nlp, "spacy blank 'en' + sentencizer"


def sentences(texts: Iterable[str], *, batch_size: int = 512, nlp=None) -> Iterator[list[Segment]]:
    """Split each text into sentences with spaCy (``nlp.pipe`` in batches); yields one list per text.

    ``nlp``: the spaCy pipeline that sets sentence boundaries (default: the one ``--unit sentence`` uses).
    Whitespace around a sentence is not part of it; a text with no words yields an empty list.
    """
    if nlp is None:
        nlp, _ = _load_sentencizer()
    for doc in nlp.pipe(texts, batch_size=batch_size):
        segments = []
        for sent in doc.sents:
            start, end = sent.start_char, sent.end_char
            raw = doc.text[start:end]
            lead = len(raw) - len(raw.lstrip())
            trail = len(raw) - len(raw.rstrip())
            start, end = start + lead, end - trail
            if end > start:
                segments.append(Segment(start, end, doc.text[start:end]))
        yield segments


def segmenter_name(kind: str) -> str:
    if kind == "response":
        return "whole response"
    return _load_sentencizer()[1]
