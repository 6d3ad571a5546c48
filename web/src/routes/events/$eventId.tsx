import { createFileRoute } from "@tanstack/react-router";
import { Page } from "../../ui/page.tsx";
import { EmptyState } from "../../ui/query-state.tsx";

export const Route = createFileRoute("/events/$eventId")({
  component: EventPage,
});

function EventPage() {
  const { eventId } = Route.useParams();
  return (
    <Page title={`Event ${eventId}`}>
      <EmptyState title="Not built yet" />
    </Page>
  );
}
