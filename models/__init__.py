"""Shipped model folders (installed as the ``mi_coder.models`` package data)."""
