// Runs on Lubes for every request to the function's URL. `env` holds the project's production variables.
export default async (request, env) => {
  const who = new URL(request.url).searchParams.get("name") ?? "world";
  return Response.json({ message: `${env.GREETING}, ${who}!`, version: 1, hasToken: Boolean(env.API_TOKEN) });
};
