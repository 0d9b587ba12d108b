"""The official mlflow 3 client against a tracking server: logged models, traces, assessments, genai.evaluate.

Run by scripts/test-mlflow-client --mlflow3 (which starts `assay server`, or `mlflow server` with
--reference so that the script itself is known to be right) and by MLflowClientTests;
MLFLOW_TRACKING_URI names the server. A small OpenAI-compatible server in this process answers the
model calls, so the run needs no network and no key.
"""
import gzip
import hashlib
import json
import os
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import mlflow
import openai
import pandas as pd
from mlflow import MlflowClient
from mlflow.entities import AssessmentSource, AssessmentSourceType
from mlflow.exceptions import MlflowException
from mlflow.genai.scorers import scorer

checks = 0


def check(condition, what):
    global checks
    if not condition:
        raise AssertionError(what)
    checks += 1


ANSWERS = {
    "What is MLflow?": "MLflow is an open source platform for the machine learning lifecycle.",
    "What is Spark?": "Apache Spark is an engine for large-scale data processing.",
    "What is Assay?": "I do not know.",
}


class FakeOpenAI(BaseHTTPRequestHandler):
    """Chat completions: the answer to the last user message from ANSWERS, with token usage."""

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
        question = [m for m in body.get("messages", []) if m.get("role") == "user"][-1]["content"]
        answer = next((a for q, a in ANSWERS.items() if q in question), "I do not know.")
        reply = {
            "id": "chatcmpl-1", "object": "chat.completion", "created": int(time.time()), "model": body.get("model", "fake"),
            "choices": [{"index": 0, "message": {"role": "assistant", "content": answer}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 12, "completion_tokens": 9, "total_tokens": 21},
        }
        data = json.dumps(reply).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


fake = ThreadingHTTPServer(("127.0.0.1", 0), FakeOpenAI)
threading.Thread(target=fake.serve_forever, daemon=True).start()
os.environ["OPENAI_API_KEY"] = "not-a-key"
os.environ["OPENAI_BASE_URL"] = f"http://127.0.0.1:{fake.server_address[1]}/v1"
os.environ["OPENAI_API_BASE"] = os.environ["OPENAI_BASE_URL"]

# tiktoken (MLflow's token_count) reads its table from the repository's copy, not the network.
tiktoken_cache = tempfile.mkdtemp()
table_url = "https://openaipublic.blob.core.windows.net/encodings/cl100k_base.tiktoken"
table = os.path.join(os.path.dirname(__file__), "..", "..", "Sources", "Assay", "Resources", "cl100k_base.tiktoken.gz")
with gzip.open(table) as source, open(os.path.join(tiktoken_cache, hashlib.sha1(table_url.encode()).hexdigest()), "wb") as target:
    target.write(source.read())
os.environ["TIKTOKEN_CACHE_DIR"] = tiktoken_cache

client = MlflowClient()
experiment_id = mlflow.set_experiment(f"MLflow 3 compat {time.time_ns()}").experiment_id

# 1. Logged models: the quick-start, then mlflow.evaluate of the logged model.
eval_data = pd.DataFrame(
    {"inputs": list(ANSWERS), "ground_truth": [ANSWERS["What is MLflow?"], ANSWERS["What is Spark?"], "Assay evaluates LLMs."]}
)
with mlflow.start_run(run_name="quick-start") as run:
    info = mlflow.openai.log_model(
        model="gpt-4o-mini", task=openai.chat.completions, name="model",
        messages=[{"role": "system", "content": "Answer the following question in two sentences"},
                  {"role": "user", "content": "{question}"}])
    check(info.model_id.startswith("m-"), f"model id {info.model_id}")
    results = mlflow.evaluate(info.model_uri, eval_data, targets="ground_truth", model_type="question-answering")
    check(abs(results.metrics["exact_match/v1"] - 2 / 3) < 1e-9, f"exact_match {results.metrics}")
quick_run = run.info.run_id
logged = mlflow.get_logged_model(info.model_id)
check(logged.name == "model" and logged.experiment_id == experiment_id, f"get_logged_model {logged}")
check(str(logged.status) in ("READY", "LoggedModelStatus.READY"), f"status {logged.status}")
check(logged.source_run_id == quick_run, f"source run {logged.source_run_id}")
stored = client.get_run(quick_run)
check(abs(stored.data.metrics["exact_match/v1"] - 2 / 3) < 1e-9, f"stored metrics {stored.data.metrics}")
check([o.model_id for o in stored.outputs.model_outputs] == [info.model_id], f"model outputs {stored.outputs}")
artifacts = [f.path for f in client.list_artifacts(quick_run)]
check("eval_results_table.json" in artifacts, f"run artifacts {artifacts}")
table = json.loads(open(client.download_artifacts(quick_run, "eval_results_table.json")).read())
check(len(table["data"]) == 3 and "outputs" in table["columns"], f"eval table {table['columns']}")
loaded = mlflow.pyfunc.load_model(info.model_uri)
check(loaded.predict(pd.DataFrame({"question": ["What is Spark?"]}))[0] == ANSWERS["What is Spark?"], "loaded model answers")
found = mlflow.search_logged_models(experiment_ids=[experiment_id], filter_string="name = 'model'", output_format="list")
check([m.model_id for m in found] == [info.model_id], f"search_logged_models {found}")
client.set_logged_model_tags(info.model_id, {"team": "nlp"})
check(mlflow.get_logged_model(info.model_id).tags.get("team") == "nlp", "logged model tag")
client.delete_logged_model_tag(info.model_id, "team")
check("team" not in mlflow.get_logged_model(info.model_id).tags, "logged model tag deleted")
client.log_model_params(info.model_id, {"temperature": "0.1"})
check(mlflow.get_logged_model(info.model_id).params.get("temperature") == "0.1", "logged model param")
client.log_metric(quick_run, "judged_accuracy", 0.75, timestamp=1, step=2, dataset_name="golden", dataset_digest="d1", model_id=info.model_id)
model_metrics = {m.key: m for m in mlflow.get_logged_model(info.model_id).metrics or []}
check(model_metrics.get("judged_accuracy") is not None and model_metrics["judged_accuracy"].value == 0.75
      and model_metrics["judged_accuracy"].run_id == quick_run and model_metrics["judged_accuracy"].dataset_digest == "d1",
      f"logged model metrics {sorted(model_metrics)}")
on_golden = mlflow.search_logged_models(
    experiment_ids=[experiment_id], datasets=[{"dataset_name": "golden", "dataset_digest": "d1"}],
    filter_string="metrics.judged_accuracy > 0.5", output_format="list")
check([m.model_id for m in on_golden] == [info.model_id], f"search_logged_models by dataset {on_golden}")
active = mlflow.set_active_model(name="my-agent")
check(mlflow.set_active_model(name="my-agent").model_id == active.model_id, "set_active_model finds the model again")
mlflow.clear_active_model()
scratch = mlflow.create_external_model(name="scratch")
client.delete_logged_model(scratch.model_id)
try:
    mlflow.get_logged_model(scratch.model_id)
    check(False, "deleted logged model still readable")
except MlflowException as error:
    check(error.error_code == "RESOURCE_DOES_NOT_EXIST", f"deleted model code {error.error_code}")

# 2. Traces: decorated, manual spans and autologged OpenAI calls.
mlflow.openai.autolog()
openai_client = openai.OpenAI()


@mlflow.trace(span_type="CHAIN")
def answer(question):
    with mlflow.start_span("retrieve", span_type="RETRIEVER") as span:
        span.set_inputs({"query": question})
        span.set_outputs([{"page_content": "MLflow tracks experiments.", "metadata": {"doc_uri": "docs/mlflow.md"}}])
    reply = openai_client.chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": question}], max_tokens=32)
    return reply.choices[0].message.content


with mlflow.start_run(run_name="traced") as traced_run:
    check(answer("What is MLflow?") == ANSWERS["What is MLflow?"], "traced answer")
    answer("What is Spark?")
mlflow.flush_trace_async_logging()
trace_id = mlflow.get_last_active_trace_id()
check(trace_id.startswith("tr-"), f"trace id {trace_id}")
trace = mlflow.get_trace(trace_id)
names = sorted(s.name for s in trace.data.spans)
check(names == ["Completions", "answer", "retrieve"], f"span names {names}")
check(trace.info.state.value == "OK" if hasattr(trace.info.state, "value") else str(trace.info.state) == "OK", "trace state")
root = [s for s in trace.data.spans if s.parent_id is None][0]
check(root.inputs == {"question": "What is Spark?"} and root.outputs == ANSWERS["What is Spark?"], f"root span {root.inputs}")
check(trace.info.request_metadata.get("mlflow.sourceRun") == traced_run.info.run_id, f"source run {trace.info.request_metadata}")
check("What is Spark?" in (trace.info.request_preview or ""), f"request preview {trace.info.request_preview}")
frame = mlflow.search_traces(locations=[experiment_id])
check(len(frame) >= 2 and "trace_id" in frame.columns, f"search_traces frame {len(frame)}")
listed = mlflow.search_traces(locations=[experiment_id], return_type="list", filter_string=f"attributes.run_id = '{traced_run.info.run_id}'")
check(len(listed) == 2 and all(len(t.data.spans) == 3 for t in listed), f"search_traces list {len(listed)}")
mlflow.set_trace_tag(trace_id, "reviewed", "yes")
check(mlflow.get_trace(trace_id).info.tags.get("reviewed") == "yes", "trace tag")
by_tag = mlflow.search_traces(locations=[experiment_id], return_type="list", filter_string="tags.reviewed = 'yes'")
check([t.info.trace_id for t in by_tag] == [trace_id], f"search by tag {len(by_tag)}")
mlflow.delete_trace_tag(trace_id, "reviewed")
check("reviewed" not in mlflow.get_trace(trace_id).info.tags, "trace tag deleted")
by_text = mlflow.search_traces(locations=[experiment_id], return_type="list", filter_string="trace.text LIKE '%Spark%'")
check(trace_id in [t.info.trace_id for t in by_text], f"search by span text {len(by_text)}")
try:
    mlflow.get_trace("tr-00000000000000000000000000000000", silent=False)
except MlflowException as error:
    check(error.error_code == "RESOURCE_DOES_NOT_EXIST", f"unknown trace code {error.error_code}")
else:
    check(True, "unknown trace is None")

# 3. Assessments on a trace.
human = AssessmentSource(source_type=AssessmentSourceType.HUMAN, source_id="reviewer@example.com")
feedback = mlflow.log_feedback(trace_id=trace_id, name="helpful", value=True, rationale="Answers the question.", source=human)
check(feedback.assessment_id and feedback.assessment_id.startswith("a-"), f"feedback id {feedback.assessment_id}")
expectation = mlflow.log_expectation(trace_id=trace_id, name="expected_answer", value=ANSWERS["What is Spark?"], source=human)
judged = mlflow.log_feedback(
    trace_id=trace_id, name="relevance", value=4, rationale="Mostly relevant.",
    source=AssessmentSource(source_type=AssessmentSourceType.LLM_JUDGE, source_id="gpt-4o-mini"), metadata={"judgeCost": "0.001"})
got = mlflow.get_assessment(trace_id, feedback.assessment_id)
check(got.name == "helpful" and got.value is True and got.rationale == "Answers the question.", f"get_assessment {got}")
check(got.source.source_type == "HUMAN" and got.source.source_id == "reviewer@example.com", f"source {got.source}")
mlflow.update_assessment(trace_id, judged.assessment_id, mlflow.entities.Feedback(name="relevance", value=5, rationale="Relevant."))
assessments = {a.name: a for a in mlflow.get_trace(trace_id).info.assessments}
check(set(assessments) == {"helpful", "expected_answer", "relevance"}, f"assessments {set(assessments)}")
check(assessments["relevance"].value == 5 and assessments["relevance"].rationale == "Relevant.", "updated assessment")
check(assessments["relevance"].metadata.get("judgeCost") == "0.001", f"metadata {assessments['relevance'].metadata}")
check(assessments["expected_answer"].value == ANSWERS["What is Spark?"], "expectation value")
mlflow.delete_assessment(trace_id, expectation.assessment_id)
check({a.name for a in mlflow.get_trace(trace_id).info.assessments} == {"helpful", "relevance"}, "assessment deleted")
corrected = mlflow.override_feedback(trace_id=trace_id, assessment_id=judged.assessment_id, value=3, rationale="Half relevant.")
check(mlflow.get_assessment(trace_id, judged.assessment_id).valid is False, "overridden feedback is no longer valid")
check(corrected.overrides == judged.assessment_id and corrected.valid is not False, f"override {corrected}")
mlflow.delete_assessment(trace_id, corrected.assessment_id)
check(mlflow.get_assessment(trace_id, judged.assessment_id).valid is True, "deleting the override restores the feedback")

# 4. genai.evaluate with a predict function and custom scorers.
mlflow.openai.autolog(disable=True)


@scorer
def mentions_question(inputs, outputs):
    return inputs["question"].split()[-1].rstrip("?") in outputs


@scorer
def answer_length(outputs):
    return len(outputs)


def predict(question):
    return openai_client.chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": question}], max_tokens=32).choices[0].message.content


data = [
    {"inputs": {"question": "What is MLflow?"}, "expectations": {"expected_response": ANSWERS["What is MLflow?"]}},
    {"inputs": {"question": "What is Spark?"}, "expectations": {"expected_response": ANSWERS["What is Spark?"]}},
    {"inputs": {"question": "What is Assay?"}, "expectations": {"expected_response": "Assay evaluates LLMs."}},
]
evaluation = mlflow.genai.evaluate(data=data, predict_fn=predict, scorers=[mentions_question, answer_length])
check(abs(evaluation.metrics["mentions_question/mean"] - 2 / 3) < 1e-9, f"genai metrics {evaluation.metrics}")
eval_run = client.get_run(evaluation.run_id)
check(abs(eval_run.data.metrics["mentions_question/mean"] - 2 / 3) < 1e-9, f"stored genai metrics {eval_run.data.metrics}")
check(eval_run.data.tags.get("mlflow.runType") == "genai_evaluate", f"run type {eval_run.data.tags.get('mlflow.runType')}")
evaluated = mlflow.search_traces(locations=[experiment_id], run_id=evaluation.run_id, return_type="list")
check(len(evaluated) == 3, f"evaluated traces {len(evaluated)}")
for t in evaluated:
    scored = {a.name for a in t.info.assessments}
    check({"mentions_question", "answer_length", "expected_response"} <= scored, f"trace assessments {scored}")

# 5. Assay scores the client's traces through the server and writes the scores back as assessments
#    the client reads (ASSAY_BINARY names the assay executable; left out, this part is skipped).
assay = os.environ.get("ASSAY_BINARY")
if assay:
    import subprocess

    uri = mlflow.get_tracking_uri()
    done = subprocess.run(
        [assay, "evaluate", "--traces", experiment_id, "--tracking-uri", uri, "--metrics", "token_count,latency",
         "--trace-filter", "tags.`mlflow.traceName` = 'answer'", "--run-name", "assay-scores"],
        capture_output=True, text=True, timeout=300)
    check(done.returncode == 0, f"assay evaluate --traces: {done.stdout} {done.stderr}")
    scored = mlflow.search_traces(locations=[experiment_id], return_type="list", filter_string="tags.`mlflow.traceName` = 'answer'")
    check(len(scored) == 2, f"answer traces {len(scored)}")
    for t in scored:
        names = {a.name: a for a in t.info.assessments}
        check("token_count" in names, f"assay's assessments {sorted(names)}")
        check(names["token_count"].source.source_type == "CODE" and isinstance(names["token_count"].value, (int, float)),
              f"token_count assessment {names['token_count']}")
    assay_runs = mlflow.search_runs(experiment_ids=[experiment_id], filter_string="attributes.run_name = 'assay-scores'")
    check(len(assay_runs) == 1, f"assay's run {len(assay_runs)}")

# 6. A client that does not send spans by OTLP (a server it takes for older than 3.4) uploads them as
#    the trace's traces.json; they are read back with the trace all the same.
from mlflow.store.tracking.rest_store import RestStore

RestStore._get_server_version = staticmethod(lambda host_creds: None)
mlflow.openai.autolog(disable=True)


@mlflow.trace(name="offline")
def offline(question):
    with mlflow.start_span("lookup") as span:
        span.set_inputs({"q": question})
        span.set_outputs("found")
    return "answered " + question


offline("Does artifact mode work?")
mlflow.flush_trace_async_logging()
offline_id = mlflow.get_last_active_trace_id()
offline_trace = mlflow.get_trace(offline_id)
check(sorted(s.name for s in offline_trace.data.spans) == ["lookup", "offline"], f"artifact-mode spans {offline_trace.data.spans}")
check(offline_trace.data.spans[0].inputs is not None, "artifact-mode span inputs")

# 7. Evaluation datasets: created, filled (records merged by their inputs), read back, searched, tagged,
#    linked to experiments, trimmed and deleted.
from mlflow.genai import datasets as genai_datasets

golden = genai_datasets.create_dataset(name=f"qa-golden-{experiment_id}", experiment_id=[experiment_id], tags={"team": "nlp"})
check(golden.dataset_id.startswith("d-"), f"dataset id {golden.dataset_id}")
golden.merge_records([
    {"inputs": {"question": q}, "expectations": {"expected_response": a}} for q, a in ANSWERS.items()
])
golden.merge_records([{"inputs": {"question": "What is Assay?"}, "expectations": {"expected_response": "Assay evaluates LLMs."}}])
read_back = genai_datasets.get_dataset(dataset_id=golden.dataset_id)
frame = read_back.to_df()
check(len(frame) == 3, f"dataset records {len(frame)}")
by_question = {row["inputs"]["question"]: row["expectations"]["expected_response"] for _, row in frame.iterrows()}
check(by_question["What is Assay?"] == "Assay evaluates LLMs.", f"merged record {by_question}")
check(read_back.tags.get("team") == "nlp" and read_back.name == golden.name, f"dataset tags {read_back.tags}")
check(genai_datasets.get_dataset(name=golden.name).dataset_id == golden.dataset_id, "get_dataset by name")
found = genai_datasets.search_datasets(experiment_ids=[experiment_id])
check([d.dataset_id for d in found] == [golden.dataset_id], f"search_datasets {[d.name for d in found]}")
genai_datasets.set_dataset_tags(dataset_id=golden.dataset_id, tags={"stage": "dev"})
genai_datasets.delete_dataset_tag(dataset_id=golden.dataset_id, key="team")
tags_now = genai_datasets.get_dataset(dataset_id=golden.dataset_id).tags
check(tags_now.get("stage") == "dev" and "team" not in tags_now, f"dataset tags changed {tags_now}")
other = mlflow.create_experiment(f"datasets-elsewhere-{experiment_id}")
linked = genai_datasets.add_dataset_to_experiments(dataset_id=golden.dataset_id, experiment_ids=[other])
check(sorted(linked.experiment_ids) == sorted([experiment_id, other]), f"dataset experiments {linked.experiment_ids}")
genai_datasets.remove_dataset_from_experiments(dataset_id=golden.dataset_id, experiment_ids=[other])
record_ids = list(genai_datasets.get_dataset(dataset_id=golden.dataset_id).to_df()["dataset_record_id"])
check(golden.delete_records(record_ids[:1]) == 1, "delete_records")
check(len(genai_datasets.get_dataset(dataset_id=golden.dataset_id).to_df()) == 2, "records after delete")
scratch_dataset = genai_datasets.create_dataset(name=f"scratch-{experiment_id}", experiment_id=[experiment_id])
genai_datasets.delete_dataset(dataset_id=scratch_dataset.dataset_id)
try:
    genai_datasets.get_dataset(dataset_id=scratch_dataset.dataset_id)
    check(False, "deleted dataset still readable")
except MlflowException as error:
    check(error.error_code == "RESOURCE_DOES_NOT_EXIST", f"deleted dataset code {error.error_code}")
if assay:
    # Assay evaluates the stored dataset through the server, calling the same model.
    remaining = genai_datasets.get_dataset(dataset_id=golden.dataset_id).to_df()
    wanted = sum(ANSWERS[row["inputs"]["question"]] == row["expectations"]["expected_response"] for _, row in remaining.iterrows())
    done = subprocess.run(
        [assay, "evaluate", "--dataset", golden.dataset_id, "--tracking-uri", uri, "--model", "openai:/gpt-4o-mini",
         "--base-url", os.environ["OPENAI_BASE_URL"], "--prompt", "{question}", "--targets", "expected_response",
         "--metrics", "exact_match", "--run-name", "assay-on-dataset", "--experiment", mlflow.get_experiment(experiment_id).name],
        capture_output=True, text=True, timeout=300)
    check(done.returncode == 0, f"assay evaluate --dataset: {done.stdout} {done.stderr}")
    scored_run = mlflow.search_runs(experiment_ids=[experiment_id], filter_string="attributes.run_name = 'assay-on-dataset'")
    check(abs(scored_run["metrics.exact_match/v1"][0] - wanted / len(remaining)) < 1e-9, f"exact_match on the dataset {scored_run}")
on_dataset = mlflow.genai.evaluate(data=golden, predict_fn=predict, scorers=[mentions_question])
check("mentions_question/mean" in on_dataset.metrics, f"evaluate on a dataset {on_dataset.metrics}")

# 8. Registered scorers: versions, online configuration, deletion.
from mlflow.genai.scorers import RelevanceToQuery, ScorerSamplingConfig, delete_scorer, get_scorer, list_scorers
from mlflow.genai.scorers.registry import list_scorer_versions

registered = RelevanceToQuery(model="openai:/gpt-4o-mini").register(name="relevance", experiment_id=experiment_id)
RelevanceToQuery(model="openai:/gpt-4o").register(name="relevance", experiment_id=experiment_id)
check([sc.name for sc in list_scorers(experiment_id=experiment_id)] == ["relevance"], "list_scorers")
versions = list_scorer_versions(name="relevance", experiment_id=experiment_id)
check(sorted(v for _, v in versions) == [1, 2], f"scorer versions {versions}")
latest = get_scorer(name="relevance", experiment_id=experiment_id)
check(latest.name == "relevance", f"get_scorer {latest}")
# Online scoring runs judges through the AI gateway; a scorer on another model is refused, as MLflow does.
try:
    latest.start(name="relevance", experiment_id=experiment_id, sampling_config=ScorerSamplingConfig(sample_rate=0.5))
    check(False, "online scoring started without a gateway model")
except MlflowException as error:
    check(error.error_code == "INVALID_PARAMETER_VALUE" and "gateway" in error.message, f"online scoring refused: {error.message}")
check(not get_scorer(name="relevance", experiment_id=experiment_id).sample_rate, "no online configuration kept")
delete_scorer(name="relevance", experiment_id=experiment_id, version="all")
check(list_scorers(experiment_id=experiment_id) == [], "scorers deleted")

# What the browser test opens on the server afterwards.
print(f"pages: experiment={experiment_id} trace={trace_id} run={evaluation.run_id}")
print(f"{checks} checks passed")
fake.shutdown()
