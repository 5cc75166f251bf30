import { readFile, stat } from 'node:fs/promises';
import { extname } from 'node:path';
import type { LLMModel as CoreLLMModel } from '../llm/llm-model.js';
import { InvalidMediaSourceError } from './compat-errors.js';

/** Largest local image read into a request (the engine decodes it; multi-megapixel photos fit). */
export const MAX_IMAGE_BYTES = 20 * 1024 * 1024;

const MIME_BY_EXTENSION: Record<string, string> = {
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.bmp': 'image/bmp',
};

/** The image type from the first bytes (PNG, JPEG, GIF, WebP, BMP), or undefined. */
function sniffImageType(bytes: Buffer): string | undefined {
  if (bytes.subarray(0, 4).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47]))) return 'image/png';
  if (bytes.subarray(0, 3).equals(Buffer.from([0xff, 0xd8, 0xff]))) return 'image/jpeg';
  if (bytes.subarray(0, 4).toString('latin1') === 'GIF8') return 'image/gif';
  if (bytes.subarray(0, 4).toString('latin1') === 'RIFF' && bytes.subarray(8, 12).toString('latin1') === 'WEBP')
    return 'image/webp';
  if (bytes.subarray(0, 2).toString('latin1') === 'BM') return 'image/bmp';
  return undefined;
}

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

async function fileSize(path: string): Promise<number | undefined> {
  try {
    const info = await stat(path);
    return info.isFile() ? info.size : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The `image_url.url` to send for one image source: `http(s)` URLs and `data:` URIs as given (the
 * engine fetches or decodes them), a local image file or bare base64 as a `data:` URI typed from its
 * bytes. Anything else is an {@link InvalidMediaSourceError} before the request.
 */
export async function imageUrlFor(source: string, model: CoreLLMModel): Promise<string> {
  if (/^(https?:|data:image\/)/i.test(source)) return source;
  if (/^data:/i.test(source)) {
    throw new InvalidMediaSourceError(model, source.slice(0, 40), 'the data URI is not an image (data:image/...)');
  }
  const size = await fileSize(source);
  if (size !== undefined) {
    if (size > MAX_IMAGE_BYTES) {
      throw new InvalidMediaSourceError(
        model,
        source,
        `image file ${source} is ${size} bytes (at most ${MAX_IMAGE_BYTES})`,
      );
    }
    const bytes = await readFile(source);
    const type = sniffImageType(bytes) ?? MIME_BY_EXTENSION[extname(source).toLowerCase()];
    if (!type) throw new InvalidMediaSourceError(model, source, `${source} is not a PNG, JPEG, GIF, WebP or BMP image`);
    return `data:${type};base64,${bytes.toString('base64')}`;
  }
  const compact = source.replace(/\s+/g, '');
  if (compact.length % 4 === 0 && BASE64.test(compact)) {
    const type = sniffImageType(Buffer.from(compact.slice(0, 24), 'base64'));
    if (type) return `data:${type};base64,${compact}`;
  }
  throw new InvalidMediaSourceError(
    model,
    source.slice(0, 200),
    'image source is not an http(s) URL, a data:image URI, an image file or base64 image data',
  );
}
