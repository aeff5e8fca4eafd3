// Shared set-up for Glint's end-to-end tests: a fresh `glint serve` on a free 127.0.0.1 port with
// its own data directory, and Debian's headless Chromium driven through playwright-core.
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, mkdir, readFile, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const GLINT = process.env.GLINT_BIN || path.join(ROOT, 'target/release/glint');
export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
export const ARTIFACTS = path.join(ROOT, 'test-artifacts/e2e');
const EXAMPLES = path.join(ROOT, '../shared/eval/faces_face_recognition_examples/examples');
export const CLIP = path.join(EXAMPLES, 'short_hamilton_clip.mp4');
export const PHOTO = path.join(EXAMPLES, 'lin-manuel-miranda.png');

/** Skip reason when the evaluation media beside the repository are missing, else null. */
export const missingMedia = () =>
  [CLIP, PHOTO].every(existsSync) ? null : `evaluation media not found under ${EXAMPLES}`;

async function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => { const { port } = srv.address(); srv.close(() => resolve(port)); });
  });
}

/**
 * Starts `glint serve` on a fresh data dir and waits for /healthz. Call stop() when done.
 * `prepare(dataDir)`, when given, runs before the server starts (e.g. `glint catalog import`).
 */
export async function startServer({ prepare, host = '127.0.0.1', args = [] } = {}) {
  if (!existsSync(GLINT)) throw new Error(`${GLINT} is missing: run cargo build --bin glint (or set GLINT_BIN)`);
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'glint-e2e-'));
  if (prepare) {
    try {
      await prepare(dataDir);
    } catch (e) {
      await rm(dataDir, { recursive: true, force: true });
      throw e;
    }
  }
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  // On another host (0.0.0.0) the server is no longer loopback-only: tokens are enforced.
  const child = spawn(GLINT, ['--data-dir', dataDir, 'serve', '--bind', `${host}:${port}`, ...args], {
    cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  child.stdout.on('data', (d) => { log += d; });
  child.stderr.on('data', (d) => { log += d; });
  let exited = null;
  child.on('exit', (code, signal) => { exited = { code, signal }; });
  const stop = async () => {
    if (!exited) {
      child.kill('SIGTERM');
      await Promise.race([new Promise((r) => child.once('exit', r)), sleep(5000)]);
      if (!exited) child.kill('SIGKILL');
    }
    await rm(dataDir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (exited) throw new Error(`glint serve exited early (${JSON.stringify(exited)}):\n${log}`);
    try {
      const r = await fetch(`${url}/healthz`);
      if (r.ok) break;
    } catch { /* not up yet */ }
    if (Date.now() > deadline) { await stop(); throw new Error(`glint serve did not answer /healthz:\n${log}`); }
    await sleep(150);
  }
  return { url, dataDir, stop, log: () => log };
}

/** Runs the glint CLI (`glint ARGS...`) and returns its stdout; throws with its output on failure. */
export function glint(args, { timeout = 120_000 } = {}) {
  return new Promise((resolve, reject) => {
    execFile(GLINT, args, { cwd: ROOT, timeout, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`glint ${args.join(' ')} failed (${err.code ?? err.signal}):\n${stdout}${stderr}`));
      else resolve(stdout);
    });
  });
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Adds files to the library through the API (for tests whose subject is not the upload control). */
export async function seed(url, files, { token } = {}) {
  const headers = token ? { authorization: `Bearer ${token}` } : {};
  const getJson = async (p) => (await fetch(`${url}${p}`, { headers })).json();
  for (const f of files) {
    const form = new FormData();
    form.append('file', new Blob([await readFile(f)]), path.basename(f));
    const r = await fetch(`${url}/api/media`, { method: 'POST', body: form, headers });
    if (r.status !== 202) throw new Error(`upload of ${f} refused: ${r.status} ${await r.text()}`);
  }
  const deadline = Date.now() + 90_000;
  for (;;) {
    const list = (await getJson('/api/jobs?limit=1000')).results;
    const failed = list.filter((j) => j.state === 'failed');
    if (failed.length) throw new Error(`indexing failed: ${JSON.stringify(failed)}`);
    const media = (await getJson('/api/media?limit=1000')).results;
    if (media.length >= files.length && list.every((j) => j.state === 'done')) return media;
    if (Date.now() > deadline) throw new Error('indexing did not finish in 90 s');
    await sleep(300);
  }
}

/**
 * Headless Debian Chromium with a fresh profile (Playwright's launch() always uses a new
 * temporary user-data-dir), and a context that lets requests reach 127.0.0.1 only.
 */
export async function openBrowser(contextOptions = {}) {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 }, ...contextOptions });
  await context.route('**/*', (route) => {
    const u = new URL(route.request().url());
    if (['http:', 'https:', 'ws:', 'wss:'].includes(u.protocol) && u.hostname !== '127.0.0.1') return route.abort();
    return route.continue();
  });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  return { browser, context, page, errors };
}

