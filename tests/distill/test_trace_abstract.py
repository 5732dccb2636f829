"""abstract(): run-specific values become named placeholders, so rules from different runs read (and merge) alike."""

from __future__ import annotations

import pytest

from skillforge.distill.heuristic.abstract import abstract, abstract_value, instance_values, is_scratch_file


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("cat: /Users/alice/repo/tests/x.py: No such file or directory", "cat: {path}: No such file or directory"),
        ("Process running with session ID 47596", "Process running with session ID {session_id}"),
        ('{"reservation_id": "ZFA04Y", "flight_number": "HAT290"}',
         '{"reservation_id": "{reservation_id}", "flight_number": "{flight_id}"}'),
        ("pay with gift_card_8190333", "pay with {gift_card_id}"),
        ("user_id: mia_li_3668 booked order #W2378156", "user_id: {user_id} booked order {order_id}"),
        ("edit 12:14", "edit {line_range}"),
        ('File "/testbed/django/x.py", line 42, in <module>', 'File "{path}", line {line}, in <module>'),
        ("python reproduce_issue.py && python verify_fix.py", "python {scratch_script} && python {scratch_script}"),
        ("commit 3f2a9c1d4e5 by bob@example.com", "commit {hash} by {email}"),
        ("on 2024-05-15T10:00:00Z at 10:30:12", "on {datetime} at {time}"),
        ("first_name: Mia, last_name: Li", "first_name: {first_name}, last_name: {last_name}"),
        ("charged 123456 cents", "charged {number} cents"),
    ],
)
def test_instance_values_become_placeholders(text: str, expected: str) -> None:
    assert abstract(text) == expected
    assert abstract(expected) == expected  # idempotent: placeholders are never matched again
    assert instance_values(text) and not instance_values(expected)


@pytest.mark.parametrize(
    "text",
    ["uses SHA256, PEP8, python3, utf-8 and E501", "zsh:1: operation not permitted: ps", "django/views/debug.py",
     "Run `pytest tests/test_x.py -q`", "gift card balance is not enough", "localhost:8000"],
)
def test_general_words_stay(text: str) -> None:
    assert abstract(text) == text


def test_two_runs_differing_only_by_ids_read_the_same() -> None:
    a = abstract("book_reservation failed: flight HAT290 not available on 2024-05-20")
    b = abstract("book_reservation failed: flight HAT118 not available on 2024-05-23")
    assert a == b == "book_reservation failed: flight {flight_id} not available on {date}"


def test_scratch_files_created_by_the_run_and_typed_arguments() -> None:
    assert abstract("python test_bug.py -v", scratch=["/testbed/test_bug.py"]) == "python {scratch_script} -v"
    assert is_scratch_file("/tmp/verify_fix.py") and not is_scratch_file("django/views/debug.py")
    assert abstract_value("flight_number", "HAT290") == "{flight_id}"
    assert abstract_value("cabin", "economy") == "economy"
    assert abstract_value("first_name", "Mia") == "{first_name}"
