import { describe, expect, it } from 'vitest';
import { jsonDeeperThan } from '../../src/http/json-body-parser.js';
import { withoutLocalDetails } from '../../src/http/openai-error.js';
import { printable, redactTarget } from '../../src/http/untrusted-text.js';

describe('network text helpers', () => {
  it('printable keeps printable ASCII only and bounds the length', () => {
    expect(printable('a\u001b[31m\r\nb\u00e9')).toBe('a?[31m??b?');
    expect(printable('x'.repeat(500), 10)).toBe(`${'x'.repeat(10)}…(500 chars)`);
  });

  it('redactTarget replaces every query value and bare key, drops fragments', () => {
    expect(redactTarget('/v1/models?api_key=S&x=1')).toBe('/v1/models?api_key=[redacted]&x=[redacted]');
    expect(redactTarget('/p?SECRET')).toBe('/p?[redacted]');
    expect(redactTarget('/p?a=b=c&&')).toBe('/p?a=[redacted]');
    expect(redactTarget('/p#frag?x=1')).toBe('/p');
    expect(redactTarget('/plain')).toBe('/plain');
  });

  it('withoutLocalDetails removes URLs, host:port and absolute paths of every shape', () => {
    const text =
      "HTTP 400: cannot open '/home/x/models/a.gguf' (C:\\Users\\bob\\m.gguf, ~/models/b) at http://10.0.0.5:8080/v1 via 127.0.0.1:9 [::1]:80 localhost:11434";
    const clean = withoutLocalDetails(text);
    for (const leak of ['/home', 'a.gguf', 'Users', '~/models', '10.0.0.5', '127.0.0.1', '::1', 'localhost', 'http']) {
      expect(clean).not.toContain(leak);
    }
    expect(clean).toContain('HTTP 400: cannot open');
    // Ordinary text with slashes is left alone.
    expect(withoutLocalDetails('n/a, 1/2 tokens/s, a / b')).toBe('n/a, 1/2 tokens/s, a / b');
  });

  it('jsonDeeperThan counts objects and arrays outside strings, escapes included', () => {
    expect(jsonDeeperThan('[[[]]]', 3)).toBe(false);
    expect(jsonDeeperThan('[[[[]]]]', 3)).toBe(true);
    expect(jsonDeeperThan('{"a":{"b":{"c":{}}}}', 3)).toBe(true);
    expect(jsonDeeperThan(`{"s":"${'['.repeat(50)}"}`, 3)).toBe(false);
    // An escaped quote does not end the string; an escaped backslash before the quote does.
    expect(jsonDeeperThan(`{"s":"\\"[[[[[["}`, 3)).toBe(false);
    expect(jsonDeeperThan(`{"s":"\\\\",  "t":[[[[]]]]}`, 3)).toBe(true);
  });
});
