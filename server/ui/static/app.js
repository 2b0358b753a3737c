// iamref console: plain JavaScript, no dependencies. The token lives in this tab's
// sessionStorage and travels only in the Authorization header of same-origin API calls.
"use strict";

const KEY = "iamref.token";
const state = { token: "", org: "", scopes: [], principals: [], pages: [], page: 0, roles: new Map(), role: null, previewed: "" };

const $ = (id) => document.getElementById(id);

// el builds an element; strings become text nodes (never HTML).
function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "class") e.className = v;
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}

// fill replaces node's children, skipping null and undefined.
function fill(node, ...kids) { node.replaceChildren(...kids.flat().filter((k) => k !== null && k !== undefined)); }

function status(msg) { $("status").textContent = msg; }
function fail(err) {
  const box = $("error");
  box.textContent = err instanceof Error ? err.message : String(err);
  box.hidden = false;
}
function clearError() { $("error").hidden = true; $("error").textContent = ""; }

// api calls the JSON API as the signed-in token.
async function api(method, path, body) {
  const headers = { Authorization: "token " + state.token, Accept: "application/vnd.pulumi+8" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: "omit", cache: "no-store", referrerPolicy: "no-referrer" });
  if (res.status === 204) return null;
  const text = await res.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch (e) { data = null; }
  if (!res.ok) {
    const msg = data && data.message ? data.message : res.status + " " + res.statusText;
    const err = new Error(method + " " + path.split("?")[0] + ": " + msg);
    err.status = res.status;
    throw err;
  }
  return data;
}

const orgPath = (p) => "/api/orgs/" + encodeURIComponent(state.org) + p;
const q = (params) => {
  const s = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== "") s.set(k, v);
  const t = s.toString();
  return t ? "?" + t : "";
};

// ---- sign in ----

async function signIn(token) {
  state.token = token;
  const user = await api("GET", "/api/user");
  state.org = (user.tokenInfo && user.tokenInfo.organization) || (user.organizations[0] && user.organizations[0].githubLogin) || "";
  if (!state.org) throw new Error("this token belongs to no organization");
  sessionStorage.setItem(KEY, token);
  $("who").textContent = (user.tokenInfo ? "token " + user.tokenInfo.name : user.githubLogin) + " · organization " + state.org;
  $("signin").hidden = true;
  $("oidc-box").hidden = true;
  $("whoami").hidden = false;
  $("tabs").hidden = false;
  $("token").value = "";
  await loadCommon();
  select("explorer");
}

// exchangeIDToken trades an OIDC ID token for an access token at POST /api/oauth/token
// (RFC 8693, form-encoded exactly as the Pulumi CLI sends it) and signs in with it. The ID token
// goes only into the request body; the form field is cleared before the request is sent.
async function exchangeIDToken() {
  const idToken = $("oidc-token").value.trim();
  $("oidc-token").value = "";
  const org = $("oidc-org").value.trim();
  const type = $("oidc-type").value;
  const target = $("oidc-target").value.trim();
  const expiration = $("oidc-expiration").value.trim();
  if (!idToken) throw new Error("ID token: paste the ID token your platform issued");
  if (!org) throw new Error("organization: name the organization to sign in to");
  const form = new URLSearchParams({
    grant_type: "urn:ietf:params:oauth:grant-type:token-exchange",
    audience: "urn:pulumi:org:" + org,
    subject_token: idToken,
    subject_token_type: "urn:ietf:params:oauth:token-type:id_token",
    requested_token_type: "urn:pulumi:token-type:access_token:" + type,
  });
  if (type !== "organization") {
    if (!target) throw new Error(type === "team" ? "team name: a team token needs the team's name" : "login: a personal token needs the user's login");
    form.set("scope", (type === "team" ? "team:" : "user:") + target);
  }
  if (expiration !== "") {
    if (!/^[1-9][0-9]{0,9}$/.test(expiration)) throw new Error("expiration: give a whole number of seconds, or leave it empty for the default (2 hours)");
    form.set("expiration", expiration);
  }
  const res = await fetch("/api/oauth/token", {
    method: "POST", headers: { "Content-Type": "application/x-www-form-urlencoded", Accept: "application/json" }, body: form.toString(),
    credentials: "omit", cache: "no-store", referrerPolicy: "no-referrer",
  });
  let data = null;
  try { data = await res.json(); } catch (e) { data = null; }
  if (!res.ok || !data || typeof data.access_token !== "string" || !data.access_token) {
    const code = data && typeof data.error === "string" ? data.error : res.status + " " + res.statusText;
    const desc = data && typeof data.error_description === "string" ? ": " + data.error_description : "";
    throw new Error("token exchange refused (" + code + ")" + desc);
  }
  await signIn(data.access_token);
}

