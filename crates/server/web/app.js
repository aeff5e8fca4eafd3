// Glint web UI: a hash-routed single page over the JSON API (see /api/openapi.json).
// Views: the library (#/), a player for one media (#/media/ID?t=S&box=X,Y,W,H) where a box on
// the paused frame is searched, photo search (#/photo), search by words (#/search?q=WORDS, from
// the header's search box) and product pages (#/product/STORE/PRODUCT). Boxes are always in
// source pixels, the API's unit; the overlay converts to and from screen pixels.
'use strict';

const $ = (sel, root = document) => root.querySelector(sel);

/** Builds an element: h('div', {class: 'x', onclick: f}, child, 'text', ...). */
function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v == null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'style' && typeof v === 'object') Object.assign(el.style, v);
    else if (k === 'html') el.innerHTML = v;
    else el.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat()) if (c != null && c !== false) el.append(c.nodeType ? c : String(c));
  return el;
}

const ICONS = {
  search: '<svg viewBox="0 0 24 24"><circle cx="11" cy="11" r="7"/><path d="M20 20l-3.5-3.5"/></svg>',
  back: '<svg viewBox="0 0 24 24"><path d="M15 18l-6-6 6-6"/></svg>',
  trash: '<svg viewBox="0 0 24 24"><path d="M4 7h16M10 11v6M14 11v6M6 7l1 13h10l1-13M9 7V4h6v3"/></svg>',
  photo: '<svg viewBox="0 0 24 24"><rect x="3" y="5" width="18" height="14" rx="2"/><circle cx="9" cy="10" r="2"/><path d="M21 16l-5-5-9 8"/></svg>',
  nothing: '<svg viewBox="0 0 24 24"><circle cx="11" cy="11" r="7"/><path d="M20 20l-3.5-3.5M8.5 8.5l5 5M13.5 8.5l-5 5"/></svg>',
  box: '<svg viewBox="0 0 24 24"><rect x="5" y="5" width="14" height="14" rx="2" stroke-dasharray="3 3"/></svg>',
  bag: '<svg viewBox="0 0 24 24"><path d="M6 7h12l1 13H5L6 7z"/><path d="M9 10V6a3 3 0 016 0v4"/></svg>',
  external: '<svg viewBox="0 0 24 24"><path d="M14 5h5v5M19 5l-8 8M17 14v5H5V7h5"/></svg>',
  check: '<svg viewBox="0 0 24 24"><path d="M5 12.5l4.5 4.5L19 7.5"/></svg>',
};
const icon = (name) => h('span', { html: ICONS[name], style: { display: 'inline-flex' } });

// ---------------------------------------------------------------- API

class ApiError extends Error {
  constructor(message, code, status) { super(message); this.code = code; this.status = status; }
}

async function api(path, options = {}) {
  let response;
  try {
    response = await fetch(path, options);
  } catch (e) {
    throw new ApiError('The Glint server cannot be reached. Is it still running?', 'offline', 0);
  }
  if (response.status === 204) return null;
  const text = await response.text();
  let body = null;
  try { body = text ? JSON.parse(text) : null; } catch (e) { /* not JSON: handled below */ }
  if (!response.ok) {
    const error = new ApiError(body?.message || `Request failed (${response.status})`, body?.code || 'http', response.status);
    if (response.status === 401 && !options.quiet) askToSignIn(error.code);
    throw error;
  }
  return body;
}

// ---------------------------------------------------------------- signing in

// A server that needs a token (a non-loopback bind, or `--private`) gets one through the
// sign-in screen: the token is exchanged for an HttpOnly session cookie (POST /api/session),
// which every request, <video> and thumbnail then carries by itself.
const signOutButton = $('#sign-out');
let signInShown = null;

async function refreshSession() {
  const session = await api('/api/session', { quiet: true }).catch(() => null);
  signOutButton.hidden = !session?.signed_in;
  if (session?.signed_in) signOutButton.title = `Signed in as ${session.name}`;
  return session;
}

function askToSignIn(code) {
  if (signInShown) return;
  const why = code === 'session_expired'
    ? 'Your session has expired. Sign in again to go on.'
    : 'This Glint server needs a token. Ask its owner for one (glint tokens create NAME), then sign in.';
  const input = h('input', { type: 'password', autocomplete: 'current-password', placeholder: 'glint_…', 'data-testid': 'sign-in-token', required: true });
  const message = h('p', { class: 'sign-in-error', role: 'alert', 'data-testid': 'sign-in-error', hidden: true });
  const submit = h('button', { class: 'btn primary big', type: 'submit', 'data-testid': 'sign-in-button' }, 'Sign in');
  const form = h('form', { class: 'sign-in-card', 'data-testid': 'sign-in' },
    h('h2', {}, 'Sign in to Glint'),
    h('p', { class: 'muted', 'data-testid': 'sign-in-reason' }, why),
    h('label', {}, 'Token', input), message, submit);
  const overlay = h('div', { class: 'sign-in-overlay' }, form);
  form.onsubmit = async (e) => {
    e.preventDefault();
    submit.disabled = true;
    message.hidden = true;
    try {
      await api('/api/session', {
        method: 'POST', quiet: true, headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ token: input.value.trim() }),
      });
      overlay.remove();
      signInShown = null;
      await refreshSession();
      route();
    } catch (err) {
      message.textContent = err.status === 401
        ? 'That token is not valid: it is unknown or has been revoked.'
        : err.message;
      message.hidden = false;
      input.select();
    } finally {
      submit.disabled = false;
    }
  };
  signInShown = overlay;
  document.body.append(overlay);
  input.focus();
}

signOutButton.addEventListener('click', async () => {
  await api('/api/session', { method: 'DELETE', quiet: true }).catch(() => {});
  const session = await refreshSession();
  if (session?.read_needs_sign_in || session?.write_needs_sign_in) askToSignIn('signed_out');
  route();
});

// ---------------------------------------------------------------- formatting

