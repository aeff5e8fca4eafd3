// (issue 17) A server with a token on a non-loopback bind (and --private): the app asks to sign
// in, says so clearly when the token is wrong, then plays a video (the <video> element sends
// the session cookie by itself), searches a square over a face, and signs out.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CLIP, PHOTO, dragSquareOver, glint, largestFaceHotspot, missingMedia, openBrowser, screenshot, seed, seekVideo, startServer } from './helpers.mjs';

test('sign in with a token, play, search a square, sign out', { skip: missingMedia() ?? false, timeout: 150_000 }, async () => {
  let secret;
  const server = await startServer({
    host: '0.0.0.0',
    args: ['--private'],
    prepare: async (dataDir) => {
      const out = await glint(['--data-dir', dataDir, 'tokens', 'create', 'e2e', '--scope', 'write', '--json']);
      secret = JSON.parse(out).secret;
    },
  });
  const { browser, page, errors } = await openBrowser();
  try {
    const media = await seed(server.url, [CLIP, PHOTO], { token: secret });
    const photoId = media.find((m) => m.name === 'lin-manuel-miranda.png').id;
    // Without a session nothing is readable.
    assert.equal((await fetch(`${server.url}/api/media`)).status, 401);

    await page.goto(`${server.url}/#/`);
    const form = page.locator('[data-testid=sign-in]');
    await form.waitFor();
    assert.match(await page.locator('[data-testid=sign-in-reason]').innerText(), /needs a token/);
    await screenshot(page, 'g1-sign-in');

    await page.locator('[data-testid=sign-in-token]').fill('glint_00000000000000000000000000000000');
    await page.locator('[data-testid=sign-in-button]').click();
    const error = page.locator('[data-testid=sign-in-error]');
    await error.waitFor({ state: 'visible' });
    assert.match(await error.innerText(), /not valid/);
    await screenshot(page, 'g2-wrong-token');

    await page.locator('[data-testid=sign-in-token]').fill(secret);
    await page.locator('[data-testid=sign-in-button]').click();
    await form.waitFor({ state: 'detached' });
    await page.waitForFunction(() => document.querySelectorAll('[data-testid=media-card]').length === 2, null, { timeout: 20_000 });
    await page.locator('[data-testid=sign-out]').waitFor({ state: 'visible' });
    // The secret stays out of reach of scripts: the cookie is HttpOnly.
    assert.equal(await page.evaluate(() => document.cookie), '');

    // The video plays: its bytes come with the cookie alone.
    await page.locator('[data-testid=media-card][data-kind=video]').click();
    await page.locator('h1', { hasText: 'short_hamilton_clip.mp4' }).waitFor();
    await page.evaluate(() => { const v = document.querySelector('video[data-testid=player-media]'); v.muted = true; return v.play(); });
    await page.waitForFunction(() => document.querySelector('video[data-testid=player-media]').currentTime > 0.5, null, { timeout: 20_000 });
    await seekVideo(page, 5);

    await dragSquareOver(page, await largestFaceHotspot(page));
    await page.locator('[data-testid=search-box-button]').click();
    const person = page.locator('[data-testid=group-person]');
    await person.waitFor({ timeout: 30_000 });
    await person.locator(`[data-testid=hit][data-media-id="${photoId}"]`).waitFor();
    // Result frames are plain <img> requests: the cookie opens them too.
    await page.waitForFunction((id) => {
      const img = document.querySelector(`[data-testid=hit][data-media-id="${id}"] img`);
      return img?.complete && img.naturalWidth > 0;
    }, photoId, { timeout: 20_000 });
    await screenshot(page, 'g3-signed-in-search');

    // Sign out: the sign-in screen is back and the API refuses the browser again.
    await page.locator('[data-testid=sign-out]').click();
    await form.waitFor();
    assert.equal(await page.evaluate(async () => (await fetch('/api/media')).status), 401);
    await screenshot(page, 'g4-signed-out');
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
    await server.stop();
  }
});
