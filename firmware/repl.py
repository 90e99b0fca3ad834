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

_session = []  # type: list  # the loop and the shell, made by the first command


async def _start():
    service, devices = app.build(config.load())
    await service.register_devices(devices)
    commands = app.make_commands(service)
    commands.serve()
    return commands


async def _do(shell, line):
    print(await shell.execute(line, console=True))
    await shell.wait()


def cmd(line):
    """Run one shell command and wait for the work it started; all outputs off if it is interrupted."""
    if not _session:
        loop = asyncio.new_event_loop()  # one loop for every command: the devices' timer tasks live on
        _session.extend((loop, loop.run_until_complete(_start())))
    loop, shell = _session
    try:
        loop.run_until_complete(_do(shell, line))
    except BaseException:
        shell.service.safe_all()
        raise
