"""The reward in other frameworks' calling conventions: TRL's ``GRPOTrainer`` and EasyR1's batch rewards.
(verl calls :func:`vision_r1_plugins.reward.compute_score` directly.)"""