// targetField shows the team name or login field the chosen token type needs.
function targetField() {
  const type = $("oidc-type").value;
  const need = type !== "organization";
  $("oidc-target").hidden = !need;
  $("oidc-target-label").hidden = !need;
  $("oidc-target").required = need;
  $("oidc-target-label").textContent = type === "personal" ? "Login" : "Team name";
}

function signOut() {
  sessionStorage.removeItem(KEY);
  state.token = "";
  location.reload();
}

// listAll reads every page of a listing (at most 10 pages of 1,000).
async function listAll(path, key) {
  const out = [];
  let token = "";
  for (let i = 0; i < 10; i++) {
    const r = await api("GET", path + q({ maxResults: 1000, continuationToken: token }));
    out.push(...(r[key] || []));
    token = r.continuationToken || "";
    if (!token) break;
  }
  return out;
}

// fillScopes lists the scopes that act on the chosen kind of entity.
function fillScopes() {
  const kind = $("ex-entity-kind").value;
  const current = $("ex-scope").value;
  const scopes = state.scopes.filter((s) => kindOf(s) === kind);
  const pick = scopes.includes(current) ? current : scopes.find((s) => s.endsWith(":read")) || scopes[0];
  $("ex-scope").replaceChildren(...scopes.map((s) => el("option", { value: s, selected: s === pick }, s)));
}

// loadCommon reads what several screens share: the scope catalog and the principals the token
// may see (each listing that is refused is left out).
async function loadCommon() {
  state.scopes = [];
  state.scopeKind = new Map();
  try {
    const buckets = await api("GET", orgPath("/roles/scopes")); // resource type → groups → scopes
    for (const groups of Object.values(buckets)) for (const g of groups) for (const sc of g.scopes || []) {
      state.scopes.push(sc.name);
      state.scopeKind.set(sc.name, sc.metadata && sc.metadata.entityKind);
    }
  } catch (e) { /* no role:read: the explorer offers the common scopes */ }
  if (state.scopes.length === 0) state.scopes = ["stack:read", "stack:write", "stack:delete", "environment:read", "environment:open"];
  state.scopes.sort();
  fillScopes();
  const principals = [];
  const quiet = async (f) => { try { await f(); } catch (e) { /* not visible to this token */ } };
  await quiet(async () => {
    for (const t of await listAll(orgPath("/tokens"), "tokens")) principals.push({ ref: t.id, name: t.name, type: "token" });
  });
  await quiet(async () => {
    const r = await api("GET", orgPath("/teams"));
    for (const t of r.teams || []) principals.push({ ref: "team:" + t.name, name: t.name, type: "team" });
  });
  await quiet(async () => {
    for (const m of await listAll(orgPath("/members"), "members")) principals.push({ ref: "user:" + m.user.githubLogin, name: m.user.githubLogin, type: "user" });
  });
  state.principals = principals;
  $("lp-principal").replaceChildren(...principals.map((p) => el("option", { value: p.ref }, p.type + " " + p.name)));
}

// ---- tabs ----

