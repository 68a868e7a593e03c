#!/usr/bin/env bash
# PTST with your own verl command: verl's main_ppo with the PTST trainer (vision_r1_plugins.ptst.main).
# Same overrides as `python -m verl.trainer.main_ppo`, plus the stage list. Size the engine for the longest stage
# (data.max_response_length, the token caps, vLLM's limits); start with the first stage's n; total_training_steps
# is the sum of the stages' steps. `vision-r1 ptst plan SCHEDULE.yaml` prints this command for a schedule file.
# On CPU (tiny models only): VISION_R1_VERL_CPU=1 and `vision-r1 ptst plan SCHEDULE.yaml --cpu` for the overrides.
set -euo pipefail
: "${MODEL:?set MODEL to the cold-start SFT output}" "${DATA:?set DATA to the folder with train/test.parquet}"
exec python -m vision_r1_plugins.ptst.main \
    +ptst.stages='[{name:stage1_4k_x16,max_response_length:4096,rollout_n:16,steps:100},{name:stage2_8k_x8,max_response_length:8192,rollout_n:8,steps:100}]' \
    trainer.total_training_steps=200 \
    data.max_response_length=8192 \
    actor_rollout_ref.rollout.n=16 \
    actor_rollout_ref.actor.ppo_max_token_len_per_gpu=9216 \
    actor_rollout_ref.rollout.log_prob_max_token_len_per_gpu=9216 \
    actor_rollout_ref.ref.log_prob_max_token_len_per_gpu=9216 \
    actor_rollout_ref.rollout.max_model_len=9216 \
    actor_rollout_ref.rollout.max_num_batched_tokens=9216 \
    algorithm.adv_estimator=grpo \
    data.train_files="$DATA/train.parquet" data.val_files="$DATA/test.parquet" \
    data.max_prompt_length=1024 data.train_batch_size=128 \
    actor_rollout_ref.model.path="$MODEL" \
    actor_rollout_ref.actor.optim.lr=1e-6 actor_rollout_ref.actor.ppo_mini_batch_size=32 \
    actor_rollout_ref.actor.use_dynamic_bsz=true \
    actor_rollout_ref.actor.use_kl_loss=true actor_rollout_ref.actor.kl_loss_coef=0.01 \
    actor_rollout_ref.actor.kl_loss_type=low_var_kl \
    actor_rollout_ref.rollout.name=vllm actor_rollout_ref.rollout.tensor_model_parallel_size=2 \
    actor_rollout_ref.rollout.gpu_memory_utilization=0.6 \
    reward.custom_reward_function.path=pkg://vision_r1_plugins.reward \
    +reward.custom_reward_function.reward_kwargs.mode=hard \
    trainer.use_v1=false trainer.n_gpus_per_node=8 trainer.nnodes=1 \
    trainer.default_local_dir=checkpoints/vision_r1_ptst trainer.resume_mode=auto trainer.save_freq=100 \
    trainer.logger='[console,file]' trainer.test_freq=25 trainer.val_before_train=false \
    "$@"
