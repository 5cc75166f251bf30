/**
 * sha256 of official llama.cpp release assets, by `<tag>/<asset>`, checked into this source so an
 * install can be verified even when the release server offers no checksum file. An entry belongs
 * here only after its digest was computed from the asset downloaded from github.com/ggml-org/llama.cpp.
 * Empty for now: no release has been pinned yet (installs pass --sha256 or --allow-unverified).
 */
export const PINNED_CHECKSUMS: Readonly<Record<string, string>> = {};

/** The pinned sha256 of a release asset, if any. */
export function pinnedChecksum(tag: string, asset: string, table = PINNED_CHECKSUMS): string | null {
  return table[`${tag}/${asset}`] ?? null;
}
