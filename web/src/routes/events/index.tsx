import { createFileRoute } from "@tanstack/react-router";
import { Page } from "../../ui/page.tsx";
import { EmptyState } from "../../ui/query-state.tsx";

export const Route = createFileRoute("/events/")({
  component: EventsPage,
});

function EventsPage() {
  return (
    <Page title="Events">
      <EmptyState title="Not built yet" />
    </Page>
  );
}
