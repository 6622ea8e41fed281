"""Files in and out: reading tables (CSV folders, workbooks, uploads) and writing results.

``read`` turns CSV, XLSX and YAML files into raw tables with their file and row numbers, refusing
oversized or malformed files with an ``InputError``; ``upload`` unpacks an uploaded ``.zip`` or
``.xlsx`` safely and loads it as a scenario; ``write`` writes tables (CSV and one XLSX), GeoJSON
and JSON atomically, ``xlsx_bytes`` being the one workbook writer; ``geojson`` shapes GeoJSON
features. Reading imports only ``optimizer.errors``; ``write`` and ``geojson`` import nothing of
the project but each other, so the scenario may use them; ``upload`` may use the scenario.
Nothing here solves or draws.
"""