function fmtTime(s) {
  if (s == null || !isFinite(s)) return '';
  const m = Math.floor(s / 60);
  const sec = s - m * 60;
  return `${m}:${sec < 10 ? '0' : ''}${sec.toFixed(1)}`;
}
function fmtDuration(s) {
  if (s == null) return '';
  const t = Math.round(s);
  const m = Math.floor(t / 60);
  return `${m}:${String(t % 60).padStart(2, '0')}`;
}
/** A price in its currency ("SEK 24.90", "24,90 kr"…); "24.90 SEK" when the code is unknown to Intl. */
function fmtPrice(price, currency) {
  const n = Number(price);
  if (!isFinite(n)) return '';
  const code = String(currency || '').toUpperCase();
  try {
    if (/^[A-Z]{3}$/.test(code)) return new Intl.NumberFormat(undefined, { style: 'currency', currency: code }).format(n);
  } catch (e) { /* an unknown code: the plain form below */ }
  return `${n.toFixed(2)} ${code}`.trim();
}
const plural = (n, word) => `${n} ${word}${n === 1 ? '' : /(ch|sh|s|x)$/.test(word) ? 'es' : 's'}`;

// ---------------------------------------------------------------- library cache

const library = new Map(); // media id -> media, for every media a list page has shown
/** One page of `GET /api/media` (`{results, offset, limit, total}`), remembered in `library`. */
async function loadLibrary(params = {}) {
  const page = await api(`/api/media?${new URLSearchParams(params)}`);
  for (const m of page.results) library.set(m.id, m);
  return page;
}

// ---------------------------------------------------------------- toast

let toastTimer;
function toast(message) {
  const el = $('#toast');
  el.textContent = message;
  el.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { el.hidden = true; }, 3500);
}

// ---------------------------------------------------------------- router

const view = $('#view');
let cleanup = null; // the current view's teardown

function route() {
  if (cleanup) { cleanup(); cleanup = null; }
  const hash = location.hash.slice(1) || '/';
  const [path, query = ''] = hash.split('?');
  const params = new URLSearchParams(query);
  const tab = path.startsWith('/photo') ? 'photo' : path === '/search' ? 'search' : 'library';
  document.querySelectorAll('.tabs a').forEach((a) => a.classList.toggle('active', a.dataset.tab === tab));
  view.replaceChildren();
  if (path === '/search') {
    // The box shows the words of the page, also when it was opened from a link or by Back.
    const words = params.get('q') || '';
    if (wordsInput.value !== words) wordsInput.value = words;
    return renderTextSearch(words);
  }
  const media = path.match(/^\/media\/([0-9a-f]+)$/);
  if (media) return renderPlayer(media[1], params);
  const product = path.match(/^\/product\/([^/]+)\/([^/]+)$/);
  if (product) return renderProduct(decodeURIComponent(product[1]), decodeURIComponent(product[2]));
  if (path === '/photo') return renderPhotoSearch();
  return renderLibrary(params);
}
window.addEventListener('hashchange', route);

// ---------------------------------------------------------------- search by words

// The header's search box (on every page): its words go to #/search?q=WORDS, a page of its own
// (shareable, and Back returns to what was open before).
const wordsForm = $('#text-search');
const wordsInput = $('#text-search-input');
wordsForm.addEventListener('submit', (e) => {
  e.preventDefault();
  const words = wordsInput.value.trim();
  if (!words) { wordsInput.focus(); return; }
  const target = `#/search?${new URLSearchParams({ q: words })}`;
  // On a phone the keyboard would hide the results.
  if (matchMedia('(pointer: coarse)').matches) wordsInput.blur();
  if (location.hash === target) route(); else location.hash = target;
});

/** Results for words: the videos (at their moments) and photos they fit, and products to buy. */
async function renderTextSearch(words) {
  const results = resultsPanel();
  view.append(h('div', { class: 'words-page' },
    h('div', { class: 'page-head' },
      h('div', {},
        h('h1', {}, 'Search by words'),
        h('p', { class: 'muted' }, 'Things named in your videos and photos, text read in their frames, and the products merchants sell.'))),
    results.el));
  if (!words.trim()) {
    results.placeholder('Type what you are looking for in the search box above — “apple juice”, “handbag”, a brand — and press Enter.');
    wordsInput.focus();
    return;
  }
  let gone = false;
  const abort = new AbortController();
  cleanup = () => { gone = true; abort.abort(); };
  results.loading();
  try {
    const response = await api(`/api/search?${new URLSearchParams({ q: words })}`, { signal: abort.signal });
    if (!gone) results.show(response, `Results for “${words}”`, words);
  } catch (e) {
    if (!gone) results.error(e, WORDS_HINTS);
  }
}

const WORDS_HINTS = {
  bad_query: 'Type a word or two: what is written on it, or what it is.',
  bad_request: 'Use fewer words.',
};

/** What a text search matched at a sighting ("ocr: Bravo Apple Juice"), said for people. */
function matchedText(text) {
  const m = /^(ocr|label|subtitle): (.*)$/s.exec(text);
  if (!m) return `Product: ${text}`;
  if (m[1] === 'ocr') return `Text read: “${m[2]}”`;
  if (m[1] === 'subtitle') return `Subtitle: “${m[2]}”`;
  return `Seen as: ${m[2]}`;
}

// ---------------------------------------------------------------- library view

/** The library's views: the user's media (all, videos, photos) and the merchants' product images. */
const LIBRARY_VIEWS = [
  { id: 'all', label: 'All', query: {} },
  { id: 'video', label: 'Videos', query: { kind: 'video' } },
  { id: 'image', label: 'Photos', query: { kind: 'image' } },
  { id: 'catalog', label: 'Shop images', query: { scope: 'catalog' } },
];
const PAGE_SIZE = 48;

