"""Runs one scenario on either interpreter: scenario.py MODULE FUNCTION [KWARGS.json]

The scenario is `async def FUNCTION(**kwargs)` in scenarios/MODULE.py, its
arguments come from a JSON file (the unix port of MicroPython 1.29-preview
aborts on a command-line argument over 256 bytes); what it returns is printed
last as `RESULT <json>`. Anything it raises escapes asyncio.run(), as it would
on a board.
"""
import asyncio
import json
import sys

module, function = sys.argv[1], sys.argv[2]
kwargs = {}
if len(sys.argv) > 3:
    with open(sys.argv[3]) as f:
        kwargs = json.load(f)
scenarios = __import__("scenarios." + module)
result = asyncio.run(getattr(getattr(scenarios, module), function)(**kwargs))
print("RESULT " + json.dumps(result))
