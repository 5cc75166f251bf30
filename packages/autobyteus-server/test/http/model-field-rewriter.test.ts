import { describe, expect, it } from 'vitest';
import { rewriteJsonModel, SseModelRewriter } from '../../src/http/model-field-rewriter.js';

const event = (content: string) =>
  `data: {"id":"x","model":"engine-alias","choices":[{"delta":{"content":"${content}"}}]}\n\n`;

/** Pushes `parts` through a rewriter for `model` and returns everything it wrote, as text. */
const through = (model: string, parts: string[]) => {
  const rewriter = new SseModelRewriter(model);
  const out = parts.map((part) => rewriter.push(Buffer.from(part)));
  return Buffer.from(out.join('') + rewriter.flush(), 'latin1').toString('utf8');
};

describe('SseModelRewriter', () => {
  it('rewrites the model field of every event to the requested name', () => {
    const out = through('my-model', [event('a') + event('b')]);
    expect(out).toBe((event('a') + event('b')).replaceAll('engine-alias', 'my-model'));
  });

  it('replaces a field cut between two reads, whatever the cut', () => {
    const whole = event('hello') + event('world') + 'data: [DONE]\n\n';
    for (let cut = 1; cut < whole.length; cut++) {
      const out = through('my-model', [whole.slice(0, cut), whole.slice(cut)]);
      expect(out).toBe(whole.replaceAll('engine-alias', 'my-model'));
    }
  });

  it('keeps multi-byte text whole whatever the cut, and passes bytes unchanged when the name already fits', () => {
    const whole = Buffer.from(event('héllo 世界') + event('ünï') + 'data: [DONE]\n\n');
    for (let cut = 1; cut < whole.length; cut++) {
      for (const model of ['my-model', 'engine-alias', 'módel']) {
        const rewriter = new SseModelRewriter(model);
        const out = rewriter.push(whole.subarray(0, cut)) + rewriter.push(whole.subarray(cut)) + rewriter.flush();
        const expected = whole.toString('utf8').replaceAll('"model":"engine-alias"', `"model":"${model}"`);
        expect(Buffer.from(out, 'latin1').toString('utf8')).toBe(expected);
      }
    }
  });

  it('passes events without a model field through unchanged, and escapes the name', () => {
    const rewriter = new SseModelRewriter('a"b');
    expect(rewriter.push(Buffer.from(': ping\n\n'))).toBe(': ping\n\n');
    expect(rewriter.push(Buffer.from(event('x')))).toContain('"model":"a\\"b"');
  });
});

describe('rewriteJsonModel', () => {
  it('sets the top-level model of a JSON answer and leaves other text alone', () => {
    expect(JSON.parse(rewriteJsonModel('{"model":"e","data":[1]}', 'm'))).toEqual({ model: 'm', data: [1] });
    expect(rewriteJsonModel('not json', 'm')).toBe('not json');
    expect(rewriteJsonModel('{"data":[1]}', 'm')).toBe('{"data":[1]}');
  });
});
