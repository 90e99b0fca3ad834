"""The programs by name, built in and the user's, as a run needs them: each checked and planned once
(iot.program.compile_program, through the service), at its first use or when it is defined, and kept:
running it parses nothing. Defining, saving, loading and listing them is iot.commands.library's.
"""
from iot import IOTError
from iot.commands.parse import MAX_LINE

MODES = ("single", "restart", "queued", "parallel")


class Programs:
    """`builtin`: {name: a function that makes it}; `store`: the path of the file the user's are saved in
    (iot.store.ProgramStore's, made by iot.commands.library for each load and save), or None."""

    def __init__(self, service, builtin, store=None, write=print):
        self.service = service
        self.builtin = builtin
        self.user = {}
        self.modes = {}
        self.store = store
        self.write = write
        self.cache = {}  # name -> the program checked and planned (iot.program.Compiled), at its first use
        self.sizes = {}  # user program name -> its bytes in programs.json
        self.saved = 0  # their sum: kept under MAX_SAVED, so that what is saved loads again

    def names(self):
        """The built-in programs' names and the user's."""
        return set(self.builtin) | set(self.user)

    def mode(self, name):
        return self.modes.get(name, "single")

    def get(self, text):
        """A program given by name or as JSON, compiled (checked and planned)."""
        if not text:
            raise IOTError("which program? give its name or its JSON")
        if text[0] in "{[":
            return self.service.compile(self.parse(text))
        return self.compiled(text)

    def parse(self, text):
        """A program given as JSON, as data; IOTError if it is no JSON."""
        from iot import jsontext

        try:
            return jsontext.loads(text, MAX_LINE, "the program")
        except IOTError as e:
            raise IOTError("bad JSON: %s" % e)

    def compiled(self, name):
        """A named program compiled once, at its first use, and kept."""
        compiled = self.cache.get(name)
        if compiled is None:
            compiled = self.cache[name] = self.service.compile(self.named(name))
        return compiled

    def named(self, name):
        """A program's data: the user's as defined; a built-in one made now (`builtin`: {name: its maker})."""
        if name in self.user:
            return self.user[name]
        if name in self.builtin:
            return self.builtin[name]()
        raise IOTError("no program %r; programs: %s" % (name, ", ".join(sorted(self.names()))))
