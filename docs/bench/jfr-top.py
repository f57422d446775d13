#!/usr/bin/env python3
"""Where the CPU goes in a JFR recording: top self frames, components (inclusive), our own frames.

usage: docs/bench/jfr-top.py recording.jfr [top-n]
Reads jdk.ExecutionSample (threads running Java code) and jdk.NativeMethodSample (threads in
native code: fsync, epoll, ...) through `jfr print --json`.
"""
import collections
import json
import subprocess
import sys

COMPONENTS = [  # first match wins; checked against each frame's class name
    ("io.sparkexec.", None),  # our own code: the sub-package is the component
    ("org.apache.pekko.http.", "pekko-http"),
    ("org.apache.pekko.persistence.", "pekko-persistence"),
    ("org.apache.pekko.cluster.", "pekko-cluster/sharding"),
    ("org.apache.pekko.stream.", "pekko-stream"),
    ("org.apache.pekko.serialization.", "serialization"),
    ("com.fasterxml.jackson.", "jackson"),
    ("org.fusesource.leveldbjni.", "leveldb"),
    ("org.iq80.", "leveldb"),
    ("kamon.", "kamon"),
    ("ch.qos.logback.", "logging"),
    ("org.slf4j.", "logging"),
    ("org.apache.pekko.", "pekko-actor/dispatch"),
    ("scala.", "scala-library"),
]


def component(cls):
    for prefix, name in COMPONENTS:
        if cls.startswith(prefix):
            return name or "app:" + cls[len(prefix):].split(".")[0]
    return "jdk/other"


def frames(event):
    for f in event["values"]["stackTrace"]["frames"] if event["values"].get("stackTrace") else []:
        m = f["method"]
        cls = m["type"]["name"].replace("/", ".").split("$$Lambda")[0]
        yield cls, m["name"]


def main():
    path = sys.argv[1]
    top_n = int(sys.argv[2]) if len(sys.argv) > 2 else 15
    out = subprocess.run(["jfr", "print", "--json", "--stack-depth", "64", "--events",
                          "jdk.ExecutionSample,jdk.NativeMethodSample", path],
                         check=True, capture_output=True, text=True).stdout
    events = json.loads(out)["recording"]["events"]
    for kind in ("jdk.ExecutionSample", "jdk.NativeMethodSample"):
        samples = [e for e in events if e["type"] == kind]
        if not samples:
            continue
        self_frames, inclusive, ours, threads = (collections.Counter() for _ in range(4))
        for e in samples:
            stack = list(frames(e))
            if not stack:
                continue
            cls, meth = stack[0]
            self_frames[f"{cls}.{meth}"] += 1
            for c in {component(c) for c, _ in stack}:
                inclusive[c] += 1
            own = next((f"{c}.{m}" for c, m in stack if c.startswith("io.sparkexec.")), None)
            if own:
                ours[own] += 1
            name = e["values"]["sampledThread"]["javaName"] or "?"
            threads[name.rstrip("0123456789").rstrip("-")] += 1
        n = len(samples)
        print(f"== {kind}: {n} samples")
        for title, counter in (("top self frames", self_frames), ("components (inclusive: in the stack)", inclusive),
                               ("first io.sparkexec frame in the stack", ours), ("threads (pool names)", threads)):
            print(f"-- {title}")
            for key, count in counter.most_common(top_n):
                print(f"{count:6d} {100.0 * count / n:5.1f}%  {key}")
        print()


if __name__ == "__main__":
    main()
