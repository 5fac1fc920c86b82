// Where the provider's credentials come from: stack config (`lubes:apiKey`, a secret, and `lubes:apiUrl`), else the
// LUBES_API_KEY and LUBES_API_URL environment variables. Read when an operation runs, never at module load, so no
// credential is ever captured into a serialized provider (DESIGN.md). Each value remembers where it came from, so a
// refused key or an unreachable URL can be traced to the setting a person must change.

export const DEFAULT_API_URL = "https://api.lubes.dev/v1";

export interface Credentials {
  apiUrl: string;
  apiKey: string;
  /** Where each value was set, for messages: `lubes:apiKey`, `LUBES_API_KEY`, `the default`, … */
  sources?: { apiKey: string; apiUrl: string };
}

export interface CredentialSettings {
  apiKey?: string | undefined;
  apiUrl?: string | undefined;
  /** `lubes:allowInsecureHttp`: send the key over plain http to a host that is not this machine. */
  allowInsecureHttp?: string | boolean | undefined;
}

const LOOPBACK_HOSTS = new Set(["localhost", "[::1]", "::1"]);

/** This machine: `localhost`, `127.0.0.0/8` or `::1`, where plain http never leaves the host. */
export function isLoopback(hostname: string): boolean {
  return LOOPBACK_HOSTS.has(hostname) || hostname.endsWith(".localhost") || /^127(?:\.\d{1,3}){3}$/.test(hostname);
}

const truthy = (value: string | boolean | undefined): boolean => value === true || (typeof value === "string" && /^(?:true|1|yes)$/i.test(value.trim()));

export function resolveCredentials(config: CredentialSettings = {}, env: NodeJS.ProcessEnv = process.env): Credentials {
  const apiKey = config.apiKey || env["LUBES_API_KEY"];
  if (!apiKey) {
    throw new Error("No Lubes API key: run `pulumi config set --secret lubes:apiKey <key>`, or set LUBES_API_KEY");
  }
  const urlSource = config.apiUrl ? "lubes:apiUrl" : env["LUBES_API_URL"] ? "LUBES_API_URL" : "the default";
  const apiUrl = (config.apiUrl || env["LUBES_API_URL"] || DEFAULT_API_URL).replace(/\/+$/, "");
  let parsed: URL;
  try {
    parsed = new URL(apiUrl);
  } catch {
    throw new Error(`${urlSource} "${apiUrl}" is not a URL (for example ${DEFAULT_API_URL})`);
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") throw new Error(`${urlSource} must be an http(s) URL, not ${parsed.protocol}`);
  const insecureAllowed = truthy(config.allowInsecureHttp) || truthy(env["LUBES_ALLOW_INSECURE_HTTP"]);
  if (parsed.protocol === "http:" && !isLoopback(parsed.hostname) && !insecureAllowed) {
    throw new Error(
      `${urlSource} is ${apiUrl}: plain http would send the API key in clear text to ${parsed.hostname}. Use https, or, on a network you trust, ` +
        "opt in with `pulumi config set lubes:allowInsecureHttp true` (or LUBES_ALLOW_INSECURE_HTTP=true)",
    );
  }
  return { apiUrl, apiKey, sources: { apiKey: config.apiKey ? "lubes:apiKey" : "LUBES_API_KEY", apiUrl: urlSource } };
}
