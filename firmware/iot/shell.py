"""The serial shell: the console's lines to the command layer (iot.commands), one reply line each, in order."""
import gc

from iot.console import TOO_LONG


async def serve(commands, console):
    """Answer each line until the input ends; then wait for the work it started.

    Only a line of spaces and tabs (or nothing) is no command: any other gets its reply.
    While a command waits (a device's queue is full) no further line is read.
    """
    write = console.show
    while True:
        try:
            line = await console.readline()
        except MemoryError:
            gc.collect()
            write("error: out of memory reading a line; ignored")
            continue
        if line is None:
            break
        if line is TOO_LONG:
            write("error: line over %d characters; ignored" % console.max_len)
        elif line.strip(" \t"):
            reply = await commands.execute(line)
            try:
                write(reply)
            except MemoryError:  # the reply is made; writing it out needs a little more: after a collection
                gc.collect()
                write(reply)
    await commands.wait()
