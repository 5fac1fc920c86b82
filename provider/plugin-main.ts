// The plugin's entry: package.json `main`, which `run-plugin` requires when the engine starts the plugin from
// PulumiPlugin.yaml. It exports nothing, so run-plugin serves it as a provider (not as a component provider).
import { serve } from "./plugin";

serve(process.argv.slice(2)).catch((error: unknown) => {
  process.stderr.write(`lubes plugin failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
