import { createFileRoute } from "@tanstack/react-router";
import { Page } from "../ui/page.tsx";
import { EmptyState } from "../ui/query-state.tsx";

export const Route = createFileRoute("/live")({
  component: LivePage,
});

function LivePage() {
  return (
    <Page title="Live">
      <EmptyState title="Not built yet" />
    </Page>
  );
}