export async function screenshot(page, name) {
  await mkdir(ARTIFACTS, { recursive: true });
  const file = path.join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

/** Drags a new box on an overlay of a W x H (source pixels) stage, from (x, y) to (x+w, y+h). */
export async function dragBox(page, overlay, W, H, [x, y, w, h]) {
  const r = await overlay.boundingBox();
  const at = (sx, sy) => [r.x + (sx / W) * r.width, r.y + (sy / H) * r.height];
  const [x0, y0] = at(x, y);
  const [x1, y1] = at(x + w, y + h);
  await page.mouse.move(x0, y0);
  await page.mouse.down();
  await page.mouse.move((x0 + x1) / 2, (y0 + y1) / 2, { steps: 4 });
  await page.mouse.move(x1, y1, { steps: 4 });
  await page.mouse.up();
}

/** Presses the player's Search button and returns the largest face hotspot it shows. */
export async function largestFaceHotspot(page) {
  await page.locator('[data-testid=search-button]').click();
  const faces = page.locator('[data-testid=hotspot-face]');
  await faces.first().waitFor();
  let best = null;
  for (const f of await faces.all()) {
    const b = await f.boundingBox();
    if (!best || b.width * b.height > best.area) best = { f, area: b.width * b.height };
  }
  return best.f;
}

/** Drags a square over an on-screen element (a face hotspot) with a 15% margin, as a person would. */
export async function dragSquareOver(page, element) {
  const b = await element.boundingBox();
  const m = 0.15 * Math.max(b.width, b.height);
  await page.mouse.move(b.x - m, b.y - m);
  await page.mouse.down();
  await page.mouse.move(b.x + b.width / 2, b.y + b.height / 2, { steps: 4 });
  await page.mouse.move(b.x + b.width + m, b.y + b.height + m, { steps: 4 });
  await page.mouse.up();
}

/** Seeks the player's <video> to t seconds and waits until the frame is there. */
export async function seekVideo(page, t) {
  await page.waitForFunction(() => document.querySelector('video[data-testid=player-media]')?.readyState >= 1, null, { timeout: 20_000 });
  await page.evaluate((t) => new Promise((resolve, reject) => {
    const v = document.querySelector('video[data-testid=player-media]');
    v.pause();
    v.addEventListener('seeked', () => resolve(), { once: true });
    v.addEventListener('error', () => reject(new Error('video error')), { once: true });
    v.currentTime = t;
  }), t);
}

/** The (integer-rounded) hash query of the page, e.g. {t: '2.736', box: '1,2,3,4'}. */
export const hashParams = (page) => page.evaluate(() => Object.fromEntries(new URLSearchParams(location.hash.split('?')[1] || '')));

// ---------------------------------------------------------------- a library of products (issue 16)

export const EVAL = path.join(ROOT, '../shared/eval');
export const GROCERY = path.join(EVAL, 'products_grocery_store');
export const PRODUCT_VIDEOS = path.join(EVAL, 'videos_composited_products/videos');

/** Skip reason when any of `files` (and the grocery set) is missing, else null. */
export const missingFiles = (files) => {
  const need = [GROCERY, ...files].filter((f) => !existsSync(f));
  return need.length ? `evaluation media not found: ${need.join(', ')}` : null;
};

/**
 * As product-page.test.mjs sets it up: `media` ingested first (`glint ingest`), then the demo
 * feed of the grocery set imported (`glint catalog import`, three fictional stores), then
 * `glint serve`. stop() also removes the feed.
 */
export async function startProductLibrary(media) {
  const work = await mkdtemp(path.join(os.tmpdir(), 'glint-e2e-products-'));
  try {
    await glint(['catalog', 'demo-feed', '--set', GROCERY, '--out', path.join(work, 'feed')]);
    const server = await startServer({
      prepare: async (dataDir) => {
        await glint(['--data-dir', dataDir, 'ingest', ...media], { timeout: 240_000 });
        await glint(['--data-dir', dataDir, 'catalog', 'import', path.join(work, 'feed/feed.csv')], { timeout: 240_000 });
      },
    });
    return { ...server, stop: async () => { await server.stop(); await rm(work, { recursive: true, force: true }); } };
  } catch (e) {
    await rm(work, { recursive: true, force: true });
    throw e;
  }
}
