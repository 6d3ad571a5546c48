import { createFileRoute, Link } from "@tanstack/react-router";
import { Page } from "../../ui/page.tsx";
import {
  DEFAULT_STRESS_COUNT,
  type DiagnosticsSearch,
  validateDiagnosticsSearch,
} from "./-components/diagnostics-search.ts";
import { EnvironmentPanel } from "./-components/environment-panel.tsx";
import { GridCheck } from "./-components/grid-check.tsx";
import { StressPanel } from "./-components/stress-panel.tsx";
import "../../ui/page-parts.css";
import "./-components/diagnostics.css";

export const Route = createFileRoute("/diagnostics/")({
  validateSearch: validateDiagnosticsSearch,
  component: DiagnosticsPage,
});

function withoutGrid({ grid: _grid, ...rest }: DiagnosticsSearch): DiagnosticsSearch {
  return rest;
}

function DiagnosticsPage() {
  const search = Route.useSearch();
  const { offlineCache } = Route.useRouteContext();
  return (
    <Page
      title="Diagnostics"
      actions={
        search.grid === undefined ? (
          <Link to="/diagnostics" search={{ ...search, grid: 100_000 }}>
            Grid scrolling check (100,000 rows)
          </Link>
        ) : (
          <Link to="/diagnostics" search={withoutGrid(search)}>
            Hide the grid check
          </Link>
        )
      }
    >
      <div className="diagnostics">
        <StressPanel count={search.count ?? DEFAULT_STRESS_COUNT} autoRun={search.run === true} />
        <EnvironmentPanel offlineCache={offlineCache} />
        {search.grid === undefined ? null : <GridCheck rows={search.grid} />}
      </div>
    </Page>
  );
}
