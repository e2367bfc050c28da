"""`python -m agir.gait FILE [FILE ...] [--json] [reading flags]`: the gait parameters of motion files.

Prints a table per file, or with --json one JSON object per line (every parameter, the reason of each null, `file`
and `notes`: what reading did, e.g. gaps filled, the marker set or up axis chosen). The reading flags (--fps,
--layout, --layout-file, --units, --up, --max-gap, --markers, --smpl-model) are those of `agir.motion.load_options`.
A file that cannot be used prints one line `error: FILE: reason` on stderr, the others are still measured, and the
exit status is 1.
"""

from __future__ import annotations

import argparse
import json
import sys

from agir.motion.gait_parameters import extract_gait_parameters
from agir.motion.io import MotionFileError
from agir.motion.load_options import LoadOptions, add_load_arguments, load_options_from
from agir.text.parameter_table import format_table


def measure_file(path: str, options: LoadOptions, as_json: bool) -> str:
    """One file's output: its JSON line or its table; MotionFileError or ValueError if it cannot be used."""
    motion = options.load(path)
    parameters = extract_gait_parameters(motion.joints, motion.fps, measured=motion.measured).to_dict()
    if as_json:
        return json.dumps(parameters | {"file": path, "notes": motion.notes})
    root = "; root-relative skeleton: the walk is recovered from foot contacts" if parameters["methods"] else ""
    header = f"{motion.path}: {len(motion.joints)} frames at {motion.fps:g} fps, layout {motion.layout}{root}"
    return "\n".join([header, *(f"note: {note}" for note in motion.notes), format_table(parameters)])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m agir.gait", description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="+", help="motion files (.npy, .npz, .csv, .pkl, .bvh, .c3d)")
    parser.add_argument("--json", action="store_true", help="print one JSON object per file instead of a table")
    add_load_arguments(parser)
    args = parser.parse_args(argv)
    try:
        options = load_options_from(args)
    except ValueError as error:  # a bad --layout-file, --markers or --smpl-model file, named in the message
        print(f"error: {error}", file=sys.stderr)
        return 1
    failed = False
    for path in args.files:
        try:
            print(measure_file(path, options, args.json))
        except MotionFileError as error:  # its message already starts with the path
            print(f"error: {error}", file=sys.stderr)
            failed = True
        except ValueError as error:
            print(f"error: {path}: {error}", file=sys.stderr)
            failed = True
    return int(failed)


if __name__ == "__main__":
    sys.exit(main())
