"""Routes on a scenario too big for the machine's memory: a clear message and exit 2, never
an internal error."""

from __future__ import annotations

import pandas as pd
import pytest
from typer.testing import CliRunner

from optimizer import load_scenario
from optimizer.cli.main import app
from optimizer.errors import InputError
from optimizer.models.routing.scenario import routing_locations
from optimizer.pipeline import routes as adapter
from optimizer.pipeline.registry import run_model
from optimizer.pipeline.spots import travel_spots
from tests.conftest import LIECHTENSTEIN


def _stops() -> int:
    return len(routing_locations(load_scenario(LIECHTENSTEIN)).ids)


def _spots() -> int:
    """The scenario's distinct places on the roads (the matrices' rows)."""
    sc = load_scenario(LIECHTENSTEIN)
    places = routing_locations(sc)
    points = pd.DataFrame({"id": list(places.ids), "lat": places.lat, "lon": places.lon})
    return travel_spots(sc, points).count


def test_matrices_bigger_than_the_memory_left_are_refused_in_words(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    stops, spots = _stops(), _spots()
    assert spots <= stops
    monkeypatch.setattr(adapter, "BYTES_PER_PAIR", 10**7)  # the scenario's figures in GB
    need = 10**7 * spots**2
    monkeypatch.setattr(adapter, "_memory_available", lambda: need / 2)
    monkeypatch.setattr(adapter, "travel", _never)
    with pytest.raises(InputError) as error:
        run_model(load_scenario(LIECHTENSTEIN), "routes", time_limit=1)
    assert error.value.first_line == (
        f"{stops} stops at {spots} distinct places on the roads need at least "
        f"{need / 1e9:.1f} GB for the distance matrices; this machine has {need / 2e9:.1f} GB "
        "available: route fewer members at once (say one cooperative or one region per "
        "scenario) or use a machine with more memory"
    )


def test_running_out_of_memory_on_the_way_says_the_same(monkeypatch: pytest.MonkeyPatch) -> None:
    """The estimate is a lower bound: an allocation that fails later is reported alike."""
    monkeypatch.setattr(adapter, "_memory_available", lambda: 7.5e9)
    monkeypatch.setattr(adapter, "travel", _out_of_memory)
    with pytest.raises(
        InputError, match=f"^{_stops()} stops at .* need at least .* this machine has 7.5 GB"
    ):
        run_model(load_scenario(LIECHTENSTEIN), "routes", time_limit=1)


def test_the_command_line_exits_2_with_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(adapter, "_memory_available", lambda: 1000.0)
    monkeypatch.setattr(adapter, "travel", _never)
    result = CliRunner().invoke(app, ["solve", str(LIECHTENSTEIN), "--model", "routes"])
    assert result.exit_code == 2, result.output
    assert (
        "distinct places on the roads need at least" in result.output
        and "internal error" not in result.output
    )
    assert len(result.output.strip().splitlines()) == 1


def test_the_memory_left_is_a_positive_number() -> None:
    assert adapter._memory_available() > 0


def _never(*args: object, **kwargs: object) -> None:
    raise AssertionError("the road search ran although the matrices cannot fit")


def _out_of_memory(*args: object, **kwargs: object) -> None:
    raise MemoryError("Unable to allocate 2.30 GiB")
