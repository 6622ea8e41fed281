"""The optimisation models: numeric cores on plain arrays, scenario adapters, checkers.

Nothing here imports :mod:`optimizer.geo`, osmnx or geopandas: travel distances and times
arrive as plain arrays built by :mod:`optimizer.pipeline.travel`.
"""
