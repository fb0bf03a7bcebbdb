"""The short crash test: 20 kill -9's under load, nothing acknowledged lost (see docs/reliability.md)."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "reliability"))
from crash_test import crash_test  # noqa: E402


def test_twenty_kills_lose_nothing_acknowledged():
    ok, report = crash_test(kills=20, clients=24, workshops=3)
    assert report["kills"] == 20 and report["clients"] >= 20
    assert report["integrity"] == "ok"
    assert report["missing"] == 0 and report["duplicated"] == 0 and report["seq_gaps"] == 0, report
    assert ok, report
