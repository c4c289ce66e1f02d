// Any image the browser decodes (PNG, JPEG, WebP, GIF, BMP, AVIF) through createImageBitmap, as
// the RGB bytes the resize-and-scale step of the CLI takes (web/io/png.js imageToTensor), so the
// page and `qkeras-wasm trace --input` give one tensor for one file.

const IMAGE_EXTENSIONS = new Set(['png', 'jpg', 'jpeg', 'webp', 'gif', 'bmp', 'avif']);

export function isImageFile(file) {
  const ext = (file.name.match(/\.([^.]+)$/)?.[1] ?? '').toLowerCase();
  return file.type.startsWith('image/') || IMAGE_EXTENSIONS.has(ext);
}

/** @returns {Promise<{width: number, height: number, rgb: Uint8Array}>} */
export async function decodeImage(file) {
  let bitmap;
  try {
    // No colour-space conversion and no premultiplication: the file's own pixel values.
    bitmap = await createImageBitmap(file, { colorSpaceConversion: 'none', premultiplyAlpha: 'none' });
  } catch (error) {
    throw new Error(`${file.name}: this browser cannot decode it as an image (${error?.message ?? error})`);
  }
  try {
    const { width, height } = bitmap;
    const canvas = new OffscreenCanvas(width, height);
    const context = canvas.getContext('2d', { willReadFrequently: true });
    context.drawImage(bitmap, 0, 0);
    const rgba = context.getImageData(0, 0, width, height).data;
    const rgb = new Uint8Array(width * height * 3);
    for (let i = 0, j = 0; i < rgba.length; i += 4, j += 3) {
      rgb[j] = rgba[i];
      rgb[j + 1] = rgba[i + 1];
      rgb[j + 2] = rgba[i + 2];
    }
    return { width, height, rgb };
  } finally {
    bitmap.close();
  }
}
