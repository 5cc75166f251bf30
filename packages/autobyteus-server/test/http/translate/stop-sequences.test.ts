import type { ChatStreamChunk } from 'autobyteus';
import { describe, expect, it } from 'vitest';
import { applyStopSequences, StopSequenceScanner } from '../../../src/http/translate/stop-sequences.js';

async function* from(chunks: ChatStreamChunk[]) {
  yield* chunks;
}

async function all<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

describe('StopSequenceScanner', () => {
  it('holds back text that could begin a stop sequence until the next piece decides', () => {
    const scanner = new StopSequenceScanner(['END']);
    expect(scanner.push('hello E')).toEqual({ text: 'hello ' });
    expect(scanner.push('N')).toEqual({ text: '' });
    expect(scanner.push('X more')).toEqual({ text: 'ENX more' });
    expect(scanner.flush()).toBe('');
  });

  it('cuts at the earliest of several sequences, across pieces', () => {
    const scanner = new StopSequenceScanner(['\n\n', 'STOP']);
    expect(scanner.push('one ST')).toEqual({ text: 'one ' });
    expect(scanner.push('OP\n\n')).toEqual({ text: '', stopped: 'STOP' });
  });

  it('gives back held text at the end, and ignores empty sequences', () => {
    const scanner = new StopSequenceScanner(['', 'abc']);
    expect(scanner.push('xab')).toEqual({ text: 'x' });
    expect(scanner.flush()).toBe('ab');
  });
});

describe('applyStopSequences', () => {
  it('ends the answer at the stop sequence with finish reason stop_sequence and closes the source', async () => {
    let closed = false;
    async function* engine(): AsyncGenerator<ChatStreamChunk> {
      try {
        yield { isComplete: false, content: 'The capital' };
        yield { isComplete: false, content: ' of France' };
        yield { isComplete: false, content: ' is Paris' };
        yield { isComplete: true, finishReason: 'stop' };
      } finally {
        closed = true;
      }
    }
    const out = await all(applyStopSequences(engine(), [' France']));
    expect(out).toEqual([
      { isComplete: false, content: 'The capital' },
      { isComplete: false, content: ' of' },
      { isComplete: true, finishReason: 'stop_sequence', stopSequence: ' France' },
    ]);
    expect(closed).toBe(true);
  });

  it('passes reasoning and tool calls on, held text going out before them', async () => {
    const out = await all(
      applyStopSequences(
        from([
          { isComplete: false, reasoning: 'hmm' },
          { isComplete: false, content: 'a#' },
          { isComplete: false, toolCalls: [{ index: 0, name: 'f', argumentsDelta: '{}' }] },
          { isComplete: true, finishReason: 'tool_calls' },
        ]),
        ['##'],
      ),
    );
    expect(out).toEqual([
      { isComplete: false, reasoning: 'hmm' },
      { isComplete: false, content: 'a' },
      { isComplete: false, content: '#' },
      { isComplete: false, toolCalls: [{ index: 0, name: 'f', argumentsDelta: '{}' }] },
      { isComplete: true, finishReason: 'tool_calls' },
    ]);
  });

  it('is the source itself when no stop sequence is given', async () => {
    const chunks: ChatStreamChunk[] = [
      { isComplete: false, content: 'x' },
      { isComplete: true, finishReason: 'stop' },
    ];
    expect(await all(applyStopSequences(from(chunks), []))).toEqual(chunks);
  });
});
