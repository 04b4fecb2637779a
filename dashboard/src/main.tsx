import { render } from "preact";

// Placeholder until the dashboard issue lands: shows that the build and the /admin/ mount work.
function App() {
  return (
    <main style={{ fontFamily: "system-ui, sans-serif", padding: "2rem" }}>
      <h1>Switchboard</h1>
      <p>The operator dashboard is being built. The REST API is under <code>/api</code>.</p>
    </main>
  );
}

render(<App />, document.getElementById("app")!);
