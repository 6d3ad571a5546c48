import { createFileRoute } from "@tanstack/react-router";
import { Page } from "../ui/page.tsx";
import { EmptyState } from "../ui/query-state.tsx";

export const Route = createFileRoute("/services")({
  component: ServicesPage,
});

function ServicesPage() {
  return (
    <Page title="Services">
      <EmptyState title="Not built yet" />
    </Page>
  );
}
