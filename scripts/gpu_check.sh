#!/bin/bash
# GPU readiness in one go, under 10 minutes on one GPU: the demo with the tiny backbone in bf16 on one GPU, the QLoRA
# memory benchmark and the assessment benchmark on CUDA, then one table of what they measured.
#   scripts/gpu_check.sh [OUT_DIR]          (default checkpoints/gpu_check; PYTHON=... picks the interpreter,
#                                            default .venv/bin/python when there is one, else python3)
# Each step has its own time limit and log under OUT_DIR/logs/; a step that fails or runs out of time is said in the
# table and the others still run. The exit status is 0 only when every step succeeded; 2 when there is no GPU.
set -uo pipefail
out=${1:-checkpoints/gpu_check}
if [[ -n ${PYTHON:-} ]]; then
    python=$PYTHON
elif [[ -x .venv/bin/python ]]; then
    python=.venv/bin/python
else
    python=python3
fi
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 TOKENIZERS_PARALLELISM=false

if ! "$python" -c 'import sys, torch; sys.exit(not torch.cuda.is_available())' 2>/dev/null; then
    echo "gpu_check: no CUDA device visible to $python (torch.cuda.is_available() is not true); this check needs one GPU" >&2
    exit 2
fi

# Only an earlier check's folder is reused, and only what this script writes there is removed.
if [[ -d $out && ! -f $out/steps.tsv && -n $(ls -A "$out") ]]; then
    echo "gpu_check: $out holds other files; give a new folder or an earlier gpu_check folder" >&2
    exit 2
fi
rm -rf "$out/demo" "$out/logs" "$out/steps.tsv" "$out/qlora_memory.json" "$out/assess.json" "$out/demo_gpu_memory.txt"
mkdir -p "$out/logs"
failed=0

# step NAME SECONDS COMMAND...: run it with a time limit, its output in logs/NAME.log, its outcome in steps.tsv.
step() {
    local name=$1 limit=$2 started status outcome
    shift 2
    echo "gpu_check: $name (at most $limit s, log $out/logs/$name.log)"
    started=$(date +%s)
    timeout "$limit" "$@" >"$out/logs/$name.log" 2>&1
    status=$?
    case $status in
        0) outcome=ok ;;
        124) outcome="timed out after $limit s"; failed=1 ;;
        *) outcome="failed (exit $status)"; failed=1 ;;
    esac
    printf '%s\t%s\t%s\n' "$name" "$outcome" "$(($(date +%s) - started))" >>"$out/steps.tsv"
}

# Device memory while the demo runs, every half second (the stages record no GPU memory themselves).
sampler=
if command -v nvidia-smi >/dev/null; then
    nvidia-smi --query-gpu=memory.used --format=csv,noheader,nounits --id=0 -lms 500 >"$out/demo_gpu_memory.txt" 2>/dev/null &
    sampler=$!
fi
step demo 400 "$python" -m agir.fit --config configs/demo.yaml --config configs/trainer/gpu.yaml \
    --config configs/precision/bf16-mixed.yaml run.name=gpu_check run.out_dir="$out/demo" \
    trainer.enable_progress_bar=false
if [[ -n $sampler ]]; then
    kill "$sampler" 2>/dev/null
    wait "$sampler" 2>/dev/null
fi
step qlora_memory 120 "$python" benchmarks/qlora_memory.py --out "$out/qlora_memory.json"
step assess 60 "$python" benchmarks/assess.py --run "$out/demo" --device cuda --out "$out/assess.json"

echo
"$python" benchmarks/gpu_check_table.py "$out"
exit $failed
