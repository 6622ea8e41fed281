"""Scenario → roads → matrices → models → results: the one place that joins them.

The faces (CLI, app) call :func:`run_model` and get a :class:`ModelRun`: the same shape for
every model — status, a few lines in words, KPIs, tables, map layers and a per-member
figure — so that exporting, comparing variants and drawing are written once. The models
themselves never see roads, only the arrays built here.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from rich.console import Console

from optimizer.errors import InputError, Problem
from optimizer.io.write import places_geojson, write_geojson, write_json, write_tables
from optimizer.results import Kpi, Status
from optimizer.scenario.scenario import Scenario
from optimizer.scenario.schema import TABLE_MODELS

__all__ = [
    "MODELS",
    "ModelRun",
    "Travel",
    "closure_report",
    "register_model",
    "road_network",
    "route_lines",
    "run_demo",
    "run_model",
    "travel",
]

FloatArray = npt.NDArray[np.float64]
FALLBACK_SPEED_KMH = 50.0


@dataclass(frozen=True)
class ModelRun:
    """One model's result on one scenario, in the shape every face uses.

    ``kpis`` are the key figures, each with its unit and direction; ``per_member`` has columns
    ``member``, ``cooperative``, ``value`` (what the member gains, or pays, as ``value_label``
    says; ``value_higher_is_better`` is False where the value is a cost to the member);
    ``layers`` are GeoJSON feature lists by layer name; ``tables`` are the decisions as
    DataFrames, raw numbers with their units in the column names.
    """

    model: str
    scenario: str
    status: Status
    summary: str
    kpis: tuple[Kpi, ...]
    tables: Mapping[str, pd.DataFrame]
    layers: Mapping[str, list[dict[str, Any]]] = field(default_factory=dict)
    per_member: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=["member", "cooperative", "value"])
    )
    value_label: str = "value"
    value_higher_is_better: bool = True
    warnings: tuple[str, ...] = ()
    runtime_s: float = 0.0
    result: Any = None

    def kpi_values(self) -> dict[str, float]:
        """Each KPI's value by its label."""
        return {k.label: k.value for k in self.kpis}

    def kpi_table(self) -> pd.DataFrame:
        """The KPIs as a table: ``kpi``, ``value``, ``unit``, ``higher_is_better``."""
        return pd.DataFrame(
            {
                "kpi": [k.label for k in self.kpis],
                "value": [k.value for k in self.kpis],
                "unit": [k.unit for k in self.kpis],
                "higher_is_better": [k.higher_is_better for k in self.kpis],
            }
        )

    def write(self, folder: Path) -> list[Path]:
        """Tables as CSV and one XLSX, map layers as GeoJSON, KPIs and summary as JSON."""
        folder = Path(folder)
        written = write_tables(
            {"kpis": self.kpi_table(), **self.tables}, folder, workbook=f"{self.model}.xlsx"
        )
        for name, features in self.layers.items():
            written.append(write_geojson(features, folder / f"{name}.geojson", roads=True))
        written.append(
            write_json(
                {
                    "model": self.model,
                    "scenario": self.scenario,
                    "status": self.status.value,
                    "summary": self.summary,
                    "kpis": self.kpi_values(),
                    "units": {k.label: k.unit for k in self.kpis},
                    "warnings": list(self.warnings),
                    "runtime_s": self.runtime_s,
                },
                folder / f"{self.model}.json",
            )
        )
        return written


ModelFunction = Callable[..., ModelRun]
MODELS: dict[str, ModelFunction] = {}


def register_model(name: str) -> Callable[[ModelFunction], ModelFunction]:
    """Make ``run_model(scenario, name)`` call the decorated function."""

    def add(function: ModelFunction) -> ModelFunction:
        MODELS[name] = function
        return function

    return add


def run_model(scenario: Scenario, model: str, **options: Any) -> ModelRun:
    """Run one model (``procurement``, ``markets``, ``hubs``, ``routes``) on a scenario.

    ``options`` go to the model (e.g. ``engine`` and ``time_limit`` for routes).
    """
    _load_models()
    if model not in MODELS:
        raise InputError(Problem("--model", f"one of {', '.join(sorted(MODELS))}", value=model))
    started = time.perf_counter()
    run = MODELS[model](scenario, **options)
    if not run.runtime_s:
        from dataclasses import replace

        run = replace(run, runtime_s=time.perf_counter() - started)
    return run


