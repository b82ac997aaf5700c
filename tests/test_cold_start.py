"""Cold start (issue 16 item 3): one boto3 session, priming at init, SnapStart's runtime hooks.

Run on the embedded backend; the Lambda runtime is stood in for by its environment variable
(``AWS_LAMBDA_RUNTIME_API``) and, for SnapStart, by calling the registered hooks the way the
runtime does (``snapshot_restore_py`` exists only in Lambda's Python runtime).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import types

import pytest

from amp_publisher.local.backend import LocalContext
from conftest import REFERENCE

REF_KEY = "articles/met-palantir-extension.json"


def test_every_client_comes_from_one_session(backend):
    from amp_publisher.aws import storage

    storage.reset_clients()
    s3, dynamodb, cloudfront = (storage.client(n) for n in ("s3", "dynamodb", "cloudfront"))
    # one session: the service models, endpoints and credentials are loaded once
    assert s3._loader is dynamodb._loader is cloudfront._loader
    assert storage.client("s3") is s3


def test_the_session_reads_botocore_data_as_botocore_does_into_plain_dicts(backend):
    """The session's data loader (storage._data_loader) parses botocore's data files without
    OrderedDict, the cold start's costliest part of a client: the same data, plain and
    gzipped files alike, in plain dicts."""
    from botocore.loaders import create_loader

    from amp_publisher.aws import storage

    storage.reset_clients()
    assert type(storage.client("s3")._loader.file_loader) is storage._PlainJSONFileLoader
    # fresh loaders: botocore's clients change some of what they loaded in place
    ours, stock = storage._data_loader(storage._botocore_session()), create_loader()
    for name in ("endpoints", "partitions"):
        data = ours.load_data(name)
        assert type(data) is dict and data == stock.load_data(name), name
    for service, kind in [("s3", "service-2"), ("s3", "endpoint-rule-set-1"),
                          ("dynamodb", "service-2"), ("cloudfront", "service-2")]:
        data = ours.load_service_model(service, kind)
        assert type(data) is dict and data == stock.load_service_model(service, kind), service
    storage.reset_clients()


def test_loading_a_model_looks_in_that_service_folder_only(backend, monkeypatch):
    """botocore checks a service's name against every service folder of its data path (about
    450 of them, listed once per model type) before loading a model; the session's loader
    looks in that service's folder, and otherwise knows the same services as botocore's own,
    listed as a list."""
    import botocore.loaders
    from botocore.exceptions import UnknownServiceError
    from botocore.loaders import Loader, create_loader

    from amp_publisher.aws import storage

    ours, stock = storage._data_loader(storage._botocore_session()), create_loader()
    for loader in (ours, stock):  # botocore's own data only: no ~/.aws/models of this machine
        loader.search_paths[:] = [Loader.BUILTIN_DATA_PATH]
    listed = []
    real_listdir = os.listdir
    monkeypatch.setattr(botocore.loaders.os, "listdir",
                        lambda path: listed.append(path) or real_listdir(path))
    monkeypatch.setattr(storage.os, "listdir",
                        lambda path: listed.append(path) or real_listdir(path))
    for service in ("s3", "dynamodb", "cloudfront", "sqs"):
        ours.load_service_model(service, "service-2")
        ours.load_service_model(service, "endpoint-rule-set-1")
    # the data folder once, then each service's own folder once per model type
    assert len(listed) <= 1 + 8, len(listed)
    monkeypatch.undo()

    for kind in ("service-2", "endpoint-rule-set-1", "paginators-1"):
        every = stock.list_available_services(kind)
        assert len(every) > 400
        assert ours.list_available_services(kind) == every
        assert type(ours.list_available_services(kind)) is list
    with pytest.raises(UnknownServiceError, match="Valid service names are: .*dynamodb"):
        ours.load_service_model("no-such-service", "service-2")
    assert type(storage.session().get_available_services()) is list


def test_a_service_name_is_known_only_as_its_folder_is_spelled(backend, monkeypatch):
    """The check inside a model load: a name is a service when a folder of the data path has
    exactly that name; a case-insensitive disk answering for ``S3`` does not make it one."""
    from botocore.loaders import Loader, create_loader

    from amp_publisher.aws import storage

    ours = storage._data_loader(storage._botocore_session())
    ours.search_paths[:] = [Loader.BUILTIN_DATA_PATH]
    known = storage._ServiceNames(ours, "service-2")
    assert "s3" in known and "dynamodb" in known
    for not_a_name in ("no-such-service", "s3/2006-03-01", "..", ".", "", "S3", "s3 ", 3,
                       "endpoints.json", "_retry.json"):  # files of the data folder
        assert not_a_name not in known, not_a_name
    stock = create_loader()
    stock.search_paths[:] = [Loader.BUILTIN_DATA_PATH]
    every = stock.list_available_services("service-2")
    assert list(known) == every and len(known) == len(every)
    # a file system that finds a version folder for any spelling of a name
    monkeypatch.setattr(ours, "list_api_versions", lambda name, kind: ["2006-03-01"])
    assert "s3" in known and "S3" not in known and "Dynamodb" not in known


def test_the_plain_loader_reads_both_kinds_of_file_as_botocore_does(tmp_path):
    """``.json`` first, then ``.json.gz`` (botocore's order), ``None`` when neither is a file,
    and a folder of that name is not a file."""
    import gzip

    from amp_publisher.aws.storage import _PlainJSONFileLoader

    loader = _PlainJSONFileLoader()
    (tmp_path / "zipped.json.gz").write_bytes(gzip.compress(b'{"b": 1, "a": [2]}'))
    (tmp_path / "both.json").write_text('{"from": "json"}')
    (tmp_path / "both.json.gz").write_bytes(gzip.compress(b'{"from": "gz"}'))
    (tmp_path / "folder.json").mkdir()
    assert loader.load_file(str(tmp_path / "zipped")) == {"b": 1, "a": [2]}
    assert list(loader.load_file(str(tmp_path / "zipped"))) == ["b", "a"]
    assert loader.load_file(str(tmp_path / "both")) == {"from": "json"}
    assert loader.load_file(str(tmp_path / "missing")) is None
    assert loader.load_file(str(tmp_path / "folder")) is None
    assert loader.exists(str(tmp_path / "zipped")) and not loader.exists(str(tmp_path / "folder"))


def test_prime_builds_the_publisher_and_the_first_event_publishes(backend, event):
    from amp_publisher.aws import handler, storage

    handler._publisher.cache_clear()
    storage.reset_clients()
    handler.prime()
    primed = handler._publisher()
    assert primed.s3 is storage.client("s3")
    assert primed.manifest.dynamodb is storage.client("dynamodb")
    backend.client("s3").put_object(Bucket=backend.names.source_bucket, Key=REF_KEY,
                                    Body=REFERENCE.read_bytes())
    result = handler.lambda_handler(event("s3-put-reference"), LocalContext())
    assert [o["action"] for o in result["outcomes"]] == ["published"]
    assert handler._publisher() is primed  # the event used what init built
    handler._publisher.cache_clear()


def test_copies_restored_from_one_snapshot_get_new_clients_and_different_lease_tokens(backend):
    from amp_publisher.aws import handler, pipeline, storage

    handler._publisher.cache_clear()
    handler.prime()
    snapshot_publisher, snapshot_s3 = handler._publisher(), storage.client("s3")
    snapshot = pipeline._TOKENS.getstate()
    tokens = []
    for _ in range(2):  # two containers restored from the same snapshot
        pipeline._TOKENS.setstate(snapshot)
        handler.after_restore()
        tokens.append(pipeline._TOKENS.getrandbits(96))
        assert handler._publisher() is not snapshot_publisher
        assert handler._publisher().s3 is storage.client("s3") is not snapshot_s3
    assert tokens[0] != tokens[1]
    handler._publisher.cache_clear()


def test_after_restore_clients_take_the_credentials_of_the_restored_instance(backend,
                                                                            monkeypatch):
    """The session made after a restore resolves its credentials again (the snapshot's were
    the instance's that took it) and makes every client a publish uses anew; only botocore's
    parsed service data (models, endpoints) is carried over, which is the same for every
    instance."""
    from amp_publisher.aws import handler, storage

    handler._publisher.cache_clear()
    handler.prime()
    before = {n: storage.client(n) for n in ("s3", "dynamodb", "cloudfront", "sqs")}
    assert before["s3"]._request_signer._credentials.access_key == os.environ["AWS_ACCESS_KEY_ID"]
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "RESTOREDINSTANCEKEY")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "restored-instance-secret")
    handler.after_restore()
    after = {n: storage.client(n) for n in before}
    for name, client in after.items():
        assert client is not before[name], name
        assert client._request_signer._credentials.access_key == "RESTOREDINSTANCEKEY", name
        assert client._loader is before[name]._loader, name  # service data kept, not re-read
    publisher = handler._publisher()
    assert publisher.s3 is after["s3"] and publisher.sqs is after["sqs"]
    assert publisher.manifest.dynamodb is after["dynamodb"]
    handler._publisher.cache_clear()
    storage.reset_clients()


def test_the_snapstart_hooks_are_registered_with_the_runtime(monkeypatch):
    from amp_publisher.aws import handler

    registered = {}
    fake = types.ModuleType("snapshot_restore_py")
    fake.register_before_snapshot = lambda f: registered.setdefault("before", f)
    fake.register_after_restore = lambda f: registered.setdefault("after", f)
    monkeypatch.setitem(sys.modules, "snapshot_restore_py", fake)
    assert handler._register_snapstart_hooks() is True
    assert registered == {"before": handler.prime, "after": handler.after_restore}
    monkeypatch.delitem(sys.modules, "snapshot_restore_py")
    monkeypatch.setattr(sys, "path", [])  # no such module outside Lambda's runtime
    assert handler._register_snapstart_hooks() is False


@pytest.mark.parametrize("amp_transform", ["on", "off"])
def test_in_lambda_the_import_primes_the_function(backend, amp_transform):
    """Init builds the publisher and the Jinja environment, reads its article as a source
    object is read (the adapters that recognise a document's shape), makes its listing slugs,
    and with transformed AMP (the default) loads the packaged runtime CSS the first
    transformed page inlines."""
    env = dict(os.environ) | backend.function_environment() | {
        "AWS_LAMBDA_RUNTIME_API": "127.0.0.1:9001", "AMP_TRANSFORM": amp_transform}
    code = ("import json\n"
            "from amp_publisher.aws import handler\n"
            "from amp_publisher.core import theme\n"
            "import sys\n"
            "from amp_publisher.core.amp.transform import runtime\n"
            "from amp_publisher.core.siteoutputs import entries\n"
            "print(json.dumps({'publisher': handler._publisher.cache_info().currsize,"
            " 'jinja': theme._environment.cache_info().currsize,"
            " 'adapters': 'amp_publisher.core.adapters' in sys.modules,"
            " 'slugs': entries.term_slug.cache_info().currsize,"
            " 'runtime_css': runtime.packaged_runtime_styles.cache_info().currsize}))\n")
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                          timeout=120, check=True)
    assert json.loads(done.stdout.strip().splitlines()[-1]) == {
        "publisher": 1, "jinja": 1, "adapters": True, "slugs": 1,
        "runtime_css": 1 if amp_transform == "on" else 0}

_GC_AFTER_IMPORT = (
    "import gc, json\n"
    "import amp_publisher.aws\n"  # the packages above the handler: before its first line
    "collections = []\n"
    "gc.callbacks.append(lambda phase, info: phase == 'start'"
    " and collections.append(info['generation']))\n"
    "try:\n"
    "    from amp_publisher.aws import handler\n"
    "    failed = None\n"
    "except Exception as error:\n"
    "    failed = type(error).__name__\n"
    "print(json.dumps({'failed': failed, 'gc_on': gc.isenabled(),"
    " 'frozen': gc.get_freeze_count(), 'collected_during_import': collections}))\n")


def test_init_leaves_the_garbage_collector_on_with_what_it_built_frozen(backend):
    """Init runs with the collector off; afterwards it is on again, and what init built is in
    the permanent generation, out of the warm events' collections."""
    env = dict(os.environ) | backend.function_environment() | {
        "AWS_LAMBDA_RUNTIME_API": "127.0.0.1:9001"}
    done = subprocess.run([sys.executable, "-c", _GC_AFTER_IMPORT], env=env,
                          capture_output=True, text=True, timeout=120, check=True)
    state = json.loads(done.stdout.strip().splitlines()[-1])
    assert state["failed"] is None and state["gc_on"] is True
    # Init, priming included, ran without it: only the few young-object collections that the
    # first allocations after it is turned back on start, never a full one (without the switch:
    # about 250, full ones included).
    assert len(state["collected_during_import"]) < 10
    assert 2 not in state["collected_during_import"]
    assert state["frozen"] > 50_000  # modules, botocore's models, the rules...
    # Outside Lambda the import leaves the collector alone: it runs during the import.
    env.pop("AWS_LAMBDA_RUNTIME_API")
    done = subprocess.run([sys.executable, "-c", _GC_AFTER_IMPORT], env=env,
                          capture_output=True, text=True, timeout=120, check=True)
    state = json.loads(done.stdout.strip().splitlines()[-1])
    assert len(state["collected_during_import"]) > 10
    assert {k: state[k] for k in ("failed", "gc_on", "frozen")} == {
        "failed": None, "gc_on": True, "frozen": 0}


def test_a_failed_init_still_turns_the_garbage_collector_back_on(backend):
    """Bad settings fail init (Lambda reports the error); the collector is not left off."""
    env = dict(os.environ) | backend.function_environment() | {
        "AWS_LAMBDA_RUNTIME_API": "127.0.0.1:9001"}
    env.pop("SITE_BUCKET")
    done = subprocess.run([sys.executable, "-c", _GC_AFTER_IMPORT], env=env,
                          capture_output=True, text=True, timeout=120, check=True)
    state = json.loads(done.stdout.strip().splitlines()[-1])
    assert state["failed"] == "ValueError" and state["gc_on"] is True
