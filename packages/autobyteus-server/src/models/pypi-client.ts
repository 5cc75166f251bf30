import { z } from 'zod';
import { getText, type TextResponse } from '../io/http-get.js';

/** Default PyPI endpoint. */
export const DEFAULT_PYPI_BASE_URL = 'https://pypi.org';

/** A wheel file as PyPI lists it. */
export interface PypiWheel {
  filename: string;
  url: string;
  sha256: string;
  size: number;
}

/** A PyPI lookup failed; names the URL and status. */
export class PypiError extends Error {
  constructor(
    readonly url: string,
    readonly status: number | undefined,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'PypiError';
  }
}

const fileSchema = z
  .object({
    filename: z.string(),
    url: z.string(),
    packagetype: z.string(),
    size: z.number().int().nonnegative(),
    digests: z.object({ sha256: z.string().regex(/^[0-9a-f]{64}$/) }).passthrough(),
    yanked: z.boolean().optional(),
  })
  .passthrough();
const versionSchema = z.object({ urls: z.array(fileSchema) }).passthrough();
const projectSchema = z.object({ releases: z.record(z.string(), z.array(fileSchema)) }).passthrough();

export interface PypiOptions {
  baseUrl?: string;
  timeoutMs?: number;
}

/**
 * Finds the wheel of `project==version` with its sha256, from PyPI's JSON API:
 * `GET {base}/pypi/{project}/{version}/json`, falling back to the project document
 * `GET {base}/pypi/{project}/json` (`releases[version]`) when the per-version one answers 404
 * (some PyPI proxies only serve the latter). A pure-Python (`py3-none-any`) wheel is preferred.
 */
export async function resolvePypiWheel(
  project: string,
  version: string,
  options: PypiOptions = {},
): Promise<PypiWheel> {
  const base = (options.baseUrl || DEFAULT_PYPI_BASE_URL).replace(/\/+$/, '');
  const versionUrl = `${base}/pypi/${encodeURIComponent(project)}/${encodeURIComponent(version)}/json`;
  let files: z.infer<typeof fileSchema>[] | undefined;
  const byVersion = await getJson(versionUrl, options);
  if (byVersion.status === 200) {
    files = parse(versionSchema, byVersion.body, versionUrl).urls;
  } else {
    const projectUrl = `${base}/pypi/${encodeURIComponent(project)}/json`;
    const byProject = await getJson(projectUrl, options);
    if (byProject.status !== 200) {
      throw new PypiError(
        projectUrl,
        byProject.status,
        `HTTP ${byProject.status} from ${projectUrl} (and ${byVersion.status} from ${versionUrl}): no such PyPI project or version`,
      );
    }
    files = parse(projectSchema, byProject.body, projectUrl).releases[version];
    if (!files) throw new PypiError(projectUrl, 200, `${project} has no release ${version} on ${base}`);
  }
  const wheels = files.filter((file) => file.packagetype === 'bdist_wheel' && !file.yanked);
  const wheel = wheels.find((file) => file.filename.endsWith('-none-any.whl')) ?? wheels[0];
  if (!wheel) throw new PypiError(versionUrl, 200, `${project}==${version} has no wheel on ${base}`);
  return {
    filename: wheel.filename,
    url: new URL(wheel.url, base).toString(),
    sha256: wheel.digests.sha256,
    size: wheel.size,
  };
}

async function getJson(url: string, options: PypiOptions): Promise<{ status: number; body?: unknown }> {
  let response: TextResponse;
  try {
    response = await getText(url, {
      headers: { accept: 'application/json' },
      timeoutMs: options.timeoutMs ?? 30_000,
      maxBytes: 64 << 20,
    });
  } catch (error) {
    throw new PypiError(url, undefined, `could not reach ${url}: ${(error as Error).message}`, { cause: error });
  }
  if (response.status === 404) return { status: 404 };
  if (response.status < 200 || response.status > 299) {
    throw new PypiError(url, response.status, `HTTP ${response.status} from ${url}`);
  }
  try {
    return { status: 200, body: JSON.parse(response.text) };
  } catch (error) {
    throw new PypiError(url, 200, `invalid JSON from ${url}`, { cause: error });
  }
}

function parse<T>(schema: z.ZodType<T>, body: unknown, url: string): T {
  const parsed = schema.safeParse(body);
  if (!parsed.success)
    throw new PypiError(url, 200, `unexpected response from ${url}: ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}
