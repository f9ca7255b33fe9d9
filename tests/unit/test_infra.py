"""The deployment (azure.yaml, infra/, scripts/, .funcignore) agrees with the code, without a cloud: every setting the
app reads is set by Bicep (identity-only: no key), role ids are the documented built-in ones with the least privilege
named in the design, checkov skips carry a reason, and the hook scripts exist. `make test` also runs checkov itself."""

from __future__ import annotations

import json
import re
from pathlib import Path

import yaml

from shared.settings import ALL_SETTINGS, STORAGE_CONNECTION, TRANSLATOR_KEY
from tests.support.functions_host import REPO_ROOT

INFRA = REPO_ROOT / "infra"
# Azure built-in roles (learn.microsoft.com/azure/role-based-access-control/built-in-roles), by definition id.
BUILT_IN_ROLES = {
    "b7e6dc6d-f1e8-4753-8033-0f276bb0955b": "Storage Blob Data Owner",
    "ba92f5b4-2d11-453d-a403-e96b0029c9fe": "Storage Blob Data Contributor",
    "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1": "Storage Blob Data Reader",
    "974c5e8b-45b9-4653-ba55-5f855dd0fb88": "Storage Queue Data Contributor",
    "0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3": "Storage Table Data Contributor",
    "a97b65f3-24c7-4388-baec-2e87135dc908": "Cognitive Services User",
    "3913510d-42f4-4e42-8a64-420c390055eb": "Monitoring Metrics Publisher",
}
GUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def bicep(path: str) -> str:
    return (INFRA / path).read_text()


def object_keys(text: str, opening: str) -> set[str]:
    """The keys of the Bicep object literal that starts at `opening` (one key per line, nested objects skipped)."""
    start = text.index(opening) + len(opening)
    keys, depth = set(), 0
    for line in text[start:].splitlines():
        stripped = line.split("//")[0].strip()
        if depth == 0 and stripped.startswith("}"):
            return keys
        match = re.match(r"([A-Za-z_][A-Za-z0-9_]*)\s*:", stripped)
        if depth == 0 and match:
            keys.add(match.group(1))
        depth += stripped.count("{") - stripped.count("}")
    raise AssertionError(f"unterminated object after {opening!r}")


def deployed_settings() -> set[str]:
    return object_keys(bicep("main.bicep"), "appSettings: {") | object_keys(
        bicep("app/function.bicep"), "var connectionSettings = {"
    )


def test_every_setting_the_app_reads_is_set_by_bicep_except_the_key():
    deployed = deployed_settings()
    read = set(ALL_SETTINGS) - {STORAGE_CONNECTION, TRANSLATOR_KEY}

    assert read - deployed == set()
    assert TRANSLATOR_KEY not in deployed  # identity only
    parts = ("blobServiceUri", "queueServiceUri", "tableServiceUri", "credential", "clientId")
    assert {f"{STORAGE_CONNECTION}__{part}" for part in parts} <= deployed
    assert STORAGE_CONNECTION not in deployed  # no connection string (shared keys are off)
    assert not {"FUNCTIONS_WORKER_RUNTIME", "FUNCTIONS_EXTENSION_VERSION"} & deployed  # refused on Flex Consumption


def test_the_deployment_uses_managed_identities_only():
    main, function, storage = bicep("main.bicep"), bicep("app/function.bicep"), bicep("app/storage.bicep")
    assert "TRANSLATOR_STORAGE_ACCESS: 'managed-identity'" in main
    assert "allowSharedKeyAccess: false" in storage
    assert "allowBlobPublicAccess: false" in storage
    assert "minimumTlsVersion: 'TLS1_2'" in storage
    assert "isVersioningEnabled: true" in storage
    assert "AzureWebJobsStorage__credential: 'managedidentity'" in function
    assert "disableLocalAuth: true" in bicep("app/translator.bicep")
    assert "DisableLocalAuth: true" in bicep("app/monitoring.bicep")
    assert not re.search(r"listKeys|connectionString\(|AccountKey", main + function + storage)


def test_every_sample_setting_name_is_one_the_code_reads():
    sample = json.loads((REPO_ROOT / "local.settings.sample.json").read_text())["Values"]
    host_settings = {"FUNCTIONS_WORKER_RUNTIME", "AzureWebJobsStorage"}
    assert set(sample) - host_settings == set(ALL_SETTINGS)


def _role_assignments() -> list[tuple[str, str]]:
    """(principal parameter, role definition id) of every role assignment in infra/."""
    found = []
    for path in INFRA.rglob("*.bicep"):
        text = path.read_text()
        names = dict(re.findall(r"^\s+(\w+): '(" + GUID.pattern + r")'", text, flags=re.MULTILINE))
        names.update(re.findall(r"^var (\w+) = '(" + GUID.pattern + r")'", text, flags=re.MULTILINE))
        for block in text.split("Microsoft.Authorization/roleAssignments@")[1:]:
            principal = re.search(r"principalId: ([\w.]+)", block).group(1)
            role = re.search(r"roleDefinitions', (?:roleIds\.)?(\w+)\)", block).group(1)
            found.append((principal, names[role]))
    return found


