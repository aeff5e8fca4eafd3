// (a) Upload a video and a photo through the UI, drag a square over a face at ~5 s of the video,
// search it, and open the hit in the photo with its box shown.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CLIP, PHOTO, dragSquareOver, largestFaceHotspot, missingMedia, openBrowser, screenshot, seekVideo, startServer, hashParams } from './helpers.mjs';

test('upload through the UI, search a face in the video, open the hit in the photo', { skip: missingMedia() ?? false, timeout: 120_000 }, async () => {
  const server = await startServer();
  const { browser, page, errors } = await openBrowser();
  try {
    await page.goto(`${server.url}/#/`);
    await page.getByText('Your library is empty').waitFor();
    await page.locator('[data-testid=upload-input]').setInputFiles([CLIP, PHOTO]);
    // Indexed: both show up in the library grid.
    await page.waitForFunction(() => document.querySelectorAll('[data-testid=media-card]').length === 2, null, { timeout: 90_000 });
    await page.getByText('1 video and 1 photo').waitFor();
    await screenshot(page, 'a1-library');

    const photoId = await page.locator('[data-testid=media-card][data-kind=image]').getAttribute('data-media-id');
    await page.locator('[data-testid=media-card][data-kind=video]').click();
    await page.locator('h1', { hasText: 'short_hamilton_clip.mp4' }).waitFor();
    await seekVideo(page, 5);

    // The largest face hotspot is Lin-Manuel Miranda's.
    const face = await largestFaceHotspot(page);
    await screenshot(page, 'a2-hotspots');
    // Drag a square over the face (with a margin), as a person would, then search the box.
    await dragSquareOver(page, face);
    await screenshot(page, 'a2-square-over-face');
    await page.locator('[data-testid=search-box-button]').click();

    const person = page.locator('[data-testid=group-person]');
    await person.waitFor({ timeout: 30_000 });
    assert.match(await person.locator('h3').textContent(), /Same person/);
    const hit = person.locator(`[data-testid=hit][data-media-id="${photoId}"]`);
    await hit.waitFor();
    assert.match(await hit.innerText(), /lin-manuel-miranda\.png/);
    await screenshot(page, 'a3-results');

    await hit.click();
    await page.waitForFunction((id) => location.hash.startsWith(`#/media/${id}?`), photoId);
    await page.locator('h1', { hasText: 'lin-manuel-miranda.png' }).waitFor();
    await page.locator('img[data-testid=player-media]').waitFor();
    await page.waitForFunction(() => document.querySelector('img[data-testid=player-media]').complete);
    const box = page.locator('[data-testid=found-box]');
    await box.waitFor({ state: 'visible' });
    const shown = (await hashParams(page)).box.split(',').map(Number);
    assert.equal(shown.length, 4);
    const bb = await box.boundingBox();
    assert.ok(bb.width > 20 && bb.height > 20, `box overlay too small: ${JSON.stringify(bb)}`);
    await screenshot(page, 'a4-hit-in-photo');
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
    await server.stop();
  }
});
