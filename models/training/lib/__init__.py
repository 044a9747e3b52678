"""Shared training utilities for banter's small models (text normalization, tokenizers, export, metrics)."""
