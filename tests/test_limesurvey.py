"""The LimeSurvey export format, checked against recordings from a real LimeSurvey 6 server."""

from __future__ import annotations

import json

import pytest
from rapportage.errors import PipelineError
from rapportage.sources.limesurvey import (
    decode_json_export,
    encode_json_export,
    read_responses,
)

from tests.conftest import RECORDINGS

RECORDED = RECORDINGS / "exports"


@pytest.mark.parametrize(
    "name",
    ["responses_json_base_all_code_short.json", "responses_json_base_all_code_long.json",
     "token_survey_responses_json_code_short.json", "responses_json_ar_all_full_long.json"],
)
def test_encoder_reproduces_recorded_exports_byte_for_byte(name):
    data = (RECORDED / name).read_bytes()
    assert encode_json_export(decode_json_export(data, name)) == data


def test_read_responses_keeps_codes_as_strings(tmp_path):
    path = tmp_path / "r.json"
    path.write_bytes(encode_json_export([
        {"id": 2, "submitdate": "", "lastpage": "", "startlanguage": "ar", "Q1": "01"},
        {"id": 1, "submitdate": "2025-10-02 10:00:00", "lastpage": 2, "startlanguage": "nl", "Q1": ""},
    ]))
    table = read_responses(path)
    assert table["id"].tolist() == [2, 1]
    assert table["Q1"].tolist() == ["01", ""]  # no leading zero lost, blank stays blank
    assert table["lastpage"].tolist() == ["", "2"]


def test_damaged_exports_are_clear_errors(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_bytes(b'{"responses": [{"id":1,')
    with pytest.raises(PipelineError, match="bad.json: is not a LimeSurvey JSON response export"):
        read_responses(bad)
    dup = tmp_path / "dup.json"
    dup.write_bytes(encode_json_export([{"id": 1, "submitdate": "", "startlanguage": "nl"}] * 2))
    with pytest.raises(PipelineError, match="response id 1 occurs twice"):
        read_responses(dup)
    other = tmp_path / "other.json"
    other.write_text(json.dumps({"status": "No Data, survey table does not exist."}))
    with pytest.raises(PipelineError, match="has no 'responses' list"):
        read_responses(other)
