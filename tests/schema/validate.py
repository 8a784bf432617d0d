"""Validates Function answers against netdata's FUNCTION_UI_SCHEMA.json.

Reads one JSON document per line on stdin: {"expect": "info"|"data"|"error",
"body": <the answer's body>}. Each body must validate against the schema
(draft-07) and match the one branch of its oneOf that `expect` names.
Prints one line per failure and exits 1 if any; prints "N answers valid"
and exits 0 otherwise. Exit 3 when the jsonschema module is missing.
"""
import json
import sys

try:
    import jsonschema
except ImportError:
    print("the Python module jsonschema is missing (apt-get install python3-jsonschema)")
    sys.exit(3)

BRANCH = {"info": "info_response", "data": "data_response", "error": "error_response"}


def main(schema_path):
    with open(schema_path) as f:
        schema = json.load(f)
    validator = jsonschema.Draft7Validator(schema)
    failures, n = [], 0
    for line in sys.stdin:
        if not line.strip():
            continue
        item = json.loads(line)
        expect, body = item["expect"], item["body"]
        n += 1
        errors = sorted(validator.iter_errors(body), key=lambda e: list(e.path))
        if errors:
            failures.append(f"{expect} answer: {errors[0].message[:300]}")
            continue
        branch = dict(schema, **{"$ref": f"#/definitions/{BRANCH[expect]}"})
        branch.pop("oneOf")
        if not jsonschema.Draft7Validator(branch).is_valid(body):
            failures.append(f"{expect} answer is valid, but not as the branch {BRANCH[expect]}")
    for f in failures:
        print(f)
    if failures:
        sys.exit(1)
    print(f"{n} answers valid")


if __name__ == "__main__":
    main(sys.argv[1])
