// The project's env tab (being built).
import type { TabProps } from "../projects";

export function EnvTab({ project }: TabProps) {
  return <p>Not built yet for {project.name}.</p>;
}
