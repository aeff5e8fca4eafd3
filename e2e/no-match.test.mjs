// (c) A photo with nothing comparable in the library shows the no-match state.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { PHOTO, missingMedia, openBrowser, screenshot, seed, startServer } from './helpers.mjs';

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(buf) {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
/** A solid-colour RGB PNG. */
function solidPng(w, h, [r, g, b]) {
  const chunk = (type, data) => {
    const len = Buffer.alloc(4); len.writeUInt32BE(data.length);
    const td = Buffer.concat([Buffer.from(type), data]);
    const crc = Buffer.alloc(4); crc.writeUInt32BE(crc32(td));
    return Buffer.concat([len, td, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0); ihdr.writeUInt32BE(h, 4); ihdr.set([8, 2, 0, 0, 0], 8);
  const row = Buffer.concat([Buffer.from([0]), Buffer.from(Array.from({ length: w }, () => [r, g, b]).flat())]);
  const raw = Buffer.concat(Array.from({ length: h }, () => row));
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr), chunk('IDAT', zlib.deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}

test('a photo with nothing comparable shows the no-match state', { skip: missingMedia() ?? false, timeout: 90_000 }, async () => {
  const server = await startServer();
  await seed(server.url, [PHOTO]);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'glint-e2e-photo-'));
  const solid = path.join(dir, 'solid-blue.png');
  await writeFile(solid, solidPng(320, 240, [40, 90, 200]));
  const { browser, page, errors } = await openBrowser();
  try {
    await page.goto(`${server.url}/#/photo`);
    await page.locator('[data-testid=photo-input]').setInputFiles(solid);
    await page.locator('[data-testid=overlay]').waitFor();
    await page.locator('[data-testid=photo-search-button]').click();
    const none = page.locator('[data-testid=no-match]');
    await none.waitFor({ timeout: 30_000 });
    assert.match(await none.innerText(), /No comparable person or item found/);
    assert.equal(await page.locator('[data-testid=hit]').count(), 0);
    await screenshot(page, 'c-no-match');
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  }
});
