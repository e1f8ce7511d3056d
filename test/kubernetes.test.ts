// xarch export --format kubernetes: the manifests, read back by a real YAML
// parser (PyYAML), equal the model, and validate against the Kubernetes
// schemas (the npm package kubernetes-models; no cluster is reachable here).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { kubernetesManifests } from '../src/formats/kubernetes.js';
import { renderYaml } from '../src/formats/yaml.js';
import { xarch } from './helpers/env.js';

type Model = { validate(): void };
type ModelClass = new (data: unknown) => Model;

/** kubernetes-models' classes, or the reason they cannot be loaded (a devDependency: npm install). */
async function models(): Promise<{ Namespace: ModelClass; DaemonSet: ModelClass } | string> {
  // Specifiers in variables: the build does not depend on the package being installed.
  const ns = 'kubernetes-models/v1/Namespace';
  const ds = 'kubernetes-models/apps/v1/DaemonSet';
  try {
    return { Namespace: (await import(ns)).Namespace, DaemonSet: (await import(ds)).DaemonSet };
  } catch (e) {
    return `kubernetes-models is not installed (npm install): ${(e as Error).message}`;
  }
}
const loaded = await models();
const needModels = typeof loaded === 'string' ? (console.log(`# skip reason: ${loaded}`), loaded) : false;

/** YAML → JSON by PyYAML, or null with the reason printed. */
function parseYaml(text: string): unknown[] | string {
  const r = spawnSync('python3', ['-c', 'import sys, json, yaml; print(json.dumps(list(yaml.safe_load_all(sys.stdin))))'], { input: text, encoding: 'utf8' });
  if (r.status !== 0) return `python3 with PyYAML is needed to read the YAML back (apt-get install python3-yaml): ${r.stderr.trim().split('\n').at(-1)}`;
  return JSON.parse(r.stdout) as unknown[];
}
const probeYaml = parseYaml('a: 1\n');
const needYaml = typeof probeYaml === 'string' ? (console.log(`# skip reason: ${probeYaml}`), probeYaml) : false;

const opts = { arches: ['arm64', 'riscv64'], image: 'registry.example/xarch-agent:1.0', namespace: 'emulation' };

test('the DaemonSet: privileged agent, readiness by --check, resources, tolerations, Linux nodes, RollingUpdate, the NFD hostPath', () => {
  const [ns, ds] = kubernetesManifests(opts) as [any, any];
  assert.deepEqual([ns.kind, ns.metadata.name, ds.kind, ds.metadata.namespace], ['Namespace', 'emulation', 'DaemonSet', 'emulation']);
  const pod = ds.spec.template.spec;
  const c = pod.containers[0];
  assert.equal(pod.containers.length, 1);
  assert.deepEqual([c.image, c.securityContext.privileged], [opts.image, true]);
  assert.deepEqual([...c.command, ...c.args], ['xarch', 'agent', '--arches', 'aarch64,riscv64', '--state-dir', '/run/xarch', '--features-dir', '/etc/kubernetes/node-feature-discovery/features.d']);
  assert.deepEqual(c.readinessProbe.exec.command, ['xarch', 'agent', '--check', '--state-dir', '/run/xarch']);
  assert.ok(c.resources.requests.cpu && c.resources.requests.memory && c.resources.limits.cpu && c.resources.limits.memory);
  assert.deepEqual(pod.tolerations.map((t: { key: string }) => t.key), ['node-role.kubernetes.io/control-plane', 'node-role.kubernetes.io/master']);
  assert.deepEqual(pod.nodeSelector, { 'kubernetes.io/os': 'linux' });
  assert.equal(ds.spec.updateStrategy.type, 'RollingUpdate');
  assert.deepEqual(pod.volumes[0], { name: 'features', hostPath: { path: '/etc/kubernetes/node-feature-discovery/features.d', type: 'DirectoryOrCreate' } });
  assert.equal(pod.automountServiceAccountToken, false);
});

test('the YAML reads back (PyYAML) as exactly the model', { skip: needYaml }, () => {
  const r = xarch(['export', '--format', 'kubernetes', '--arches', 'arm64,riscv64', '--image', opts.image, '--namespace', opts.namespace]);
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(parseYaml(r.stdout), kubernetesManifests(opts));
  // Strings YAML would read as another type stay strings.
  const tricky = { a: ['true', 'no', '1.0', '0x1f', '-x', 'a: b', '', '~', '10m', '#c', 'null', '1e3'], b: [], c: {}, d: 3, e: false };
  assert.deepEqual(parseYaml(renderYaml([tricky])), [tricky]);
});

test('the manifests validate against the Kubernetes schemas (kubernetes-models)', { skip: needModels || needYaml }, () => {
  const m = loaded as { Namespace: ModelClass; DaemonSet: ModelClass };
  for (const args of [['--format', 'kubernetes'], ['--format', 'kubernetes', '--arches', 'all', '--image', opts.image, '--namespace', 'x1']]) {
    const docs = parseYaml(xarch(['export', ...args]).stdout) as any[];
    assert.deepEqual(docs.map((d) => d.kind), ['Namespace', 'DaemonSet']);
    new m.Namespace(docs[0]).validate();
    new m.DaemonSet(docs[1]).validate();
  }
  // The validator does refuse a broken DaemonSet: the check is real.
  const broken = kubernetesManifests(opts)[1] as any;
  broken.spec.template.spec.containers[0].securityContext.privileged = 'yes';
  assert.throws(() => new m.DaemonSet(broken).validate(), /privileged must be boolean/);
});

test('--emulators SET: the agent keeps the handlers of an emulator store set (the agent image\'s)', () => {
  const [, ds] = kubernetesManifests({ ...opts, emulators: '4801efae086393a9' }) as [any, any];
  const c = ds.spec.template.spec.containers[0];
  assert.deepEqual([...c.command, ...c.args], ['xarch', 'agent', '--arches', 'aarch64,riscv64', '--emulators', '4801efae086393a9', '--state-dir', '/run/xarch', '--features-dir', '/etc/kubernetes/node-feature-discovery/features.d']);
  const r = xarch(['export', '--format', 'kubernetes', '--emulators', '10.0']);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /- agent\n\s+- "--emulators"\n\s+- "?10\.0"?\n/);
});

test('bad --namespace, --image and --emulators are one-line errors', () => {
  for (const [flag, value] of [['--namespace', 'Not_A_Name'], ['--image', 'a b'], ['--emulators', 'a b'], ['--emulators', '../x']]) {
    const r = xarch(['export', '--format', 'kubernetes', flag!, value!]);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /^xarch: .* is not .*\n {2}hint: /);
  }
});
