"""Real `rq worker --with-scheduler` processes for tests: the app's jobs go to a queue of the test's
own on the test Redis, and the worker runs them against the same registry and tenants."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

from tests.conftest import RUN_ID, TEST_KEY

ROOT = Path(__file__).resolve().parents[2]


class Workers:
    def __init__(self, app, redis_url: str, monkeypatch, **env):
        self.app, self.redis_url = app, redis_url
        self.queue = f"test-{RUN_ID}-{uuid.uuid4().hex[:6]}"
        self.env = {**os.environ, "JATRA_ENV": "testing", "SECRET_KEY": "test-secret-key",
                    "DATA_ENCRYPTION_KEY": TEST_KEY, "PLATFORM_DOMAIN": "localhost",
                    "PLATFORM_DATABASE_URL": app.config["PLATFORM_DATABASE_URL"], "REDIS_URL": redis_url,
                    "REDIS_KEY_PREFIX": app.config["REDIS_KEY_PREFIX"], "TENANT_CACHE_SECONDS": "0",
                    "JOBS_INLINE": "false", "JOBS_QUEUE": self.queue, **env}
        self.processes: list[subprocess.Popen] = []
        # the app under test enqueues to Redis, on the same queue
        monkeypatch.setitem(app.config, "JOBS_INLINE", False)
        monkeypatch.setitem(app.config, "JOBS_QUEUE", self.queue)
        monkeypatch.setitem(app.extensions, "jatra.queues", {})

    def start(self) -> subprocess.Popen:
        """A worker with its scheduler, in a process group of its own (it forks a work horse per job)."""
        process = subprocess.Popen(
            [str(Path(sys.executable).parent / "rq"), "worker", "--with-scheduler", "--worker-class",
             "jobs.worker.WarmWorker", "--url", self.redis_url,
             "--name", f"{self.queue}-{len(self.processes)}", "--path", str(ROOT), self.queue],
            cwd=ROOT, env=self.env, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.processes.append(process)
        return process

    def kill(self, process: subprocess.Popen) -> None:
        """SIGKILL, the worker and its work horse (in a session of its own): nothing gets to clean up
        (a crash, an OOM kill)."""
        for pid in [*_descendants(process.pid), process.pid]:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        process.wait(10)

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
                try:
                    process.wait(10)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
        from rq import Queue
        from redis import Redis

        Queue(self.queue, connection=Redis.from_url(self.redis_url)).empty()


def _descendants(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        for child in (task / "children").read_text().split():
            found += [int(child), *_descendants(int(child))]
    return found


def wait_until(check, timeout: float = 30.0, every: float = 0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(every)
    raise AssertionError(f"not within {timeout} s")
