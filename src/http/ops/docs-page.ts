/**
 * `/docs`: an API reference rendered on the server from the OpenAPI document — no script, no CDN, so it
 * works on an air-gapped install and in any browser. Every operation, its parameters, body and responses.
 */

type Json = Record<string, any>;

const escape = (text: unknown) =>
  String(text ?? "").replace(/[&<>"']/g, (ch) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[ch]!);

function resolve(doc: Json, schema: Json | undefined): Json | undefined {
  if (!schema?.$ref) return schema;
  const name = String(schema.$ref).split("/").pop()!;
  return doc.components?.schemas?.[name];
}

function typeOf(doc: Json, schema: Json | undefined): string {
  const s = resolve(doc, schema);
  if (!s) return "";
  if (schema?.$ref) return String(schema.$ref).split("/").pop()!;
  if (s.enum) return s.enum.map((v: unknown) => JSON.stringify(v)).join(" | ");
  if (s.const !== undefined) return JSON.stringify(s.const);
  if (s.anyOf || s.oneOf) return (s.anyOf ?? s.oneOf).map((x: Json) => typeOf(doc, x)).join(" | ");
  if (s.type === "array") return `${typeOf(doc, s.items)}[]`;
  return Array.isArray(s.type) ? s.type.join(" | ") : (s.type ?? "object");
}

function fieldsTable(doc: Json, schema: Json | undefined): string {
  const s = resolve(doc, schema);
  const variants = s?.oneOf ?? s?.anyOf;
  if (variants) return variants.map((variant: Json) => fieldsTable(doc, variant)).join("<p class=or>or</p>");
  const properties: Json = s?.properties ?? {};
  if (Object.keys(properties).length === 0) return "";
  const required = new Set<string>(s?.required ?? []);
  const rows = Object.entries(properties)
    .map(([name, prop]) => {
      const p = resolve(doc, prop as Json) ?? {};
      return `<tr><td><code>${escape(name)}</code>${required.has(name) ? " <b>required</b>" : ""}</td><td>${escape(typeOf(doc, prop as Json))}</td><td>${escape(p.description ?? "")}</td></tr>`;
    })
    .join("");
  return `<table><tr><th>field</th><th>type</th><th>notes</th></tr>${rows}</table>`;
}

function operationHtml(doc: Json, method: string, path: string, op: Json): string {
  const params = (op.parameters ?? []) as Json[];
  const paramRows = params
    .map((p) => `<tr><td><code>${escape(p.name)}</code> <i>${escape(p.in)}</i>${p.required ? " <b>required</b>" : ""}</td><td>${escape(typeOf(doc, p.schema))}</td><td>${escape(p.description ?? "")}</td></tr>`)
    .join("");
  const body = op.requestBody?.content?.["application/json"]?.schema;
  const responses = Object.entries((op.responses ?? {}) as Json)
    .map(([status, r]) => `<li><code>${escape(status)}</code> ${escape(r.description)}</li>`)
    .join("");
  const id = `${method}-${path}`.replace(/[^a-zA-Z0-9]+/g, "-");
  return `<section class=op id="${id}">
  <h3><span class="m ${method}">${method.toUpperCase()}</span> <code>${escape(path)}</code></h3>
  <p>${escape(op.summary ?? "")}</p>
  ${paramRows ? `<h4>Parameters</h4><table><tr><th>name</th><th>type</th><th>notes</th></tr>${paramRows}</table>` : ""}
  ${body ? `<h4>Body</h4>${fieldsTable(doc, body)}` : ""}
  <h4>Responses</h4><ul>${responses}</ul>
</section>`;
}

export function renderDocsPage(doc: Json): string {
  const byTag = new Map<string, string[]>();
  for (const [path, ops] of Object.entries((doc.paths ?? {}) as Json)) {
    for (const [method, op] of Object.entries(ops as Json)) {
      const tag = (op as Json).tags?.[0] ?? "Other";
      byTag.set(tag, [...(byTag.get(tag) ?? []), operationHtml(doc, method, path, op as Json)]);
    }
  }
  const nav = [...byTag.keys()].map((tag) => `<a href="#${escape(tag)}">${escape(tag)}</a>`).join("");
  const sections = [...byTag.entries()].map(([tag, ops]) => `<h2 id="${escape(tag)}">${escape(tag)}</h2>${ops.join("")}`).join("");
  return `<!doctype html><html lang=en><head><meta charset=utf-8><meta name=viewport content="width=device-width,initial-scale=1">
<title>${escape(doc.info?.title)} — API reference</title>
<style>
body{font:15px/1.5 system-ui,sans-serif;margin:0;color:#1f2328;display:flex}
nav{position:sticky;top:0;height:100vh;overflow:auto;min-width:200px;padding:1.5rem;background:#f6f8fa;border-right:1px solid #d0d7de}
nav a{display:block;color:#0969da;text-decoration:none;padding:.15rem 0}
main{padding:1.5rem 2.5rem;max-width:960px}
.op{border:1px solid #d0d7de;border-radius:8px;padding:.5rem 1rem;margin:1rem 0}
.m{display:inline-block;min-width:4.2em;text-align:center;border-radius:4px;color:#fff;font-size:.8em;padding:.1em .4em}
.get{background:#1f883d}.post{background:#0969da}.patch{background:#9a6700}.delete{background:#cf222e}
table{border-collapse:collapse;width:100%;font-size:.9em}td,th{border-top:1px solid #d0d7de;padding:.25rem .5rem;text-align:left;vertical-align:top}
code{font-family:ui-monospace,monospace}.or{margin:.25rem 0;font-style:italic}
</style></head><body><nav><strong>${escape(doc.info?.title)}</strong>${nav}<a href="/openapi.json">openapi.json</a></nav>
<main><h1>${escape(doc.info?.title)} API reference</h1><p>${escape(doc.info?.description ?? "")}</p>
<p>Authenticate with <code>Authorization: Bearer sk_test_…</code>. Every POST accepts an <code>Idempotency-Key</code>.
Errors: <code>{"error": {"type", "code", "message", "param"?, "request_id"}}</code>.</p>
${sections}</main></body></html>`;
}
