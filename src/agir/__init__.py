"""AGIR: assess 3D gait impairment (MDS-UPDRS 3.10) with a motion-token LLM that explains its verdict."""

import logging

__version__ = "0.1.0"

# On CPUs with AVX512-BF16, bitsandbytes tries on import to fetch an optional 4-bit kernel from the Hugging Face hub
# (the `kernels` package, not installed) and warns on every start that it could not; its built-in CPU path, which
# AGIR's 4-bit tests run, works without it, and AGIR fetches nothing from a hub.
logging.getLogger("bitsandbytes.backends.cpu.ops").setLevel(logging.ERROR)
