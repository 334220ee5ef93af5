// Routing by `location.hash` (#/modules, #/graph, #/module/<id>, #/events, #/report,
// #/environment): the host serves one page and needs no fallback route.

import { useEffect, useState } from "preact/hooks";

export type Route =
  | { view: "modules" }
  | { view: "graph" }
  | { view: "module"; ref: string }
  | { view: "events" }
  | { view: "report" }
  | { view: "environment" };

/** The route a hash names; the module table for anything else. */
export function parseRoute(hash: string): Route {
  const path = hash.replace(/^#\/?/, "");
  const [view, ...rest] = path.split("/");
  if (view === "module" && rest.length > 0)
    return { view: "module", ref: decodeURIComponent(rest.join("/")) };
  if (view === "graph" || view === "events" || view === "report" || view === "environment") return { view };
  return { view: "modules" };
}

/** The hash of a module's detail page. */
export function moduleHref(id: string): string {
  return `#/module/${encodeURIComponent(id)}`;
}

/** The current route, re-rendering on every hash change. */
export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const on = (): void => setRoute(parseRoute(location.hash));
    addEventListener("hashchange", on);
    return () => removeEventListener("hashchange", on);
  }, []);
  return route;
}
