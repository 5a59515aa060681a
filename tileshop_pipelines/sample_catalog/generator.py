"""Kept only for tileshop_pipelines/evaluation/questions.py, which imports these two names from here;
delete this file once it imports them from tileshop_pipelines.sample_catalog."""

from .catalog import Catalog
from .model import SampleProduct

__all__ = ["Catalog", "SampleProduct"]
