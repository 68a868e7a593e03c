"""read_jsonl's one policy for each kind of line, and the shared reader built on it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from vision_r1_plugins.core.rows import BadRow, InputError, drop_partial_line, read_jsonl, read_rows


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_each_line_is_a_row_or_a_bad_row_with_its_line_and_reason(tmp_path: Path) -> None:
    source = _write(
        tmp_path / "rows.jsonl",
        '{"id": 1}\n'  # 1: good
        "\n"  # 2: blank, ignored
        "   \n"  # 3: whitespace only, ignored
        "not json\n"  # 4: bad JSON
        "[1, 2]\n"  # 5: JSON, not an object
        '"text"\n'  # 6: JSON, not an object
        '{"id": 7}\n',  # 7: good
    )
    rows = list(read_jsonl(source))
    assert [number for number, _ in rows] == [1, 4, 5, 6, 7]
    assert rows[0] == (1, {"id": 1}) and rows[-1] == (7, {"id": 7})
    bad = [row for _, row in rows if isinstance(row, BadRow)]
    assert [(row.line, row.reason) for row in bad] == [(4, "invalid_json"), (5, "invalid_row"), (6, "invalid_row")]
    assert bad[0].detail.startswith("not valid JSON (Expecting value")
    assert bad[1].detail == "expected a JSON object, got a JSON array"
    assert str(bad[2]) == "line 6: invalid_row: expected a JSON object, got a JSON string"


def test_a_user_files_last_line_without_newline_is_a_row(tmp_path: Path) -> None:
    source = _write(tmp_path / "user.jsonl", '{"id": 1}\n{"id": 2}')
    assert [row for _, row in read_jsonl(source)] == [{"id": 1}, {"id": 2}]
    cut = _write(tmp_path / "cut.jsonl", '{"id": 1}\n{"id": 2')
    rows = [row for _, row in read_jsonl(cut)]
    assert rows[0] == {"id": 1} and isinstance(rows[1], BadRow) and rows[1].line == 2  # counted, not dropped


def test_an_own_files_partial_last_line_is_ignored(tmp_path: Path) -> None:
    source = _write(tmp_path / "store.jsonl", '{"id": 1}\n{"id": 2}\n{"id": 3, "res')
    assert [row for _, row in read_jsonl(source, own_file=True)] == [{"id": 1}, {"id": 2}]
    complete = _write(tmp_path / "whole.jsonl", '{"id": 1}\n{"id": 2}\n')
    assert len(list(read_jsonl(complete, own_file=True))) == 2
    # A bad line that did get its newline is not a partial write: it is still reported.
    broken = _write(tmp_path / "broken.jsonl", '{"id": 1}\nxx\n{"id": 3}\n')
    assert [type(row).__name__ for _, row in read_jsonl(broken, own_file=True)] == ["dict", "BadRow", "dict"]


def test_drop_partial_line_truncates_only_the_cut_tail(tmp_path: Path) -> None:
    source = _write(tmp_path / "log.jsonl", '{"a": 1}\n{"a": 2}\n{"a": ')
    drop_partial_line(source)
    assert source.read_text() == '{"a": 1}\n{"a": 2}\n'
    drop_partial_line(source)  # nothing cut: unchanged
    assert source.read_text() == '{"a": 1}\n{"a": 2}\n'
    only_partial = _write(tmp_path / "first.jsonl", '{"a": ')
    drop_partial_line(only_partial)
    assert only_partial.read_text() == ""
    long_tail = _write(tmp_path / "long.jsonl", '{"a": 1}\n' + json.dumps({"b": "x" * 200_000})[:-1])
    drop_partial_line(long_tail)  # the cut line is longer than one read of the tail
    assert long_tail.read_text() == '{"a": 1}\n'


def test_read_jsonl_streams(tmp_path: Path) -> None:
    source = _write(tmp_path / "rows.jsonl", '{"id": 1}\n')
    rows = read_jsonl(source)
    assert next(rows) == (1, {"id": 1})
    with source.open("a", encoding="utf-8") as handle:  # written after reading began: still read
        handle.write('{"id": 2}\n')
    assert list(rows) == [(2, {"id": 2})]


def test_missing_file_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="input not found"):
        list(read_jsonl(tmp_path / "nowhere.jsonl"))


def test_read_rows_uses_the_same_policy_for_jsonl(tmp_path: Path) -> None:
    source = _write(tmp_path / "rows.jsonl", '{"id": 1}\n\nnope\n[3]\n')
    rows = list(read_rows(source))
    assert rows[0] == {"id": 1}
    assert [(row.line, row.reason) for row in rows[1:]] == [(3, "invalid_json"), (4, "invalid_row")]


def test_a_line_that_is_not_utf8_is_one_bad_row(tmp_path: Path) -> None:
    source = tmp_path / "latin1.jsonl"
    source.write_bytes(b'{"id": 1}\n{"name": "caf\xe9"}\n{"id": 3}\n')
    rows = list(read_jsonl(source))
    assert [number for number, _ in rows] == [1, 2, 3]
    assert isinstance(rows[1][1], BadRow) and rows[1][1].detail.startswith("not UTF-8 text")
    assert rows[2] == (3, {"id": 3})


def test_windows_line_endings_are_rows(tmp_path: Path) -> None:
    source = tmp_path / "crlf.jsonl"
    source.write_bytes(b'{"id": 1}\r\n\r\n{"id": 2}\r\n')
    assert [row for _, row in read_jsonl(source, own_file=True)] == [{"id": 1}, {"id": 2}]
