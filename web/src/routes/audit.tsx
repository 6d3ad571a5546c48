import { createFileRoute } from "@tanstack/react-router";
import { Page } from "../ui/page.tsx";
import { EmptyState } from "../ui/query-state.tsx";

export const Route = createFileRoute("/audit")({
  component: AuditPage,
});

function AuditPage() {
  return (
    <Page title="Audit">
      <EmptyState title="Not built yet" />
    </Page>
  );
}
