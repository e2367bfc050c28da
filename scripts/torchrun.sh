#!/bin/bash
# AGIR under torchrun: one process per GPU on each of NNODES machines; run the same command on every machine.
#   NNODES=2 NODE_RANK=0 MASTER_ADDR=host0 GPUS=4 scripts/torchrun.sh configs/demo.yaml [key=value ...]
# One machine: GPUS=4 scripts/torchrun.sh configs/demo.yaml
# Lightning reads the ranks torchrun sets (its TorchElasticEnvironment). A stopped run continues with the same
# command: run.resume=true resumes each stage from its last.ckpt and skips finished stages.
set -euo pipefail
config=${1:?usage: scripts/torchrun.sh CONFIG [key=value ...]}
shift
nnodes=${NNODES:-1} gpus=${GPUS:-$(nvidia-smi --list-gpus | wc -l)}
export HF_HUB_OFFLINE=${HF_HUB_OFFLINE:-1} TOKENIZERS_PARALLELISM=false

# All ranks start at once: the corpus is built first by one process per machine, before any rank reads it
# (on a filesystem shared between machines, run this line on one machine only).
python -m agir.data build --config "$config" "$@"
torchrun --nnodes="$nnodes" --node_rank="${NODE_RANK:-0}" --nproc_per_node="$gpus" \
    --master_addr="${MASTER_ADDR:-127.0.0.1}" --master_port="${MASTER_PORT:-29500}" \
    -m agir.fit --config "$config" --config configs/trainer/multinode.yaml \
    trainer.num_nodes="$nnodes" trainer.devices="$gpus" run.resume=true "$@"