async function renderLibrary(params) {
  const current = LIBRARY_VIEWS.find((v) => v.id === params.get('view')) || LIBRARY_VIEWS[0];
  const grid = h('div', { class: 'grid' }, ...Array.from({ length: 8 }, () => h('div', { class: 'skeleton', style: { height: '210px' } })));
  const count = h('p', { class: 'muted', 'data-testid': 'library-count' }, 'Loading…');
  const more = h('button', { class: 'btn', type: 'button', hidden: true, 'data-testid': 'library-more' }, 'Show more');
  const filters = h('nav', { class: 'filters', 'aria-label': 'Library views' }, ...LIBRARY_VIEWS.map((v) =>
    h('a', { class: v === current ? 'active' : null, href: v.id === 'all' ? '#/' : `#/?view=${v.id}`, 'data-testid': `library-view-${v.id}` }, v.label)));
  view.append(
    h('div', { class: 'page-head' },
      h('div', {}, h('h1', {}, 'Library'), count),
      h('a', { class: 'btn', href: '#/photo' }, icon('photo'), 'Search by photo')),
    filters, grid, h('div', { class: 'more' }, more));
  let page;
  try {
    page = await loadLibrary({ ...current.query, limit: PAGE_SIZE });
    if (current.id === 'all' && page.total) {
      const videos = (await api('/api/media?kind=video&limit=0')).total;
      count.textContent = `${plural(videos, 'video')} and ${plural(page.total - videos, 'photo')}. Open one, pause, and box a person or an item to find it everywhere.`;
    } else if (current.id === 'catalog') {
      count.textContent = `${plural(page.total, 'product image')} from imported merchant catalogs.`;
    } else {
      count.textContent = plural(page.total, current.id === 'video' ? 'video' : 'photo');
    }
  } catch (e) {
    grid.replaceWith(errorBox(e));
    count.textContent = '';
    return;
  }
  if (!page.total && current.id === 'all') {
    grid.replaceWith(h('div', { class: 'empty' },
      h('h2', {}, 'Your library is empty'),
      h('p', {}, 'Upload videos and photos (or run glint ingest). Glint indexes the faces and items in them, on this machine.'),
      h('label', { class: 'btn primary big' }, 'Upload videos or photos',
        h('input', { type: 'file', multiple: true, accept: 'video/*,image/*', hidden: true, onchange: (e) => uploadFiles(e.target.files) }))));
    return;
  }
  // Newest first, a page at a time: a library of thousands must not load at once.
  grid.replaceChildren(...page.results.map(mediaCard));
  let shown = page.results.length;
  const showMore = async () => {
    more.disabled = true;
    try {
      const next = await loadLibrary({ ...current.query, limit: PAGE_SIZE, offset: shown });
      grid.append(...next.results.map(mediaCard));
      shown += next.results.length;
      more.hidden = shown >= next.total || !next.results.length;
    } catch (e) {
      toast(e.message);
    } finally {
      more.disabled = false;
    }
  };
  more.onclick = showMore;
  more.hidden = shown >= page.total;
}

function mediaCard(m) {
  const facts = [];
  if (m.kind === 'video') facts.push(fmtDuration(m.duration_s));
  else facts.push(`${m.width}×${m.height}`);
  if (m.face_tracks) facts.push(plural(m.face_tracks, 'face'));
  return h('a', { class: 'card', href: `#/media/${m.id}`, title: m.name, 'data-testid': 'media-card', 'data-media-id': m.id, 'data-kind': m.kind },
    h('div', { class: 'thumb' },
      h('img', { src: `/api/media/${m.id}/thumb`, alt: '', loading: 'lazy' }),
      h('span', { class: 'badge' }, m.kind === 'video' ? 'Video' : 'Photo'),
      m.kind === 'video' ? h('span', { class: 'badge right' }, fmtDuration(m.duration_s)) : null),
    h('div', { class: 'meta' },
      h('div', { class: 'name' }, m.product || m.name),
      h('div', { class: 'sub' }, facts.join(' · '))));
}

// ---------------------------------------------------------------- uploads

const uploads = $('#uploads');
$('#upload-input').addEventListener('change', (e) => { uploadFiles(e.target.files); e.target.value = ''; });

// Dropping files anywhere (outside the photo-search drop zone) adds them to the library.
let dragDepth = 0;
document.addEventListener('dragenter', (e) => {
  if (!e.dataTransfer?.types?.includes('Files') || e.target.closest?.('.dropzone')) return;
  dragDepth++; document.body.classList.add('dropping');
});
document.addEventListener('dragleave', () => { if (--dragDepth <= 0) { dragDepth = 0; document.body.classList.remove('dropping'); } });
document.addEventListener('dragover', (e) => e.preventDefault());
document.addEventListener('drop', (e) => {
  e.preventDefault();
  dragDepth = 0; document.body.classList.remove('dropping');
  if (e.target.closest?.('.dropzone')) return;
  if (e.dataTransfer?.files?.length) uploadFiles(e.dataTransfer.files);
});

function uploadFiles(files) {
  for (const file of files) uploadOne(file);
}

function uploadOne(file) {
  const fill = h('i');
  const bar = h('div', { class: 'bar' }, fill);
  const status = h('span', { class: 'status' }, 'Uploading…');
  const row = h('div', { class: 'upload' }, h('span', { class: 'name' }, file.name), status, bar);
  uploads.append(row);
  const finish = (cls, text) => {
    row.classList.add(cls);
    status.textContent = text;
    bar.classList.remove('indeterminate');
    fill.style.width = '100%';
    setTimeout(() => row.remove(), cls === 'failed' ? 12000 : 5000);
  };
  const form = new FormData();
  form.append('file', file, file.name);
  const xhr = new XMLHttpRequest();
  xhr.open('POST', '/api/media');
  xhr.upload.onprogress = (e) => {
    if (!e.lengthComputable) return;
    const pct = Math.round((e.loaded / e.total) * 100);
    fill.style.width = `${pct}%`;
    status.textContent = `Uploading… ${pct}%`;
  };
  xhr.onerror = () => finish('failed', 'Upload failed: the server cannot be reached');
  xhr.onload = () => {
    let body = null;
    try { body = JSON.parse(xhr.responseText); } catch (e) { /* handled below */ }
    if (xhr.status === 401) askToSignIn(body?.code);
    if (xhr.status !== 202 || !body) {
      finish('failed', body?.message ? `Refused: ${body.message}` : `Upload failed (${xhr.status})`);
      return;
    }
    fill.style.width = '0%';
    status.textContent = 'Queued for indexing…';
    followJob(body.job_id, fill, bar, status, finish);
  };
  xhr.send(form);
}

/** Polls an ingest job until it ends, showing its progress. */
function followJob(id, fill, bar, status, finish) {
  const tick = async () => {
    let job;
    try {
      job = await api(`/api/jobs/${id}`);
    } catch (e) {
      setTimeout(tick, 2000);
      return;
    }
    if (job.state === 'done') {
      finish('done', job.outcome === 'skipped' ? 'Already in your library' : 'Indexed — ready to search');
      if (!location.hash || location.hash.startsWith('#/?') || ['#/', '#'].includes(location.hash)) route();
      return;
    }
    if (job.state === 'failed') {
      finish('failed', `Could not index: ${job.error || 'unknown error'}`);
      return;
    }
    if (job.state === 'running') {
      if (job.progress == null) {
        bar.classList.add('indeterminate');
        status.textContent = 'Indexing…';
      } else {
        bar.classList.remove('indeterminate');
        fill.style.width = `${Math.round(job.progress * 100)}%`;
        status.textContent = `Indexing… ${Math.round(job.progress * 100)}%`;
      }
    } else {
      status.textContent = 'Waiting for other uploads…';
    }
    setTimeout(tick, 700);
  };
  tick();
}

