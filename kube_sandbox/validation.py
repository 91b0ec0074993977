"""Create/update validation, worded exactly as a Kubernetes 1.35 apiserver words it.

Covers what an operator can actually trip over with the sandbox's resources:
object names, labels and annotations, Deployment/ReplicaSet selectors and
templates, rollout strategy, containers, probes, Service ports, Secret and
ConfigMap keys, PodDisruptionBudget budgets. Checks follow the order of
``pkg/apis/*/validation`` so multi-error messages list causes in the same
order a real cluster does (Go map iteration is random upstream; here dict
order is used).

Objects are expected as they reach validation on a real server: decoded into
the right JSON types and defaulted. Fields that defaulting always fills are
read as their default when absent, so validating an undefaulted object does
not invent errors a real server could never return.

Bad values render like Go's field errors: scalars with ``%v``/``%q`` and
anything else as compact JSON. Values built from internal API types carry
Go field names ("MinAvailable"), because upstream marshals those untagged
structs too.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

_LABELS = {
    "FieldValueRequired": "Required value",
    "FieldValueForbidden": "Forbidden",
    "FieldValueTooLong": "Too long",
    "FieldValueInvalid": "Invalid value",
    "FieldValueNotSupported": "Unsupported value",
    "FieldValueDuplicate": "Duplicate value",
}
_WITHOUT_VALUE = {"FieldValueRequired", "FieldValueForbidden", "FieldValueTooLong"}


@dataclass
class FieldError:
    """One field error, as k8s.io/apimachinery's field.Error."""

    type: str
    field: str
    detail: str
    value: object = None

    def body(self) -> str:
        """The message without the field path (a Status cause's message)."""
        text = _LABELS[self.type]
        if self.type not in _WITHOUT_VALUE:
            text += ": " + _go_value(self.value)
        return f"{text}: {self.detail}" if self.detail else text

    def message(self) -> str:
        return f"{self.field}: {self.body()}"


def validate(group: str, kind: str, obj: dict, old: dict | None = None) -> list[FieldError]:
    """Errors for creating `obj`, or for updating `old` to `obj` when `old` is given."""
    name_rule, validate_kind = _KINDS.get((group, kind), (_dns1123_subdomain, None))
    errors = _object_meta(obj.get("metadata") or {}, name_rule, creating=old is None)
    if validate_kind is not None:
        errors += validate_kind(obj)
    if old is not None:
        errors += _update_only(group, kind, obj, old)
    return errors


def invalid_status(group: str, kind: str, name: str, errors: list[FieldError]) -> dict:
    """The 422 Status body of errors.NewInvalid."""
    qualified_kind = f"{kind}.{group}" if group else kind
    message = f"{qualified_kind} {_go_quote(name)} is invalid"
    unique = list(dict.fromkeys(e.message() for e in errors))
    if unique:
        message += ": " + (unique[0] if len(unique) == 1 else "[" + ", ".join(unique) + "]")
    causes = [_omit_empty({"reason": e.type, "message": e.body(), "field": e.field}) for e in errors]
    details = _omit_empty({"name": name, "group": group, "kind": kind, "causes": causes})
    return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
            "message": message, "reason": "Invalid", "details": details, "code": 422}


def _omit_empty(d: dict) -> dict:
    """Drop what Go's `omitempty` would."""
    return {k: v for k, v in d.items() if v not in ("", [], None)}


# --- rendering bad values like Go -----------------------------------------

def _go_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, str):
        return _go_quote(value)
    return _go_json(value)


