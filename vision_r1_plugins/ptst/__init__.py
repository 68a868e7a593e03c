"""Progressive Thinking Suppression Training: staged GRPO on verl."""
