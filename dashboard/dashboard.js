// quota-proxy dashboard: plain JavaScript, no dependencies, no build step.
// Every value from the server is put into the page as text (textContent, SVG attributes), never as
// HTML. The admin key lives in sessionStorage (this tab only) and goes in an Authorization header;
// no cookie is used, so other sites cannot make the browser act with it.
(function () {
  'use strict';

  const KEY_NAME = 'quota-proxy-admin-key';
  const FAST_MS = 5000;     // services, accounts, live request log
  const SLOW_MS = 15000;    // timeline, warmups
  const SVG_NS = 'http://www.w3.org/2000/svg';

  let adminKey = sessionStorage.getItem(KEY_NAME) || '';
  let timers = [];
  let lastAccounts = null;
  let threshold = 10;

  // ---------- small helpers ----------

  const $ = (id) => document.getElementById(id);

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) {
      if (value === undefined || value === null || value === false) continue;
      if (name === 'class') node.className = value;
      else if (name === 'text') node.textContent = String(value);
      else if (name.startsWith('data-')) node.setAttribute(name, String(value));
      else if (name === 'title') node.title = String(value);
      else if (name === 'type') node.type = value;
      else node.setAttribute(name, String(value));
    }
    for (const child of children.flat(Infinity)) {
      if (child === undefined || child === null || child === false || child === '') continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  function svg(tag, attrs, ...children) {
    const node = document.createElementNS(SVG_NS, tag);
    for (const [name, value] of Object.entries(attrs || {})) {
      if (value !== undefined && value !== null) node.setAttribute(name, String(value));
    }
    for (const child of children) if (child) node.append(child);
    return node;
  }

  function svgTitle(text) {
    const title = document.createElementNS(SVG_NS, 'title');
    title.textContent = text;
    return title;
  }

  function pill(text, kind, title) {
    return el('span', { class: 'pill ' + (kind || 'plain'), text, title });
  }

  function percentText(value) {
    if (typeof value !== 'number' || !isFinite(value)) return '?';
    return (Math.round(value * 10) / 10).toString() + '%';
  }

  function duration(seconds) {
    seconds = Math.max(0, Math.round(seconds));
    const d = Math.floor(seconds / 86400), h = Math.floor(seconds % 86400 / 3600);
    const m = Math.floor(seconds % 3600 / 60), s = seconds % 60;
    if (d > 0) return d + 'd' + h + 'h';
    if (h > 0) return h + 'h' + String(m).padStart(2, '0') + 'm';
    if (m > 0) return m + 'm' + String(s).padStart(2, '0') + 's';
    return s + 's';
  }

  function localTime(iso) {
    if (!iso) return '';
    const date = new Date(iso);
    if (isNaN(date)) return String(iso);
    return date.toLocaleString([], { month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' });
  }

  function hhmm(ms) {
    return new Date(ms).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  }

  // A span that counts down to (or up from) `iso`, updated every second by tick().
  function countdown(iso, prefixFuture, prefixPast) {
    const span = el('span', { class: 'countdown' });
    const at = Date.parse(iso);
    if (!iso || isNaN(at)) { span.textContent = ''; return span; }
    span.dataset.at = String(at);
    span.dataset.future = prefixFuture || 'in ';
    span.dataset.past = prefixPast || '';
    span.title = localTime(iso);
    renderCountdown(span, Date.now());
    return span;
  }

  function renderCountdown(span, now) {
    const at = Number(span.dataset.at);
    const delta = (at - now) / 1000;
    if (delta > 0) span.textContent = span.dataset.future + duration(delta);
    else span.textContent = span.dataset.past ? span.dataset.past.replace('%', duration(-delta)) : 'passed';
  }

  function tick() {
    const now = Date.now();
    document.querySelectorAll('span.countdown[data-at]').forEach((span) => renderCountdown(span, now));
  }

  function toast(message, bad) {
    const box = $('toast');
    box.textContent = message;
    box.className = bad ? 'bad' : '';
    box.hidden = false;
    clearTimeout(toast.timer);
    toast.timer = setTimeout(() => { box.hidden = true; }, 6000);
  }

  // ---------- the admin API ----------

  class ApiError extends Error {
    constructor(status, code, message) { super(message); this.status = status; this.code = code; }
  }

  async function api(method, path, body, raw) {
    const headers = {};
    if (adminKey) headers['Authorization'] = 'Bearer ' + adminKey;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    let response;
    try {
      response = await fetch('/admin/api/' + path, {
        method, headers, body: body === undefined ? undefined : JSON.stringify(body),
        cache: 'no-store', credentials: 'omit', redirect: 'error',
      });
    } catch (error) {
      throw new ApiError(0, 'network', 'the proxy does not answer (' + error.message + ')');
    }
    if (raw && response.ok) return response;
    let data = null;
    try { data = await response.json(); } catch (_) { data = null; }
    if (!response.ok) {
      const error = (data && data.error) || {};
      const failure = new ApiError(response.status, error.code || 'http_' + response.status, error.message || response.statusText);
      if (response.status === 401 || (response.status === 403 && error.code === 'no_admin_key')) signOut(failure.message);
      throw failure;
    }
    return data;
  }

  // ---------- sign in / out ----------

  function showSignedIn(on) {
    document.body.classList.toggle('signed-in', on);
    $('login').hidden = on;
    $('app').hidden = !on;
    $('conn-state').textContent = on ? 'signed in' : 'signed out';
  }

  function signOut(message) {
    adminKey = '';
    sessionStorage.removeItem(KEY_NAME);
    timers.forEach(clearInterval);
    timers = [];
    showSignedIn(false);
    $('login-error').textContent = message || '';
  }

  async function signIn(key) {
    adminKey = key;
    $('login-error').textContent = '';
    try {
      await api('GET', 'session');
    } catch (error) {
      if (adminKey) signOut(error.message);
      return;
    }
    sessionStorage.setItem(KEY_NAME, key);
    showSignedIn(true);
    start();
  }

  // Without a key: tells whether an admin key is configured at all (403 no_admin_key says how).
  async function probe() {
    try {
      const response = await fetch('/admin/api/session', { cache: 'no-store', credentials: 'omit' });
      if (response.status === 403) {
        const data = await response.json();
        $('login-error').textContent = (data && data.error && data.error.message) || 'no admin key is configured';
      }
    } catch (_) { /* shown on sign-in */ }
  }

  // ---------- confirmation ----------

  function confirmAction(text, askReason) {
    const dialog = $('confirm');
    $('confirm-text').textContent = text;
    $('confirm-reason-row').hidden = !askReason;
    $('confirm-reason').value = '';
    return new Promise((resolve) => {
      const finish = (ok) => {
        $('confirm-ok').onclick = null;
        $('confirm-cancel').onclick = null;
        dialog.onclose = null;
        if (dialog.open) dialog.close();
        resolve(ok ? { ok: true, reason: $('confirm-reason').value.trim() } : { ok: false });
      };
      $('confirm-ok').onclick = () => finish(true);
      $('confirm-cancel').onclick = () => finish(false);
      dialog.onclose = () => finish(false);
      dialog.showModal();
    });
  }

  async function act(text, method, path, body, askReason) {
    const answer = await confirmAction(text, askReason);
    if (!answer.ok) return;
    if (askReason && answer.reason) body = Object.assign({}, body, { reason: answer.reason });
    try {
      const result = await api(method, path, body);
      const inner = result && result.result;
      toast((inner && inner.message) || 'done: ' + (result.command || path));
    } catch (error) {
      toast(error.message, true);
    }
    refreshFast();
    refreshSlow();
  }

  // ---------- services ----------

  function renderServices(data) {
    const box = $('services');
    box.replaceChildren();
    for (const service of data.services || []) {
      const details = service.details || {};
      const state = !service.running ? pill('not running', 'bad') : service.ready === false ? pill('starting', 'warn') : pill('ready', 'ok');
      const card = el('div', { class: 'card', 'data-service': service.name },
        el('h4', {}, service.name, state),
        el('div', { class: 'line', text: service.running ? (service.status || '') : (service.error || '') }));
      if (service.running) {
        card.append(el('div', { class: 'line', text: 'pid ' + service.pid + ', up ' + duration(service.uptime_seconds || 0) + ', version ' + (service.version || '?') }));
      }
      if (service.name === 'quota-scheduler' && service.running) {
        card.append(el('div', { class: 'line' }, 'next scan ', countdown(details.next_scan)));
        if (details.last_scan) card.append(el('div', { class: 'line', text: 'last: ' + details.last_scan }));
        if (details.enabled === false) card.append(el('div', { class: 'line', text: 'scheduled warmup is disabled' }));
      }
      if (service.name === 'quota-refresher' && service.running) {
        card.append(el('div', { class: 'line' }, 'last refresh ', details.last_cycle ? countdown(details.last_cycle, 'in ', '% ago') : 'never',
          ', next ', countdown(details.next_refresh)));
        if (details.next_recheck) card.append(el('div', { class: 'line' }, 're-check at a reset ', countdown(details.next_recheck)));
      }
      if (service.name === 'quota-proxy' && service.running) {
        card.append(el('div', { class: 'line', text: (details.requests || 0) + ' requests, ' + (details.failovers || 0) + ' failovers, ' + (details.cooldowns_active || 0) + ' cooldowns active' }));
      }
      box.append(card);
    }
  }

  // ---------- accounts ----------

  function windowRow(window, model) {
    const isRate = window.kind === 'rate_limit';
    const bar = el('div', { class: 'bar' + (isRate ? ' rate' : '') + (window.percentage <= threshold ? ' low' : window.percentage <= 2 * threshold ? ' mid' : '') });
    const fill = el('div', { class: 'fill' });
    fill.style.width = Math.max(0, Math.min(100, window.percentage)) + '%';
    bar.append(fill);
    if (!isRate) {
      const mark = el('div', { class: 'threshold', title: 'protection threshold ' + threshold + '%' });
      mark.style.left = threshold + '%';
      bar.append(mark);
    }
    bar.append(el('span', { class: 'value', text: percentText(window.percentage) }));
    bar.title = (isRate ? 'rate limit ' : 'quota ') + window.window + ' from ' + window.source + ': ' + percentText(window.percentage) + ' left';
    const meta = el('span', { class: 'meta muted' });
    if (window.reset_time) meta.append('resets ', countdown(window.reset_time));
    else meta.append('no reset time');
    meta.append(' · ' + window.source + (window.scope === 'account' ? ' · account-wide' : ''));
    if ((window.protection_for || []).includes(model)) meta.append(' · ', pill('protection figure', 'info', 'Quota Protection compares this window with the threshold'));
    if (window.paused_until) meta.append(' · paused ', countdown(window.paused_until));
    return el('div', { class: 'window', 'data-window': window.window, 'data-kind': window.kind },
      el('span', { text: (isRate ? 'rate ' : '') + window.window }), bar, meta);
  }

  function modelRows(account) {
    const report = account.quota_report || {};
    const windows = report.windows || [];
    const names = new Set();
    (report.models || []).forEach((m) => names.add(m.name));
    windows.forEach((w) => { if (w.model) names.add(w.model); });
    (account.models || []).forEach((m) => names.add(m));
    const protectedModels = new Set((report.models || []).filter((m) => m.protected).map((m) => m.name));
    const accountWide = windows.filter((w) => w.scope === 'account');
    const rows = [];
    for (const name of Array.from(names).sort()) {
      const mine = windows.filter((w) => w.scope === 'model' && w.model === name).concat(accountWide);
      mine.sort((a, b) => (a.kind === b.kind ? 0 : a.kind === 'quota' ? -1 : 1));
      const title = el('div', { class: 'model-name' }, name, ' ',
        protectedModels.has(name) ? pill('protected', 'bad', 'at or below the threshold: not used for this model until the quota comes back') : null);
      const list = el('div', { class: 'windows' });
      if (mine.length === 0) list.append(el('span', { class: 'muted small', text: 'no quota data for this model' }));
      mine.forEach((w) => list.append(windowRow(w, name)));
      rows.push(el('div', { class: 'model', 'data-model': name, 'data-protected': protectedModels.has(name) ? 'true' : 'false' }, title, list));
    }
    if (rows.length === 0 && accountWide.length) {
      const list = el('div', { class: 'windows' });
      accountWide.forEach((w) => list.append(windowRow(w, '')));
      rows.push(el('div', { class: 'model', 'data-model': '' }, el('div', { class: 'model-name', text: '(every model)' }), list));
    }
    return rows;
  }

  function renderAccounts(data) {
    lastAccounts = data;
    const protection = data.protection || {};
    threshold = typeof protection.threshold_percentage === 'number' ? protection.threshold_percentage : 10;
    $('protection-note').textContent = protection.enabled
      ? 'Quota Protection at ' + threshold + '% (models: ' + (protection.monitored_models || []).join(', ') + ')'
      : 'Quota Protection is off';
    const cooldowns = data.cooldowns || [];
    const box = $('accounts');
    box.replaceChildren();
    const accounts = data.accounts || [];
    if (accounts.length === 0) box.append(el('p', { class: 'muted', text: 'No accounts. Add files to the accounts folder or use quota-proxyctl accounts add.' }));
    for (const account of accounts) {
      const report = account.quota_report || {};
      let state;
      if (account.disabled) state = pill('disabled', 'bad', account.disabled_reason || '');
      else if (account.is_forbidden) state = pill('forbidden', 'bad', 'the quota source answered 403');
      else state = pill('enabled', 'ok');
      const actions = el('span', { class: 'actions' });
      const warm = el('button', { type: 'button', class: 'small', 'data-action': 'warmup', 'data-account': account.id, text: 'Warm up' });
      warm.onclick = () => act('Warm up ' + account.id + ' now? One minimal request per model whose quota window is at 100% (the 4-hour cooldown is not checked).', 'POST', 'warmup', { account: account.id });
      const refresh = el('button', { type: 'button', class: 'small secondary', 'data-action': 'refresh', 'data-account': account.id, text: 'Refresh' });
      refresh.onclick = () => act('Refresh the quota (and token) of ' + account.id + ' now?', 'POST', 'refresh', { account: account.id });
      const toggle = el('button', { type: 'button', class: 'small danger', 'data-action': account.disabled ? 'enable' : 'disable', 'data-account': account.id, text: account.disabled ? 'Enable' : 'Disable' });
      toggle.onclick = () => account.disabled
        ? act('Enable ' + account.id + ' again?', 'POST', 'accounts/' + encodeURIComponent(account.id) + '/enable', {})
        : act('Disable ' + account.id + '? It serves nothing until enabled again.', 'POST', 'accounts/' + encodeURIComponent(account.id) + '/disable', {}, true);
      actions.append(warm, refresh, toggle);
      const head = el('div', { class: 'account-head' },
        el('strong', { text: account.id }),
        account.label ? el('span', { class: 'muted', text: account.label }) : null,
        pill(account.tier, account.tier === 'primary' ? 'info' : 'plain'),
        pill(account.provider, 'plain'),
        state, actions);
      const meta = el('div', { class: 'account-meta' },
        'quota source ' + account.quota_source,
        report.last_updated ? [' · figures ', countdown(report.last_updated, 'in ', '% ago')] : ' · no figures yet',
        report.stale ? ' · STALE' : '',
        ' · last used ', account.last_used ? countdown(account.last_used, 'in ', '% ago') : 'never',
        ' · key ' + (account.secret || ''),
        account.disabled && account.disabled_reason ? ' · disabled: ' + account.disabled_reason : '');
      const card = el('div', { class: 'account' + (account.disabled ? ' disabled' : ''), 'data-account': account.id }, head, meta);
      modelRows(account).forEach((row) => card.append(row));
      if (report.note) card.append(el('p', { class: 'muted small', text: report.note }));
      const mine = cooldowns.filter((c) => c.account === account.id);
      const groups = account.protected_models || [];
      if (mine.length || groups.length) {
        const line = el('div', { class: 'cooldowns' });
        if (groups.length) line.append('protected groups: ', ...groups.map((g) => pill(g, 'bad')));
        for (const cooldown of mine) {
          const clear = el('button', { type: 'button', class: 'small secondary', 'data-action': 'clear-cooldown', 'data-account': account.id, text: 'clear' });
          clear.onclick = () => act('Clear the ' + cooldown.reason + ' cooldown of ' + account.id + (cooldown.group ? ' for ' + cooldown.group : '') + '? The proxy will use it again at once.',
            'POST', 'clear-cooldown', cooldown.group ? { account: account.id, group: cooldown.group } : { account: account.id });
          line.append(el('span', { class: 'cooldown', 'data-reason': cooldown.reason },
            pill('cooling down: ' + cooldown.reason, 'warn'), ' ', cooldown.group || 'all models', ' until ', countdown(cooldown.until), ' '), clear);
        }
        card.append(line);
      }
      box.append(card);
    }
    const skipped = data.skipped_files || [];
    $('skipped-files').textContent = skipped.map((s) => 'skipped ' + s.path + ': ' + s.reason).join('\n');
  }

  // ---------- timeline ----------

  function chartWidth(box) {
    return Math.max(320, Math.floor(box.clientWidth || 900));
  }

  function timeAxis(group, x0, x1, since, now, height) {
    const span = now - since;
    const step = span > 12 * 3600e3 ? 3 * 3600e3 : span > 3 * 3600e3 ? 3600e3 : 15 * 60e3;
    for (let t = Math.ceil(since / step) * step; t <= now; t += step) {
      const x = x0 + (t - since) / span * (x1 - x0);
      group.append(svg('line', { x1: x, x2: x, y1: 0, y2: height, stroke: '#eceff3' }));
      group.append(svg('text', { x: x, y: height + 12, 'text-anchor': 'middle' }, document.createTextNode(hhmm(t))));
    }
  }

  function renderRequestChart(data) {
    const box = $('chart-requests');
    const width = chartWidth(box), height = 150, left = 34, right = width - 8;
    const since = Date.parse(data.since), now = Date.parse(data.now);
    const buckets = data.requests || [];
    let max = 1;
    buckets.forEach((b) => { max = Math.max(max, b.ok + b.client_error + b.server_error, b.failovers, b.warmups); });
    const y = (v) => height - v / max * (height - 6);
    const x = (t) => left + (t - since) / (now - since) * (right - left);
    const barWidth = Math.max(1, (right - left) / ((now - since) / 60000) - 0.2);
    const root = svg('svg', { width, height: height + 18, viewBox: '0 0 ' + width + ' ' + (height + 18), role: 'img', 'aria-label': 'requests per minute' });
    timeAxis(root, left, right, since, now, height);
    [0, Math.round(max / 2), max].forEach((v) => {
      root.append(svg('line', { x1: left, x2: right, y1: y(v), y2: y(v), stroke: '#eceff3' }));
      root.append(svg('text', { x: left - 4, y: y(v) + 3, 'text-anchor': 'end' }, document.createTextNode(String(v))));
    });
    for (const b of buckets) {
      const t = b.t * 1000;
      const bx = x(t);
      let base = 0;
      const label = hhmm(t) + ': ' + b.ok + ' ok, ' + b.client_error + ' 4xx (' + b.too_many_requests + ' × 429), ' + b.server_error + ' 5xx, ' + b.failovers + ' failovers, ' + b.warmups + ' warmups';
      for (const [value, color] of [[b.ok, '#2e8b57'], [b.client_error, '#d18b00'], [b.server_error, '#c0392b']]) {
        if (!value) continue;
        root.append(svg('rect', { x: bx, y: y(base + value), width: barWidth, height: y(base) - y(base + value), fill: color }, svgTitle(label)));
        base += value;
      }
      for (const [value, color] of [[b.too_many_requests, '#111'], [b.failovers, '#2f6fb3'], [b.warmups, '#8a6cc7']]) {
        if (value) root.append(svg('rect', { x: bx - 1, y: y(value) - 1, width: barWidth + 2, height: 2, fill: color }, svgTitle(label)));
      }
    }
    root.append(svg('line', { x1: left, x2: right, y1: height, y2: height, stroke: '#9aa4ae' }));
    box.replaceChildren(root);
    const legend = $('legend-requests');
    if (!legend.childElementCount) {
      legend.append(el('span', { class: 'sw-ok', text: '2xx' }), el('span', { class: 'sw-4xx', text: '4xx' }), el('span', { class: 'sw-5xx', text: '5xx' }),
        el('span', { class: 'sw-429', text: '429 answered' }), el('span', { class: 'sw-fo', text: 'failovers' }), el('span', { class: 'sw-wu', text: 'warmups' }));
    }
  }

  const PALETTE = ['#4a7bd0', '#d1495b', '#2e8b57', '#edae49', '#8a6cc7', '#00798c', '#a05195', '#6a7380'];

  function renderQuotaCharts(data) {
    const box = $('chart-quota');
    const since = Date.parse(data.since), now = Date.parse(data.now);
    const byAccount = new Map();
    for (const series of data.quota || []) {
      if (!byAccount.has(series.account)) byAccount.set(series.account, []);
      byAccount.get(series.account).push(series);
    }
    const charts = [];
    if (byAccount.size === 0) charts.push(el('p', { class: 'muted small', text: 'No quota changes recorded in this period (quota-history.jsonl).' }));
    for (const [account, list] of byAccount) {
      const width = chartWidth(box), height = 110, left = 34, right = width - 8;
      const x = (t) => left + Math.max(0, t - since) / (now - since) * (right - left);
      const y = (p) => height - p / 100 * (height - 4);
      const root = svg('svg', { width, height: height + 18, viewBox: '0 0 ' + width + ' ' + (height + 18), role: 'img', 'aria-label': 'quota of ' + account });
      timeAxis(root, left, right, since, now, height);
      [0, 50, 100].forEach((v) => root.append(svg('text', { x: left - 4, y: y(v) + 3, 'text-anchor': 'end' }, document.createTextNode(v + '%'))));
      root.append(svg('line', { x1: left, x2: right, y1: y(threshold), y2: y(threshold), stroke: '#c0392b', 'stroke-dasharray': '4 3' }, svgTitle('protection threshold ' + threshold + '%')));
      const legend = el('div', { class: 'legend' });
      list.forEach((series, index) => {
        const color = PALETTE[index % PALETTE.length];
        const points = series.points || [];
        if (!points.length) return;
        let d = '';
        points.forEach(([t, p], i) => {
          const px = x(t * 1000), py = y(p);
          d += i === 0 ? 'M' + px + ' ' + py : 'H' + px + 'V' + py;   // steps: a figure holds until the next
        });
        d += 'H' + right;
        const last = points[points.length - 1];
        root.append(svg('path', { d, fill: 'none', stroke: color, 'stroke-width': 2 }, svgTitle(series.label + ': now ' + percentText(last[1]))));
        const swatch = el('span', { text: series.label + ' (' + series.source + ') ' + percentText(last[1]) });
        swatch.style.setProperty('--swatch', color);
        legend.append(swatch);
      });
      root.append(svg('line', { x1: left, x2: right, y1: height, y2: height, stroke: '#9aa4ae' }));
      charts.push(el('div', { class: 'quota-chart', 'data-account': account }, el('h4', { text: account }), root, legend));
    }
    box.replaceChildren(...charts);
    const notes = [];
    if (data.unreadable_lines) notes.push(data.unreadable_lines + ' log lines could not be read and were skipped');
    if (data.error) notes.push(data.error);
    $('timeline-note').textContent = notes.join('; ');
  }

  // ---------- warmups ----------

  function renderWarmups(data) {
    const summary = $('warmup-summary');
    summary.replaceChildren();
    const scheduler = data.scheduler;
    const plan = data.plan;
    if (data.error) summary.append(el('p', { class: 'error', text: data.error }));
    if (scheduler) {
      summary.append(el('p', {}, 'Next scan ', countdown(scheduler.next_scan), scheduler.last_scan ? ' · last: ' + scheduler.last_scan : ' · no scan yet',
        scheduler.enabled === false ? ' · scheduled warmup is disabled' : ''));
    }
    const list = $('warmup-plan');
    list.replaceChildren();
    if (plan) {
      if (!plan.enabled) list.append(el('li', { class: 'muted', text: 'scheduled warmup is disabled' }));
      else if (!(plan.to_warm || []).length) list.append(el('li', { class: 'muted', text: 'nothing: no monitored model is at 100% outside its cooldown' }));
      (plan.to_warm || []).forEach((t) => list.append(el('li', { 'data-account': t.account, text: t.model + ' on ' + t.account })));
      list.append(el('li', { class: 'muted small', text: 'in cooldown ' + plan.cooldown + ', not full ' + plan.not_full + ', stale ' + plan.stale + ', disabled/forbidden ' + plan.skipped_accounts + ', rate limits only ' + plan.rolling_quota_accounts }));
    }
    const history = $('warmup-history');
    history.replaceChildren();
    for (const entry of (plan && plan.history) || []) {
      history.append(el('tr', {}, el('td', { text: entry.account }), el('td', { text: entry.model }), el('td', { text: localTime(entry.warmed_at) }),
        el('td', {}, entry.in_cooldown ? countdown(entry.cooldown_until, 'ends in ') : 'over')));
    }
    if (!history.childElementCount) history.append(el('tr', {}, el('td', { colspan: 4, class: 'muted', text: 'no warmup recorded' })));
    const recent = $('warmup-recent');
    recent.replaceChildren();
    for (const record of data.recent || []) {
      recent.append(el('tr', { 'data-kind': record.kind }, el('td', { text: localTime(record.time) }), el('td', { text: record.account || (record.attempts && record.attempts[0] && record.attempts[0].account) || '' }),
        el('td', { text: record.model || '' }), el('td', { text: String(record.status) }), el('td', { text: record.error || '' })));
    }
    if (!recent.childElementCount) recent.append(el('tr', {}, el('td', { colspan: 5, class: 'muted', text: 'no warmup in the last 24 h' })));
  }

  // ---------- request log ----------

  function logQuery(extra) {
    const form = $('log-filters');
    const params = new URLSearchParams();
    for (const name of ['since', 'until', 'model', 'account', 'status', 'kind', 'limit']) {
      const value = form.elements[name].value.trim();
      if (value) params.set(name, value);
    }
    for (const [name, value] of Object.entries(extra || {})) params.set(name, value);
    return params.toString();
  }

  async function loadLog() {
    const query = logQuery();
    let data;
    try {
      data = await api('GET', 'requests' + (query ? '?' + query : ''));
    } catch (error) {
      $('log-status').textContent = error.message;
      $('log-status').className = 'error small';
      return;
    }
    $('log-status').className = 'muted small';
    const rows = $('log-rows');
    rows.replaceChildren();
    for (const record of data.records || []) {
      const attempts = (record.attempts || []).map((a) => a.account + ':' + a.outcome).join(' → ');
      const tokens = record.input_tokens != null || record.output_tokens != null ? (record.input_tokens || 0) + '/' + (record.output_tokens || 0) : '';
      const row = el('tr', { class: 's' + Math.floor(record.status / 100) + ' ' + record.kind, 'data-id': record.id, 'data-kind': record.kind },
        el('td', { text: localTime(record.time) }), el('td', { class: 'kind', text: record.kind }),
        el('td', { text: record.model || '' }), el('td', { text: record.account || '' }), el('td', { text: attempts }),
        el('td', { class: 'status', text: String(record.status) }), el('td', { text: String(Math.round(record.duration_ms)) }),
        el('td', { text: tokens }), el('td', { text: record.error || '' }));
      row.onclick = () => showRequest(record.id);
      rows.append(row);
    }
    let status = data.log_exists ? (data.records || []).length + ' shown' : 'no request recorded yet';
    if (data.matching_count != null) status += ' of ' + data.matching_count + ' matching';
    if (data.skipped_lines) status += ', ' + data.skipped_lines + ' unreadable lines skipped';
    if (data.request_log_enabled === false) status += ' — the request log is off (request_log.enabled)';
    $('log-status').textContent = status;
  }

  async function showRequest(id) {
    let record;
    try {
      record = await api('GET', 'requests/' + encodeURIComponent(id));
    } catch (error) {
      toast(error.message, true);
      return;
    }
    $('details-id').textContent = record.id;
    const fields = $('details-fields');
    fields.replaceChildren();
    for (const name of ['time', 'kind', 'client_key', 'client_protocol', 'upstream_protocol', 'route', 'model', 'mapped_model', 'group', 'account', 'status',
      'duration_ms', 'ttfb_ms', 'stream', 'input_tokens', 'output_tokens', 'error']) {
      if (record[name] === undefined || record[name] === null) continue;
      fields.append(el('dt', { text: name }), el('dd', { text: name === 'time' ? record.time + ' (' + localTime(record.time) + ')' : String(record[name]) }));
    }
    const attempts = $('details-attempts');
    attempts.replaceChildren();
    (record.attempts || []).forEach((a, i) => attempts.append(el('tr', {}, el('td', { text: String(i + 1) }), el('td', { text: a.account }),
      el('td', { text: a.outcome }), el('td', { text: a.status == null ? '' : String(a.status) }), el('td', { text: String(a.duration_ms) }))));
    const bodies = [];
    if (record.request_body) bodies.push('request body:\n' + record.request_body);
    if (record.response_body) bodies.push('response body:\n' + record.response_body);
    $('details-bodies').textContent = bodies.join('\n\n');
    $('details').showModal();
  }

  async function exportLog(format) {
    try {
      const response = await api('GET', 'requests/export?' + logQuery({ format, limit: $('log-filters').elements.limit.value.trim() === '50' ? '0' : $('log-filters').elements.limit.value.trim() || '0' }), undefined, true);
      const blob = await response.blob();
      const url = URL.createObjectURL(blob);
      const link = el('a', { href: url, download: 'requests.' + format });
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10000);
    } catch (error) {
      toast(error.message, true);
    }
  }

  // ---------- refresh loops ----------

  function showBanner(message) {
    const banner = $('banner');
    banner.textContent = message || '';
    banner.hidden = !message;
  }

  async function refreshFast() {
    if (!adminKey) return;
    const results = await Promise.allSettled([api('GET', 'status'), api('GET', 'accounts')]);
    if (!adminKey) return;
    const failures = results.filter((r) => r.status === 'rejected').map((r) => r.reason.message);
    if (results[0].status === 'fulfilled') renderServices(results[0].value);
    if (results[1].status === 'fulfilled') renderAccounts(results[1].value);
    showBanner(failures.join('; '));
    $('conn-state').textContent = failures.length ? 'update failed' : 'updated ' + new Date().toLocaleTimeString();
    if ($('log-live').checked) loadLog();
  }

  async function refreshSlow() {
    if (!adminKey) return;
    try {
      const timeline = await api('GET', 'timeline?hours=24');
      renderRequestChart(timeline);
      renderQuotaCharts(timeline);
    } catch (error) {
      $('timeline-note').textContent = error.message;
    }
    try {
      renderWarmups(await api('GET', 'warmups'));
    } catch (error) {
      $('warmup-summary').replaceChildren(el('p', { class: 'error', text: error.message }));
    }
  }

  function start() {
    timers.forEach(clearInterval);
    refreshFast();
    refreshSlow();
    loadLog();
    timers = [setInterval(refreshFast, FAST_MS), setInterval(refreshSlow, SLOW_MS), setInterval(tick, 1000)];
  }

  // ---------- wiring ----------

  document.addEventListener('DOMContentLoaded', () => {
    $('login-form').addEventListener('submit', (event) => {
      event.preventDefault();
      const key = $('login-key').value.trim();
      $('login-key').value = '';
      if (key) signIn(key);
    });
    $('logout').onclick = () => signOut('signed out');
    $('warmup-all').onclick = () => act('Warm up every account now? Models whose quota window is at 100% get one minimal request; pairs in their 4-hour cooldown are skipped.', 'POST', 'warmup', {});
    $('refresh-all').onclick = () => act('Refresh the quota (and tokens) of every account now?', 'POST', 'refresh', {});
    $('log-filters').addEventListener('submit', (event) => { event.preventDefault(); loadLog(); });
    $('export-csv').onclick = () => exportLog('csv');
    $('export-jsonl').onclick = () => exportLog('jsonl');
    window.addEventListener('resize', () => { if (adminKey) refreshSlow(); });
    if (adminKey) signIn(adminKey); else { showSignedIn(false); probe(); }
  });
})();
