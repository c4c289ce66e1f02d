// readInput (web/io/input.js): the one input-file reader of the CLI and the demo page, in Node.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rgbPng } from './helpers/png.js';

import { readInput, decodeImage, writeNpy } from '../../web/index.js';
import { decodePng, imageToTensor } from '../../web/io/png.js';

test('a PNG is decoded, resized (bilinear) and scaled as the note says', async () => {
  const png = rgbPng(5, 3, (x, y) => [x * 50, y * 100, 7]);
  const got = await readInput(png, 'p.png', [null, 4, 6, 3], { scale: '256' });
  assert.deepEqual(got.shape, [1, 4, 6, 3]);
  assert.deepEqual(got.image, { width: 5, height: 3 });
  assert.equal(got.note, 'p.png: 5×3 image resized (bilinear) to 4×6, pixels p/256');
  assert.deepEqual(Array.from(got.data), Array.from(imageToTensor(decodePng(png), 4, 6, 3, '256')));
  assert.deepEqual((await decodeImage(png, 'p.png')).rgb, decodePng(png).rgb);
});

test('arrays fit the model input; --sample picks one row; errors name the file', async () => {
  const npy = writeNpy(Float32Array.from({ length: 12 }, (_, i) => i), [3, 2, 2]);
  const all = await readInput(npy, 'x.npy', [null, 2, 2]);
  assert.deepEqual(all.shape, [3, 2, 2]);
  assert.equal(all.note, 'x.npy: 3 samples');
  const one = await readInput(npy, 'x.npy', [null, 2, 2], { sample: 2 });
  assert.deepEqual(Array.from(one.data), [8, 9, 10, 11]);
  assert.deepEqual(await readInput(new TextEncoder().encode('1 2\n3 4\n'), 'x.txt', [null, 2]).then((r) => r.shape), [2, 2]);
  await assert.rejects(readInput(npy, 'x.npy', [null, 5]), /x\.npy: shape \[3, 2, 2\] does not fit the model input/);
  await assert.rejects(readInput(npy, 'x.npy', [null, 2, 2], { sample: 3 }), /0 to 2 for the 3 samples of x\.npy, got 3/);
  await assert.rejects(readInput(npy, 'x.npy', [null, 2, 2], { scale: '255' }), /--scale applies to images only/);
  await assert.rejects(readInput(rgbPng(2, 2, () => [1, 2, 3]), 'p.png', [null, 2, 2, 3], { scale: 'percent' }), /image scale must be 255, 256 or signed, got percent/);
  await assert.rejects(readInput(rgbPng(2, 2, () => [1, 2, 3]), 'p.png', [null, 12]), /p\.png is an image, but the model input is \[12\]/);
  await assert.rejects(readInput(npy, 'x.npy', [null, null, 4]), /x\.npy: the model input \[N, N, 4\] has an unknown dimension/);
});

test('JPEG, WebP and the other formats the browser decodes are refused in Node with what to do', async () => {
  const jpeg = Uint8Array.from([0xff, 0xd8, 0xff, 0xe0, 0, 16, 0x4a, 0x46, 0x49, 0x46, 0]);
  await assert.rejects(readInput(jpeg, 'cat.jpg', [null, 4, 4, 3]), /cat\.jpg: JPEG images are decoded in the browser only; here, convert it to PNG \(or to a \.npy array\)/);
  const webp = Uint8Array.from([0x52, 0x49, 0x46, 0x46, 0, 0, 0, 0, 0x57, 0x45, 0x42, 0x50]);
  await assert.rejects(readInput(webp, 'cat.webp', [null, 4, 4, 3]), /cat\.webp: WebP images are decoded in the browser only/);
});
