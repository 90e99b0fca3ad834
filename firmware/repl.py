"""The shell's commands at the >>> prompt (after Ctrl-C stops main.py), each run to completion.

    >>> from repl import cmd
    >>> cmd("run wake_up")
    ok wake_up started (planned 2746 ms)
    event: wake_up done in 2749 ms (planned 2746 ms)

The devices are built from config.json at the first command, every output off.
"""
import asyncio

import app
import config

_loop = None
_shell = None


async def _start():
    service, devices = app.build(config.load())
    await service.register_devices(devices)
    return app.command_shell(service)


async def _do(line):
    print(await _shell.execute(line))
    await _shell.wait()


def cmd(line):
    """Run one shell command and wait for the work it started; all outputs off if it is interrupted."""
    global _loop, _shell
    if _loop is None:
        _loop = asyncio.new_event_loop()  # one loop for every command: the devices' timer tasks live on
        _shell = _loop.run_until_complete(_start())
    try:
        _loop.run_until_complete(_do(line))
    except BaseException:
        _shell.service.safe_all()
        raise
