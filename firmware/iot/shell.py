"""The serial shell: the console's lines to the command layer (iot.commands), one reply line each, in order."""
import gc

from iot.commands import OUT_OF_MEMORY
from iot.console import TOO_LONG


async def serve(commands, console, about=lambda: (("iot", "", "", ""), 80)):
    """Answer each line until the input ends; then wait for the work it started. An Improv packet (bytes: the
    console tells it by its header) goes to iot.improv's handler, never to the commands: loaded at the first packet
    and kept, made with about()'s (device info, the web page's port).

    Only a line of spaces and tabs (or nothing) is no command: any other gets its reply. With no heap left, that
    reply is the out-of-memory refusal made in advance (iot.commands.OUT_OF_MEMORY), and the shell goes on.
    While a command waits (a device's queue is full) no further line is read.
    """
    write = console.show
    improv = None
    too_long = "error: line over %d characters; ignored" % console.max_len
    while True:
        try:
            line = await console.readline()
            if line is None:
                break
            if type(line) is bytes:
                if improv is None:
                    from iot.improv import Improv

                    info, port = about()
                    improv = Improv(console.packet, commands, info, port, commands.write)
                improv.take(line)
                continue
            if line is TOO_LONG:
                reply = too_long
            elif line.strip(" \t"):
                reply = await commands.execute(line, console=True)
            else:
                continue
        except MemoryError:  # the line, or the command's coroutine: nothing was done
            gc.collect()
            reply = OUT_OF_MEMORY
        try:
            write(reply)
        except MemoryError:  # the reply is made; writing it out needs a little more: after a collection
            gc.collect()
            write(reply)
    if improv is not None:
        improv.deinit()
    await commands.wait()
