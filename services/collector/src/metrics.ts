import type { MetricFactory } from "@langtian/service-kit";
import type { Counter, Gauge, Histogram } from "prom-client";
import { createEventTimeOffsets, type EventTimeOffsets } from "./event-time-offset.ts";
import type { KernelUdpStats } from "./kernel-udp-stats.ts";

export type { MetricFactory };

/** A count kept as a plain number and added to its counter when the metrics are read. */
export interface Tally {
  n: number;
}

/** Every collector metric, created once per app on its own registry. */
export interface CollectorMetrics {
  /**
   * A {@link Tally} for a counter (or labelled counter child) counted once per datagram or
   * PubAck: `inc()` there showed in the profile, so the hot paths add to a number that the
   * counters' `collect` moves into prom-client at every read.
   */
  tally(counter: { inc(value: number): void }): Tally;
  readonly datagramsReceived: Counter<"listener">;
  readonly bytesReceived: Counter<"listener">;
  readonly eventsDecoded: Counter<"listener">;
  readonly decodeErrors: Counter<"listener" | "reason">;
  readonly deadLettered: Counter<"reason">;
  readonly ingestEvents: Counter<"result">;
  readonly published: Counter;
  readonly duplicates: Counter;
  readonly publishRetries: Counter;
  readonly spooled: Counter<"reason">;
  readonly spoolReplayed: Counter;
  readonly spoolOverflow: Counter<"policy">;
  readonly rejected: Counter<"reason">;
  readonly inFlight: Gauge;
  readonly sourceReadLatency: Histogram;
  readonly spoolDepth: Gauge;
  readonly spoolBytes: Gauge;
  readonly spoolOldestAge: Gauge;
  readonly kernelUdpErrors: Gauge<"counter">;
  /** Receive time − device event time of the datagrams that carried their own time. */
  readonly eventTimes: EventTimeOffsets;
}

/** Live values read at scrape time. */
export interface MetricProbes {
  readonly spool: () => { readonly depth: number; readonly bytes: number; readonly oldestAgeMs: number };
  readonly kernelUdp: () => KernelUdpStats | undefined;
  /** Publishes awaiting a PubAck (read at scrape time rather than counted twice per event). */
  readonly inFlight?: () => number;
}