// ---------------------------------------------------------------- box selection overlay

/**
 * A box editor over a stage of W x H source pixels: drag inside the box to move it, its corners
 * to resize it, or anywhere else to draw a new one. Works with mouse, pen and touch.
 */
function boxEditor(overlay, W, H, onChange = () => {}) {
  let box = null;
  let sel = null;
  const min = Math.max(8, Math.min(W, H) * 0.03);
  const toSource = (e) => {
    const r = overlay.getBoundingClientRect();
    return [((e.clientX - r.left) / r.width) * W, ((e.clientY - r.top) / r.height) * H];
  };
  const clamp = (v, lo, hi) => Math.min(Math.max(v, lo), hi);
  const draw = () => {
    if (!box) { sel?.remove(); sel = null; return; }
    if (!sel) {
      sel = h('div', { class: 'selection', 'aria-label': 'Search box' },
        ...['nw', 'ne', 'sw', 'se'].map((c) => h('div', { class: 'handle', 'data-h': c })));
      overlay.append(sel);
    }
    Object.assign(sel.style, {
      left: `${(box[0] / W) * 100}%`, top: `${(box[1] / H) * 100}%`,
      width: `${(box[2] / W) * 100}%`, height: `${(box[3] / H) * 100}%`,
    });
  };
  let drag = null;
  const down = (e) => {
    if (e.button > 0) return;
    e.preventDefault();
    const [x, y] = toSource(e);
    // A press on a hotspot may be a tap (select it, see `up`) or the start of a drag: hotspots
    // can cover much of the frame, so they must not stop the user from drawing a box.
    const spot = e.target.closest('.hotspot');
    const handle = e.target.closest('.handle')?.dataset.h;
    if (handle) {
      // Resize: the opposite corner stays put.
      const [bx, by, bw, bh] = box;
      const ax = handle.includes('w') ? bx + bw : bx;
      const ay = handle.includes('n') ? by + bh : by;
      drag = { kind: 'corner', ax, ay };
    } else if (box && e.target.closest('.selection')) {
      drag = { kind: 'move', dx: x - box[0], dy: y - box[1] };
    } else {
      drag = { kind: 'corner', ax: x, ay: y, fresh: true, spot, before: box };
      box = [x, y, 0, 0];
    }
    overlay.setPointerCapture(e.pointerId);
  };
  const move = (e) => {
    if (!drag) return;
    const [x, y] = toSource(e).map((v, i) => clamp(v, 0, i ? H : W));
    if (drag.kind === 'move') {
      box = [clamp(x - drag.dx, 0, W - box[2]), clamp(y - drag.dy, 0, H - box[3]), box[2], box[3]];
    } else {
      box = [Math.min(x, drag.ax), Math.min(y, drag.ay), Math.abs(x - drag.ax), Math.abs(y - drag.ay)];
    }
    draw();
  };
  const up = () => {
    if (!drag) return;
    if (drag.spot && box && box[2] < min && box[3] < min) {
      // A tap on a hotspot: the hotspot's own action, and the previous box stays.
      const { spot, before } = drag;
      drag = null;
      box = before;
      draw();
      spot.click();
      return;
    }
    if (box && (box[2] < min || box[3] < min)) {
      // A tap or a tiny drag: grow it to a usable square around the point.
      const side = Math.min(W, H) * 0.3;
      const cx = box[0] + box[2] / 2;
      const cy = box[1] + box[3] / 2;
      box = [clamp(cx - side / 2, 0, W - side), clamp(cy - side / 2, 0, H - side), side, side];
      draw();
    }
    drag = null;
    onChange(box);
  };
  overlay.addEventListener('pointerdown', down);
  overlay.addEventListener('pointermove', move);
  overlay.addEventListener('pointerup', up);
  overlay.addEventListener('pointercancel', up);
  return {
    get: () => box && box.map((v) => Math.round(v * 100) / 100),
    set: (b) => { box = b ? [...b] : null; draw(); onChange(box); },
    centre: () => {
      const side = Math.min(W, H) * 0.35;
      box = [(W - side) / 2, (H - side) / 2, side, side];
      draw(); onChange(box);
    },
  };
}

/** Percent placement of a source-pixel box inside a W x H stage. */
function placeBox(el, b, W, H) {
  Object.assign(el.style, {
    left: `${(b[0] / W) * 100}%`, top: `${(b[1] / H) * 100}%`, width: `${(b[2] / W) * 100}%`, height: `${(b[3] / H) * 100}%`,
  });
  return el;
}

/** A stage sized to the media's aspect ratio, at most 68% of the viewport height. */
function makeStage(W, H, mediaEl) {
  const stage = h('div', { class: 'stage', style: { aspectRatio: `${W} / ${H}`, width: `min(100%, ${((68 * W) / H).toFixed(3)}vh)` } });
  const overlay = h('div', { class: 'overlay passive' });
  stage.append(mediaEl, overlay);
  return { wrap: h('div', { class: 'stage-wrap' }, stage), stage, overlay };
}

// ---------------------------------------------------------------- search results

let lastSearch = null; // {response, label, words}: shown again when a hit is opened

function resultsPanel() {
  const body = h('div', {});
  const title = h('h2', {}, 'Results');
  const meta = h('span', { class: 'muted', style: { fontSize: '13px' } });
  const panel = h('section', { class: 'results', 'aria-live': 'polite', 'data-testid': 'results' }, h('div', { class: 'results-head' }, title, meta), body);
  const set = (...nodes) => body.replaceChildren(...nodes);
  return {
    el: panel,
    placeholder(text) {
      meta.textContent = '';
      set(h('div', { class: 'placeholder' }, icon('search'), h('p', {}, text)));
    },
    loading() {
      meta.textContent = 'Searching…';
      set(h('div', { class: 'skeleton' }), h('div', { class: 'skeleton' }), h('div', { class: 'skeleton' }));
    },
    error(e, hints) {
      meta.textContent = '';
      set(errorBox(e, hints));
    },
    /** `words`: the query of a search by words (its no-match message names them). */
    show(response, label, words) {
      lastSearch = { response, label, words };
      title.textContent = label || 'Results';
      meta.textContent = `${Math.round(response.latency_ms)} ms`;
      set(renderResponse(response, words));
    },
  };
}

