"""Reads YAML documents (helm template output) on stdin, writes them as one JSON array on stdout.

Runs in the deploy-tools venv, whose PyYAML comes with kubernetes-validate; empty documents
(templates that rendered nothing) are dropped.
"""

import json
import sys

import yaml

documents = [doc for doc in yaml.safe_load_all(sys.stdin) if doc is not None]
json.dump(documents, sys.stdout)
