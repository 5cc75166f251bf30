"""A streamed chat request that the gateway refuses (wrong token, unknown model): which exception
class the client raises and what it carries."""

import openai

from gateway_client import client, emit, model_arg

model = model_arg()
try:
    client().chat.completions.create(
        model=model, messages=[{"role": "user", "content": "hi"}], max_tokens=4, stream=True
    )
    emit({"raised": None})
except openai.APIStatusError as error:
    emit(
        {
            "raised": type(error).__name__,
            "is_authentication_error": isinstance(error, openai.AuthenticationError),
            "is_not_found_error": isinstance(error, openai.NotFoundError),
            "status": error.status_code,
            "code": error.code,
            "type": error.type,
            "param": error.param,
            "message": error.message,
            "body": error.body,
        }
    )
