import { beforeAll, describe, expect, it } from 'vitest';
import { CHART_DIR, type DeployTools, INSTALL_TIMEOUT_MS, installDeployTools, runTool } from './deploy-tools.js';
import {
  type K8sObject,
  NAMESPACE,
  RELEASE,
  type RenderedChart,
  renderChart,
  validateManifests,
} from './rendered-chart.js';

// deploy/helm/autobyteus checked with the real tools: helm (lint, template) and the Kubernetes
// JSON schemas of kubernetes-validate (strict: unknown fields are errors). There is no cluster here:
// nothing is installed or run in Kubernetes (deployed-server.e2e.test.ts runs the rendered server
// container's command, environment and probe as processes).

const FULL = `${RELEASE}-autobyteus`;
const LLAMA = `${FULL}-llama`;
const RPC = `${FULL}-rpc`;

let tools: DeployTools;
let chart: RenderedChart;
let withRpc: RenderedChart;

beforeAll(() => {
  tools = installDeployTools();
  chart = renderChart(tools);
  withRpc = renderChart(tools, [
    '--set',
    'rpc.enabled=true',
    '--set',
    'rpc.replicas=3',
    '--set',
    'auth.hfToken=hf-test',
    '--set',
    'auth.llamaApiKey=llama-test',
  ]);
}, INSTALL_TIMEOUT_MS);

function podSpec(object: K8sObject): K8sObject {
  return object.kind === 'Pod' ? object.spec : object.spec.template.spec;
}

function container(object: K8sObject, name: string): K8sObject {
  const found = podSpec(object).containers.find((c: K8sObject) => c.name === name);
  if (!found) throw new Error(`${object.kind}/${object.metadata.name} has no container ${name}`);
  return found;
}

function env(c: K8sObject, name: string): K8sObject | undefined {
  return (c.env as K8sObject[] | undefined)?.find((e) => e.name === name);
}

