"""The board console's line editing and output, key by key (both interpreters)."""
import io

from iot.console import MORE, Console


async def typing_with_an_event():
    out = io.StringIO()
    console = Console(stream=io.BytesIO(b""), echo=True, out=out)
    lines = []
    for text, event in (("toi", "event: sleep done in 1004 ms (planned 1000 ms)"), ("let flusj\x7fh\r", None)):
        for ch in text:
            line = console.key(ord(ch))
            if line is not MORE:
                lines.append(line)
        if event:
            console.show(event)
    console.show("ok toilet FLUSH")
    return {"out": out.getvalue(), "lines": lines}
