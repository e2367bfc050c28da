#!/bin/bash
# AGIR under torchrun: one process per GPU on each of NNODES machines; run the same command on every machine.
#   NNODES=2 NODE_RANK=0 MASTER_ADDR=host0 GPUS=4 scripts/torchrun.sh configs/demo.yaml [key=value ...]
# One machine: GPUS=4 scripts/torchrun.sh configs/demo.yaml
# Lightning reads the ranks torchrun sets (its TorchElasticEnvironment); global rank 0 builds the corpus while the
# others wait, and writes each stage before any rank reads it (the run directory must be on a filesystem that every
# machine shares). A stopped run continues with the same command: run.resume=true resumes each stage from its
# last.ckpt and skips finished stages. On the CPU (gloo): GPUS=2 ... trainer.accelerator=cpu
set -euo pipefail
config=${1:?usage: scripts/torchrun.sh CONFIG [key=value ...]}
shift
nnodes=${NNODES:-1} gpus=${GPUS:-$(nvidia-smi --list-gpus | wc -l)}
export HF_HUB_OFFLINE=${HF_HUB_OFFLINE:-1} TOKENIZERS_PARALLELISM=false

torchrun --nnodes="$nnodes" --node_rank="${NODE_RANK:-0}" --nproc_per_node="$gpus" \
    --master_addr="${MASTER_ADDR:-127.0.0.1}" --master_port="${MASTER_PORT:-29500}" \
    -m agir.fit --config "$config" --config configs/trainer/multinode.yaml \
    trainer.num_nodes="$nnodes" trainer.devices="$gpus" run.resume=true "$@"
