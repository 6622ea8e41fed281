"""Running sweeps: on a local Dask cluster as serially, resumed after a stop, from the CLI."""

from __future__ import annotations

import os
import sys
import types
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from typer.testing import CliRunner

from optimizer.cli.main import app
from optimizer.scenario.load import load_scenario
from optimizer.scenario.scenario import Scenario
from optimizer.sweep import parse_spec
from optimizer.sweep.record import MemoryRecorder
from optimizer.sweep.results import sweep_tables
from optimizer.sweep.run import SweepRun, SweepStopped, run_sweep
from optimizer.sweep.worker import SampleOutput
from tests.conftest import MECKLENBURG, TINY

TINY_SPEC = parse_spec(
    {"vary": {"fuel_price_factor": "0.8:1.6:3"}, "draw": {"prices": 0.2, "supply": 0.3}},
    "tiny-sweep.yaml",
)
ROADS_SPEC = parse_spec(
    {
        "vary": {"fuel_price_factor": "0.9,1.3"},
        "draw": {"closures": [{"name": "B 96", "probability": 0.5}], "prices": 0.1},
    },
    "roads-sweep.yaml",
)
runner = CliRunner()


class CountingRecorder(MemoryRecorder):
    """A memory recorder that counts what it records in this process."""

    recorded: list[int]

    def __init__(self) -> None:
        super().__init__()
        self.recorded = []

    def record(
        self, output: SampleOutput, sweep_id: int, options: Mapping[str, Any], base: Scenario
    ) -> int:
        self.recorded.append(output.index)
        return super().record(output, sweep_id, options, base)


def assert_same_results(a: SweepRun, b: SweepRun) -> None:
    assert [r.index for r in a.results] == [r.index for r in b.results]
    for x, y in zip(a.results, b.results, strict=True):
        assert x.inputs == y.inputs
        assert x.status == y.status == "optimal"
        assert x.kpis.keys() == y.kpis.keys()
        for kpi, value in x.kpis.items():
            assert y.kpis[kpi] == pytest.approx(value, rel=1e-9, abs=1e-9), kpi
        pd.testing.assert_frame_equal(x.per_member, y.per_member, rtol=1e-9)
        assert (x.hubs_open, x.corridors) == (y.hubs_open, y.corridors)


