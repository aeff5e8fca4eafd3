// (d) A phone-sized viewport: the library and the player render and Search is reachable.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CLIP, PHOTO, missingMedia, openBrowser, screenshot, seed, startServer } from './helpers.mjs';

test('phone viewport: library, player and the Search button', { skip: missingMedia() ?? false, timeout: 90_000 }, async () => {
  const server = await startServer();
  await seed(server.url, [CLIP, PHOTO]);
  const { browser, page, errors } = await openBrowser({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 });
  try {
    await page.goto(`${server.url}/#/`);
    await page.waitForFunction(() => document.querySelectorAll('[data-testid=media-card]').length === 2, null, { timeout: 20_000 });
    const noHScroll = () => page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth + 1);
    assert.ok(await noHScroll(), 'the library scrolls sideways on a phone');
    await screenshot(page, 'd1-phone-library');

    await page.locator('[data-testid=media-card][data-kind=video]').click();
    const video = page.locator('video[data-testid=player-media]');
    await video.waitFor();
    const vb = await video.boundingBox();
    assert.ok(vb.width > 300 && vb.width <= 390, `video is ${vb.width}px wide`);
    const search = page.locator('[data-testid=search-button]');
    await search.scrollIntoViewIfNeeded();
    const sb = await search.boundingBox();
    assert.ok(sb.x >= 0 && sb.x + sb.width <= 390, `Search button off screen: ${JSON.stringify(sb)}`);
    assert.ok(sb.height >= 40, `Search button too small to tap: ${sb.height}px`);
    assert.ok(await noHScroll(), 'the player scrolls sideways on a phone');
    await screenshot(page, 'd2-phone-player');
    await search.tap();
    await page.locator('[data-testid=search-box-button]').waitFor({ state: 'visible' });
    await screenshot(page, 'd3-phone-search-mode');
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
    await server.stop();
  }
});
