import { createFileRoute } from "@tanstack/react-router";
import { Page } from "../ui/page.tsx";
import { EmptyState } from "../ui/query-state.tsx";

export const Route = createFileRoute("/schemas")({
  component: SchemasPage,
});

function SchemasPage() {
  return (
    <Page title="Schemas">
      <EmptyState title="Not built yet" />
    </Page>
  );
}
