"""The speaker: switched off mid-song."""
import asyncio

from scenarios.common import now_ms, registered

LONG_NOTES = "long:d=4,o=5,b=120:c,d,e,f,g,a"  # 500 ms each


async def off_mid_song(op_ms):
    service, devices = await registered(op_ms)
    await service.send("speaker", "SWITCH_ON")
    play = asyncio.create_task(service.send("speaker", "PLAY_SONG", LONG_NOTES))
    await asyncio.sleep(0.7)  # into the second note
    off_at = now_ms()
    await service.send("speaker", "SWITCH_OFF")
    await play
    return {"off_ms": off_at, "song_done_ms": now_ms(), "status": devices["speaker"].status()}


async def songs_kept(op_ms):
    """Two songs played one after the other: the RTTTL parser is loaded by the first and kept."""
    import sys

    import iot

    service, devices = await registered(op_ms)
    await service.send("speaker", "SWITCH_ON")
    kept = []
    for song in ("a:d=16,o=5,b=240:c,e", "b:d=16,o=5,b=240:g"):
        await service.send("speaker", "PLAY_SONG", song)
        kept.append("iot.rtttl" in sys.modules or hasattr(iot, "rtttl"))
    return {"kept": kept, "status": devices["speaker"].status()}
