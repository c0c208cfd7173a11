#!/usr/bin/env python3
"""The official openai SDK as a client: chat completions, plain and streamed, tools, models.

Scenarios: plain, stream, tools, tools-stream, models.retrieve, models.list, unknown-model. See _harness.py
for the arguments and the output (one JSON line per scenario). --base-url is what the SDK takes,
e.g. http://127.0.0.1:8045/v1.
"""

import json
import sys

import _harness
import openai

PROMPT = "Say hello"


_CLIENTS = {}


def client(arguments):
    """One SDK client per process, with --max-retries retries (default none)."""
    if "sdk" not in _CLIENTS:
        _CLIENTS["sdk"] = openai.OpenAI(base_url=arguments.base_url, api_key=arguments.api_key,
                                        max_retries=arguments.max_retries, timeout=arguments.timeout)
    return _CLIENTS["sdk"]


def usage_of(usage):
    if usage is None:
        return None
    return {"prompt_tokens": usage.prompt_tokens, "completion_tokens": usage.completion_tokens,
            "total_tokens": usage.total_tokens}


def plain(arguments):
    answer = client(arguments).chat.completions.create(
        model=arguments.model, messages=[{"role": "user", "content": PROMPT}])
    choice = answer.choices[0]
    return {"id": answer.id, "model": answer.model, "role": choice.message.role,
            "content": choice.message.content, "finish_reason": choice.finish_reason,
            "usage": usage_of(answer.usage)}


def stream(arguments):
    chunks = client(arguments).chat.completions.create(
        model=arguments.model, messages=[{"role": "user", "content": PROMPT}],
        stream=True, stream_options={"include_usage": True})
    content, pieces, finish_reason, usage, ids = "", 0, None, None, set()
    for chunk in chunks:
        ids.add(chunk.id)
        if chunk.usage is not None:
            usage = usage_of(chunk.usage)
        for choice in chunk.choices:
            if choice.delta.content:
                content += choice.delta.content
                pieces += 1
            if choice.finish_reason:
                finish_reason = choice.finish_reason
    return {"content": content, "chunks": pieces, "finish_reason": finish_reason, "usage": usage,
            "ids": len(ids)}


def tools(arguments):
    sdk = client(arguments)
    declared = [{"type": "function", "function": {"name": _harness.TOOL_NAME, "description": _harness.TOOL_DESCRIPTION,
                                                  "parameters": _harness.TOOL_PARAMETERS}}]
    messages = [{"role": "user", "content": _harness.TOOL_PROMPT}]
    first = sdk.chat.completions.create(model=arguments.model, messages=messages, tools=declared)
    message = first.choices[0].message
    calls = [{"id": call.id, "name": call.function.name, "arguments": json.loads(call.function.arguments or "{}")}
             for call in (message.tool_calls or [])]
    result = {"tool_calls": calls, "first_finish_reason": first.choices[0].finish_reason,
              "first_content": message.content}
    if not calls:
        return result
    messages.append({"role": "assistant", "content": message.content,
                     "tool_calls": [call.model_dump() for call in message.tool_calls]})
    for call in message.tool_calls:
        messages.append({"role": "tool", "tool_call_id": call.id, "content": json.dumps(_harness.TOOL_RESULT)})
    second = sdk.chat.completions.create(model=arguments.model, messages=messages, tools=declared)
    result["final_content"] = second.choices[0].message.content
    result["final_finish_reason"] = second.choices[0].finish_reason
    return result


def tools_stream(arguments):
    """The tools round trip with both calls streamed: the tool call is assembled from its
    delta.tool_calls pieces (by index) as OpenAI's streaming guide does."""
    sdk = client(arguments)
    declared = [{"type": "function", "function": {"name": _harness.TOOL_NAME, "description": _harness.TOOL_DESCRIPTION,
                                                  "parameters": _harness.TOOL_PARAMETERS}}]
    messages = [{"role": "user", "content": _harness.TOOL_PROMPT}]
    calls, pieces, first_finish_reason, first_content = {}, 0, None, ""
    for chunk in sdk.chat.completions.create(model=arguments.model, messages=messages, tools=declared, stream=True):
        for choice in chunk.choices:
            if choice.delta.content:
                first_content += choice.delta.content
            for delta in choice.delta.tool_calls or []:
                call = calls.setdefault(delta.index, {"id": None, "name": None, "arguments": ""})
                if delta.id:
                    call["id"] = delta.id
                if delta.function and delta.function.name:
                    call["name"] = delta.function.name
                if delta.function and delta.function.arguments:
                    call["arguments"] += delta.function.arguments
                    pieces += 1
            if choice.finish_reason:
                first_finish_reason = choice.finish_reason
    ordered = [calls[index] for index in sorted(calls)]
    result = {"tool_calls": [{"id": call["id"], "name": call["name"], "arguments": json.loads(call["arguments"] or "{}")}
                             for call in ordered],
              "argument_pieces": pieces, "first_finish_reason": first_finish_reason, "first_content": first_content}
    if not ordered:
        return result
    messages.append({"role": "assistant", "content": first_content or None, "tool_calls": [
        {"id": call["id"], "type": "function", "function": {"name": call["name"], "arguments": call["arguments"]}}
        for call in ordered]})
    for call in ordered:
        messages.append({"role": "tool", "tool_call_id": call["id"], "content": json.dumps(_harness.TOOL_RESULT)})
    final_content, final_finish_reason = "", None
    for chunk in sdk.chat.completions.create(model=arguments.model, messages=messages, tools=declared, stream=True):
        for choice in chunk.choices:
            if choice.delta.content:
                final_content += choice.delta.content
            if choice.finish_reason:
                final_finish_reason = choice.finish_reason
    result["final_content"] = final_content
    result["final_finish_reason"] = final_finish_reason
    return result


def models_retrieve(arguments):
    model = client(arguments).models.retrieve(arguments.model)
    return {"id": model.id, "object": model.object, "owned_by": model.owned_by}


def models_list(arguments):
    return {"ids": sorted(model.id for model in client(arguments).models.list())}


def unknown_model(arguments):
    answer = client(arguments).chat.completions.create(
        model=arguments.unknown_model, messages=[{"role": "user", "content": PROMPT}])
    return {"model": answer.model, "content": answer.choices[0].message.content}


SCENARIOS = {"plain": plain, "stream": stream, "tools": tools, "tools-stream": tools_stream, "models.retrieve": models_retrieve,
             "models.list": models_list, "unknown-model": unknown_model}

if __name__ == "__main__":
    sys.exit(_harness.run(_harness.parse_arguments(__doc__, SCENARIOS), SCENARIOS))
