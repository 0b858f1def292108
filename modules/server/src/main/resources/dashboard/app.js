'use strict';
// Codex Ledger dashboard: signs in with an API key and draws what the API answers. No data is embedded.
(function () {
  const DAY = 86400;
  const PALETTE = ['#2f6fed', '#e8590c', '#2f9e44', '#ae3ec9', '#f08c00', '#1098ad', '#d6336c', '#5c7cfa', '#868e96'];
  const SERIES = [
    ['daily_users_by_surface', 'Daily users by surface'],
    ['user_activity', 'Sessions and messages per user'],
    ['usage_by_model', 'Usage by model'],
    ['code_review_users', 'Code review users and reviews'],
    ['code_review_findings', 'Code review findings and feedback'],
    ['cloud_tasks', 'Cloud users and tasks'],
    ['cli_ide_users', 'CLI and IDE extension users'],
    ['budget_by_team', 'Budget consumption by team'],
  ];
  const session = { workspace: null, key: null, person: null };
  const charts = {};
  let users = [];
  let sort = { key: 'credits', dir: 'desc' };
  let searchCursor = null;

  const $ = (id) => document.getElementById(id);

  class ApiError extends Error {
    constructor(status, body) {
      super((body && body.error) || ('HTTP ' + status));
      this.status = status;
      this.field = body && body.field;
    }
  }

  async function call(path) {
    // signed in with SSO: the session cookie (HttpOnly) goes with every same-origin request instead of a key
    const response = await fetch(path, { headers: session.key ? { Authorization: 'Bearer ' + session.key } : {} });
    if (!response.ok) {
      let body = null;
      try { body = await response.json(); } catch (e) { /* not JSON */ }
      throw new ApiError(response.status, body);
    }
    return response;
  }

  const json = async (path) => (await call(path)).json();
  const ws = () => encodeURIComponent(session.workspace);
  const analytics = (rest) => '/v1/analytics/codex/workspaces/' + ws() + rest;

  function period() {
    const days = Number($('range').value);
    const now = new Date();
    const end = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1) / 1000;
    return { start: end - days * DAY, end: end, groupBy: $('group-by').value };
  }

  function text(value) {
    return document.createTextNode(value == null ? '' : String(value));
  }

  function cell(row, value, numeric) {
    const td = document.createElement('td');
    if (value instanceof Node) td.appendChild(value); else td.appendChild(text(value));
    if (numeric) td.className = 'num';
    row.appendChild(td);
    return td;
  }

  function fill(tableId, rows, render, emptyText) {
    const body = $(tableId).querySelector('tbody');
    body.replaceChildren();
    if (rows.length === 0 && emptyText) {
      const tr = document.createElement('tr');
      const td = cell(tr, emptyText);
      td.colSpan = $(tableId).querySelectorAll('thead th').length;
      td.className = 'muted';
      body.appendChild(tr);
      return;
    }
    rows.forEach((item) => {
      const tr = document.createElement('tr');
      render(tr, item);
      body.appendChild(tr);
    });
  }

  const plural = (n, noun) => n + ' ' + noun + (n === 1 ? '' : 's');
  const number = (n) => Number(n).toLocaleString('en-US');
  const credits = (n) => Number(n).toLocaleString('en-US', { maximumFractionDigits: 2 });

  function explain(noteId, error) {
    $(noteId).textContent = error.status === 403
      ? 'This key may not read this (' + error.message + ').'
      : 'Could not load: ' + error.message;
  }

  // ---------------------------------------------------------------- sign in

  async function signIn(workspace, key) {
    session.workspace = workspace;
    session.key = key;
    await json(analytics('/usage?limit=1'));
    sessionStorage.setItem('ledger.workspace', workspace);
    if (key) sessionStorage.setItem('ledger.key', key);
    $('sign-in').hidden = true;
    $('app').hidden = false;
    $('sign-out').hidden = false;
    $('whoami').textContent = (session.person ? session.person + ' · ' : '') + 'workspace ' + workspace;
    renderExports();
    await refresh();
  }

  async function signOut() {
    sessionStorage.removeItem('ledger.workspace');
    sessionStorage.removeItem('ledger.key');
    if (session.person) {
      const answer = await fetch('/auth/logout', { method: 'POST', headers: { 'X-Ledger-Csrf': '1' } });
      const body = answer.ok ? await answer.json() : {};
      if (body.end_session_url) { // signed out here; the identity provider may still remember the person
        sessionStorage.setItem('ledger.idp-logout', body.end_session_url);
      }
    }
    location.reload();
  }

  /** Single sign-on: offer it when the ledger has it; when signed in, choose among the granted workspaces. */
  async function offerSso() {
    const config = await (await fetch('/auth/config')).json();
    if (!config.sso) return false;
    $('sso').hidden = false;
    const idpLogout = sessionStorage.getItem('ledger.idp-logout');
    if (idpLogout) { // after a sign-out: offer to end the identity provider's session too (shared machines)
      $('sso-idp-logout').href = idpLogout;
      $('sso-idp-logout').hidden = false;
    }
    const answer = await fetch('/auth/session');
    if (!answer.ok) return false;
    const me = await answer.json();
    session.person = me.name || me.subject;
    $('sign-in-form').hidden = true;
    $('sso').hidden = true;
    $('sso-workspace-form').hidden = false;
    $('sso-name').textContent = session.person;
    const concrete = [...new Set(me.grants.map((g) => g.workspace).filter((w) => w !== '*'))];
    $('sso-workspaces').replaceChildren(...concrete.map((w) => { const o = document.createElement('option'); o.value = w; return o; }));
    if (concrete.length > 0) $('sso-workspace').value = concrete[0];
    if (concrete.length === 1 && !me.grants.some((g) => g.workspace === '*')) {
      await signIn(concrete[0], null);
    }
    return true;
  }

  // ---------------------------------------------------------------- analytics

  async function usageBuckets(p) {
    const rows = [];
    let page = '';
    do {
      const answer = await json(analytics('/usage?start_time=' + p.start + '&end_time=' + p.end + '&group_by='
        + p.groupBy + '&limit=1000' + (page ? '&page=' + encodeURIComponent(page) : '')));
      rows.push(...answer.data);
      page = answer.has_more ? answer.next_page : '';
    } while (page);
    return rows;
  }

  function stacked(id, labels, datasets, type) {
    if (charts[id]) charts[id].destroy();
    charts[id] = new window.Chart($(id), {
      type: type || 'bar',
      data: { labels: labels, datasets: datasets },
      options: {
        responsive: true, maintainAspectRatio: false, animation: false,
        interaction: { mode: 'index', intersect: false },
        scales: type === 'line' ? { y: { beginAtZero: true } }
          : { x: { stacked: true }, y: { stacked: true, beginAtZero: true } },
        plugins: { legend: { position: 'bottom' } },
      },
    });
  }

  function byKey(buckets, list, key, value) {
    const names = [...new Set(buckets.flatMap((b) => b[list].map((x) => x[key])))].sort();
    return names.map((name, i) => ({
      label: name,
      backgroundColor: PALETTE[i % PALETTE.length],
      borderColor: PALETTE[i % PALETTE.length],
      data: buckets.map((b) => {
        const found = b[list].find((x) => x[key] === name);
        return found ? value(found) : 0;
      }),
    })).filter((d) => d.data.some((v) => v > 0));
  }

  async function loadUsage(p) {
    const buckets = await usageBuckets(p);
    const labels = buckets.map((b) => b.date);
    stacked('chart-users', labels, byKey(buckets, 'by_surface', 'surface', (s) => s.active_users));
    stacked('chart-credits', labels, byKey(buckets, 'by_model', 'model', (m) => Number(m.credits)));
    stacked('chart-tokens', labels, byKey(buckets, 'by_model', 'model', (m) => m.tokens.total));
    stacked('chart-activity', labels, [
      { label: 'Threads', data: buckets.map((b) => b.threads), borderColor: PALETTE[0], backgroundColor: PALETTE[0] },
      { label: 'Turns', data: buckets.map((b) => b.turns), borderColor: PALETTE[1], backgroundColor: PALETTE[1] },
    ], 'line');
    const surface = (b, name, f) => { const s = b.by_surface.find((x) => x.surface === name); return s ? f(s) : 0; };
    const one = (id, label, values, color) => stacked(id, labels,
      [{ label: label, data: values, backgroundColor: PALETTE[color], borderColor: PALETTE[color] }]);
    one('chart-cli-users', 'Active users', buckets.map((b) => surface(b, 'cli', (s) => s.active_users)), 0);
    one('chart-ide-users', 'Active users', buckets.map((b) => surface(b, 'ide', (s) => s.active_users)), 1);
    // a cloud task: a thread (conversation) started on the cloud surface, counted on the day of its first record
    one('chart-cloud-tasks', 'Tasks', buckets.map((b) => surface(b, 'cloud', (s) => s.threads)), 2);
    one('chart-cloud-users', 'Active users', buckets.map((b) => surface(b, 'cloud', (s) => s.active_users)), 3);
    const sum = (f) => buckets.reduce((total, b) => total + f(b), 0);
    $('kpi-threads').textContent = number(sum((b) => b.threads));
    $('kpi-turns').textContent = number(sum((b) => b.turns));
    $('kpi-credits').textContent = credits(sum((b) => Number(b.credits)));
    $('kpi-tokens').textContent = number(sum((b) => b.tokens.total));
  }

  async function pages(path) {
    const rows = [];
    let page = '';
    do {
      const answer = await json(path + '&limit=1000' + (page ? '&page=' + encodeURIComponent(page) : ''));
      rows.push(...answer.data);
      page = answer.has_more ? answer.next_page : '';
    } while (page);
    return rows;
  }

  /** Code review users, reviews, findings by priority and feedback, per day or week like the other charts. */
  async function loadReviews(p) {
    const range = '?start_time=' + p.start + '&end_time=' + p.end + '&group_by=' + p.groupBy;
    const [reviews, responses] = await Promise.all([pages(analytics('/code_reviews' + range)),
      pages(analytics('/code_review_responses' + range))]);
    const labels = reviews.map((b) => b.date);
    const series = (label, data, color) => ({ label: label, data: data, backgroundColor: PALETTE[color], borderColor: PALETTE[color] });
    stacked('chart-review-users', labels, [series('Users', reviews.map((b) => b.users), 4)]);
    stacked('chart-reviews', labels, [series('Reviews', reviews.map((b) => b.reviews), 5)]);
    stacked('chart-review-priority', labels, ['P0', 'P1', 'P2'].map((level, i) =>
      series(level, reviews.map((b) => b.comments_by_priority[level]), [6, 4, 8][i])));
    stacked('chart-review-feedback', responses.map((b) => b.date), [
      series('Positive', responses.map((b) => b.reactions.positive), 2),
      series('Negative', responses.map((b) => b.reactions.negative), 6),
      series('Replies', responses.map((b) => b.replies), 0),
    ]);
  }

  /** Codex sessions per day as the policy judge found them (days, whatever the grouping of the other charts). */
  async function loadCompliance(p) {
    const answer = await json(analytics('/policy_compliance?start_time=' + p.start + '&end_time=' + p.end));
    const days = answer.data;
    stacked('chart-compliance', days.map((d) => d.date), [
      { label: 'Compliant', data: days.map((d) => d.compliant), backgroundColor: PALETTE[2] },
      { label: 'Violation', data: days.map((d) => d.violation), backgroundColor: PALETTE[6] },
      { label: 'Unknown', data: days.map((d) => d.unknown), backgroundColor: PALETTE[4] },
      { label: 'No rule', data: days.map((d) => d.unruled), backgroundColor: PALETTE[8] },
    ]);
    const judged = days.reduce((n, d) => n + d.sessions - d.unruled, 0);
    const compliant = days.reduce((n, d) => n + d.compliant, 0);
    $('compliance-share').textContent = judged ? Math.round(compliant * 100 / judged) + '% compliant' : '';
  }

  async function loadUsers(p) {
    const answer = await json(analytics('/users?start_time=' + p.start + '&end_time=' + p.end + '&limit=1000'));
    users = answer.data;
    $('kpi-users').textContent = number(users.length) + (answer.has_more ? '+' : '');
    renderUsers();
  }

  function renderUsers() {
    const value = (u, key) => key === 'tokens' ? u.tokens.total : (key === 'user_id' ? u.user_id : Number(u[key]));
    const sorted = users.slice().sort((a, b) => {
      const x = value(a, sort.key);
      const y = value(b, sort.key);
      const order = typeof x === 'string' ? x.localeCompare(y) : x - y;
      return (sort.dir === 'asc' ? order : -order) || a.user_id.localeCompare(b.user_id);
    });
    document.querySelectorAll('#users-table th').forEach((th) => {
      th.setAttribute('aria-sort', th.dataset.key === sort.key ? (sort.dir === 'asc' ? 'ascending' : 'descending') : 'none');
    });
    fill('users-table', sorted, (tr, u) => {
      cell(tr, u.user_id);
      cell(tr, credits(u.credits), true);
      cell(tr, number(u.threads), true);
      cell(tr, number(u.turns), true);
      cell(tr, number(u.tokens.total), true);
      cell(tr, u.streak, true);
    }, 'No activity in this period.');
  }

  async function loadBudgets(p) {
    try {
      const answer = await json(analytics('/exports/budget_by_team?format=json&start_time=' + p.start + '&end_time=' + p.end));
      const rows = answer.data.filter((b) => b.level !== 'user');
      fill('budgets-table', rows, (tr, b) => {
        cell(tr, b.level);
        cell(tr, b.name);
        cell(tr, b.window);
        cell(tr, credits(Number(b.spent) + Number(b.reserved)), true);
        cell(tr, credits(b.cap), true);
        const meter = document.createElement('div');
        meter.className = 'meter' + (b.used_percent >= 100 ? ' bad' : (b.threshold_state !== 'ok' ? ' warn' : ''));
        meter.title = b.used_percent + ' %';
        const bar = document.createElement('div');
        bar.style.width = Math.min(100, b.used_percent) + '%';
        meter.appendChild(bar);
        cell(tr, meter);
        const state = cell(tr, b.threshold_state);
        state.className = b.threshold_state === 'ok' ? 'state-ok' : 'state-crossed';
        cell(tr, b.resets_at.replace('T', ' ').replace('Z', ' UTC'));
      }, 'No budgets set for teams or the organisation.');
      $('budgets-note').textContent = '';
    } catch (e) {
      fill('budgets-table', [], () => {});
      explain('budgets-note', e);
    }
  }

  function renderExports() {
    const box = $('exports');
    box.replaceChildren();
    SERIES.forEach(([series, title]) => {
      ['csv', 'json'].forEach((format) => {
        const button = document.createElement('button');
        button.className = 'secondary';
        button.id = 'export-' + series + '-' + format;
        button.textContent = title + ' (' + format.toUpperCase() + ')';
        button.addEventListener('click', () => {
          const p = period();
          download(analytics('/exports/' + series + '?format=' + format + '&start_time=' + p.start + '&end_time=' + p.end),
            session.workspace + '-' + series + '.' + format);
        });
        box.appendChild(button);
      });
    });
  }

  async function download(path, name) {
    const blob = await (await call(path)).blob();
    const link = document.createElement('a');
    link.href = URL.createObjectURL(blob);
    link.download = name;
    document.body.appendChild(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(link.href), 10000);
  }

  // ---------------------------------------------------------------- compliance

  const records = (query) => '/v1/workspaces/' + ws() + '/records?' + query;

  function summary(r) {
    const codex = (r.attributes && r.attributes.codex) || {};
    return r.prompt || r.response || r.action || codex.tool_name || '';
  }

  async function loadFindings(p) {
    try {
      const from = new Date(p.start * 1000).toISOString();
      let kept = [];
      let cursor = '';
      for (let pages = 0; pages < 5; pages++) {
        const answer = await json(records('event_type=CODEX_SECURITY_LOG&limit=200&from=' + encodeURIComponent(from)
          + (cursor ? '&cursor=' + encodeURIComponent(cursor) : '')));
        kept = kept.concat(answer.records).slice(-50);
        cursor = answer.next_cursor;
        if (!cursor) break;
      }
      fill('findings-table', kept.reverse(), (tr, r) => {
        const codex = (r.attributes && r.attributes.codex) || {};
        cell(tr, r.timestamp);
        cell(tr, r.user ? r.user.id : '');
        cell(tr, r.action || '');
        const attributes = r.attributes || {};
        cell(tr, codex.tool_name || attributes.tool_name || '');
        cell(tr, codex.decision || '');
        cell(tr, r.action === 'policy.finding' ? attributes.rule + ': ' + (attributes.actual || attributes.verdict) : '');
      }, 'No security records in this period.');
      $('findings-note').textContent = 'Latest of the period: ' + plural(kept.length, 'security record') + '.';
    } catch (e) {
      fill('findings-table', [], () => {});
      explain('findings-note', e);
    }
  }

  function searchQuery() {
    const params = new URLSearchParams();
    if ($('search-q').value.trim()) params.set('q', $('search-q').value.trim());
    if ($('search-user').value.trim()) params.set('user', $('search-user').value.trim());
    if ($('search-type').value) params.set('event_type', $('search-type').value);
    if ($('search-from').value) params.set('from', $('search-from').value + 'T00:00:00Z');
    if ($('search-to').value) params.set('to', $('search-to').value + 'T23:59:59.999999Z');
    return params;
  }

  async function search(more) {
    const params = searchQuery();
    params.set('limit', '50');
    if (more && searchCursor) params.set('cursor', searchCursor);
    try {
      const answer = await json(records(params.toString()));
      const body = $('search-table').querySelector('tbody');
      if (!more) body.replaceChildren();
      answer.records.forEach((r) => {
        const tr = document.createElement('tr');
        cell(tr, r.seq, true);
        cell(tr, r.timestamp);
        cell(tr, r.event_type);
        cell(tr, r.user ? r.user.id : '');
        cell(tr, summary(r)).className = 'summary';
        body.appendChild(tr);
      });
      searchCursor = answer.next_cursor;
      $('search-note').textContent = plural(body.children.length, 'record') + ' shown'
        + (searchCursor ? '; more may match.' : '.');
      $('search-more').hidden = !searchCursor;
    } catch (e) {
      explain('search-note', e);
    }
  }

  async function loadHolds() {
    try {
      const answer = await json('/v1/compliance/workspaces/' + ws() + '/holds');
      fill('holds-table', answer.holds, (tr, h) => {
        cell(tr, h.name);
        cell(tr, h.state);
        cell(tr, (h.custodians || []).join(', '));
        cell(tr, h.created_at);
        cell(tr, h.created_by);
      }, 'No legal holds.');
      $('holds-note').textContent = '';
    } catch (e) {
      fill('holds-table', [], () => {});
      explain('holds-note', e);
    }
  }

  /** The stream destinations taking this workspace's records, with this workspace's delivery (admin keys). */
  async function loadStreams() {
    try {
      const answer = await json('/v1/admin/streams?workspace=' + ws());
      fill('streams-table', answer.data, (tr, d) => {
        const mine = (d.status.workspaces || []).find((w) => w.workspace === session.workspace) || {};
        cell(tr, d.name);
        cell(tr, d.type + (d.workspace ? '' : ' (all workspaces)'));
        const state = cell(tr, d.status.state + (mine.expiry_warning ? ' — records expire before delivery' : ''));
        state.className = d.status.state === 'up_to_date' ? 'state-ok' : 'state-crossed';
        cell(tr, number(mine.lag_records || 0), true);
        cell(tr, number(mine.lag_seconds || 0), true);
        cell(tr, number(mine.delivered || 0), true);
        cell(tr, number(mine.failed_deliveries || 0), true);
        cell(tr, mine.last_error || '');
      }, 'No stream destinations take this workspace\'s records.');
      $('streams-note').textContent = '';
    } catch (e) {
      fill('streams-table', [], () => {});
      explain('streams-note', e);
    }
  }

  // ---------------------------------------------------------------- wiring

  async function refresh() {
    const p = period();
    document.body.dataset.loading = 'true';
    try {
      await Promise.all([loadUsage(p), loadUsers(p), loadCompliance(p), loadReviews(p), loadBudgets(p), loadFindings(p), loadHolds(), loadStreams()]);
      $('updated').textContent = 'Updated ' + new Date().toLocaleTimeString();
    } catch (e) {
      $('updated').textContent = 'Could not load: ' + e.message;
    } finally {
      document.body.dataset.loading = 'false';
    }
  }

  document.addEventListener('DOMContentLoaded', () => {
    window.ledgerCharts = charts;
    $('sign-in-form').addEventListener('submit', async (event) => {
      event.preventDefault();
      $('sign-in-error').textContent = '';
      try {
        await signIn($('workspace').value.trim(), $('api-key').value.trim());
      } catch (e) {
        $('sign-in-error').textContent = e.status === 401 ? 'Unknown or revoked key.'
          : e.status === 403 ? 'This key may not read this workspace\'s analytics.' : e.message;
      }
    });
    $('sign-out').addEventListener('click', signOut);
    $('refresh').addEventListener('click', refresh);
    $('range').addEventListener('change', refresh);
    $('group-by').addEventListener('change', refresh);
    document.querySelectorAll('#users-table th').forEach((th) => th.addEventListener('click', () => {
      sort = { key: th.dataset.key, dir: sort.key === th.dataset.key && sort.dir === 'desc' ? 'asc' : 'desc' };
      renderUsers();
    }));
    $('search-form').addEventListener('submit', (event) => { event.preventDefault(); search(false); });
    $('search-more').addEventListener('click', () => search(true));
    $('search-export').addEventListener('click', () => {
      download('/v1/workspaces/' + ws() + '/records/export?' + searchQuery().toString(), session.workspace + '-audit.jsonl');
    });
    $('sso-workspace-form').addEventListener('submit', async (event) => {
      event.preventDefault();
      $('sso-error').textContent = '';
      try {
        await signIn($('sso-workspace').value.trim(), null);
      } catch (e) {
        $('sso-error').textContent = e.status === 403 ? 'Your groups give no access to this workspace\'s analytics.' : e.message;
      }
    });
    $('sso-sign-out').addEventListener('click', signOut);
    const saved = sessionStorage.getItem('ledger.key');
    if (saved) {
      signIn(sessionStorage.getItem('ledger.workspace'), saved).catch(() => signOut());
    } else {
      offerSso().catch((e) => { $('sign-in-error').textContent = 'Single sign-on: ' + e.message; });
    }
  });
})();
