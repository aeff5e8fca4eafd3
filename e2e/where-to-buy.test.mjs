// (e) Where to buy: a store photo of a product in an imported merchant catalog shows the product
// with its offers (price, store, link); a photo of something absent from the catalog does not.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ROOT, glint, openBrowser, screenshot, startServer } from './helpers.mjs';

const EVAL = path.join(ROOT, '../shared/eval');
const GROCERY = path.join(EVAL, 'products_grocery_store');
// A shelf photo of the product (not the catalog's own "iconic" image): found at rank 1 with a
// geometrically confirmed score (see `glint search --image FILE --json`).
const QUERY = path.join(GROCERY, 'dataset/val/Packages/Juice/Bravo-Apple-Juice/Bravo-Apple-Juice_002.jpg');
const PRODUCT_ID = 'bravo-apple-juice';
const TITLE = 'Bravo Apple Juice';
// Nothing like these is in a grocery catalog: a face (person search only) and a room (item search).
const ABSENT = [
  path.join(EVAL, 'faces_deepface_tests/images/img10.jpg'),
  path.join(EVAL, 'objects_opencv_samples/home.jpg'),
];

const missing = () => {
  const need = [GROCERY, QUERY, ...ABSENT].filter((f) => !existsSync(f));
  return need.length ? `evaluation media not found: ${need.join(', ')}` : null;
};

/** Parses CSV text (RFC 4180 quoting) into objects keyed by the header row. */
function parseCsv(text) {
  const rows = [];
  let row = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { field += '"'; i++; } else if (c === '"') quoted = false; else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') { row.push(field); field = ''; } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(field); field = '';
      if (row.some((f) => f !== '')) rows.push(row);
      row = [];
    } else field += c;
  }
  if (field !== '' || row.length) { row.push(field); rows.push(row); }
  const [head, ...body] = rows;
  return body.map((r) => Object.fromEntries(head.map((k, i) => [k.replace(/^\uFEFF/, ''), r[i] ?? ''])));
}

const RANK = { in_stock: 0, preorder: 1, out_of_stock: 2, unknown: 3 };

