"""`python -m devstack up | down | status | demo | host`: the offline stack (see README)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from devstack import demo, host
from devstack.azurite import REPO_ROOT
from devstack.stack import PARTS, SAMPLE_SETTINGS, STATE_DIR, Ports, Stack, StackError

SETTINGS = Path(os.environ.get("DEVSTACK_SETTINGS") or REPO_ROOT / "local.settings.json")
USAGE = "usage: python -m devstack {up|down|status|demo|host} [options]"


def up() -> int:
    recorded = Stack.recorded(STATE_DIR, SETTINGS)
    if recorded and {child.name for child in recorded.children if child.alive()} == set(PARTS):
        print("The stack is already up:")
        print_endpoints(recorded.ports)
        return 0
    stack = recorded or Stack(Ports.configured(), STATE_DIR, SETTINGS)
    alive = {child.name for child in stack.children if child.alive()}
    if alive:
        print(f"Restarting {', '.join(p for p in PARTS if p not in alive)}; {', '.join(sorted(alive))} still running.")
    values = stack.start()
    print(f"Stack up (logs and data in {STATE_DIR}; settings from {SETTINGS.name}, made from {SAMPLE_SETTINGS.name}).")
    print_endpoints(stack.ports)
    source, queue = values.get("SOURCE_CONTAINER") or "inbox", values["COMPLETION_QUEUE"]
    upload = (
        '.venv/bin/python -c "from azure.storage.blob import BlobClient as B; '
        f"B.from_connection_string('$CONN', '{source}', 'hello.txt').upload_blob(b'Hello world.', overwrite=True)\""
    )
    print(
        "\nTry it (CONN is the connection string above; the poller runs on POLL_SCHEDULE):\n"
        f"  {upload}\n"
        f'  .venv/bin/python examples/completion_consumer.py --connection-string "$CONN" --queue {queue}  # waits\n'
        f"  curl http://127.0.0.1:{stack.ports.host}/api/status/hello.txt\n"
        "Stop with `make down`."
    )
    return 0


def print_endpoints(ports: Ports) -> None:
    print(f"  blob   http://127.0.0.1:{ports.blob}/devstoreaccount1")
    print(f"  queue  http://127.0.0.1:{ports.queue}/devstoreaccount1")
    print(f"  table  http://127.0.0.1:{ports.table}/devstoreaccount1")
    print(f"  Translator emulator  http://127.0.0.1:{ports.emulator}/translator")
    print(f"  Functions runner     http://127.0.0.1:{ports.host}/api/")
    print(f"  connection string    {ports.connection_string}")


def down() -> int:
    stack = Stack.recorded(STATE_DIR, SETTINGS)
    if stack is None:
        print("No stack is up.")
        return 0
    print("Stopping the stack:")
    stack.stop(report=True)
    print("Stack stopped.")
    return 0


def status() -> int:
    stack = Stack.recorded(STATE_DIR, SETTINGS)
    if stack is None:
        print("No stack is up.")
        return 1
    alive = {child.name for child in stack.children if child.alive()}
    for child in stack.children:
        print(f"  {child.name:9} pid {child.pid:7}  {'running' if child.alive() else 'STOPPED'}  log {child.log}")
    for part in PARTS:
        if part not in {child.name for child in stack.children}:
            print(f"  {part:9} not started")
    if alive != set(PARTS):
        print("Run `make up` to start what is stopped (the running parts are kept).")
    return 0 if alive == set(PARTS) else 1


def main(argv: list[str]) -> int:
    commands = {"up": up, "down": down, "status": status}
    if not argv:
        print(USAGE, file=sys.stderr)
        return 2
    command, rest = argv[0], argv[1:]
    if command == "host":
        return host.main(rest)
    try:
        if command == "demo":
            return demo.main(rest)
        if command in commands and not rest:
            return commands[command]()
    except StackError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(USAGE, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
