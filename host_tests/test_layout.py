"""The firmware's shape: no module imports one that imports it back, however far round (lower never imports
higher)."""
import ast
import re

import hostrun

FIRMWARE = hostrun.FIRMWARE


def _modules():
    """{dotted name: path} of every firmware module."""
    out = {}
    for path in FIRMWARE.rglob("*.py"):
        parts = list(path.relative_to(FIRMWARE).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


def imports_of(path, known):
    """The firmware modules a file imports, at its top or inside a function (a lazy import is an edge too)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name in known)
        elif isinstance(node, ast.ImportFrom) and node.module:
            for a in node.names:
                sub = node.module + "." + a.name
                found.add(sub if sub in known else node.module)
    return {m for m in found if m in known}


def cycles(graph):
    """Each circle of imports found, as [a, b, ..., a]."""
    out, state, stack = [], {}, []

    def visit(m):
        state[m] = "open"
        stack.append(m)
        for n in sorted(graph[m]):
            if state.get(n) == "open":
                out.append(stack[stack.index(n):] + [n])
            elif n not in state:
                visit(n)
        stack.pop()
        state[m] = "done"

    for m in sorted(graph):
        if m not in state:
            visit(m)
    return out


def _graph():
    known = _modules()
    graph = {}
    for name, path in known.items():
        # A package's __init__ is imported by each of its modules' imports: that is no edge back.
        graph[name] = {m for m in imports_of(path, known) if not name.startswith(m + ".")}
    return graph


def test_no_firmware_module_imports_itself_back():
    assert cycles(_graph()) == []


def test_the_cycle_finder_finds_a_circle():
    """The check above can fail: bridge and discovery importing each other, as they once did."""
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == [["a", "b", "c", "a"]]



def test_architecture_md_lists_every_firmware_file_and_no_other():
    """Its layout block names each file of firmware/ as a tree (folders end in /); a file added or moved
    without the picture following fails here."""
    text = (hostrun.ROOT / "docs" / "architecture.md").read_text()
    block = re.search(r"<!-- tree -->\n```\n(.*?)```", text, re.S)
    assert block, "docs/architecture.md has no <!-- tree --> block"
    listed, folders = set(), []
    for line in block.group(1).splitlines():
        m = re.match(r"( *)([\w.]+\.\w+|\w+/)(  |$)", line)  # a file or folder; else a description goes on
        if not m:
            continue
        depth, name = len(m.group(1)) // 4, m.group(2)
        folders[depth:] = []
        if name.endswith("/"):
            folders.append(name)
        else:
            listed.add("".join(folders) + name)
    actual = {p.relative_to(FIRMWARE).as_posix() for p in FIRMWARE.rglob("*")
              if p.is_file() and "__pycache__" not in p.parts}
    assert listed == actual, "missing: %s; not there: %s" % (sorted(actual - listed), sorted(listed - actual))
