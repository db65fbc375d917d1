"""The benchmark's choice of run per method and its refusal of a bad round count."""

import pytest

from bench.run import main, median_run


def test_median_run_is_the_middle_throughput_whatever_the_order():
    runs = [{"chars_per_s": 5300.0, "id": "a"}, {"chars_per_s": 4700.0, "id": "b"}, {"chars_per_s": 5200.0, "id": "c"}]
    assert median_run(runs)["id"] == "c"
    assert median_run(runs[:2])["id"] == "b"  # even count: the lower middle one
    assert median_run(runs[:1])["id"] == "a"


def test_zero_rounds_are_refused(capsys):
    with pytest.raises(SystemExit) as stop:
        main(["--rounds", "0"])
    assert stop.value.code == 2
    assert "--rounds must be at least 1" in capsys.readouterr().err
