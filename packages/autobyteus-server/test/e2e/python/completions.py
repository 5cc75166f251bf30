"""Text completions (the legacy endpoint older clients use), whole and streamed."""

from gateway_client import client, emit, model_arg

model = model_arg()
openai = client()
whole = openai.completions.create(model=model, prompt="The sky is", max_tokens=6)
streamed, models, finish = "", set(), None
for chunk in openai.completions.create(model=model, prompt="One, two,", max_tokens=6, stream=True):
    models.add(chunk.model)
    for choice in chunk.choices:
        streamed += choice.text or ""
        finish = choice.finish_reason or finish
emit(
    {
        "whole": {"model": whole.model, "text": whole.choices[0].text, "finish_reason": whole.choices[0].finish_reason},
        "streamed": {"models": sorted(models), "text": streamed, "finish_reason": finish},
    }
)
