"""Verifier worker: ``python -m vision_r1_plugins.answers._worker``. One JSON request per stdin line, one JSON
reply per stdout line. Started and killed by :mod:`vision_r1_plugins.answers.pool`."""

from __future__ import annotations

import json
import os
import resource
import sys

# A runaway power tower ("9^{9^{9}}") is a memory bomb before it is a time bomb.
MEMORY_LIMIT_BYTES = int(float(os.environ.get("VISION_R1_VERIFIER_MEMORY_GB", "4")) * (1 << 30))


def main() -> None:
    replies = os.fdopen(os.dup(sys.stdout.fileno()), "wb", buffering=0)
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())  # stray prints must not corrupt the protocol
    try:
        _, hard = resource.getrlimit(resource.RLIMIT_AS)
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT_BYTES, hard))
    except (ValueError, OSError):
        pass

    from vision_r1_plugins.answers.equivalence import equivalent
    from vision_r1_plugins.answers.judge import decide

    equivalent("1", "1")  # load the LaTeX grammar now, not during the first sample's deadline
    decide("1", "1")  # and the answer grammar
    replies.write(b'{"ready": true}\n')
    for line in sys.stdin.buffer:
        try:
            request = json.loads(line)
            verdict = decide(request["pred"], request["gold"], request.get("choices"), algebra=True)
            assert verdict is not None
            reply = {"correct": verdict.correct, "reason": verdict.reason, "detail": verdict.detail}
        except (Exception, RecursionError, MemoryError) as error:
            reply = {"error": repr(error)[:500]}
        replies.write(json.dumps(reply).encode() + b"\n")


if __name__ == "__main__":
    main()
