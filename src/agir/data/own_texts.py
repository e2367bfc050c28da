"""Your own rationales and descriptions in a corpus, in place of the generated ones (`data.texts`).

A text file maps item ids to texts: a JSON object (`{"SUB01_off_walk_1": "Foot: ... Arm: ... Overall: ..."}`, the
form the AGIR authors released for BMCLab), or JSONL/CSV with fields `id` and `text`. An id names an item by its id
or by its trial (the recording's path under the root without suffix; CARE-PD: the walk name), within its source.

A rationale gets its `Score: N` line from the item's label. A rationale that already ends in a score line keeps it
only when it agrees with the label; otherwise the item is skipped with the reason. An item the file has no text for
is skipped or keeps its generated text (`data.texts.missing`). Every count goes into corpus.json: ids matched, items
without a text (listed), ids that name no item of the corpus (listed), and texts refused.
"""

from __future__ import annotations

import csv
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from agir.data.data_config import TextsConfig
from agir.text.score import SCORE_PREFIX, parse_score, with_score

KINDS = ("rationales", "descriptions")


def read_texts(path: str | Path) -> dict[str, str]:
    """id -> text from a .json object, or .jsonl/.csv rows with fields id and text; a bad file is a one-line error."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".json", ".jsonl", ".csv"):
        raise ValueError(f"{path}: texts must be a .json object or .jsonl/.csv rows of id and text")
    try:
        content = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        raise ValueError(f"{path}: not a readable text file ({error})") from None
    if suffix == ".json":
        try:
            texts = json.loads(content)
        except json.JSONDecodeError as error:
            raise ValueError(f"{path}: not valid JSON ({error})") from None
        if not isinstance(texts, dict):
            raise ValueError(f"{path}: must be one JSON object mapping ids to texts, not a {type(texts).__name__}")
        rows = [(f"{path} key {key!r}", key, text) for key, text in texts.items()]
    else:
        rows = list(_rows(path, content, suffix))
    result: dict[str, str] = {}
    for where, key, text in rows:
        if not isinstance(text, str) or not text.strip():
            raise ValueError(f"{where}: the text must be a non-empty string")
        key = str(key).strip()
        if key in result:
            raise ValueError(f"{where}: id {key!r} has a text already")
        result[key] = text.strip()
    return result


def _rows(path: Path, content: str, suffix: str):
    if suffix == ".csv":
        try:
            reader = csv.DictReader(content.splitlines())
            if not {"id", "text"} <= set(reader.fieldnames or ()):
                raise ValueError(f"{path}: CSV needs columns id and text (found: {', '.join(reader.fieldnames or [])})")
            for line, row in enumerate(reader, start=2):
                yield f"{path}:{line}", row["id"] or "", row["text"]
        except csv.Error as error:
            raise ValueError(f"{path}: not a readable CSV ({error})") from None
        return
    for line, text in enumerate(content.splitlines(), start=1):
        if not text.strip():
            continue
        try:
            row = json.loads(text)
        except json.JSONDecodeError as error:
            raise ValueError(f"{path}:{line}: not a JSON object ({error})") from None
        if not isinstance(row, dict) or not {"id", "text"} <= set(row):
            raise ValueError(f"{path}:{line}: a line must be an object with keys id and text")
        yield f"{path}:{line}", row["id"], row["text"]


def _last_line(text: str) -> str:
    return text.rstrip().splitlines()[-1].strip()


def labelled_rationale(text: str, score: int) -> str:
    """`text` ending in the label's `Score: N` line; a score line already there must be that one (else ValueError)."""
    body = text.rstrip()
    last = _last_line(body)
    if last.lower().startswith(SCORE_PREFIX.lower()):
        said = parse_score(last)
        if said is None:
            raise ValueError(f"its last line {last!r} is not a score line `{SCORE_PREFIX} 0-3`")
        if said != score:
            raise ValueError(f"its score line says {said} but the item's label is {score}")
        body = body[: body.rstrip().rfind(last)].rstrip()
        if not body:
            raise ValueError("it holds a score line and no reasoning")
    return with_score(body, score)


def _description(text: str, score: int) -> str:
    if _last_line(text).lower().startswith(SCORE_PREFIX.lower()):
        raise ValueError("a description must not end in a score line (the score belongs to the rationale)")
    return text


@dataclass
class TextFile:
    """One file of own texts and what became of its ids."""

    kind: str
    path: str
    texts: dict[str, str]
    # text id -> the item that took it
    used: dict[str, str] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)
    # item id -> why its text was refused; `claimed` holds the text ids those refusals were about
    refused: dict[str, str] = field(default_factory=dict)
    claimed: set[str] = field(default_factory=set)

    def report(self, policy: str) -> dict:
        return {
            "file": self.path,
            "texts": len(self.texts),
            "matched": len(self.used),
            "missing": len(self.missing),
            "missing_policy": policy,
            "refused": self.refused,
            "missing_ids": self.missing,
            "unmatched_ids": sorted(set(self.texts) - set(self.used) - self.claimed),
        }


class OwnTexts:
    """The own texts of one source, applied item by item while its corpus is built."""

    def __init__(self, config: TextsConfig):
        self.missing = config.missing
        self.files = {kind: TextFile(kind, path, read_texts(path)) for kind in KINDS if (path := getattr(config, kind))}

    def apply(self, item_id: str, keys: tuple[str, ...], score: int, generated: dict[str, str]) -> dict[str, str]:
        """The item's texts by kind (`rationale`, `description`): its own where the files have one, else (missing:
        generate) the generated one. ValueError, naming the file, when the item has to be skipped."""
        chosen = dict(generated)
        for kind, text_file in self.files.items():
            name = kind[:-1]
            key = next((key for key in keys if key in text_file.texts), None)
            if key is None:
                text_file.missing.append(item_id)
                if self.missing == "skip":
                    raise ValueError(f"{text_file.path}: no {name} for {item_id} (data.texts.missing=skip)")
                chosen[f"{name}_source"] = "generated"
                continue
            text_file.claimed.add(key)
            if key in text_file.used:
                text_file.refused[item_id] = f"id {key!r} is already the {name} of {text_file.used[key]}"
                raise ValueError(f"{text_file.path}: {text_file.refused[item_id]}; give {item_id} its own id")
            label = labelled_rationale if kind == "rationales" else _description
            try:
                chosen[name] = label(text_file.texts[key], score)
            except ValueError as error:
                text_file.refused[item_id] = f"{name} {key!r}: {error}"
                raise ValueError(f"{text_file.path}: {text_file.refused[item_id]}") from None
            text_file.used[key] = item_id
            chosen[f"{name}_source"] = "own"
        return chosen

    def report(self) -> dict:
        return {kind: text_file.report(self.missing) for kind, text_file in self.files.items()}


def texts_signature(config: TextsConfig) -> str:
    """A hash of the text files' contents: an edited file makes a new corpus."""
    digest = hashlib.sha256()
    for kind in KINDS:
        path = Path(getattr(config, kind))
        if getattr(config, kind) and path.is_file():
            digest.update(kind.encode() + path.read_bytes())
    return digest.hexdigest()[:16]
