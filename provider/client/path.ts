// Builds request paths from the contract's `:name` templates: each value percent-encoded, and `.`, `..` and empty
// values refused, so no value can move the request to another endpoint. A wildcard value keeps its `/`s.
export function buildPath(template: string, params: Record<string, string> = {}, wildcard?: string): string {
  return template.replace(/:(\w+)/g, (_, name: string) => {
    const value = params[name];
    if (value === undefined) throw new Error(`path parameter "${name}" of ${template} is missing`);
    const segments = name === wildcard ? value.split("/") : [value];
    for (const segment of segments) {
      if (segment === "" || segment === "." || segment === "..") throw new Error(`path parameter "${name}" must not be empty, "." or ".." (got ${JSON.stringify(value)})`);
    }
    return segments.map(encodeURIComponent).join("/");
  });
}
