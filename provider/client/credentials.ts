// Where the provider's credentials come from: stack config (`lubes:apiKey`, a secret, and `lubes:apiUrl`), else the
// LUBES_API_KEY and LUBES_API_URL environment variables. Read when an operation runs, never at module load, so no
// credential is ever captured into a serialized provider (DESIGN.md).

export const DEFAULT_API_URL = "https://api.lubes.dev/v1";

export interface Credentials {
  apiUrl: string;
  apiKey: string;
}

export function resolveCredentials(config: { apiKey?: string | undefined; apiUrl?: string | undefined } = {}, env: NodeJS.ProcessEnv = process.env): Credentials {
  const apiKey = config.apiKey ?? env["LUBES_API_KEY"];
  if (!apiKey) {
    throw new Error("No Lubes API key: run `pulumi config set --secret lubes:apiKey <key>`, or set LUBES_API_KEY");
  }
  const apiUrl = (config.apiUrl ?? env["LUBES_API_URL"] ?? DEFAULT_API_URL).replace(/\/+$/, "");
  let parsed: URL;
  try {
    parsed = new URL(apiUrl);
  } catch {
    throw new Error(`lubes:apiUrl / LUBES_API_URL "${apiUrl}" is not a URL (for example ${DEFAULT_API_URL})`);
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") throw new Error(`lubes:apiUrl / LUBES_API_URL must be http(s), not ${parsed.protocol}`);
  return { apiUrl, apiKey };
}
