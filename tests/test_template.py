"""template.yaml keeps the deployment's promises: a private site readable only by its CloudFront
distribution, events filtered on articles/*.json, bounded retries that end in a queue, least
privilege, the settings the code reads, a layer built for the Lambda platform; and it lints clean.
"""

from __future__ import annotations

import ast
import json
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from cfnlint.api import lint_file
from cfnlint.decode.cfn_yaml import load as load_cfn_yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE_PATH = ROOT / "template.yaml"
SOURCE_BUCKET = "${AWS::StackName}-source-${AWS::AccountId}-${AWS::Region}"
SITE_BUCKET = "${AWS::StackName}-site-${AWS::AccountId}-${AWS::Region}"

# The function's environment: the names the code reads (Settings.from_env, SiteConfig) and the
# Powertools settings. Renaming one in the template silently breaks the deployed function.
FUNCTION_ENV = {
    "SITE_BUCKET", "MANIFEST_TABLE", "FAILED_EVENTS_QUEUE_URL", "SITE_INDEX_QUEUE_URL",
    "OUTPUT_PREFIX", "SOURCE_PREFIX",
    "SOURCE_SUFFIX", "ACCEPT_HTML_PAGES", "SITE_CONFIG_KEY", "MAX_SOURCE_BYTES", "CACHE_CONTROL",
    "SITE_NAME",
    "SITE_TAGLINE", "SITE_BASE_URL", "SITE_LANGUAGE", "SITE_BADGE", "PUBLISHER_NAME",
    "PUBLISHER_LOGO_URL", "PUBLISHER_LOGO_WIDTH", "PUBLISHER_LOGO_HEIGHT",
    "POWERTOOLS_SERVICE_NAME", "POWERTOOLS_METRICS_NAMESPACE", "POWERTOOLS_TRACE_DISABLED",
    "PYDANTIC_DISABLE_PLUGINS", "ENDPOINT_URL_OVERRIDE", "DISTRIBUTION_ID",
    "INVALIDATION_MAX_PATHS", "ERROR_PAGE_KEY",
    "AMP_CACHE_REFRESH", "AMP_CACHE_KEY_PARAMETER", "SCHEDULER_GROUP", "SCHEDULER_ROLE_ARN",
    "RENDER_QUEUE_URL", "SOURCE_BUCKET", "PAGE_MODE", "AMP_TRANSFORM",
}

# IAM actions that only read; every other action granted to the function is a write.
READ_ONLY_ACTIONS = {
    "s3:GetObject", "s3:GetObjectVersion", "s3:ListBucket", "dynamodb:GetItem",
    "dynamodb:BatchGetItem", "dynamodb:Query", "dynamodb:DescribeTable",
    "dynamodb:ConditionCheckItem", "ssm:GetParameter",
}


@pytest.fixture(scope="module")
def template() -> dict:
    return load_cfn_yaml(str(TEMPLATE_PATH))


@pytest.fixture(scope="module")
def resources(template: dict) -> dict:
    return template["Resources"]


def _sub(value) -> str:
    """The string of a ``!Sub`` (or a plain string), so ARNs can be compared as text."""
    if isinstance(value, dict) and "Fn::Sub" in value:
        return value["Fn::Sub"]
    assert isinstance(value, str), f"expected a string or !Sub, got {value!r}"
    return value


def _as_list(value) -> list:
    return value if isinstance(value, list) else [value]


def _function_statements(resources: dict, *, tracing: bool = False) -> list[dict]:
    """The statements of the function's role, with conditional ones resolved for ``tracing``."""
    assert resources["RenderFunction"]["Properties"]["Role"] == {
        "Fn::GetAtt": ["RenderFunctionRole", "Arn"]}
    assert "Policies" not in resources["RenderFunction"]["Properties"]
    statements = []
    for policy in resources["RenderFunctionRole"]["Properties"]["Policies"]:
        for statement in policy["PolicyDocument"]["Statement"]:
            if "Fn::If" in statement:
                condition, when_true, when_false = statement["Fn::If"]
                assert condition in ("TracingEnabled", "AmpCacheRefreshOn"), statement
                on = tracing if condition == "TracingEnabled" else True
                statement = when_true if on else when_false
                if statement == {"Ref": "AWS::NoValue"}:
                    continue
            statements.append(statement)
    return statements


def test_template_has_no_cfn_lint_findings():
    matches = lint_file(TEMPLATE_PATH)
    assert [str(m) for m in matches] == []


