import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ConfigError, loadConfig } from "@langtian/service-kit";
import { collectorConfigSchema, loadCollectorConfig, parseListeners } from "./config.ts";
import { parseProcNetSnmp } from "./kernel-udp-stats.ts";

const decoders = ["json", "device-frame"];

describe("collector configuration", () => {
  it("loadCollectorConfig lists every cross-field problem at once: listeners, push keys and source networks", () => {
    assert.throws(
      () =>
        loadCollectorConfig(
          {},
          {
            host: "0.0.0.0",
            udp: {
              listeners: ["udp://0.0.0.0:7401?decoder=nope&event_type=device.telemetry&source_system=a"],
              allowedSources: ["10.0.0.0/99"],
            },
          },
        ),
      (err: unknown) => {
        assert.ok(err instanceof ConfigError);
        const paths = err.issues.map((i) => i.path);
        for (const path of ["udp.listeners[0]", "ingest.apiKeys"])
          assert.ok(paths.includes(path), `${path} in ${paths.join(", ")}`);
        assert.ok(
          paths.some((p) => p.startsWith("udp.allowedSources")),
          paths.join(", "),
        );
        return true;
      },
    );
  });

  it("loadCollectorConfig accepts the defaults and site decoders by name", () => {
    const spec = "udp://127.0.0.1:0?decoder=site-frame&event_type=device.telemetry&source_system=a";
    assert.throws(() => loadCollectorConfig({ LANGTIAN_COLLECTOR_UDP_LISTENERS: spec }), ConfigError);
    const config = loadCollectorConfig({ LANGTIAN_COLLECTOR_UDP_LISTENERS: spec }, undefined, ["site-frame"]);
    assert.deepEqual(config.udp.listeners, [spec]);
    assert.ok(Object.isFrozen(config));
  });

  it("loads with defaults and reads listeners from a comma-separated env var", () => {
    const config = loadConfig(collectorConfigSchema, {
      LANGTIAN_COLLECTOR_UDP_LISTENERS:
        "udp://0.0.0.0:7401?decoder=json&event_type=device.telemetry&source_system=a,udp://[::]:7402?decoder=device-frame&event_type=device.telemetry&source_system=b&schema_version=2.1&name=frames",
    });
    assert.equal(config.stream.replicas, 1);
    assert.equal(config.spool.overflow, "reject-new");
    assert.deepEqual(parseListeners(config.udp.listeners, decoders), [
      {
        name: "json-0.0.0.0-7401",
        host: "0.0.0.0",
        port: 7401,
        decoder: "json",
        eventType: "device.telemetry",
        sourceSystem: "a",
        schemaVersion: "1.0",
      },
      {
        name: "frames",
        host: "::",
        port: 7402,
        decoder: "device-frame",
        eventType: "device.telemetry",
        sourceSystem: "b",
        schemaVersion: "2.1",
      },
    ]);
  });

  it("lists every listener problem at once", () => {
    const error = (() => {
      try {
        parseListeners(
          [
            "tcp://h:1?decoder=json&event_type=a.b&source_system=s",
            "udp://h:2?decoder=xml&event_type=Bad&source_system=",
          ],
          decoders,
        );
      } catch (err) {
        return err;
      }
      return undefined;
    })();
    assert.ok(error instanceof ConfigError);
    assert.deepEqual(
      error.issues.map((i) => `${i.path}: ${i.expected}`),
      [
        "udp.listeners[0]: scheme udp://",
        "udp.listeners[1]: decoder= one of json, device-frame",
        'udp.listeners[1]: event_type= a dotted type like "device.telemetry"',
        "udp.listeners[1]: source_system= a non-empty name",
      ],
    );
  });

  it("reads kernel UDP counters from /proc/net/snmp text", () => {
    const text = [
      "Udp: InDatagrams NoPorts InErrors OutDatagrams RcvbufErrors SndbufErrors InCsumErrors IgnoredMulti MemErrors",
      "Udp: 1000 3 17 900 12 0 0 0 0",
    ].join("\n");
    assert.deepEqual(parseProcNetSnmp(text), { inDatagrams: 1000, inErrors: 17, rcvbufErrors: 12 });
    assert.equal(parseProcNetSnmp("Tcp: nothing"), undefined);
  });
});
