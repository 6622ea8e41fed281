"""A deterministic corpus of bad inputs built from the bundled Liechtenstein scenario.

Each case is a :class:`Case`: its kind (cells, columns, files, encodings, yaml, variants,
workbooks, uploads), a name, and a function that writes it under a folder and returns what
to load (a path, or an upload's name and bytes). :func:`corpus` lists them all (well over
1,000) in the same order every time (one seed).
"""

from __future__ import annotations

import io
import random
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tests.conftest import LIECHTENSTEIN

SEED = 12
TABLES = sorted(p.name for p in LIECHTENSTEIN.glob("*.csv"))
BAD_CELLS = (
    "", " ", "nan", "NaN", "inf", "-inf", "1e308", "-1e308", "1e-320", "-1", "0", "-0",
    "9" * 5000, "abc", "1,5", "1 000", "0x10", "true", "[/x]", "Coop [/x]", "m[/i]1",
    "=SUM(A1)", "é" * 600, "x" * 100_000, "\u202e", "\x00", "'", '"', ";;;", "1e1000",
)  # fmt: skip
BAD_YAML = (
    "a: [", "{", "- just\n- a list", "42", "name: [1, 2]", "parameters: 7",
    "parameters: {mip_gap: nan}", "parameters: {time_limit_s: .inf}",
    "network: {file: /etc/passwd}",
    "network: {closures: [{polygon: [[1, 2]]}]}", "parameters: {currency: ''}",
    "a: &a [*a]", "tables: {members: ../../etc/passwd}", "description: !!python/object:os.system x",
    "parameters: {collection_days: 1e308}", "name: 2024-02-30", "? [a]\n: b",
)  # fmt: skip
BAD_VARIANTS = (
    "set: {parameters.fuel_price_factor.x: 1}", "set: {nothing: 1}", "set: 5",
    "add: {buyers: [{id: B9, nme: x}]}", "add: {buyers: [7]}", "add: {nope: []}",
    "add: &a {buyers: [*a]}", "remove: {members: [nobody]}", "remove: {cooperatives: [dairy, veg]}",
    "update: {brackets: [{where: {supplier: S1}, set: {unit_prise: 1}}]}",
    "update: {brackets: [{where: {supplier: NOPE}, set: {unit_price: 1}}]}",
    "update: {buyers: 5}", "scale: {demand.quantity: -1}", "scale: {demand.quantity: 1e308}",
    "scale: {demand.nope: 2}", "scale: {demand.quantity: x}", "base: 7", "base: ../nowhere",
    "base: variant.yaml",
)  # fmt: skip


@dataclass(frozen=True)
class Case:
    """One bad input: ``build(folder)`` writes it and returns a path or (name, bytes)."""

    kind: str
    name: str
    build: Callable[[Path], Path | tuple[str, bytes]]


def _copy(folder: Path) -> Path:
    target = folder / "li"
    target.mkdir(parents=True, exist_ok=True)
    for file in LIECHTENSTEIN.iterdir():
        if file.is_file() and file.suffix in (".csv", ".yaml"):
            (target / file.name).write_bytes(file.read_bytes())
    settings = target / "scenario.yaml"
    # the road file is not needed to validate; keep the cases fast and small
    settings.write_text(settings.read_text().replace("file: roads.osm.bz2", "file: null"))
    return target


def _lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()


def _cell_case(table: str, row: int, column: int, value: str) -> Callable[[Path], Path]:
    def build(folder: Path) -> Path:
        target = _copy(folder)
        lines = _lines(target / table)
        cells = lines[row].split(",")
        cells[column % len(cells)] = value if "," not in value else f'"{value}"'
        lines[row] = ",".join(cells)
        (target / table).write_text("\n".join(lines) + "\n", encoding="utf-8")
        return target

    return build


def _file_case(table: str, data: bytes) -> Callable[[Path], Path]:
    def build(folder: Path) -> Path:
        target = _copy(folder)
        (target / table).write_bytes(data)
        return target

    return build


def _header_case(table: str, how: str) -> Callable[[Path], Path]:
    def build(folder: Path) -> Path:
        target = _copy(folder)
        lines = _lines(target / table)
        header = lines[0].split(",")
        if how == "drop":
            header = header[1:]
        elif how == "dup":
            header = [*header, header[0]]
        elif how == "typo":
            header[-1] = header[-1] + "x"
        elif how == "empty":
            header[0] = ""
        elif how == "extra-cells":
            lines[1] = lines[1] + ",1,2,3"
        lines[0] = ",".join(header)
        (target / table).write_text("\n".join(lines) + "\n", encoding="utf-8")
        return target

    return build


def _yaml_case(text: str) -> Callable[[Path], Path]:
    def build(folder: Path) -> Path:
        target = _copy(folder)
        (target / "scenario.yaml").write_text(text, encoding="utf-8")
        return target

    return build


