// The sidecar node's live dashboard: a snapshot from GET /dashboard/state, proof trees from
// GET /proving/tree/:blockHash, kept live by the server-sent events of GET /events. No library,
// nothing from the network but this node's API.
'use strict';
(() => {
  const STATES = ['waiting', 'running', 'leased', 'retrying', 'done', 'reused', 'failed', 'cancelled'];
  const STAGES = ['proposed', 'revealed', 'committed'];
  const SVGNS = 'http://www.w3.org/2000/svg';
  const $ = (id) => document.getElementById(id);
  let state = null;
  const trees = new Map(); // blockHash -> full tree
  let selected = null; // blockHash shown; null = follow the newest
  let pinned = false;

  const esc = (s) => String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));
  const short = (h, n = 10) => (h ? `${String(h).slice(0, n)}…` : '—');
  const secs = (ms) => (ms === undefined || ms === null ? '' : ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`);
  function tokens(v) {
    if (v === null || v === undefined) return '—';
    let b;
    try { b = BigInt(typeof v === 'number' ? Math.round(v).toLocaleString('fullwide', { useGrouping: false }) : v); } catch { return String(v); }
    const neg = b < 0n; if (neg) b = -b;
    const whole = b / 10n ** 18n, frac = (b % 10n ** 18n).toString().padStart(18, '0').slice(0, 4);
    return `${neg ? '-' : ''}${whole}.${frac}`;
  }

  async function getJson(url) {
    const r = await fetch(url, { cache: 'no-store' });
    if (!r.ok) throw new Error(`${url}: ${r.status}`);
    return r.json();
  }

  // ---------------------------------------------------------------- refresh, debounced
  let refreshing = false, again = false, timer = null;
  function scheduleRefresh(delay = 200) {
    if (timer) return;
    timer = setTimeout(() => { timer = null; void refresh(); }, delay);
  }
  async function refresh() {
    if (refreshing) { again = true; return; }
    refreshing = true;
    try {
      state = await getJson('/dashboard/state');
      render();
      const want = currentTree();
      if (want && (!trees.has(want) || trees.get(want).status === 'proving')) await loadTree(want);
    } catch (e) {
      $('node').textContent = `cannot read the node's state: ${e.message}`;
    } finally {
      refreshing = false;
      if (again) { again = false; scheduleRefresh(); }
    }
  }
  function currentTree() {
    if (pinned && selected) return selected;
    return state && state.trees.length ? state.trees[0].blockHash : null;
  }
  async function loadTree(hash) {
    try {
      trees.set(hash, await getJson(`/proving/tree/${hash}`));
      renderTree();
    } catch (e) { /* not kept any more: the list shows what is */ }
  }

  // ---------------------------------------------------------------- panels
  function render() {
    const s = state;
    $('node').innerHTML = `<span class="mono">${esc(s.node.address)}</span> · ${esc(s.node.roles.join(' + '))} · chain ${esc(s.node.chainId)}`;
    $('l1').textContent = s.l1 ? `L1 #${s.l1.head} · slot ${s.l1.slot} · ${s.l1.phase} · pending slot ${s.chain.pending.slot}, proven slot ${s.chain.proven.slot}` : 'L1: not seen yet';
    renderSlots(s);
    renderTreeList(s);
    renderMarket(s.market);
    renderMoney(s.money);
    renderNetwork(s.network);
    $('events').innerHTML = s.events.map((e) => `<li><span class="muted">${new Date(e.at).toLocaleTimeString()}</span> ${esc(describe(e))}</li>`).join('');
  }

  function describe(e) {
    const slot = e.slot !== undefined ? `slot ${e.slot}: ` : '';
    switch (e.type) {
      case 'proposed': case 'revealed': return `${slot}${e.type} ${short(e.blockHash)} with ${e.txs} txs`;
      case 'committed': return `${slot}committed prover ${short(e.prover, 12)}`;
      case 'proving': return `${slot}proving ${e.done}/${e.jobs} jobs`;
      case 'proved': return `${slot}proof ${e.circuit} in ${secs(e.ms)}`;
      case 'submitted': return `${slot}proof submitted ${short(e.txHash)} (gas ${e.gasUsed})`;
      case 'withdrawn': return `withdrew ${tokens(e.amount)} to ${short(e.to, 12)}`;
      case 'l1-error': return `${e.role}: ${e.call} failed: ${e.code}`;
      default: return `${slot}${e.type}${e.reason ? `: ${e.reason}` : ''}`;
    }
  }

  function renderSlots(s) {
    if (!s.slots.length) { $('slots').innerHTML = '<p class="muted">no slot yet</p>'; return; }
    const head = s.l1.head;
    const lo = Math.min(...s.slots.map((x) => x.timing.proposalStart));
    const hi = Math.max(head + 1, ...s.slots.map((x) => x.timing.deadline));
    const span = Math.max(1, hi - lo);
    const W = 520, px = (b) => ((b - lo) / span) * W;
    const bar = (t) => {
      const seg = [['Proposal', t.proposalStart, t.revealStart, '#54aeff'], ['Reveal', t.revealStart, t.commitStart, '#8c959f'], ['Commitment', t.commitStart, t.commitEnd, '#bf8700'], ['Proving', t.commitEnd, t.submissionStart, '#2da44e'], ['Submission', t.submissionStart, t.deadline, '#8250df']];
      const rects = seg.map(([n, a, b, c]) => `<rect x="${px(a).toFixed(1)}" y="2" width="${Math.max(1, px(b) - px(a)).toFixed(1)}" height="12" fill="${c}"><title>${n}: L1 ${a}–${b - 1}</title></rect>`).join('');
      return `<svg width="${W}" height="16" class="slotbar">${rects}<line x1="${px(head)}" x2="${px(head)}" y1="0" y2="16" stroke="#cf222e" stroke-width="2"/></svg>`;
    };
    const stages = (b) => {
      if (!b) return '<span class="muted">no block</span>';
      const i = STAGES.indexOf(b.stage);
      const parts = STAGES.map((st, k) => `<span class="${i >= k || i < 0 ? 'reached' : ''}">${st}</span>`);
      if (i < 0) parts.push(`<span class="${b.stage}">${b.stage}</span>`);
      return `<span class="stages" data-stage="${esc(b.stage)}">${parts.join('')}</span>`;
    };
    $('slots').innerHTML = `<table><tr><th>slot</th><th>phase</th><th>timeline (L1 ${lo}–${hi})</th><th>block</th><th>stage</th><th>txs</th><th>sequencer</th><th>prover</th></tr>${s.slots.map((x) => `
      <tr data-slot="${x.slot}"><td class="num">${x.slot}</td><td>${esc(x.phase)}</td><td>${bar(x.timing)}</td>
      <td class="mono">${x.block ? short(x.block.blockHash) : ''}</td><td>${stages(x.block)}</td><td class="num">${x.block ? x.block.txs : ''}</td>
      <td class="mono">${x.block ? short(x.block.sequencer, 8) + (x.block.mine.sequencer ? ' (me)' : '') : ''}</td>
      <td class="mono">${x.block && x.block.prover ? short(x.block.prover, 8) + (x.block.mine.prover ? ' (me)' : '') : ''}</td></tr>`).join('')}</table>`;
  }

  function renderTreeList(s) {
    const cur = currentTree();
    $('tree-list').innerHTML = s.trees.map((t) => `<button data-hash="${t.blockHash}" class="${t.blockHash === cur ? 'sel' : ''}">slot ${t.slot} · ${t.status} · ${t.done}/${t.jobs}</button>`).join('');
    for (const b of $('tree-list').querySelectorAll('button')) {
      b.onclick = () => { selected = b.dataset.hash; pinned = selected !== (state.trees[0] && state.trees[0].blockHash); void loadTree(selected); renderTreeList(state); };
    }
  }

  /** Jobs in columns by depth from the leaves (deps to the left), the root last. */
  function renderTree() {
    const hash = currentTree();
    const t = hash && trees.get(hash);
    const box = $('tree');
    if (!t) { box.innerHTML = ''; return; }
    const dur = (t.endedAt ?? Date.now()) - t.startedAt;
    $('tree-head').innerHTML = `block <span class="mono">${esc(t.blockHash)}</span> · slot ${t.slot} · ${t.txCount} txs · <b data-tree-status="${t.status}">${t.status}</b> · ${secs(dur)}${t.error ? ` · ${esc(t.error)}` : ''}`;
    const byId = new Map(t.jobs.map((j) => [j.id, j]));
    const depth = new Map();
    const depthOf = (j) => {
      if (depth.has(j.id)) return depth.get(j.id);
      depth.set(j.id, 0);
      const d = j.deps.length ? 1 + Math.max(...j.deps.map((x) => (byId.has(x) ? depthOf(byId.get(x)) : 0))) : 0;
      depth.set(j.id, d);
      return d;
    };
    const cols = [];
    for (const j of t.jobs) { const d = depthOf(j); (cols[d] ??= []).push(j); }
    const NW = 170, NH = 74, GX = 34, GY = 16, PAD = 8;
    const rows = Math.max(...cols.map((c) => c.length));
    const pos = new Map();
    cols.forEach((c, x) => c.forEach((j, y) => pos.set(j.id, { x: PAD + x * (NW + GX), y: PAD + y * (NH + GY) + ((rows - c.length) * (NH + GY)) / 2 })));
    const W = PAD * 2 + cols.length * (NW + GX) - GX, H = PAD * 2 + rows * (NH + GY) - GY;
    const svg = document.createElementNS(SVGNS, 'svg');
    svg.setAttribute('width', String(W));
    svg.setAttribute('height', String(H));
    svg.setAttribute('viewBox', `0 0 ${W} ${H}`);
    svg.setAttribute('data-block', t.blockHash);
    let inner = '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="#8c959f"/></marker></defs>';
    for (const j of t.jobs) {
      const p = pos.get(j.id);
      for (const d of j.deps) {
        const q = pos.get(d);
        if (q) inner += `<line x1="${q.x + NW}" y1="${q.y + NH / 2}" x2="${p.x}" y2="${p.y + NH / 2}" stroke="#8c959f" stroke-width="1.5" marker-end="url(#arrow)"/>`;
      }
    }
    const now = Date.now();
    for (const j of t.jobs) {
      const p = pos.get(j.id);
      const where = j.where === 'agent' ? `agent ${short(j.agent, 12)}` : j.where === 'local' ? (j.worker !== undefined && j.worker !== null && j.worker >= 0 ? `local worker ${j.worker}` : 'local pool') : '';
      let time = '';
      if (j.state === 'running' || j.state === 'leased') time = `running ${secs(now - j.startedAt)}`;
      else if (j.state === 'done') time = `${secs(j.ms)}${j.proveMs ? ` (prove ${secs(j.proveMs)})` : ''}`;
      else if (j.state === 'reused') time = 'proof reused';
      else if (j.state === 'retrying' || j.state === 'failed') time = `${j.failures} failure${j.failures === 1 ? '' : 's'}`;
      const retried = j.failures > 0 && j.state !== 'failed' && j.state !== 'retrying' ? ` · retried ×${j.failures}` : '';
      const dark = j.state !== 'waiting' && j.state !== 'reused';
      const fg = dark ? '#fff' : '#1f2328';
      inner += `<g class="job" data-job="${esc(j.id)}" data-state="${j.state}" data-circuit="${esc(j.circuit)}" transform="translate(${p.x},${p.y})">
        <title>${esc(j.circuit)} job ${esc(j.id)}\ntxs ${j.txRange[0]}–${j.txRange[1]}\n${j.state}${where ? ` on ${where}` : ''}\nattempts ${j.attempts}${j.lastError ? `\nlast error: ${esc(j.lastError)}` : ''}</title>
        <rect width="${NW}" height="${NH}" rx="6" style="fill: var(--${j.state})" stroke="${j.id === t.root ? '#1f2328' : 'none'}" stroke-width="2"/>
        <text x="8" y="17" fill="${fg}" font-weight="600" font-size="13">${esc(j.circuit)} <tspan font-weight="400" font-size="11">txs ${j.txRange[0]}–${j.txRange[1]}</tspan></text>
        <text x="8" y="34" fill="${fg}" font-size="12">${j.state}${retried}</text>
        <text x="8" y="50" fill="${fg}" font-size="11">${esc(where)}</text>
        <text x="8" y="65" fill="${fg}" font-size="11">${esc(time)}</text></g>`;
    }
    svg.innerHTML = inner;
    box.replaceChildren(svg);
  }

  function renderMarket(m) {
    if (!m) { $('market').innerHTML = '<p class="muted">no p2p: this node is not on the market</p>'; return; }
    const st = m.stats;
    const rate = m.winRate === null ? '—' : `${Math.round(m.winRate * 100)}% (${m.won} of ${m.quoted})`;
    $('market').innerHTML = `<dl class="kv">
      <dt>role</dt><dd>${[m.buying ? 'buys proofs (RFQs)' : '', m.quoting ? 'answers RFQs' : ''].filter(Boolean).join(', ') || 'relays only'}</dd>
      <dt>RFQs sent / seen</dt><dd>${st.rfqsSent} / ${st.rfqsSeen}</dd>
      <dt>quotes received</dt><dd>${st.quotesReceived}</dd>
      <dt>quotes sent / declined</dt><dd>${st.quotesSent} / ${st.quotesDeclined}</dd>
      <dt>win rate</dt><dd data-win-rate>${rate}</dd>
      <dt>proofs shared / received</dt><dd>${st.proofsShared} / ${st.proofsReceived} (refused ${st.proofsRefused})</dd></dl>
      <table><tr><th>slot</th><th>what</th><th>tip</th><th>fee</th><th>channel</th><th>outcome</th></tr>${m.history.map((r) => r.kind === 'rfq'
        ? `<tr data-rfq="${r.slot}"><td class="num">${r.slot}</td><td>RFQ: ${r.received} quotes${r.channels && Object.keys(r.channels).length ? ` (${Object.entries(r.channels).map(([c, n]) => `${esc(c)} ${n}`).join(', ')})` : ''}, ${r.acceptable} ok</td><td class="num">${tokens(r.tip)}</td><td class="num">${r.fee ? tokens(r.fee) : ''}</td><td class="mono" data-channel="${esc(r.channel ?? '')}">${esc(r.channel ?? '')}</td><td class="mono">${r.winner ? `winner ${short(r.winner, 10)}` : 'no winner'}</td></tr>`
        : `<tr><td class="num">${r.slot}</td><td>${r.declined ? `declined: ${esc(r.declined)}` : 'quote sent'}</td><td class="num">${tokens(r.tip)}</td><td class="num">${r.fee ? tokens(r.fee) : ''}</td><td class="mono" data-channel="${esc(r.channel ?? '')}">${esc(r.channel ?? '')}</td><td>${r.outcome ?? ''}</td></tr>`).join('')}</table>
      ${m.relays && m.relays.length ? `<h3>relays</h3><table data-relays><tr><th>relay</th><th>score</th><th>state</th><th>last fault</th></tr>${m.relays.map((x) => `<tr data-relay="${esc(x.name)}"><td class="mono">${esc(x.name)}</td><td class="num">${x.score}</td><td>${x.admitted ? 'admitted' : `dropped (${x.drops}×)`}</td><td>${x.lastFault ? esc(`${x.lastFault.code}: ${x.lastFault.detail}`) : ''}</td></tr>`).join('')}</table>` : ''}`;
  }

  function renderMoney(m) {
    const r = m.rewards;
    const kinds = ['prover', 'sequencer', 'submission', 'slash-share'];
    $('money').innerHTML = `<dl class="kv">${kinds.map((k) => `<dt>${k} rewards</dt><dd>${tokens(r[k] ?? 0)}</dd>`).join('')}
      <dt>withdrawn</dt><dd>${m.withdrawn === null ? '— (no watcher role)' : tokens(m.withdrawn)}</dd>
      <dt>gas used (proof submissions)</dt><dd>${Number(m.gasUsed).toLocaleString()}</dd>
      <dt>deposits at risk</dt><dd data-at-risk>${tokens(m.atRisk)}</dd></dl>
      ${m.deposits.length ? `<table><tr><th>slot</th><th>block</th><th>deposit</th><th>deadline</th><th>left</th><th>proof</th></tr>${m.deposits.map((d) => `<tr><td class="num">${d.slot}</td><td class="mono">${short(d.blockHash)}</td><td class="num">${tokens(d.amount)}</td><td class="num">L1 #${d.deadline}</td><td class="num">${d.blocksLeft ?? ''}</td><td>${d.proofKnown ? 'known' : 'not yet'}</td></tr>`).join('')}</table>` : '<p class="muted">no deposit at risk</p>'}
      ${m.breaker ? `<p data-breaker="${esc(m.breaker.state)}">circuit breaker: <b>${esc(m.breaker.state)}</b>${m.breaker.reason ? ` (${esc(m.breaker.reason)})` : ''}</p>` : ''}
      ${m.pnl && m.pnl.length ? `<table data-pnl><tr><th>slot</th><th>expected profit</th><th>realised profit</th><th>outcome</th></tr>${m.pnl.map((e) => `<tr data-slot="${e.slot}" data-outcome="${e.realised ? esc(e.realised.outcome) : 'open'}"><td class="num">${e.slot}</td><td class="num">${e.expected ? tokens(e.expected.profit) : ''}</td><td class="num">${e.realised ? tokens(e.realised.profit) : ''}</td><td>${e.realised ? esc(e.realised.outcome) : 'open'}</td></tr>`).join('')}</table>` : ''}`;
  }

  function renderNetwork(n) {
    const peers = n.peers.length ? `<table><tr><th>peer</th><th>score</th><th>head slot</th><th>proven slot</th></tr>${n.peers.map((p) => `<tr><td class="mono">${short(p.peerId, 16)}</td><td class="num">${Number(p.score).toFixed(2)}</td><td class="num">${p.headSlot ?? ''}</td><td class="num">${p.provenSlot ?? ''}</td></tr>`).join('')}</table>` : `<p class="muted">${n.peerId ? 'no peers' : 'no p2p'}</p>`;
    const agents = n.agents === null ? '<p class="muted">no remote agents (no prover role or no p2p)</p>'
      : n.agents.length ? `<table><tr><th>agent</th><th>workers</th><th>free</th><th>leases</th><th>leased jobs</th></tr>${n.agents.map((a) => `<tr><td class="mono">${short(a.peerId, 16)}</td><td class="num">${a.workers}</td><td class="num">${a.free}</td><td class="num">${a.leases}</td><td>${a.leased.map((l) => `slot ${l.slot}: ${l.jobs}`).join(', ')}</td></tr>`).join('')}</table>` : '<p class="muted">no agent connected</p>';
    $('network').innerHTML = `${n.peerId ? `<p>peer id <span class="mono">${esc(n.peerId)}</span></p>` : ''}<h3>peers</h3>${peers}<h3>agents</h3>${agents}`;
  }

  $('legend').innerHTML = STATES.map((s) => `<span><i style="background: var(--${s})"></i>${s}</span>`).join('');

  // ---------------------------------------------------------------- live
  function connect() {
    const es = new EventSource('/events');
    const live = $('live');
    es.onopen = () => { live.textContent = 'live'; live.className = 'badge on'; scheduleRefresh(0); };
    es.onerror = () => { live.textContent = 'reconnecting…'; live.className = 'badge off'; };
    for (const name of ['tick', 'event', 'chain']) es.addEventListener(name, () => scheduleRefresh());
    es.addEventListener('tree', (m) => {
      const u = JSON.parse(m.data);
      const t = trees.get(u.tree.blockHash);
      if (!t || t.startedAt !== u.tree.startedAt || u.tree.status !== t.status) void loadTree(u.tree.blockHash);
      scheduleRefresh();
    });
    es.addEventListener('job', (m) => {
      const u = JSON.parse(m.data);
      const t = trees.get(u.blockHash);
      if (!t) { void loadTree(u.blockHash); return; }
      const i = t.jobs.findIndex((j) => j.id === u.job.id);
      if (i >= 0) t.jobs[i] = u.job;
      if (u.blockHash === currentTree()) renderTree();
    });
  }
  setInterval(() => { const t = trees.get(currentTree()); if (t && t.status === 'proving') renderTree(); }, 1000);
  connect();
  void refresh();
})();
