/**
 * The Kubernetes manifests (deploy/k8s/), rendered as `kubectl apply -k` would render them, by
 * `kubectl kustomize` (offline: no cluster needed). No cluster runs here, so what can drift is checked
 * against the code instead: the probe paths are routes a real `nano server` answers, the ports agree, every
 * flag and environment variable is one nano takes, the grace period covers the drain, and the labels that
 * tie the objects together match. Without kubectl on PATH the suite fails, naming it, unless
 * NANO_SKIP_CLUSTER=1 (then it is skipped with the same message), as the nginx cluster suite does.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { afterEach, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { DEFAULT_DRAIN_DELAY_MS, DEFAULT_DRAIN_TIMEOUT_MS } from '../../src/server/limits.js';
import { killStrayProcesses } from '../helpers/cli-process.js';
import { captureIo } from '../helpers/io.js';
import { startServer } from '../helpers/platform.js';
import { removeTempProjects, REPO_ROOT } from '../helpers/project.js';

const K8S = join(REPO_ROOT, 'deploy', 'k8s');

/**
 * Why the manifests cannot be rendered here, or undefined when they can. Debian ships kubectl as the
 * package kubernetes-client (1.20, whose built-in kustomize renders these files the same as a current one).
 */
function missingKubectl(): string | undefined {
  const found = spawnSync('kubectl', ['version', '--client'], { stdio: 'ignore' });
  return found.error === undefined
    ? undefined
    : "the `kubectl` binary is not on PATH (apt-get install kubernetes-client, Debian's kubectl; .ci/run does)";
}

const missing = missingKubectl();
const skipped = missing !== undefined && process.env.NANO_SKIP_CLUSTER === '1';

afterEach(async () => {
  await killStrayProcesses();
  await removeTempProjects();
});

// Only the parts of the objects the checks read.
type Labels = Record<string, string>;
type Port = number | string;
interface Probe {
  httpGet?: { path: string; port: Port };
}
interface Container {
  name: string;
  image: string;
  args: string[];
  ports: { name?: string; containerPort: number }[];
  env?: { name: string; valueFrom?: { secretKeyRef?: { name: string; key: string } } }[];
  readinessProbe?: Probe;
  livenessProbe?: Probe;
  startupProbe?: Probe;
  securityContext: { allowPrivilegeEscalation?: boolean; readOnlyRootFilesystem?: boolean; capabilities?: { drop?: string[] } };
  volumeMounts?: { name: string; mountPath: string }[];
}
interface PodSpec {
  containers: Container[];
  terminationGracePeriodSeconds?: number;
  enableServiceLinks?: boolean;
  securityContext?: { runAsNonRoot?: boolean; runAsUser?: number };
  topologySpreadConstraints?: { topologyKey: string; labelSelector: { matchLabels: Labels } }[];
}
interface K8sObject {
  kind: string;
  metadata: { name: string };
  // Each kind's spec differs; the checks below name the fields they read.
  spec: {
    replicas?: number;
    selector?: Labels | { matchLabels: Labels };
    template?: { metadata: { labels: Labels }; spec: PodSpec };
    volumeClaimTemplates?: { metadata: { name: string } }[];
    ports?: { port: number; targetPort: Port }[];
    scaleTargetRef?: { kind: string; name: string };
    podSelector?: { matchLabels: Labels };
    ingress?: { from: Record<string, { matchLabels?: Labels }>[]; ports: { protocol: string; port: number }[] }[];
  };
}

function render(): K8sObject[] {
  const rendered = spawnSync('kubectl', ['kustomize', K8S], { encoding: 'utf8' });
  if (rendered.status !== 0) throw new Error(`kubectl kustomize deploy/k8s failed:\n${rendered.stderr}`);
  return parseAllDocuments(rendered.stdout).map((doc) => {
    if (doc.errors.length > 0) throw doc.errors[0]!;
    return doc.toJS() as K8sObject;
  });
}

/** `labels` holds every pair of `selector`: the selector picks the object that carries them. */
const selects = (selector: Labels, labels: Labels) => Object.entries(selector).every(([key, value]) => labels[key] === value);
/** The value after `--flag` in a container's args. */
const argValue = (args: string[], flag: string) => (args.includes(flag) ? args[args.indexOf(flag) + 1] : undefined);

if (missing !== undefined && !skipped) {
  describe('the Kubernetes manifests', () => {
    it('needs kubectl', () => {
      throw new Error(`${missing}. Set NANO_SKIP_CLUSTER=1 to skip the suite.`);
    });
  });
}

