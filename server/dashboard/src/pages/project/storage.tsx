// The project's storage tab (being built).
import type { TabProps } from "../projects";

export function StorageTab({ project }: TabProps) {
  return <p>Not built yet for {project.name}.</p>;
}
