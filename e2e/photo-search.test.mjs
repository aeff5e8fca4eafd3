// (b) Photo search with a drawn box: the hit in the video opens at its moment with the box shown.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CLIP, PHOTO, dragBox, hashParams, missingMedia, openBrowser, screenshot, seed, startServer } from './helpers.mjs';

const W = 704; // lin-manuel-miranda.png
const H = 612;

test('photo search with a box finds the video and opens it at the hit', { skip: missingMedia() ?? false, timeout: 120_000 }, async () => {
  const server = await startServer();
  const media = await seed(server.url, [CLIP, PHOTO]);
  const clip = media.find((m) => m.kind === 'video');
  const photo = media.find((m) => m.kind === 'image');
  const { browser, page, errors } = await openBrowser();
  try {
    await page.goto(`${server.url}/#/photo`);
    await page.locator('[data-testid=photo-input]').setInputFiles(PHOTO);
    const overlay = page.locator('[data-testid=overlay]');
    await overlay.waitFor();

    // A box drawn over the face: the same person, in the indexed copy of the photo and on stage
    // in the video (his face there is 35-80 px wide).
    await dragBox(page, overlay, W, H, [262, 116, 269, 381]);
    await page.locator('[data-testid=photo-search-button]').click();
    const person = page.locator('[data-testid=group-person]');
    await person.waitFor({ timeout: 30_000 });
    await person.locator(`[data-testid=hit][data-media-id="${photo.id}"]`).waitFor();
    await person.locator(`[data-testid=hit][data-media-id="${clip.id}"]`).waitFor();
    await screenshot(page, 'b1-face-box-results');

    // A box over the shoulders and the jacket (the lower half): the video is among the item
    // results (it may also come as the person, whose chin is in the box).
    await dragBox(page, overlay, W, H, [4, 300, 696, 308]);
    await page.locator('[data-testid=photo-search-button]').click();
    const hit = page.locator(`[data-testid=group-item] [data-testid=hit][data-media-id="${clip.id}"]`);
    await hit.waitFor({ timeout: 30_000 });
    assert.match(await hit.innerText(), /short_hamilton_clip\.mp4/);
    await screenshot(page, 'b2-box-results');

    await hit.click();
    await page.waitForFunction((id) => location.hash.startsWith(`#/media/${id}?`), clip.id);
    const { t } = await hashParams(page);
    const at = Number(t);
    assert.ok(Number.isFinite(at), `no timestamp in ${page.url()}`);
    const video = page.locator('video[data-testid=player-media]');
    await video.waitFor();
    await page.waitForFunction((at) => {
      const v = document.querySelector('video[data-testid=player-media]');
      return v.readyState >= 2 && !v.seeking && Math.abs(v.currentTime - at) <= 0.6;
    }, at, { timeout: 20_000 });
    const current = await video.evaluate((v) => v.currentTime);
    assert.ok(Math.abs(current - at) <= 0.6, `currentTime ${current} is not at the hit's ${at}`);
    const box = page.locator('[data-testid=found-box]');
    await box.waitFor({ state: 'visible' });
    const bb = await box.boundingBox();
    assert.ok(bb.width > 10 && bb.height > 10, `box overlay too small: ${JSON.stringify(bb)}`);
    await screenshot(page, 'b3-video-at-hit');
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
    await server.stop();
  }
});
