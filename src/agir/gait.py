"""`python -m agir.gait FILE [--fps F] [--layout L] [--json]`: the gait parameters of one motion file.

Prints a table, or with --json one JSON object (every parameter, and the reason of each null). A file that cannot be
used prints one line `error: FILE: reason` on stderr and exits with status 1.
"""

from __future__ import annotations

import argparse
import json
import sys

from agir.motion.gait_parameters import extract_gait_parameters
from agir.motion.io import MotionFileError, load_motion
from agir.motion.skeleton import LAYOUTS
from agir.text.parameter_table import format_table


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m agir.gait", description=__doc__.splitlines()[0])
    parser.add_argument("file", help="motion file (.npy, .npz, .csv)")
    parser.add_argument("--fps", type=float, help="frame rate, when the file does not state it")
    parser.add_argument("--layout", help=f"joint layout when the joint count is ambiguous: {', '.join(LAYOUTS)}")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    args = parser.parse_args(argv)
    try:
        motion = load_motion(args.file, fps=args.fps, layout=args.layout)
        parameters = extract_gait_parameters(motion.joints, motion.fps, measured=motion.measured).to_dict()
    except MotionFileError as error:  # its message already starts with the path
        print(f"error: {error}", file=sys.stderr)
        return 1
    except ValueError as error:
        print(f"error: {args.file}: {error}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(parameters))
    else:
        print(f"{motion.path}: {len(motion.joints)} frames at {motion.fps:g} fps, layout {motion.layout}")
        print(format_table(parameters))
    return 0


if __name__ == "__main__":
    sys.exit(main())