def _load_models() -> None:
    """Import the adapters that register themselves (kept lazy: they pull in the solvers)."""
    import importlib

    for module in ("optimizer.pipeline.adapters",):
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name != module:
                raise


# --------------------------------------------------------------------- roads
_NETWORKS: dict[tuple[Any, ...], Any] = {}
_CLOSURES: dict[tuple[Any, ...], Any] = {}


def _network_key(scenario: Scenario) -> tuple[Any, ...]:
    settings = scenario.network
    return (
        str(settings.file),
        tuple(sorted(settings.speeds_kmh.items())),
        settings.season,
        tuple(sorted(settings.seasonal_factors.items())),
        settings.speed_factor,
        settings.closures,
    )


def road_network(scenario: Scenario, *, progress: Callable[[str], None] | None = None) -> Any:
    """The scenario's road network with its speeds, season and closures, or None without one.

    Networks are kept in memory per file and settings (and on disk by ``optimizer.geo``), so
    a what-if that changes only prices reuses them.
    """
    settings = scenario.network
    if settings.file is None:
        return None
    from optimizer.geo import load_network

    key = _network_key(scenario)
    if key in _NETWORKS:
        return _NETWORKS[key]
    network = load_network(
        settings.file,
        speeds=settings.speeds_kmh,
        seasonal=settings.seasonal_factors,
        season=settings.season,
        speed_factor=settings.speed_factor,
        progress=progress,
    )
    if settings.closures:
        from optimizer.geo import close_roads

        network, report = close_roads(
            network,
            way_ids=[w for c in settings.closures for w in c.way_ids],
            names=[c.name for c in settings.closures if c.name],
            polygons=[list(c.polygon) for c in settings.closures if c.polygon is not None],
        )
        _CLOSURES[key] = report
    if len(_NETWORKS) > 8:
        _NETWORKS.pop(next(iter(_NETWORKS)))
    _NETWORKS[key] = network
    return network


def closure_report(scenario: Scenario) -> Any:
    """What the scenario's road closures closed (a ``ClosureReport``), or None without any."""
    if not scenario.network.closures or scenario.network.file is None:
        return None
    road_network(scenario)
    return _CLOSURES.get(_network_key(scenario))


@dataclass(frozen=True)
class Travel:
    """Road distances (m) and times (s) between two sets of places; ``inf`` where unreachable.

    ``on_roads`` is False when the straight-line fallback was used.
    """

    distance_m: FloatArray
    time_s: FloatArray
    on_roads: bool
    origin_snap_m: FloatArray
    destination_snap_m: FloatArray
    warnings: tuple[str, ...] = ()


def travel(scenario: Scenario, origins: pd.DataFrame, destinations: pd.DataFrame) -> Travel:
    """Distances and times from every origin to every destination (``id``, ``lat``, ``lon``).

    Over the scenario's roads when it has a road file; otherwise the straight line times
    ``parameters.detour_factor`` at 50 km/h, with a note in ``warnings`` saying so (shown
    beside every result built on it).
    """
    network = road_network(scenario)
    if network is None:
        message = (
            "no road network in the scenario: distances are straight lines x "
            f"{scenario.parameters.detour_factor:g} at {FALLBACK_SPEED_KMH:g} km/h"
        )
        distance = _haversine_m(origins, destinations) * scenario.parameters.detour_factor
        zeros_o = np.zeros(len(origins))
        zeros_d = np.zeros(len(destinations))
        return Travel(
            distance, distance / (FALLBACK_SPEED_KMH / 3.6), False, zeros_o, zeros_d, (message,)
        )
    from optimizer.geo.matrix import travel_matrix

    matrix = travel_matrix(
        network,
        origins.set_index("id")[["lat", "lon"]],
        destinations.set_index("id")[["lat", "lon"]],
    )
    notes = []
    report = closure_report(scenario)
    if report is not None:
        notes.append("road closures: " + report.summary().replace("\n", ";"))
    far = [str(i) for i, f in zip(matrix.origin_ids, matrix.origin_far, strict=True) if f]
    far += [
        str(i) for i, f in zip(matrix.destination_ids, matrix.destination_far, strict=True) if f
    ]
    if far:
        notes.append(f"far from any road, left unreached: {', '.join(far[:10])}")
    return Travel(
        matrix.distance_m,
        matrix.time_s,
        True,
        matrix.origin_snap_m,
        matrix.destination_snap_m,
        tuple(notes),
    )


