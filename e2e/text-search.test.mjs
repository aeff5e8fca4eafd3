// (k) Search by words (issue 16): the header's search box finds what the words fit. "juice"
// finds v004.mp4 at the moment its juice pack is on screen (through the title of the product
// seen there) and the juice products to buy; a tap on the moment opens the video there. Words
// nothing fits say so, words-free input shows the server's message, #/search?q=... is a page
// of its own (shareable, Back returns to it), and the box works on a phone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import {
  GROCERY, PRODUCT_VIDEOS, missingFiles, openBrowser, screenshot, startProductLibrary,
} from './helpers.mjs';

// The library of product-page.test.mjs. In `GET /api/search?q=juice` on it: v004.mp4 at 0.0 s
// (Bravo Orange Juice, on screen from 0 to 2.5 s: scenes.csv), the product title as its text;
// v001.mp4 shows God Morgon Apple Juice (5.0-7.5 s) but is not found for it; the Oatghurt photo
// has no juice. Products: six juice products of the demo feed (Bravo, Tropicana, God Morgon).
const SHOWS = path.join(PRODUCT_VIDEOS, 'v004.mp4');
const OTHER = path.join(PRODUCT_VIDEOS, 'v001.mp4');
const PHOTO = path.join(GROCERY, 'dataset/val/Packages/Oatghurt/Oatly-Natural-Oatghurt/Oatly-Natural-Oatghurt_002.jpg');
const SCENE = [0, 2.5];

const skip = missingFiles([SHOWS, OTHER, PHOTO]) ?? false;
const searchBox = (page) => page.getByRole('searchbox', { name: 'Search by words' });
const hashOf = (page) => new URL(page.url()).hash;
const noHScroll = (page) => page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth + 1);

