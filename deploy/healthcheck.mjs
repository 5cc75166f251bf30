#!/usr/bin/env node
// Health probe for the container (Docker HEALTHCHECK) and the Helm chart (exec readiness and
// liveness probes): exits 0 when GET /api/health answers 200 with status "ok", 1 otherwise, with
// the reason on stderr.
//
// Why not an HTTP probe: once the server listens beyond loopback every route needs the bearer token
// (deny by default, no public route), and a Kubernetes httpGet probe can only send header values
// written into the pod spec, not read from a Secret. This runs inside the container, where the token
// is in the environment (AUTOBYTEUS_API_TOKEN, from the Secret) or in $AUTOBYTEUS_HOME/api-token
// (generated on first start when none is set). It needs nothing but the Node the image already has.
//
// AUTOBYTEUS_HEALTH_URL overrides the URL (the chart's `helm test` pod probes the Service with it);
// AUTOBYTEUS_HEALTH_TIMEOUT_MS bounds the request (default 4000).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const port = process.env.AUTOBYTEUS_PORT || '8765';
const url = process.env.AUTOBYTEUS_HEALTH_URL || `http://127.0.0.1:${port}/api/health`;
const timeoutMs = Number(process.env.AUTOBYTEUS_HEALTH_TIMEOUT_MS || 4000);

function fail(reason) {
  process.stderr.write(`healthcheck: ${url}: ${reason}\n`);
  process.exit(1);
}

function token() {
  if (process.env.AUTOBYTEUS_API_TOKEN) return process.env.AUTOBYTEUS_API_TOKEN;
  const home = process.env.AUTOBYTEUS_HOME;
  if (!home) return undefined;
  try {
    return readFileSync(join(home, 'api-token'), 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

const bearer = token();
try {
  const response = await fetch(url, {
    headers: bearer ? { authorization: `Bearer ${bearer}` } : {},
    signal: AbortSignal.timeout(timeoutMs),
  });
  if (response.status !== 200) fail(`HTTP ${response.status}`);
  const body = await response.json();
  if (body?.status !== 'ok') fail(`status ${JSON.stringify(body?.status)}`);
} catch (error) {
  fail(error instanceof Error ? (error.cause?.message ?? error.message) : String(error));
}
