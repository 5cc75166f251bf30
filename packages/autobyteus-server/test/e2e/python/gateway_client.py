"""The openai client as a Python app builds it: OPENAI_BASE_URL and OPENAI_API_KEY from the
environment (the test sets them to the gateway and its token), no retries so an error is the
first answer, and one JSON line on stdout for the test to assert on."""

import json
import sys

from openai import OpenAI


def client() -> OpenAI:
    return OpenAI(max_retries=0, timeout=120)


def model_arg() -> str:
    if len(sys.argv) != 2:
        sys.exit(f"usage: {sys.argv[0]} MODEL")
    return sys.argv[1]


def emit(result: dict) -> None:
    print(json.dumps(result))
