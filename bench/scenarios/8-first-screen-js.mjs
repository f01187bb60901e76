// 8. The web app's first-screen JavaScript, gzipped: the scripts and module preloads index.html names
// (and its stylesheets, reported beside). It reads the built files only, so it needs no server.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";

export default {
  id: "8",
  title: "the web app's first-screen JavaScript, gzipped",
  needs: [],
  async run({ assetsDir, record }) {
    const html = readFileSync(join(assetsDir, "index.html"), "utf8");
    const attr = (tag, name) => tag.match(new RegExp(`\\b${name}\\s*=\\s*["']([^"']+)["']`, "i"))?.[1];
    const js = new Set();
    const css = new Set();
    for (const [tag] of html.matchAll(/<script\b[^>]*>/gi)) {
      const src = attr(tag, "src");
      if (src) js.add(src);
    }
    for (const [tag] of html.matchAll(/<link\b[^>]*>/gi)) {
      const rel = (attr(tag, "rel") ?? "").toLowerCase();
      const href = attr(tag, "href");
      if (!href) continue;
      if (rel === "modulepreload" || (rel === "preload" && attr(tag, "as") === "script")) js.add(href);
      if (rel === "stylesheet") css.add(href);
    }
    const sizes = (set) =>
      [...set].map((href) => {
        const bytes = readFileSync(join(assetsDir, href.replace(/^\//, "").split("?")[0]));
        return { file: href, bytes: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length };
      });
    const jsFiles = sizes(js);
    const cssFiles = sizes(css);
    const gz = jsFiles.reduce((a, f) => a + f.gzip, 0);
    const raw = jsFiles.reduce((a, f) => a + f.bytes, 0);
    const cssGz = cssFiles.reduce((a, f) => a + f.gzip, 0);
    record({
      id: "8",
      name: "web app's first-screen JavaScript, gzipped",
      result: `${(gz / 1000).toFixed(1)} kB (${(raw / 1000).toFixed(1)} kB raw, ${jsFiles.length} file${jsFiles.length === 1 ? "" : "s"})`,
      stats: undefined,
      baseline: undefined,
      ratio: undefined,
      target: "report",
      met: undefined,
      extra: { js: jsFiles, css: cssFiles, jsGzipBytes: gz, jsRawBytes: raw, cssGzipBytes: cssGz, gzipLevel: 9 },
    });
    return `${jsFiles.length} JS file(s): ${(raw / 1000).toFixed(1)} kB raw, ${(gz / 1000).toFixed(1)} kB gzipped${cssFiles.length ? `; CSS ${(cssGz / 1000).toFixed(1)} kB gzipped` : ""}`;
  },
};
