// A placeholder page until the web app lands: it tells a person whether to set up or sign in.
import { createResource, Show } from "solid-js";
import { render } from "solid-js/web";

function App() {
  const [setup] = createResource(async () => (await fetch("/api/auth/setup")).json() as Promise<{ needed: boolean }>);
  return (
    <main style={{ "font-family": "system-ui, sans-serif", "max-width": "40rem", margin: "3rem auto", padding: "0 1rem" }}>
      <h1>Nod</h1>
      <p>The human-in-the-loop inbox for AI agents.</p>
      <Show when={setup()} fallback={<p>Loading…</p>}>
        {(s) => (
          <p data-testid="setup-state">
            {s().needed
              ? "No owner yet: create one with POST /api/auth/setup (see the README)."
              : "Set up. The inbox arrives with the web app; the API is ready."}
          </p>
        )}
      </Show>
      <p>
        <a href="/api/docs">API reference</a>
      </p>
    </main>
  );
}

render(() => <App />, document.getElementById("root")!);
