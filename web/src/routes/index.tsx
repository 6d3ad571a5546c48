import { createFileRoute } from "@tanstack/react-router";
import { useOverview, useOverviewHistory } from "../api/use-overview.ts";
import { Page } from "../ui/page.tsx";
import { EmptyState, QueryView } from "../ui/query-state.tsx";
import { OverviewBody, StreamStatus } from "./-overview/overview-body.tsx";
import "./-overview/overview.css";

export const Route = createFileRoute("/")({
  component: OverviewPage,
});

/** The whole pipeline at a glance, live from WatchOverview, with the last hour's charts. */
function OverviewPage() {
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
          data.overview === undefined ? null : <OverviewBody overview={data.overview} history={history} />
        }
      </QueryView>
    </Page>
  );
}