describe.skipIf(missing !== undefined)(
  skipped ? `Kubernetes manifests skipped: ${missing} (NANO_SKIP_CLUSTER=1)` : 'the Kubernetes manifests',
  () => {
    const objects = missing === undefined ? render() : [];
    const find = (kind: string, name: string) => {
      const found = objects.find((object) => object.kind === kind && object.metadata.name === name);
      if (!found) throw new Error(`deploy/k8s renders no ${kind} ${name}`);
      return found;
    };
    const deployment = () => find('Deployment', 'nano');
    const pod = () => deployment().spec.template!;
    const container = () => pod().spec.containers[0]!;
    /** A probe's or a Service's port, by number or by the container port's name, as a number. */
    const containerPort = (port: Port) =>
      typeof port === 'number' ? port : container().ports.find((item) => item.name === port)?.containerPort;

    it('renders every object, and no Secret (the token is created apart)', () => {
      expect(objects.map((object) => `${object.kind}/${object.metadata.name}`).sort()).toEqual([
        'Deployment/nano',
        'HorizontalPodAutoscaler/nano',
        'NetworkPolicy/nano-registry',
        'PodDisruptionBudget/nano',
        'Service/nano',
        'Service/nano-registry',
        'Service/nano-registry-headless',
        'StatefulSet/nano-registry',
      ]);
    });

    it('probes paths that a real nano server answers with 200', async () => {
      const { readinessProbe, livenessProbe, startupProbe } = container();
      const paths = [readinessProbe, livenessProbe, startupProbe].flatMap((probe) => (probe?.httpGet ? [probe.httpGet.path] : []));
      expect(paths).toContain('/healthz/ready');
      expect(paths).toContain('/healthz');
      const server = await startServer();
      for (const path of paths) expect((await fetch(`${server.url}${path}`)).status, path).toBe(200);
      await server.process.stop();
    });

    it('listens, probes and is reached on one port', () => {
      const { ports, args, readinessProbe, livenessProbe, startupProbe } = container();
      expect(ports).toHaveLength(1);
      const port = ports[0]!.containerPort;
      expect(argValue(args, '--port')).toBe(String(port));
      for (const probe of [readinessProbe, livenessProbe, startupProbe]) {
        if (probe?.httpGet) expect(containerPort(probe.httpGet.port), probe.httpGet.path).toBe(port);
      }
      const service = find('Service', 'nano');
      expect(service.spec.ports).toHaveLength(1);
      expect(service.spec.ports![0]!.port).toBe(80);
      expect(containerPort(service.spec.ports![0]!.targetPort)).toBe(port);
    });

    it('passes only flags that `nano server --help` lists', async () => {
      const io = captureIo({ cwd: REPO_ROOT });
      expect(await main(['server', '--help'], io)).toBe(0);
      const flags = container().args.filter((arg) => arg.startsWith('--'));
      expect(flags).toContain('--host');
      // Kubernetes expands $(NAME) only for a variable the container defines; any other stays as written.
      const defined = new Set((container().env ?? []).map((item) => item.name));
      const references = container().args.flatMap((arg) => [...arg.matchAll(/\$\((\w+)\)/g)].map((match) => match[1]!));
      expect(references.filter((name) => !defined.has(name))).toEqual([]);
      expect(
        flags.filter((flag) => !io.out().includes(`${flag} `)),
        'flags that `nano server --help` does not list',
      ).toEqual([]);
    });

    it('gives a stopping pod more time than the drain takes', () => {
      const { args } = container();
      const delayMs = Number(argValue(args, '--drain-delay') ?? DEFAULT_DRAIN_DELAY_MS);
      const timeoutMs = Number(argValue(args, '--drain-timeout') ?? DEFAULT_DRAIN_TIMEOUT_MS);
      // Strictly more: after the drain the executor still closes before the process exits.
      expect(pod().spec.terminationGracePeriodSeconds! * 1000).toBeGreaterThan(delayMs + timeoutMs);
    });

    it('runs as the image user, not root, writing only to the data folder it mounts', () => {
      // The Dockerfile's `USER node`: uid 1000 in the official node images.
      expect(readFileSync(join(REPO_ROOT, 'Dockerfile'), 'utf8')).toMatch(/^USER node$/m);
      expect(pod().spec.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000 });
      const { securityContext, volumeMounts, args } = container();
      expect(securityContext).toEqual({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
      expect(volumeMounts?.map((mount) => mount.mountPath)).toEqual([argValue(args, '--data')]);
    });

    it('sets only environment variables that nano reads', () => {
      const cli = join(REPO_ROOT, 'src', 'cli');
      const source = readdirSync(cli, { recursive: true, encoding: 'utf8' })
        .filter((file) => file.endsWith('.ts'))
        .map((file) => readFileSync(join(cli, file), 'utf8'))
        .join('\n');
      const names = (container().env ?? []).map((item) => item.name).filter((name) => name.startsWith('NANO_'));
      expect(names.sort()).toEqual(['NANO_LOG_FORMAT', 'NANO_REGISTRY', 'NANO_TOKEN']);
      const unread = names.filter((name) => !new RegExp(`\\b${name}\\b`).test(source));
      expect(unread, 'variables that no file in src/cli names').toEqual([]);
      // Services would inject NANO_PORT, NANO_REGISTRY_PORT, …: nano's prefix, with values nano does not expect.
      expect(pod().spec.enableServiceLinks).toBe(false);
    });

    it('takes its secrets from Secret `nano`, under the keys secret.example.yaml defines', () => {
      const example = parseAllDocuments(readFileSync(join(K8S, 'secret.example.yaml'), 'utf8'))[0]!.toJS() as {
        metadata: { name: string };
        stringData: Record<string, string>;
      };
      const fromSecret = (container().env ?? []).filter((item) => item.valueFrom?.secretKeyRef);
      expect(fromSecret.map((item) => item.name).sort()).toEqual(['NANO_REGISTRY', 'NANO_TOKEN']);
      for (const item of fromSecret)
        expect(item.valueFrom!.secretKeyRef, item.name).toEqual({ name: example.metadata.name, key: item.name });
      expect(Object.keys(example.stringData).sort()).toEqual(['NANO_REGISTRY', 'NANO_TOKEN']);
      // The example's registry is the bundled one: its Service's name and port.
      const registry = find('Service', 'nano-registry');
      expect(example.stringData.NANO_REGISTRY).toBe(`redis://nano-registry:${registry.spec.ports![0]!.port}`);
    });

    it('ties the Service, budget, spread and autoscaler to the Deployment, which leaves its count to the autoscaler', () => {
      const labels = pod().metadata.labels;
      const { matchLabels } = deployment().spec.selector as { matchLabels: Labels };
      expect(selects(matchLabels, labels)).toBe(true);
      expect(selects(find('Service', 'nano').spec.selector as Labels, labels)).toBe(true);
      expect(selects((find('PodDisruptionBudget', 'nano').spec.selector as { matchLabels: Labels }).matchLabels, labels)).toBe(true);
      const spread = pod().spec.topologySpreadConstraints ?? [];
      expect(spread.map((constraint) => constraint.topologyKey)).toContain('kubernetes.io/hostname');
      for (const constraint of spread) expect(selects(constraint.labelSelector.matchLabels, labels)).toBe(true);
      expect(find('HorizontalPodAutoscaler', 'nano').spec.scaleTargetRef).toMatchObject({ kind: 'Deployment', name: 'nano' });
      // A replica count here would undo the autoscaler at every `kubectl apply`.
      expect(deployment().spec.replicas).toBeUndefined();
    });

    it('keeps the registry durable, and reachable only from the nano pods', () => {
      const registry = find('StatefulSet', 'nano-registry');
      const valkey = registry.spec.template!.spec.containers[0]!;
      expect(argValue(valkey.args, '--appendonly')).toBe('yes');
      expect(argValue(valkey.args, '--appendfsync')).toBe('always');
      expect(registry.spec.volumeClaimTemplates?.map((claim) => claim.metadata.name)).toEqual(['data']);
      expect(valkey.volumeMounts).toEqual([{ name: 'data', mountPath: '/data' }]);

      const registryLabels = registry.spec.template!.metadata.labels;
      const nanoLabels = pod().metadata.labels;
      for (const name of ['nano-registry', 'nano-registry-headless']) {
        expect(selects(find('Service', name).spec.selector as Labels, registryLabels), name).toBe(true);
      }
      const policy = find('NetworkPolicy', 'nano-registry').spec;
      expect(selects(policy.podSelector!.matchLabels, registryLabels)).toBe(true);
      expect(selects(policy.podSelector!.matchLabels, nanoLabels)).toBe(false);
      // One rule: from one kind of peer, pods of this namespace, and only to the Redis port.
      expect(policy.ingress).toHaveLength(1);
      const [rule] = policy.ingress!;
      expect(rule!.ports).toEqual([{ protocol: 'TCP', port: 6379 }]);
      expect(rule!.from).toHaveLength(1);
      expect(Object.keys(rule!.from[0]!)).toEqual(['podSelector']);
      const allowed = rule!.from[0]!.podSelector!.matchLabels!;
      expect(selects(allowed, nanoLabels)).toBe(true);
      expect(selects(allowed, registryLabels)).toBe(false);
    });
  },
);