const panels = ["explorer", "roles", "tokens", "least"];
const tabOf = { explorer: "tab-explorer", roles: "tab-roles", tokens: "tab-tokens", least: "tab-least" };

function select(name) {
  clearError();
  for (const p of panels) {
    const on = p === name;
    $(p).hidden = !on;
    const tab = $(tabOf[p]);
    tab.setAttribute("aria-selected", on ? "true" : "false");
    tab.tabIndex = on ? 0 : -1;
  }
  if (name === "roles") loadRoles().catch(fail);
  if (name === "tokens") loadTokens().catch(fail);
}

function tabKeys(ev) {
  const i = panels.findIndex((p) => $(tabOf[p]) === document.activeElement);
  if (i < 0) return;
  let j = -1;
  if (ev.key === "ArrowRight") j = (i + 1) % panels.length;
  if (ev.key === "ArrowLeft") j = (i + panels.length - 1) % panels.length;
  if (ev.key === "Home") j = 0;
  if (ev.key === "End") j = panels.length - 1;
  if (j >= 0) { ev.preventDefault(); $(tabOf[panels[j]]).focus(); select(panels[j]); }
}

// ---- access explorer ----

function kindOf(scope) {
  const known = state.scopeKind && state.scopeKind.get(scope);
  if (known) return known;
  const obj = scope.split(":")[0];
  if (obj === "stack" || obj.startsWith("stack_")) return "stack";
  if (obj === "environment" || obj.startsWith("environment_")) return "environment";
  if (obj === "insights_account" || obj.startsWith("insights_account_")) return "insights-account";
  return "org";
}

const MAX_COLUMNS = 40;

function explorerPrincipals() {
  const kind = $("ex-kind").value;
  return state.principals.filter((p) => kind === "all" || p.type === kind);
}

async function showMatrix(reset) {
  clearError();
  if (reset) { state.pages = [""]; state.page = 0; }
  const scope = $("ex-scope").value;
  const kind = kindOf(scope);
  const cursor = state.pages[state.page];
  let entities, next = "";
  if (kind === "org") {
    entities = [{ kind: "org", name: state.org, id: "" }];
  } else {
    const r = await api("GET", orgPath("/entities") + q({ kind, project: $("ex-project").value.trim(), tag: $("ex-tag").value.trim(), maxResults: $("ex-size").value, continuationToken: cursor }));
    entities = r.entities;
    next = r.continuationToken || "";
  }
  const all = explorerPrincipals();
  const principals = all.slice(0, MAX_COLUMNS);
  const checks = [];
  for (const e of entities) for (const p of principals) {
    checks.push({ principal: p.ref, action: scope, entity: kind === "org" ? { kind: "org" } : { kind, id: e.id } });
  }
  const results = [];
  for (let i = 0; i < checks.length; i += 1000) {
    const r = await api("POST", orgPath("/access/check"), { checks: checks.slice(i, i + 1000) });
    results.push(...r.results);
  }
  renderMatrix(scope, kind, entities, principals, checks, results);
  if (next && state.pages.length === state.page + 1) state.pages.push(next);
  $("ex-prev").disabled = state.page === 0;
  $("ex-next").disabled = !(state.pages.length > state.page + 1);
  $("ex-page").textContent = "Page " + (state.page + 1);
  status(entities.length + " " + (kind === "org" ? "organization" : kind + "s") + " × " + principals.length + " principals for " + scope +
    (all.length > principals.length ? " (the first " + MAX_COLUMNS + " of " + all.length + " principals: narrow them with Principals)" : ""));
}

function entityName(e) { return e.kind === "org" ? "organization " + e.name : (e.project ? e.project + "/" : "") + e.name; }

