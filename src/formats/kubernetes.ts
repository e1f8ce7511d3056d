// A Namespace and a DaemonSet running `xarch agent` on every Linux node
// (xarch export --format kubernetes): one privileged container (it
// registers in the host's binfmt_misc instance: a privileged container
// shares the initial user namespace), readiness from `xarch agent --check`,
// the NFD feature file on the host so node-feature-discovery labels the
// node. After a node reboot the pod restarts and the agent registers again;
// a new QEMU is a new image, rolled out node by node (RollingUpdate). Pure.
import { XarchError } from '../core/errors.js';
import { NFD_FEATURES_DIR } from '../agent/features.js';
import { AGENT_STATE_DIR, agentArgs } from './agent-deployment.js';
import { defineAgentFormat, type AgentDeployment } from './format.js';
import { renderYaml, type YamlValue } from './yaml.js';

export const DEFAULT_IMAGE = 'xarch-agent:latest';
export const DEFAULT_NAMESPACE = 'xarch';

/** An RFC 1123 label: what a namespace name must be. */
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/** The DaemonSet's container: also what `docker run` of the agent image reproduces. */
export function agentContainer(d: AgentDeployment): { [key: string]: YamlValue } {
  return {
    name: 'agent',
    image: d.image ?? DEFAULT_IMAGE,
    command: ['xarch'],
    args: agentArgs(d, ['--state-dir', AGENT_STATE_DIR, '--features-dir', NFD_FEATURES_DIR]),
    securityContext: { privileged: true },
    readinessProbe: {
      exec: { command: ['xarch', 'agent', '--check', '--state-dir', AGENT_STATE_DIR] },
      initialDelaySeconds: 2,
      periodSeconds: 10,
      timeoutSeconds: 5,
      failureThreshold: 3,
    },
    resources: { requests: { cpu: '10m', memory: '48Mi' }, limits: { cpu: '250m', memory: '160Mi' } },
    volumeMounts: [
      { name: 'features', mountPath: NFD_FEATURES_DIR },
      { name: 'state', mountPath: AGENT_STATE_DIR },
    ],
  };
}

export function kubernetesManifests(d: AgentDeployment): YamlValue[] {
  const namespace = d.namespace ?? DEFAULT_NAMESPACE;
  if (!DNS_LABEL.test(namespace)) {
    throw new XarchError('USAGE', `--namespace '${namespace}' is not a Kubernetes namespace name`, { hint: 'lower-case letters, digits and -, at most 63, starting and ending alphanumeric' });
  }
  if (d.image !== undefined && (d.image === '' || /\s/.test(d.image))) throw new XarchError('USAGE', `--image '${d.image}' is not an image reference`, { hint: 'e.g. registry.example/xarch-agent:1.0' });
  const labels = { 'app.kubernetes.io/name': 'xarch-agent', 'app.kubernetes.io/part-of': 'xarch' };
  return [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace, labels } },
    {
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      metadata: { name: 'xarch-agent', namespace, labels },
      spec: {
        selector: { matchLabels: { 'app.kubernetes.io/name': 'xarch-agent' } },
        // One node at a time: a new image (a new QEMU) is probed on each node before the next one switches.
        updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1 } },
        template: {
          metadata: { labels },
          spec: {
            // The agent needs no API access: labels come from NFD's local source.
            automountServiceAccountToken: false,
            nodeSelector: { 'kubernetes.io/os': 'linux' },
            tolerations: [
              { key: 'node-role.kubernetes.io/control-plane', operator: 'Exists', effect: 'NoSchedule' },
              { key: 'node-role.kubernetes.io/master', operator: 'Exists', effect: 'NoSchedule' },
            ],
            terminationGracePeriodSeconds: 30,
            containers: [agentContainer(d)],
            volumes: [
              { name: 'features', hostPath: { path: NFD_FEATURES_DIR, type: 'DirectoryOrCreate' } },
              { name: 'state', emptyDir: { medium: 'Memory' } },
            ],
          },
        },
      },
    },
  ];
}

export const kubernetes = defineAgentFormat({
  name: 'kubernetes',
  description: 'a Namespace and a DaemonSet running xarch agent on every Linux node (--arches, --emulators, --image, --namespace)',
  takes: ['arches', 'emulators', 'image', 'namespace'],
  file: 'xarch-agent.yaml',
  renderDeployment: (d) => `# xarch agent on every node (xarch export --format kubernetes): kubectl apply -f xarch-agent.yaml\n${renderYaml(kubernetesManifests(d))}`,
});
