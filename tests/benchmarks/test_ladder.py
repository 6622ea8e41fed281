"""The ladder benchmark's own arithmetic and one real run of ``optimizer solve`` through it."""

from __future__ import annotations

import math
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
import ladder  # type: ignore[import-not-found]


def _row(model: str, members: int, wall_s: float, status: str = "optimal") -> dict[str, object]:
    return {
        "model": model,
        "members": members,
        "wall_s": wall_s,
        "runtime_s": wall_s / 2,
        "peak_mb": 300.0,
        "status": status,
        "gap": 0.0,
    }


def test_growth_exponent_is_log_time_ratio_over_log_size_ratio() -> None:
    rows = [_row("hubs", 100, 2.0), _row("hubs", 400, 8.0), _row("hubs", 1600, 64.0)]
    found = ladder.growth(rows)
    assert [(g["from"], g["to"]) for g in found] == [(100, 400), (400, 1600)]
    assert found[0]["exponent"] == pytest.approx(1.0)  # 4x members, 4x time: linear
    assert found[1]["exponent"] == pytest.approx(math.log(8) / math.log(4), abs=0.01)
    assert found[1]["exponent_own"] == found[1]["exponent"]  # own runtime is half the wall


def test_no_exponent_next_to_a_stopped_run() -> None:
    rows = [_row("routes", 100, 2.0), _row("routes", 400, 300.0, "stopped at the time limit")]
    assert ladder.growth(rows)[0]["exponent"] is None
    table = ladder.markdown(rows)
    row = "| 400 | routes | 300.0 (150.0) | 300 | stopped at the time limit | 0 % | – (–) |"
    assert row in table


@pytest.mark.slow
def test_a_small_rung_runs_every_model_through_the_command(tmp_path: Path) -> None:
    folder = ladder.build_scenario(12, tmp_path / "members-12")
    store = f"sqlite:///{tmp_path / 'runs.sqlite'}"
    for model in ladder.MODELS:
        row = ladder.run_once(folder, model, store=store, time_limit=120)
        assert row["exit"] == 0, row
        assert row["status"] in ("optimal", "feasible"), row
        assert 0 < row["runtime_s"] < row["wall_s"]
        assert row["peak_mb"] > 50  # the child's own memory, not this process's


@pytest.mark.slow
def test_the_cooperatives_split_at_1500_members_is_proven_and_no_group_beats_it(
    tmp_path: Path,
) -> None:
    """At federation scale the cooperative-level split still rests on proven coalition costs:
    every coalition's cost is solved again here from scratch (each plan checked by the model's
    checker), and no group of cooperatives pays more under the split than on its own."""
    from itertools import combinations

    from optimizer import load_scenario, run_model
    from optimizer.models.procurement.scenario import member_groups, scenario_procurement_data
    from optimizer.models.procurement.sharing import procurement_game
    from optimizer.pipeline.procurement import _deliveries

    scenario = load_scenario(ladder.build_scenario(1500, tmp_path / "m-1500", scale=True))
    run = run_model(scenario, "procurement")
    assert run.status.value == "optimal"
    buying = {d.member for d in scenario.demand}
    assert set(run.tables["split"]["member"]) == buying  # every member who buys is billed
    (stability,) = run.tables["stability"].to_dict("records")
    assert stability["stable"] and stability["proven"], stability
    by_player = run.tables["split_by_player"]
    shares = dict(zip(by_player["player"], by_player["share"], strict=True))
    data = scenario_procurement_data(scenario, _deliveries(scenario).distance_m / 1000)
    game = procurement_game(data, level="cooperative", groups=member_groups(scenario, data))
    players = list(game.players)
    assert sorted(players) == sorted(shares)
    total = game.cost(range(len(players)))
    assert sum(shares.values()) == pytest.approx(total, rel=1e-6)
    for size in range(1, len(players)):
        for group in combinations(range(len(players)), size):
            paid = sum(shares[players[i]] for i in group)
            assert paid <= game.cost(group) + 1e-6 * total, [players[i] for i in group]
    assert game.bounds() == ()  # every coalition's cost proven optimal, none a bound