def _go_quote(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def _go_json(value: object) -> str:
    """encoding/json output: compact, with its HTML-safe escapes."""
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    for char, escape in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"),
                         ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        text = text.replace(char, escape)
    return text


def _go_map(d: dict | None) -> dict | None:
    """A Go map marshals with sorted keys."""
    return None if d is None else dict(sorted(d.items()))


def _selector_value(selector: dict | None) -> dict | None:
    """A metav1.LabelSelector as json.Marshal prints it (its tags omit empties)."""
    if selector is None:
        return None
    out: dict = {}
    if selector.get("matchLabels"):
        out["matchLabels"] = _go_map(selector["matchLabels"])
    if selector.get("matchExpressions"):
        out["matchExpressions"] = [_requirement_value(e) for e in selector["matchExpressions"]]
    return out


def _requirement_value(expr: dict) -> dict:
    value = {"key": expr.get("key", ""), "operator": expr.get("operator", "")}
    if expr.get("values"):
        value["values"] = expr["values"]
    return value


# --- error constructors ----------------------------------------------------

def _required(path: str, detail: str = "") -> FieldError:
    return FieldError("FieldValueRequired", path, detail)


def _forbidden(path: str, detail: str) -> FieldError:
    return FieldError("FieldValueForbidden", path, detail)


def _invalid(path: str, value: object, detail: str) -> FieldError:
    return FieldError("FieldValueInvalid", path, detail, value)


def _duplicate(path: str, value: object) -> FieldError:
    return FieldError("FieldValueDuplicate", path, "", value)


def _not_supported(path: str, value: object, supported: Iterable[str]) -> FieldError:
    return FieldError("FieldValueNotSupported", path,
                      "supported values: " + ", ".join(_go_quote(s) for s in supported), value)


def _too_long(path: str, max_bytes: int) -> FieldError:
    return FieldError("FieldValueTooLong", path, f"may not be more than {max_bytes} bytes",
                      "<value omitted>")


def _invalid_each(path: str, value: object, messages: list[str]) -> list[FieldError]:
    return [_invalid(path, value, m) for m in messages]


def _nonnegative(value: int, path: str) -> list[FieldError]:
    return [_invalid(path, value, "must be greater than or equal to 0")] if value < 0 else []


def _get(d: dict, key: str, default: object) -> object:
    """d[key], reading an absent or null field as the default it would get."""
    value = d.get(key)
    return default if value is None else value


# --- string formats (k8s.io/apimachinery/pkg/util/validation) --------------

_DNS1123_LABEL_FMT = "[a-z0-9]([-a-z0-9]*[a-z0-9])?"
_DNS1123_SUBDOMAIN_FMT = _DNS1123_LABEL_FMT + r"(\." + _DNS1123_LABEL_FMT + ")*"
_DNS1035_LABEL_FMT = "[a-z]([-a-z0-9]*[a-z0-9])?"
_LABEL_KEY_FMT = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"
_LABEL_VALUE_FMT = "(" + _LABEL_KEY_FMT + ")?"
_CONFIG_KEY_FMT = "[-._a-zA-Z0-9]+"
_PERCENT_FMT = "[0-9]+%"
_LABEL_KEY_MSG = ("must consist of alphanumeric characters, '-', '_' or '.', "
                  "and must start and end with an alphanumeric character")


def _regex_error(message: str, fmt: str, *examples: str) -> str:
    if examples:
        message += " (e.g. " + " or ".join(f"'{e}', " for e in examples)
    else:
        message += " ("
    return message + f"regex used for validation is '{fmt}')"


def _max_len(length: int) -> str:
    return f"must be no more than {length} characters"


def _matches(fmt: str, value: str) -> bool:
    return re.fullmatch(fmt, value) is not None


def _dns1123_label(value: str) -> list[str]:
    errors = [_max_len(63)] if len(value.encode()) > 63 else []
    if not _matches(_DNS1123_LABEL_FMT, value):
        if _matches(_DNS1123_SUBDOMAIN_FMT, value):
            errors.append("must not contain dots")  # the length was already checked
        else:
            errors.append(_regex_error(
                "a lowercase RFC 1123 label must consist of lower case alphanumeric characters "
                "or '-', and must start and end with an alphanumeric character",
                _DNS1123_LABEL_FMT, "my-name", "123-abc"))
    return errors


def _dns1123_subdomain(value: str) -> list[str]:
    errors = [_max_len(253)] if len(value.encode()) > 253 else []
    if not _matches(_DNS1123_SUBDOMAIN_FMT, value):
        errors.append(_regex_error(
            "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, "
            "'-' or '.', and must start and end with an alphanumeric character",
            _DNS1123_SUBDOMAIN_FMT, "example.com"))
    return errors


def _dns1035_label(value: str) -> list[str]:
    errors = [_max_len(63)] if len(value.encode()) > 63 else []
    if not _matches(_DNS1035_LABEL_FMT, value):
        errors.append(_regex_error(
            "a DNS-1035 label must consist of lower case alphanumeric characters or '-', "
            "start with an alphabetic character, and end with an alphanumeric character",
            _DNS1035_LABEL_FMT, "my-name", "abc-123"))
    return errors


def _label_key(value: str) -> list[str]:
    """A qualified name: an optional DNS subdomain prefix and '/', then a name."""
    parts = value.split("/")
    if len(parts) > 2:
        return ["a valid label key " + _regex_error(_LABEL_KEY_MSG, _LABEL_KEY_FMT, "MyName", "my.name", "123-abc")
                + " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"]
    errors = []
    if len(parts) == 2:
        prefix = parts[0]
        if not prefix:
            errors.append("prefix part must be non-empty")
        else:
            errors += ["prefix part " + m for m in _dns1123_subdomain(prefix)]
    name = parts[-1]
    if not name:
        errors.append("name part must be non-empty")
    elif len(name.encode()) > 63:
        errors.append("name part " + _max_len(63))
    if not _matches(_LABEL_KEY_FMT, name):
        errors.append("name part " + _regex_error(_LABEL_KEY_MSG, _LABEL_KEY_FMT, "MyName", "my.name", "123-abc"))
    return errors


def _label_value(value: str) -> list[str]:
    errors = [_max_len(63)] if len(value.encode()) > 63 else []
    if not _matches(_LABEL_VALUE_FMT, value):
        errors.append(_regex_error(
            "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' "
            "or '.', and must start and end with an alphanumeric character",
            _LABEL_VALUE_FMT, "MyValue", "my_value", "12345"))
    return errors


def _config_key(value: str) -> list[str]:
    errors = [_max_len(253)] if len(value.encode()) > 253 else []
    if not _matches(_CONFIG_KEY_FMT, value):
        errors.append(_regex_error("a valid config key must consist of alphanumeric characters, '-', '_' or '.'",
                                   _CONFIG_KEY_FMT, "key.name", "KEY_NAME", "key-name"))
    if value == ".":
        errors.append("must not be '.'")
    elif value == "..":
        errors.append("must not be '..'")
    elif value.startswith(".."):
        errors.append("must not start with '..'")
    return errors


def _port_number(port: int) -> list[str]:
    return [] if 1 <= port <= 65535 else ["must be between 1 and 65535, inclusive"]


def _port_name(name: str) -> list[str]:
    errors = [_max_len(15)] if len(name) > 15 else []
    if not _matches("[-a-z0-9]+", name):
        errors.append("must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)")
    if not re.search("[a-z]", name):
        errors.append("must contain at least one letter (a-z)")
    if "--" in name:
        errors.append("must not contain consecutive hyphens")
    if name.startswith("-") or name.endswith("-"):
        errors.append("must not begin or end with a hyphen")
    return errors


def _percent(value: str) -> list[str]:
    if _matches(_PERCENT_FMT, value):
        return []
    return [_regex_error("a valid percent string must be a numeric string followed by an ending '%'",
                         _PERCENT_FMT, "1%", "93%")]


# --- metadata --------------------------------------------------------------

_ANNOTATIONS_MAX_BYTES = 256 * 1024


def _object_meta(meta: dict, name_rule: Callable[[str], list[str]], creating: bool) -> list[FieldError]:
    errors = _object_name(meta, name_rule) if creating else []
    errors += _labels(meta.get("labels"), "metadata.labels")
    errors += _annotations(meta.get("annotations"), "metadata.annotations")
    return errors


def _object_name(meta: dict, name_rule: Callable[[str], list[str]]) -> list[FieldError]:
    errors = []
    generate_name = meta.get("generateName")
    if generate_name:
        errors += _invalid_each("metadata.generateName", generate_name, name_rule(_mask_trailing_dash(generate_name)))
    name = meta.get("name")
    if name:
        errors += _invalid_each("metadata.name", name, name_rule(name))
    elif not generate_name:  # otherwise the name is still to be generated
        errors.append(_required("metadata.name", "name or generateName is required"))
    return errors


def _mask_trailing_dash(prefix: str) -> str:
    """A generateName may end in '-' as a suffix follows (upstream replaces the last two chars by "a")."""
    return prefix[:-2] + "a" if len(prefix) > 1 and prefix.endswith("-") else prefix


def _labels(labels: dict | None, path: str) -> list[FieldError]:
    errors = []
    for key, value in (labels or {}).items():
        errors += _invalid_each(path, key, _label_key(key))
        errors += _invalid_each(path, value, _label_value(value))
    return errors


def _annotations(annotations: dict | None, path: str) -> list[FieldError]:
    annotations = annotations or {}
    errors = []
    for key in annotations:
        errors += _invalid_each(path, key, _label_key(key.lower()))  # case doesn't matter here
    size = sum(len(k.encode()) + len(v.encode()) for k, v in annotations.items())
    if size > _ANNOTATIONS_MAX_BYTES:
        errors.append(_too_long(path, _ANNOTATIONS_MAX_BYTES))
    return errors


# --- label selectors -------------------------------------------------------

_SELECTOR_OPERATORS = ("In", "NotIn", "Exists", "DoesNotExist")


def _label_selector(selector: dict | None, path: str) -> list[FieldError]:
    if selector is None:
        return []
    errors = _labels(selector.get("matchLabels"), f"{path}.matchLabels")
    for i, expr in enumerate(selector.get("matchExpressions") or []):
        errors += _selector_requirement(expr, f"{path}.matchExpressions[{i}]")
    return errors


def _selector_requirement(expr: dict, path: str) -> list[FieldError]:
    operator, values = expr.get("operator", ""), expr.get("values") or []
    errors = []
    if operator in ("In", "NotIn") and not values:
        errors.append(_required(f"{path}.values", "must be specified when `operator` is 'In' or 'NotIn'"))
    elif operator in ("Exists", "DoesNotExist") and values:
        errors.append(_forbidden(f"{path}.values", "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"))
    elif operator not in _SELECTOR_OPERATORS:
        errors.append(_invalid(f"{path}.operator", operator, "not a valid selector operator"))
    key = expr.get("key", "")
    errors += _invalid_each(f"{path}.key", key, _label_key(key))
    for i, value in enumerate(values):
        errors += _invalid_each(f"{path}.values[{i}]", value, _label_value(value))
    return errors


def _selector_requirements(selector: dict) -> list[tuple[str, str, list[str]]] | None:
    """The requirements of a valid selector (metav1.LabelSelectorAsSelector), None if it has errors."""
    requirements = [(k, "=", [v]) for k, v in (selector.get("matchLabels") or {}).items()]
    requirements += [(e.get("key", ""), e.get("operator", ""), e.get("values") or [])
                     for e in selector.get("matchExpressions") or []]
    for key, operator, values in requirements:
        if operator not in ("=",) + _SELECTOR_OPERATORS or _label_key(key):
            return None
        if (operator in ("Exists", "DoesNotExist")) == bool(values) or any(_label_value(v) for v in values):
            return None
    return requirements


def _requirement_matches(requirement: tuple[str, str, list[str]], labels: dict) -> bool:
    key, operator, values = requirement
    if operator == "Exists":
        return key in labels
    if operator == "DoesNotExist":
        return key not in labels
    if operator == "NotIn":
        return labels.get(key) not in values
    return key in labels and labels[key] in values  # "=" and "In"


# --- apps/v1 ---------------------------------------------------------------

def _deployment(obj: dict) -> list[FieldError]:
    spec = obj.get("spec") or {}
    errors = _nonnegative(_get(spec, "replicas", 1), "spec.replicas")
    errors += _selector_and_template(spec)
    errors += _deployment_strategy(spec.get("strategy") or {})
    min_ready = _get(spec, "minReadySeconds", 0)
    errors += _nonnegative(min_ready, "spec.minReadySeconds")
    if spec.get("revisionHistoryLimit") is not None:
        errors += _nonnegative(spec["revisionHistoryLimit"], "spec.revisionHistoryLimit")
    deadline = spec.get("progressDeadlineSeconds")
    if deadline is not None:
        errors += _nonnegative(deadline, "spec.progressDeadlineSeconds")
        if deadline <= min_ready:
            errors.append(_invalid("spec.progressDeadlineSeconds", deadline, "must be greater than minReadySeconds"))
    return errors


def _replica_set(obj: dict) -> list[FieldError]:
    spec = obj.get("spec") or {}
    errors = _nonnegative(_get(spec, "replicas", 1), "spec.replicas")
    errors += _nonnegative(_get(spec, "minReadySeconds", 0), "spec.minReadySeconds")
    return errors + _selector_and_template(spec)


def _selector_and_template(spec: dict) -> list[FieldError]:
    selector = spec.get("selector")
    if selector is None:
        errors = [_required("spec.selector")]
        requirements = None  # a nil selector selects nothing, so no template can match it
    else:
        errors = _label_selector(selector, "spec.selector")
        if not selector.get("matchLabels") and not selector.get("matchExpressions"):
            # upstream says "deployment" for ReplicaSets too
            errors.append(_invalid("spec.selector", _selector_value(selector), "empty selector is invalid for deployment"))
        requirements = _selector_requirements(selector)
        if requirements is None:
            return errors + [_invalid("spec.selector", _selector_value(selector), "invalid label selector")]
    template = spec.get("template") or {}
    labels = (template.get("metadata") or {}).get("labels")
    if requirements is None or (requirements and not all(_requirement_matches(r, labels or {}) for r in requirements)):
        errors.append(_invalid("spec.template.metadata.labels", _go_map(labels),
                               "`selector` does not match template `labels`"))
    return errors + _replica_set_template(template)


def _replica_set_template(template: dict) -> list[FieldError]:
    meta, pod_spec = template.get("metadata") or {}, template.get("spec") or {}
    errors = _labels(meta.get("labels"), "spec.template.labels")
    errors += _annotations(meta.get("annotations"), "spec.template.annotations")
    errors += _pod_spec(pod_spec, "spec.template.spec")
    restart_policy = pod_spec.get("restartPolicy") or "Always"
    if restart_policy != "Always":
        errors.append(_not_supported("spec.template.spec.restartPolicy", restart_policy, ["Always"]))
    if pod_spec.get("activeDeadlineSeconds") is not None:
        errors.append(_forbidden("spec.template.spec.activeDeadlineSeconds",
                                 "activeDeadlineSeconds in ReplicaSet is not Supported"))
    return errors


def _deployment_strategy(strategy: dict) -> list[FieldError]:
    path = "spec.strategy"
    strategy_type, rolling = _get(strategy, "type", "RollingUpdate"), strategy.get("rollingUpdate")
    if strategy_type == "Recreate":
        if rolling is not None:
            return [_forbidden(f"{path}.rollingUpdate", "may not be specified when strategy `type` is 'Recreate'")]
        return []
    if strategy_type == "RollingUpdate":
        return _rolling_update(rolling or {}, f"{path}.rollingUpdate")
    # the internal apps.DeploymentStrategy, whose untagged fields marshal by Go name
    internal = {"Type": strategy_type, "RollingUpdate": None if rolling is None else {
        "MaxUnavailable": _get(rolling, "maxUnavailable", 0), "MaxSurge": _get(rolling, "maxSurge", 0)}}
    return [_not_supported(path, internal, ["Recreate", "RollingUpdate"])]


def _rolling_update(rolling: dict, path: str) -> list[FieldError]:
    max_unavailable = _get(rolling, "maxUnavailable", "25%")
    max_surge = _get(rolling, "maxSurge", "25%")
    errors = _int_or_percent(max_unavailable, f"{path}.maxUnavailable")
    errors += _int_or_percent(max_surge, f"{path}.maxSurge")
    if _int_or_percent_value(max_unavailable) == 0 and _int_or_percent_value(max_surge) == 0:
        errors.append(_invalid(f"{path}.maxUnavailable", max_unavailable, "may not be 0 when `maxSurge` is 0"))
    return errors + _not_over_100_percent(max_unavailable, f"{path}.maxUnavailable")


def _int_or_percent(value: int | str, path: str) -> list[FieldError]:
    if isinstance(value, str):
        return _invalid_each(path, value, _percent(value))
    return _nonnegative(value, path)


def _int_or_percent_value(value: int | str) -> int:
    """The number in "25%" or 25; like Go's Atoi, anything unparsable counts as 0."""
    if isinstance(value, int):
        return value
    try:
        return int(value[:-1] if _matches(_PERCENT_FMT, value) else value)
    except ValueError:
        return 0


def _not_over_100_percent(value: int | str, path: str) -> list[FieldError]:
    if isinstance(value, str) and _matches(_PERCENT_FMT, value) and int(value[:-1]) > 100:
        return [_invalid(path, value, "must not be greater than 100%")]
    return []


# --- core/v1: pods ---------------------------------------------------------

_PROTOCOLS = ("SCTP", "TCP", "UDP")
_PROBE_HANDLERS = ("exec", "httpGet", "tcpSocket", "grpc")


def _pod(obj: dict) -> list[FieldError]:
    spec = obj.get("spec") or {}
    errors = _pod_spec(spec, "spec")
    for group in ("containers", "initContainers"):
        for i, container in enumerate(spec.get(group) or []):
            image = container.get("image", "")
            if image != image.strip():
                errors.append(_invalid(f"spec.{group}[{i}].image", image, "must not have leading or trailing whitespace"))
    return errors


def _pod_spec(spec: dict, path: str) -> list[FieldError]:
    containers = spec.get("containers") or []
    errors = [] if containers else [_required(f"{path}.containers")]
    names: set[str] = set()
    for i, container in enumerate(containers):
        container_path = f"{path}.containers[{i}]"
        errors += _container(container, container_path)
        name = container.get("name", "")
        if name in names:
            errors.append(_duplicate(f"{container_path}.name", name))
        names.add(name)
        errors += _probes(container, container_path)
        if container.get("restartPolicy") is not None:
            errors.append(_forbidden(f"{container_path}.restartPolicy", "may not be set for non-init containers"))
    for i, container in enumerate(spec.get("initContainers") or []):
        container_path = f"{path}.initContainers[{i}]"
        errors += _container(container, container_path)
        name = container.get("name", "")
        if name in names:
            errors.append(_duplicate(f"{container_path}.name", name))
        elif name:
            names.add(name)
    restart_policy = spec.get("restartPolicy") or "Always"
    if restart_policy not in ("Always", "OnFailure", "Never"):
        errors.append(_not_supported(f"{path}.restartPolicy", restart_policy, ["Always", "OnFailure", "Never"]))
    dns_policy = spec.get("dnsPolicy") or "ClusterFirst"
    dns_policies = ["ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"]
    if dns_policy not in dns_policies:
        errors.append(_not_supported(f"{path}.dnsPolicy", dns_policy, dns_policies))
    errors += _labels(spec.get("nodeSelector"), f"{path}.nodeSelector")
    account = spec.get("serviceAccountName")
    if account:
        errors += _invalid_each(f"{path}.serviceAccountName", account, _dns1123_subdomain(account))
    return errors


def _container(container: dict, path: str) -> list[FieldError]:
    """What every kind of container must satisfy (validateContainerCommon)."""
    name = container.get("name", "")
    errors = _invalid_each(f"{path}.name", name, _dns1123_label(name)) if name else [_required(f"{path}.name")]
    if not container.get("image"):
        errors.append(_required(f"{path}.image"))
    message_policy = container.get("terminationMessagePolicy") or "File"
    if message_policy not in ("File", "FallbackToLogsOnError"):
        errors.append(_not_supported(f"{path}.terminationMessagePolicy", message_policy,
                                     ["File", "FallbackToLogsOnError"]))
    errors += _container_ports(container.get("ports") or [], f"{path}.ports")
    pull_policy = container.get("imagePullPolicy")
    if pull_policy and pull_policy not in ("Always", "IfNotPresent", "Never"):
        errors.append(_not_supported(f"{path}.imagePullPolicy", pull_policy, ["Always", "IfNotPresent", "Never"]))
    return errors


def _container_ports(ports: list[dict], path: str) -> list[FieldError]:
    errors, names = [], set()
    for i, port in enumerate(ports):
        port_path = f"{path}[{i}]"
        name = port.get("name", "")
        if name:
            name_errors = _port_name(name)
            if name_errors:
                errors += _invalid_each(f"{port_path}.name", name, name_errors)
            elif name in names:
                errors.append(_duplicate(f"{port_path}.name", name))
            names.add(name)
        container_port = port.get("containerPort", 0)
        if container_port == 0:
            errors.append(_required(f"{port_path}.containerPort"))
        else:
            errors += _invalid_each(f"{port_path}.containerPort", container_port, _port_number(container_port))
        if port.get("hostPort"):
            errors += _invalid_each(f"{port_path}.hostPort", port["hostPort"], _port_number(port["hostPort"]))
        protocol = port.get("protocol") or "TCP"
        if protocol not in _PROTOCOLS:
            errors.append(_not_supported(f"{port_path}.protocol", protocol, _PROTOCOLS))
    return errors


def _probes(container: dict, path: str) -> list[FieldError]:
    errors = []
    for kind in ("livenessProbe", "readinessProbe", "startupProbe"):
        probe = container.get(kind)
        if probe is None:
            continue
        probe_path = f"{path}.{kind}"
        errors += _probe(probe, probe_path)
        grace = probe.get("terminationGracePeriodSeconds")
        if kind == "readinessProbe" and grace is not None:
            errors.append(_invalid(f"{probe_path}.terminationGracePeriodSeconds", grace,
                                   "must not be set for readinessProbes"))
        elif kind != "readinessProbe" and _get(probe, "successThreshold", 1) != 1:
            errors.append(_invalid(f"{probe_path}.successThreshold", probe["successThreshold"], "must be 1"))
    return errors


def _probe(probe: dict, path: str) -> list[FieldError]:
    handlers = [h for h in _PROBE_HANDLERS if probe.get(h) is not None]
    if not handlers:
        errors = [_required(path, "must specify a handler type")]
    else:
        errors = _probe_handler(handlers[0], probe[handlers[0]], f"{path}.{handlers[0]}")
        errors += [_forbidden(f"{path}.{h}", "may not specify more than 1 handler type") for h in handlers[1:]]
    for field in ("initialDelaySeconds", "timeoutSeconds", "periodSeconds", "successThreshold", "failureThreshold"):
        errors += _nonnegative(_get(probe, field, 0), f"{path}.{field}")
    grace = probe.get("terminationGracePeriodSeconds")
    if grace is not None and grace <= 0:
        errors.append(_invalid(f"{path}.terminationGracePeriodSeconds", grace, "must be greater than 0"))
    return errors


def _probe_handler(handler: str, action: dict, path: str) -> list[FieldError]:
    if handler == "exec":
        return [] if action.get("command") else [_required(f"{path}.command")]
    errors = _port_number_or_name(action.get("port", 0), f"{path}.port")
    scheme = action.get("scheme") or "HTTP"
    if handler == "httpGet" and scheme not in ("HTTP", "HTTPS"):
        errors.append(_not_supported(f"{path}.scheme", scheme, ["HTTP", "HTTPS"]))
    return errors


def _port_number_or_name(port: int | str, path: str) -> list[FieldError]:
    if isinstance(port, str):
        return _invalid_each(path, port, _port_name(port))
    return _invalid_each(path, port, _port_number(port))


# --- core/v1: services, config ---------------------------------------------

_SERVICE_TYPES = ("ClusterIP", "ExternalName", "LoadBalancer", "NodePort")
_SECRET_MAX_BYTES = 1024 * 1024
# Keys a typed Secret cannot do without (the types an operator writes by hand).
_SECRET_REQUIRED_KEYS = {
    "kubernetes.io/tls": ("tls.crt", "tls.key"),
    "kubernetes.io/dockerconfigjson": (".dockerconfigjson",),
    "kubernetes.io/dockercfg": (".dockercfg",),
}


def _service(obj: dict) -> list[FieldError]:
    spec = obj.get("spec") or {}
    service_type = _get(spec, "type", "ClusterIP")
    ports = spec.get("ports") or []
    errors = []
    if not ports and spec.get("clusterIP") != "None" and service_type != "ExternalName":
        errors.append(_required("spec.ports"))
    names: set[str] = set()
    for i, port in enumerate(ports):
        errors += _service_port(port, len(ports) > 1, names, f"spec.ports[{i}]")
    if spec.get("selector") is not None:
        errors += _labels(spec["selector"], "spec.selector")
    if service_type not in _SERVICE_TYPES:
        errors.append(_not_supported("spec.type", service_type, _SERVICE_TYPES))
    if service_type == "ClusterIP":
        errors += [_forbidden(f"spec.ports[{i}].nodePort", "may not be used when `type` is 'ClusterIP'")
                   for i, port in enumerate(ports) if port.get("nodePort")]
    seen: set[tuple[str, int]] = set()
    for i, port in enumerate(ports):
        key = (_get(port, "protocol", "TCP"), port.get("port", 0))
        if key in seen:
            # the key is an internal core.ServicePort holding just protocol and port
            errors.append(_duplicate(f"spec.ports[{i}]", {"Name": "", "Protocol": key[0], "AppProtocol": None,
                                                           "Port": key[1], "TargetPort": 0, "NodePort": 0}))
        seen.add(key)
    return errors


def _service_port(port: dict, name_required: bool, names: set[str], path: str) -> list[FieldError]:
    name = port.get("name", "")
    errors = []
    if name_required and not name:
        errors.append(_required(f"{path}.name"))
    elif name:
        errors += _invalid_each(f"{path}.name", name, _dns1123_label(name))
        if name in names:
            errors.append(_duplicate(f"{path}.name", name))
        names.add(name)
    number = port.get("port", 0)
    errors += _invalid_each(f"{path}.port", number, _port_number(number))
    protocol = _get(port, "protocol", "TCP")
    if protocol not in _PROTOCOLS:
        errors.append(_not_supported(f"{path}.protocol", protocol, _PROTOCOLS))
    # an unset targetPort defaults to the port itself
    return errors + _port_number_or_name(port.get("targetPort") or number, f"{path}.targetPort")


def _secret(obj: dict) -> list[FieldError]:
    data = obj.get("data") or {}
    string_data = obj.get("stringData") or {}  # folded into data before validation upstream
    errors = []
    for key in {**data, **string_data}:
        errors += _invalid_each(f"data[{key}]", key, _config_key(key))
    size = sum(_base64_decoded_len(v) for k, v in data.items() if k not in string_data)
    size += sum(len(v.encode()) for v in string_data.values())
    if size > _SECRET_MAX_BYTES:
        errors.append(_too_long("data", _SECRET_MAX_BYTES))
    for key in _SECRET_REQUIRED_KEYS.get(obj.get("type", ""), ()):
        if key not in data and key not in string_data:
            errors.append(_required(f"data[{key}]"))
    return errors


def _base64_decoded_len(encoded: str) -> int:
    return len(encoded) * 3 // 4 - encoded[-2:].count("=")


def _config_map(obj: dict) -> list[FieldError]:
    data, binary_data = obj.get("data") or {}, obj.get("binaryData") or {}
    errors = []
    for key in data:
        errors += _invalid_each(f"data[{key}]", key, _config_key(key))
        if key in binary_data:
            errors.append(_invalid(f"data[{key}]", key, "duplicate of key present in binaryData"))
    for key in binary_data:
        errors += _invalid_each(f"binaryData[{key}]", key, _config_key(key))
    size = sum(len(v.encode()) for v in data.values()) + sum(_base64_decoded_len(v) for v in binary_data.values())
    if size > _SECRET_MAX_BYTES:
        errors.append(_too_long("", _SECRET_MAX_BYTES))
    return errors


# --- policy/v1 -------------------------------------------------------------

def _pod_disruption_budget(obj: dict) -> list[FieldError]:
    spec = obj.get("spec") or {}
    min_available, max_unavailable = spec.get("minAvailable"), spec.get("maxUnavailable")
    errors = []
    if min_available is not None and max_unavailable is not None:
        # the internal policy.PodDisruptionBudgetSpec, whose untagged fields marshal by Go name
        internal = {"MinAvailable": min_available, "Selector": _selector_value(spec.get("selector")),
                    "MaxUnavailable": max_unavailable,
                    "UnhealthyPodEvictionPolicy": spec.get("unhealthyPodEvictionPolicy")}
        errors.append(_invalid("spec", internal, "minAvailable and maxUnavailable cannot be both set"))
    for field, value in (("minAvailable", min_available), ("maxUnavailable", max_unavailable)):
        if value is not None:
            errors += _int_or_percent(value, f"spec.{field}") + _not_over_100_percent(value, f"spec.{field}")
    errors += _label_selector(spec.get("selector"), "spec.selector")
    policy = spec.get("unhealthyPodEvictionPolicy")
    if policy is not None and policy not in ("AlwaysAllow", "IfHealthyBudget"):
        errors.append(_not_supported("spec.unhealthyPodEvictionPolicy", policy, ["AlwaysAllow", "IfHealthyBudget"]))
    return errors


# --- updates ---------------------------------------------------------------

# apps/v1 made workload selectors immutable (the registries check it on update).
_IMMUTABLE_SELECTOR_KINDS = {("apps", "Deployment"), ("apps", "ReplicaSet")}
_IMMUTABLE_WHEN_FLAGGED = {("", "ConfigMap"): ("data", "binaryData"), ("", "Secret"): ("data",)}


def _update_only(group: str, kind: str, obj: dict, old: dict) -> list[FieldError]:
    errors = []
    if (group, kind) in _IMMUTABLE_SELECTOR_KINDS:
        selector = (obj.get("spec") or {}).get("selector")
        if _semantic(selector) != _semantic((old.get("spec") or {}).get("selector")):
            errors.append(_invalid("spec.selector", _selector_value(selector), "field is immutable"))
    if (group, kind) == ("", "Secret") and _get(obj, "type", "Opaque") != _get(old, "type", "Opaque"):
        errors.append(_invalid("type", _get(obj, "type", "Opaque"), "field is immutable"))
    if old.get("immutable") and (group, kind) in _IMMUTABLE_WHEN_FLAGGED:
        if not obj.get("immutable"):
            errors.append(_forbidden("immutable", "field is immutable when `immutable` is set"))
        errors += [_forbidden(field, "field is immutable when `immutable` is set")
                   for field in _IMMUTABLE_WHEN_FLAGGED[(group, kind)]
                   if _semantic(obj.get(field)) != _semantic(old.get(field))]
    return errors


def _semantic(value: object) -> object:
    """Normalize for apimachinery's semantic equality, where empty and missing collections match."""
    if isinstance(value, dict):
        return {k: _semantic(v) for k, v in value.items() if v not in (None, {}, [])}
    if isinstance(value, list):
        return [_semantic(v) for v in value]
    return value


_KINDS: dict[tuple[str, str], tuple[Callable[[str], list[str]], Callable[[dict], list[FieldError]] | None]] = {
    ("apps", "Deployment"): (_dns1123_subdomain, _deployment),
    ("apps", "ReplicaSet"): (_dns1123_subdomain, _replica_set),
    ("", "Pod"): (_dns1123_subdomain, _pod),
    ("", "Service"): (_dns1035_label, _service),
    ("", "Namespace"): (_dns1123_label, None),
    ("", "Secret"): (_dns1123_subdomain, _secret),
    ("", "ConfigMap"): (_dns1123_subdomain, _config_map),
    ("policy", "PodDisruptionBudget"): (_dns1123_subdomain, _pod_disruption_budget),
}
