import { createFileRoute } from "@tanstack/react-router";
import { Page } from "../ui/page.tsx";
import { EmptyState } from "../ui/query-state.tsx";

export const Route = createFileRoute("/dead-letters")({
  component: DeadLettersPage,
});

function DeadLettersPage() {
  return (
    <Page title="Dead letters">
      <EmptyState title="Not built yet" />
    </Page>
  );
}
