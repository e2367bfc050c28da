"""Unpickling that admits only plain containers and numeric arrays, so a pickle cannot run code.

A pickle names every callable it needs as a global (module + name); `find_class` below refuses all but the few
numpy (and, for SMPL model files, scipy.sparse) constructors that rebuild arrays. Plain dicts, lists, tuples,
strings and numbers need no globals at all.
"""

from __future__ import annotations

import codecs
import collections
import pickle
from pathlib import Path

import numpy as np
import scipy.sparse

from agir.motion.io import MotionFileError

# Rebuilding an ndarray, a dtype or a numpy scalar, under numpy 1 (numpy.core) and numpy 2 (numpy._core) names.
_NUMPY_GLOBALS = {
    ("numpy", "ndarray"): np.ndarray,
    ("numpy", "dtype"): np.dtype,
    **{(f"numpy.{core}.multiarray", "_reconstruct"): np._core.multiarray._reconstruct for core in ("core", "_core")},
    **{(f"numpy.{core}.multiarray", "scalar"): np._core.multiarray.scalar for core in ("core", "_core")},
    **{(f"numpy.{core}.numeric", "_frombuffer"): np._core.numeric._frombuffer for core in ("core", "_core")},
    # Protocol 2 writes bytes as _codecs.encode(text, "latin1").
    ("_codecs", "encode"): codecs.encode,
    ("builtins", "set"): set,
    ("builtins", "frozenset"): frozenset,
    ("collections", "OrderedDict"): collections.OrderedDict,
}
# SMPL model files hold the joint regressor as a sparse matrix (scipy's module was renamed over the years).
SPARSE_GLOBALS = {
    (module, name): getattr(scipy.sparse, name)
    for name in ("csc_matrix", "csr_matrix")
    for module in (f"scipy.sparse.{name[:3]}", f"scipy.sparse._{name[:3]}")
}


class RefusedGlobal(pickle.UnpicklingError):
    def __init__(self, module: str, name: str) -> None:
        super().__init__(f"{module}.{name}")
        self.qualified_name = f"{module}.{name}"


class RestrictedUnpickler(pickle.Unpickler):
    """An Unpickler whose globals come only from `allowed`; anything else raises RefusedGlobal."""

    def __init__(self, file, allowed: dict[tuple[str, str], object]) -> None:
        # latin1 reads the numpy arrays inside Python 2 pickles (the original SMPL files).
        super().__init__(file, encoding="latin1")
        self._allowed = allowed

    def find_class(self, module: str, name: str) -> object:
        try:
            return self._allowed[(module, name)]
        except KeyError:
            raise RefusedGlobal(module, name) from None


def load_pickle(path: Path, extra_globals: dict[tuple[str, str], object] | None = None) -> object:
    """The object in the pickle at `path`, built from plain containers and arrays only; else MotionFileError."""
    allowed = _NUMPY_GLOBALS | (extra_globals or {})
    try:
        with open(path, "rb") as file:
            return RestrictedUnpickler(file, allowed).load()
    except RefusedGlobal as refused:
        raise MotionFileError(
            path,
            f"pickle refused: it needs the global {refused.qualified_name}, and only plain "
            f"containers and numpy arrays are loaded",
        ) from None
    except (
        pickle.UnpicklingError,
        EOFError,
        OSError,
        ValueError,
        TypeError,
        AttributeError,
        IndexError,
        KeyError,
        MemoryError,
    ) as error:
        raise MotionFileError(path, f"corrupt or truncated pickle ({type(error).__name__}: {error})") from None
