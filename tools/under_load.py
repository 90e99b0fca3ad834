"""Run a command beside N busy processes, as on a shared CI runner: make test LOAD=4.

    python tools/under_load.py N COMMAND ...

Each busy process spins a CPU until the command ends; the exit code is the command's.
"""
import subprocess
import sys


def main(argv):
    n, command = int(argv[0]), argv[1:]
    busy = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(n)]
    print("under load: %d busy processes beside the command" % n, flush=True)
    try:
        return subprocess.call(command)
    finally:
        for p in busy:
            p.kill()
            p.wait()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