function renderMatrix(scope, kind, entities, principals, checks, results) {
  const t = $("matrix");
  const caption = el("caption", { id: "matrix-caption" }, "Who holds " + scope + " on which " + (kind === "org" ? "organization" : kind) + " (✓ allowed, ✗ denied; select a cell for why)");
  const head = el("tr", {}, el("th", { scope: "col" }, kind === "org" ? "organization" : kind), principals.map((p) => el("th", { scope: "col", title: p.ref }, el("span", { class: "ptype" }, p.type), " ", p.name)));
  const rows = entities.map((e, i) => el("tr", {},
    el("th", { scope: "row" }, entityName(e), e.tags && Object.keys(e.tags).length ? el("span", { class: "tags" }, Object.entries(e.tags).map(([k, v]) => k + "=" + v).join(", ")) : null),
    principals.map((p, j) => {
      const idx = i * principals.length + j;
      const res = results[idx];
      const ok = res && res.allowed;
      const label = (ok ? "allowed" : "denied") + ": " + p.type + " " + p.name + ", " + scope + " on " + entityName(e);
      return el("td", { class: ok ? "allow" : "deny" }, el("button", {
        type: "button", class: "cell", "aria-label": label, "data-principal": p.ref, "data-entity": e.id || "org", "data-allowed": ok ? "true" : "false",
        onclick: () => explain(label, checks[idx], res),
      }, ok ? "✓" : "✗"));
    })));
  fill(t, caption, el("thead", {}, head), el("tbody", {}, rows));
}

function explain(label, check, res) {
  $("explain").hidden = false;
  $("explain-title").textContent = label;
  const body = [];
  if (res.error) body.push(el("p", { class: "error" }, res.error));
  if (res.allowed) {
    body.push(el("p", {}, "Allowed by " + (res.grounds || []).length + " grant(s):"));
    body.push(el("ul", {}, (res.grounds || []).map((g, i) => el("li", {},
      el("div", {}, res.reasons[i] || ""),
      el("div", { class: "muted" }, (g.record ? "in " + recordName(g.record) : "in the principal's own role") + ", at " + g.path +
        (g.viaNames ? " · via " + g.viaNames.join(" → ") : "") + " · grants " + (g.scopes || []).join(", ")),
      g.condition ? el("div", { class: "muted" }, "condition: " + g.condition) : null))));
  } else {
    if (res.denial) body.push(el("p", {}, "Denied: " + res.denial.reason.replace(/-/g, " ")));
    body.push(el("ul", {}, (res.reasons || []).map((r) => el("li", {}, r))));
  }
  fill($("explain-body"), body);
  $("explain-title").focus();
}

// ---- roles ----

// loadEntityNames maps the identities of the entities the token may read to their names, so
// that grants read "myapp/prod" rather than an ID (at most 500 of each kind).
async function loadEntityNames() {
  if (state.names) return;
  state.names = new Map();
  for (const kind of ["stack", "environment", "insights-account"]) {
    try {
      const r = await api("GET", orgPath("/entities") + q({ kind, maxResults: 500 }));
      for (const e of r.entities) state.names.set(e.id, (e.project ? e.project + "/" : "") + e.name);
    } catch (e) { /* not readable: IDs stay IDs */ }
  }
}

function entityLabel(id) { const n = state.names && state.names.get(id); return n ? n : id; }

async function loadRoles() {
  await loadEntityNames();
  const purpose = $("ro-purpose").value;
  const r = await api("GET", orgPath("/roles") + q({ uxPurpose: purpose }));
  state.roles = new Map();
  const items = (r.roles || []).map((role) => {
    state.roles.set(role.id, role);
    return el("li", {}, el("button", { type: "button", class: "link", "data-role": role.id, onclick: () => viewRole(role.id).catch(fail) },
      role.name, role.defaultIdentifier ? el("span", { class: "badge" }, "built-in") : null));
  });
  $("role-list").replaceChildren(...items);
  status(items.length + " " + purpose + "(s)");
}

