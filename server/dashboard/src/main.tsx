// The dashboard's entry: the layout, the routes, and the rule that every page but the public ones needs a session.
import "@picocss/pico/css/pico.min.css";
import "./styles.css";
import type { ComponentChildren } from "preact";
import { render } from "preact";
import { useEffect, useState } from "preact/hooks";
import { LocationProvider, Route, Router, useLocation } from "preact-iso";
import { currentSession, onSessionChange, sessionEndReason } from "./api";
import { ApiKeys } from "./pages/api-keys";
import { announcePage } from "./ui";
import { ForgotPassword, ResetPassword, SignIn, SignUp, signOut } from "./pages/auth";
import { AcceptInvitation, OrganizationPage, Organizations } from "./pages/organizations";
import { ProjectPage, Projects } from "./pages/projects";

const PUBLIC = ["/sign-in", "/sign-up", "/forgot-password", "/reset-password"];

function useSession() {
  const [session, setSession] = useState(currentSession());
  useEffect(() => onSessionChange(() => setSession(currentSession())), []);
  return session;
}

/** Sends a visitor without a session to sign in (and back afterwards), and one with a session away from sign-in. */
function Guard({ children }: { children: ComponentChildren }) {
  const session = useSession();
  const { path, url, route } = useLocation();
  const isPublic = PUBLIC.includes(path);
  useEffect(() => {
    // Back to the page after signing in (an invitation's link, an expired session), except after signing out: the
    // next person to sign in here starts afresh.
    const comeBack = path !== "/" && sessionEndReason() !== "signed-out";
    if (!session && !isPublic) route(comeBack ? `/sign-in?next=${encodeURIComponent(url)}` : "/sign-in", true);
    else if (session && (path === "/" || path === "/sign-in" || path === "/sign-up")) route("/projects", true);
  }, [session, isPublic, path]);
  if (!session && !isPublic) return null;
  return <>{children}</>;
}

function Header() {
  const session = useSession();
  const { path } = useLocation();
  const current = (prefix: string) => (path.startsWith(prefix) ? "page" : undefined);
  return (
    <header class="container">
      <nav>
        <ul>
          <li>
            <a href={session ? "/projects" : "/sign-in"} class="brand">
              <strong>Lubes</strong>
            </a>
          </li>
        </ul>
        {session ? (
          <ul>
            <li>
              <a href="/projects" aria-current={current("/projects")}>
                Projects
              </a>
            </li>
            <li>
              <a href="/organizations" aria-current={current("/organizations")}>
                Organizations
              </a>
            </li>
            <li>
              <a href="/settings/api-keys" aria-current={current("/settings")}>
                API keys
              </a>
            </li>
            <li>
              <button type="button" class="secondary outline" onClick={() => void signOut()} title={session.user.email}>
                Sign out
              </button>
            </li>
          </ul>
        ) : null}
      </nav>
    </header>
  );
}

function NotFound() {
  return (
    <article>
      <h1>Page not found</h1>
      <p>
        <a href="/projects">Go to your projects</a>
      </p>
    </article>
  );
}

/**
 * A new page: its heading gets the focus, so a screen reader announces where a link led, and names the tab. A page
 * that loads before it has a heading does this itself when it has one (`usePageHeading`).
 */
function focusHeading() {
  requestAnimationFrame(() => announcePage(document.querySelector<HTMLElement>("main h1")));
}

function App() {
  useEffect(focusHeading, []);
  return (
    <LocationProvider>
      <a href="#main" class="skip">
        Skip to content
      </a>
      <Header />
      <main class="container" id="main">
        <Guard>
          <Router onRouteChange={focusHeading}>
            <Route path="/sign-in" component={SignIn} />
            <Route path="/sign-up" component={SignUp} />
            <Route path="/forgot-password" component={ForgotPassword} />
            <Route path="/reset-password" component={ResetPassword} />
            <Route path="/projects" component={Projects} />
            <Route path="/projects/:id/:tab?" component={ProjectPage} />
            <Route path="/organizations" component={Organizations} />
            <Route path="/organizations/:id" component={OrganizationPage} />
            <Route path="/accept-invitation" component={AcceptInvitation} />
            <Route path="/settings/api-keys" component={ApiKeys} />
            <Route default component={NotFound} />
          </Router>
        </Guard>
      </main>
    </LocationProvider>
  );
}

const root = document.getElementById("app");
if (root) render(<App />, root);
