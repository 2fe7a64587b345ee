"""Work run in a child process with its peak resident memory measured, for the bomb tests.

The child sets Django up, runs the code it is given (which leaves a JSON-able `result`)
and reports `result` with its VmHWM (the most resident memory it ever held, read from
/proc/self/status, so a peak between samples is not missed). Its address space is capped
(RLIMIT_AS), so a bomb on code without the limits fails in the child with a MemoryError
or an abort, instead of taking the machine down: the test then fails, it does not hang.
"""

import json
import os
import resource
import subprocess
import sys
import textwrap
from pathlib import Path

ADDRESS_SPACE = 4 * 1024**3  # bytes the child may map; its peak must stay well under
GOAL = 1024**3  # bytes of resident memory any input may cost (issue 16)
ROOT = Path(__file__).resolve().parent.parent

_CHILD = """
import json, os, re, sys
import django
django.setup()
result = None
{code}
status = open("/proc/self/status").read()
peak = int(re.search(r"VmHWM:\\s+(\\d+) kB", status).group(1)) * 1024
print("MEASURED " + json.dumps({{"result": result, "peak": peak}}))
"""


def measured(code: str, **env: str) -> tuple[object, int]:
    """(the child's `result`, its peak resident bytes); AssertionError with the child's
    output when it died without a result (killed, aborted, out of address space)."""
    child_env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "core.settings",
        # One thread each: thread stacks and BLAS buffers would eat the address space cap.
        "OMP_NUM_THREADS": "1",
        "OPENBLAS_NUM_THREADS": "1",
        **env,
    }
    done = subprocess.run(
        [sys.executable, "-c", _CHILD.format(code=textwrap.dedent(code))],
        cwd=ROOT,
        env=child_env,
        capture_output=True,
        text=True,
        preexec_fn=_cap_address_space,
        timeout=300,  # a safety net for code without the limits, not a timing target
        check=False,
    )
    for line in done.stdout.splitlines():
        if line.startswith("MEASURED "):
            found = json.loads(line.removeprefix("MEASURED "))
            return found["result"], found["peak"]
    raise AssertionError(
        f"the child died without a result (exit {done.returncode}):\n"
        f"{done.stdout[-2000:]}\n{done.stderr[-4000:]}"
    )


def _cap_address_space():
    resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE, ADDRESS_SPACE))
