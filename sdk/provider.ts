// Provider: an explicit Lubes provider (one account: its API key and URL). A resource given it (or a parent that has
// it in `providers`) goes through the provider plugin (PulumiPlugin.yaml) instead of the dynamic resources, so one
// program can use several Lubes accounts. The plugin must be known to the engine: `packages: { lubes: <folder> }` in
// Pulumi.yaml (README, "Other languages and `pulumi import`").
import * as pulumi from "@pulumi/pulumi";

export interface ProviderArgs {
  /** The Lubes API key (`lubes_…`). Also read from LUBES_API_KEY. */
  apiKey?: pulumi.Input<string>;
  /** The Lubes API's base URL, for example `https://api.lubes.dev/v1` (the default) or `http://127.0.0.1:8787/v1` for a local lubes-server. Also read from LUBES_API_URL. */
  apiUrl?: pulumi.Input<string>;
  /** Send the API key over plain http to a host that is not this machine (only on a network you trust). Also read from LUBES_ALLOW_INSECURE_HTTP. */
  allowInsecureHttp?: pulumi.Input<boolean>;
}

/**
 * The Lubes provider: one Lubes account (API key and URL). Declare more than one to use several accounts in one program.
 *
 * @example
 * ```ts
 * const other = new lubes.Provider("other-account", { apiKey: config.requireSecret("otherKey"), apiUrl: "https://api.lubes.dev/v1" });
 * new lubes.Project("web", { organizationId: "org_123" }, { provider: other });
 * ```
 */
export class Provider extends pulumi.ProviderResource {
  constructor(name: string, args: ProviderArgs = {}, opts?: pulumi.ResourceOptions) {
    // The key is a secret in state, however the program passed it.
    super("lubes", name, { apiKey: args.apiKey === undefined ? undefined : pulumi.secret(args.apiKey), apiUrl: args.apiUrl, allowInsecureHttp: args.allowInsecureHttp }, opts);
  }
}
