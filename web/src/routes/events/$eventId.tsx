import { createFileRoute, useNavigate } from "@tanstack/react-router";
import { useEffect, useMemo, useRef } from "react";
import { EventDrawer } from "./-components/event-drawer.tsx";
import { atOf } from "./-components/events-search.ts";

/**
 * One event, in a drawer over the list (the `/events` layout renders the list with the same
 * search params): a direct link opens both. Closing goes back to the list and focuses the grid.
 */
export const Route = createFileRoute("/events/$eventId")({
  component: EventDrawerRoute,
});

function EventDrawerRoute() {
  const { eventId } = Route.useParams();
  const search = Route.useSearch();
  const navigate = useNavigate();
  const at = useMemo(() => atOf(search.snapshot), [search.snapshot]);
  const latest = useRef(search);
  latest.current = search;
  const close = () => {
    void navigate({ to: "/events", search: latest.current }).then(() => {
      const grid = document.querySelector<HTMLElement>('.events-grid [role="grid"]');
      grid?.focus();
    });
  };
  // Escape closes the drawer from anywhere on the page (the grid keeps focus after a click).
  // biome-ignore lint/correctness/useExhaustiveDependencies: close only navigates
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key !== "Escape" || e.defaultPrevented) return;
      const open = document.querySelector("dialog[open]:not(.event-drawer)");
      if (open !== null) return; // a modal dialog takes its own Escape
      e.preventDefault();
      close();
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, []);
  return <EventDrawer eventId={eventId} at={at} onClose={close} />;
}
