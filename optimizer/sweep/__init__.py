"""Sweeps: one model run on many futures of a base scenario, locally or on a Dask cluster.

``spec`` reads what varies (grids, lists, random draws) from a YAML file or command-line flags;
``samples`` turns it into scenarios through the what-if overrides of
``optimizer.scenario.variants``, the same for a given seed whatever runs them. This folder sits
above the pipeline: it imports ``optimizer.pipeline`` (``run_model``), ``optimizer.scenario``,
``optimizer.io`` and the run store (``optimizer.store``); never a model, a solver or a face.
"""

from optimizer.sweep.samples import Sample, samples
from optimizer.sweep.spec import SweepSpec, load_spec, parse_spec, spec_from_options

__all__ = ["Sample", "SweepSpec", "load_spec", "parse_spec", "samples", "spec_from_options"]
