"""Parses a Dockerfile with dockerfile-parse and writes what the tests check as JSON on stdout.

Output: {"instructions": [{"instruction", "value", "line"}...], "parentImages": [...] (ARG
defaults substituted), "finalEnv": {...} (ENV of the last stage, as the image has it)}.
"""

import json
import sys

from dockerfile_parse import DockerfileParser

parser = DockerfileParser(sys.argv[1])
json.dump(
    {
        "instructions": [
            {"instruction": item["instruction"], "value": item["value"], "line": item["startline"] + 1}
            for item in parser.structure
            if item["instruction"] != "COMMENT"
        ],
        "parentImages": parser.parent_images,
        "finalEnv": parser.envs,
    },
    sys.stdout,
)
