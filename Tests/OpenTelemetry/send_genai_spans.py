"""The official OpenTelemetry SDK's OTLP/HTTP (protobuf) exporter sending GenAI spans to an Assay server.

    python send_genai_spans.py http://127.0.0.1:5000 EXPERIMENT [COUNT]

Each trace is a chat turn as instrumentations record it: a root "answer" span with a retrieval child
(documents) and a chat child carrying the model, token usage and the messages in the current
attributes (gen_ai.input.messages / gen_ai.output.messages), the older gen_ai.prompt / gen_ai.completion
attributes, or the gen_ai.user.message / gen_ai.choice events, in turn. Prints the trace ids.
"""
import json
import sys

from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

base, experiment = sys.argv[1], sys.argv[2]
count = int(sys.argv[3]) if len(sys.argv) > 3 else 3
exporter = OTLPSpanExporter(endpoint=f"{base}/v1/traces", headers={"x-assay-experiment": experiment})
provider = TracerProvider(resource=Resource.create({"service.name": "otel-interop"}))
provider.add_span_processor(BatchSpanProcessor(exporter))
tracer = provider.get_tracer("assay-interop")

questions = ["What is MLflow?", "What is the capital of France?", "How many legs does a spider have?"]
answers = ["MLflow is an open-source platform for the ML lifecycle.", "Paris.", "Eight."]
ids = []
for i in range(count):
    q, a = questions[i % 3], answers[i % 3]
    with tracer.start_as_current_span("answer") as root:
        ids.append(format(root.get_span_context().trace_id, "032x"))
        with tracer.start_as_current_span("retrieve") as retrieve:
            retrieve.set_attribute("gen_ai.operation.name", "retrieval")
            retrieve.set_attribute("gen_ai.retrieval.documents", json.dumps([{"content": f"Background on: {q}"}]))
        with tracer.start_as_current_span("chat gemma") as chat:
            chat.set_attribute("gen_ai.operation.name", "chat")
            chat.set_attribute("gen_ai.request.model", "gemma-3-270m")
            chat.set_attribute("gen_ai.usage.input_tokens", 20 + i)
            chat.set_attribute("gen_ai.usage.output_tokens", 7)
            style = i % 3
            if style == 0:
                chat.set_attribute("gen_ai.input.messages", json.dumps([{"role": "user", "parts": [{"type": "text", "content": q}]}]))
                chat.set_attribute("gen_ai.output.messages", json.dumps([{"role": "assistant", "parts": [{"type": "text", "content": a}]}]))
            elif style == 1:
                chat.set_attribute("gen_ai.prompt", json.dumps([{"role": "user", "content": q}]))
                chat.set_attribute("gen_ai.completion", json.dumps([{"role": "assistant", "content": a}]))
            else:
                chat.add_event("gen_ai.user.message", {"content": q})
                chat.add_event("gen_ai.choice", {"index": 0, "message": json.dumps({"role": "assistant", "content": a})})
provider.force_flush()
provider.shutdown()
print("\n".join(ids))
