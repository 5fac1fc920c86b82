// The project's functions tab (being built).
import type { TabProps } from "../projects";

export function FunctionsTab({ project }: TabProps) {
  return <p>Not built yet for {project.name}.</p>;
}
