// Light, dark or the system's: a data-theme attribute on <html> picks the CSS variables.
import type { Theme } from "./types";

const media = window.matchMedia("(prefers-color-scheme: dark)");
let chosen: Theme = "system";

export const effectiveTheme = (): Exclude<Theme, "system"> => (chosen === "system" ? (media.matches ? "dark" : "light") : chosen);

export function applyTheme(theme: Theme) {
  chosen = theme;
  const t = effectiveTheme();
  document.documentElement.dataset.theme = t;
  document.documentElement.style.colorScheme = t;
  document.querySelector('meta[name="theme-color"]')?.setAttribute("content", t === "dark" ? "#14161a" : "#f7f7f5");
  window.dispatchEvent(new CustomEvent("nod:theme", { detail: t }));
}

media.addEventListener("change", () => {
  if (chosen === "system") applyTheme("system");
});
