// (j) Product pages (issue 16): a merchant's product lists the video moments and photos where it
// was seen, found by searching its shop image against the library (no re-ingest after the
// import); a tap on a moment opens the video there. A product seen nowhere says so.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ROOT, glint, openBrowser, screenshot, startServer } from './helpers.mjs';

const EVAL = path.join(ROOT, '../shared/eval');
const GROCERY = path.join(EVAL, 'products_grocery_store');
const VIDEOS = path.join(EVAL, 'videos_composited_products/videos');
const PRODUCT = 'oatly-natural-oatghurt';
// v004.mp4 shows it from 2.5 s to 5.0 s (scenes.csv); v001.mp4 does not show it; the photo does.
const SHOWS = path.join(VIDEOS, 'v004.mp4');
const OTHER = path.join(VIDEOS, 'v001.mp4');
const PHOTO = path.join(GROCERY, 'dataset/val/Packages/Oatghurt/Oatly-Natural-Oatghurt/Oatly-Natural-Oatghurt_002.jpg');
// In the catalog, absent from the library.
const ABSENT = 'golden-delicious';

const missing = () => {
  const need = [GROCERY, SHOWS, OTHER, PHOTO].filter((f) => !existsSync(f));
  return need.length ? `evaluation media not found: ${need.join(', ')}` : null;
};

test('a product page lists where the product was seen and opens the video at that moment', { skip: missing() ?? false, timeout: 300_000 }, async () => {
  const work = await mkdtemp(path.join(os.tmpdir(), 'glint-e2e-pages-'));
  let server;
  let browser;
  try {
    await glint(['catalog', 'demo-feed', '--set', GROCERY, '--out', path.join(work, 'feed')]);
    // The library first, the catalog after: the page must find the product without re-ingest.
    server = await startServer({
      prepare: async (dataDir) => {
        await glint(['--data-dir', dataDir, 'ingest', SHOWS, OTHER, PHOTO], { timeout: 240_000 });
        await glint(['--data-dir', dataDir, 'catalog', 'import', path.join(work, 'feed/feed.csv')], { timeout: 240_000 });
      },
    });
    const catalog = await (await fetch(`${server.url}/api/catalog`)).json();
    const listing = catalog.products.find((p) => p.product_id === PRODUCT);
    assert.ok(listing, `${PRODUCT} is not in the demo feed`);
    const opened = await openBrowser();
    browser = opened.browser;
    const { page, errors } = opened;

    await page.goto(`${server.url}/#/product/${listing.store_id}/${PRODUCT}`);
    await page.locator('[data-testid=product-page-title]').waitFor({ timeout: 60_000 });
    assert.equal((await page.locator('[data-testid=product-page-title]').innerText()).trim(), listing.title);
    assert.ok(await page.locator('a[data-testid=offer]').count() >= 1, 'no offer on the product page');
    const seen = page.locator('[data-testid=seen-in]');
    await seen.waitFor({ timeout: 60_000 });
    const names = await seen.locator('[data-testid=hit] .name').allInnerTexts();
    assert.ok(names.includes('v004.mp4'), `the video showing it is not listed: ${names}`);
    assert.ok(!names.includes('v001.mp4'), `a video not showing it is listed: ${names}`);
    await screenshot(page, 'j1-product-page');

    // Jump to the moment: the player opens v004.mp4 inside the product's scene, boxed.
    const video = seen.locator('[data-testid=hit][data-kind=video]', { hasText: 'v004.mp4' });
    await video.locator('.chip').first().click();
    await page.locator('h1', { hasText: 'v004.mp4' }).waitFor({ timeout: 30_000 });
    const t = Number(new URLSearchParams(new URL(page.url()).hash.split('?')[1]).get('t'));
    assert.ok(t >= 2.5 && t < 5.0, `opened at ${t} s, outside the product's scene (2.5-5.0 s)`);
    await screenshot(page, 'j2-product-moment');

    // A product no indexed media shows: an honest "not seen", nothing listed.
    const absent = catalog.products.find((p) => p.product_id === ABSENT);
    assert.ok(absent, `${ABSENT} is not in the demo feed`);
    await page.goto(`${server.url}/#/product/${absent.store_id}/${ABSENT}`);
    await page.locator('[data-testid=seen-nowhere]').waitFor({ timeout: 60_000 });
    assert.equal(await page.locator('[data-testid=seen-in]').count(), 0);
    assert.deepEqual(errors, []);
  } finally {
    await browser?.close();
    await server?.stop();
    await rm(work, { recursive: true, force: true });
  }
});
