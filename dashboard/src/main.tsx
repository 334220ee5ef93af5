// The dashboard: asks for the host's token once per tab, then shows the host live.

import { render } from "preact";
import { useEffect, useState } from "preact/hooks";
import { forgetToken, savedToken, saveToken, whenUnauthorised } from "./api/client.js";
import { type Route, useRoute } from "./router.js";
import { store, useStore } from "./store.js";
import { Environment } from "./views/Environment.js";
import { EventLog } from "./views/EventLog.js";
import { GraphView } from "./views/GraphView.js";
import { Login } from "./views/Login.js";
import { ModuleDetailView } from "./views/ModuleDetailView.js";
import { ModuleTable } from "./views/ModuleTable.js";
import { ReportView } from "./views/ReportView.js";
import "./styles.css";

const tabs: { view: Route["view"]; label: string }[] = [
  { view: "modules", label: "Modules" },
  { view: "graph", label: "Graph" },
  { view: "events", label: "Events" },
  { view: "report", label: "Report" },
  { view: "environment", label: "Environment" },
];

function Shell() {
  const route = useRoute();
  const s = useStore();
  useEffect(() => {
    store.start();
    return () => store.stop();
  }, []);
  return (
    <>
      <header class="top">
        <span class="brand">Chipset</span>
        <nav aria-label="views">
          {tabs.map((t) => (
            <a key={t.view} href={`#/${t.view}`} aria-current={route.view === t.view ? "page" : undefined}>
              {t.label}
            </a>
          ))}
        </nav>
        <span class={`stream ${s.connected ? "up" : "down"}`} role="status" data-testid="stream-status">
          {s.connected ? "live" : `reconnecting${s.streamReason ? ` (${s.streamReason})` : ""}`}
        </span>
      </header>
      <main>
        {!s.connected && s.error !== "" && (
          <p class="problem" role="alert" data-testid="host-down" title={s.error}>
            The host does not answer; what is shown is from before. The page reconnects on its own.
          </p>
        )}
        {route.view === "modules" && <ModuleTable />}
        {route.view === "graph" && <GraphView />}
        {route.view === "module" && <ModuleDetailView key={route.ref} ref_={route.ref} />}
        {route.view === "events" && <EventLog />}
        {route.view === "report" && <ReportView />}
        {route.view === "environment" && <Environment />}
      </main>
    </>
  );
}

function App() {
  const [authorised, setAuthorised] = useState(savedToken() !== null);
  const [refused, setRefused] = useState("");
  useEffect(
    () =>
      whenUnauthorised(() => {
        forgetToken();
        store.stop();
        setRefused("CHIP_ERR_UNAUTHORIZED: the host no longer accepts the saved token (did it restart?)");
        setAuthorised(false);
      }),
    [],
  );
  return authorised ? <Shell /> : <Login notice={refused} onAccepted={() => setAuthorised(true)} />;
}

// `#token=…` (what `chipset dashboard` opens): kept for the tab, then removed from the address at
// once. A fragment never reaches a server, a log or a Referer.
const given = /^#token=([^&]+)/.exec(location.hash);
if (given?.[1] !== undefined) {
  try {
    saveToken(decodeURIComponent(given[1]));
  } catch {
    // Not a token `chipset dashboard` printed (a stray %): the page asks for one instead.
  }
  history.replaceState(null, "", `${location.pathname}#/modules`);
}

const root = document.getElementById("app");
if (root !== null) render(<App />, root);