# Dask's own notes under load (slow scratch folders, a busy port) are not the sweep's failures
@pytest.mark.filterwarnings("ignore::UserWarning:distributed")
def test_local_cluster_equals_serial_and_loads_roads_once_per_worker(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a main script that cannot run again (what Streamlit's page tests leave as __main__):
    # the workers must start all the same (they once ran it again and died)
    script = tmp_path / "page.py"
    script.write_text("raise SystemExit('this page cannot run twice')\n", encoding="utf-8")
    main = types.ModuleType("__main__")
    main.__file__ = str(script)
    monkeypatch.setitem(sys.modules, "__main__", main)
    base = load_scenario(MECKLENBURG)
    serial = run_sweep(ROADS_SPEC, base, "markets", n=4, seed=5, workers=0)
    assert any(r.inputs["closed B 96"] for r in serial.results)
    assert any(not r.inputs["closed B 96"] for r in serial.results)
    seen: list[tuple[int, int]] = []
    on_dask = run_sweep(
        ROADS_SPEC,
        base,
        "markets",
        n=4,
        seed=5,
        workers=2,
        progress=lambda done, total: seen.append((done, total)),
    )
    assert_same_results(serial, on_dask)
    assert seen[0] == (0, 4) and seen[-1] == (4, 4)
    # each worker read the road file once, whatever closures its samples had
    assert on_dask.network_loads
    assert set(on_dask.network_loads.values()) == {1}
    assert os.getpid() not in on_dask.network_loads
    # the cluster's start, preparation and close are timed apart from the samples
    assert serial.setup_s == 0 and on_dask.setup_s > 0


def test_stop_then_resume_runs_only_the_missing_samples() -> None:
    base = load_scenario(TINY)
    recorder = CountingRecorder()

    def stop_after_two(done: int, total: int) -> None:
        if done == 2:
            raise KeyboardInterrupt

    with pytest.raises(SweepStopped) as stopped:
        run_sweep(
            TINY_SPEC,
            base,
            "hubs",
            n=5,
            seed=1,
            workers=0,
            recorder=recorder,
            progress=stop_after_two,
        )
    assert (stopped.value.done, stopped.value.total) == (2, 5)
    assert recorder.recorded == [0, 1]
    resumed = run_sweep(
        TINY_SPEC,
        base,
        "hubs",
        n=5,
        seed=1,
        workers=0,
        recorder=recorder,
        resume=stopped.value.sweep_id,
    )
    assert recorder.recorded == [0, 1, 2, 3, 4]
    assert resumed.resumed == 2 and resumed.done == 5
    straight = run_sweep(TINY_SPEC, base, "hubs", n=5, seed=1, workers=0)
    assert_same_results(straight, resumed)


def test_resume_with_another_seed_is_refused() -> None:
    base = load_scenario(TINY)
    recorder = MemoryRecorder()
    first = run_sweep(TINY_SPEC, base, "hubs", n=2, seed=1, workers=0, recorder=recorder)
    with pytest.raises(Exception, match="the same spec, scenario and seed"):
        run_sweep(
            TINY_SPEC,
            base,
            "hubs",
            n=3,
            seed=2,
            workers=0,
            recorder=recorder,
            resume=first.sweep_id,
        )


def test_results_tables_of_a_hubs_sweep() -> None:
    base = load_scenario(TINY)
    run = run_sweep(TINY_SPEC, base, "hubs", n=6, seed=1, workers=0)
    tables = sweep_tables(run.results)
    kpis = tables.kpis.set_index("kpi")
    values = [r.kpis["net value"] for r in run.results]
    assert kpis.loc["net value", "samples"] == 6
    assert kpis.loc["net value", "min"] == pytest.approx(min(values))
    assert kpis.loc["net value", "p50"] == pytest.approx(pd.Series(values).median())
    fuel = tables.sensitivity[
        (tables.sensitivity["kpi"] == "net value")
        & (tables.sensitivity["input"] == "fuel_price_factor")
    ].iloc[0]
    low = [r.kpis["net value"] for r in run.results if r.inputs["fuel_price_factor"] == 0.8]
    assert fuel["kpi_at_low"] == pytest.approx(sum(low) / len(low))
    opened = {h for r in run.results for h in r.hubs_open}
    assert set(tables.hubs["hub"]) == opened
    share = sum("h1" in r.hubs_open for r in run.results) / 6
    assert tables.hubs.set_index("hub").loc["h1", "share_open"] == pytest.approx(share)
    members = tables.members.set_index("member")
    assert set(members.index) == set(run.results[0].per_member["member"])
    assert (members["samples"] == 6).all()


def test_cli_sweep_writes_tables_and_charts(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = runner.invoke(
        app,
        [
            "sweep",
            str(TINY),
            "-m",
            "hubs",
            "--samples",
            "4",
            "--seed",
            "1",
            "--vary",
            "fuel_price_factor=0.8:1.6:2",
            "--draw",
            "supply=0.3",
            "--workers",
            "0",
            "--no-store",
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "Each KPI over the samples" in result.output
    for name in (
        "kpis.csv",
        "sensitivity.csv",
        "members.csv",
        "hubs.csv",
        "samples.csv",
        "sweep-hubs.xlsx",
        "distribution.html",
        "distribution.png",
        "tornado.html",
        "tornado.png",
        "sweep-hubs.json",
    ):
        assert (out / name).stat().st_size > 0, name
    samples = pd.read_csv(out / "samples.csv")
    assert list(samples["sample"]) == [0, 1, 2, 3]
    assert (out / "tornado.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--vary", "fuel_price=1:2:3"], "key 'fuel_price'"),
        (["--vary", "season=dry,wet"], "key 'vary.season'"),
        (["--draw", "prices=2"], "key 'draw.prices'"),
        ([], "expected something to vary"),
        (["--vary", "season=dry", "--resume", "3"], "--resume needs the store"),
    ],
)
def test_cli_bad_spec_is_one_error_line_and_exit_2(args: list[str], message: str) -> None:
    result = runner.invoke(
        app, ["sweep", str(TINY), "-m", "hubs", "--workers", "0", "--no-store", *args]
    )
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "Traceback" not in result.output


def test_cli_bad_spec_file_names_file_and_key(tmp_path: Path) -> None:
    spec = tmp_path / "sweep.yaml"
    spec.write_text(f"base: {TINY}\nvary:\n  fuel_price_factor: 0.8:1.6:x\n", encoding="utf-8")
    result = runner.invoke(app, ["sweep", str(spec), "-m", "hubs", "--no-store"])
    assert result.exit_code == 2
    assert str(spec) in result.output and "vary.fuel_price_factor" in result.output


def test_a_sample_the_model_fails_on_is_reported_and_the_sweep_goes_on(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from optimizer.sweep import worker

    real = worker.run_model

    def failing(scenario: Any, model: str, **options: Any) -> Any:
        if scenario.name.endswith("sample 1"):
            raise ValueError("weights must be one non-negative number per player, not all 0")
        return real(scenario, model, **options)

    monkeypatch.setattr(worker, "run_model", failing)
    recorder = CountingRecorder()
    base = load_scenario(TINY)
    run = run_sweep(TINY_SPEC, base, "hubs", n=3, seed=1, workers=0, recorder=recorder)
    assert [r.index for r in run.results] == [0, 2] == recorder.recorded
    [(index, inputs, error)] = run.failed
    assert index == 1 and inputs["fuel_price_factor"] == 1.2
    assert error.startswith("ValueError: weights must be")


def test_a_default_store_that_cannot_be_made_does_not_stop_a_sweep(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocked = tmp_path / "a file, not a folder"
    blocked.write_text("x")
    monkeypatch.delenv("COOP_OPTIMIZER_STORE", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(blocked))
    args = ["sweep", str(TINY), "-m", "hubs", "--samples", "2", "--draw", "supply=0.3"]
    result = runner.invoke(app, [*args, "--workers", "0"])
    assert result.exit_code == 0, result.output
    assert "this run is not recorded" in result.output
    assert "Each KPI over the samples" in result.output
    # a store named on purpose, or a resume (which reads the store), still must open
    named = runner.invoke(app, [*args, "--store", f"sqlite:///{blocked}/runs.sqlite"])
    assert named.exit_code == 2, named.output
    assert runner.invoke(app, [*args, "--resume", "1"]).exit_code == 2


def test_cli_sweep_robust_plans_hubs_over_the_sweeps_samples(tmp_path: Path) -> None:
    from optimizer.pipeline.robust import robust_hubs
    from optimizer.sweep import samples

    out = tmp_path / "out"
    args = ["sweep", str(TINY), "-m", "hubs", "--samples", "3", "--seed", "2"]
    args += ["--draw", "supply=0.3", "--workers", "0", "--no-store"]
    result = runner.invoke(app, [*args, "--robust", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "The hubs to open once for all the samples" in result.output
    assert (out / "robust").is_dir() and any((out / "robust").iterdir())
    # the same plan as the robust model on those samples (checked inside robust_hubs)
    spec = parse_spec({"draw": {"supply": 0.3}}, "flags")
    alone = robust_hubs([s.scenario for s in samples(spec, load_scenario(TINY), 3, seed=2)])
    hubs_line = alone.summary.splitlines()[1]
    assert hubs_line.startswith("hubs open in every future: ")
    assert hubs_line in result.output
    refused = runner.invoke(app, [*args[:3], "markets", *args[4:], "--robust"])
    assert refused.exit_code == 2 and "--robust" in refused.output