function errorBox(e, extraHints = {}) {
  const hints = {
    bad_query: 'Try a larger box that lies on the picture.',
    bad_request: 'Check the box and try again.',
    unknown_media: 'This media is no longer in the library.',
    bad_image: 'Pick a JPEG, PNG, WebP or GIF photo.',
    too_large: 'Pick a smaller file.',
    offline: '',
    ...extraHints,
  };
  return h('div', { class: 'error', role: 'alert' },
    h('b', {}, 'Something went wrong. '), e.message,
    hints[e.code] ? h('div', { class: 'muted', style: { marginTop: '4px' } }, hints[e.code]) : null);
}

const GROUP_TITLES = { person: 'Same person', item: 'Same item', text: 'Found by words' };

function renderResponse(r, words) {
  const groups = r.groups.filter((g) => g.hits.length);
  const products = r.products || [];
  const copies = r.copies || [];
  const byWords = r.route === 'text';
  if ((r.no_match && !products.length && !copies.length) || (!groups.length && !products.length && !copies.length)) {
    return byWords
      ? h('div', { class: 'no-match', 'data-testid': 'no-match' },
        h('div', { class: 'icon' }, icon('nothing')),
        h('h2', {}, `Nothing fits “${words ?? ''}”`),
        h('p', {}, 'No video, photo or product in the library goes with these words. Try other words: what is written on it, what it is, or its brand.'))
      : h('div', { class: 'no-match', 'data-testid': 'no-match' },
        h('div', { class: 'icon' }, icon('nothing')),
        h('h2', {}, 'No comparable person or item found'),
        h('p', {}, 'Nothing indexed looks like this box. Try a tighter box around one face or one object, or another moment.'));
  }
  const wtb = products.length ? whereToBuy(products) : null;
  // Words look for moments first: the videos and photos lead, the products to buy follow.
  return h('div', {}, byWords ? null : wtb, copies.length ? sameFootage(copies) : null, ...groups.map((g) =>
    h('div', { class: 'group', 'data-testid': `group-${g.route}` },
      h('h3', {}, h('span', { class: `dot ${g.route}` }), GROUP_TITLES[g.route] || 'Found',
        // What the box was on, as the object detector named it: "Same item · handbag".
        g.route === 'item' && r.query_object
          ? h('span', { class: 'object-label', 'data-testid': 'query-object' }, r.query_object.label) : null,
        h('span', { class: 'muted' }, `· ${plural(g.hits.length, 'match')}`)),
      h('div', { class: 'hits' }, ...g.hits.map(hitCard)))), byWords ? wtb : null);
}

/**
 * Other videos that show the same footage (a re-encode, a repost), each at the matching
 * moment with the box carried onto it: the boxed face or item is certainly there.
 */
function sameFootage(copies) {
  const hits = copies.map((c) => ({
    media_id: c.media_id, name: c.name, kind: 'video', sightings: [{ t: c.t, box: c.box }],
    sub: `Same footage at ${fmtTime(c.t)} · ${c.inliers} matching points`,
  }));
  return h('div', { class: 'group', 'data-testid': 'group-copies' },
    h('h3', {}, h('span', { class: 'dot item' }), 'Same footage', h('span', { class: 'muted' }, `· ${plural(hits.length, 'video')}`)),
    h('div', { class: 'hits' }, ...hits.map(hitCard)));
}

// ---------------------------------------------------------------- where to buy

const AVAILABILITY = {
  in_stock: ['In stock', 0], preorder: ['Pre-order', 1], out_of_stock: ['Out of stock', 2], unknown: ['Unknown', 3],
};
const availability = (a) => AVAILABILITY[a] || AVAILABILITY.unknown;
const SHOWN_PRODUCTS = 3;

/**
 * The "Where to buy" section: merchants' products whose image matched, best first. Stores
 * that sell the same product with the same image (one product each in the API) share one card
 * with all their offers, in stock first, then cheapest. Every string here comes from a
 * merchant's feed: it only ever reaches the page as text, and links only when http(s).
 */
function whereToBuy(products) {
  const cards = [];
  const byKey = new Map();
  for (const p of products) {
    const key = JSON.stringify([p.media_id, p.title, p.category ?? null]);
    let card = byKey.get(key);
    if (!card) {
      card = { ...p, offers: [] };
      byKey.set(key, card);
      cards.push(card);
    }
    card.score = Math.max(card.score, p.score);
    card.brand = card.brand || p.brand;
    card.offers.push(...(p.offers || []));
  }
  for (const c of cards) {
    c.offers.sort((a, b) => availability(a.availability)[1] - availability(b.availability)[1] || a.price - b.price);
  }
  const list = h('div', { class: 'products' }, ...cards.slice(0, SHOWN_PRODUCTS).map(productCard));
  const more = cards.length > SHOWN_PRODUCTS
    ? h('button', {
      class: 'btn ghost more', type: 'button', 'data-testid': 'more-products',
      onclick: (e) => { list.append(...cards.slice(SHOWN_PRODUCTS).map(productCard)); e.currentTarget.remove(); },
    }, `Show ${plural(cards.length - SHOWN_PRODUCTS, 'more product')}`)
    : null;
  return h('section', { class: 'where-to-buy', 'data-testid': 'where-to-buy', 'aria-labelledby': 'where-to-buy-title' },
    h('div', { class: 'wtb-head' },
      h('span', { class: 'wtb-icon', html: ICONS.bag, 'aria-hidden': 'true' }),
      h('h3', { id: 'where-to-buy-title' }, 'Where to buy'),
      h('span', { class: 'muted' }, `· ${plural(cards.length, 'product')}`)),
    list, more);
}

