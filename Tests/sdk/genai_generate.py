#!/usr/bin/env python3
"""The official google-genai SDK as a client of the Gemini API (v1beta, API key).

Scenarios: plain, stream, tools, thinking, count-tokens, models.retrieve, models.list,
unknown-model. See _harness.py for the arguments and the output (one JSON line per scenario).
--base-url is the origin the SDK takes (it adds /v1beta/models/...), e.g. http://127.0.0.1:8045.
"""

import sys

import _harness
from google import genai
from google.genai import types

PROMPT = "Say hello"


_CLIENTS = {}


def client(arguments):
    """One SDK client per process (google-genai closes its HTTP client when the Client object goes away)."""
    if "sdk" not in _CLIENTS:
        _CLIENTS["sdk"] = genai.Client(api_key=arguments.api_key, http_options=types.HttpOptions(
            base_url=arguments.base_url, api_version="v1beta", timeout=int(arguments.timeout * 1000),
            retry_options=types.HttpRetryOptions(attempts=1 + arguments.max_retries)))
    return _CLIENTS["sdk"]


def usage_of(usage):
    if usage is None:
        return None
    return {"prompt_token_count": usage.prompt_token_count, "candidates_token_count": usage.candidates_token_count,
            "total_token_count": usage.total_token_count, "thoughts_token_count": usage.thoughts_token_count,
            "cached_content_token_count": usage.cached_content_token_count}


def finish_reason_of(response):
    candidate = (response.candidates or [None])[0]
    reason = getattr(candidate, "finish_reason", None)
    return getattr(reason, "value", reason)


def parts_of(response):
    candidate = (response.candidates or [None])[0]
    content = getattr(candidate, "content", None)
    return list(getattr(content, "parts", None) or [])


def plain(arguments):
    response = client(arguments).models.generate_content(model=arguments.model, contents=PROMPT)
    return {"text": response.text, "finish_reason": finish_reason_of(response), "usage": usage_of(response.usage_metadata),
            "model_version": response.model_version, "response_id": response.response_id}


def stream(arguments):
    text, chunks, finish_reason, usage = "", 0, None, None
    for response in client(arguments).models.generate_content_stream(model=arguments.model, contents=PROMPT):
        chunks += 1
        for part in parts_of(response):
            if part.text and not part.thought:
                text += part.text
        finish_reason = finish_reason_of(response) or finish_reason
        usage = usage_of(response.usage_metadata) or usage
    return {"text": text, "chunks": chunks, "finish_reason": finish_reason, "usage": usage}


def tools(arguments):
    sdk = client(arguments)
    declaration = types.FunctionDeclaration(name=_harness.TOOL_NAME, description=_harness.TOOL_DESCRIPTION,
                                            parameters_json_schema=_harness.TOOL_PARAMETERS)
    config = types.GenerateContentConfig(
        tools=[types.Tool(function_declarations=[declaration])],
        automatic_function_calling=types.AutomaticFunctionCallingConfig(disable=True))
    contents = [types.Content(role="user", parts=[types.Part(text=_harness.TOOL_PROMPT)])]
    first = sdk.models.generate_content(model=arguments.model, contents=contents, config=config)
    calls = first.function_calls or []
    result = {"tool_calls": [{"id": call.id, "name": call.name, "arguments": call.args} for call in calls],
              "first_finish_reason": finish_reason_of(first),
              "signatures": sum(1 for part in parts_of(first) if part.thought_signature)}
    if not calls:
        return result
    contents.append(first.candidates[0].content)
    contents.append(types.Content(role="user", parts=[
        types.Part(function_response=types.FunctionResponse(id=call.id, name=call.name, response=_harness.TOOL_RESULT))
        for call in calls]))
    second = sdk.models.generate_content(model=arguments.model, contents=contents, config=config)
    result["final_content"] = second.text
    result["final_finish_reason"] = finish_reason_of(second)
    return result


def thinking(arguments):
    config = types.GenerateContentConfig(thinking_config=types.ThinkingConfig(include_thoughts=True, thinking_budget=1024))
    response = client(arguments).models.generate_content(model=arguments.model, contents=PROMPT, config=config)
    parts = parts_of(response)
    return {"thoughts": sum(1 for part in parts if part.thought), "signatures": sum(1 for part in parts if part.thought_signature),
            "text": response.text, "usage": usage_of(response.usage_metadata)}


def count_tokens(arguments):
    counted = client(arguments).models.count_tokens(model=arguments.model, contents=PROMPT)
    return {"total_tokens": counted.total_tokens}


def models_retrieve(arguments):
    model = client(arguments).models.get(model=arguments.model)
    return {"name": model.name, "display_name": model.display_name, "output_token_limit": model.output_token_limit}


def models_list(arguments):
    return {"names": sorted(model.name for model in client(arguments).models.list())}


def unknown_model(arguments):
    response = client(arguments).models.generate_content(model=arguments.unknown_model, contents=PROMPT)
    return {"text": response.text}


SCENARIOS = {"plain": plain, "stream": stream, "tools": tools, "thinking": thinking, "count-tokens": count_tokens,
             "models.retrieve": models_retrieve, "models.list": models_list, "unknown-model": unknown_model}

if __name__ == "__main__":
    sys.exit(_harness.run(_harness.parse_arguments(__doc__, SCENARIOS), SCENARIOS))
