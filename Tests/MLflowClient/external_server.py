"""A pytest plugin that points MLflow's own REST tracking tests at a server started as a separate program.

MLflow's `tests/tracking/test_rest_tracking.py` serves each test from MLflow's app in a thread
(`ServerThread`). Loaded with `-p external_server`, this plugin replaces that class before the tests
are collected, so every test that uses the `mlflow_client` fixture talks to a fresh external server
instead: `assay server` (EXTERNAL_SERVER=assay, ASSAY_BINARY=...) or MLflow's own `mlflow server`
(EXTERNAL_SERVER=mlflow), each on a new SQLite file and artifact folder. scripts/mlflow-rest-tests
runs it.
"""

import os
import pathlib
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ExternalServer:
    """Stands in for MLflow's `ServerThread(app, port)`: `with ExternalServer(...) as url:`."""

    def __init__(self, *_args, **_kwargs):
        self.folder = pathlib.Path(tempfile.mkdtemp(prefix="external-server-"))
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = None

    def __enter__(self):
        kind = os.environ.get("EXTERNAL_SERVER", "assay")
        if kind == "assay":
            command = [os.environ["ASSAY_BINARY"], "server", "--port", str(self.port),
                       "--backend-store-uri", str(self.folder / "assay.db"),
                       "--artifacts-destination", str(self.folder / "artifacts")]
        else:
            command = [str(pathlib.Path(sys.executable).parent / "mlflow"), "server", "--host", "127.0.0.1",
                       "--port", str(self.port), "--workers", "1",
                       "--backend-store-uri", f"sqlite:///{self.folder}/mlflow.db",
                       "--artifacts-destination", str(self.folder / "artifacts")]
        log = open(self.folder / "server.log", "w")
        self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.time() + 120
        while time.time() < deadline:
            try:
                with urllib.request.urlopen(self.url + "/health", timeout=1) as reply:
                    if reply.status == 200:
                        return self.url
            except OSError:
                time.sleep(0.1)
            if self.process.poll() is not None:
                break
        raise RuntimeError(f"{kind} server did not start: " + (self.folder / "server.log").read_text())

    def __exit__(self, *_exc):
        if self.process:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
        return None


def pytest_configure(config):
    import tests.tracking.integration_test_utils as utils

    utils.ServerThread = ExternalServer