function productCard(p) {
  const thumb = h('img', { src: `/api/media/${encodeURIComponent(p.media_id)}/thumb`, alt: '', loading: 'lazy' });
  thumb.addEventListener('error', () => {
    const frame = `/api/media/${encodeURIComponent(p.media_id)}/frame?max=320`;
    if (!thumb.src.endsWith(frame)) thumb.src = frame;
  }, { once: true });
  const facts = [p.category, p.brand].filter(Boolean).join(' · ');
  const match = p.score > 1
    ? h('span', { class: 'match confirmed', title: 'The product image was matched point by point' }, 'Confirmed match')
    : h('span', { class: 'match' }, `Similar · ${Math.round(Math.min(p.score, 1) * 100)}%`);
  return h('article', { class: 'product', 'data-testid': 'product', 'data-media-id': p.media_id, 'data-product-id': p.product_id },
    h('div', { class: 'pthumb' }, thumb),
    h('div', { class: 'pbody' },
      h('div', { class: 'name', 'data-testid': 'product-title' }, p.title),
      h('div', { class: 'sub' }, facts ? h('span', { 'data-testid': 'product-category' }, facts) : null, match),
      h('a', { class: 'seen-link', href: productHref(p.store_id, p.product_id), 'data-testid': 'product-page-link' }, 'Where else it was seen')),
    p.offers.length
      ? h('ul', { class: 'offers', 'aria-label': `Offers for ${p.title}` }, ...p.offers.map(offerRow))
      : h('div', { class: 'sub offers' }, 'No offers listed'));
}

function productHref(store, product) {
  return `#/product/${encodeURIComponent(store)}/${encodeURIComponent(product)}`;
}

// ---------------------------------------------------------------- product page

/**
 * A merchant's product: its offers, and every video moment and photo where it was seen (its
 * shop images searched against the library on the server, newest first). A tap on a moment
 * opens the video there, the product boxed.
 */
async function renderProduct(store, productId) {
  const body = h('div', { class: 'product-page' }, h('div', { class: 'skeleton', style: { height: '160px' } }));
  view.append(h('div', {}, h('a', { class: 'back', href: '#/?view=catalog' }, icon('back'), 'Shop images'), body));
  let page;
  try {
    page = await api(`/api/catalog/stores/${encodeURIComponent(store)}/products/${encodeURIComponent(productId)}`);
  } catch (e) {
    body.replaceChildren(errorBox(e));
    return;
  }
  const images = page.images.filter((i) => i.media_uid);
  const facts = [page.category, page.brand].filter(Boolean).join(' · ');
  const seen = page.seen_in.length
    ? h('div', { class: 'group', 'data-testid': 'seen-in' },
      h('h3', {}, h('span', { class: 'dot item' }), 'Seen in', h('span', { class: 'muted' }, `· ${plural(page.seen_in.length, 'match')}, newest first`)),
      h('div', { class: 'hits' }, ...page.seen_in.map(hitCard)))
    : h('div', { class: 'no-match', 'data-testid': 'seen-nowhere' },
      h('div', { class: 'icon' }, icon('nothing')),
      h('h2', {}, 'Not seen in the library yet'),
      h('p', {}, 'No indexed video or photo shows this product. New uploads are checked whenever this page opens.'));
  body.replaceChildren(
    h('div', { class: 'page-head' },
      h('div', {},
        h('h1', { 'data-testid': 'product-page-title' }, page.title),
        facts ? h('p', { class: 'muted' }, facts) : null)),
    h('div', { class: 'product-top' },
      images.length ? h('div', { class: 'pthumb big' }, h('img', { src: `/api/media/${encodeURIComponent(images[0].media_uid)}/frame?max=320`, alt: page.title })) : null,
      page.offers.length
        ? h('ul', { class: 'offers', 'aria-label': `Offers for ${page.title}` }, ...page.offers.map(offerRow))
        : h('div', { class: 'sub offers' }, 'No offers listed')),
    seen);
}

function offerRow(o) {
  const [label] = availability(o.availability);
  const safe = /^https?:\/\//i.test(o.url || '') ? o.url : null;
  const checked = o.updated_at ? `Checked ${new Date(o.updated_at).toLocaleDateString()}` : '';
  const body = [
    h('span', { class: 'store' },
      h('span', { class: 'store-name', 'data-testid': 'offer-store' }, o.store_name || o.store_id),
      o.verified ? h('span', { class: 'verified', title: 'Verified store', 'data-testid': 'offer-verified' }, icon('check'), 'Verified') : null),
    h('span', { class: 'buy' },
      h('span', { class: 'price', 'data-testid': 'offer-price' }, fmtPrice(o.price, o.currency)),
      safe ? h('span', { class: 'go', 'aria-hidden': 'true' }, icon('external')) : null),
    h('span', { class: `avail ${AVAILABILITY[o.availability] ? o.availability : 'unknown'}`, 'data-testid': 'offer-availability' }, label),
  ];
  const title = [o.country, checked].filter(Boolean).join(' · ') || null;
  return h('li', {}, safe
    ? h('a', { class: 'offer', href: safe, target: '_blank', rel: 'noopener noreferrer', title, 'data-testid': 'offer' }, ...body)
    : h('div', { class: 'offer', title, 'data-testid': 'offer' }, ...body));
}

function openAt(id, t, b) {
  const q = new URLSearchParams();
  if (t != null) q.set('t', t.toFixed(3));
  if (b) q.set('box', b.map((v) => Math.round(v)).join(','));
  const target = `#/media/${id}?${q}`;
  if (location.hash === target) route(); else location.hash = target;
}