/** Checks the results of "juice": v004.mp4 found by words, with the juice products to buy. */
async function checkJuice(page) {
  const group = page.locator('[data-testid=results] [data-testid=group-text]');
  await group.waitFor({ timeout: 60_000 });
  assert.match(await group.locator('h3').innerText(), /found by words/i);
  const hit = group.locator('[data-testid=hit][data-kind=video]', { hasText: 'v004.mp4' });
  assert.equal(await hit.count(), 1, `v004.mp4 is not among ${await group.locator('[data-testid=hit] .name').allInnerTexts()}`);
  assert.match(await hit.locator('[data-testid=hit-text]').innerText(), /juice/i, 'the hit does not say what matched');
  const names = await group.locator('[data-testid=hit] .name').allInnerTexts();
  assert.ok(!names.some((n) => n.startsWith('Oatly-Natural-Oatghurt')), `the Oatghurt photo fits "juice": ${names}`);
  const wtb = page.locator('[data-testid=results] [data-testid=where-to-buy]');
  await wtb.waitFor();
  const titles = await wtb.locator('[data-testid=product-title]').allInnerTexts();
  assert.ok(titles.length >= 1 && titles.every((t) => /juice/i.test(t)), `products for "juice": ${titles}`);
  const link = await wtb.locator('[data-testid=product-page-link]').first().getAttribute('href');
  assert.match(link, /^#\/product\/[^/]+\/[^/]+$/);
  return hit;
}

test('search by words: the header box finds a video moment and products, and opens the moment', { skip, timeout: 300_000 }, async () => {
  let server;
  let browser;
  try {
    server = await startProductLibrary([SHOWS, OTHER, PHOTO]);
    const opened = await openBrowser();
    browser = opened.browser;
    const { context, page, errors } = opened;

    // The box is in the header of every page: type, press Enter.
    await page.goto(`${server.url}/#/`);
    await page.locator('[data-testid=media-card]').first().waitFor({ timeout: 20_000 });
    assert.equal(await page.locator('form[role=search] input[type=search]').count(), 1);
    await searchBox(page).fill('juice');
    await searchBox(page).press('Enter');
    await page.waitForURL(/#\/search\?q=juice$/);
    const hit = await checkJuice(page);
    await screenshot(page, 'k1-text-search-results');

    // Its moment opens the player there: v004.mp4 inside the juice's scene, boxed.
    await hit.locator('.chip').first().click();
    await page.locator('h1', { hasText: 'v004.mp4' }).waitFor({ timeout: 30_000 });
    const t = Number(new URLSearchParams(hashOf(page).split('?')[1]).get('t'));
    assert.ok(t >= SCENE[0] && t < SCENE[1], `opened at ${t} s, outside the juice's scene (${SCENE.join('-')} s)`);
    await page.locator('[data-testid=found-box]').waitFor();
    await page.waitForFunction((t) => {
      const v = document.querySelector('video[data-testid=player-media]');
      return v && v.readyState >= 1 && Math.abs(v.currentTime - t) < 0.1;
    }, t, { timeout: 20_000 });
    // The panel beside the player still lists the results by words.
    await page.locator('[data-testid=results] [data-testid=group-text]').waitFor();
    await screenshot(page, 'k2-text-search-moment');

    // Back returns to the results, the words still in the box.
    await page.goBack();
    await page.waitForURL(/#\/search\?q=juice$/);
    await checkJuice(page);
    assert.equal(await searchBox(page).inputValue(), 'juice');

    // Words nothing fits: the no-match message names them.
    await searchBox(page).fill('zeppelin');
    await page.locator('[data-testid=text-search-submit]').click();
    await page.waitForURL(/#\/search\?q=zeppelin$/);
    const none = page.locator('[data-testid=results] [data-testid=no-match]');
    await none.waitFor({ timeout: 30_000 });
    assert.match(await none.innerText(), /Nothing fits “zeppelin”/);
    assert.equal(await page.locator('[data-testid=results] [data-testid=hit]').count(), 0);
    await screenshot(page, 'k3-text-search-no-match');

    // No words at all: the server's message (422), not a crash.
    await searchBox(page).fill('?!');
    await searchBox(page).press('Enter');
    const alert = page.locator('[data-testid=results] [role=alert]');
    await alert.waitFor({ timeout: 30_000 });
    assert.match(await alert.innerText(), /no words/i);

    // The URL is shareable: opened directly, it shows the results and fills the box.
    const direct = await context.newPage();
    direct.on('pageerror', (e) => errors.push(String(e)));
    await direct.goto(`${server.url}/#/search?q=juice`);
    await checkJuice(direct);
    assert.equal(await searchBox(direct).inputValue(), 'juice');
    await direct.close();
    assert.deepEqual(errors, []);
    await browser.close();

    // On a phone the box is on screen, big enough to tap, and nothing scrolls sideways.
    const phone = await openBrowser({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 });
    browser = phone.browser;
    const p = phone.page;
    await p.goto(`${server.url}/#/`);
    await p.locator('[data-testid=media-card]').first().waitFor({ timeout: 20_000 });
    const box = await searchBox(p).boundingBox();
    assert.ok(box && box.x >= 0 && box.x + box.width <= 390 && box.width >= 200, `search box off screen or narrow: ${JSON.stringify(box)}`);
    assert.ok(box.height >= 40, `search box too small to tap: ${box.height}px`);
    const submit = p.locator('[data-testid=text-search-submit]');
    const sb = await submit.boundingBox();
    assert.ok(sb.x + sb.width <= 390 && sb.height >= 40, `search button off screen or small: ${JSON.stringify(sb)}`);
    assert.ok(await noHScroll(p), 'the header scrolls sideways on a phone');
    await searchBox(p).tap();
    await searchBox(p).fill('juice');
    await submit.tap();
    await p.waitForURL(/#\/search\?q=juice$/);
    const phoneHit = await checkJuice(p);
    assert.ok(await noHScroll(p), 'the results scroll sideways on a phone');
    await screenshot(p, 'k4-text-search-phone');
    await phoneHit.locator('.chip').first().tap();
    await p.locator('h1', { hasText: 'v004.mp4' }).waitFor({ timeout: 30_000 });
    assert.deepEqual(phone.errors, []);
  } finally {
    await browser?.close();
    await server?.stop();
  }
});
