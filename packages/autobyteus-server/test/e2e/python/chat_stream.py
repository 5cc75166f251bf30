"""Chat completion, streamed, with the final usage chunk (stream_options.include_usage)."""

from gateway_client import client, emit, model_arg

model = model_arg()
stream = client().chat.completions.create(
    model=model,
    messages=[{"role": "user", "content": "Say hi."}],
    max_tokens=8,
    stream=True,
    stream_options={"include_usage": True},
)
text, models, finish, usage, chunks = "", set(), None, None, 0
for chunk in stream:
    chunks += 1
    models.add(chunk.model)
    for choice in chunk.choices:
        text += choice.delta.content or ""
        finish = choice.finish_reason or finish
    if chunk.usage is not None:
        usage = chunk.usage.model_dump()
emit({"text": text, "models": sorted(models), "finish_reason": finish, "usage": usage, "chunks": chunks})