def _variant_case(body: str) -> Callable[[Path], Path]:
    def build(folder: Path) -> Path:
        _copy(folder)
        path = folder / "variant.yaml"
        text = body if body.startswith("base:") else f"base: li\n{body}"
        path.write_text(text + "\n", encoding="utf-8")
        return path

    return build


def _zip(entries: list[tuple[str, bytes]]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries:
            archive.writestr(name, data)
    return out.getvalue()


def _upload_case(inner: Callable[[Path], Path], extra: list[tuple[str, bytes]]) -> Callable:
    def build(folder: Path) -> tuple[str, bytes]:
        target = inner(folder)
        if target.is_file():  # a variant: upload its base folder only
            target = target.parent / "li"
        replaced = {name for name, _ in extra}  # an extra entry replaces the file it names
        entries = [(f"s/{p.name}", p.read_bytes()) for p in sorted(target.iterdir())]
        return "s.zip", _zip([e for e in entries if e[0] not in replaced] + extra)

    return build


def _workbook_case(mutate: Callable[[dict[str, bytes]], None]) -> Callable[[Path], Path]:
    def build(folder: Path) -> Path:
        from optimizer.scenario.load import load_scenario

        book = folder / "base.xlsx"
        load_scenario(_copy(folder)).to_xlsx(book)
        with zipfile.ZipFile(book) as archive:
            parts = {n: archive.read(n) for n in archive.namelist()}
        mutate(parts)
        out = folder / "bad.xlsx"
        out.write_bytes(_zip(list(parts.items())))
        return out

    return build


def _sheet_cell(index: int, value: bytes) -> Callable[[dict[str, bytes]], None]:
    def mutate(parts: dict[str, bytes]) -> None:
        sheets = sorted(n for n in parts if n.startswith("xl/worksheets/"))
        name = sheets[index % len(sheets)]
        data = parts[name]
        at = data.find(b"<v>")
        if at < 0:
            at = data.find(b"<t>")
        end = data.find(b"</", at + 3)
        parts[name] = data[: at + 3] + value + data[end:]

    return mutate


def _cells(rng: random.Random) -> list[Case]:
    cases = []
    for table in TABLES:
        rows = len(_lines(LIECHTENSTEIN / table))
        columns = len(_lines(LIECHTENSTEIN / table)[0].split(","))
        for value in BAD_CELLS:
            row = rng.randrange(1, rows)
            column = rng.randrange(columns)
            name = f"{table}:r{row}c{column}={value[:12]!r}"
            cases.append(Case("cells", name, _cell_case(table, row, column, value)))
    return cases


def corpus() -> list[Case]:
    """Every case, in a fixed order (seeded)."""
    rng = random.Random(SEED)
    cases = _cells(rng) + _cells(rng) + _cells(rng)
    for table in TABLES:
        for how in ("drop", "dup", "typo", "empty", "extra-cells"):
            cases.append(Case("columns", f"{table}:{how}", _header_case(table, how)))
        text = (LIECHTENSTEIN / table).read_text(encoding="utf-8")
        encodings = {
            "utf16": text.encode("utf-16"),
            "latin1": (text + "é\n").encode("latin-1"),
            "bom-twice": b"\xef\xbb\xbf\xef\xbb\xbf" + text.encode(),
            "cp1252-bytes": text.encode() + b"\x93\x94\n",
            "nul": text.encode()[:20] + b"\x00" + text.encode()[20:],
        }
        for label, data in encodings.items():
            cases.append(Case("encodings", f"{table}:{label}", _file_case(table, data)))
        files = {
            "empty": b"",
            "header-only": text.splitlines()[0].encode(),
            "binary": bytes(rng.randrange(256) for _ in range(300)),
            "zip": _zip([("x", b"y")]),
            "quote": text.encode()[:-5] + b'"\n',
        }
        for label, data in files.items():
            cases.append(Case("files", f"{table}:{label}", _file_case(table, data)))
    cases += [Case("yaml", f"yaml:{t[:30]!r}", _yaml_case(t)) for t in BAD_YAML]
    cases += [Case("variants", f"variant:{b[:40]!r}", _variant_case(b)) for b in BAD_VARIANTS]
    books = [b"NaN", b"inf", b"1e308", b"&foo;", b"<x", b"9" * 5000, b"", b"-1"]
    for index in range(13):
        for value in books:
            name = f"sheet{index}={value[:10]!r}"
            cases.append(Case("workbooks", name, _workbook_case(_sheet_cell(index, value))))
    uploads = [
        [("s/" + "a" * 300 + ".csv", b"x")],
        [("s/x.csv", b"x"), ("s/x.csv/y.csv", b"y")],
        [("../evil.csv", b"x")],
        [("/abs.csv", b"x")],
        [("s2/scenario.yaml", b"name: two")],
        [("s/members.csv/x.csv", b"x")],
    ]
    for number, extra in enumerate(uploads):
        for inner in rng.sample(cases[:300], 5):
            name = f"upload{number}+{inner.name}"
            cases.append(Case("uploads", name, _upload_case(inner.build, extra)))
    return cases + _generated(rng, cases)


# ----------------------------------------------------------- generated cases (thin kinds)
BAD_SETTINGS = ("nan", ".inf", "-.inf", "-1", "1e308", "[1, 2]", "{a: 1}", "''", "x" * 300)
BAD_UPLOADS: tuple[tuple[str, bytes], ...] = (
    ("s.zip", b"not a zip at all"),
    ("s.zip", b""),
    ("s.zip", b"PK\x03\x04" + bytes(200)),
    ("s.xlsx", b"PK\x05\x06" + bytes(18)),
    ("s.tar.gz", b"\x1f\x8b" + bytes(50)),
    ("s", b"name: x"),
)
EXTRA_ENTRIES: tuple[list[tuple[str, bytes]], ...] = (
    [("s/inner.zip", b"PK\x03\x04" + bytes(100))],
    [("s\\back.csv", b"x")],
    [("s/" + "d/" * 60 + "deep.csv", b"x")],
    [(f"s/extra{i}.csv", b"a,b\n1,2\n") for i in range(40)],
    [("s/members.csv", b"\xff\xfe\x00\x00garbage")],
    [("s/.hidden/scenario.yaml", b"name: [")],
)


def _settings(rng: random.Random) -> list[tuple[str, str]]:
    """(dotted key, bad value) pairs over every key of the bundled scenario's settings."""
    import yaml

    data = yaml.safe_load((LIECHTENSTEIN / "scenario.yaml").read_text(encoding="utf-8"))
    keys: list[str] = []

    def walk(prefix: str, node: object) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                walk(f"{prefix}{key}.", value)
        else:
            keys.append(prefix.rstrip("."))

    walk("", data)
    keys = [k for k in keys if k != "network.file"]  # null there: the cases stay road-free
    pairs = [(k, v) for k in keys for v in BAD_SETTINGS]
    return rng.sample(pairs, min(len(pairs), 80))


def _setting_yaml(key: str, value: str) -> str:
    import yaml

    data = yaml.safe_load((LIECHTENSTEIN / "scenario.yaml").read_text(encoding="utf-8"))
    data["network"]["file"] = None
    node = data
    *path, last = key.split(".")
    for part in path:
        node = node[part]
    node[last] = yaml.safe_load(value)
    return yaml.safe_dump(data, sort_keys=False)


def _table_variants(rng: random.Random) -> list[str]:
    """Variant bodies that touch tables: unknown columns, bad factors, unknown rows."""
    out = []
    for table in TABLES:
        name = table.removesuffix(".csv")
        header = (LIECHTENSTEIN / table).read_text(encoding="utf-8").splitlines()[0].split(",")
        column = rng.choice(header)
        out += [
            f"scale: {{{name}.{column}: {rng.choice(['-1', '1e308', 'nan', 'x'])}}}",
            f"update: {{{name}: [{{where: {{{header[0]}: nobody}}, set: {{{column}x: 1}}}}]}}",
            f"add: {{{name}: [{{{header[0]}: new, {column}: {rng.choice(BAD_SETTINGS)}}}]}}",
            f"remove: {{{name}: [{rng.choice(['nobody', '', '[1]', '{a: 1}'])}]}}",
        ]
    return out


def _generated(rng: random.Random, cases: list[Case]) -> list[Case]:
    """More YAML, variant and upload cases, so that every kind has at least 50."""
    settings = _settings(rng)
    out = [
        Case("yaml", f"yaml:{k}={v[:12]!r}", _yaml_case(_setting_yaml(k, v))) for k, v in settings
    ]
    bodies = [f"set: {{{k}: {v}}}" for k, v in settings[:40]] + _table_variants(rng)
    out += [Case("variants", f"variant:{b[:40]!r}", _variant_case(b)) for b in bodies]
    for number, (name, data) in enumerate(BAD_UPLOADS):
        out.append(Case("uploads", f"raw{number}:{name}", _raw_upload(name, data)))
    for number, extra in enumerate(EXTRA_ENTRIES):
        for inner in rng.sample(cases[:300], 5):
            label = f"upload-extra{number}+{inner.name}"
            out.append(Case("uploads", label, _upload_case(inner.build, extra)))
    return out


def _raw_upload(name: str, data: bytes) -> Callable[[Path], tuple[str, bytes]]:
    def build(folder: Path) -> tuple[str, bytes]:
        return name, data

    return build
