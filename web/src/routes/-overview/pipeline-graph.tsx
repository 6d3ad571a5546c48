import { Link } from "@tanstack/react-router";
import { HEALTH_LABEL } from "../../api/overview-figures.ts";
import { HealthBadge } from "../../ui/health-badge.tsx";
import type { PipelineNode } from "./pipeline-nodes.ts";

/**
 * The pipeline as a row of boxes joined by arrows (an ordered list: the order is the data's
 * path). Each box's health is its border colour and, in words, its badge; a stage made of
 * instances links to the Services page filtered to it.
 */
export function PipelineGraph({ nodes }: { nodes: readonly PipelineNode[] }) {
  return (
    <ol className="pipeline" aria-label="Pipeline, from the devices to the lake">
      {nodes.map((node) => (
        <li
          key={node.id}
          className={`pipeline-node health-${node.health}`}
          data-testid={`node-${node.id}`}
          data-health={node.health}
          aria-label={`${node.name}: ${HEALTH_LABEL[node.health]}, ${node.status}`}
        >
          <div className="pipeline-name">
            {node.stage === undefined ? (
              node.name
            ) : (
              <Link to="/services" search={{ stage: node.stage }} title={`${node.name} instances`}>
                {node.name}
              </Link>
            )}
          </div>
          <HealthBadge health={node.health} />
          <div className="pipeline-status" title={node.status}>
            {node.status}
          </div>
          <dl className="pipeline-figures">
            {node.figures.map((f) => (
              <div key={f.label} className={f.alert === true ? "alert" : undefined}>
                <dt>{f.label}</dt>
                <dd>{f.value}</dd>
              </div>
            ))}
          </dl>
        </li>
      ))}
    </ol>
  );
}
