"""Modality bridging: build multimodal chain-of-thought SFT data without human labels."""