describe('helm chart deploy/helm/autobyteus', () => {
  it('passes helm lint --strict with no warning or error', () => {
    for (const extra of [[], ['--set', 'rpc.enabled=true']]) {
      const lint = runTool(tools.helm, ['lint', CHART_DIR, '--strict', ...extra]);
      expect(lint.code, lint.stdout + lint.stderr).toBe(0);
      expect(lint.stdout).toContain('1 chart(s) linted, 0 chart(s) failed');
      expect(lint.stdout).not.toMatch(/\[(WARNING|ERROR)\]/);
    }
  });

  it('renders the server, the llama.cpp pool, their config and secret; rpc workers only when enabled', () => {
    const kinds = (r: RenderedChart) => r.objects.map((o) => `${o.kind}/${o.metadata.name}`).sort();
    expect(kinds(chart)).toEqual(
      [
        `ConfigMap/${FULL}`,
        `Deployment/${FULL}`,
        `Deployment/${LLAMA}`,
        `PersistentVolumeClaim/${FULL}-models`,
        `Pod/${FULL}-test-health`,
        `Secret/${FULL}`,
        `Service/${FULL}`,
        `Service/${LLAMA}`,
      ].sort(),
    );
    expect(kinds(withRpc)).toEqual(
      [...kinds(chart), `NetworkPolicy/${RPC}`, `Service/${RPC}`, `StatefulSet/${RPC}`].sort(),
    );
    for (const object of withRpc.objects) {
      if (object.kind !== 'Pod') expect(object.metadata.namespace ?? NAMESPACE).toBe(NAMESPACE);
    }
  });

  it('every rendered manifest passes kubernetes-validate --strict (Kubernetes 1.37 and 1.30 schemas)', () => {
    for (const [render, version] of [
      [chart, undefined],
      [withRpc, undefined],
      [withRpc, '1.30.0'],
    ] as const) {
      const result = validateManifests(tools, render.yaml, version);
      expect(result.code, result.stdout + result.stderr).toBe(0);
      const passed = (result.stdout + result.stderr).match(/ passed for resource /g) ?? [];
      expect(passed.length).toBe(render.objects.length);
    }
  });

  it('kubernetes-validate --strict rejects a manifest with a misspelt field (the check can fail)', () => {
    const broken = chart.yaml.replace('readinessProbe:', 'readynessProbe:');
    expect(broken).not.toBe(chart.yaml);
    const result = validateManifests(tools, broken);
    expect(result.code).not.toBe(0);
    expect(result.stdout + result.stderr).toContain('readynessProbe');
  });

  it('the llama.cpp Service is headless and the server finds its pods through a dns+http entry naming it', () => {
    const service = chart.get('Service', LLAMA);
    expect(service.spec.clusterIP).toBe('None');
    expect(service.spec.publishNotReadyAddresses).toBe(false);
    const llama = chart.get('Deployment', LLAMA);
    // The Service selects exactly the llama.cpp pods.
    expect(llama.spec.template.metadata.labels).toMatchObject(service.spec.selector);
    expect(chart.get('Deployment', FULL).spec.template.metadata.labels).not.toMatchObject(service.spec.selector);

    const hosts = env(container(chart.get('Deployment', FULL), 'server'), 'LLAMACPP_HOSTS')?.value as string;
    const port = service.spec.ports[0].port;
    expect(hosts).toBe(`dns+http://${service.metadata.name}.${NAMESPACE}.svc.cluster.local:${port}`);
    const llamaPort = container(llama, 'llama-server').ports.find((p: K8sObject) => p.name === 'http');
    expect(service.spec.ports[0].targetPort).toBe('http');
    expect(llamaPort.containerPort).toBe(port);

    const extra = renderChart(tools, ['--set', 'server.extraLlamaHosts={http://gpu-box:8080}']);
    expect(env(container(extra.get('Deployment', FULL), 'server'), 'LLAMACPP_HOSTS')?.value).toBe(
      `${hosts},http://gpu-box:8080`,
    );
  });

  it('server probes call /api/health with the token (exec: no route is public); llama probes /health', () => {
    const server = container(chart.get('Deployment', FULL), 'server');
    for (const probe of ['startupProbe', 'readinessProbe', 'livenessProbe']) {
      expect(server[probe].exec.command, probe).toEqual(['node', '/app/deploy/healthcheck.mjs']);
      expect(server[probe].httpGet, probe).toBeUndefined();
      const llama = container(chart.get('Deployment', LLAMA), 'llama-server');
      expect(llama[probe].httpGet, probe).toEqual({ path: '/health', port: 'http' });
    }
    expect(env(server, 'ALLOW_REMOTE')?.value).toBe('true');
    expect(server.args).toEqual(['serve', '--host', '0.0.0.0']);
  });

  it('the token comes from the Secret, never from a literal value', () => {
    const secret = chart.get('Secret', FULL);
    const token = Buffer.from(secret.data.AUTOBYTEUS_API_TOKEN, 'base64').toString();
    expect(token).toMatch(/^[A-Za-z0-9]{48}$/);
    expect(secret.data.HF_TOKEN).toBeUndefined();
    for (const render of [chart, withRpc]) {
      const server = container(render.get('Deployment', FULL), 'server');
      expect(env(server, 'AUTOBYTEUS_API_TOKEN')).toEqual({
        name: 'AUTOBYTEUS_API_TOKEN',
        valueFrom: { secretKeyRef: { name: FULL, key: 'AUTOBYTEUS_API_TOKEN' } },
      });
      const test = container(render.get('Pod', `${FULL}-test-health`), 'health');
      expect(env(test, 'AUTOBYTEUS_API_TOKEN')?.valueFrom.secretKeyRef).toEqual({
        name: FULL,
        key: 'AUTOBYTEUS_API_TOKEN',
      });
    }
    expect(nonSecretText(withRpc).includes('llama-test')).toBe(false);
    const keyed = withRpc.get('Secret', FULL).data;
    expect(Buffer.from(keyed.LLAMA_API_KEY, 'base64').toString()).toBe('llama-test');
    expect(Buffer.from(keyed.HF_TOKEN, 'base64').toString()).toBe('hf-test');
    expect(env(container(withRpc.get('Deployment', LLAMA), 'llama-server'), 'LLAMA_API_KEY')?.valueFrom).toEqual({
      secretKeyRef: { name: FULL, key: 'LLAMA_API_KEY', optional: true },
    });

    const fixed = renderChart(tools, ['--set', 'auth.apiToken=fixed-token']);
    expect(Buffer.from(fixed.get('Secret', FULL).data.AUTOBYTEUS_API_TOKEN, 'base64').toString()).toBe('fixed-token');
    const existing = renderChart(tools, ['--set', 'auth.existingSecret=my-secret']);
    expect(existing.objects.some((o) => o.kind === 'Secret')).toBe(false);
    expect(env(container(existing.get('Deployment', FULL), 'server'), 'AUTOBYTEUS_API_TOKEN')?.valueFrom).toEqual({
      secretKeyRef: { name: 'my-secret', key: 'AUTOBYTEUS_API_TOKEN' },
    });
  });

  it('every pod runs non-root with a read-only root, no privilege escalation, no capabilities, no service links', () => {
    const workloads = withRpc.objects.filter((o) => ['Deployment', 'StatefulSet', 'Pod'].includes(o.kind));
    expect(workloads.length).toBe(4);
    for (const object of workloads) {
      const spec = podSpec(object);
      const where = `${object.kind}/${object.metadata.name}`;
      expect(spec.securityContext, where).toMatchObject({ runAsNonRoot: true, runAsUser: 10001 });
      expect(spec.securityContext.runAsUser, where).toBeGreaterThan(0);
      expect(spec.automountServiceAccountToken, where).toBe(false);
      expect(spec.enableServiceLinks, where).toBe(false);
      for (const c of [...spec.containers, ...(spec.initContainers ?? [])]) {
        expect(c.securityContext, `${where} ${c.name}`).toMatchObject({
          allowPrivilegeEscalation: false,
          readOnlyRootFilesystem: true,
          capabilities: { drop: ['ALL'] },
        });
      }
    }
  });

  it('the llama.cpp pods serve the model from the claim the init container pulls it into', () => {
    const llama = chart.get('Deployment', LLAMA);
    const spec = podSpec(llama);
    const claim = spec.volumes.find((v: K8sObject) => v.name === 'models').persistentVolumeClaim.claimName;
    expect(chart.get('PersistentVolumeClaim', claim).spec.resources.requests.storage).toBe('10Gi');
    const [pull] = spec.initContainers;
    expect(pull.args).toEqual(['models', 'pull', 'smollm2-135m-instruct-q4_1']);
    expect(env(pull, 'AUTOBYTEUS_HOME')?.value).toBe('/data');
    expect(pull.volumeMounts).toContainEqual({ name: 'models', mountPath: '/data' });
    const server = container(llama, 'llama-server');
    expect(server.command).toEqual(['tini', '--', 'llama-server']);
    expect(server.volumeMounts).toContainEqual({ name: 'models', mountPath: '/data', readOnly: true });
    const args = server.args as string[];
    expect(args[args.indexOf('--model') + 1]).toBe('/data/models/gguf/SmolLM2-135M-Instruct.Q4_1.gguf');
    expect(args[args.indexOf('--host') + 1]).toBe('0.0.0.0');
    expect(args).not.toContain('--rpc');

    const prefilled = renderChart(tools, [
      '--set',
      'llama.model.pull=',
      '--set',
      'models.persistence.existingClaim=mine',
    ]);
    expect(podSpec(prefilled.get('Deployment', LLAMA)).initContainers).toBeUndefined();
    expect(prefilled.objects.some((o) => o.kind === 'PersistentVolumeClaim')).toBe(false);
  });

  it('with rpc enabled, llama-server gets --rpc naming every StatefulSet pod, reachable only from llama.cpp pods', () => {
    const statefulSet = withRpc.get('StatefulSet', RPC);
    const service = withRpc.get('Service', RPC);
    expect(service.spec.clusterIP).toBe('None');
    expect(statefulSet.spec.serviceName).toBe(service.metadata.name);
    const rpc = container(statefulSet, 'rpc-server');
    expect(rpc.command).toEqual(['tini', '--', 'rpc-server']);
    expect(rpc.args.slice(0, 4)).toEqual(['--host', '0.0.0.0', '--port', '50052']);
    const args = container(withRpc.get('Deployment', LLAMA), 'llama-server').args as string[];
    expect(args[args.indexOf('--rpc') + 1]).toBe(
      [0, 1, 2].map((i) => `${RPC}-${i}.${RPC}.${NAMESPACE}.svc.cluster.local:50052`).join(','),
    );
    const policy = withRpc.get('NetworkPolicy', RPC).spec;
    expect(statefulSet.spec.template.metadata.labels).toMatchObject(policy.podSelector.matchLabels);
    const allowed = policy.ingress[0].from[0].podSelector.matchLabels;
    expect(withRpc.get('Deployment', LLAMA).spec.template.metadata.labels).toMatchObject(allowed);
    expect(withRpc.get('Deployment', FULL).spec.template.metadata.labels).not.toMatchObject(allowed);
  });

  it('the ConfigMap holds config.toml, mounted where AUTOBYTEUS_CONFIG points', () => {
    const server = chart.get('Deployment', FULL);
    const c = container(server, 'server');
    const config = env(c, 'AUTOBYTEUS_CONFIG')?.value as string;
    const mount = c.volumeMounts.find((m: K8sObject) => config.startsWith(`${m.mountPath}/`));
    const volume = podSpec(server).volumes.find((v: K8sObject) => v.name === mount.name);
    const map = chart.get('ConfigMap', volume.configMap.name);
    expect(Object.keys(map.data)).toEqual([config.slice(mount.mountPath.length + 1)]);
    expect(map.data['config.toml']).toContain('health_interval_ms = 10000');
    expect(server.spec.template.metadata.annotations['checksum/config']).toMatch(/^[0-9a-f]{64}$/);
  });
});

/** Every rendered object but the Secret, as text: a secret value must appear nowhere else. */
function nonSecretText(r: RenderedChart): string {
  return r.objects
    .filter((o) => o.kind !== 'Secret')
    .map((o) => JSON.stringify(o))
    .join('\n');
}
