"""Evaluation: metrics, cross-validation, agreement between codings, and validation of indices."""
