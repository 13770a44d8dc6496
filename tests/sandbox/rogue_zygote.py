"""A worker that speaks the zygote's protocol and then misbehaves, to test the parent's side.

Each job's function name says how: ``ok`` answers properly; ``close`` closes its pipes and keeps
running; ``partial`` sends half a frame and goes silent; ``junk`` sends a frame that is not JSON;
``huge`` announces a 1 TiB frame; ``late`` answers after 3 s; ``pickle`` sends a pickle whose
loading would create the file named in kwargs["marker"]; ``extra`` answers twice;
``kill_parent`` and ``stop_parent`` kill or freeze the process that started the worker (a Ray
actor, in the Ray tests), ``kill_parent_once`` only if kwargs["marker"] does not exist yet.
Programs cannot do any of this (the program process's seccomp filter refuses signals to other
processes); a broken or compromised worker could.
"""
import json
import os
import pickle
import signal
import struct
import sys
import time

HEADER = struct.Struct("!Q")


def frame(data: bytes) -> bytes:
    return HEADER.pack(len(data)) + data


def read_exact(size: int) -> bytes | None:
    data = b""
    while len(data) < size:
        chunk = os.read(0, size - len(data))
        if not chunk:
            return None
        data += chunk
    return data


class Evil:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def main() -> None:
    if os.environ.get("ROGUE_NOT_READY"):
        os.write(1, frame(json.dumps({"ready": False, "error": "seccomp refused"}).encode()))
        return
    os.write(1, frame(json.dumps({"ready": True, "rogue": True}).encode()))
    while True:
        header = read_exact(HEADER.size)
        if header is None:
            return
        for job_id, (module, function, env, policy, kwargs), _seconds in pickle.loads(
                read_exact(HEADER.unpack(header)[0])):
            def reply(data: bytes) -> bytes:
                return frame(struct.pack("!Q", job_id) + data)
            good = reply(json.dumps(["ok", kwargs.get("value", 1)]).encode())
            if function == "ok":
                os.write(1, good)
            elif function == "close":
                os.close(0)
                os.close(1)
                time.sleep(600)
            elif function == "partial":
                os.write(1, HEADER.pack(100) + b"x" * 10)
                time.sleep(600)
            elif function == "junk":
                os.write(1, reply(b"\x80\x04junk"))
            elif function == "huge":
                os.write(1, HEADER.pack(1 << 40))
                time.sleep(600)
            elif function == "late":
                time.sleep(3)
                os.write(1, good)
            elif function == "pickle":
                os.write(1, reply(pickle.dumps(("ok", Evil(kwargs["marker"])))))
            elif function == "extra":
                os.write(1, good + good)
            elif function == "kill_parent_once" and os.path.exists(kwargs["marker"]):
                os.write(1, good)
            elif function in ("kill_parent", "kill_parent_once"):
                if "marker" in kwargs:
                    open(kwargs["marker"], "w").close()
                os.kill(os.getppid(), signal.SIGKILL)
                time.sleep(600)
            elif function == "stop_parent":
                os.kill(os.getppid(), signal.SIGSTOP)
                time.sleep(600)


if __name__ == "__main__":
    main()
