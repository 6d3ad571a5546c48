import type { Overview } from "@langtian/proto";
import {
  Health,
  kafkaEndOffsets,
  lakeFreshnessSeconds,
  lakeLag,
  natsPending,
  type OverviewSample,
  ofStage,
  SampleField,
  stageHealth,
  sumErrors,
  sumRate,
} from "../../api/overview-figures.ts";
import { formatAge, formatCount, formatRate } from "../../ui/format.ts";

/** One figure of a node: "In /s" → "1.2k". */
export interface NodeFigure {
  readonly label: string;
  readonly value: string;
  /** Shown as a problem (errors, a lag that grows). */
  readonly alert?: boolean;
}

/** One box of the pipeline graph. */
export interface PipelineNode {
  readonly id: string;
  readonly name: string;
  readonly health: Health;
  /** Why it has that health, in a few words. */
  readonly status: string;
  readonly figures: readonly NodeFigure[];
  /** The Services page's stage filter, for the stages made of instances. */
  readonly stage?: string;
}

/** The lake's lag (records) from which the lake is shown degraded. */
export const LAKE_LAG_WARN = 10_000;
/** Seconds without a lake commit, while records wait, from which the lake is shown degraded. */
export const LAKE_STALE_WARN_S = 120;

function instancesNode(overview: Overview, id: string, name: string, rateLabel: string, rates: string[]) {
  const instances = ofStage(overview, id);
  const ready = instances.filter((i) => i.error === "" && i.ready).length;
  const errors = sumErrors(instances);
  const health = stageHealth(instances);
  const node: PipelineNode = {
    id,
    name,
    stage: id,
    health,
    status: instances.length === 0 ? "not in the deployment" : `${ready} of ${instances.length} ready`,
    figures: [
      { label: rateLabel, value: instances.length === 0 ? "—" : formatRate(sumRate(instances, ...rates)) },
      { label: "Errors", value: formatCount(errors), alert: errors > 0 },
    ],
  };
  return node;
}

/**
 * The pipeline as the overview graph draws it, devices to lake, each box with its health and
 * figures: rates from the instances' metrics, NATS's pending messages (the bridges' lag), Kafka's
 * write rate (from the last sample), and the lake's true lag (records in Kafka not yet committed
 * to the lake) with the age of its last commit.
 */
export function pipelineNodes(overview: Overview, last: OverviewSample | undefined): PipelineNode[] {
  const collectors = ofStage(overview, "collector");
  const datagrams = sumRate(collectors, "datagrams_received", "events_decoded");
  const streamErrors = overview.streams.filter((s) => s.error !== "");
  const topicErrors = overview.topics.filter((t) => t.error !== "");
  const pending = natsPending(overview);
  const lag = lakeLag(overview);
  const freshness = lakeFreshnessSeconds(overview);
  const lake = overview.lake;
  const lakeRows = lake?.tables.reduce((sum, t) => sum + Number(t.rows), 0) ?? 0;
  let lakeHealth: Health = Health.ok;
  let lakeStatus = "committing";
  if (lake === undefined) {
    lakeHealth = Health.unknown;
    lakeStatus = "not read";
  } else if (lake.error !== "") {
    lakeHealth = Health.bad;
    lakeStatus = lake.error;
  } else if (lag >= LAKE_LAG_WARN || (lag > 0 && freshness !== undefined && freshness > LAKE_STALE_WARN_S)) {
    lakeHealth = Health.warn;
    lakeStatus = "falling behind";
  } else if (lag === 0) lakeStatus = "up to date";
  return [
    {
      id: "devices",
      name: "Devices",
      health: collectors.length === 0 ? Health.unknown : datagrams > 0 ? Health.ok : Health.unknown,
      status: collectors.length === 0 ? "no collector" : datagrams > 0 ? "sending" : "quiet",
      figures: [{ label: "Datagrams /s", value: collectors.length === 0 ? "—" : formatRate(datagrams) }],
    },
    instancesNode(overview, "collector", "Collector", "In /s", ["events_decoded", "datagrams_received"]),
    {
      id: "nats",
      name: "NATS",
      health:
        overview.streams.length === 0 ? Health.unknown : streamErrors.length > 0 ? Health.bad : Health.ok,
      status:
        overview.streams.length === 0
          ? "no stream shown"
          : streamErrors.length > 0
            ? (streamErrors[0]?.error ?? "")
            : `${overview.streams.length} stream${overview.streams.length === 1 ? "" : "s"}`,
      figures: [
        {
          label: "Held",
          value: formatCount(overview.streams.reduce((sum, s) => sum + Number(s.messages), 0)),
        },
        { label: "Pending", value: formatCount(pending) },
      ],
    },
    instancesNode(overview, "bridge", "Bridge", "Out /s", ["produced", "acked", "consumed"]),
    {
      id: "kafka",
      name: "Kafka",
      health: overview.topics.length === 0 ? Health.unknown : topicErrors.length > 0 ? Health.bad : Health.ok,
      status:
        overview.topics.length === 0
          ? "no topic shown"
          : topicErrors.length > 0
            ? (topicErrors[0]?.error ?? "")
            : `${overview.topics.length} topic${overview.topics.length === 1 ? "" : "s"}`,
      figures: [
        { label: "Written /s", value: last === undefined ? "—" : formatRate(last[SampleField.kafkaIn]) },
        { label: "Records", value: formatCount(kafkaEndOffsets(overview)) },
      ],
    },
    instancesNode(overview, "lake-writer", "Lake writer", "Rows /s", ["rows_written"]),
    {
      id: "lake",
      name: "Lake",
      health: lakeHealth,
      status: lakeStatus,
      figures: [
        { label: "Lag", value: formatCount(lag), alert: lakeHealth === Health.warn },
        {
          label: "Committed",
          value: freshness === undefined ? "—" : `${formatAge(freshness * 1000)} ago`,
        },
        { label: "Rows", value: formatCount(lakeRows) },
      ],
    },
  ];
}
