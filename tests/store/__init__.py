"""Tests of the run store (optimizer.store)."""
