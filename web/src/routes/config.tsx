import { createFileRoute } from "@tanstack/react-router";
import { Page } from "../ui/page.tsx";
import { EmptyState } from "../ui/query-state.tsx";

export const Route = createFileRoute("/config")({
  component: ConfigPage,
});

function ConfigPage() {
  return (
    <Page title="Configuration">
      <EmptyState title="Not built yet" />
    </Page>
  );
}
