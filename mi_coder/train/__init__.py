"""Training: examples from AnnoMI, the team corpus and coded tables, and fitting a Coder."""
