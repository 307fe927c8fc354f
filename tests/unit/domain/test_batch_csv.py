"""`parse_batch_csv`: a batch CSV as rows, every bad line and column named."""

from __future__ import annotations

import pytest

from afp_core.domain.batch import BatchRow
from afp_core.domain.batch_csv import parse_batch_csv
from afp_core.domain.errors import InvalidRows, RowError, ValidationFailed


def errors_of(text: str) -> tuple[RowError, ...]:
    with pytest.raises(InvalidRows) as raised:
        parse_batch_csv(text)
    return raised.value.errors


def test_rows_carry_their_line_url_and_non_empty_options() -> None:
    text = "url,model,duration_s\nhttps://a.test/1,veo3_fast,8\nhttps://a.test/2,,\n"
    assert parse_batch_csv(text) == (
        BatchRow(2, "https://a.test/1", {"model": "veo3_fast", "duration_s": "8"}),
        BatchRow(3, "https://a.test/2", {}),
    )


def test_headers_ignore_case_spaces_and_hyphens_and_product_url_is_an_alias() -> None:
    text = "Product URL, Aspect-Ratio ,Script\nhttps://a.test/1,16:9, Hello there \n"
    assert parse_batch_csv(text) == (
        BatchRow(2, "https://a.test/1", {"aspect_ratio": "16:9", "script": "Hello there"}),
    )


def test_a_byte_order_mark_crlf_and_blank_lines_are_tolerated() -> None:
    text = "\ufeffurl\r\n\r\nhttps://a.test/1\r\n\r\nhttps://a.test/2\r\n"
    rows = parse_batch_csv(text)
    assert [(r.row_index, r.url) for r in rows] == [
        (3, "https://a.test/1"),
        (5, "https://a.test/2"),
    ]


def test_semicolon_separated_files_are_read() -> None:
    assert parse_batch_csv("url;model\nhttps://a.test/1;veo3\n") == (
        BatchRow(2, "https://a.test/1", {"model": "veo3"}),
    )


def test_a_quoted_script_with_commas_and_newlines_keeps_the_line_it_starts_on() -> None:
    text = 'url,script\nhttps://a.test/1,"Hook, then\nbody"\nhttps://a.test/2,\n'
    rows = parse_batch_csv(text)
    assert rows[0].options == {"script": "Hook, then\nbody"}
    assert [r.row_index for r in rows] == [2, 4]


def test_every_bad_row_is_named_with_its_line_and_column() -> None:
    text = "url,model\nhttps://a.test/1,x\n,veo3\nhttps://a.test/3,a,b\n"
    assert errors_of(text) == (
        RowError(3, "url", "is empty"),
        RowError(4, "row", "has 3 cells; the header names 2"),
    )


def test_a_header_without_a_url_column_or_with_unknown_columns_is_refused() -> None:
    missing = errors_of("link\nhttps://a.test/1\n")
    assert [(e.line, e.column) for e in missing] == [(1, "url"), (1, "link")]
    errors = errors_of("url,colour,url\nhttps://a.test/1,red,x\n")
    assert {(e.line, e.column) for e in errors} == {(1, "url"), (1, "colour")}


def test_an_unnamed_trailing_column_is_ignored() -> None:
    assert parse_batch_csv("url,\nhttps://a.test/1,\n") == (BatchRow(2, "https://a.test/1", {}),)


def test_an_empty_file_is_refused_and_a_header_alone_gives_no_rows() -> None:
    assert errors_of("  \n")[0].line == 1
    assert parse_batch_csv("url\n") == ()


def test_broken_quoting_names_its_line() -> None:
    (error,) = errors_of('url\nhttps://a.test/1\n"https://a.test/2"x\n')
    assert (error.line, error.column) == (3, "row")


def test_more_rows_than_the_limit_are_refused() -> None:
    text = "url\n" + "".join(f"https://a.test/{n}\n" for n in range(4))
    assert len(parse_batch_csv(text, max_rows=4)) == 4
    with pytest.raises(ValidationFailed, match="at most 3"):
        parse_batch_csv(text, max_rows=3)
