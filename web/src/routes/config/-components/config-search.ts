/** The two views of the configuration page. */
export const ConfigView = { edit: "edit", history: "history" } as const;
/** One of {@link ConfigView}. */
export type ConfigView = (typeof ConfigView)[keyof typeof ConfigView];

/** The configuration page's view as typed URL search params. */
export interface ConfigSearch {
  /** Unset = edit. */
  readonly view?: ConfigView;
  /** History: the revision a diff compares from. */
  readonly from?: number;
  /** History: the revision a diff compares to. */
  readonly to?: number;
  /** Edit: the subjects the dry run routes (unset = the defaults). */
  readonly subjects?: readonly string[];
}

/** Subjects the dry run routes when the URL names none: the device events. */
export const DEFAULT_SUBJECTS = [
  "eda.events.device.telemetry",
  "eda.events.device.status",
  "eda.events.device.alarm",
] as const;

const revision = (value: unknown): number | undefined => {
  const n = Number(value);
  return value !== undefined && value !== "" && Number.isSafeInteger(n) && n > 0 ? n : undefined;
};

/** The route's `validateSearch`: keeps what is valid and drops the rest. */
export function validateConfigSearch(raw: Record<string, unknown>): ConfigSearch {
  const out: { -readonly [K in keyof ConfigSearch]: ConfigSearch[K] } = {};
  if (raw.view === ConfigView.history || raw.view === ConfigView.edit) out.view = raw.view;
  const from = revision(raw.from);
  if (from !== undefined) out.from = from;
  const to = revision(raw.to);
  if (to !== undefined) out.to = to;
  const list = Array.isArray(raw.subjects) ? raw.subjects : [];
  const subjects = list
    .filter((s): s is string => typeof s === "string" && s.trim() !== "")
    .map((s) => s.trim());
  if (subjects.length > 0) out.subjects = subjects;
  return out;
}
