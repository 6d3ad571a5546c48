import { createFileRoute } from "@tanstack/react-router";
import { Page } from "../ui/page.tsx";
import { EmptyState } from "../ui/query-state.tsx";

export const Route = createFileRoute("/sql")({
  component: SqlPage,
});

function SqlPage() {
  return (
    <Page title="SQL console">
      <EmptyState title="Not built yet" />
    </Page>
  );
}