async function viewRole(id) {
  clearError();
  const role = await api("GET", orgPath("/roles/" + encodeURIComponent(id)));
  state.role = role;
  state.previewed = "";
  $("role-view").hidden = false;
  $("role-name").textContent = role.name + (role.defaultIdentifier ? " (built-in)" : "") + " · version " + role.version;
  $("role-desc").textContent = role.description || "";
  $("role-grants").replaceChildren(renderNode(role.details));
  $("role-edit").value = JSON.stringify(role.details, null, 2);
  $("role-diff").replaceChildren();
  $("role-save").disabled = true;
}

function recordName(id) { const r = state.roles.get(id); return r ? r.name + " (" + id + ")" : id; }

// renderNode shows a PermissionDescriptor tree as nested, readable grants.
function renderNode(n) {
  if (!n || typeof n !== "object") return el("span", {}, "nothing");
  switch (n.__type) {
    case "PermissionDescriptorAllow":
      return el("div", { class: "g allow-g" }, "allow ", (n.permissions || []).map((p) => el("code", {}, p)),
        n.constraints && n.constraints.maxOpenDuration ? el("span", { class: "muted" }, " (open at most " + n.constraints.maxOpenDuration + ")") : null);
    case "PermissionDescriptorGroup":
      return el("div", { class: "g" }, (n.entries || []).map(renderNode));
    case "PermissionDescriptorCondition":
      return el("div", { class: "g cond" }, el("div", {}, "when ", el("code", {}, renderExpr(n.condition))), renderNode(n.subNode));
    case "PermissionDescriptorIfThenElse":
      return el("div", { class: "g cond" }, el("div", {}, "if ", el("code", {}, renderExpr(n.condition))), renderNode(n.trueNode), el("div", {}, "else"), renderNode(n.falseNode));
    case "PermissionDescriptorCompose":
      return el("div", { class: "g" }, "include ", (n.permissionDescriptors || []).map((id) => el("code", {}, recordName(id))));
    default:
      return el("pre", {}, JSON.stringify(n, null, 2));
  }
}

function renderExpr(x) {
  if (!x || typeof x !== "object") return String(x);
  switch (x.__type) {
    case "PermissionExpressionEqual": return renderExpr(x.left) + " = " + renderExpr(x.right);
    case "PermissionExpressionAnd": return (x.expressions || []).map(renderExpr).join(" and ");
    case "PermissionExpressionOr": return (x.expressions || []).map(renderExpr).join(" or ");
    case "PermissionExpressionNot": return "not (" + renderExpr(x.expression) + ")";
    case "PermissionExpressionHasTag": return "has tag " + (x.key || renderExpr(x.tag));
    case "PermissionExpressionTag": return "tag " + (x.key || "") + (x.value ? "=" + x.value : "");
    case "PermissionExpressionStack": return "the stack";
    case "PermissionExpressionEnvironment": return "the environment";
    case "PermissionExpressionInsightsAccount": return "the insights account";
    case "PermissionExpressionTeam": return "the team";
    case "PermissionLiteralExpressionStack": case "PermissionLiteralExpressionEnvironment": case "PermissionLiteralExpressionInsightsAccount":
      return "“" + entityLabel(x.identity) + "”";
    case "PermissionSetExpressionStack": case "PermissionSetExpressionEnvironment": case "PermissionSetExpressionInsightsAccount":
      return "{" + (x.identities || []).map((i) => "“" + entityLabel(i) + "”").join(", ") + "}";
    case "PermissionExpressionIn": return renderExpr(x.target) + " in " + renderExpr(x.values);
    case "PermissionLiteralExpressionString": return JSON.stringify(x.value);
    default: return JSON.stringify(x);
  }
}

function editedDetails() {
  try { return JSON.parse($("role-edit").value); } catch (e) { throw new Error("details: not valid JSON (" + e.message + ")"); }
}

