"""events.jsonl after a power cut: a torn last line must not swallow the next event."""

import json

from localtune_runtime.event_schema import parse_event_line
from localtune_runtime.events import EVENTS_FILE, EventLog, read_events


def test_an_event_after_a_torn_line_starts_on_a_line_of_its_own(tmp_path):
    path = tmp_path / EVENTS_FILE
    torn = '{"v":1,"type":"progress","time":1.0,"run_id":"r","demo":true,"st'
    path.write_text('{"v":1,"type":"warning","time":0.5,"run_id":"r","demo":true,"kind":"resume","message":"first"}\n' + torn,
                    encoding="utf-8")
    EventLog(path, "r", True).warning("resume", "after the power cut")
    lines = path.read_text(encoding="utf-8").split("\n")
    assert lines[1] == torn  # the torn line stays as it was: the app reports it
    event, error = parse_event_line(lines[2])
    assert error is None and event["message"] == "after the power cut"
    assert lines[3] == ""  # every event ends its line


def test_no_blank_line_is_added_to_a_whole_file(tmp_path):
    path = tmp_path / EVENTS_FILE
    log = EventLog(path, "r", True)
    log.warning("resume", "one")
    log.warning("resume", "two")
    assert [json.loads(line)["message"] for line in path.read_text(encoding="utf-8").splitlines()] == ["one", "two"]


def test_read_events_skips_a_torn_line(tmp_path):
    path = tmp_path / EVENTS_FILE
    path.write_text('{"v":1,"type":"warn\n{"a": 1}\n', encoding="utf-8")
    assert read_events(tmp_path) == [{"a": 1}]
