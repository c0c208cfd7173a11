#!/usr/bin/env python3
"""The official anthropic SDK as a client: messages, plain and streamed, tools, models, tokens.

Scenarios: plain, stream, tools, tools-stream, models.retrieve, models.list, count-tokens, unknown-model. See
_harness.py for the arguments and the output (one JSON line per scenario). --base-url is what the
SDK takes, e.g. http://127.0.0.1:8045 (the SDK adds /v1/...).
"""

import json
import sys

import _harness
import anthropic

PROMPT = "Say hello"
MAX_TOKENS = 64


_CLIENTS = {}


def client(arguments):
    """One SDK client per process, with --max-retries retries (default none)."""
    if "sdk" not in _CLIENTS:
        _CLIENTS["sdk"] = anthropic.Anthropic(base_url=arguments.base_url, api_key=arguments.api_key,
                                              max_retries=arguments.max_retries, timeout=arguments.timeout)
    return _CLIENTS["sdk"]


def usage_of(usage):
    return {"input_tokens": usage.input_tokens, "output_tokens": usage.output_tokens}


def text_of(message):
    return "".join(block.text for block in message.content if block.type == "text")


def plain(arguments):
    message = client(arguments).messages.create(
        model=arguments.model, max_tokens=MAX_TOKENS, messages=[{"role": "user", "content": PROMPT}])
    return {"id": message.id, "model": message.model, "role": message.role, "content": text_of(message),
            "stop_reason": message.stop_reason, "usage": usage_of(message.usage)}


def stream(arguments):
    pieces, events = [], 0
    with client(arguments).messages.stream(
            model=arguments.model, max_tokens=MAX_TOKENS, messages=[{"role": "user", "content": PROMPT}]) as events_stream:
        for event in events_stream:
            events += 1
            if event.type == "content_block_delta" and event.delta.type == "text_delta":
                pieces.append(event.delta.text)
        final = events_stream.get_final_message()
    return {"content": "".join(pieces), "chunks": len(pieces), "events": events, "final_content": text_of(final),
            "stop_reason": final.stop_reason, "usage": usage_of(final.usage)}


def tools(arguments):
    sdk = client(arguments)
    declared = [{"name": _harness.TOOL_NAME, "description": _harness.TOOL_DESCRIPTION,
                 "input_schema": _harness.TOOL_PARAMETERS}]
    messages = [{"role": "user", "content": _harness.TOOL_PROMPT}]
    first = sdk.messages.create(model=arguments.model, max_tokens=MAX_TOKENS, messages=messages, tools=declared)
    uses = [block for block in first.content if block.type == "tool_use"]
    result = {"tool_calls": [{"id": use.id, "name": use.name, "arguments": use.input} for use in uses],
              "first_stop_reason": first.stop_reason, "first_content": text_of(first)}
    if not uses:
        return result
    messages.append({"role": "assistant", "content": [block.model_dump() for block in first.content]})
    messages.append({"role": "user", "content": [
        {"type": "tool_result", "tool_use_id": use.id, "content": json.dumps(_harness.TOOL_RESULT)} for use in uses]})
    second = sdk.messages.create(model=arguments.model, max_tokens=MAX_TOKENS, messages=messages, tools=declared)
    result["final_content"] = text_of(second)
    result["final_stop_reason"] = second.stop_reason
    return result


def tools_stream(arguments):
    """The tools round trip with both calls streamed; the SDK assembles the tool_use input from its
    input_json_delta events."""
    sdk = client(arguments)
    declared = [{"name": _harness.TOOL_NAME, "description": _harness.TOOL_DESCRIPTION,
                 "input_schema": _harness.TOOL_PARAMETERS}]
    messages = [{"role": "user", "content": _harness.TOOL_PROMPT}]
    json_deltas = 0
    with sdk.messages.stream(model=arguments.model, max_tokens=MAX_TOKENS, messages=messages, tools=declared) as events:
        for event in events:
            if event.type == "content_block_delta" and event.delta.type == "input_json_delta":
                json_deltas += 1
        first = events.get_final_message()
    uses = [block for block in first.content if block.type == "tool_use"]
    result = {"tool_calls": [{"id": use.id, "name": use.name, "arguments": use.input} for use in uses],
              "input_json_deltas": json_deltas, "first_stop_reason": first.stop_reason, "first_content": text_of(first)}
    if not uses:
        return result
    messages.append({"role": "assistant", "content": [block.model_dump() for block in first.content]})
    messages.append({"role": "user", "content": [
        {"type": "tool_result", "tool_use_id": use.id, "content": json.dumps(_harness.TOOL_RESULT)} for use in uses]})
    pieces = []
    with sdk.messages.stream(model=arguments.model, max_tokens=MAX_TOKENS, messages=messages, tools=declared) as events:
        for event in events:
            if event.type == "content_block_delta" and event.delta.type == "text_delta":
                pieces.append(event.delta.text)
        second = events.get_final_message()
    result["final_content"] = "".join(pieces)
    result["final_message_content"] = text_of(second)
    result["final_stop_reason"] = second.stop_reason
    return result


def models_retrieve(arguments):
    model = client(arguments).models.retrieve(arguments.model)
    return {"id": model.id, "type": model.type, "display_name": model.display_name}


def models_list(arguments):
    return {"ids": sorted(model.id for model in client(arguments).models.list())}


def count_tokens(arguments):
    counted = client(arguments).messages.count_tokens(
        model=arguments.model, messages=[{"role": "user", "content": PROMPT}])
    return {"input_tokens": counted.input_tokens}


def unknown_model(arguments):
    message = client(arguments).messages.create(
        model=arguments.unknown_model, max_tokens=MAX_TOKENS, messages=[{"role": "user", "content": PROMPT}])
    return {"model": message.model, "content": text_of(message)}


SCENARIOS = {"plain": plain, "stream": stream, "tools": tools, "tools-stream": tools_stream, "models.retrieve": models_retrieve,
             "models.list": models_list, "count-tokens": count_tokens, "unknown-model": unknown_model}

if __name__ == "__main__":
    sys.exit(_harness.run(_harness.parse_arguments(__doc__, SCENARIOS), SCENARIOS))
