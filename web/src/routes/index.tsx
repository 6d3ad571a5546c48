import { createFileRoute } from "@tanstack/react-router";
import { Page } from "../ui/page.tsx";
import { EmptyState } from "../ui/query-state.tsx";

export const Route = createFileRoute("/")({
  component: OverviewPage,
});

function OverviewPage() {
  return (
    <Page title="Overview">
      <EmptyState title="Not built yet" />
    </Page>
  );
}
