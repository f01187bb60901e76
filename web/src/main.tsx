// The entry: theme first (no flash), then the router, the service worker (push) and the app shell.
import { render } from "solid-js/web";
import { applyTheme } from "./lib/theme";
import { prefs } from "./lib/state";
import { startRouter } from "./lib/router";
import { startServiceWorker } from "./lib/push";
import { App } from "./App";
import "./styles.css";

applyTheme(prefs().theme);
startRouter();
startServiceWorker();
render(() => <App />, document.getElementById("root")!);
