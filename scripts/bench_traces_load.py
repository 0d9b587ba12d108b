"""Load generator for scripts/bench-traces: sends N spans to /v1/traces as OTLP/JSON from several
processes, in batches of whole traces (a root "answer" span, a retrieval span and a chat span with
GenAI attributes, and two tool spans: five spans a trace). Prints one JSON line with spans/s.

    python bench_traces_load.py http://127.0.0.1:5000 EXPERIMENT --spans 100000 --batch 500
"""
import argparse
import http.client
import json
import multiprocessing
import time
import urllib.parse


def attribute(key, value):
    if isinstance(value, bool):
        return {"key": key, "value": {"boolValue": value}}
    if isinstance(value, int):
        return {"key": key, "value": {"intValue": str(value)}}
    return {"key": key, "value": {"stringValue": value}}


def trace(i, start):
    tid = f"{i + 1:032x}"
    root = f"{i + 1:012x}0001"
    t = start + i * 1_000_000
    question = f"Question {i}: what is item {i % 97} about?"
    spans = [
        {"traceId": tid, "spanId": root, "name": "answer" if i % 2 == 0 else "answer-b", "kind": 2,
         "startTimeUnixNano": str(t), "endTimeUnixNano": str(t + 900_000), "status": {"code": 1},
         "attributes": [attribute("input.value", question)]},
        {"traceId": tid, "spanId": f"{i + 1:012x}0002", "parentSpanId": root, "name": "retrieve", "kind": 1,
         "startTimeUnixNano": str(t + 10_000), "endTimeUnixNano": str(t + 100_000),
         "attributes": [attribute("gen_ai.operation.name", "retrieval"),
                        attribute("gen_ai.retrieval.documents", json.dumps([{"content": f"Item {i % 97} is a widget of kind {i % 7}."}]))]},
        {"traceId": tid, "spanId": f"{i + 1:012x}0003", "parentSpanId": root, "name": "chat model", "kind": 3,
         "startTimeUnixNano": str(t + 110_000), "endTimeUnixNano": str(t + 800_000),
         "attributes": [attribute("gen_ai.operation.name", "chat"), attribute("gen_ai.request.model", "bench-model"),
                        attribute("gen_ai.usage.input_tokens", 10 + i % 1000), attribute("gen_ai.usage.output_tokens", 20 + i % 50),
                        attribute("gen_ai.input.messages", json.dumps([{"role": "user", "parts": [{"type": "text", "content": question}]}])),
                        attribute("gen_ai.output.messages", json.dumps([{"role": "assistant", "parts": [{"type": "text", "content": f"Item {i % 97} is a widget of kind {i % 7}, used for testing."}]}]))]},
    ]
    for k in range(2):
        spans.append({"traceId": tid, "spanId": f"{i + 1:012x}000{4 + k}", "parentSpanId": root, "name": f"tool {k}", "kind": 1,
                      "startTimeUnixNano": str(t + 805_000 + k * 40_000), "endTimeUnixNano": str(t + 840_000 + k * 40_000),
                      "attributes": [attribute("tool.name", f"tool-{k}"), attribute("tool.ok", True)]})
    return spans


def worker(base, experiment, traces, batch_traces, start, results):
    url = urllib.parse.urlparse(base)
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=120)
    sent, errors = 0, 0
    for first in range(traces[0], traces[1], batch_traces):
        spans = [s for i in range(first, min(first + batch_traces, traces[1])) for s in trace(i, start)]
        body = json.dumps({"resourceSpans": [{"resource": {"attributes": [attribute("service.name", "bench")]},
                                              "scopeSpans": [{"scope": {"name": "bench"}, "spans": spans}]}]})
        connection.request("POST", "/v1/traces", body=body, headers={"Content-Type": "application/json", "x-assay-experiment": experiment})
        response = connection.getresponse()
        response.read()
        if response.status == 200:
            sent += len(spans)
        else:
            errors += 1
    results.put((sent, errors))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("base")
    parser.add_argument("experiment")
    parser.add_argument("--spans", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--processes", type=int, default=4)
    args = parser.parse_args()
    traces = args.spans // 5
    per = (traces + args.processes - 1) // args.processes
    results = multiprocessing.Queue()
    start = time.time_ns() - traces * 1_000_000
    began = time.perf_counter()
    processes = [multiprocessing.Process(target=worker, args=(args.base, args.experiment, (p * per, min(traces, (p + 1) * per)), args.batch // 5, start, results))
                 for p in range(args.processes)]
    for p in processes:
        p.start()
    sent, errors = 0, 0
    for _ in processes:
        s, e = results.get()
        sent += s
        errors += e
    for p in processes:
        p.join()
    elapsed = time.perf_counter() - began
    print(json.dumps({"spans": sent, "traces": traces, "seconds": round(elapsed, 2), "spans_per_second": round(sent / elapsed), "errors": errors}))


if __name__ == "__main__":
    main()