function hitCard(hit) {
  const m = hit.width ? hit : library.get(hit.media_id);
  // Found by words, the moments are in time order: the card leads with the best one, and
  // says what matched there.
  const said = hit.sightings.filter((s) => s.text);
  const first = said.length ? said.reduce((a, b) => (b.score > a.score ? b : a)) : hit.sightings[0];
  const W = m?.width || 16;
  const H = m?.height || 10;
  const frameSrc = hit.kind === 'video'
    ? `/api/media/${hit.media_id}/frame?t=${first.t}&max=320`
    : `/api/media/${hit.media_id}/frame?max=320`;
  // The thumbnail frame is 16:10; the media keeps its own aspect inside it.
  const ratio = W / H;
  const inner = h('div', { class: 'inner' }, h('img', { src: frameSrc, alt: '', loading: 'lazy' }));
  if (ratio > 1.6) Object.assign(inner.style, { left: 0, width: '100%', height: `${(1.6 / ratio) * 100}%`, top: `${(1 - 1.6 / ratio) * 50}%` });
  else Object.assign(inner.style, { top: 0, height: '100%', width: `${(ratio / 1.6) * 100}%`, left: `${(1 - ratio / 1.6) * 50}%` });
  if (m) inner.append(placeBox(h('div', { class: 'box' }), first.box, W, H));
  // An item score above 1 means its keypoints agreed point by point (geometric verification):
  // say so rather than show a percentage over 100.
  const match = hit.score >= 1 ? 'confirmed match' : `match ${(hit.score * 100).toFixed(0)}%`;
  // What the matched sighting shows, when ingest's object detector named it ("handbag").
  const shows = hit.sightings.find((s) => s.label)?.label;
  const sub = hit.sub ? hit.sub : [
    hit.kind === 'video' ? 'Video' : 'Photo',
    shows,
    hit.kind === 'video' ? plural(hit.sightings.length, 'moment') : null,
    match,
  ].filter(Boolean).join(' · ');
  const chips = hit.kind === 'video'
    ? h('div', { class: 'chips' }, ...hit.sightings.slice(0, 8).map((s) =>
      h('button', {
        class: 'chip', type: 'button', title: s.text ? `Open at ${fmtTime(s.t)} · ${matchedText(s.text)}` : `Open at ${fmtTime(s.t)}`,
        onclick: (e) => { e.stopPropagation(); openAt(hit.media_id, s.t, s.box); },
      }, fmtTime(s.t))),
    hit.sightings.length > 8 ? h('span', { class: 'muted', style: { fontSize: '12px' } }, `+${hit.sightings.length - 8}`) : null)
    : null;
  return h('div', {
    class: 'hit', role: 'link', tabindex: 0, 'data-testid': 'hit', 'data-media-id': hit.media_id, 'data-kind': hit.kind,
    onclick: () => openAt(hit.media_id, first.t, first.box),
    onkeydown: (e) => { if (e.key === 'Enter') openAt(hit.media_id, first.t, first.box); },
  },
  h('div', { class: 'frame' }, inner),
  h('div', {}, h('div', { class: 'name' }, hit.name || library.get(hit.media_id)?.name || hit.media_id),
    first.text ? h('div', { class: 'said', 'data-testid': 'hit-text', title: first.text }, matchedText(first.text)) : null,
    h('div', { class: 'sub' }, sub), chips));
}

// ---------------------------------------------------------------- player view

async function renderPlayer(id, params) {
  const results = resultsPanel();
  const main = h('div', { class: 'player-main' }, h('a', { class: 'back', href: '#/' }, icon('back'), 'Library'),
    h('div', { class: 'stage-wrap' }, h('div', { style: { padding: '80px 0' } }, h('div', { class: 'spinner' }))));
  view.append(h('div', { class: 'player-layout' }, main, results.el));
  if (lastSearch) results.show(lastSearch.response, lastSearch.label, lastSearch.words);
  else results.placeholder('Pause on a face or an item and press Search to find it in your other videos and photos.');

  let media;
  try {
    ({ media } = await api(`/api/media/${id}`));
  } catch (e) {
    main.lastChild.replaceWith(errorBox(e));
    return;
  }
  const W = media.width;
  const H = media.height;
  const isVideo = media.kind === 'video';
  const el = isVideo
    ? h('video', { src: `/api/media/${id}/file`, controls: true, playsinline: true, preload: 'metadata' })
    : h('img', { src: `/api/media/${id}/frame?max=2000`, alt: media.name });
  const { wrap, overlay } = makeStage(W, H, el);
  el.dataset.testid = 'player-media';
  overlay.dataset.testid = 'overlay';
  main.lastChild.replaceWith(wrap);

  const t0 = params.has('t') ? Number(params.get('t')) : null;
  const shown = params.get('box')?.split(',').map(Number);
  let found = null;
  const showFound = (b) => {
    found?.remove();
    found = b && b.length === 4 && b.every(isFinite) ? placeBox(h('div', { class: 'found-box', 'data-testid': 'found-box' }), b, W, H) : null;
    if (found) overlay.append(found);
  };
  if (isVideo && t0 != null && isFinite(t0)) {
    el.addEventListener('loadedmetadata', () => { el.currentTime = t0; }, { once: true });
  }
  showFound(shown);
  if (isVideo) el.addEventListener('play', () => { if (!selecting) showFound(null); });

  // Search mode: the frame is paused, hotspots and a box are offered.
  let selecting = false;
  let editor = null;
  const hint = h('span', { class: 'hint' });
  const searchBtn = h('button', { class: 'btn primary big', type: 'button', 'data-testid': 'search-button' }, icon('search'), 'Search');
  const goBtn = h('button', { class: 'btn primary big', type: 'button', hidden: true, 'data-testid': 'search-box-button' }, icon('search'), 'Search this box');
  const cancelBtn = h('button', { class: 'btn big', type: 'button', hidden: true }, 'Cancel');
  const delBtn = h('button', { class: 'btn ghost danger', type: 'button', title: 'Remove from the library' }, icon('trash'), 'Delete');
  const toolbar = h('div', { class: 'toolbar' }, searchBtn, goBtn, cancelBtn, hint, h('span', { class: 'spacer' }));

  const facts = [];
  if (isVideo) facts.push(fmtDuration(media.duration_s), `${W}×${H}`, plural(media.shots.length, 'shot'));
  else facts.push(`${W}×${H}`);
  facts.push(plural(media.face_tracks, 'face track'), plural(media.tracks - media.face_tracks, 'item track'));
  main.append(toolbar,
    h('div', { class: 'title-row' }, h('h1', {}, media.name), delBtn),
    h('div', { class: 'facts' }, ...facts.map((f) => h('span', {}, f))));

  const at = () => (isVideo ? el.currentTime : null);
  const exitSelect = () => {
    selecting = false;
    overlay.classList.remove('selecting');
    overlay.classList.add('passive');
    overlay.querySelectorAll('.hotspot, .selection').forEach((n) => n.remove());
    searchBtn.hidden = false; goBtn.hidden = true; cancelBtn.hidden = true; hint.textContent = '';
  };
  const search = async (bbox) => {
    const t = at();
    results.loading();
    try {
      const body = isVideo ? { video: id, at: t, box: bbox } : { media: id, box: bbox };
      const response = await api('/api/search', {
        method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body),
      });
      results.show(response, isVideo ? `Results for ${media.name} at ${fmtTime(t)}` : `Results for ${media.name}`);
    } catch (e) {
      results.error(e);
    }
    results.el.scrollIntoView({ behavior: 'smooth', block: 'nearest' });
  };

  searchBtn.onclick = async () => {
    if (isVideo) el.pause();
    selecting = true;
    showFound(null);
    overlay.classList.add('selecting');
    overlay.classList.remove('passive');
    searchBtn.hidden = true; goBtn.hidden = false; cancelBtn.hidden = false;
    hint.textContent = 'Finding faces and items on this frame…';
    if (!editor) editor = boxEditor(overlay, W, H);
    editor.centre();
    const t = at();
    try {
      const spots = await api(`/api/media/${id}/hotspots${isVideo ? `?t=${t}` : ''}`);
      if (!selecting) return;
      for (const s of spots.hotspots) {
        // Detected objects say what they are ("bicycle"); faces and stored windows their kind.
        const name = s.kind === 'face' ? 'face' : (s.label || 'item');
        const label = name.charAt(0).toUpperCase() + name.slice(1);
        const btn = placeBox(h('button', {
          // A box touching the frame's top edge has its name inside, not cut off above it.
          class: `hotspot ${s.kind}${s.box[1] < 0.06 * H ? ' label-inside' : ''}`, type: 'button', 'data-testid': `hotspot-${s.kind}`, 'data-label': s.label || '', title: `Search this ${name}`, 'data-track': s.track,
          onclick: () => { editor.set(s.box); exitSelect(); showFound(s.box); search(s.box); },
        }, h('span', {}, label)), s.box, W, H);
        overlay.prepend(btn);
      }
      hint.textContent = spots.hotspots.length
        ? 'Tap a highlighted face or item, or drag the box over what you want to find.'
        : 'Drag the box over a face or an item; resize it from its corners.';
    } catch (e) {
      hint.textContent = 'Drag the box over a face or an item; resize it from its corners.';
    }
  };
  goBtn.onclick = () => {
    const b = editor?.get();
    if (!b) return;
    exitSelect();
    showFound(b);
    search(b);
  };
  cancelBtn.onclick = exitSelect;
  delBtn.onclick = async () => {
    if (!confirm(`Remove “${media.name}” from the library? Its index entries and thumbnails are deleted${media.uploaded ? ', and the uploaded file too' : ''}.`)) return;
    try {
      await api(`/api/media/${id}`, { method: 'DELETE' });
      library.delete(id);
      lastSearch = null;
      toast(`Removed ${media.name}`);
      location.hash = '#/';
    } catch (e) {
      toast(e.message);
    }
  };
  const onKey = (e) => { if (e.key === 'Escape' && selecting) exitSelect(); };
  document.addEventListener('keydown', onKey);
  cleanup = () => { document.removeEventListener('keydown', onKey); if (isVideo) el.pause(); };
}