def test_role_definition_ids_are_the_documented_built_in_roles_with_least_privilege():
    assignments = _role_assignments()

    assert {role for _, role in assignments} <= set(BUILT_IN_ROLES)
    app = sorted(BUILT_IN_ROLES[role] for principal, role in assignments if principal == "appPrincipalId")
    assert app == [
        "Cognitive Services User",
        "Monitoring Metrics Publisher",
        "Storage Blob Data Owner",
        "Storage Queue Data Contributor",
        "Storage Table Data Contributor",
    ]
    translator = sorted(BUILT_IN_ROLES[role] for principal, role in assignments if principal == "translatorPrincipalId")
    assert translator == ["Storage Blob Data Contributor", "Storage Blob Data Reader", "Storage Blob Data Reader"]
    assert "scope: targetContainer" in bicep("app/roles.bicep")  # write access to the translations only


def test_every_checkov_skip_says_why():
    skips = [
        (path.name, line.strip())
        for path in INFRA.rglob("*.bicep")
        for line in path.read_text().splitlines()
        if "checkov:skip" in line
    ]
    assert skips
    for name, line in skips:
        match = re.fullmatch(r"#checkov:skip=(CKV2?_AZURE_\d+):(.+)", line)
        assert match, f"{name}: {line}"
        assert len(match.group(2).split()) >= 8, f"{name}: the reason for {match.group(1)} is too short"


def test_azd_project_hooks_and_package_contents():
    project = yaml.safe_load((REPO_ROOT / "azure.yaml").read_text())
    [service] = project["services"].values()
    assert (service["host"], service["project"], service["language"]) == ("function", ".", "python")
    hooks = project["hooks"]["postdeploy"]
    for platform in ("posix", "windows"):
        assert (REPO_ROOT / hooks[platform]["run"]).is_file()
    lines = (REPO_ROOT / ".funcignore").read_text().splitlines()
    ignored = {line.strip() for line in lines if line.strip() and not line.startswith("#")}
    for excluded in ("tests", "infra", "devstack", "bench", "examples", "local.settings.json", ".venv*"):
        assert excluded in ignored
    for deployed in ("function_app.py", "host.json", "requirements.txt", "shared"):
        assert deployed not in ignored


def test_the_event_subscription_hook_filters_and_dead_letters_without_printing_the_key():
    for script in ("create-event-subscription.sh", "create-event-subscription.ps1"):
        text = (REPO_ROOT / "scripts" / script).read_text()
        assert "Microsoft.Storage.BlobCreated" in text
        assert "data.api StringIn PutBlob PutBlockList CopyBlob FlushWithClose" in text
        assert "--deadletter-identity-endpoint" in text
        assert "Host.Functions.$functionName" in text or "Host.Functions.$function_name" in text
        assert not re.search(r"(echo|Write-Host)[^\n]*(\$key|\$endpoint)", text)


def test_telemetry_is_opentelemetry_with_the_azure_monitor_distro():
    host = json.loads((REPO_ROOT / "host.json").read_text())
    assert host["telemetryMode"] == "OpenTelemetry"
    assert "azure-monitor-opentelemetry" in (REPO_ROOT / "requirements.txt").read_text()
    assert "APPLICATIONINSIGHTS_AUTHENTICATION_STRING" in bicep("app/function.bicep")


def test_bicep_modules_referenced_by_main_exist():
    for module in re.findall(r"module \w+ '([^']+)'", bicep("main.bicep")):
        assert Path(INFRA, module).is_file(), module


def test_optional_blob_lifecycle_rules_expire_sources_and_translations_only_when_asked():
    main, storage = bicep("main.bicep"), bicep("app/storage.bicep")
    passed = object_keys(main, "module storage 'app/storage.bicep' = {\n  name: 'storage'\n  scope: rg\n  params: {")
    wanted = {"sourceBlobRetentionDays", "targetBlobRetentionDays", "sourceContainerName", "targetContainerName"}
    assert wanted <= passed
    for parameter in ("sourceBlobRetentionDays", "targetBlobRetentionDays"):
        assert f"param {parameter} int = 0" in main  # off unless a deployment sets it
        assert f"{parameter} > 0 ?" in storage
    assert "prefixMatch: ['${sourceContainerName}/']" in storage
    assert "prefixMatch: ['${targetContainerName}/']" in storage
    assert "managementPolicies@2023-05-01' = if (!empty(lifecycleRules))" in storage
    assert "RETENTION_DAYS: string(retentionDays)" in main
