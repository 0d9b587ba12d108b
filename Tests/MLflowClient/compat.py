"""The official mlflow client against an Assay tracking server: every call, then every value read back.

Run by scripts/test-mlflow-client (which starts the server); MLFLOW_TRACKING_URI names it.
"""
import json
import math
import os
import sys
import tempfile

import mlflow
import pandas as pd
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException
from mlflow.metrics import make_metric, MetricValue

checks = 0


def check(condition, what):
    global checks
    if not condition:
        raise AssertionError(what)
    checks += 1


client = MlflowClient()

# Experiments
experiment_id = mlflow.set_experiment("compat-demo").experiment_id
check(client.get_experiment(experiment_id).name == "compat-demo", "get_experiment")
check(client.get_experiment_by_name("compat-demo").experiment_id == experiment_id, "get_experiment_by_name")
check(client.get_experiment_by_name("does-not-exist") is None, "missing experiment is None")
check(mlflow.set_experiment("compat-demo").experiment_id == experiment_id, "set_experiment again")
names = [e.name for e in client.search_experiments()]
check("compat-demo" in names and "Default" in names, f"search_experiments {names}")
try:
    client.create_experiment("compat-demo")
    check(False, "duplicate experiment accepted")
except MlflowException as error:
    check(error.error_code == "RESOURCE_ALREADY_EXISTS", f"duplicate experiment code {error.error_code}")

# A run with everything
with mlflow.start_run(run_name="run-a", tags={"stage": "dev"}) as run:
    run_a = run.info.run_id
    mlflow.log_param("model", "gpt")
    mlflow.log_params({"temperature": 0.2, "max_tokens": 256})
    for step, loss in enumerate([0.9, 0.6, 0.4]):
        mlflow.log_metric("loss", loss, step=step)
    mlflow.log_metrics({"accuracy": 0.81, "loss": 0.25}, step=4)
    client.log_batch(
        run_a,
        metrics=[mlflow.entities.Metric("batch_metric", 1.5, 1795922136981, 7)],
        params=[mlflow.entities.Param("prompt_template", "v2")],
        tags=[mlflow.entities.RunTag("batch", "yes")],
    )
    mlflow.log_metric("weird", float("nan"))
    mlflow.log_metric("weird2", float("inf"))
    mlflow.log_metric("weird3", float("-inf"))
    mlflow.set_tag("team", "nlp")
    mlflow.set_tags({"owner": "me", "team": "nlp2"})
    mlflow.log_dict({"model": "gpt", "nested": {"a": [1, 2]}}, "config/config.json")
    mlflow.log_text("hello\nworld", "notes/readme.txt")
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "predictions.csv")
        with open(path, "w") as handle:
            handle.write("q,a\n1,2\n")
        mlflow.log_artifact(path, "raw")
    table = pd.DataFrame({"question": ["q1", "q2"], "answer": ["a1", "a2"], "score": [1.0, 0.5]})
    mlflow.log_table(table, "eval_table.json")
    try:
        mlflow.log_param("model", "different")
        check(False, "param overwrite accepted")
    except MlflowException as error:
        check("Changing param values is not allowed" in str(error), "param overwrite message")

got = client.get_run(run_a)
check(got.info.status == "FINISHED" and got.info.end_time, "end_run FINISHED")
check(got.info.run_name == "run-a", "run name")
check(got.data.params == {"model": "gpt", "temperature": "0.2", "max_tokens": "256", "prompt_template": "v2"}, f"params {got.data.params}")
check(got.data.metrics["loss"] == 0.25 and got.data.metrics["accuracy"] == 0.81, "latest metrics")
check(got.data.metrics["batch_metric"] == 1.5, "log_batch metric")
check(math.isnan(got.data.metrics["weird"]), "NaN kept")
check(got.data.metrics["weird2"] == float("inf") or got.data.metrics["weird2"] > 1e308, "+inf kept")
check(got.data.metrics["weird3"] == float("-inf") or got.data.metrics["weird3"] < -1e308, "-inf kept")
check(got.data.tags["stage"] == "dev" and got.data.tags["team"] == "nlp2" and got.data.tags["owner"] == "me", "tags")
check(got.data.tags["batch"] == "yes", "log_batch tag")
check(json.loads(got.data.tags["mlflow.loggedArtifacts"]) == [{"path": "eval_table.json", "type": "table"}], "loggedArtifacts tag")

history = client.get_metric_history(run_a, "loss")
check([(m.step, m.value) for m in history] == [(0, 0.9), (1, 0.6), (2, 0.4), (4, 0.25)], f"history {history}")