/** Registers the collector's metrics (names get the factory's `langtian_collector_` prefix). */
export function createCollectorMetrics(m: MetricFactory, probes?: MetricProbes): CollectorMetrics {
  const tallies: { tally: Tally; counter: { inc(value: number): void } }[] = [];
  const flush = () => {
    for (const t of tallies) {
      if (t.tally.n === 0) continue;
      const n = t.tally.n;
      t.tally.n = 0;
      t.counter.inc(n);
    }
  };
  const eventTimes = createEventTimeOffsets();
  // Two gauges, not a histogram: an observation per datagram costs more than the two
  // comparisons of the window's extremes, and clock skew is about the extremes anyway.
  eventTimeGauges(m, eventTimes);
  return {
    eventTimes,
    tally(counter) {
      const tally = { n: 0 };
      tallies.push({ tally, counter });
      return tally;
    },
    datagramsReceived: m.counter({
      name: "datagrams_received_total",
      collect: flush,
      help: "UDP datagrams read from the sockets.",
      labelNames: ["listener"],
    }),
    bytesReceived: m.counter({
      name: "bytes_received_total",
      collect: flush,
      help: "UDP payload bytes read from the sockets.",
      labelNames: ["listener"],
    }),
    eventsDecoded: m.counter({
      name: "events_decoded_total",
      collect: flush,
      help: "Datagrams decoded into a valid envelope.",
      labelNames: ["listener"],
    }),
    decodeErrors: m.counter({
      name: "decode_errors_total",
      help: "Datagrams rejected, by reason (malformed_json, bad_crc, truncated, oversize, ...).",
      labelNames: ["listener", "reason"],
    }),
    deadLettered: m.counter({
      name: "dead_lettered_total",
      help: "Rejected datagrams published raw to the dead-letter subject.",
      labelNames: ["reason"],
    }),
    ingestEvents: m.counter({
      name: "ingest_events_total",
      help: "Events pushed through Ingest / HTTP, by result (accepted, invalid, unavailable).",
      labelNames: ["result"],
    }),
    published: m.counter({
      name: "published_total",
      help: "Events acknowledged by JetStream (new).",
      collect: flush,
    }),
    duplicates: m.counter({
      name: "duplicates_total",
      collect: flush,
      help: "Events JetStream acknowledged as duplicates (retransmits, resends).",
    }),
    publishRetries: m.counter({
      name: "publish_retries_total",
      help: "Publish attempts retried after a failure.",
    }),
    spooled: m.counter({
      name: "spooled_total",
      help: "Events written to the spool, by reason (disconnected, backpressure, publish_failed, ordering).",
      labelNames: ["reason"],
    }),
    spoolReplayed: m.counter({
      name: "spool_replayed_total",
      help: "Spooled events acknowledged by JetStream.",
    }),
    spoolOverflow: m.counter({
      name: "spool_overflow_total",
      help: "Events refused (reject-new) or deleted (drop-oldest) because the spool was full.",
      labelNames: ["policy"],
    }),
    rejected: m.counter({
      name: "rejected_total",
      help: "Accepted-for-decoding events the collector could not take (spool_full, draining).",
      labelNames: ["reason"],
    }),
    inFlight: m.gauge({
      name: "publishes_in_flight",
      help: "Publishes waiting for their PubAck.",
      collect() {
        const inFlight = probes?.inFlight?.();
        if (inFlight !== undefined) this.set(inFlight);
      },
    }),
    sourceReadLatency: m.histogram({
      name: "source_read_latency_seconds",
      help: "Time from receiving an event to its JetStream PubAck.",
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
    }),
    spoolDepth: m.gauge({
      name: "spool_depth_events",
      help: "Events waiting in the spool.",
      collect() {
        if (probes) this.set(probes.spool().depth);
      },
    }),
    spoolBytes: m.gauge({
      name: "spool_bytes",
      help: "Bytes waiting in the spool.",
      collect() {
        if (probes) this.set(probes.spool().bytes);
      },
    }),
    spoolOldestAge: m.gauge({
      name: "spool_oldest_age_seconds",
      help: "Age of the oldest spooled event (since it was received).",
      collect() {
        if (probes) this.set(probes.spool().oldestAgeMs / 1000);
      },
    }),
    kernelUdpErrors: m.gauge({
      name: "kernel_udp_errors",
      help: "Host-wide kernel UDP counters from /proc/net/snmp (InErrors, RcvbufErrors); absent elsewhere.",
      labelNames: ["counter"],
      collect() {
        const stats = probes?.kernelUdp();
        if (stats === undefined) return;
        this.set({ counter: "in_errors" }, stats.inErrors);
        this.set({ counter: "rcvbuf_errors" }, stats.rcvbufErrors);
      },
    }),
  };
}

/** The window's extremes of {@link EventTimeOffsets} as gauges (0 while no event carried its own time). */
function eventTimeGauges(m: MetricFactory, eventTimes: EventTimeOffsets): void {
  m.gauge({
    name: "event_time_offset_min_seconds",
    help: "Smallest receive time minus device event time over the last minute (0 without such events); negative: a device clock is ahead of the collector's.",
    collect() {
      const { minSeconds } = eventTimes.range(Date.now());
      this.set(minSeconds ?? 0);
    },
  });
  m.gauge({
    name: "event_time_offset_max_seconds",
    help: "Largest receive time minus device event time over the last minute (0 without such events): events held back, or a device clock behind.",
    collect() {
      const { maxSeconds } = eventTimes.range(Date.now());
      this.set(maxSeconds ?? 0);
    },
  });
}
