"""Transcripts in, tables out: one module per transcript format, plus the table writer.

``read_transcript`` (``reader``) detects the format and dispatches to ``text``, ``captions`` (VTT, SRT),
``otter``, ``docx``, ``delimited`` (CSV/TSV) or ``json_turns``; ``writer`` turns coded sessions into the
utterances / turns / sessions tables and writes them.
"""
