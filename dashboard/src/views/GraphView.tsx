// The dependency graph: modules by load level, an edge per declared dependency (dashed when
// optional, red when its range resolves to nothing), coloured by state; a node opens its module.

import { useEffect, useMemo, useState } from "preact/hooks";
import { api, ApiError } from "../api/client.js";
import type { Graph } from "../api/types.js";
import { layOut, NODE_HEIGHT, NODE_WIDTH } from "../graphLayout.js";
import { moduleHref } from "../router.js";
import { useStore } from "../store.js";

export function GraphView() {
  const s = useStore();
  const [graph, setGraph] = useState<Graph | null>(null);
  const [error, setError] = useState("");
  // The shape (which versions are registered) decides the layout; states only recolour it.
  const shape = s.modules.map((m) => `${m.id}@${m.version}`).join(" ");
  useEffect(() => {
    api<Graph>("/v1/graph")
      .then((g) => {
        setGraph(g);
        setError("");
      })
      .catch((e: unknown) => setError(e instanceof ApiError ? `${e.code}: ${e.message}` : String(e)));
  }, [shape]);
  const placed = useMemo(() => (graph === null ? null : layOut(graph)), [graph]);
  const states = new Map(s.modules.map((m) => [`${m.id}@${m.version}`, m.state]));

  if (error !== "")
    return (
      <p class="error" role="alert">
        {error}
      </p>
    );
  if (graph === null || placed === null) return <p class="muted">Loading the graph…</p>;
  const open = (id: string): void => {
    location.hash = moduleHref(id);
  };
  return (
    <section class="view graph">
      {graph.problem !== null && (
        <div class="problem" role="alert" data-testid="graph-problem">
          <strong>{graph.problem.code}</strong> {graph.problem.message}
        </div>
      )}
      <p class="legend">
        Load level 0 at the top; each module sits below what it requires. <span class="solid">—</span>{" "}
        requires, <span class="dashed">- -</span> optional, <span class="missing">—</span> resolves to nothing
        installed.
      </p>
      <div class="graph-wrap">
        <svg
          viewBox={`0 0 ${placed.width} ${placed.height}`}
          width={placed.width}
          height={placed.height}
          role="img"
          aria-label="dependency graph"
        >
          <defs>
            <marker
              id="arrow"
              viewBox="0 0 10 10"
              refX="10"
              refY="5"
              markerWidth="7"
              markerHeight="7"
              orient="auto-start-reverse"
            >
              <path d="M 0 0 L 10 5 L 0 10 z" class="arrowhead" />
            </marker>
          </defs>
          {placed.edges.map((e, i) => {
            const cls = `edge${e.optional ? " optional" : ""}${e.resolved === null ? " unresolved" : ""}`;
            return (
              <path key={i} d={e.path} class={cls} marker-end="url(#arrow)" data-from={e.from} data-to={e.to}>
                <title>
                  {e.from} requires {e.to} {e.range}
                  {e.optional ? " (optional)" : ""}: {e.resolved ?? "nothing installed matches"}
                </title>
              </path>
            );
          })}
          {graph.nodes.map((n) => {
            const p = placed.nodes.get(n.id);
            if (p === undefined) return null;
            const state = states.get(`${n.id}@${n.version}`) ?? n.state;
            return (
              <g
                key={n.id}
                class={`node s-${state}`}
                transform={`translate(${p.x - NODE_WIDTH / 2},${p.y - NODE_HEIGHT / 2})`}
                tabindex={0}
                role="link"
                aria-label={`${n.id} ${n.version}, ${state}, level ${n.level ?? "unknown"}`}
                data-module={n.id}
                data-level={n.level ?? ""}
                data-state={state}
                onClick={() => open(n.id)}
                onKeyDown={(e) => {
                  if (e.key === "Enter" || e.key === " ") {
                    e.preventDefault();
                    open(n.id);
                  }
                }}
              >
                <rect width={NODE_WIDTH} height={NODE_HEIGHT} rx="6" />
                <text x="10" y="18" class="id">
                  {n.id}
                </text>
                <text x="10" y="34" class="sub">
                  {n.version} · {state}
                </text>
              </g>
            );
          })}
        </svg>
      </div>
    </section>
  );
}
