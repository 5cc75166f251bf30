/** A host of a pool as routing sees it. */
export interface MemberLoad {
  key: string;
  /** Requests this server has in flight there. */
  inFlight: number;
  /** Requests it serves at once (llama.cpp slots; 1 where unknown). */
  slots: number;
  /** Up, not loading, breaker letting requests through. */
  available: boolean;
}

/**
 * The host for the next request: among available hosts not yet `tried` with a free slot, the one with
 * the fewest requests in flight relative to its slots; ties go to fewer requests in flight, then to
 * `turn` (a counter the caller advances) so equal hosts take turns. Undefined when every host is busy,
 * tried or unavailable (the caller then queues or fails).
 */
export function chooseMember(
  members: readonly MemberLoad[],
  tried: ReadonlySet<string>,
  turn = 0,
): MemberLoad | undefined {
  const free = members.filter((m) => m.available && !tried.has(m.key) && m.inFlight < m.slots);
  if (free.length === 0) return undefined;
  let best: MemberLoad[] = [];
  let bestScore = Number.POSITIVE_INFINITY;
  for (const member of free) {
    const score = member.inFlight / member.slots;
    if (score < bestScore - 1e-12) {
      best = [member];
      bestScore = score;
    } else if (Math.abs(score - bestScore) <= 1e-12) {
      best.push(member);
    }
  }
  const fewest = Math.min(...best.map((m) => m.inFlight));
  const tied = best.filter((m) => m.inFlight === fewest);
  return tied[turn % tied.length];
}

/** True when some host could still take the request once a slot frees (available and not tried). */
export function anyWorthWaitingFor(members: readonly MemberLoad[], tried: ReadonlySet<string>): boolean {
  return members.some((m) => m.available && !tried.has(m.key));
}
