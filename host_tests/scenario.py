"""Runs one scenario on either interpreter: scenario.py MODULE FUNCTION [JSON-KWARGS]

The scenario is `async def FUNCTION(**kwargs)` in scenarios/MODULE.py; what it
returns is printed last as `RESULT <json>`. Anything it raises escapes
asyncio.run(), as it would on a board.
"""
import asyncio
import json
import sys

module, function = sys.argv[1], sys.argv[2]
kwargs = json.loads(sys.argv[3]) if len(sys.argv) > 3 else {}
scenarios = __import__("scenarios." + module)
result = asyncio.run(getattr(getattr(scenarios, module), function)(**kwargs))
print("RESULT " + json.dumps(result))