def route_lines(
    scenario: Scenario, pairs: pd.DataFrame, *, properties: list[str] | None = None
) -> list[dict[str, Any]]:
    """Road paths for ``pairs`` (``origin_lat``, ``origin_lon``, ``destination_lat``,
    ``destination_lon`` plus the columns named in ``properties``) as GeoJSON features.

    Without a road network the lines are straight (and say so in ``on_roads``).
    """
    keep = properties or []
    if pairs.empty:
        return []
    network = road_network(scenario)
    features = []
    if network is None:
        for row in pairs.itertuples(index=False):
            coords = [[row.origin_lon, row.origin_lat], [row.destination_lon, row.destination_lat]]
            props = {k: _plain(getattr(row, k)) for k in keep}
            features.append(
                {
                    "type": "Feature",
                    "properties": {**props, "on_roads": False},
                    "geometry": {"type": "LineString", "coordinates": coords},
                }
            )
        return features
    from optimizer.geo import route_geometries

    frame = route_geometries(network, pairs.reset_index(drop=True))
    for _, row in frame.iterrows():
        geometry = row.geometry
        props = {k: _plain(row[k]) for k in keep}
        props.update(
            on_roads=True,
            road_km=_plain(row["distance_m"] / 1000),
            road_min=_plain(row["time_s"] / 60),
        )
        coords = (
            [] if geometry is None else [[round(x, 6), round(y, 6)] for x, y in geometry.coords]
        )
        features.append(
            {
                "type": "Feature",
                "properties": props,
                "geometry": {"type": "LineString", "coordinates": coords},
            }
        )
    return features


def _plain(value: Any) -> Any:
    if hasattr(value, "item") and callable(value.item):
        value = value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return None
    return value


def _haversine_m(a: pd.DataFrame, b: pd.DataFrame) -> FloatArray:
    lat1 = np.radians(a["lat"].to_numpy(float))[:, None]
    lon1 = np.radians(a["lon"].to_numpy(float))[:, None]
    lat2 = np.radians(b["lat"].to_numpy(float))[None, :]
    lon2 = np.radians(b["lon"].to_numpy(float))[None, :]
    h = (
        np.sin((lat2 - lat1) / 2) ** 2
        + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * 6_371_008.8 * np.arcsin(np.sqrt(h))


# --------------------------------------------------------------------- demo
def run_demo(scenario: Scenario, out: Path, *, console: Console | None = None) -> list[Path]:
    """Run every available model on ``scenario`` and write the results to ``out``."""
    console = console or Console(quiet=True)
    out = Path(out)
    written: list[Path] = []
    started = time.perf_counter()
    tables = {name: scenario.table(name) for name in TABLE_MODELS}
    written += write_tables(
        {k: v for k, v in tables.items() if not v.empty}, out / "scenario", workbook="scenario.xlsx"
    )
    written.append(write_geojson(places_geojson(scenario), out / "places.geojson", roads=False))
    _load_models()
    kpis: dict[str, Any] = {}
    for name in MODELS:
        with console.status(f"solving {name} ..."):
            run = run_model(scenario, name)
        console.print(f"\n[bold]{name}[/bold] ({run.runtime_s:.1f} s): {run.summary}")
        for note in run.warnings:
            console.print(f"  [yellow]note[/yellow]: {note}")
        written += run.write(out / name)
        kpis[name] = {"status": run.status.value, **run.kpi_values()}
    summary = {
        "scenario": scenario.summary(),
        "models": kpis,
        "runtime_s": time.perf_counter() - started,
    }
    written.append(write_json(summary, out / "summary.json"))
    return written