async function previewRole() {
  clearError();
  const details = editedDetails();
  const r = await api("POST", orgPath("/roles/" + encodeURIComponent(state.role.id) + "/preview"), { details });
  const out = [];
  if (r.refused) out.push(el("p", { class: "error" }, "Saving would be refused: " + r.refused));
  out.push(el("p", {}, r.changes.length + " change(s) across " + r.principals + " principal(s) and " + r.entitiesScanned + " entities" +
    (r.hiddenPrincipals ? "; " + r.hiddenPrincipals + " principal(s) you may not read left out" : "") +
    (r.hiddenEntities ? "; " + r.hiddenEntities + " entities you may not read left out" : "") + (r.truncated ? " (truncated)" : "")));
  if (r.changes.length) {
    out.push(el("table", { id: "diff-table" },
      el("caption", {}, "What changes if you save"),
      el("thead", {}, el("tr", {}, ["Principal", "Entity", "Gains", "Loses"].map((h) => el("th", { scope: "col" }, h)))),
      el("tbody", {}, r.changes.map((c) => el("tr", {},
        el("td", {}, c.principalType + " " + c.principalName),
        el("td", {}, c.entity.kind === "org" ? "organization" : c.entity.kind + " " + (c.entity.project ? c.entity.project + "/" : "") + c.entity.name),
        el("td", { class: "gain" }, c.gained.map((s) => "+ " + s).join(", ")),
        el("td", { class: "loss" }, c.lost.map((s) => "− " + s).join(", ")))))));
  }
  fill($("role-diff"), out);
  state.previewed = r.refused ? "" : JSON.stringify(details);
  $("role-save").disabled = !state.previewed;
}

async function saveRole() {
  clearError();
  const details = editedDetails();
  if (JSON.stringify(details) !== state.previewed) { fail("the details changed since the preview: preview again before saving"); return; }
  await api("PATCH", orgPath("/roles/" + encodeURIComponent(state.role.id)), { details, version: state.role.version });
  status("saved " + state.role.name);
  await viewRole(state.role.id);
}

// ---- tokens ----

const SOON = 7 * 24 * 3600;

function when(unix) { return unix ? new Date(unix * 1000).toISOString().replace("T", " ").slice(0, 16) + " UTC" : "never"; }

async function loadTokens() {
  const tokens = await listAll(orgPath("/tokens"), "tokens");
  const now = Date.now() / 1000;
  const rows = tokens.map((t) => {
    const expired = t.expires && t.expires <= now;
    const soon = t.expires && !expired && t.expires - now < SOON;
    const revoke = el("button", { type: "button", class: "danger", "data-token": t.id, "aria-label": "Revoke token " + t.name }, "Revoke");
    revoke.addEventListener("click", () => {
      if (revoke.dataset.confirm !== "1") {
        revoke.dataset.confirm = "1";
        revoke.textContent = "Confirm revoke";
        revoke.setAttribute("aria-label", "Confirm: revoke token " + t.name + " now");
        return;
      }
      api("DELETE", orgPath("/tokens/" + encodeURIComponent(t.id))).then(() => { status("revoked " + t.name); return loadTokens(); }).catch(fail);
    });
    return el("tr", { class: soon ? "soon-row" : expired ? "expired-row" : "", "data-token-row": t.id },
      el("th", { scope: "row" }, t.name),
      el("td", {}, t.admin ? "admin (legacy)" : t.role ? t.role.name : ""),
      el("td", {}, when(t.expires), soon ? el("span", { class: "soon" }, " expires soon") : null, expired ? el("span", { class: "expired" }, " expired") : null),
      el("td", {}, t.lastUsed ? when(t.lastUsed) : "never used"),
      el("td", {}, t.createdBy || ""),
      el("td", {}, revoke));
  });
  fill($("token-table"),
    el("caption", {}, "Organization access tokens"),
    el("thead", {}, el("tr", {}, ["Name", "Role", "Expires", "Last used", "Created by", ""].map((h) => el("th", { scope: "col" }, h)))),
    el("tbody", {}, rows));
  status(rows.length + " token(s)");
}

// ---- least privilege ----