// ---------------------------------------------------------------- photo search view

function renderPhotoSearch() {
  const results = resultsPanel();
  results.placeholder('Pick a photo, box a face or an item if you like, and search your library for it.');
  const input = h('input', { type: 'file', accept: 'image/*', hidden: true, 'data-testid': 'photo-input' });
  const zone = h('label', { class: 'dropzone' },
    icon('photo'), h('h2', {}, 'Drop a photo here'), h('span', { class: 'muted' }, 'or click to pick one — it is only used for this search, never stored'), input);
  const main = h('div', {}, h('div', { class: 'page-head' },
    h('div', {}, h('h1', {}, 'Search by photo'), h('p', { class: 'muted' }, 'Find the same person or item in your videos and photos.'))), zone);
  view.append(h('div', { class: 'photo-layout' }, main, results.el));

  let url = null;
  const pick = (file) => {
    if (!file) return;
    if (!file.type.startsWith('image/') && file.type) { toast('That is not a photo.'); return; }
    if (url) URL.revokeObjectURL(url);
    url = URL.createObjectURL(file);
    const img = h('img', { src: url, alt: 'Your photo' });
    img.onerror = () => { toast('This browser cannot show that photo; searching with the whole photo still works.'); };
    img.onload = () => showPhoto(file, img);
  };
  input.onchange = () => pick(input.files[0]);
  zone.addEventListener('dragover', (e) => { e.preventDefault(); zone.classList.add('over'); });
  zone.addEventListener('dragleave', () => zone.classList.remove('over'));
  zone.addEventListener('drop', (e) => { e.preventDefault(); zone.classList.remove('over'); pick(e.dataTransfer.files[0]); });

  const showPhoto = (file, img) => {
    const W = img.naturalWidth;
    const H = img.naturalHeight;
    const { wrap, overlay } = makeStage(W, H, img);
    overlay.dataset.testid = 'overlay';
    overlay.classList.remove('passive');
    overlay.classList.add('selecting');
    const hint = h('span', { class: 'hint' }, 'Optional: drag on the photo to box a face or an item. Without a box the whole photo is used.');
    const clearBtn = h('button', { class: 'btn', type: 'button', hidden: true }, 'Clear box');
    const editor = boxEditor(overlay, W, H, (b) => { clearBtn.hidden = !b; });
    clearBtn.onclick = () => editor.set(null);
    const go = h('button', { class: 'btn primary big', type: 'button', 'data-testid': 'photo-search-button' }, icon('search'), 'Search');
    const other = h('label', { class: 'btn' }, 'Another photo',
      h('input', { type: 'file', accept: 'image/*', hidden: true, onchange: (e) => pick(e.target.files[0]) }));
    go.onclick = async () => {
      const form = new FormData();
      form.append('image', file, file.name);
      const b = editor.get();
      if (b) form.append('box', b.join(','));
      results.loading();
      go.disabled = true;
      try {
        const response = await api('/api/search/photo', { method: 'POST', body: form });
        results.show(response, b ? 'Results for the boxed region' : 'Results for your photo');
      } catch (e) {
        results.error(e);
      } finally {
        go.disabled = false;
      }
      results.el.scrollIntoView({ behavior: 'smooth', block: 'nearest' });
    };
    main.replaceChildren(main.firstChild, wrap, h('div', { class: 'toolbar' }, go, clearBtn, other, hint));
  };
  cleanup = () => { if (url) URL.revokeObjectURL(url); };
}

refreshSession().then((session) => {
  if (session?.expired) askToSignIn('session_expired');
  else if (session?.read_needs_sign_in && !session.signed_in) askToSignIn('unauthorized');
});
route();
