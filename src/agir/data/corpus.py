"""A corpus directory: one motion file per sequence plus `manifest.jsonl`, built from any source.

Each manifest line holds `id`, `subject`, `dataset` (its source's name, agir.data.sources), `score`, `fps`,
`layout`, `path` (relative to the corpus), `parameters` (measured gait parameters with `reasons` for nulls),
`description` and `rationale` (generated from the measured parameters, or your own: agir.data.own_texts), and
source-specific extras (the synthetic source adds `truth`). `corpus.json` records what built the corpus so a stale
one is rebuilt rather than trusted, lists the items that were skipped and why, and what became of your own texts.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from omegaconf import OmegaConf

from agir.data.data_config import DataConfig
from agir.data.own_texts import OwnTexts, texts_signature
from agir.data.recordings import recordings_signature
from agir.data.records import SkippedRecord, SourceRecord
from agir.data.sources import source_views, view_records
from agir.motion.gait_parameters import extract_gait_parameters
from agir.motion.io import Motion, load_motion, save_motion
from agir.text.rationale import describe, rationale

MANIFEST = "manifest.jsonl"
CORPUS_INFO = "corpus.json"
CORPUS_VERSION = 2
# The fields every manifest line has, in order; anything else is a source-specific extra.
FIELDS = ("id", "subject", "dataset", "score", "fps", "layout", "path", "parameters", "description", "rationale")


@dataclass
class CorpusItem:
    id: str
    subject: str
    dataset: str
    score: int
    fps: float
    layout: str
    path: str
    parameters: dict
    description: str
    rationale: str
    extras: dict = field(default_factory=dict)

    def to_json(self) -> dict:
        return {k: getattr(self, k) for k in FIELDS} | self.extras


# The code that writes corpus content: a change to any of it (new wording, a better extractor) makes old corpora stale.
CONTENT_CODE = (
    "agir.motion.synth",
    "agir.motion.synth_plan",
    "agir.motion.synth_pose",
    "agir.motion.synth_profile",
    "agir.motion.synth_truth",
    "agir.motion.gait_parameters",
    "agir.motion.gait_events",
    "agir.text.norms",
    "agir.text.rationale",
    "agir.motion.io",
    "agir.motion.skeleton",
    "agir.motion.formats.bvh",
    "agir.motion.formats.c3d",
    "agir.motion.formats.carepd",
    "agir.motion.formats.humanml3d",
    "agir.motion.formats.smpl",
    "agir.data.recordings",
    "agir.data.sources",
    "agir.data.own_texts",
)


def _code_hash() -> str:
    digest = hashlib.sha256()
    for name in CONTENT_CODE:
        digest.update(Path(importlib.util.find_spec(name).origin).read_bytes())
    return digest.hexdigest()[:16]


def source_fingerprint(config: DataConfig, seed: int) -> str:
    """A hash of everything that decides the corpus content (not where it is written), code included."""
    content = {"fps": config.fps, "seed": seed, "version": CORPUS_VERSION, "code": _code_hash(), "sources": []}
    for view in source_views(config):
        resolved = OmegaConf.to_container(view.config, resolve=True)
        options = "synthetic" if view.config.source == "synthetic" else "recordings"
        source = {k: resolved[k] for k in ("source", options, "texts")} | {"dataset": view.dataset}
        if options == "recordings":  # and the recordings themselves: new or edited files make a new corpus
            source["files"] = recordings_signature(view.config)
        content["sources"].append(source | {"own_texts": texts_signature(view.config.texts), "prefix": view.prefix})
    return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()[:16]


def make_item(record: SourceRecord, seed: int, dataset: str) -> CorpusItem:
    """Measure the gait parameters of one record and write its description and rationale from them."""
    parameters = extract_gait_parameters(
        record.motion.joints, record.motion.fps, measured=record.motion.measured
    ).to_dict()
    # String seeds hash deterministically, so each item's phrasing is fixed by (seed, id) alone.
    text_rng = random.Random(f"{seed}:{record.id}")
    return CorpusItem(
        id=record.id,
        subject=record.subject,
        dataset=dataset,
        score=record.score,
        fps=record.motion.fps,
        layout=record.motion.layout,
        path=f"motions/{record.id}.npz",
        parameters=parameters,
        description=describe(parameters, text_rng),
        rationale=rationale(parameters, record.score, text_rng),
        extras=record.extras,
    )


def with_own_texts(item: CorpusItem, texts: OwnTexts, local_id: str) -> CorpusItem:
    """`item` with its own rationale and description where `texts` has them (ValueError: skip it, and why)."""
    keys = (local_id, item.extras["trial"]) if "trial" in item.extras else (local_id,)
    chosen = texts.apply(local_id, keys, item.score, {"rationale": item.rationale, "description": item.description})
    item.rationale, item.description = chosen.pop("rationale"), chosen.pop("description")
    item.extras = item.extras | chosen
    return item


def build_corpus(
    config: DataConfig, seed: int, out_dir: str | Path | None = None, progress: Callable[[str], None] | None = print
) -> Path:
    """Write the corpus for `config` into `out_dir` (default config.corpus_dir); bad records are skipped and listed."""
    out = Path(out_dir or config.corpus_dir)
    views = source_views(config)
    own_texts = {view.dataset: OwnTexts(view.config.texts) for view in views}
    (out / "motions").mkdir(parents=True, exist_ok=True)
    skipped: dict[str, str] = {}
    rows = []
    for view in views:
        for record, local_id in view_records(view, seed):
            if isinstance(record, SkippedRecord):
                skipped[record.id] = record.reason
                continue
            try:
                item = with_own_texts(make_item(record, seed, view.dataset), own_texts[view.dataset], local_id)
            except ValueError as error:
                skipped[record.id] = str(error)
                continue
            (out / item.path).parent.mkdir(parents=True, exist_ok=True)
            save_motion(out / item.path, record.motion)
            rows.append(json.dumps(item.to_json()))
    names = ", ".join(view.dataset for view in views)
    if not rows:
        raise ValueError(f"{out}: no usable sequences in {names} ({len(skipped)} skipped)")
    (out / MANIFEST).write_text("\n".join(rows) + "\n")
    info = {
        "source": config.source if not config.sources else [view.config.source for view in views],
        "datasets": [view.dataset for view in views],
        "fingerprint": source_fingerprint(config, seed),
        "items": len(rows),
        "skipped": skipped,
        "texts": {name: report for name, texts in own_texts.items() if (report := texts.report())},
    }
    (out / CORPUS_INFO).write_text(json.dumps(info, indent=1) + "\n")
    if progress:
        for item_id, reason in skipped.items():
            progress(f"skipped {item_id}: {reason}")
        for name, report in info["texts"].items():
            for kind, counts in report.items():
                progress(
                    f"{name} {kind} from {counts['file']}: {counts['matched']} matched, {counts['missing']} items "
                    f"without one ({counts['missing_policy']}), {len(counts['refused'])} refused, "
                    f"{len(counts['unmatched_ids'])} ids naming no item"
                )
    return out


def corpus_is_current(config: DataConfig, seed: int, corpus_dir: str | Path) -> bool:
    info_path = Path(corpus_dir) / CORPUS_INFO
    if not info_path.is_file() or not (Path(corpus_dir) / MANIFEST).is_file():
        return False
    return json.loads(info_path.read_text()).get("fingerprint") == source_fingerprint(config, seed)


def ensure_corpus(config: DataConfig, seed: int, progress: Callable[[str], None] | None = print) -> Path:
    """The corpus at config.corpus_dir, built first when missing or built from another config."""
    if not corpus_is_current(config, seed, config.corpus_dir):
        if progress:
            progress(
                f"building the corpus of {', '.join(v.dataset for v in source_views(config))} in {config.corpus_dir}"
            )
        build_corpus(config, seed, progress=progress)
    return Path(config.corpus_dir)


def read_manifest(corpus_dir: str | Path) -> list[CorpusItem]:
    """The items of a corpus; a malformed line is an error naming the file and line."""
    path = Path(corpus_dir) / MANIFEST
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no manifest; build the corpus with `python -m agir.data build`")
    items = []
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            missing = [k for k in FIELDS if k not in row]
            if missing:
                raise ValueError(f"missing keys {missing}")
            items.append(CorpusItem(**{k: row.pop(k) for k in FIELDS}, extras=row))
        except ValueError as error:
            raise ValueError(f"{path}:{number}: bad manifest line ({error})") from None
    return items


def load_item_motion(corpus_dir: str | Path, item: CorpusItem, target_fps: float | None = None) -> Motion:
    return load_motion(Path(corpus_dir) / item.path, target_fps=target_fps)