function download(name, text) {
  const a = el("a", { href: URL.createObjectURL(new Blob([text], { type: "text/plain" })), download: name }, "Download " + name);
  return a;
}

async function analyse() {
  clearError();
  const r = await api("GET", orgPath("/usage") + q({ principal: $("lp-principal").value, days: $("lp-days").value }));
  const usedSet = new Set(r.used.map((u) => u.scope));
  fill($("least-out"),
    el("p", {}, "Since " + r.since + " (" + r.days + " days), " + r.tokens.length + " token(s): holds " + r.held.length + " scope(s), used " + r.used.length + "."),
    el("table", { id: "usage-table" },
      el("caption", {}, "Scopes held vs. used"),
      el("thead", {}, el("tr", {}, ["Scope", "Held", "Requests", "Last used"].map((h) => el("th", { scope: "col" }, h)))),
      el("tbody", {}, [...new Set([...r.held, ...r.used.map((u) => u.scope)])].sort().map((s) => {
        const u = r.used.find((x) => x.scope === s);
        return el("tr", { class: usedSet.has(s) ? "" : "unused" }, el("th", { scope: "row" }, s), el("td", {}, r.held.includes(s) ? "yes" : "no"),
          el("td", {}, u ? String(u.count) : "unused"), el("td", {}, u ? u.lastDay : ""));
      }))),
    el("h3", {}, "Suggested role"),
    r.suggested.notes.length ? el("ul", {}, r.suggested.notes.map((n) => el("li", {}, n))) : null,
    el("h4", {}, "Pulumi YAML"), el("pre", { id: "lp-yaml", tabindex: "0" }, r.suggested.pulumiYaml), download("least-privilege.yaml", r.suggested.pulumiYaml),
    el("h4", {}, "Terraform"), el("pre", { id: "lp-hcl", tabindex: "0" }, r.suggested.terraform), download("least-privilege.tf", r.suggested.terraform));
}

// ---- wiring ----

function wire() {
  $("signin").addEventListener("submit", (ev) => {
    ev.preventDefault();
    clearError();
    signIn($("token").value.trim()).catch((e) => { state.token = ""; fail(e); });
  });
  $("oidc-signin").addEventListener("submit", (ev) => {
    ev.preventDefault();
    clearError();
    const button = $("oidc-signin").querySelector("button[type=submit]");
    button.disabled = true; // one exchange at a time
    exchangeIDToken().catch((e) => { state.token = ""; sessionStorage.removeItem(KEY); fail(e); }).finally(() => { button.disabled = false; });
  });
  $("oidc-type").addEventListener("change", targetField);
  $("signout").addEventListener("click", signOut);
  for (const p of panels) $(tabOf[p]).addEventListener("click", () => select(p));
  $("tabs").addEventListener("keydown", tabKeys);
  $("ex-entity-kind").addEventListener("change", fillScopes);
  $("explorer-form").addEventListener("submit", (ev) => { ev.preventDefault(); showMatrix(true).catch(fail); });
  $("ex-next").addEventListener("click", () => { state.page++; showMatrix(false).catch(fail); });
  $("ex-prev").addEventListener("click", () => { state.page = Math.max(0, state.page - 1); showMatrix(false).catch(fail); });
  $("explain-close").addEventListener("click", () => { $("explain").hidden = true; });
  $("ro-purpose").addEventListener("change", () => loadRoles().catch(fail));
  $("role-preview").addEventListener("click", () => previewRole().catch(fail));
  $("role-save").addEventListener("click", () => saveRole().catch(fail));
  $("role-edit").addEventListener("input", () => { $("role-save").disabled = true; });
  $("least-form").addEventListener("submit", (ev) => { ev.preventDefault(); analyse().catch(fail); });
  const saved = sessionStorage.getItem(KEY);
  if (saved) signIn(saved).catch((e) => { sessionStorage.removeItem(KEY); state.token = ""; fail(e); });
}

document.addEventListener("DOMContentLoaded", wire);
