"""Embeddings: the client's default request (base64, decoded by the client) and encoding_format
float, which must give the same vectors."""

from gateway_client import client, emit, model_arg

model = model_arg()
openai = client()
inputs = ["red apples", "green pears"]
default = openai.embeddings.create(model=model, input=inputs)
floats = openai.embeddings.create(model=model, input=inputs, encoding_format="float")
largest_difference = max(
    abs(a - b) for d, f in zip(default.data, floats.data) for a, b in zip(d.embedding, f.embedding)
)
emit(
    {
        "model": default.model,
        "count": len(default.data),
        "dimensions": [len(d.embedding) for d in default.data],
        "float_dimensions": [len(f.embedding) for f in floats.data],
        "largest_difference": largest_difference,
        "prompt_tokens": default.usage.prompt_tokens if default.usage else None,
    }
)
