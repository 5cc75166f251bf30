import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CHART_DIR, type DeployTools, runTool } from './deploy-tools.js';

/** A rendered Kubernetes object, as parsed from helm's YAML (the tests read it loosely). */
// biome-ignore lint/suspicious/noExplicitAny: manifests are checked field by field in the tests
export type K8sObject = Record<string, any>;

/** The chart rendered once: helm's YAML and the objects parsed from it with PyYAML. */
export interface RenderedChart {
  yaml: string;
  objects: K8sObject[];
  /** The one object of this kind and name; throws naming what exists when there is none. */
  get(kind: string, name: string): K8sObject;
}

export const RELEASE = 'demo';
export const NAMESPACE = 'llm';

/** `helm template demo deploy/helm/autobyteus -n llm <extra>`; throws with helm's output on failure. */
export function renderChart(tools: DeployTools, extra: string[] = []): RenderedChart {
  const result = runTool(tools.helm, ['template', RELEASE, CHART_DIR, '--namespace', NAMESPACE, ...extra]);
  if (result.code !== 0) throw new Error(`helm template failed (${result.code}):\n${result.stderr}`);
  const parsed = runTool(tools.python, [join(import.meta.dirname, 'yaml-to-json.py')], result.stdout);
  if (parsed.code !== 0) throw new Error(`rendered YAML does not parse:\n${parsed.stderr}`);
  const objects = JSON.parse(parsed.stdout) as K8sObject[];
  return {
    yaml: result.stdout,
    objects,
    get(kind, name) {
      const found = objects.find((o) => o.kind === kind && o.metadata?.name === name);
      if (!found) {
        const have = objects.map((o) => `${o.kind}/${o.metadata?.name}`).join(', ');
        throw new Error(`no ${kind}/${name} rendered (have: ${have})`);
      }
      return found;
    },
  };
}

/** `kubernetes-validate --strict` (its offline schemas for the default Kubernetes version) on YAML text. */
export function validateManifests(tools: DeployTools, yaml: string, kubernetesVersion?: string) {
  const dir = mkdtempSync(join(tmpdir(), 'autobyteus-manifests-'));
  const file = join(dir, 'rendered.yaml');
  writeFileSync(file, yaml);
  const version = kubernetesVersion ? ['--kubernetes-version', kubernetesVersion] : [];
  return runTool(tools.kubernetesValidate, ['--strict', ...version, file]);
}
