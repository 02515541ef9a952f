"""Issue 20 on a real GPU: everything gpuctl prints as JSON matches the
committed schema (src/report/schema.json) the CI tests validate the
simulator's output against. Real hardware reports checks and readings the
simulator may not (another process's memory, throttling, a real XID
watch), so each command runs here and:

- every check it reports (per GPU, host, per p2p pair, diag's phases) has a
  name the schema's catalogue lists (or diag's `diag_<phase>`);
- every JSON Lines line is an event the schema knows (`--json-lines` of burn
  and memtest, `monitor --json`'s samples and events, the report);
- when the Python `jsonschema` package is importable, every document and
  line also validates against the schema in full (said on the PASS line).

Run: bash tests/gpu/run.sh schema   (about 2 minutes on one GPU)
"""
import json
import os

from common import check, finish, gpuctl, smi_query

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
with open(os.path.join(ROOT, "src", "report", "schema.json")) as f:
    SCHEMA = json.load(f)

name_rule = SCHEMA["$defs"]["Check"]["properties"]["name"]["anyOf"]
NAMES = set(next(r["enum"] for r in name_rule if "enum" in r))
PREFIXES = [r["pattern"].lstrip("^").split("[")[0] for r in name_rule if "pattern" in r]


def events_of(definition, seen=None):
    """Every `event` constant a JSON Line definition (or its parts) allows."""
    seen = seen if seen is not None else set()
    out = set()
    if "$ref" in definition:
        name = definition["$ref"].split("/")[-1]
        if name in seen:
            return out
        seen.add(name)
        return events_of(SCHEMA["$defs"][name], seen)
    for branch in definition.get("anyOf", []) + definition.get("oneOf", []):
        out |= events_of(branch, seen)
    event = definition.get("properties", {}).get("event", {})
    if "const" in event:
        out.add(event["const"])
    for value in event.get("enum", []):
        if value is not None:
            out.add(value)
    for branch in event.get("anyOf", []):
        if "const" in branch:
            out.add(branch["const"])
        for value in branch.get("enum", []):
            if value is not None:
                out.add(value)
    return out


EVENTS = events_of({"$ref": "#/$defs/JsonLine"}) | {"report"}

try:
    import jsonschema

    LINE = {"$schema": SCHEMA["$schema"], "$ref": "#/$defs/JsonLine", "$defs": SCHEMA["$defs"]}
    DOC_VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)
    LINE_VALIDATOR = jsonschema.Draft202012Validator(LINE)
except ImportError:
    DOC_VALIDATOR = LINE_VALIDATOR = None


def check_names(value, found):
    """Collects every check name in a document (any list of objects with a
    name and a status under a key ending in `checks`)."""
    if isinstance(value, dict):
        for key, v in value.items():
            if key.endswith("checks") and isinstance(v, list):
                for c in v:
                    if isinstance(c, dict) and "name" in c and "status" in c:
                        found.add(c["name"])
            check_names(v, found)
    elif isinstance(value, list):
        for v in value:
            check_names(v, found)
    return found


def known(name):
    return name in NAMES or any(name.startswith(p) for p in PREFIXES)


def judge(what, docs, lines):
    names = set()
    for d in docs:
        check_names(d, names)
    unknown = sorted(n for n in names if not known(n))
    check(bool(names) and not unknown, f"{what}: {len(names)} check names, all catalogued", f"unknown: {unknown}")
    if lines:
        events = sorted({l.get("event") for l in lines} - EVENTS)
        check(not events, f"{what}: {len(lines)} lines, every event in $defs/JsonLine", f"unknown: {events}")
    if DOC_VALIDATOR is not None:
        errors = []
        for d in docs:
            if "event" not in d:
                errors += [e.message for e in DOC_VALIDATOR.iter_errors(d)]
        for l in lines:
            errors += [e.message for e in LINE_VALIDATOR.iter_errors(l)]
        check(not errors, f"{what}: valid against schema.json (jsonschema)", "; ".join(errors[:5]))


def parse_lines(out):
    return [json.loads(l) for l in out.splitlines() if l.strip()]


n = len(smi_query(["index"]))
print(f"{len(NAMES)} catalogued check names, prefixes {PREFIXES}, events {sorted(EVENTS)}")
print("full validation:", "jsonschema" if DOC_VALIDATOR else "not available (names and events only)")

documents = [["list"], ["probe", "--compute"], ["health"], ["bench", "--quick"]]
if n >= 2:
    documents.append(["p2p", "-i", "0,1", "--size-mib", "64"])
for args in documents:
    code, out, err, _ = gpuctl(*args, "--json", timeout=600)
    try:
        doc = json.loads(out)
    except ValueError:
        check(False, f"{' '.join(args)} --json: one document", err[:300])
        continue
    judge(" ".join(args), [doc], [])

streams = [["burn", "-d", "10s", "--json-lines"], ["burn", "-d", "10s", "--mode", "mixed", "--json-lines"],
           ["memtest", "-d", "10s", "--json-lines"], ["monitor", "--json", "-c", "3", "--interval", "300ms"]]
for args in streams:
    code, out, err, _ = gpuctl(*args, timeout=600)
    try:
        lines = parse_lines(out)
    except ValueError:
        check(False, f"{' '.join(args)}: every line is JSON", out[:300] + err[:300])
        continue
    reports = [l for l in lines if l.get("event") == "report"]
    check(len(reports) == 1 and lines[-1].get("event") == "report", f"{' '.join(args)}: the report last", err[:300])
    judge(" ".join(args), reports, lines)

finish()