def test_site_bucket_is_readable_only_by_the_distribution_and_missing_pages_are_404(resources):
    statements = resources["SiteBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    allows = [s for s in statements if s["Effect"] == "Allow"]
    assert len(allows) == 1
    (allow,) = allows
    assert allow["Principal"] == {"Service": "cloudfront.amazonaws.com"}
    # ListBucket: without it S3 answers 403 for a missing key and viewers see "Access Denied".
    assert set(_as_list(allow["Action"])) == {"s3:GetObject", "s3:ListBucket"}
    assert {_sub(r) for r in allow["Resource"]} == {
        f"arn:${{AWS::Partition}}:s3:::{SITE_BUCKET}",
        f"arn:${{AWS::Partition}}:s3:::{SITE_BUCKET}/*",
    }
    source_arn = _sub(allow["Condition"]["StringEquals"]["AWS:SourceArn"])
    assert source_arn.endswith(":distribution/${Distribution}")
    assert resources["SiteBucketPolicy"]["Properties"]["Bucket"] == {"Ref": "SiteBucket"}


@pytest.mark.parametrize("bucket", ["SourceBucket", "SiteBucket"])
def test_buckets_are_private_encrypted_and_refuse_plain_http(resources, bucket):
    props = resources[bucket]["Properties"]
    assert all(props["PublicAccessBlockConfiguration"].values())
    assert len(props["PublicAccessBlockConfiguration"]) == 4
    sse = props["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
    assert sse["ServerSideEncryptionByDefault"]["SSEAlgorithm"] in {"AES256", "aws:kms"}
    policy = resources[f"{bucket}Policy"]["Properties"]["PolicyDocument"]["Statement"]
    assert any(
        s["Effect"] == "Deny" and s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
        for s in policy
    )


def test_source_bucket_is_versioned_so_every_event_names_a_version(resources):
    props = resources["SourceBucket"]["Properties"]
    assert props["VersioningConfiguration"] == {"Status": "Enabled"}


def test_site_is_served_over_https_with_origin_access_control_and_index_rewrite(resources):
    oac = resources["OriginAccessControl"]["Properties"]["OriginAccessControlConfig"]
    assert (oac["SigningBehavior"], oac["SigningProtocol"]) == ("always", "sigv4")
    config = resources["Distribution"]["Properties"]["DistributionConfig"]
    (origin,) = config["Origins"]
    assert origin["DomainName"] == {"Fn::GetAtt": ["SiteBucket", "RegionalDomainName"]}
    assert origin["OriginAccessControlId"] == {"Fn::GetAtt": ["OriginAccessControl", "Id"]}
    behaviour = config["DefaultCacheBehavior"]
    assert behaviour["ViewerProtocolPolicy"] == "redirect-to-https"
    assert behaviour["Compress"] is True
    (association,) = behaviour["FunctionAssociations"]
    assert association["EventType"] == "viewer-request"
    assert association["FunctionARN"]["Fn::GetAtt"][0] == "IndexRewriteFunction"
    assert config["DefaultRootObject"] == "index.html"


@pytest.mark.parametrize(
    ("uri", "expected"),
    [
        ("/met-gets-extension-to-palantir-ai-project/",
         "/met-gets-extension-to-palantir-ai-project/index.html"),
        ("/met-gets-extension-to-palantir-ai-project",
         "/met-gets-extension-to-palantir-ai-project/index.html"),
        ("/amp/some-slug", "/amp/some-slug/index.html"),
        ("/", "/index.html"),
        ("/some-slug/index.html", "/some-slug/index.html"),
        ("/favicon.ico", "/favicon.ico"),
        ("/v1.2/notes", "/v1.2/notes/index.html"),
    ],
)
def test_index_rewrite_function_maps_page_urls_to_stored_keys(resources, uri, expected):
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is needed to run the CloudFront Function's JavaScript")
    props = resources["IndexRewriteFunction"]["Properties"]
    assert props["FunctionConfig"]["Runtime"] == "cloudfront-js-2.0"
    script = (
        props["FunctionCode"]
        + f"\nconsole.log(handler({{request: {{uri: {json.dumps(uri)}, headers: {{}}}}}}).uri);\n"
    )
    out = subprocess.run([node, "-e", script], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == expected


def test_s3_notifications_cover_created_and_removed_articles_json_only(resources):
    notification = resources["SourceBucket"]["Properties"]["NotificationConfiguration"]
    condition, eventbridge, s3 = notification["Fn::If"]
    assert condition == "UseEventBridge"
    assert eventbridge == {"EventBridgeConfiguration": {"EventBridgeEnabled": True}}
    configs = [c for c in s3["LambdaConfigurations"] if "Fn::If" not in c]
    # config/site.json has its own filter, for both events: its change starts a rebuild
    site = [c for c in configs
            if c["Filter"]["S3Key"]["Rules"] == [{"Name": "prefix", "Value": "config/site.json"}]]
    assert sorted(c["Event"] for c in site) == ["s3:ObjectCreated:*", "s3:ObjectRemoved:*"]
    assert all(c["Function"] == {"Ref": "RenderFunction.Alias"} for c in site)
    configs = [c for c in configs if c not in site]
    assert {c["Event"] for c in configs} == {"s3:ObjectCreated:*", "s3:ObjectRemoved:*"}
    env = resources["RenderFunction"]["Properties"]["Environment"]["Variables"]
    # whole HTML pages only when the AcceptHtmlPages parameter says so, for both events
    pages = [c["Fn::If"] for c in s3["LambdaConfigurations"] if "Fn::If" in c]
    assert [(cond, no) for cond, _, no in pages] == [("AcceptsHtmlPages",
                                                      {"Ref": "AWS::NoValue"})] * 2
    assert {p["Event"] for _, p, _ in pages} == {"s3:ObjectCreated:*", "s3:ObjectRemoved:*"}
    for _, page, _ in pages:
        rules = {r["Name"]: r["Value"] for r in page["Filter"]["S3Key"]["Rules"]}
        assert rules == {"prefix": "articles/", "suffix": ".html"}
    assert env["ACCEPT_HTML_PAGES"] == {"Ref": "AcceptHtmlPages"}
    for config in configs:
        assert config["Function"] == {"Ref": "RenderFunction.Alias"}
        rules = {r["Name"]: r["Value"] for r in config["Filter"]["S3Key"]["Rules"]}
        assert rules == {"prefix": "articles/", "suffix": ".json"}
        # The handler filters on the same prefix and suffix (events from other wirings).
        assert (rules["prefix"], rules["suffix"]) == (env["SOURCE_PREFIX"], env["SOURCE_SUFFIX"])


def test_eventbridge_rule_matches_the_same_objects_of_the_same_bucket(resources):
    rule = resources["SourceObjectEventsRule"]
    assert rule["Condition"] == "UseEventBridge"
    pattern = rule["Properties"]["EventPattern"]
    assert pattern["source"] == ["aws.s3"]
    assert set(pattern["detail-type"]) == {"Object Created", "Object Deleted"}
    assert [_sub(n) for n in pattern["detail"]["bucket"]["name"]] == [SOURCE_BUCKET]
    keys = pattern["detail"]["object"]["key"]
    assert {"wildcard": "articles/*.json"} in keys
    assert {"Fn::If": ["AcceptsHtmlPages", {"wildcard": "articles/*.html"},
                       {"Ref": "AWS::NoValue"}]} in keys
    (target,) = rule["Properties"]["Targets"]
    assert target["Arn"] == {"Ref": "RenderFunction.Alias"}


def test_invoke_permission_is_scoped_to_the_source_bucket_or_the_rule(resources):
    props = resources["RenderFunctionInvokePermission"]["Properties"]
    condition, eventbridge_arn, s3_arn = props["SourceArn"]["Fn::If"]
    assert condition == "UseEventBridge"
    assert eventbridge_arn == {"Fn::GetAtt": ["SourceObjectEventsRule", "Arn"]}
    assert _sub(s3_arn) == f"arn:${{AWS::Partition}}:s3:::{SOURCE_BUCKET}"
    assert props["Principal"]["Fn::If"][1:] == ["events.amazonaws.com", "s3.amazonaws.com"]
    # S3 checks the destination when the notification is set: the permission must come first.
    assert resources["SourceBucket"]["DependsOn"] == "RenderFunctionInvokePermission"
    assert props["FunctionName"] == {"Ref": "RenderFunction.Alias"}


def test_snapstart_is_opt_in_for_the_published_versions_every_event_invokes(template, resources):
    parameter = template["Parameters"]["SnapStart"]
    assert (parameter["Default"], parameter["AllowedValues"]) == ("off", ["on", "off"])
    assert template["Conditions"]["SnapStartOn"] == {"Fn::Equals": [{"Ref": "SnapStart"}, "on"]}
    props = resources["RenderFunction"]["Properties"]
    assert props["AutoPublishAlias"] == "live"
    assert props["SnapStart"] == {"ApplyOn": {"Fn::If": ["SnapStartOn", "PublishedVersions",
                                                         "None"]}}
    assert props["Runtime"] == "python3.12"  # SnapStart for Python starts at 3.12


def test_amp_transform_is_on_by_default_for_both_functions(template, resources):
    """Transformed AMP is published unless the stack says ``AmpTransform=off``: the parameter's
    default, the same setting on the article and the index pages, and the code's own default
    when the variable is missing agree."""
    from amp_publisher.aws.config import Settings

    parameter = template["Parameters"]["AmpTransform"]
    assert (parameter["Default"], parameter["AllowedValues"]) == ("on", ["on", "off"])
    for name in ("RenderFunction", "SiteIndexFunction"):
        env = resources[name]["Properties"]["Environment"]["Variables"]
        assert env["AMP_TRANSFORM"] == {"Ref": "AmpTransform"}, name
    base = {"SITE_BUCKET": "site", "MANIFEST_TABLE": "manifest"}
    assert Settings.from_env(base).amp_transform is True
    assert Settings.from_env({**base, "AMP_TRANSFORM": parameter["Default"]}).amp_transform


def test_failed_invocations_retry_twice_then_land_in_the_failed_events_queue(resources):
    config = resources["RenderFunction"]["Properties"]["EventInvokeConfig"]
    assert config["MaximumRetryAttempts"] == 2
    on_failure = config["DestinationConfig"]["OnFailure"]
    assert on_failure == {
        "Type": "SQS", "Destination": {"Fn::GetAtt": ["FailedEventsQueue", "Arn"]}
    }
    queue = resources["FailedEventsQueue"]["Properties"]
    assert queue["MessageRetentionPeriod"] == 14 * 24 * 3600
    assert queue["SqsManagedSseEnabled"] is True


def test_alarms_fire_on_a_waiting_failed_event_and_on_function_errors(resources):
    depth = resources["FailedEventsAlarm"]["Properties"]
    assert (depth["Namespace"], depth["MetricName"]) == (
        "AWS/SQS", "ApproximateNumberOfMessagesVisible")
    assert depth["Dimensions"] == [
        {"Name": "QueueName", "Value": {"Fn::GetAtt": ["FailedEventsQueue", "QueueName"]}}
    ]
    assert (depth["ComparisonOperator"], depth["Threshold"]) == ("GreaterThanOrEqualToThreshold", 1)
    errors = resources["RenderErrorsAlarm"]["Properties"]
    assert (errors["Namespace"], errors["MetricName"]) == ("AWS/Lambda", "Errors")
    assert errors["Dimensions"] == [{"Name": "FunctionName", "Value": {"Ref": "RenderFunction"}}]


def test_function_grants_name_their_resources_and_writes_never_touch_the_source(resources):
    statements = _function_statements(resources)
    assert statements
    for statement in statements:
        assert statement["Effect"] == "Allow"
        actions = set(_as_list(statement["Action"]))
        targets = [_sub(r) if "Fn::GetAtt" not in r else ".".join(r["Fn::GetAtt"])
                   for r in _as_list(statement["Resource"])]
        assert "*" not in targets and not any("*" in a for a in actions), statement
        writes = actions - READ_ONLY_ACTIONS
        for target in targets if writes else []:
            # A write to the source bucket would re-trigger the function: an event loop.
            assert SOURCE_BUCKET not in target, statement
            assert target.endswith(("/${OutputPrefix}*", ":table/${AWS::StackName}-manifest",
                                    ":table/${AWS::StackName}-manifest/index/*",
                                    ":${AWS::StackName}-failed-events",
                                    ":${AWS::StackName}-site-index",  # SiteIndexQueue
                                    ":${AWS::StackName}-render",  # RenderQueue (rebuilds)
                                    f"{SITE_BUCKET}/404.html",
                                    ":log-group:/aws/lambda/${AWS::StackName}-render:*",
                                    ":distribution/${Distribution}",
                                    f"{SITE_BUCKET}/.well-known/amphtml/apikey.pub",
                                    ":schedule/${AWS::StackName}-embargo/*",
                                    "EmbargoSchedulerRole.Arn")), statement
    granted = {a for s in statements for a in _as_list(s["Action"])}
    assert {"s3:GetObject", "s3:PutObject", "s3:DeleteObject", "dynamodb:PutItem",
            "dynamodb:UpdateItem", "dynamodb:DeleteItem", "sqs:SendMessage"} <= granted


def test_function_reads_only_articles_and_site_config_from_the_source(resources):
    reads = [s for s in _function_statements(resources) if "s3:GetObject" in _as_list(s["Action"])
             and SOURCE_BUCKET in json.dumps(s["Resource"])]
    assert len(reads) == 1
    assert {_sub(r) for r in reads[0]["Resource"]} == {
        f"arn:${{AWS::Partition}}:s3:::{SOURCE_BUCKET}/articles/*",
        f"arn:${{AWS::Partition}}:s3:::{SOURCE_BUCKET}/config/*",
    }


def test_function_policies_name_buckets_by_string_to_avoid_the_sam_cycle(resources):
    """A !Ref/!GetAtt of a bucket in the function closes the cycle bucket notification ->
    function -> role -> bucket; cfn-lint reports it too, this says where to look."""
    text = json.dumps(resources["RenderFunction"]["Properties"])
    for bucket in ("SourceBucket", "SiteBucket"):
        assert f'"Ref": "{bucket}"' not in text
        assert f'["{bucket}",' not in text


def test_function_runtime_handler_and_sizing(resources):
    props = resources["RenderFunction"]["Properties"]
    assert props["Runtime"] == "python3.12"
    assert props["Architectures"] == ["x86_64"]
    assert props["Handler"] == "amp_publisher.aws.handler.lambda_handler"
    assert props["CodeUri"] == "src/"
    assert (props["MemorySize"], props["Timeout"]) == (512, 30)
    assert props["Layers"] == [{"Ref": "DependencyLayer"}]
    assert props["Tracing"] == {"Fn::If": ["TracingEnabled", "Active", "PassThrough"]}
    module, _, function = props["Handler"].rpartition(".")
    assert (ROOT / "src" / Path(*module.split("."))).with_suffix(".py").exists()
    assert function == "lambda_handler"


def test_function_environment_is_exactly_the_settings_the_code_reads(resources):
    env = resources["RenderFunction"]["Properties"]["Environment"]["Variables"]
    assert set(env) == FUNCTION_ENV
    assert _sub(env["SITE_BUCKET"]) == SITE_BUCKET
    assert env["MANIFEST_TABLE"] == {"Ref": "ManifestTable"}
    assert env["FAILED_EVENTS_QUEUE_URL"] == {"Ref": "FailedEventsQueue"}
    assert env["RENDER_QUEUE_URL"] == {"Ref": "RenderQueue"}
    assert _sub(env["SOURCE_BUCKET"]) == SOURCE_BUCKET
    assert env["SITE_CONFIG_KEY"] == "config/site.json"
    assert env["MAX_SOURCE_BYTES"] == str(2 * 1024 * 1024)
    assert env["POWERTOOLS_TRACE_DISABLED"]["Fn::If"] == ["TracingEnabled", "false", "true"]
    assert env["ENDPOINT_URL_OVERRIDE"] == ""  # local runs only; ignored when empty
    assert env["PYDANTIC_DISABLE_PLUGINS"] == "__all__"  # pydantic's own value for "none"


def test_every_amp_publisher_setting_in_the_template_is_read_somewhere_in_the_package(resources):
    env = resources["RenderFunction"]["Properties"]["Environment"]["Variables"]
    literals: set[str] = set()
    for path in (ROOT / "src" / "amp_publisher").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                literals.add(node.value)
    own = {name for name in env if not name.startswith(("POWERTOOLS_", "PYDANTIC_"))}
    assert own - literals == set()


def test_parameter_defaults_deploy_the_reference_site(template):
    params = template["Parameters"]
    site = json.loads((ROOT / "events" / "site.json").read_text(encoding="utf-8"))
    assert params["SiteName"]["Default"] == site["name"]
    assert params["SiteTagline"]["Default"] == site["tagline"]
    assert params["SiteLanguage"]["Default"] == site["language"]
    assert params["BadgeText"]["Default"] == site["badge"]
    assert params["PublisherName"]["Default"] == site["publisher"]["name"]
    assert params["PublisherLogoUrl"]["Default"] == site["publisher"]["logo"]["src"]
    assert int(params["PublisherLogoWidth"]["Default"]) == site["publisher"]["logo"]["width"]
    assert int(params["PublisherLogoHeight"]["Default"]) == site["publisher"]["logo"]["height"]
    # Empty base URL means the distribution's own domain; empty prefix means pages at the root.
    assert params["SiteBaseUrl"]["Default"] == ""
    assert params["OutputPrefix"]["Default"] == ""
    assert params["CacheControl"]["Default"] == (
        "public, max-age=60, s-maxage=300, stale-while-revalidate=60, stale-if-error=86400")
    assert params["EventSource"]["AllowedValues"] == ["S3Notifications", "EventBridge"]
    assert params["EnableTracing"]["AllowedValues"] == ["true", "false"]


@pytest.mark.parametrize(
    ("prefix", "allowed"),
    [("", True), ("amp/", True), ("news/amp/", True), ("amp", False), ("/amp/", False),
     ("Amp/", False)],
)
def test_output_prefix_parameter_accepts_only_folder_prefixes(template, prefix, allowed):
    pattern = template["Parameters"]["OutputPrefix"]["AllowedPattern"]
    assert bool(re.fullmatch(pattern, prefix)) is allowed


def test_manifest_table_is_on_demand_keyed_by_source_key_with_a_slug_index(resources):
    props = resources["ManifestTable"]["Properties"]
    assert props["BillingMode"] == "PAY_PER_REQUEST"
    assert props["KeySchema"] == [{"AttributeName": "source_key", "KeyType": "HASH"}]
    types = {a["AttributeName"]: a["AttributeType"] for a in props["AttributeDefinitions"]}
    assert types == {"source_key": "S", "slug": "S", "listing": "S", "listing_sort": "S"}
    slug, listing = props["GlobalSecondaryIndexes"]
    assert slug["IndexName"] == "slug-index"
    assert slug["KeySchema"] == [{"AttributeName": "slug", "KeyType": "HASH"}]
    assert listing["IndexName"] == "listing-index"
    assert listing["KeySchema"] == [{"AttributeName": "listing", "KeyType": "HASH"},
                                    {"AttributeName": "listing_sort", "KeyType": "RANGE"}]
    assert props["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert props["SSESpecification"] == {"SSEEnabled": True}


def test_layer_is_built_by_its_makefile_for_python312_x86_64(resources):
    layer = resources["DependencyLayer"]
    assert layer["Type"] == "AWS::Serverless::LayerVersion"
    assert layer["Metadata"]["BuildMethod"] == "makefile"
    assert layer["Properties"]["ContentUri"] == "layers/"
    assert layer["Properties"]["CompatibleRuntimes"] == ["python3.12"]
    makefile = (ROOT / "layers" / "Makefile").read_text(encoding="utf-8")
    recipe = makefile.split("build-DependencyLayer:", 1)[1].replace("\\\n", " ")
    for flag in ("--platform manylinux2014_x86_64", "--implementation cp",
                 "--python-version 3.12", "--only-binary=:all:",
                 '--target "$(ARTIFACTS_DIR)/python"', "requirements.txt"):
        assert flag in recipe
    # html5-parser has no wheel: built from its pinned source against lxml's libxml2, for 3.12
    assert "build_html5_parser.py --target" in recipe
    assert (ROOT / "layers" / "build_html5_parser.py").is_file()
    # the layer carries bytecode for the runtime's Python: /opt is read-only in Lambda, so
    # without it every cold start compiled the dependencies again
    assert ('$(PYTHON312) -m compileall -q -j 0 --invalidation-mode unchecked-hash '
            '"$(ARTIFACTS_DIR)/python"') in recipe


def _python312() -> list[str] | None:
    for command in (["env", "PYENV_VERSION=3.12.1", "python3"], ["python3.12"]):
        try:
            done = subprocess.run([*command, "-c", "import sys; print(sys.version_info[:2])"],
                                  capture_output=True, text=True, timeout=60)
        except OSError:
            continue
        if done.returncode == 0 and done.stdout.strip() == "(3, 12)":
            return command
    return None


@pytest.mark.parametrize("function", ["RenderFunction", "SiteIndexFunction"])
def test_python_functions_are_built_with_their_bytecode(resources, function, tmp_path):
    """SAM's default Python build leaves every .pyc out and /var/task is read-only, so each
    cold start compiled the whole package: the functions are built by src/Makefile instead,
    which ships the package with CPython 3.12 bytecode for every module."""
    props = resources[function]["Properties"]
    assert resources[function]["Metadata"]["BuildMethod"] == "makefile"
    assert props["CodeUri"] == "src/" and props["Runtime"] == "python3.12"
    python312 = _python312()
    if python312 is None or shutil.which("make") is None:
        pytest.skip("needs make and a CPython 3.12 interpreter (python3.12) to build the function")
    out = tmp_path / "artifacts"
    subprocess.run(["make", "-f", str(ROOT / "src" / "Makefile"), f"build-{function}",
                    f"ARTIFACTS_DIR={out}", f"PYTHON312={' '.join(python312)}",
                    f"PIP={sys.executable} -m pip"],  # a fresh machine's python3 may lack pip
                   check=True, capture_output=True, timeout=600)
    sources = sorted(p.relative_to(out) for p in out.rglob("*.py"))
    expected = sorted(p.relative_to(ROOT / "src") for p in (ROOT / "src").rglob("*.py")
                      if p.is_relative_to(ROOT / "src" / "amp_publisher"))
    assert sources == expected  # the whole package, nothing else
    assert (out / "amp_publisher" / "core" / "amp" / "rules.json").is_file()  # package data
    missing = [str(p) for p in sources
               if not (out / p.parent / "__pycache__" / f"{p.stem}.cpython-312.pyc").is_file()]
    assert missing == []
    # Where Python 3.12 looks for the handler's bytecode, a hash-based .pyc that is not checked
    # against its source (PEP 552 flags 0b01), so it holds on any file times.
    code = ("import sys, importlib.util as u, pathlib as p; "
            "f = p.Path(sys.argv[1], 'amp_publisher/aws/handler.py'); "
            "data = p.Path(u.cache_from_source(str(f))).read_bytes(); "
            "print(int.from_bytes(data[4:8], 'little'))")
    done = subprocess.run([*python312, "-B", "-S", "-c", code, str(out)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "1"
    # The packaged themes' templates, compiled by the layer's Jinja2 release for CPython 3.12
    # (the build loads each back from there, or fails), so no container compiles them again.
    compiled = out / "amp_publisher" / "core" / "compiled_templates"
    assert [p.name for p in compiled.iterdir()] == [f"jinja2-{_layer_pin('jinja2')}-cp312"]
    templates = list((ROOT / "src" / "amp_publisher" / "core" / "templates").rglob("*.html"))
    assert len(list(compiled.glob("*/*.cache"))) == len(templates) > 0


def _pins(path: Path) -> dict[str, tuple[str, set[str]]]:
    """A requirements file's pins: canonical name → (version, extras); each must be ``==``."""
    pinned = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            requirement = Requirement(line)
            (spec,) = requirement.specifier
            assert spec.operator == "==", f"{path.name}: {line}: pin with =="
            pinned[canonicalize_name(requirement.name)] = (spec.version, requirement.extras)
    return pinned


def _layer_pin(name: str) -> str:
    """The version layers/requirements.txt pins ``name`` to."""
    return _pins(ROOT / "layers" / "requirements.txt")[name][0]


def test_the_function_build_compiles_templates_with_the_layers_jinja2():
    """Compiled templates are only read by the Jinja2 release that wrote them: the function's
    build (which sees src/ alone) pins the release the layer ships."""
    assert _pins(ROOT / "src" / "build-requirements.txt") == {
        "jinja2": (_layer_pin("jinja2"), set())}


def test_layer_pins_exactly_the_runtime_dependencies_of_pyproject():
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    declared = {
        canonicalize_name(r.name): r
        for r in map(Requirement, pyproject["project"]["dependencies"])
    }
    pinned = _pins(ROOT / "layers" / "requirements.txt")
    assert set(pinned) == set(declared)
    for name, (version, extras) in pinned.items():
        assert declared[name].specifier.contains(version), (name, version)
        # e.g. aws-lambda-powertools[tracer]: without aws-xray-sdk, EnableTracing=true breaks.
        assert extras == declared[name].extras, name


def test_outputs_name_the_site_and_every_resource_a_user_operates(template):
    outputs = template["Outputs"]
    assert {"SiteUrl", "SourceBucketName", "SiteBucketName", "ManifestTableName",
            "FailedEventsQueueUrl", "DistributionId"} <= set(outputs)
    assert outputs["SourceBucketName"]["Value"] == {"Ref": "SourceBucket"}
    assert outputs["DistributionId"]["Value"] == {"Ref": "Distribution"}
    condition, explicit, default = outputs["SiteUrl"]["Value"]["Fn::If"]
    assert (condition, explicit) == ("HasSiteBaseUrl", {"Ref": "SiteBaseUrl"})
    assert _sub(default) == "https://${Distribution.DomainName}"


def test_xray_write_access_only_when_tracing_is_on(resources):
    def xray(statements):
        return [s for s in statements if any(a.startswith("xray:") for a in _as_list(s["Action"]))]

    assert xray(_function_statements(resources, tracing=False)) == []
    (statement,) = xray(_function_statements(resources, tracing=True))
    assert statement["Resource"] == "*"  # X-Ray has no resource-level permissions
    role = resources["RenderFunctionRole"]["Properties"]
    assert "ManagedPolicyArns" not in role  # no AWS-managed policy brings X-Ray back


@pytest.mark.parametrize("tracing", [False, True])
def test_no_iam_statement_or_action_is_granted_twice(resources, tracing):
    statements = _function_statements(resources, tracing=tracing)
    sids = [s["Sid"] for s in statements]
    assert len(sids) == len(set(sids))
    grants = [(a, json.dumps(r, sort_keys=True)) for s in statements
              for a in _as_list(s["Action"]) for r in _as_list(s["Resource"])]
    assert len(grants) == len(set(grants))


def test_invalidation_is_allowed_on_this_distribution_only(resources):
    (statement,) = [s for s in _function_statements(resources)
                    if "cloudfront:CreateInvalidation" in _as_list(s["Action"])]
    assert _as_list(statement["Action"]) == ["cloudfront:CreateInvalidation"]
    assert _sub(statement["Resource"]) == (
        "arn:${AWS::Partition}:cloudfront::${AWS::AccountId}:distribution/${Distribution}")
    env = resources["RenderFunction"]["Properties"]["Environment"]["Variables"]
    assert env["DISTRIBUTION_ID"] == {"Ref": "Distribution"}
    assert env["INVALIDATION_MAX_PATHS"] == {"Ref": "InvalidationMaxPaths"}


def test_site_index_function_invalidates_the_same_distribution_only(resources):
    """The index pages, sitemaps and feeds are invalidated by SiteIndexFunction itself, on the
    same distribution, with the same path limit, and with a grant naming that distribution."""
    function = resources["SiteIndexFunction"]["Properties"]
    env = function["Environment"]["Variables"]
    assert env["DISTRIBUTION_ID"] == {"Ref": "Distribution"}
    assert env["INVALIDATION_MAX_PATHS"] == {"Ref": "InvalidationMaxPaths"}
    statements = [s for p in function["Policies"] for s in p["Statement"]]
    (statement,) = [s for s in statements
                    if "cloudfront:CreateInvalidation" in _as_list(s["Action"])]
    assert _as_list(statement["Action"]) == ["cloudfront:CreateInvalidation"]
    assert _sub(statement["Resource"]) == (
        "arn:${AWS::Partition}:cloudfront::${AWS::AccountId}:distribution/${Distribution}")
    # No cycle: the distribution refers to neither function nor their roles.
    distribution = json.dumps(resources["Distribution"])
    assert "SiteIndexFunction" not in distribution and "RenderFunction" not in distribution


def test_distribution_serves_the_404_page_security_headers_and_a_custom_domain(resources):
    config = resources["Distribution"]["Properties"]["DistributionConfig"]
    assert config["HttpVersion"] == "http2and3"
    errors = {e["ErrorCode"]: e for e in config["CustomErrorResponses"]}
    for code in (403, 404):
        assert (errors[code]["ResponseCode"], errors[code]["ResponsePagePath"]) == (404,
                                                                                     "/404.html")
    assert config["DefaultCacheBehavior"]["ResponseHeadersPolicyId"] == {
        "Ref": "SecurityHeadersPolicy"}
    headers = resources["SecurityHeadersPolicy"]["Properties"]["ResponseHeadersPolicyConfig"][
        "SecurityHeadersConfig"]
    assert headers["StrictTransportSecurity"]["AccessControlMaxAgeSec"] >= 31536000
    assert headers["ContentTypeOptions"]["Override"] is True
    assert headers["ReferrerPolicy"]["ReferrerPolicy"] == "strict-origin-when-cross-origin"
    # AMP viewers frame the page: no X-Frame-Options, no frame-ancestors.
    assert "FrameOptions" not in headers and "ContentSecurityPolicy" not in headers
    condition, custom, default = config["ViewerCertificate"]["Fn::If"]
    assert condition == "HasCustomDomain"
    assert custom["MinimumProtocolVersion"] == "TLSv1.2_2021"
    assert custom["SslSupportMethod"] == "sni-only"
    assert default == {"CloudFrontDefaultCertificate": True}
    assert config["Aliases"]["Fn::If"][:2] == ["HasCustomDomain", [{"Ref": "DomainName"}]]
    assert config["Logging"]["Fn::If"][0] == "HasAccessLogging"


def test_alarms_on_failed_articles_throttles_and_duration_near_the_timeout(resources):
    failed = resources["ArticleFailedAlarm"]["Properties"]
    assert (failed["Namespace"], failed["MetricName"]) == ("AmpPublisher", "ArticleFailed")
    env = resources["RenderFunction"]["Properties"]["Environment"]["Variables"]
    assert failed["Namespace"] == env["POWERTOOLS_METRICS_NAMESPACE"]
    assert failed["Dimensions"] == [{"Name": "service", "Value": env["POWERTOOLS_SERVICE_NAME"]}]
    throttles = resources["RenderThrottlesAlarm"]["Properties"]
    assert (throttles["Namespace"], throttles["MetricName"]) == ("AWS/Lambda", "Throttles")
    duration = resources["RenderDurationAlarm"]["Properties"]
    timeout_ms = resources["RenderFunction"]["Properties"]["Timeout"] * 1000
    assert duration["MetricName"] == "Duration" and duration["Statistic"] == "Maximum"
    assert 0.5 * timeout_ms <= duration["Threshold"] < timeout_ms


def test_reserved_concurrency_and_noncurrent_version_expiry_are_parameters(template, resources):
    props = resources["RenderFunction"]["Properties"]
    assert props["ReservedConcurrentExecutions"]["Fn::If"][:2] == [
        "HasReservedConcurrency", {"Ref": "ReservedConcurrency"}]
    assert template["Parameters"]["ReservedConcurrency"]["Default"] == 0  # 0 reserves none
    (rule,) = resources["SourceBucket"]["Properties"]["LifecycleConfiguration"]["Rules"]
    assert rule["NoncurrentVersionExpiration"] == {"NoncurrentDays": {
        "Ref": "NoncurrentVersionDays"}}


def test_every_checkov_skip_gives_a_reason(resources):
    skips = [(name, skip) for name, resource in resources.items()
             for skip in resource.get("Metadata", {}).get("checkov", {}).get("skip", [])]
    assert skips
    for name, skip in skips:
        assert re.fullmatch(r"CKV_AWS_\d+", skip["id"]), (name, skip)
        assert len(skip.get("comment", "")) > 20, (name, skip)


def test_embargo_schedules_are_least_privilege_both_ways(resources):
    statements = _function_statements(resources)
    (manage,) = [s for s in statements if s.get("Sid") == "ManageEmbargoSchedules"]
    assert _sub(manage["Resource"]).endswith(":schedule/${AWS::StackName}-embargo/*")
    assert resources["EmbargoScheduleGroup"]["Properties"]["Name"] == {
        "Fn::Sub": "${AWS::StackName}-embargo"}
    (passing,) = [s for s in statements if s.get("Sid") == "PassEmbargoSchedulerRole"]
    assert passing["Resource"] == {"Fn::GetAtt": ["EmbargoSchedulerRole", "Arn"]}
    assert passing["Condition"] == {
        "StringEquals": {"iam:PassedToService": "scheduler.amazonaws.com"}}
    trust = resources["EmbargoSchedulerRole"]["Properties"]["AssumeRolePolicyDocument"]
    (assume,) = trust["Statement"]
    assert assume["Principal"] == {"Service": "scheduler.amazonaws.com"}
    assert assume["Condition"]["StringEquals"]["aws:SourceAccount"] == {"Ref": "AWS::AccountId"}
    (invoke,) = resources["EmbargoSchedulerInvokePolicy"]["Properties"]["PolicyDocument"][
        "Statement"]
    assert invoke["Action"] == "lambda:InvokeFunction"
    assert invoke["Resource"] == [{"Fn::GetAtt": ["RenderFunction", "Arn"]},
                                  {"Ref": "RenderFunction.Alias"}]
