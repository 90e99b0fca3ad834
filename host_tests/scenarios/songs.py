"""RTTTL parsing on the interpreter under test."""
from iot import IOTError, rtttl


async def parse(texts):
    out = []
    for text in texts:
        try:
            out.append([list(n) for n in rtttl.parse(text)])
        except IOTError as e:
            out.append(str(e))
    return out
