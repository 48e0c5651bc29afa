"""Delayed transfers of care (DToC) monitoring pipeline: Prefect flows over a DuckDB warehouse."""

__version__ = "0.1.0"
