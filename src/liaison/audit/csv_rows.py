"""CSV records with the physical line each starts on (RFC 4180, as Python's ``csv`` reads
it: quoted cells may span lines; CRLF, LF or CR line ends) (issue 13).

The text is read as UTF-8 through ``file_bytes.HashingFile``, a leading byte-order mark
dropped. A record is numbered by the physical line it starts on, so a row whose Reason
cell spans three lines is found where a person looks for it. A record the ``csv`` module
cannot split (a cell longer than its limit, a stray quote) becomes a message at its line,
and reading goes on after it.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

from liaison.audit.file_bytes import HashingFile
from liaison.errors import AuditInputError

# A record: (physical line it starts on, its cells), or (line, why it could not be split).
Record = tuple[int, list[str] | str]


class TextSource:
    """A UTF-8 text file opened for reading, hashed as it is read."""

    def __init__(self, path: Path, sha256: str) -> None:
        self.path = path
        try:
            self.raw = HashingFile(path, sha256)
        except OSError as error:
            raise AuditInputError(f"{path}: cannot be read: {error.strerror or error}") from None
        self.text = io.TextIOWrapper(
            io.BufferedReader(self.raw, buffer_size=1 << 20), encoding="utf-8-sig", newline=""
        )

    def lines(self) -> Iterator[str]:
        """The physical lines (line ends kept), then the hash check."""
        try:
            yield from self.text
        except UnicodeDecodeError:
            raise self.changed() from None
        self.raw.verify()

    def changed(self) -> AuditInputError:
        return AuditInputError(f"{self.path}: the file changed while it was read")

    def close(self) -> None:
        self.text.close()


def csv_records(source: TextSource, delimiter: str = ",") -> Iterator[Record]:
    """Each record of ``source`` with its first physical line; blank lines yield ``[]``.
    At the end, the bytes read are checked against the file's hash."""
    reader = csv.reader(source.text, delimiter=delimiter, strict=False)
    read = 0
    try:
        while True:
            try:
                for record in reader:
                    start, read = read + 1, reader.line_num
                    yield start, record
                break
            except csv.Error as error:
                start, stuck = read + 1, reader.line_num == read
                read = reader.line_num
                yield start, f"cannot be read as CSV ({error})"
                if stuck:  # no progress: the rest cannot be read
                    return
    except UnicodeDecodeError:
        raise source.changed() from None
    source.raw.verify()
