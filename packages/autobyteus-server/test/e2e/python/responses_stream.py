"""The Responses API, streamed (what Codex-style clients speak). The stream ends with
response.completed, or response.incomplete when max_output_tokens cut the answer."""

from gateway_client import client, emit, model_arg

model = model_arg()
stream = client().responses.create(model=model, input="Say hi.", max_output_tokens=16, stream=True)
types, text, final = [], "", None
for event in stream:
    if event.type not in types:
        types.append(event.type)
    if event.type == "response.output_text.delta":
        text += event.delta
    if event.type in ("response.completed", "response.incomplete"):
        final = event.response
emit(
    {
        "types": types,
        "text": text,
        "final": None
        if final is None
        else {
            "model": final.model,
            "status": final.status,
            "incomplete_reason": final.incomplete_details.reason if final.incomplete_details else None,
            "output_text": final.output_text,
        },
    }
)
