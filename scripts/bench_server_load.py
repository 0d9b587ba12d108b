"""Load generator for scripts/bench-server: N concurrent clients, each on its own keep-alive
connection, alternating log-batch and get-run on a run of its own, as a training or evaluation loop
logs: the first batch carries the run's params (5), every batch 10 metrics at the next step and a tag.

    python bench_server_load.py http://127.0.0.1:5000 --clients 16 --seconds 20

Prints one JSON line: requests, seconds, requests_per_second, p50_ms, p99_ms, errors.
Clients are spread over several processes so Python's GIL does not cap the load.
"""
import argparse
import http.client
import json
import multiprocessing
import threading
import time
import urllib.parse


def call(connection, method, path, body=None):
    headers = {"Content-Type": "application/json"} if body is not None else {}
    started = time.perf_counter()
    connection.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
    response = connection.getresponse()
    data = response.read()
    return response.status, data, time.perf_counter() - started


def client(base, seconds, start_at, results, index):
    url = urllib.parse.urlparse(base)
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=60)
    status, data, _ = call(connection, "POST", "/api/2.0/mlflow/runs/create",
                           {"experiment_id": "0", "run_name": f"bench-{index}", "start_time": int(time.time() * 1000)})
    run = json.loads(data)["run"]["info"]["run_id"]
    latencies, errors, step = [], 0, 0
    while time.time() < start_at:
        time.sleep(0.001)
    deadline = start_at + seconds
    while time.time() < deadline:
        now = int(time.time() * 1000)
        batch = {"run_id": run,
                 "metrics": [{"key": f"m{k}", "value": step * 0.5 + k, "timestamp": now, "step": step} for k in range(10)],
                 "params": [{"key": f"p{k}", "value": f"value-{k}"} for k in range(5)] if step == 0 else [],
                 "tags": [{"key": "t", "value": str(step)}]}
        for method, path, body in (("POST", "/api/2.0/mlflow/runs/log-batch", batch),
                                   ("GET", f"/api/2.0/mlflow/runs/get?run_id={run}", None)):
            try:
                status, _, elapsed = call(connection, method, path, body)
                latencies.append(elapsed)
                errors += status != 200
            except Exception:
                errors += 1
                connection = http.client.HTTPConnection(url.hostname, url.port, timeout=60)
        step += 1
    results.put((latencies, errors))


def worker(base, seconds, start_at, clients, first, results):
    threads = [threading.Thread(target=client, args=(base, seconds, start_at, results, first + i)) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("base")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--processes", type=int, default=4)
    args = parser.parse_args()
    results = multiprocessing.Queue()
    start_at = time.time() + 2
    per = [args.clients // args.processes + (1 if i < args.clients % args.processes else 0) for i in range(args.processes)]
    processes, first = [], 0
    for count in per:
        if count:
            processes.append(multiprocessing.Process(target=worker, args=(args.base, args.seconds, start_at, count, first, results)))
            first += count
    for process in processes:
        process.start()
    latencies, errors = [], 0
    for _ in range(args.clients):
        got, failed = results.get()
        latencies += got
        errors += failed
    for process in processes:
        process.join()
    latencies.sort()
    pick = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000 if latencies else float("nan")
    print(json.dumps({"requests": len(latencies), "seconds": args.seconds,
                      "requests_per_second": round(len(latencies) / args.seconds, 1),
                      "p50_ms": round(pick(0.50), 2), "p99_ms": round(pick(0.99), 2), "errors": errors}))


if __name__ == "__main__":
    main()
