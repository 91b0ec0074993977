"""Decoding the protobuf bodies client-go's typed clients send.

client-go's generated clientsets (helm's storage driver, `kubectl create
secret`) write built-in kinds as Kubernetes protobuf: the magic "k8s\\0",
then a `runtime.Unknown` whose `raw` is the object's message. The sandbox
stores JSON, so the bodies of the kinds such clients write are decoded here
into the JSON shape (field numbers from k8s.io/api's generated.proto):
Secret and ConfigMap (helm's two storage drivers) and DeleteOptions.
Anything else stays a clear 415, as before.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from datetime import UTC, datetime

MAGIC = b"k8s\x00"
CONTENT_TYPE = "application/vnd.kubernetes.protobuf"


class ProtobufError(ValueError):
    pass


def _varint(buf: bytes, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        if pos >= len(buf):
            raise ProtobufError("truncated varint")
        byte = buf[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, pos
        shift += 7


def fields(buf: bytes) -> list[tuple[int, int | bytes]]:
    """(field number, value) pairs of one message: ints for varints, bytes for length-delimited."""
    out, pos = [], 0
    while pos < len(buf):
        key, pos = _varint(buf, pos)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = _varint(buf, pos)
        elif wire == 2:
            size, pos = _varint(buf, pos)
            value, pos = buf[pos:pos + size], pos + size
        elif wire == 1:
            value, pos = int.from_bytes(buf[pos:pos + 8], "little"), pos + 8
        elif wire == 5:
            value, pos = int.from_bytes(buf[pos:pos + 4], "little"), pos + 4
        else:
            raise ProtobufError(f"unsupported wire type {wire}")
        out.append((number, value))
    return out


def _text(value) -> str:
    return value.decode()


def _signed(value: int) -> int:
    return value - (1 << 64) if value >= 1 << 63 else value


def _map_entry(value: bytes, decode_value: Callable = _text) -> tuple[str, object]:
    entry = dict(fields(value))
    return _text(entry.get(1, b"")), decode_value(entry.get(2, b""))


def _time(value: bytes) -> str:
    seconds = _signed(dict(fields(value)).get(1, 0))
    return datetime.fromtimestamp(seconds, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _owner_reference(value: bytes) -> dict:
    names = {5: "apiVersion", 1: "kind", 3: "name", 4: "uid"}
    ref: dict = {}
    for number, v in fields(value):
        if number in names:
            ref[names[number]] = _text(v)
        elif number == 6:
            ref["controller"] = bool(v)
        elif number == 7:
            ref["blockOwnerDeletion"] = bool(v)
    return ref


def object_meta(buf: bytes) -> dict:
    strings = {1: "name", 2: "generateName", 3: "namespace", 5: "uid", 6: "resourceVersion"}
    meta: dict = {}
    for number, v in fields(buf):
        if number in strings:
            meta[strings[number]] = _text(v)
        elif number == 7:
            meta["generation"] = _signed(v)
        elif number == 8 and dict(fields(v)).get(1):
            meta["creationTimestamp"] = _time(v)
        elif number == 11:
            key, value = _map_entry(v)
            meta.setdefault("labels", {})[key] = value
        elif number == 12:
            key, value = _map_entry(v)
            meta.setdefault("annotations", {})[key] = value
        elif number == 13:
            meta.setdefault("ownerReferences", []).append(_owner_reference(v))
        elif number == 14:
            meta.setdefault("finalizers", []).append(_text(v))
    # Empty strings are protobuf's absent values; JSON clients omit them.
    return {k: v for k, v in meta.items() if v != ""}


def _b64(value: bytes) -> str:
    return base64.b64encode(value).decode()


def _secret(buf: bytes) -> dict:
    obj: dict = {"apiVersion": "v1", "kind": "Secret"}
    for number, v in fields(buf):
        if number == 1:
            obj["metadata"] = object_meta(v)
        elif number == 2:
            key, value = _map_entry(v, _b64)
            obj.setdefault("data", {})[key] = value
        elif number == 3:
            obj["type"] = _text(v)
        elif number == 4:
            key, value = _map_entry(v)
            obj.setdefault("stringData", {})[key] = value
        elif number == 5:
            obj["immutable"] = bool(v)
    return obj


def _config_map(buf: bytes) -> dict:
    obj: dict = {"apiVersion": "v1", "kind": "ConfigMap"}
    for number, v in fields(buf):
        if number == 1:
            obj["metadata"] = object_meta(v)
        elif number == 2:
            key, value = _map_entry(v)
            obj.setdefault("data", {})[key] = value
        elif number == 3:
            key, value = _map_entry(v, _b64)
            obj.setdefault("binaryData", {})[key] = value
        elif number == 4:
            obj["immutable"] = bool(v)
    return obj


def _delete_options(buf: bytes) -> dict:
    obj: dict = {"apiVersion": "v1", "kind": "DeleteOptions"}
    for number, v in fields(buf):
        if number == 1:
            obj["gracePeriodSeconds"] = _signed(v)
        elif number == 2:
            pre = dict(fields(v))
            obj["preconditions"] = {k: _text(pre[n]) for n, k in ((1, "uid"), (2, "resourceVersion")) if n in pre}
        elif number == 3:
            obj["orphanDependents"] = bool(v)
        elif number == 4:
            obj["propagationPolicy"] = _text(v)
        elif number == 5:
            obj.setdefault("dryRun", []).append(_text(v))
    return obj


DECODERS: dict[tuple[str, str], Callable[[bytes], dict]] = {
    ("v1", "Secret"): _secret,
    ("v1", "ConfigMap"): _config_map,
    ("v1", "DeleteOptions"): _delete_options,
    ("meta.k8s.io/v1", "DeleteOptions"): _delete_options,
}


def decode(body: bytes) -> dict:
    """A protobuf request body as the JSON object it stands for; ProtobufError for kinds not handled."""
    if not body.startswith(MAGIC):
        raise ProtobufError("the body does not start with the Kubernetes protobuf magic")
    unknown = dict(fields(body[len(MAGIC):]))
    type_meta = dict(fields(unknown.get(1, b"")))
    api_version, kind = _text(type_meta.get(1, b"")), _text(type_meta.get(2, b""))
    decoder = DECODERS.get((api_version, kind))
    if decoder is None:
        raise ProtobufError(f"{kind or 'this kind'} in protobuf")
    return decoder(unknown.get(2, b""))