# Artifacts
root = sorted((f.path, f.is_dir) for f in client.list_artifacts(run_a))
check(root == [("config", True), ("eval_table.json", False), ("notes", True), ("raw", True)], f"list root {root}")
nested = [(f.path, f.file_size) for f in client.list_artifacts(run_a, "config")]
check(len(nested) == 1 and nested[0][0] == "config/config.json" and nested[0][1] > 0, f"list nested {nested}")
with tempfile.TemporaryDirectory() as folder:
    local = mlflow.artifacts.download_artifacts(run_id=run_a, artifact_path="config/config.json", dst_path=folder)
    check(json.load(open(local)) == {"model": "gpt", "nested": {"a": [1, 2]}}, "download file")
    local = client.download_artifacts(run_a, "raw", folder)
    check(open(os.path.join(local, "predictions.csv")).read() == "q,a\n1,2\n", "download folder")
check(mlflow.artifacts.load_text(f"{got.info.artifact_uri}/notes/readme.txt") == "hello\nworld", "load_text")
check(mlflow.artifacts.load_dict(f"{got.info.artifact_uri}/config/config.json")["model"] == "gpt", "load_dict")
loaded = mlflow.load_table("eval_table.json", run_ids=[run_a])
check(loaded["question"].tolist() == ["q1", "q2"] and loaded["score"].tolist() == [1.0, 0.5], f"load_table {loaded}")

# More runs, statuses, search
with mlflow.start_run(run_name="run-b"):
    mlflow.log_metric("accuracy", 0.42)
    mlflow.log_param("model", "claude")
run_b = mlflow.last_active_run().info.run_id
mlflow.start_run(run_name="run-c")
mlflow.log_metric("accuracy", 0.95)
run_c = mlflow.active_run().info.run_id
mlflow.end_run(status="FAILED")
check(client.get_run(run_c).info.status == "FAILED", "end_run FAILED")
client.set_terminated(run_b, status="KILLED")
check(client.get_run(run_b).info.status == "KILLED", "KILLED")

frame = mlflow.search_runs(
    experiment_ids=[experiment_id], filter_string="metrics.accuracy > 0.5", order_by=["metrics.accuracy DESC"]
)
check(frame["tags.mlflow.runName"].tolist() == ["run-c", "run-a"], f"search_runs pandas {frame['tags.mlflow.runName'].tolist()}")
page = client.search_runs([experiment_id], "attributes.status != 'RUNNING'", order_by=["metrics.accuracy ASC"], max_results=2)
check([r.info.run_name for r in page] == ["run-b", "run-a"] and page.token, "search page 1")
page2 = client.search_runs([experiment_id], "attributes.status != 'RUNNING'", order_by=["metrics.accuracy ASC"], max_results=2, page_token=page.token)
check([r.info.run_name for r in page2] == ["run-c"] and not page2.token, "search page 2")
check(len(client.search_runs([experiment_id], "params.model = 'gpt' and tags.stage = 'dev'")) == 1, "params and tags filter")
check(len(client.search_runs([experiment_id], "tags.`mlflow.runName` ILIKE 'RUN-%'")) == 3, "ILIKE")
try:
    client.search_runs([experiment_id], "metrics.accuracy >> 1")
    check(False, "bad filter accepted")
except MlflowException as error:
    check(error.error_code == "INVALID_PARAMETER_VALUE", "bad filter code")
try:
    client.get_run("0" * 32)
    check(False, "unknown run found")
except MlflowException as error:
    check(error.error_code == "RESOURCE_DOES_NOT_EXIST", "unknown run code")

# Delete and restore
client.delete_run(run_b)
check(client.get_run(run_b).info.lifecycle_stage == "deleted", "delete_run")
check(run_b not in [r.info.run_id for r in client.search_runs([experiment_id])], "deleted run hidden")
client.restore_run(run_b)
check(client.get_run(run_b).info.lifecycle_stage == "active", "restore_run")
client.delete_run(run_b)

# mlflow.evaluate on a static frame, with a metric that needs no network
def exact(predictions, targets):
    scores = [float(p == t) for p, t in zip(predictions, targets)]
    return MetricValue(scores=scores, aggregate_results={"mean": sum(scores) / len(scores)})

data = pd.DataFrame({"inputs": ["What is 2+2?", "Capital of France?"], "ground_truth": ["4", "Paris"], "outputs": ["4", "Lyon"]})
with mlflow.start_run(run_name="evaluate") as run:
    result = mlflow.evaluate(
        data=data, predictions="outputs", targets="ground_truth",
        extra_metrics=[make_metric(eval_fn=exact, greater_is_better=True, name="my_exact_match")],
    )
    evaluate_run = run.info.run_id
check(result.metrics["my_exact_match/mean"] == 0.5, f"evaluate metrics {result.metrics}")
logged = client.get_run(evaluate_run)
check(logged.data.metrics["my_exact_match/mean"] == 0.5, "evaluate metric logged")
check(logged.inputs.dataset_inputs and logged.inputs.dataset_inputs[0].dataset.digest, "evaluate dataset input")
table = mlflow.load_table("eval_results_table.json", run_ids=[evaluate_run])
check(table["outputs"].tolist() == ["4", "Lyon"] and table["my_exact_match/score"].tolist() == [1.0, 0.0], f"eval table {table}")

print(f"mlflow {mlflow.__version__} client against {mlflow.get_tracking_uri()}: {checks} checks passed")
