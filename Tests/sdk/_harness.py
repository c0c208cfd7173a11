"""Shared plumbing of the SDK client scripts.

Each script is run as ``SCRIPT --base-url URL --api-key KEY --model MODEL SCENARIO [SCENARIO ...]``
and prints one JSON object per scenario on its own line, in the order given:

    {"scenario": "plain", "ok": true, "elapsed_ms": 12, ...scenario fields...}
    {"scenario": "unknown-model", "ok": false, "elapsed_ms": 3,
     "error": {"type": "NotFoundError", "status": 404, "message": "...", "body": {...}}}

``ok`` says whether the SDK call succeeded; an exception raised by the SDK is a result, not a
crash. The process exits 0 once every scenario has printed its line, 2 on bad arguments. Running
several scenarios in one process pays the SDK import once.
"""

import argparse
import json
import sys
import time


def parse_arguments(description, scenarios):
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--base-url", required=True, help="the proxy (or upstream) URL, as the SDK takes it")
    parser.add_argument("--api-key", required=True)
    parser.add_argument("--model", required=True)
    parser.add_argument("--unknown-model", default="no-such-model-quota-sim", help="model name for the unknown-model scenario")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds per SDK call")
    parser.add_argument("--max-retries", type=int, default=0,
                        help="the SDK's own retries (default 0: the tests look at single attempts; the SDKs' default is 2)")
    parser.add_argument("scenarios", nargs="+", choices=sorted(scenarios), metavar="SCENARIO",
                        help="one or more of: " + ", ".join(sorted(scenarios)))
    return parser.parse_args()


def _jsonable(value):
    try:
        json.dumps(value)
        return value
    except (TypeError, ValueError):
        return repr(value)


def describe_error(error):
    """The SDK exception as a JSON object: class name, HTTP status and body when it has them."""
    described = {"type": type(error).__name__, "message": str(error)[:2000]}
    status = getattr(error, "status_code", None)
    if status is None:
        status = getattr(error, "code", None)  # google-genai APIError
    if isinstance(status, int):
        described["status"] = status
    body = getattr(error, "body", None)
    if body is None:
        body = getattr(error, "details", None)  # google-genai APIError
    if body is not None:
        described["body"] = _jsonable(body)
    return described


def run(arguments, scenarios):
    for name in arguments.scenarios:
        started = time.monotonic()
        try:
            fields = scenarios[name](arguments)
            result = {"scenario": name, "ok": True}
            result.update(fields)
        except Exception as error:  # noqa: BLE001 - every SDK failure is a result
            result = {"scenario": name, "ok": False, "error": describe_error(error)}
        result["elapsed_ms"] = int((time.monotonic() - started) * 1000)
        sys.stdout.write(json.dumps(result, sort_keys=True, default=repr) + "\n")
        sys.stdout.flush()
    return 0


# The tool every tools scenario declares, and the call it asks for (the upstream simulator's
# trigger: "call tool NAME with {JSON}").
TOOL_NAME = "get_weather"
TOOL_DESCRIPTION = "Current weather of a city"
TOOL_PARAMETERS = {
    "type": "object",
    "properties": {"city": {"type": "string", "description": "City name"}},
    "required": ["city"],
}
TOOL_PROMPT = 'What is the weather? call tool get_weather with {"city": "Paris"}'
TOOL_RESULT = {"temperature_c": 21, "sky": "clear"}