test('a product photo shows where to buy it; a photo of something else does not', { skip: missing() ?? false, timeout: 180_000 }, async () => {
  // The demo feed of the grocery set (81 products of three fictional stores, prices in SEK).
  const work = await mkdtemp(path.join(os.tmpdir(), 'glint-e2e-feed-'));
  let server;
  let browser;
  try {
    await glint(['catalog', 'demo-feed', '--set', GROCERY, '--out', path.join(work, 'feed')]);
    const csv = path.join(work, 'feed/feed.csv');
    let text = await readFile(csv, 'utf8');
    const rows = parseCsv(text);
    // One more store sells it: verified, pre-order, in euros, with markup in its name (which must
    // show as text) and a URL with a query.
    const extra = {
      store_id: 'e2e-verified', store_name: 'Fresh & Co <Online>', store_url: 'https://example.com/e2e', country: 'DE',
      verified: 'true', product_id: PRODUCT_ID, title: TITLE, category: 'Packages/Juice', brand: 'Bravo',
      image: rows.find((r) => r.product_id === PRODUCT_ID)?.image, price: '19.5', currency: 'EUR',
      url: 'https://example.com/e2e/p/bravo?ref=glint&size=1l', availability: 'preorder',
    };
    const header = text.split(/\r?\n/)[0].replace(/^\uFEFF/, '').split(',');
    assert.ok(['store_name', 'verified', 'url', 'availability'].every((k) => header.includes(k)), `unexpected header ${header}`);
    text = `${text.replace(/\s*$/, '')}\n${header.map((k) => extra[k] ?? '').join(',')}\n`;
    await writeFile(csv, text);
    rows.push(extra);
    const offers = rows.filter((r) => r.product_id === PRODUCT_ID);
    assert.ok(offers.length > 0, `${PRODUCT_ID} is not in the demo feed`);
    assert.ok(offers.every((r) => r.title === TITLE), `unexpected title in ${JSON.stringify(offers)}`);
    // The offer listed first: in stock first, then cheapest.
    offers.sort((a, b) => RANK[a.availability] - RANK[b.availability] || Number(a.price) - Number(b.price));
    const best = offers[0];

    server = await startServer({ prepare: (dataDir) => glint(['--data-dir', dataDir, 'catalog', 'import', csv]) });
    const opened = await openBrowser();
    browser = opened.browser;
    const { page, errors } = opened;

    // (1) The product's shelf photo, searched whole through the photo-search UI.
    await page.goto(`${server.url}/#/photo`);
    await page.locator('[data-testid=photo-input]').setInputFiles(QUERY);
    await page.locator('[data-testid=overlay]').waitFor();
    await page.locator('[data-testid=photo-search-button]').click();
    const section = page.locator('[data-testid=where-to-buy]');
    await section.waitFor({ timeout: 30_000 });
    const heading = section.getByRole('heading', { name: 'Where to buy', exact: true });
    assert.ok(await heading.isVisible(), 'the "Where to buy" heading is not visible');
    assert.equal((await heading.textContent()).trim(), 'Where to buy');

    const first = section.locator('[data-testid=product]').first();
    assert.equal((await first.locator('[data-testid=product-title]').textContent()).trim(), TITLE);
    assert.match(await first.locator('[data-testid=product-category]').textContent(), new RegExp(best.category.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
    // Its image comes from the server and has loaded.
    await page.waitForFunction((el) => el.complete && el.naturalWidth > 0, await first.locator('.pthumb img').elementHandle(), { timeout: 10_000 });

    // Every store of the feed that sells it, the best offer first, each a link to the feed's URL.
    const links = first.locator('a[data-testid=offer]');
    assert.equal(await links.count(), offers.length, 'one offer per store of the feed');
    const top = links.first();
    assert.equal(await top.getAttribute('href'), best.url);
    assert.equal(await top.getAttribute('target'), '_blank');
    assert.deepEqual((await top.getAttribute('rel')).split(/\s+/).sort(), ['noopener', 'noreferrer']);
    assert.equal((await top.locator('[data-testid=offer-store]').textContent()).trim(), best.store_name);
    const price = (await top.locator('[data-testid=offer-price]').textContent()).trim();
    const [whole, cents] = Number(best.price).toFixed(2).split('.');
    assert.match(price, new RegExp(`${whole}[.,\\s]${cents}`), `price "${price}" is not ${best.price}`);
    assert.match(price, new RegExp(`${best.currency}|kr`), `price "${price}" has no currency (${best.currency})`);
    const label = { in_stock: 'In stock', preorder: 'Pre-order', out_of_stock: 'Out of stock', unknown: 'Unknown' }[best.availability];
    assert.equal((await top.locator('[data-testid=offer-availability]').textContent()).trim(), label);
    const hrefs = await links.evaluateAll((as) => as.map((a) => a.getAttribute('href')));
    assert.deepEqual(hrefs.slice().sort(), offers.map((o) => o.url).sort());
    assert.equal(hrefs.at(-1), extra.url, 'the pre-order offer is not listed after those in stock');
    // Verified mark only on the verified store; merchants' text stays text.
    const verified = links.last();
    assert.equal(await verified.locator('[data-testid=offer-store]').textContent(), extra.store_name);
    assert.equal(await verified.locator('[data-testid=offer-store] online').count(), 0, 'a store name was parsed as HTML');
    assert.ok(await verified.locator('[data-testid=offer-verified]').isVisible(), 'no verified mark on the verified store');
    assert.equal(await first.locator('[data-testid=offer-verified]').count(), 1, 'verified marks on stores that are not verified');
    assert.equal((await verified.locator('[data-testid=offer-availability]').textContent()).trim(), 'Pre-order');
    assert.match(await verified.locator('[data-testid=offer-price]').textContent(), /19[.,]50/);
    assert.match(await verified.locator('[data-testid=offer-price]').textContent(), /EUR|€/);
    // Product images are products, not photos of the library.
    assert.equal(await page.locator(`[data-testid=hit][data-media-id="${await first.getAttribute('data-media-id')}"]`).count(), 0);
    await page.evaluate(() => window.scrollTo(0, 0)); // the sticky top bar over the page top only
    await screenshot(page, 'where-to-buy');

    // The same results on a phone: no sideways scrolling, the offer readable and tappable.
    await page.setViewportSize({ width: 390, height: 844 });
    await section.scrollIntoViewIfNeeded();
    assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth + 1), 'the results scroll sideways on a phone');
    const tb = await top.boundingBox();
    assert.ok(tb.x >= 0 && tb.x + tb.width <= 390 && tb.height >= 30, `offer link off screen or too small: ${JSON.stringify(tb)}`);
    await page.evaluate(() => window.scrollTo(0, 0));
    await screenshot(page, 'where-to-buy-phone');
    await page.setViewportSize({ width: 1280, height: 860 });

    // (2) Photos of things absent from the catalog: results, but no "Where to buy".
    for (const [i, photo] of ABSENT.entries()) {
      await page.goto(`${server.url}/#/`);
      await page.goto(`${server.url}/#/photo`);
      await page.locator('[data-testid=photo-input]').setInputFiles(photo);
      await page.locator('[data-testid=overlay]').waitFor();
      await page.locator('[data-testid=photo-search-button]').click();
      await page.locator('[data-testid=results] :is([data-testid=no-match], [data-testid^=group-], [data-testid=where-to-buy])')
        .first().waitFor({ timeout: 30_000 });
      assert.equal(await page.locator('[data-testid=where-to-buy]').count(), 0, `${path.basename(photo)} shows "Where to buy"`);
      assert.equal(await page.getByRole('heading', { name: 'Where to buy' }).count(), 0);
      await page.evaluate(() => window.scrollTo(0, 0));
      await screenshot(page, `where-to-buy-absent-${i + 1}`);
    }

    // (3) The library keeps the merchants' images apart (issue 17): the user's library is
    // empty, and the "Shop images" view pages through the catalog's images.
    await page.goto(`${server.url}/#/`);
    await page.getByText('Your library is empty').waitFor();
    const shop = (await (await fetch(`${server.url}/api/media?scope=catalog&limit=0`)).json()).total;
    assert.ok(shop > 48, `the demo catalog has ${shop} images: more than one page`);
    await page.locator('[data-testid=library-view-catalog]').click();
    await page.getByText(`${shop} product images from imported merchant catalogs.`).waitFor();
    const cards = page.locator('[data-testid=media-card]');
    await page.waitForFunction(() => document.querySelectorAll('[data-testid=media-card]').length === 48);
    await page.locator('[data-testid=library-more]').click();
    await page.waitForFunction((n) => document.querySelectorAll('[data-testid=media-card]').length === n, shop);
    assert.ok(await page.locator('[data-testid=library-more]').isHidden(), 'no more pages once all are shown');
    assert.equal(await cards.count(), shop);
    await screenshot(page, 'library-shop-images');
    assert.deepEqual(errors, []);
  } finally {
    await browser?.close();
    await server?.stop();
    await rm(work, { recursive: true, force: true });
  }
});
