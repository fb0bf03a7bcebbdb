"""The short crash test: 20 kill -9's under load, nothing acknowledged lost (see docs/reliability.md),
on each store (`database`: SQLite, then a PostgreSQL schema of the test cluster)."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "reliability"))
from crash_test import crash_test  # noqa: E402


def test_twenty_kills_lose_nothing_acknowledged(database):
    ok, report = crash_test(kills=20, clients=24, workshops=3, database=database)
    assert report["kills"] == 20 and report["clients"] >= 20
    assert report["store"] == ("postgres" if database else "sqlite")
    assert report["integrity"] == "ok", report
    assert report["missing"] == 0 and report["duplicated"] == 0 and report["seq_gaps"] == 0, report
    assert report["acknowledged"] > 20 and report["journaled_events"] >= report["acknowledged"], report
    assert ok, report
