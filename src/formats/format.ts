// What an export format is. A format is one renderer (and, when `apply` reads
// it back, one parser) of the one Rule model; registry.ts lists them and
// everything else (export's --format list, its --help, its validation) is
// read from that list. Pure: text in, values out.
import { displayBytes } from '../core/bytes.js';
import { canonicalFlags, type Rule } from '../core/rule.js';
import { XarchError } from '../core/errors.js';

/** What a format renders: a live entry (LiveEntry from the kernel fits). */
export interface FormatEntry {
  rule: Rule;
  enabled: boolean;
}

/** What of a rule a format can say; the renderer drops the rest with a warning. */
export interface Carries {
  /** The flags it has a way to say, from "POCF". O is also carried by C (the kernel sets O with C). */
  flags: string;
  /** Whether it can say that an entry is disabled (else it comes back enabled). */
  disabled: boolean;
}

/** Something an entry loses in this format: it is still rendered. */
export interface FormatWarning {
  /** The entry's name (byte string). */
  name: string;
  message: string;
}

/** One entry rendered as a file of its own. */
export interface Document {
  name: string;
  file: string;
  text: string;
}

export interface Rendered {
  /** Every rendered entry in one stream, in order: what `export` prints. */
  text: string;
  /** One file per rendered entry: what `export --out-dir` writes. */
  documents: Document[];
  warnings: FormatWarning[];
  /** Entries the format cannot express at all; the others are still rendered. */
  failures: { name: string; error: XarchError }[];
}

export interface ConfigRule {
  rule: Rule;
  /** file:line it came from */
  source: string;
}

export interface ConfigError {
  source: string;
  errno?: string;
  message: string;
}

export interface Parsed {
  rules: ConfigRule[];
  errors: ConfigError[];
}

/** What a deployment of `xarch agent` is rendered from (export's --arches, --image, --namespace). */
export interface AgentDeployment {
  /** Catalogue targets the agent keeps; none: the persisted configuration on the machine. */
  arches?: readonly string[];
  /** An emulator store set (id, prefix or QEMU version) whose handlers the agent keeps: `agent --emulators SET`. */
  emulators?: string;
  /** Container image (kubernetes). */
  image?: string;
  /** Kubernetes namespace. */
  namespace?: string;
  /** The xarch executable on the machine (systemd-unit; default /usr/local/bin/xarch). */
  xarch?: string;
}

export type DeploymentOption = Exclude<keyof AgentDeployment, 'xarch'>;

export interface Format {
  /** The --format value. */
  readonly name: string;
  /** One line for export's --help. */
  readonly description: string;
  readonly carries: Carries;
  /** 'entries' (the default): renders the live entries; 'agent': a deployment of `xarch agent`, from options, reading no entries. */
  readonly input?: 'entries' | 'agent';
  /** The deployment options (export flags) the format takes. */
  readonly takes?: readonly DeploymentOption[];
  /** The file name an entry is written to (`<name>.conf`, `<name>`, ...). */
  fileName(entryName: string): string;
  render(entries: readonly FormatEntry[], deployment?: AgentDeployment): Rendered;
  /** Read the format back (per-line errors, processing goes on); only for formats `apply` reads. */
  parse?(text: string, file: string): Parsed;
}

/** The parts each format writes itself; defineFormat adds the shared rendering loop. */
export interface FormatSpec {
  name: string;
  description: string;
  carries: Carries;
  fileName(entryName: string): string;
  /** One entry as the content of its own file; throws RULE_INVALID when the format cannot express it. */
  renderEntry(entry: FormatEntry): string;
  /** How one entry's file stands in the stream of all of them (default: as it is). */
  inStream?(doc: Document): string;
  parse?(text: string, file: string): Parsed;
}

const FLAG_NAMES: Record<string, string> = { P: 'preserve-argv0', O: 'open-binary', C: 'credentials', F: 'fix-binary' };

/** The flags of `rule` a format cannot say, and the flags the entry comes back with. */
export function droppedFlags(rule: Rule, carries: Carries): { dropped: string; kept: string } {
  const flags = canonicalFlags(rule.flags);
  const said = (f: string) => carries.flags.includes(f) || (f === 'O' && flags.includes('C') && carries.flags.includes('C'));
  const dropped = [...flags].filter((f) => !said(f)).join('');
  return { dropped, kept: canonicalFlags([...flags].filter(said).join('')) };
}

/** One warning per thing `entry` loses in the format. */
export function formatWarnings(format: { name: string; carries: Carries }, entry: FormatEntry): FormatWarning[] {
  const name = entry.rule.name;
  const out: FormatWarning[] = [];
  const { dropped, kept } = droppedFlags(entry.rule, format.carries);
  if (dropped) {
    const which = [...dropped].map((f) => `${f} (${FLAG_NAMES[f]})`).join(', ');
    out.push({ name, message: `the ${format.name} format cannot carry the ${which} flag${dropped.length > 1 ? 's' : ''}; registered from it, the entry gets flags '${kept}'` });
  }
  if (!entry.enabled && !format.carries.disabled) {
    out.push({ name, message: `the entry is disabled, which the ${format.name} format cannot say; registered from it, the entry is enabled` });
  }
  return out;
}

export function defineFormat(spec: FormatSpec): Format {
  const format: Format = {
    name: spec.name,
    description: spec.description,
    carries: spec.carries,
    fileName: spec.fileName,
    render(entries) {
      const out: Rendered = { text: '', documents: [], warnings: [], failures: [] };
      for (const entry of entries) {
        const name = entry.rule.name;
        let text: string;
        try {
          text = spec.renderEntry(entry);
        } catch (e) {
          if (!(e instanceof XarchError)) throw e;
          out.failures.push({ name, error: e });
          continue;
        }
        const doc = { name, file: spec.fileName(name), text };
        out.documents.push(doc);
        out.text += spec.inStream ? spec.inStream(doc) : text;
        out.warnings.push(...formatWarnings(spec, entry));
      }
      return out;
    },
  };
  if (spec.parse) format.parse = spec.parse;
  return format;
}

/** RULE_INVALID for a rule the format `format` cannot write at all. */
export function cannotWrite(rule: Rule, format: string, hint: string): XarchError {
  return new XarchError('RULE_INVALID', `rule ${displayBytes(rule.name)} cannot be written as a ${format}`, { hint });
}

/** The parts an agent deployment format writes itself: its documents, from the options. */
export interface AgentFormatSpec {
  name: string;
  description: string;
  takes: readonly DeploymentOption[];
  /** The one file it writes (export --out-dir). */
  file: string;
  /** The rendered text; throws XarchError (ARCH_UNKNOWN, USAGE) for options it cannot use. */
  renderDeployment(deployment: AgentDeployment): string;
}

/** A format that renders a deployment of `xarch agent` instead of entries. */
export function defineAgentFormat(spec: AgentFormatSpec): Format {
  return {
    name: spec.name,
    description: spec.description,
    // Nothing of a rule is carried: no rule is rendered.
    carries: { flags: 'POCF', disabled: true },
    input: 'agent',
    takes: spec.takes,
    fileName: () => spec.file,
    render(_entries, deployment = {}) {
      const text = spec.renderDeployment(deployment);
      return { text, documents: [{ name: spec.name, file: spec.file, text }], warnings: [], failures: [] };
    },
  };
}
