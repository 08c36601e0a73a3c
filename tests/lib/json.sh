# Sourced by tests that check --json output against the documented schema
# (docs/json/COMMAND.schema.json, described in docs/hwkey-json.7).
# hk_json_valid SCHEMA_NAME FILE: FILE is one JSON document valid under
# docs/json/SCHEMA_NAME.schema.json (which may $ref common.schema.json).
hk_json_valid() {
	local schema=$HK_SRCDIR/docs/json/$1.schema.json
	[ -f "$schema" ] || fail "no schema $schema"
	/usr/bin/python3 - "$schema" "$2" <<'PY' || fail "$2 is not valid under $(basename "$schema")"
import json, pathlib, sys
import jsonschema
schema_path = pathlib.Path(sys.argv[1])
schema = json.loads(schema_path.read_text())
store = {}
for p in schema_path.parent.glob("*.schema.json"):
    s = json.loads(p.read_text())
    store[s.get("$id", p.name)] = s
    store[p.name] = s
resolver = jsonschema.RefResolver(base_uri=schema.get("$id", schema_path.name),
                                  referrer=schema, store=store)
doc = json.loads(pathlib.Path(sys.argv[2]).read_text())
v = jsonschema.Draft7Validator(schema, resolver=resolver)
errors = sorted(v.iter_errors(doc), key=lambda e: list(e.path))
for e in errors[:5]:
    print("  at /%s: %s" % ("/".join(map(str, e.path)), e.message), file=sys.stderr)
sys.exit(1 if errors else 0)
PY
	pass
}
