"""Test and demo support, not part of the product: a fake OpenAI-compatible server, a tiny offline Qwen2.5-VL,
sample problems with images drawn by code, and synthetic SFT data. Only the demo, the CLI and the tests import
it (an import-linter contract checks that)."""
