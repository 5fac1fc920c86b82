// The project's deployments tab (being built).
import type { TabProps } from "../projects";

export function DeploymentsTab({ project }: TabProps) {
  return <p>Not built yet for {project.name}.</p>;
}
