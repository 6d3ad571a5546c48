import { createFileRoute, Link } from "@tanstack/react-router";
import { useOverview, useOverviewHistory } from "../api/use-overview.ts";
import { Page } from "../ui/page.tsx";
import { EmptyState, QueryView } from "../ui/query-state.tsx";
import { oneOf, searchParser } from "../ui/search-params.ts";
import { OverviewBody, StreamStatus } from "./-overview/overview-body.tsx";
import "./-overview/overview.css";

/** How far back the charts look: the history keeps an hour. */
export const CHART_RANGES = { "5m": 5 * 60_000, "15m": 15 * 60_000, "1h": 60 * 60_000 } as const;
/** One of {@link CHART_RANGES}. */
export type ChartRange = keyof typeof CHART_RANGES;

/** The overview's view in the URL: the charts' range (default the whole hour). */
export interface OverviewSearch {
  readonly range?: ChartRange | undefined;
}

export const Route = createFileRoute("/")({
  validateSearch: searchParser<OverviewSearch>({ range: oneOf(Object.keys(CHART_RANGES) as ChartRange[]) }),
  component: OverviewPage,
});

/** The whole pipeline at a glance, live from WatchOverview, with the last hour's charts. */
function OverviewPage() {
  const { range = "1h" } = Route.useSearch();
  const { query, stream } = useOverview();
  const history = useOverviewHistory();
  return (
    <Page title="Overview" actions={<StreamStatus stream={stream} />}>
      <QueryView
        query={query}
        loadingLabel="Reading the deployment…"
        isEmpty={(data) =>
          data.overview === undefined ||
          (data.overview.instances.length === 0 &&
            data.overview.streams.length === 0 &&
            data.overview.topics.length === 0)
        }
        empty={
          <EmptyState title="Nothing to show">
            The admin's configuration lists no instance, stream or topic (deployment.instances, nats.streams,
            kafka.topics).
          </EmptyState>
        }
      >
        {(data) =>
          data.overview === undefined ? null : (
            <OverviewBody
              overview={data.overview}
              history={history}
              windowMs={CHART_RANGES[range]}
              rangePicker={<RangePicker range={range} />}
            />
          )
        }
      </QueryView>
    </Page>
  );
}

/** The charts' range as links (each range is a URL). */
function RangePicker({ range }: { range: ChartRange }) {
  return (
    <nav className="range-picker" aria-label="Chart range">
      {(Object.keys(CHART_RANGES) as ChartRange[]).map((r) => (
        <Link
          key={r}
          to="/"
          search={{ range: r }}
          replace
          className={r === range ? "active" : undefined}
          aria-current={r === range ? "page" : undefined}
        >
          {r === "1h" ? "1 h" : `${r.slice(0, -1)} min`}
        </Link>
      ))}
    </nav>
  );
}
