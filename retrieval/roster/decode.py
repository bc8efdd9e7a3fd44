"""Roster bytes to text: byte order marks, UTF-8, UTF-16 (Excel's "Unicode Text") and the legacy
one-byte encodings of Windows and older Macs, detected with charset-normalizer. The encoding is
named so the import report can say how the file was read."""

from __future__ import annotations

import codecs
import contextlib
from dataclasses import dataclass

from retrieval.roster.errors import RosterFileError

SAVE_AS_UTF8 = "save it as UTF-8 (in Excel: 'CSV UTF-8') and import that file."
#: Checked in this order: a UTF-32 LE mark starts with the UTF-16 LE one.
_BYTE_ORDER_MARKS = (
    (codecs.BOM_UTF32_LE, "utf-32-le", "UTF-32"),
    (codecs.BOM_UTF32_BE, "utf-32-be", "UTF-32"),
    (codecs.BOM_UTF8, "utf-8", "UTF-8 with BOM"),
    (codecs.BOM_UTF16_LE, "utf-16-le", "UTF-16 LE with BOM"),
    (codecs.BOM_UTF16_BE, "utf-16-be", "UTF-16 BE with BOM"),
)
#: How much of a file the detector reads: enough for any roster's mix of characters.
DETECTION_SAMPLE_BYTES = 256 * 1024
#: Encodings the detector may not propose: the multi-byte Unicode forms are told apart above (a
#: short Western text otherwise passes for UTF-16 "Chinese").
_NOT_GUESSED = ["utf_16", "utf_16_le", "utf_16_be", "utf_32", "utf_32_le", "utf_32_be", "utf_7"]


@dataclass(frozen=True)
class DecodedText:
    text: str
    #: How the file was read, for the import report: ``UTF-8``, ``UTF-16 LE with BOM``, ``cp1252``.
    encoding: str


@dataclass(frozen=True)
class TextEncoding:
    """How to read a text file: the Python codec, the name for the report and the bytes of its
    byte order mark (skipped)."""

    codec: str
    label: str
    mark_length: int = 0


UTF8 = TextEncoding("utf-8", "UTF-8")


def decode_roster(data: bytes, name: str) -> DecodedText:
    """The text of a roster file; raises ``RosterFileError`` for an empty or binary file."""
    marked = marked_encoding(data, name)
    if marked is not None:
        text = _strict(data[marked.mark_length :], marked.codec, marked.label, name)
        return DecodedText(text, marked.label)
    try:
        return DecodedText(data.decode("utf-8"), "UTF-8")
    except UnicodeDecodeError:
        return _detected(data, name)


def marked_encoding(head: bytes, name: str) -> TextEncoding | None:
    """The encoding a file's first bytes (``head``) show: a byte order mark, or UTF-16 without
    one; ``None`` for one-byte text (UTF-8 or a legacy encoding). Refuses a binary file."""
    for mark, codec, label in _BYTE_ORDER_MARKS:
        if head.startswith(mark):
            return TextEncoding(codec, label, len(mark))
    if b"\x00" in head[:4000]:
        utf16 = _utf16_without_mark(head)
        if utf16 is None:
            raise RosterFileError(
                f"{name} is a binary file, not a roster; import a CSV, JSON or JSON Lines file "
                "or an Excel / OpenDocument spreadsheet."
            )
        return TextEncoding(utf16, utf16.upper())
    return None


def legacy_encoding(sample: bytes, name: str) -> TextEncoding:
    """The one-byte encoding of a file that is not UTF-8, judged from ``sample`` (its first
    ``DETECTION_SAMPLE_BYTES``), for reading it as a stream."""
    encoding = _cleanest_encoding(sample[:DETECTION_SAMPLE_BYTES])
    if encoding is None:
        raise _unrecognised(name)
    return TextEncoding(encoding, encoding)


def _strict(data: bytes, codec: str, label: str, name: str) -> str:
    try:
        return data.decode(codec)
    except UnicodeDecodeError as error:
        raise RosterFileError(
            f"{name} starts as {label} text but byte {error.start:,} is not {label}; {SAVE_AS_UTF8}"
        ) from None


def _utf16_without_mark(data: bytes) -> str | None:
    """``utf-16-le`` / ``utf-16-be`` for mostly-ASCII UTF-16: a NUL in every other byte."""
    head = data[:4000]
    even, odd = head[0::2].count(0), head[1::2].count(0)
    if min(even, odd) > 0.05 * max(even, odd) or max(even, odd) <= 0.4 * (len(head) / 2):
        return None
    return "utf-16-le" if odd else "utf-16-be"


def _detected(data: bytes, name: str) -> DecodedText:
    """A legacy encoding (cp1252, latin-1, cp1251...) as charset-normalizer judges it from the
    file's start (the whole file when the start misleads). On a short file several encodings
    look equally clean: then Windows' Western cp1252, what Excel writes, is taken when it is one
    of them."""
    for sample in (data[:DETECTION_SAMPLE_BYTES], data):
        encoding = _cleanest_encoding(sample)
        if encoding is not None:
            with contextlib.suppress(UnicodeDecodeError):
                return DecodedText(data.decode(encoding), encoding)
    raise _unrecognised(name)


def _unrecognised(name: str) -> RosterFileError:
    return RosterFileError(
        f"{name} is text in an encoding that could not be recognised; {SAVE_AS_UTF8}"
    )


def _cleanest_encoding(data: bytes) -> str | None:
    from charset_normalizer import from_bytes

    matches = from_bytes(data, cp_exclusion=_NOT_GUESSED)
    best = matches.best()
    if best is None:
        return None
    cleanest = [match for match in matches if match.chaos <= best.chaos]
    if any("cp1252" in match.could_be_from_charset for match in cleanest):
        return "cp1252"
    return best.encoding
