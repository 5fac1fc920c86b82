// A Lubes function: an ES module whose default export handles a Web Request.
export default async function handler(request, env) {
  const who = new URL(request.url).searchParams.get("name") ?? "world";
  return Response.json({ message: `${env.GREETING}, ${who}!` });
}
