import { HEALTH_LABEL, type Health } from "../api/overview-figures.ts";
import "./health-badge.css";

/** A health colour with its words beside it (colour is never the only sign); `label` overrides the words. */
export function HealthBadge({ health, label }: { health: Health; label?: string }) {
  return (
    <span className={`health-badge health-${health}`} data-health={health}>
      <span className="health-dot" aria-hidden="true" />
      {label ?? HEALTH_LABEL[health]}
    </span>
  );
}
