#!/usr/bin/env python3
"""Does the stemmer generalize?  Conflation F1 on a dev part and a held-out part of the UD train split.

    .venv/bin/python bench/stem_generalization.py [--stemmer indexer.analysis:stem] [--seed kgsearch-1]
    .venv/bin/python bench/stem_generalization.py --write-split DIR      # also keep the two files

The shared UD_Kyrgyz-KTMU train split (``../shared/ud/ky_ktmu-ud-train.conllu``) is cut by sentence
id into a dev part (70 %) and a held-out part (30 %): a sentence goes to dev when the first 8 hex
digits of sha1(seed + sent_id) taken modulo 100 are below 70 -- deterministic, independent of the
file's order, and the same split on every machine.  Rules are meant to be changed looking at dev
only; held-out shows whether they generalize.  The split files are written to a temporary folder
(never into the repository: the treebank is CC BY-SA, read from ../shared), and
``../shared/tools/stem_eval.py`` is run on each part -- all parts of speech, and nouns/proper
nouns/adjectives with ``--clean-gold`` -- plus the whole train file and the UniMorph verbs.
Prints one table; a script, not a test.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
TRAIN = SHARED / "ud" / "ky_ktmu-ud-train.conllu"
UNIMORPH = SHARED / "ud" / "unimorph-kir" / "kir_unimorph_fixed.conllu"
EVAL = SHARED / "tools" / "stem_eval.py"
DEV_SHARE = 70


def sentences(path: Path):
    """Yield (sent_id, text block) for each sentence of a CoNLL-U file."""
    block: list[str] = []
    sid = None
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if line.startswith("# sent_id"):
                sid = line.split("=", 1)[1].strip()
            if line.strip():
                block.append(line)
            elif block:
                yield sid or str(hash("".join(block))), "".join(block)
                block, sid = [], None
    if block:
        yield sid or "", "".join(block)


def is_dev(sent_id: str, seed: str) -> bool:
    h = int(hashlib.sha1((seed + sent_id).encode("utf-8")).hexdigest()[:8], 16)
    return h % 100 < DEV_SHARE


def split(path: Path, folder: Path, seed: str) -> tuple[Path, Path, int, int]:
    dev, held = [], []
    for sid, block in sentences(path):
        (dev if is_dev(sid, seed) else held).append(block)
    dev_path, held_path = folder / "dev.conllu", folder / "held.conllu"
    dev_path.write_text("\n".join(dev) + "\n", encoding="utf-8")
    held_path.write_text("\n".join(held) + "\n", encoding="utf-8")
    return dev_path, held_path, len(dev), len(held)


def evaluate(stemmer: str, data: Path, folder: Path, extra: list[str]) -> dict:
    out = folder / "result.json"
    cmd = [sys.executable, str(EVAL), stemmer, "--path", str(ROOT), "--no-errt", "--data", str(data),
           "--json", str(out), *extra]
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    return json.loads(out.read_text(encoding="utf-8"))["results"][stemmer]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--stemmer", default="indexer.analysis:stem")
    ap.add_argument("--seed", default="kgsearch-1")
    ap.add_argument("--write-split", type=Path, help="also write dev.conllu / held.conllu here")
    args = ap.parse_args(argv)
    for p in (TRAIN, EVAL):
        if not p.exists():
            print(f"not found: {p}", file=sys.stderr)
            return 1
    with tempfile.TemporaryDirectory(prefix="stemgen-") as tmp:
        folder = Path(args.write_split) if args.write_split else Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        dev, held, n_dev, n_held = split(TRAIN, folder, args.seed)
        print(f"split of {TRAIN.name} by sent_id (seed {args.seed!r}): dev {n_dev} sentences, "
              f"held-out {n_held}")
        runs = [("dev", dev), ("held-out", held), ("whole train", TRAIN)]
        if UNIMORPH.exists():
            runs.append(("UniMorph verbs", UNIMORPH))
        clean = ["--upos", "NOUN,PROPN,ADJ", "--clean-gold"]
        print(f"{'data':<16} {'all-POS F1 (P / R)':<26} {'N/PROPN/ADJ clean F1 (P / R)':<30} "
              f"{'VERB R':>7} {'PRON R':>7}")
        for label, path in runs:
            a = evaluate(args.stemmer, path, Path(tmp), [])
            by_pos = a["recall_by_pos"]
            verb = by_pos.get("VERB", [float("nan")])[0]
            pron = by_pos.get("PRON", [float("nan")])[0]
            if label == "UniMorph verbs":
                c_text = "—"
            else:
                c = evaluate(args.stemmer, path, Path(tmp), clean)
                c_text = f"{c['f1']:.3f} ({c['precision']:.3f} / {c['recall']:.3f})"
            print(f"{label:<16} {a['f1']:.3f} ({a['precision']:.3f} / {a['recall']:.3f})"
                  f"{'':<6} {c_text:<30} {verb:>7.3f} {pron:>7.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
