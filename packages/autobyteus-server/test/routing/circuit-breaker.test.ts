import { describe, expect, it } from 'vitest';
import { BREAKER_TRANSITIONS, CircuitBreaker } from '../../src/routing/circuit-breaker.js';

describe('CircuitBreaker', () => {
  it('opens after the threshold of failures in a row, and a success in between resets the count', () => {
    const breaker = new CircuitBreaker({ failureThreshold: 3, cooldownMs: 1000 });
    breaker.onFailure(0, 'refused');
    breaker.onFailure(0, 'refused');
    breaker.onSuccess();
    breaker.onFailure(0, 'refused');
    breaker.onFailure(0, 'refused');
    expect(breaker.state).toBe('closed');
    breaker.onFailure(10, 'refused');
    expect(breaker.status()).toMatchObject({ state: 'open', consecutiveFailures: 3, reason: 'refused' });
    expect(breaker.allow(500)).toBe(false);
  });

  it('lets exactly one probe through after the cool-down, and closes when it succeeds', () => {
    const breaker = new CircuitBreaker({ failureThreshold: 1, cooldownMs: 1000 });
    breaker.onFailure(0, 'reset');
    expect(breaker.canTry(999)).toBe(false);
    expect(breaker.canTry(1000)).toBe(true);
    expect(breaker.allow(1000)).toBe(true);
    expect(breaker.state).toBe('half_open');
    expect(breaker.allow(1001)).toBe(false);
    breaker.onSuccess();
    expect(breaker.state).toBe('closed');
  });

  it('opens again with a fresh cool-down when the probe fails', () => {
    const breaker = new CircuitBreaker({ failureThreshold: 1, cooldownMs: 1000 });
    breaker.onFailure(0, 'reset');
    breaker.allow(1500);
    breaker.onFailure(1500, 'still down');
    expect(breaker.state).toBe('open');
    expect(breaker.canTry(2000)).toBe(false);
    expect(breaker.canTry(2500)).toBe(true);
  });

  it('has no move out of open except the cool-down', () => {
    expect(Object.keys(BREAKER_TRANSITIONS.open)).toEqual(['cooldown_over']);
  });
});
