"""Coaching reports: one self-contained HTML page per coded session, and an overview of many."""

from .html import render_index, render_session, write_reports

__all__ = ["render_index", "render_session", "write_reports"]
