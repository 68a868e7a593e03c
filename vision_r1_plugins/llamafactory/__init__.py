"""LLaMA-Factory integration: dataset registration, validation and the SFT launcher.

Importing this package does not import LLaMA-Factory; the modules that need it import it themselves.
"""
