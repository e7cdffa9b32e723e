"""The classifier's view of a text (pure): normalised characters, jieba words and the context tokens (channel,
place) that are appended as features of their own."""

from __future__ import annotations

import logging
import re
import unicodedata

import jieba

jieba.setLogLevel(logging.WARNING)

WORD_CHARS = 300  # words are cut from the opening of a long message only: the rest adds time, not accuracy
SPACE = re.compile(r"\s+")
DIGITS = re.compile(r"\d+")
CONTEXT_MARK = "\x01"  # separates the text from its context tokens (never in normalised text)


def normalize(text: str) -> str:
    """NFKC (full-width to half-width), lower case, runs of digits as one "0", white space collapsed."""
    text = unicodedata.normalize("NFKC", text).lower()
    return SPACE.sub(" ", DIGITS.sub("0", text)).strip()


def with_context(text: str, channel: str | None = None, place: str | None = None) -> str:
    """The text and its context tokens in one string, so that a document stays one string for the vectorisers."""
    return attach_context(normalize(text), channel, place)


def attach_context(normal: str, channel: str | None = None, place: str | None = None) -> str:
    """A normalised text and its context tokens in one string."""
    tokens = [f"ch={channel}" if channel else "", f"at={place}" if place else ""]
    extra = " ".join(t for t in tokens if t)
    return f"{normal}{CONTEXT_MARK}{extra}" if extra else normal


def body(doc: str) -> str:
    return doc.split(CONTEXT_MARK, 1)[0]


def context_tokens(doc: str) -> list[str]:
    parts = doc.split(CONTEXT_MARK, 1)
    return parts[1].split() if len(parts) == 2 else []


def words(doc: str) -> list[str]:
    """jieba words of the text's opening (single characters and spaces dropped: the character n-grams have
    them), then the context tokens."""
    text = body(doc)[:WORD_CHARS]
    return [w for w in jieba.lcut(text, HMM=False) if len(w) > 1 and not w.isspace()] + context_tokens(doc)
