#!/usr/bin/env python3
"""Builds corpus/{train,dev,test}.jsonl from the hand-written parts in corpus/parts/*.txt.

Part format, one message per line (blank lines and lines starting with '#' are skipped):
    R|<categories, comma-separated, preferred first>|<n|u|a>|<location substring or ->|<text>
    N|<text>
R is a request (urgency n = normal, u = urgent, a = any), N is not a request.
The id of a line is "<part name>-<line number among its messages, 3 digits>", so appending
lines never changes earlier ids. The split is fixed by the id: FNV-1a 32-bit of the id's UTF-8
bytes, modulo 10: 0-1 test, 2-3 dev, 4-9 train (checked by a unit test in src/understand/eval.rs).
"""
import json, pathlib, sys

CATS = {"lighting", "sanitation", "water", "power", "road", "greenery", "safety", "dispute",
        "welfare", "health", "property", "admin", "other"}
URG = {"n": "normal", "u": "urgent", "a": "any"}

def fnv1a(s):
    h = 0x811c9dc5
    for b in s.encode():
        h ^= b
        h = (h * 0x01000193) & 0xffffffff
    return h

def split(id_):
    r = fnv1a(id_) % 10
    return "test" if r < 2 else "dev" if r < 4 else "train"

def main():
    here = pathlib.Path(__file__).parent
    out = {"train": [], "dev": [], "test": []}
    seen = set()
    for part in sorted((here / "parts").glob("*.txt")):
        n = 0
        for lineno, line in enumerate(part.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip() or line.startswith("#"):
                continue
            n += 1
            id_ = f"{part.stem}-{n:03d}"
            where = f"{part.name}:{lineno}"
            kind, _, rest = line.partition("|")
            if kind == "N":
                text = rest.strip()
                row = {"id": id_, "text": text, "is_request": False, "categories": None,
                       "urgency": None, "location": None}
            elif kind == "R":
                fields = rest.split("|", 3)
                if len(fields) != 4:
                    sys.exit(f"{where}: want R|cats|urgency|location|text")
                cats, urg, loc, text = fields
                text = text.strip()
                cats = [c.strip() for c in cats.split(",")]
                if not cats or any(c not in CATS for c in cats):
                    sys.exit(f"{where}: bad categories {cats}")
                if urg not in URG:
                    sys.exit(f"{where}: bad urgency {urg}")
                loc = None if loc.strip() in ("", "-") else loc.strip()
                if loc is not None and loc not in text:
                    sys.exit(f"{where}: location {loc!r} is not in the text")
                row = {"id": id_, "text": text, "is_request": True, "categories": cats,
                       "urgency": URG[urg], "location": loc}
            else:
                sys.exit(f"{where}: line must start with R| or N|")
            if not text:
                sys.exit(f"{where}: empty text")
            if text in seen:
                sys.exit(f"{where}: duplicate text")
            seen.add(text)
            out[split(id_)].append(row)
    for name, rows in out.items():
        with open(here / f"{name}.jsonl", "w", encoding="utf-8") as f:
            for row in rows:
                f.write(json.dumps(row, ensure_ascii=False) + "\n")
    total = sum(len(r) for r in out.values())
    req = sum(r["is_request"] for rows in out.values() for r in rows)
    print(f"{total} rows ({req} requests, {total - req} not): "
          + ", ".join(f"{k} {len(v)}" for k, v in out.items()))

if __name__ == "__main__":
    main()
