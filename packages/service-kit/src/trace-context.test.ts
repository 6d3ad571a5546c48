import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { create } from "@bufbuild/protobuf";
import { TraceContextSchema } from "@langtian/proto";
import { headers as natsHeaders } from "@nats-io/transport-node";
import { createTraceState, ROOT_CONTEXT, TraceFlags, trace } from "@opentelemetry/api";
import {
  contextFromEnvelope,
  extractKafkaTraceHeaders,
  extractNatsTraceHeaders,
  formatTraceparent,
  injectKafkaTraceHeaders,
  injectNatsTraceHeaders,
  kafkaTraceHeaderEntries,
  parseTraceparent,
  traceContextToEnvelope,
  w3cTraceContextPropagator,
} from "./trace-context.ts";

const TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736";
const SPAN_ID = "00f067aa0ba902b7";
const TRACEPARENT = `00-${TRACE_ID}-${SPAN_ID}-01`;

const traced = trace.setSpanContext(ROOT_CONTEXT, {
  traceId: TRACE_ID,
  spanId: SPAN_ID,
  traceFlags: TraceFlags.SAMPLED,
  isRemote: true,
  traceState: createTraceState("congo=t61rcWkgMzE,rojo=00f067aa0ba902b7"),
});

describe("W3C traceparent", () => {
  it("parses a valid version-00 header and formats it back", () => {
    const sc = parseTraceparent(TRACEPARENT);
    assert.deepEqual(sc, { traceId: TRACE_ID, spanId: SPAN_ID, traceFlags: 1, isRemote: true });
    assert.equal(formatTraceparent(sc), TRACEPARENT);
  });

  it("rejects invalid headers", () => {
    for (const bad of [
      "",
      "garbage",
      `ff-${TRACE_ID}-${SPAN_ID}-01`,
      `00-${"0".repeat(32)}-${SPAN_ID}-01`,
      `00-${TRACE_ID}-${"0".repeat(16)}-01`,
      `00-${TRACE_ID.toUpperCase()}-${SPAN_ID}-01`,
      `00-${TRACE_ID}-${SPAN_ID}-01-extra`,
      `00-${TRACE_ID}-${SPAN_ID}`,
    ]) {
      assert.equal(parseTraceparent(bad), undefined, bad);
    }
  });

  it("accepts a future version with extra fields, as the spec asks", () => {
    assert.equal(parseTraceparent(`01-${TRACE_ID}-${SPAN_ID}-00-whatever`)?.traceFlags, 0);
  });

  it("declares the fields it uses", () => {
    assert.deepEqual(w3cTraceContextPropagator.fields(), ["traceparent", "tracestate"]);
  });
});

describe("NATS headers", () => {
  it("round-trips traceparent and tracestate through real MsgHdrs", () => {
    const h = natsHeaders();
    injectNatsTraceHeaders(h, traced);
    assert.equal(h.get("traceparent"), TRACEPARENT);
    assert.equal(h.get("tracestate"), "congo=t61rcWkgMzE,rojo=00f067aa0ba902b7");
    const ctx = extractNatsTraceHeaders(h, ROOT_CONTEXT);
    const sc = trace.getSpanContext(ctx);
    assert.equal(sc?.traceId, TRACE_ID);
    assert.equal(sc?.spanId, SPAN_ID);
    assert.equal(sc?.traceState?.get("rojo"), "00f067aa0ba902b7");
  });

  it("writes nothing without a trace and leaves the context alone on bad or missing headers", () => {
    const h = natsHeaders();
    injectNatsTraceHeaders(h, ROOT_CONTEXT);
    assert.deepEqual(h.keys(), []);
    assert.equal(extractNatsTraceHeaders(undefined, ROOT_CONTEXT), ROOT_CONTEXT);
    h.set("traceparent", "bogus");
    assert.equal(trace.getSpanContext(extractNatsTraceHeaders(h, ROOT_CONTEXT)), undefined);
  });
});

describe("Kafka headers", () => {
  it("injects into a Buffer map and extracts from it, replacing an existing traceparent", () => {
    const headers = new Map<Buffer, Buffer>([[Buffer.from("Traceparent"), Buffer.from("old")]]);
    injectKafkaTraceHeaders(headers, traced);
    const asText = [...headers].map(([k, v]) => [k.toString(), v.toString()]);
    assert.deepEqual(asText, [
      ["traceparent", TRACEPARENT],
      ["tracestate", "congo=t61rcWkgMzE,rojo=00f067aa0ba902b7"],
    ]);
    assert.equal(trace.getSpanContext(extractKafkaTraceHeaders(headers, ROOT_CONTEXT))?.spanId, SPAN_ID);
  });

  it("extracts from entry arrays, records and string maps, case-insensitively", () => {
    const shapes = [
      [[Buffer.from("TRACEPARENT"), Buffer.from(TRACEPARENT)]] as Array<[Buffer, Buffer]>,
      { traceparent: TRACEPARENT },
      new Map([["traceparent", TRACEPARENT]]),
      kafkaTraceHeaderEntries(traced),
    ];
    for (const h of shapes) {
      assert.equal(trace.getSpanContext(extractKafkaTraceHeaders(h, ROOT_CONTEXT))?.traceId, TRACE_ID);
    }
    assert.equal(extractKafkaTraceHeaders(undefined, ROOT_CONTEXT), ROOT_CONTEXT);
    assert.equal(trace.getSpanContext(extractKafkaTraceHeaders([[null, null]], ROOT_CONTEXT)), undefined);
  });
});

describe("Envelope TraceContext", () => {
  it("converts a context to the Envelope message and back", () => {
    const tc = traceContextToEnvelope(traced);
    assert.deepEqual(
      tc,
      create(TraceContextSchema, {
        traceparent: TRACEPARENT,
        tracestate: "congo=t61rcWkgMzE,rojo=00f067aa0ba902b7",
      }),
    );
    const sc = trace.getSpanContext(contextFromEnvelope(tc, ROOT_CONTEXT));
    assert.equal(sc?.traceId, TRACE_ID);
    assert.equal(sc?.isRemote, true);
  });

  it("gives undefined for an untraced context and ignores an empty TraceContext", () => {
    assert.equal(traceContextToEnvelope(ROOT_CONTEXT), undefined);
    assert.equal(contextFromEnvelope(create(TraceContextSchema), ROOT_CONTEXT), ROOT_CONTEXT);
    assert.equal(contextFromEnvelope(undefined, ROOT_CONTEXT), ROOT_CONTEXT);
  });
});
