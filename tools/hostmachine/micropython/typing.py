"""`typing` for MicroPython on the host, as micropython-lib's is on a board (mpremote mip install typing).

MicroPython has no typing module; seed code imports one. Here, as there, the names exist and mean
nothing at run time: subscripting or calling them gives the same placeholder, and Protocol and
Generic are plain classes to inherit from. On MicroPython's path only: CPython has its own.
"""
TYPE_CHECKING = False


class _Placeholder:
    def __getitem__(self, item):
        return self

    def __call__(self, *args, **kwargs):
        return self


_ = _Placeholder()
Any = Union = Optional = List = Dict = Tuple = Set = FrozenSet = Callable = Type = _
Iterable = Iterator = Sequence = Mapping = MutableMapping = Awaitable = Coroutine = _
AsyncIterator = AsyncIterable = Generator = Literal = ClassVar = Final = NoReturn = _


class Protocol:
    pass


class Generic:
    pass


def TypeVar(name, *constraints, **kwargs):
    return name


def NewType(name, tp):
    return tp


def cast(tp, value):
    return value


def overload(f):
    return f


def final(f):
    return f


def runtime_checkable(cls):
    return cls


def no_type_check(f):
    return f
