import { createFileRoute } from "@tanstack/react-router";

/** The list alone: the `/events` layout renders it; no event is open. */
export const Route = createFileRoute("/events/")({
  component: () => null,
});
