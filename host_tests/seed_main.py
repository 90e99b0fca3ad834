"""A program written the way the tutorial writes its main.py, unchanged in shape, run against the firmware.

Its own gather-based helpers, the seed's device classes made with no arguments, ids of 8 capital
letters from register_device, run_program of a list of Messages (the tutorial's ordering mistake
included: PLAY_SONG is sent at the same time as the speaker's SWITCH_ON), the typing import and the
__main__ guard.
"""
import asyncio
from typing import Any, Awaitable, List

from iot.devices import HueLightDevice, SmartSpeakerDevice, SmartToiletDevice
from iot.message import Message, MessageType
from iot.service import IOTService


async def run_sequence(*functions: Awaitable[Any]) -> None:
    for function in functions:
        await function


async def run_parallel(*functions: Awaitable[Any]) -> None:
    await asyncio.gather(*functions)


async def main() -> None:
    # create an IOT service
    service = IOTService()

    # create and register a few devices
    hue_light = HueLightDevice()
    speaker = SmartSpeakerDevice()
    toilet = SmartToiletDevice()
    hue_light_id, speaker_id, toilet_id = await asyncio.gather(
        service.register_device(hue_light),
        service.register_device(speaker),
        service.register_device(toilet),
    )

    # create a few programs
    wake_up_program: List[Message] = [
        Message(hue_light_id, MessageType.SWITCH_ON),
        Message(speaker_id, MessageType.SWITCH_ON),
        Message(speaker_id, MessageType.PLAY_SONG, "Miles Davis - Kind of Blue"),
    ]

    # run the programs
    await service.run_program(wake_up_program)

    await run_parallel(
        service.send_msg(Message(hue_light_id, MessageType.SWITCH_OFF)),
        service.send_msg(Message(speaker_id, MessageType.SWITCH_OFF)),
        run_sequence(
            service.send_msg(Message(toilet_id, MessageType.FLUSH)),
            service.send_msg(Message(toilet_id, MessageType.CLEAN)),
        ),
    )
    print("IDS %s %s %s" % (hue_light_id, speaker_id, toilet_id))


if __name__ == "__main__":
    asyncio.run(main())
