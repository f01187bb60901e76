// /api/docs: a self-contained page (no CDN) that renders /api/openapi.json as a readable reference.
export const docsPage = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>Nod API</title>
<style>
body{font:15px/1.5 system-ui,sans-serif;max-width:960px;margin:2rem auto;padding:0 1rem;color:#1b1f24}
h1{margin-bottom:.2rem} h2{margin-top:2rem;border-bottom:1px solid #ddd}
details{border:1px solid #e3e6ea;border-radius:8px;margin:.5rem 0;padding:.4rem .8rem}
summary{cursor:pointer} code,pre{font:13px ui-monospace,monospace} pre{background:#f6f8fa;padding:.6rem;overflow:auto;border-radius:6px}
.m{display:inline-block;min-width:4.5rem;font-weight:700} .get{color:#0969da}.post{color:#1a7f37}.patch{color:#9a6700}.delete{color:#cf222e}
</style></head><body>
<h1>Nod API</h1><p>Generated from the zod schemas that validate every request. Raw document: <a href="/api/openapi.json">/api/openapi.json</a>.</p>
<div id="root">Loading…</div>
<script>
fetch('/api/openapi.json').then(r => r.json()).then(doc => {
  const root = document.getElementById('root'); root.textContent = '';
  const groups = {};
  for (const [path, ops] of Object.entries(doc.paths)) for (const [method, op] of Object.entries(ops)) {
    (groups[op.tags[0]] ??= []).push({ path, method, op });
  }
  for (const [tag, list] of Object.entries(groups)) {
    const h = document.createElement('h2'); h.textContent = tag; root.append(h);
    for (const { path, method, op } of list) {
      const d = document.createElement('details');
      const s = document.createElement('summary');
      const m = document.createElement('span'); m.className = 'm ' + method; m.textContent = method.toUpperCase();
      const p = document.createElement('code'); p.textContent = path;
      s.append(m, p, document.createTextNode(' — ' + (op.summary || '')));
      const pre = document.createElement('pre');
      pre.textContent = JSON.stringify({ parameters: op.parameters, requestBody: op.requestBody, responses: op.responses }, null, 2);
      d.append(s, pre); root.append(d);
    }
  }
});
</script></body></html>`;
