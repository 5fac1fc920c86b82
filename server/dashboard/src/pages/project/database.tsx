// The project's database tab (being built).
import type { TabProps } from "../projects";

export function DatabaseTab({ project }: TabProps) {
  return <p>Not built yet for {project.name}.</p>;
}
