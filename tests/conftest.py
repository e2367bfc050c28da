import os

# Nothing in the suite may reach a model hub: fail at once instead of after a network time-out.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
# One OpenMP thread per process, read when torch is first imported (after this file): the suite's models are tiny, and
# its 2-process DDP runs would otherwise put 4 spinning threads on 2 cores, which slows each step many times over.
os.environ.setdefault("OMP_NUM_THREADS", "1")
