import { describe, expect, it } from 'vitest';
import { rewriteJsonModel, SseModelRewriter } from '../../src/http/model-field-rewriter.js';

const event = (content: string) =>
  `data: {"id":"x","model":"engine-alias","choices":[{"delta":{"content":"${content}"}}]}\n\n`;

describe('SseModelRewriter', () => {
  it('rewrites the model field of every event to the requested name', () => {
    const rewriter = new SseModelRewriter('my-model');
    const out = rewriter.push(event('a') + event('b')) + rewriter.flush();
    expect(out).toBe((event('a') + event('b')).replaceAll('engine-alias', 'my-model'));
  });

  it('replaces a field cut between two reads, whatever the cut', () => {
    const whole = event('hello') + event('world') + 'data: [DONE]\n\n';
    for (let cut = 1; cut < whole.length; cut++) {
      const rewriter = new SseModelRewriter('my-model');
      const out = rewriter.push(whole.slice(0, cut)) + rewriter.push(whole.slice(cut)) + rewriter.flush();
      expect(out).toBe(whole.replaceAll('engine-alias', 'my-model'));
    }
  });

  it('passes events without a model field through unchanged, and escapes the name', () => {
    const rewriter = new SseModelRewriter('a"b');
    expect(rewriter.push(': ping\n\n')).toBe(': ping\n\n');
    expect(rewriter.push(event('x'))).toContain('"model":"a\\"b"');
  });
});

describe('rewriteJsonModel', () => {
  it('sets the top-level model of a JSON answer and leaves other text alone', () => {
    expect(JSON.parse(rewriteJsonModel('{"model":"e","data":[1]}', 'm'))).toEqual({ model: 'm', data: [1] });
    expect(rewriteJsonModel('not json', 'm')).toBe('not json');
    expect(rewriteJsonModel('{"data":[1]}', 'm')).toBe('{"data":[1]}');
  });
});
