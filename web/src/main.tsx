// The entry: theme first (no flash), then the router and the app shell.
import { render } from "solid-js/web";
import { applyTheme } from "./lib/theme";
import { prefs } from "./lib/state";
import { startRouter } from "./lib/router";
import { App } from "./App";
import "./styles.css";

applyTheme(prefs().theme);
startRouter();
render(() => <App />, document.getElementById("root")!);
