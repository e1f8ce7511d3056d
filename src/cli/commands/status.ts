// xarch status: every binfmt_misc entry (xarch's and others'), the global switch, kernel features.
import { EXIT_OK, jsonLine, table, type Io } from '../io.js';
import { defineCommand, parseCommand } from '../options.js';
import { binfmtDirOption } from '../common-options.js';
import { DEFAULT_BINFMT_DIR } from '../../host/kernel.js';
import { status } from '../../manage/status.js';
import { displayBytes } from '../../core/bytes.js';

export const command = defineCommand({
  name: 'status',
  description: `
Every entry of the binfmt_misc instance, newest registration first (the
order the kernel tries them): name, enabled, whether it is xarch's own, what
it serves (catalogue targets, or "other" with its magic/extension), the
interpreter and whether it exists / is static / is pinned by F, flags, and
which newer enabled entries shadow it. Also the global enabled state and the
kernel's binfmt_misc features by version (F: 4.8, P via AT_FLAGS: 5.12, an
instance per user namespace: 6.7), and whose instance it is: the host's
(initial user namespace), a user namespace's private one, an automount not
yet triggered, or not mounted; inside a container, whether it is the host's.`,
  options: {
    'binfmt-dir': binfmtDirOption(),
  },
  json: 'ONE object: {"binfmtDir","mounted","global","machine","instance":{"kind","hostInstance","userNamespace","container","detail"},"kernel":{"release","fixBinary","preserveArgv0AuxFlag","perUserNamespace"},"entries":[{"name","enabled","ours","serves","targets","type","offset","magic","mask","extension","interpreter","interpreterExists","interpreterStatic","pinned","flags","shadowedBy"}]}',
  notes: 'Exit 0 (also when binfmt_misc is not mounted: "mounted": false).',
});

export async function run(argv: string[], io: Io): Promise<number> {
  const { values } = parseCommand(command, argv);
  const r = status({ binfmtDir: values['binfmt-dir'] ?? DEFAULT_BINFMT_DIR });
  if (values.json) {
    jsonLine(io, r);
    return EXIT_OK;
  }
  const k = r.kernel;
  const yes = (b: boolean) => (b ? 'yes' : 'no');
  io.out(`binfmt_misc: ${r.binfmtDir}: ${r.mounted ? `mounted, ${r.global}` : "not mounted ('xarch install' mounts it)"}\n`);
  io.out(`instance: ${r.instance.detail}\n`);
  io.out(`kernel ${k.release} (${r.machine}): F ${yes(k.fixBinary)}, P via AT_FLAGS ${yes(k.preserveArgv0AuxFlag)}, per-user-namespace instances ${yes(k.perUserNamespace)}\n`);
  if (!r.mounted) return EXIT_OK;
  if (r.entries.length === 0) {
    io.out('no entries\n');
    return EXIT_OK;
  }
  const rows = r.entries.map((e) => {
    const interp = `${displayBytes(e.interpreter)}${!e.interpreterExists ? ' (missing' + (e.pinned ? ', pinned' : '') + ')' : e.interpreterStatic === false ? ' (dynamic)' : ''}`;
    const serves = e.serves !== 'other' ? e.serves : e.type === 'E' ? `other: extension .${displayBytes(e.extension ?? '')}` : `other: magic ${e.magic}${e.offset ? ` @${e.offset}` : ''}`;
    return [displayBytes(e.name), e.enabled ? 'enabled' : 'disabled', e.ours ? 'xarch' : 'other', e.flags || '-', serves, interp, e.shadowedBy.length ? `shadowed by ${e.shadowedBy.join(', ')}` : ''];
  });
  io.out(table(['NAME', 'STATE', 'OWNER', 'FLAGS', 'SERVES', 'INTERPRETER', 'NOTE'], rows));
  return EXIT_OK;
}
