"""Secrets: compared in a time that does not tell where they differ, and made from the board's random source.
Loaded by what needs them: the web page's check of a password, an update's signature, the network's first boot,
Wi-Fi set over Improv."""

ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789"  # 32 letters and digits, none mistaken for another (no l, o, 0, 1)


def same(a, b):
    """Equal texts (or bytes), compared in a time that depends on their length only, not on where they differ."""
    if len(a) != len(b):
        return False
    diff = 0
    for x, y in zip(a, b):
        diff |= (x if type(x) is int else ord(x)) ^ (y if type(y) is int else ord(y))
    return diff == 0


def password(n=16):
    """A password of n characters from ALPHABET (5 bits each: 80 bits for 16), from os.urandom."""
    import os

    return "".join([ALPHABET[b & 31] for b in os.urandom(n)])


def keep(section, values, path="secrets.json"):
    """`values` laid over secrets.json's `section` (the rest of the file as it was), written atomically; OSError
    or ValueError if it cannot be."""
    import json

    from iot.store import write_whole

    try:
        with open(path) as f:
            secrets = json.loads(f.read(8192))
    except OSError:  # no secrets.json yet
        secrets = {}
    if type(secrets) is not dict or type(secrets.get(section, {})) is not dict:
        raise ValueError("%s is not an object of sections" % path)
    secrets.setdefault(section, {}).update(values)
    write_whole(path, json.dumps(secrets))
