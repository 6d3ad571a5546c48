import { oneOf, searchParser, textList, wholeNumber } from "../../../ui/search-params.ts";

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

/** The route's `validateSearch`: keeps what is valid and drops the rest. */
export const validateConfigSearch = searchParser<ConfigSearch>({
  view: oneOf(Object.values(ConfigView)),
  from: wholeNumber(),
  to: wholeNumber(),
  subjects: textList,
});
