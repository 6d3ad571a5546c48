"""Python side of proto-round-trip.test.ts, run with the official protobuf runtime.

usage: proto-round-trip.py GENERATED_DIR reencode   (stdin: base64 envelope)
       proto-round-trip.py GENERATED_DIR encode
GENERATED_DIR "installed" imports the bindings from the installed langtian-contracts wheel.
Prints one JSON object on stdout; "module" is the file the envelope bindings came from.
"""
import base64
import json
import sys

if sys.argv[1] != "installed":
    sys.path.insert(0, sys.argv[1])

from google.protobuf import descriptor_pool, message_factory  # noqa: E402

from langtian.device.v1 import telemetry_pb2  # noqa: E402
from langtian.envelope.v1 import envelope_pb2  # noqa: E402


def payload_class(payload_type):
    """Finds the payload's message class from payload_type alone, as a generic consumer does."""
    descriptor = descriptor_pool.Default().FindMessageTypeByName(payload_type)
    return message_factory.GetMessageClass(descriptor)


def reencode():
    data = base64.b64decode(sys.stdin.read())
    envelope = envelope_pb2.Envelope.FromString(data)
    payload = payload_class(envelope.payload_type).FromString(envelope.payload)
    print(json.dumps({
        "envelope": base64.b64encode(envelope.SerializeToString(deterministic=True)).decode(),
        "payload": base64.b64encode(payload.SerializeToString(deterministic=True)).decode(),
        "module": envelope_pb2.__file__,
        "event_id": envelope.event_id,
        "partition_key": envelope.partition_key,
        "has_partition_key": envelope.HasField("partition_key"),
        "attributes": dict(envelope.attributes),
        "device_id": payload.device_id,
        "sequence": str(payload.sequence),
        "readings": [
            {"metric": r.metric, "case": r.WhichOneof("value"), "value": str(getattr(r, r.WhichOneof("value")))}
            for r in payload.readings
        ],
    }))


def encode():
    telemetry = telemetry_pb2.Telemetry(device_id="press-9", sequence=7)
    telemetry.readings.add(metric="pressure", double_value=2.5, unit="bar", quality=telemetry_pb2.QUALITY_GOOD)
    telemetry.readings.add(metric="cycles", int_value=-3, quality=telemetry_pb2.QUALITY_UNCERTAIN)
    telemetry.readings.add(metric="alarm_active", bool_value=True)
    telemetry.readings.add(metric="recipe", string_value="Fräse-12")
    envelope = envelope_pb2.Envelope(
        event_id="0190a6e4-7c3b-7d2e-9f1a-3b5c7d9e1f20",
        event_type="device.telemetry",
        schema_version="1.0",
        source_system="plant-b",
        partition_key="press-9",
        payload=telemetry.SerializeToString(deterministic=True),
        payload_type=telemetry.DESCRIPTOR.full_name,
        attributes={"site": "plant-b"},
    )
    envelope.event_timestamp.FromJsonString("2026-11-27T10:00:00.250Z")
    envelope.trace_context.traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
    print(json.dumps({
        "envelope": base64.b64encode(envelope.SerializeToString(deterministic=True)).decode(),
        "module": envelope_pb2.__file__,
    }))


{"reencode": reencode, "encode": encode}[sys.argv[2]]()
