import { describe, expect, it } from 'vitest';
import { matchModelName } from '../../src/serving/model-names.js';

const models = [
  { id: 'SmolLM2-135M-Instruct.Q4_1', names: ['SmolLM2-135M-Instruct.Q4_1', 'smollm2-135m-instruct-q4_1', 'smol'] },
  { id: 'SmolLM2-135M-Instruct.Q4_0', names: ['SmolLM2-135M-Instruct.Q4_0', 'shared'] },
  { id: 'tiny-random-llama', names: ['tiny-random-llama', 'shared'] },
];

describe('matchModelName', () => {
  it('finds a model by id, file stem, catalog name and alias', () => {
    for (const name of ['SmolLM2-135M-Instruct.Q4_1', 'smollm2-135m-instruct-q4_1', 'smol']) {
      expect(matchModelName(models, name)).toMatchObject({
        kind: 'found',
        model: { id: 'SmolLM2-135M-Instruct.Q4_1' },
      });
    }
  });

  it('falls back to a case-insensitive match', () => {
    expect(matchModelName(models, 'TINY-random-LLAMA')).toMatchObject({
      kind: 'found',
      model: { id: 'tiny-random-llama' },
    });
  });

  it('refuses an ambiguous name with the candidates', () => {
    expect(matchModelName(models, 'shared')).toEqual({
      kind: 'ambiguous',
      candidates: ['SmolLM2-135M-Instruct.Q4_0', 'tiny-random-llama'],
    });
  });

  it('finds nothing for an unknown name', () => {
    expect(matchModelName(models, 'nope')).toEqual({ kind: 'none' });
  });
});
