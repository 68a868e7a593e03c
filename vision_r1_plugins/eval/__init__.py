"""Inference, benchmark evaluation (no judge model needed) and reasoning analysis."""
