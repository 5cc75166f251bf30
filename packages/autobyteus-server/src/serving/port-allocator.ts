import { MANAGED_PORT_SPAN as PORT_SPAN } from '../engines/managed-ports.js';
import { isPortOpen } from '../engines/process/port-probe.js';

/**
 * Hands out loopback ports for model instances: from `base` upward, skipping ports an instance holds
 * and ports something else already listens on. `preferred` (the configured managed port, for the
 * default model) is taken when free or held by `adoptable` (our own engine from an earlier run).
 */
export class PortAllocator {
  private readonly held = new Set<number>();

  constructor(private readonly base: number) {}

  /** Reserves a port; release it with {@link release} when the instance is gone. */
  async allocate(options: { preferred?: number; adoptable?: (port: number) => boolean } = {}): Promise<number> {
    const { preferred, adoptable } = options;
    if (preferred !== undefined && !this.held.has(preferred)) {
      if (adoptable?.(preferred) || !(await isPortOpen('127.0.0.1', preferred, 300))) return this.take(preferred);
    }
    for (let port = this.base; port < this.base + PORT_SPAN && port <= 65535; port++) {
      if (this.held.has(port)) continue;
      // Reserve before the probe so concurrent allocations never pick the same port.
      this.held.add(port);
      if (!(await isPortOpen('127.0.0.1', port, 300))) return port;
      this.held.delete(port);
    }
    throw new Error(`no free port in ${this.base}-${this.base + PORT_SPAN - 1} for another model instance`);
  }

  /** Keeps `port` out of allocations for a while (something else took it), then gives it back. */
  avoid(port: number, forMs = 30_000): void {
    this.held.add(port);
    setTimeout(() => this.held.delete(port), forMs).unref();
  }

  /** Gives `port` back. */
  release(port: number): void {
    this.held.delete(port);
  }

  private take(port: number): number {
    this.held.add(port);
    return port;
  }
}
