import type { DownloadFailure } from '../io/download-errors.js';
import type { JobFailure } from './background-jobs.js';

/** The site a job downloads from, as its failure messages name it. */
export interface DownloadSite {
  /** For people: `the hub`, `the llama.cpp release site`. */
  name: string;
  /** The setting that points the server at it: `HF_ENDPOINT`. */
  setting: string;
  /** The setting's value (redacted), shown beside it. */
  value: string;
  /** Another way to get the file when the site fails, offered last: `upgrade … from an archive: …`. */
  alternative?: string;
}

/**
 * A failed download (see {@link DownloadFailure}) as a job shows it: the error's own `message` followed
 * by what happened in plain words and what to do, with a code of its own, all 502 (another host failed
 * the server, not the server itself): `network_unreachable`, `upstream_unavailable`,
 * `download_interrupted`, and `download_corrupt` (`checksum_mismatch` for a sha256). Only the first points
 * at the server's network: the others say that the site was reached and failed, so nobody goes looking
 * for a network fault.
 */
export function describeDownloadFailure(failure: DownloadFailure, message: string, site: DownloadSite): JobFailure {
  const host = failure.host ?? site.name;
  const elsewhere = `set ${site.setting} to a mirror it can reach${site.alternative ? `, or ${site.alternative}` : ''}`;
  switch (failure.kind) {
    case 'unreachable':
      return {
        message: `${message} — the server could not reach ${site.name} (${site.setting} ${site.value}): check the server's network, or ${elsewhere}`,
        code: 'network_unreachable',
        status: 502,
      };
    case 'upstream':
      return {
        message:
          `${message} — ${host} answered HTTP ${failure.status ?? 'errors'}: ${site.name} is failing, ` +
          `not the server's network; retry later, or ${elsewhere}`,
        code: 'upstream_unavailable',
        status: 502,
      };
    case 'interrupted':
      return {
        message:
          `${message} — ${host} was reached but closed the connection before the end of the file on every attempt ` +
          `(${site.name}, or a proxy on the way, cuts the transfer); retry later, or ${elsewhere}`,
        code: 'download_interrupted',
        status: 502,
      };
    case 'corrupt':
      return {
        message:
          `${message} — the file from ${host} is not the one expected, so nothing of it was kept; ` +
          `retry, and if it fails the same way again, ${site.name} serves a different file than it lists`,
        // A sha256 mismatch kept the code it had before the other integrity checks were named.
        code: failure.sha256Mismatch ? 'checksum_mismatch' : 'download_corrupt',
        status: 502,
      };
  }
}
