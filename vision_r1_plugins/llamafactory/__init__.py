"""LLaMA-Factory integration: dataset registration, validation and the SFT launcher.

- :func:`validate_dataset`: read a registered dataset the way LLaMA-Factory will (its parser, the model's
  template and tokenizer) and report, or with ``fix_dir`` drop, the rows that would fail or be cut in training;
- :func:`register_datasets`: merge dataset entries (default: the bundled Vision-R1 ones) into a
  ``dataset_info.json``, idempotently.

>>> from vision_r1_plugins.llamafactory import ValidateConfig, register_datasets, validate_dataset
>>> register_datasets("data").path  # doctest: +SKIP
PosixPath('data/dataset_info.json')
>>> config = ValidateConfig("data", "vision_r1_cold", model="Qwen/Qwen2.5-VL-7B-Instruct", cutoff_len=4096)
>>> report = validate_dataset(config, fix_dir="data/clean")  # doctest: +SKIP
>>> report.kept, dict(report.rejected)  # doctest: +SKIP
(36, {})

Importing this package does not import LLaMA-Factory; the functions that need it import it when called.
"""

from vision_r1_plugins.core.dataset_info import RegisterResult, bundled_entries, register_datasets
from vision_r1_plugins.llamafactory.validate import (
    ValidateConfig,
    ValidationError,
    ValidationReport,
    validate_dataset,
)

__all__ = [
    "RegisterResult",
    "ValidateConfig",
    "ValidationError",
    "ValidationReport",
    "bundled_entries",
    "register_datasets",
    "validate_dataset",
]
