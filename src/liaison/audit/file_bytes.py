"""The bytes of a log to import: their SHA-256 (FIPS 180-4), checked once before the first
row and again as the rows are read (issue 13: every row keeps its file's hash).

``scan`` reads the file once, streaming, and refuses it when it is missing, empty or (for
a text format) not UTF-8, naming the file and the line of the first bad byte. The reader
then reads the file through ``HashingFile``, which hashes the bytes it hands on: a file
changed between the scan and the read is caught when its end is reached (``verify``), so
no row is ever attributed to bytes other than the ones hashed.
"""

from __future__ import annotations

import codecs
import hashlib
import io
from pathlib import Path

from liaison.errors import AuditInputError

CHUNK = 1 << 20


def scan(path: Path, *, text: bool) -> str:
    """The SHA-256 (hex) of ``path``'s bytes; with ``text``, the bytes must be UTF-8."""
    digest = hashlib.sha256()
    decoder = codecs.getincrementaldecoder("utf-8")() if text else None
    size, lines = 0, 0
    try:
        with path.open("rb") as handle:
            while chunk := handle.read(CHUNK):
                digest.update(chunk)
                if decoder is not None:
                    _decode(decoder, chunk, path, lines)
                    lines += chunk.count(b"\n")
                size += len(chunk)
            if decoder is not None:
                _decode(decoder, b"", path, lines, final=True)
    except OSError as error:
        raise AuditInputError(f"{path}: cannot be read: {error.strerror or error}") from None
    if size == 0:
        raise AuditInputError(f"{path}: the file is empty")
    return digest.hexdigest()


def _decode(
    decoder: codecs.IncrementalDecoder, chunk: bytes, path: Path, lines: int, final: bool = False
) -> None:
    try:
        decoder.decode(chunk, final)
    except UnicodeDecodeError as error:
        line = lines + chunk.count(b"\n", 0, max(error.start, 0)) + 1
        raise AuditInputError(
            f"{path}:{line}: not UTF-8 (byte {chunk[error.start : error.start + 1]!r}); "
            "save the export as UTF-8 and import it again"
        ) from None


class HashingFile(io.RawIOBase):
    """A file read as raw bytes, hashed as they are read; ``verify`` compares the hash of
    everything read (the whole file, once at its end) with the hash taken by ``scan``."""

    def __init__(self, path: Path, expected: str) -> None:
        super().__init__()
        self.path = path
        self.expected = expected
        self._file = path.open("rb", buffering=0)
        self._digest = hashlib.sha256()

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        count = self._file.readinto(buffer)
        if count:
            self._digest.update(memoryview(buffer)[:count])
        return count or 0

    def verify(self) -> None:
        """Raise ``AuditInputError`` unless the bytes read hash to ``expected``."""
        while self.readinto(bytearray(CHUNK)):
            pass  # bytes left unread (after a stray end of text) still count
        if self._digest.hexdigest() != self.expected:
            raise AuditInputError(
                f"{self.path}: the file changed while it was read: the rows recorded before "
                "the change stay in the ledger under the hash it had, as an import that never "
                "completes (no report counts them); import the file again as it is now"
            )

    def close(self) -> None:
        self._file.close()
        super().close()
