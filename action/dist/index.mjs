// Built by npm run build:action from src/action/main.ts; do not edit.

// src/action/main.ts
import { spawnSync as spawnSync7 } from "node:child_process";

// src/host/kernel.ts
import { accessSync, closeSync, constants as fsConstants, openSync, opendirSync, readFileSync as readFileSync2, statSync, writeSync } from "node:fs";
import { spawnSync as spawnSync2 } from "node:child_process";
import path from "node:path";

// src/core/errors.ts
var XarchError = class extends Error {
  code;
  hint;
  path;
  offset;
  errno;
  constructor(code, message, details = {}) {
    super(message, details.cause === void 0 ? void 0 : { cause: details.cause });
    this.name = "XarchError";
    this.code = code;
    if (details.hint !== void 0) this.hint = details.hint;
    if (details.path !== void 0) this.path = details.path;
    if (details.offset !== void 0) this.offset = details.offset;
    if (details.errno !== void 0) this.errno = details.errno;
  }
  toJSON() {
    const out = { code: this.code, message: this.message };
    if (this.hint !== void 0) out.hint = this.hint;
    if (this.path !== void 0) out.path = this.path;
    if (this.offset !== void 0) out.offset = this.offset;
    if (this.errno !== void 0) out.errno = this.errno;
    return out;
  }
};
function isXarchError(e) {
  return e instanceof XarchError;
}
function errnoOf(e) {
  if (e && typeof e === "object" && "code" in e && typeof e.code === "string") {
    return e.code;
  }
  return void 0;
}
function fromSystemError(e, path16, what = "file") {
  if (e instanceof XarchError) return e;
  const errno = errnoOf(e);
  switch (errno) {
    case "ENOENT":
      return new XarchError("PATH_NOT_FOUND", `${what} ${path16} does not exist`, { path: path16, errno, cause: e, hint: "check the path" });
    case "EISDIR":
      return new XarchError("PATH_NOT_FILE", `${path16} is a directory, not a ${what}`, { path: path16, errno, cause: e, hint: "name a regular file" });
    case "EACCES":
    case "EPERM":
      return new XarchError("PERMISSION_DENIED", `no permission to access ${path16}`, { path: path16, errno, cause: e, hint: "run as a user who can read it, or as root" });
    case "EROFS":
      return new XarchError("READ_ONLY", `${path16} is on a read-only file system`, { path: path16, errno, cause: e, hint: "remount it read-write, or, in a container, run it with the host path writable" });
    case "ELOOP":
      return new XarchError("PATH_UNREADABLE", `${path16}: too many levels of symbolic links`, { path: path16, errno, cause: e, hint: "fix the symlink loop" });
    default:
      return new XarchError("PATH_UNREADABLE", `cannot read ${path16}: ${e?.message ?? String(e)}`, { path: path16, errno, cause: e });
  }
}

// src/core/bytes.ts
var HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));
function byteString(b) {
  let s = "";
  for (let i = 0; i < b.length; i += 8192) s += String.fromCharCode(...b.subarray(i, i + 8192));
  return s;
}
function stringBytes(s) {
  if (/[^\u0000-\u00ff]/.test(s)) return new TextEncoder().encode(s);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}
var escapeChar = (c) => "\\x" + HEX[c.charCodeAt(0)];
function displayBytes(s) {
  const bytes = stringBytes(s);
  let text;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    text = s.replace(/[\u0080-\u00ff]/g, escapeChar);
  }
  return text.replace(/[\u0000-\u001f\u007f]/g, escapeChar);
}
function fromHex(h) {
  if (h.length % 2 !== 0 || /[^0-9a-fA-F]/.test(h)) throw new XarchError("RULE_INVALID", `not a hex string: ${h}`);
  const out = new Uint8Array(h.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(h.slice(2 * i, 2 * i + 2), 16);
  return out;
}
function escapeHex(b) {
  let s = "";
  for (const x of b) s += "\\x" + HEX[x];
  return s;
}
function unescapeHex(s) {
  const out = [];
  for (let i = 0; i < s.length; ) {
    if (s[i] === "\\" && s[i + 1] === "x") {
      out.push(parseInt(s.slice(i + 2, i + 4), 16));
      i += 4;
    } else {
      out.push(s.charCodeAt(i));
      i += 1;
    }
  }
  return Uint8Array.from(out);
}
function maskedByteMatches(actual, magic, mask) {
  return ((actual ^ magic) & mask) === 0;
}
function firstMaskedMismatch(data, magic, mask, offset = 0, end = data.length) {
  const stop = Math.min(end, data.length);
  for (let j = 0; j < magic.length; j++) {
    const at = offset + j;
    if (!maskedByteMatches(at < stop ? data[at] : 0, magic[j], mask ? mask[j] : 255)) return j;
  }
  return -1;
}
function bytesEqual(a, b) {
  return a === null || b === null ? a === b : a.length === b.length && a.every((v, i) => v === b[i]);
}

// src/core/arch.ts
function header(elfClass, order, machine) {
  const le = order === "little";
  const ident = [127, 69, 76, 70, elfClass === 64 ? 2 : 1, le ? 1 : 2, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0];
  const identMask = [255, 255, 255, 255, 255, 255, 255, 0, 0, 255, 255, 255, 255, 255, 255, 255];
  const m0 = machine & 255;
  const m1 = machine >> 8 & 255;
  return le ? { magic: [...ident, 2, 0, m0, m1], mask: [...identMask, 254, 255, 255, 255] } : { magic: [...ident, 0, 2, m1, m0], mask: [...identMask, 255, 254, 255, 255] };
}
var PAD_20_TO_35 = "\\x00".repeat(16);
var mipsO32 = (order) => order === "little" ? { magic: PAD_20_TO_35 + "\\x00\\x00\\x00\\x00", mask: PAD_20_TO_35 + "\\x20\\x00\\x00\\x00" } : { magic: PAD_20_TO_35 + "\\x00\\x00\\x00\\x00", mask: PAD_20_TO_35 + "\\x00\\x00\\x00\\x20" };
var mipsN32 = (order) => order === "little" ? { magic: PAD_20_TO_35 + "\\x20\\x00\\x00\\x00", mask: PAD_20_TO_35 + "\\x20\\x00\\x00\\x00" } : { magic: PAD_20_TO_35 + "\\x00\\x00\\x00\\x20", mask: PAD_20_TO_35 + "\\x00\\x00\\x00\\x20" };
var SPECS = [
  {
    name: "x86_64",
    family: "i386",
    elfClass: 64,
    order: "little",
    machine: 62,
    description: "x86-64 (AMD64)",
    names: { docker: ["linux/amd64", "amd64"], debian: ["amd64"], uname: ["x86_64"], gnu: ["x86_64"], go: ["amd64"] }
  },
  {
    name: "i386",
    family: "i386",
    elfClass: 32,
    order: "little",
    machine: 3,
    description: "x86 32-bit",
    names: { docker: ["linux/386", "386"], debian: ["i386"], uname: ["i386", "i486", "i586", "i686"], gnu: ["i386", "i486", "i586", "i686"], go: ["386"] }
  },
  {
    name: "i486",
    family: "i386",
    cpu: "i386",
    elfClass: 32,
    order: "little",
    machine: 6,
    description: "x86 32-bit, obsolete EM_486 binaries",
    names: {}
  },
  {
    name: "aarch64",
    family: "arm",
    elfClass: 64,
    order: "little",
    machine: 183,
    description: "ARM 64-bit (AArch64)",
    names: { docker: ["linux/arm64", "linux/arm64/v8", "arm64", "arm64/v8"], debian: ["arm64"], uname: ["aarch64", "arm64"], gnu: ["aarch64"], go: ["arm64"] }
  },
  {
    name: "aarch64_be",
    family: "armeb",
    elfClass: 64,
    order: "big",
    machine: 183,
    description: "ARM 64-bit big-endian",
    names: { uname: ["aarch64_be"], gnu: ["aarch64_be"] }
  },
  {
    name: "arm",
    family: "arm",
    elfClass: 32,
    order: "little",
    machine: 40,
    description: "ARM 32-bit (armhf, armel)",
    names: { docker: ["linux/arm", "linux/arm/v7", "linux/arm/v6", "linux/arm/v5", "arm", "arm/v7", "arm/v6", "arm/v5"], debian: ["armhf", "armel", "arm"], uname: ["armv7l", "armv6l", "armv5tel", "armv5tejl", "armv8l", "arm"], gnu: ["arm", "armv7", "armv7a", "armv6", "armv5te", "armhf", "armel"], go: ["arm"] }
  },
  {
    name: "armeb",
    family: "armeb",
    elfClass: 32,
    order: "big",
    machine: 40,
    description: "ARM 32-bit big-endian",
    names: { uname: ["armeb", "armv7b", "armv8b"], gnu: ["armeb"] }
  },
  {
    name: "riscv64",
    family: "riscv",
    elfClass: 64,
    order: "little",
    machine: 243,
    description: "RISC-V 64-bit",
    names: { docker: ["linux/riscv64", "riscv64"], debian: ["riscv64"], uname: ["riscv64"], gnu: ["riscv64"], go: ["riscv64"] }
  },
  {
    name: "riscv32",
    family: "riscv",
    elfClass: 32,
    order: "little",
    machine: 243,
    description: "RISC-V 32-bit",
    names: { uname: ["riscv32"], gnu: ["riscv32"] }
  },
  {
    name: "ppc64le",
    family: "ppcle",
    elfClass: 64,
    order: "little",
    machine: 21,
    description: "PowerPC 64-bit little-endian",
    names: { docker: ["linux/ppc64le", "ppc64le"], debian: ["ppc64el"], uname: ["ppc64le"], gnu: ["powerpc64le", "ppc64le"], go: ["ppc64le"] }
  },
  {
    name: "ppc64",
    family: "ppc",
    elfClass: 64,
    order: "big",
    machine: 21,
    description: "PowerPC 64-bit big-endian",
    names: { docker: ["linux/ppc64", "ppc64"], debian: ["ppc64"], uname: ["ppc64"], gnu: ["powerpc64", "ppc64"], go: ["ppc64"] }
  },
  {
    name: "ppc",
    family: "ppc",
    elfClass: 32,
    order: "big",
    machine: 20,
    description: "PowerPC 32-bit",
    names: { docker: ["linux/ppc", "ppc"], debian: ["powerpc"], uname: ["ppc"], gnu: ["powerpc", "ppc"] }
  },
  {
    name: "s390x",
    family: "s390x",
    elfClass: 64,
    order: "big",
    machine: 22,
    description: "IBM Z (s390x)",
    names: { docker: ["linux/s390x", "s390x"], debian: ["s390x"], uname: ["s390x"], gnu: ["s390x"], go: ["s390x"] }
  },
  {
    name: "mips64el",
    family: "mips",
    elfClass: 64,
    order: "little",
    machine: 8,
    description: "MIPS 64-bit little-endian (n64)",
    names: { docker: ["linux/mips64le", "mips64le"], debian: ["mips64el"], uname: ["mips64el"], gnu: ["mips64el", "mipsisa64r6el"], go: ["mips64le"] }
  },
  {
    name: "mips64",
    family: "mips",
    elfClass: 64,
    order: "big",
    machine: 8,
    description: "MIPS 64-bit big-endian (n64)",
    names: { docker: ["linux/mips64", "mips64"], debian: ["mips64"], uname: ["mips64"], gnu: ["mips64", "mipsisa64r6"], go: ["mips64"] }
  },
  {
    name: "mipsel",
    family: "mips",
    elfClass: 32,
    order: "little",
    machine: 8,
    description: "MIPS 32-bit little-endian (o32)",
    names: { docker: ["linux/mipsle", "mipsle"], debian: ["mipsel"], uname: ["mipsel"], gnu: ["mipsel", "mipsisa32r6el"], go: ["mipsle"] },
    extra: mipsO32("little")
  },
  {
    name: "mips",
    family: "mips",
    elfClass: 32,
    order: "big",
    machine: 8,
    description: "MIPS 32-bit big-endian (o32)",
    names: { docker: ["linux/mips", "mips"], debian: ["mips"], uname: ["mips"], gnu: ["mips", "mipsisa32r6"], go: ["mips"] },
    extra: mipsO32("big")
  },
  {
    name: "mipsn32el",
    family: "mips",
    elfClass: 32,
    order: "little",
    machine: 8,
    description: "MIPS n32 little-endian",
    names: { debian: ["mipsn32el"] },
    extra: mipsN32("little")
  },
  {
    name: "mipsn32",
    family: "mips",
    elfClass: 32,
    order: "big",
    machine: 8,
    description: "MIPS n32 big-endian",
    names: { debian: ["mipsn32"] },
    extra: mipsN32("big")
  },
  {
    name: "loongarch64",
    family: "loongarch",
    elfClass: 64,
    order: "little",
    machine: 258,
    description: "LoongArch 64-bit",
    names: { docker: ["linux/loong64", "loong64"], debian: ["loong64"], uname: ["loongarch64"], gnu: ["loongarch64"], go: ["loong64"] }
  },
  {
    name: "alpha",
    family: "alpha",
    elfClass: 64,
    order: "little",
    machine: 36902,
    description: "DEC Alpha",
    names: { debian: ["alpha"], uname: ["alpha"], gnu: ["alpha", "alphaev67"] }
  },
  {
    name: "hppa",
    family: "hppa",
    elfClass: 32,
    order: "big",
    machine: 15,
    description: "PA-RISC",
    names: { debian: ["hppa"], uname: ["parisc", "parisc64", "hppa"], gnu: ["hppa", "hppa1.1", "hppa2.0"] }
  },
  {
    name: "m68k",
    family: "m68k",
    elfClass: 32,
    order: "big",
    machine: 4,
    description: "Motorola 68000",
    names: { debian: ["m68k"], uname: ["m68k"], gnu: ["m68k"] }
  },
  {
    name: "sh4",
    family: "sh4",
    elfClass: 32,
    order: "little",
    machine: 42,
    description: "SuperH SH-4",
    names: { debian: ["sh4"], uname: ["sh4", "sh4a"], gnu: ["sh4", "sh4a"] }
  },
  {
    name: "sh4eb",
    family: "sh4",
    elfClass: 32,
    order: "big",
    machine: 42,
    description: "SuperH SH-4 big-endian",
    names: { uname: ["sh4eb"], gnu: ["sh4eb"] }
  },
  {
    name: "sparc64",
    family: "sparc",
    elfClass: 64,
    order: "big",
    machine: 43,
    description: "SPARC 64-bit",
    names: { debian: ["sparc64"], uname: ["sparc64"], gnu: ["sparc64"] }
  },
  {
    name: "sparc",
    family: "sparc",
    elfClass: 32,
    order: "big",
    machine: 2,
    description: "SPARC 32-bit",
    names: { debian: ["sparc"], uname: ["sparc"], gnu: ["sparc"] }
  },
  {
    name: "sparc32plus",
    family: "sparc",
    elfClass: 32,
    order: "big",
    machine: 18,
    description: "SPARC V8+ (32-bit on V9)",
    names: { gnu: ["sparcv9"] }
  },
  {
    name: "microblaze",
    family: "microblaze",
    elfClass: 32,
    order: "big",
    machine: 189,
    description: "MicroBlaze big-endian",
    names: { uname: ["microblaze"], gnu: ["microblaze"] }
  },
  {
    name: "microblazeel",
    family: "microblazeel",
    elfClass: 32,
    order: "little",
    machine: 189,
    description: "MicroBlaze little-endian",
    names: { uname: ["microblazeel"], gnu: ["microblazeel"] }
  },
  {
    name: "or1k",
    family: "or1k",
    elfClass: 32,
    order: "big",
    machine: 92,
    description: "OpenRISC 1000",
    names: { uname: ["or1k", "openrisc"], gnu: ["or1k"] }
  },
  {
    name: "xtensa",
    family: "xtensa",
    elfClass: 32,
    order: "little",
    machine: 94,
    description: "Xtensa",
    names: { uname: ["xtensa"], gnu: ["xtensa"] }
  },
  {
    name: "xtensaeb",
    family: "xtensaeb",
    elfClass: 32,
    order: "big",
    machine: 94,
    description: "Xtensa big-endian",
    names: { gnu: ["xtensaeb"] }
  },
  {
    name: "hexagon",
    family: "hexagon",
    elfClass: 32,
    order: "little",
    machine: 164,
    description: "Qualcomm Hexagon",
    names: { uname: ["hexagon"], gnu: ["hexagon"] }
  },
  {
    name: "cris",
    family: "cris",
    elfClass: 32,
    order: "little",
    machine: 76,
    description: "Axis CRIS",
    names: { uname: ["cris", "crisv32"], gnu: ["cris", "crisv32"] }
  },
  {
    name: "nios2",
    family: "nios2",
    elfClass: 32,
    order: "little",
    machine: 113,
    description: "Nios II",
    names: { uname: ["nios2"], gnu: ["nios2"] }
  }
];
function build(spec) {
  const h = header(spec.elfClass, spec.order, spec.machine);
  const magic = Uint8Array.from(spec.extra ? [...h.magic, ...unescapeHex(spec.extra.magic)] : h.magic);
  const mask = Uint8Array.from(spec.extra ? [...h.mask, ...unescapeHex(spec.extra.mask)] : h.mask);
  return Object.freeze({
    name: spec.name,
    family: spec.family,
    cpu: spec.cpu ?? spec.name,
    elfClass: spec.elfClass,
    byteOrder: spec.order,
    machine: spec.machine,
    magic,
    mask,
    description: spec.description,
    names: spec.names
  });
}
var TARGETS = Object.freeze(SPECS.map(build));
var BY_NAME = new Map(TARGETS.map((t) => [t.name, t]));
function getTarget(name) {
  return BY_NAME.get(name);
}
function xarchEntryName(t) {
  return `qemu-${t.name}`;
}
function targetForEntryName(name) {
  const m = /^qemu-(.+)$/.exec(name);
  return m ? getTarget(m[1]) : void 0;
}
var DEBIAN_VARIANT = { armhf: "hard-float", armel: "soft-float" };
function lookup(name) {
  const t = BY_NAME.get(name);
  if (t) return { target: t, scheme: "qemu" };
  const order = ["docker", "debian", "uname", "go", "gnu"];
  for (const scheme of order) {
    for (const target of TARGETS) {
      if (target.names[scheme]?.includes(name)) return { target, scheme };
    }
  }
  return void 0;
}
function resolveTarget(input) {
  const raw = input.trim();
  const name = raw.toLowerCase();
  const direct = lookup(name);
  if (direct) {
    const r = { ...direct, input: name };
    const variant = DEBIAN_VARIANT[name] ?? name.match(/\/(v\d)$/)?.[1];
    if (variant) r.variant = variant;
    return r;
  }
  const parts = name.split("-");
  if (parts.length >= 2) {
    const cpu = parts[0];
    const rest = parts.slice(1).join("-");
    let hit = lookup(cpu);
    if (hit && /gnuabin32/.test(rest)) {
      const n32 = BY_NAME.get(hit.target.byteOrder === "little" ? "mipsn32el" : "mipsn32");
      if (n32 && hit.target.family === "mips") hit = { target: n32, scheme: "gnu" };
    }
    if (hit && /linux|gnu|musl|elf|uclibc|android/.test(rest)) {
      const r = { target: hit.target, scheme: "gnu", input: name };
      const abi = rest.match(/(gnueabihf|gnueabi|musleabihf|musleabi|gnuabi64|gnuabin32|musl|gnu)$/)?.[1];
      if (abi) r.variant = abi;
      return r;
    }
  }
  const plat = name.match(/^(?:linux\/)?([a-z0-9_]+)(?:\/(v\d+))?$/);
  if (plat && plat[2]) {
    const hit = lookup(`linux/${plat[1]}`) ?? lookup(plat[1]);
    if (hit) return { target: hit.target, scheme: "docker", input: name, variant: plat[2] };
  }
  const close = closestNames(name, 5);
  throw new XarchError("ARCH_UNKNOWN", `unknown architecture '${raw}'`, {
    hint: close.length ? `did you mean ${close.join(", ")}? ('xarch arches' lists every name)` : "'xarch arches' lists every name"
  });
}
function allNames() {
  const set = /* @__PURE__ */ new Set();
  for (const t of TARGETS) {
    set.add(t.name);
    for (const list2 of Object.values(t.names)) for (const n of list2 ?? []) set.add(n);
  }
  return [...set];
}
function editDistance(a, b) {
  const prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0];
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = prev[j];
      prev[j] = Math.min(prev[j] + 1, prev[j - 1] + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = tmp;
    }
  }
  return prev[b.length];
}
function closestNames(name, count) {
  const scored = allNames().map((n) => {
    let d = editDistance(name, n);
    if (n.includes(name) || name.includes(n)) d = Math.min(d, Math.abs(n.length - name.length) / 2);
    return { n, d };
  });
  scored.sort((a, b) => a.d - b.d || a.n.localeCompare(b.n));
  const limit = Math.max(2, Math.ceil(name.length / 2));
  return scored.filter((s) => s.d <= limit).slice(0, count).map((s) => s.n);
}
function hostFamily(unameMachine) {
  const hit = lookup(unameMachine.toLowerCase());
  return hit?.target.family;
}
function hostTargets(unameMachine) {
  const fam = hostFamily(unameMachine);
  return fam === void 0 ? [] : TARGETS.filter((t) => t.family === fam);
}
function isHostTarget(t, unameMachine) {
  return hostFamily(unameMachine) === t.family;
}
function headerMatches(t, head) {
  return firstMaskedMismatch(head, t.magic, t.mask) < 0;
}
var BY_MACHINE = /* @__PURE__ */ new Map();
for (const t of TARGETS) {
  for (const m of [t.machine, (t.machine & 255) << 8 | t.machine >> 8]) {
    const l = BY_MACHINE.get(m) ?? [];
    if (!l.includes(t)) l.push(t);
    BY_MACHINE.set(m, l);
  }
}
function targetsForHeader(head) {
  const m = (head[18] ?? 0) | (head[19] ?? 0) << 8;
  const candidates = BY_MACHINE.get(m);
  if (!candidates) return [];
  return candidates.filter((t) => headerMatches(t, head));
}

// src/core/rule.ts
var MAX_REGISTER_LENGTH = 1920;
var BINPRM_BUF_SIZE = 256;
var NAME_MAX = 255;
var CH = (c) => c.charCodeAt(0);
var BACKSLASH = CH("\\");
var LOWER_X = CH("x");
var NL = 10;
function canonicalFlags(flags) {
  const has = (c) => flags.includes(c);
  return (has("P") ? "P" : "") + (has("O") || has("C") ? "O" : "") + (has("C") ? "C" : "") + (has("F") ? "F" : "");
}
function isHexDigit(c) {
  return c >= 48 && c <= 57 || c >= 65 && c <= 70 || c >= 97 && c <= 102;
}
function hexVal(c) {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 97 + 10;
  if (c >= 65 && c <= 70) return c - 65 + 10;
  return -1;
}
function unescapeHexInPlace(buf, start) {
  const out = [];
  let i = start;
  const at = (k) => k < buf.length ? buf[k] : 0;
  while (at(i) !== 0) {
    if (at(i) === BACKSLASH && at(i + 1) !== 0) {
      i++;
      if (at(i) === LOWER_X && hexVal(at(i + 1)) >= 0) {
        let num = hexVal(at(i + 1));
        i += 2;
        if (hexVal(at(i)) >= 0) {
          num = num << 4 | hexVal(at(i));
          i++;
        }
        out.push(num);
        continue;
      }
      out.push(BACKSLASH);
    }
    out.push(at(i));
    i++;
  }
  return Uint8Array.from(out);
}
var Einval = class {
  constructor(message) {
    this.message = message;
  }
  message;
};
function parseOffset(s) {
  const m = /^(?:\+?([0-9]+)|-(0+))\n?$/.exec(s);
  if (!m) return null;
  if (m[2] !== void 0) return 0;
  const v = Number(m[1]);
  return v > 2147483647 ? null : v;
}
function createEntry(input) {
  const count = input.length;
  if (count < 11 || count > MAX_REGISTER_LENGTH) {
    throw new Einval(`a registration is 11 to ${MAX_REGISTER_LENGTH} bytes long (this one is ${count})`);
  }
  const del = input[0];
  if (del === CH("P") || del === CH("O") || del === CH("C") || del === CH("F")) {
    throw new Einval(`the delimiter cannot be a flag letter (P, O, C, F), not '${String.fromCharCode(del)}'`);
  }
  const buf = new Uint8Array(count + 8);
  buf.set(input);
  buf.fill(del, count);
  const at = (k) => k < buf.length ? buf[k] : 0;
  const strchr = (from) => {
    for (let k = from; ; k++) {
      const c = at(k);
      if (c === del) return k;
      if (c === 0) return -1;
    }
  };
  const endField = (never) => {
    const end = strchr(p);
    if (end < 0) throw new Einval(never);
    buf[end] = 0;
    return end + 1;
  };
  const scanarg = (from) => {
    let k = from;
    for (; ; ) {
      if (k >= buf.length + 16) return -1;
      const c = at(k++);
      if (c === del) break;
      if (c === BACKSLASH && at(k) === LOWER_X) {
        k++;
        if (!isHexDigit(at(k++))) return -1;
        if (!isHexDigit(at(k++))) return -1;
      }
    }
    buf[k - 1] = 0;
    return k;
  };
  const str = (from) => {
    let e = from;
    while (at(e) !== 0) e++;
    return byteString(buf.subarray(from, e));
  };
  const delName = displayBytes(String.fromCharCode(del));
  let p = 1;
  const nameStart = p;
  p = endField(`the name field never ends: no delimiter '${delName}' after it (or a NUL byte inside it)`);
  const name = str(nameStart);
  if (name === "") throw new Einval("the name is empty");
  if (name === "." || name === "..") throw new Einval(`the name cannot be '${name}'`);
  if (name.includes("/")) throw new Einval("the name cannot contain '/'");
  const typeByte = at(p++);
  if (typeByte !== CH("E") && typeByte !== CH("M")) {
    throw new Einval(`the type must be M (magic) or E (extension), not '${displayBytes(String.fromCharCode(typeByte))}'`);
  }
  const type = typeByte === CH("M") ? "M" : "E";
  if (at(p++) !== del) throw new Einval("the type field must be exactly one letter, M or E");
  let offset = 0;
  let magic = new Uint8Array(0);
  let mask = null;
  let extension = "";
  if (type === "M") {
    const s = strchr(p);
    if (s < 0) throw new Einval("the offset field never ends (missing delimiter or a NUL byte)");
    buf[s] = 0;
    if (p !== s) {
      const v = parseOffset(str(p));
      if (v === null) throw new Einval(`the offset '${displayBytes(str(p))}' is not a non-negative decimal number`);
      offset = v;
    }
    p = s + 1;
    const magicStart = p;
    p = scanarg(p);
    if (p < 0) throw new Einval('the magic has "\\x" not followed by two hex digits');
    if (at(magicStart) === 0) throw new Einval("the magic is empty");
    const maskStart = p;
    p = scanarg(p);
    if (p < 0) throw new Einval('the mask has "\\x" not followed by two hex digits');
    magic = unescapeHexInPlace(buf, magicStart);
    if (at(maskStart) !== 0) {
      mask = unescapeHexInPlace(buf, maskStart);
      if (mask.length !== magic.length) {
        throw new Einval(`the mask is ${mask.length} bytes but the magic is ${magic.length}: they must be the same length`);
      }
    }
    if (magic.length > BINPRM_BUF_SIZE || BINPRM_BUF_SIZE - magic.length < offset) {
      throw new Einval(`offset ${offset} + magic length ${magic.length} exceeds the ${BINPRM_BUF_SIZE}-byte header the kernel reads`);
    }
  } else {
    p = endField("the offset field never ends (missing delimiter or a NUL byte)");
    const extStart = p;
    p = endField("the extension field never ends (missing delimiter or a NUL byte)");
    extension = str(extStart);
    if (extension === "") throw new Einval("the extension is empty");
    if (extension.includes("/")) throw new Einval("the extension cannot contain '/'");
    p = endField("the mask field never ends (missing delimiter or a NUL byte)");
  }
  const interpStart = p;
  p = endField("the interpreter field never ends: the delimiter after the interpreter is required (or a NUL byte is inside it)");
  const interpreter = str(interpStart);
  if (interpreter === "") throw new Einval("the interpreter is empty");
  let flags = "";
  for (; ; ) {
    const c = at(p);
    if (c === CH("P") || c === CH("O") || c === CH("C") || c === CH("F")) {
      flags += String.fromCharCode(c);
      p++;
    } else break;
  }
  if (at(p) === NL) p++;
  if (p !== count) {
    if (p > count) throw new Einval("the registration ends early: seven delimiters are required (the last one after the interpreter)");
    throw new Einval(`unexpected '${displayBytes(byteString(input.subarray(p, Math.min(count, p + 8))))}' in the flags: only P, O, C, F and one trailing newline are allowed`);
  }
  return { name, type, offset, magic, mask, extension, interpreter, flags: canonicalFlags(flags) };
}
function parseRegister(input, opts = {}) {
  const bytes = typeof input === "string" ? stringBytes(input) : input;
  let rule;
  try {
    rule = createEntry(bytes);
  } catch (e) {
    if (e instanceof Einval) return { ok: false, errno: "EINVAL", message: e.message };
    throw e;
  }
  if (rule.flags.includes("F") && opts.openInterpreter) {
    const errno = opts.openInterpreter(rule.interpreter);
    if (errno) {
      return { ok: false, errno, message: `the F flag opens the interpreter now and ${displayBytes(rule.interpreter)} cannot be opened for exec (${errno})` };
    }
  }
  if (rule.name.length > NAME_MAX) {
    return { ok: false, errno: "ENAMETOOLONG", message: `the name is ${rule.name.length} bytes; at most ${NAME_MAX} are allowed` };
  }
  if (rule.name === "register" || rule.name === "status") {
    return { ok: false, errno: "EEXIST", message: `'${rule.name}' is a control file of binfmt_misc and cannot be an entry name` };
  }
  if (opts.existing) {
    for (const n of opts.existing) {
      if (n === rule.name) return { ok: false, errno: "EEXIST", message: `an entry named '${displayBytes(n)}' is already registered` };
    }
  }
  return { ok: true, rule };
}
var DELIMITERS = ":|#!,;=@%+~^&*?<>\"'`$(){}[]_-. ";
function pickDelimiter(rule) {
  const used = rule.name + rule.interpreter + rule.extension + (rule.type === "M" ? String(rule.offset) : "");
  for (const d of DELIMITERS) if (!used.includes(d)) return d;
  for (let c = 1; c < 256; c++) {
    const d = String.fromCharCode(c);
    if (c === NL || /[POCF\\x0-9a-fA-F]/.test(d)) continue;
    if (!used.includes(d)) return d;
  }
  throw new XarchError("RULE_INVALID", `no delimiter is free for rule ${displayBytes(rule.name)}: its fields use every byte`);
}
function renderRegister(rule) {
  const d = pickDelimiter(rule);
  if (rule.type === "E") {
    return ["", rule.name, "E", "", rule.extension, "", rule.interpreter, rule.flags].join(d);
  }
  const mask = rule.mask ? escapeHex(rule.mask) : "";
  return ["", rule.name, "M", String(rule.offset), escapeHex(rule.magic), mask, rule.interpreter, rule.flags].join(d);
}
function registerBytes(rule) {
  return stringBytes(renderRegister(rule));
}
var ENTRY_RE = /^(enabled|disabled)\ninterpreter ([\s\S]*?)\nflags: (P?O?C?F?)\n(?:offset (-?\d+)\nmagic ([0-9a-f]*)(?:\nmask ([0-9a-f]*))?\n|extension \.([\s\S]*)\n)$/;
function parseEntry(name, text) {
  const m = ENTRY_RE.exec(text);
  if (!m) {
    throw new XarchError("RULE_INVALID", `cannot parse binfmt_misc entry ${displayBytes(name)}: unexpected text ${JSON.stringify(text.slice(0, 80))}`, {
      hint: "is this a binfmt_misc directory? (the kernel may be built without verbose status)"
    });
  }
  const [, status, interpreter, flags, offset, magicHex, maskHex, extension] = m;
  const rule = extension !== void 0 ? { name, type: "E", offset: 0, magic: new Uint8Array(0), mask: null, extension, interpreter, flags } : { name, type: "M", offset: Number(offset), magic: fromHex(magicHex), mask: maskHex !== void 0 ? fromHex(maskHex) : null, extension: "", interpreter, flags };
  return { rule, enabled: status === "enabled" };
}
function ruleFromTarget(t, opts) {
  return {
    name: opts.name ?? xarchEntryName(t),
    type: "M",
    offset: 0,
    magic: Uint8Array.from(t.magic),
    mask: Uint8Array.from(t.mask),
    extension: "",
    interpreter: opts.interpreter,
    flags: canonicalFlags(opts.flags)
  };
}
function sameRule(a, b) {
  return a.name === b.name && a.type === b.type && a.offset === b.offset && bytesEqual(a.magic, b.magic) && bytesEqual(a.mask, b.mask) && a.extension === b.extension && a.interpreter === b.interpreter && canonicalFlags(a.flags) === canonicalFlags(b.flags);
}

// src/core/kernel-version.ts
function kernelVersion(release) {
  const m = /^(\d+)\.(\d+)/.exec(release);
  return m ? [Number(m[1]), Number(m[2])] : [0, 0];
}
function kernelAtLeast(release, major, minor) {
  const [a, b] = kernelVersion(release);
  if (a === 0) return true;
  return a > major || a === major && b >= minor;
}

// src/host/mount.ts
import { spawnSync } from "node:child_process";
import { readFileSync, realpathSync } from "node:fs";

// src/host/instance.ts
function unescapeMountinfo(s) {
  return s.replace(/\\([0-7]{3})/g, (_m, o) => String.fromCharCode(parseInt(o, 8)));
}
function mountsAt(mountinfo, mountPoint) {
  const out = [];
  for (const line of mountinfo.split("\n")) {
    const fields = line.split(" ");
    const sep = fields.indexOf("-");
    if (sep < 0 || fields.length < sep + 2) continue;
    if (unescapeMountinfo(fields[4] ?? "") === mountPoint) out.push({ type: fields[sep + 1], source: unescapeMountinfo(fields[sep + 2] ?? "") });
  }
  return out;
}

// src/host/mount.ts
var XARCH_MOUNT_SOURCE = "xarch";
function binfmtMountSource(dir, mountinfo = "/proc/self/mountinfo") {
  let top;
  try {
    top = mountsAt(readFileSync(mountinfo, "utf8"), realpathSync(dir)).at(-1);
  } catch {
    return null;
  }
  return top?.type === "binfmt_misc" ? top.source : null;
}
function unmountIfOurs(dir) {
  if (binfmtMountSource(dir) !== XARCH_MOUNT_SOURCE) return false;
  return spawnSync("umount", [dir], { stdio: "ignore", timeout: 15e3 }).status === 0;
}

// src/host/kernel.ts
var DEFAULT_BINFMT_DIR = "/proc/sys/fs/binfmt_misc";
var CONTROL_FILES = /* @__PURE__ */ new Set(["register", "status"]);
function readGlobalStatus(dir = DEFAULT_BINFMT_DIR) {
  let text;
  try {
    text = readFileSync2(path.join(dir, "status"), "latin1");
  } catch (e) {
    throw binfmtDirError(e, dir);
  }
  return text.trim() === "enabled" ? "enabled" : "disabled";
}
function isMounted(dir = DEFAULT_BINFMT_DIR) {
  try {
    statSync(path.join(dir, "register"));
    return true;
  } catch {
    return false;
  }
}
function binfmtDirError(e, p) {
  const errno = errnoOf(e);
  if (errno === "ENOENT" || errno === "ENOTDIR") {
    return new XarchError("BINFMT_NOT_MOUNTED", `binfmt_misc is not mounted at ${p}`, {
      path: p,
      errno,
      cause: e,
      hint: "mount it: mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc (or pass --binfmt-dir)"
    });
  }
  if (errno === "EACCES" || errno === "EPERM") {
    return new XarchError("PERMISSION_DENIED", `no permission to access ${p}`, {
      path: p,
      errno,
      cause: e,
      hint: "run as root, or use a private instance (xarch verify --sandbox, xarch shell)"
    });
  }
  return new XarchError("BINFMT_UNAVAILABLE", `cannot read ${p}: ${e.message}`, { path: p, errno, cause: e });
}
function listEntryByteNames(dir = DEFAULT_BINFMT_DIR) {
  let d;
  try {
    d = opendirSync(dir, { encoding: "buffer" });
  } catch (e) {
    throw binfmtDirError(e, dir);
  }
  const names = [];
  try {
    for (let ent = d.readSync(); ent !== null; ent = d.readSync()) {
      const name = Buffer.from(ent.name).toString("latin1");
      if (!CONTROL_FILES.has(name)) names.push(name);
    }
  } finally {
    d.closeSync();
  }
  return names;
}
function readLiveEntries(dir = DEFAULT_BINFMT_DIR) {
  const out = [];
  for (const name of listEntryByteNames(dir)) {
    const p = Buffer.concat([Buffer.from(dir + "/"), Buffer.from(name, "latin1")]);
    let text;
    try {
      text = readFileSync2(p, "latin1");
    } catch (e) {
      if (errnoOf(e) === "ENOENT") continue;
      throw binfmtDirError(e, path.join(dir, name));
    }
    const { rule, enabled } = parseEntry(name, text);
    out.push({ name, enabled, rule });
  }
  return out;
}
function entryPath(dir, name) {
  return Buffer.concat([Buffer.from(dir.endsWith("/") ? dir : dir + "/"), Buffer.from(name, "latin1")]);
}
function writeOnce(p, data) {
  let fd;
  try {
    fd = openSync(p, fsConstants.O_WRONLY);
  } catch (e) {
    throw Object.assign(e, { stage: "open" });
  }
  try {
    const n = writeSync(fd, data, 0, data.length);
    if (n !== data.length) {
      throw Object.assign(new Error(`short write (${n} of ${data.length} bytes)`), { code: "EIO" });
    }
  } finally {
    closeSync(fd);
  }
}
function ensureMounted(dir = DEFAULT_BINFMT_DIR, opts = {}) {
  if (isMounted(dir)) return { dir, mounted: false };
  let st;
  try {
    st = statSync(dir);
  } catch (e) {
    throw mountError("ENOENT_DIR", dir, `${dir} does not exist`, e);
  }
  if (!st.isDirectory()) throw mountError("ENOTDIR", dir, `${dir} is not a directory`);
  const fsPath2 = opts.filesystems ?? "/proc/filesystems";
  let known;
  try {
    known = /\bbinfmt_misc\b/.test(readFileSync2(fsPath2, "utf8"));
  } catch {
    known = void 0;
  }
  const r = spawnSync2("mount", ["-t", "binfmt_misc", XARCH_MOUNT_SOURCE, dir], { encoding: "utf8", timeout: 15e3 });
  if (r.error) {
    throw new XarchError("BINFMT_UNAVAILABLE", `cannot run mount(8) to mount binfmt_misc at ${dir}: ${r.error.message}`, {
      path: dir,
      cause: r.error,
      hint: "install util-linux (mount), or mount it yourself: mount -t binfmt_misc binfmt_misc " + dir
    });
  }
  if (r.status === 0 && isMounted(dir)) return { dir, mounted: true };
  if (isMounted(dir)) return { dir, mounted: false };
  const all = (r.stderr || r.stdout || "").trim();
  const first = all.split("\n")[0]?.trim() ?? "";
  throw mountError(mountErrno(all, known), dir, first || `mount exited with ${r.status}`);
}
function mountErrno(message, knownFilesystem) {
  const m = message.toLowerCase();
  if (/unknown filesystem type|no such device|ENODEV/i.test(message) || knownFilesystem === false) return "ENOENT";
  if (/read-only/.test(m)) return "EROFS";
  if (/busy|already mounted/.test(m)) return "EBUSY";
  if (/permission denied|must be superuser|operation not permitted|only root/.test(m)) return "EPERM";
  if (/does not exist|no such file/.test(m)) return "ENOENT_DIR";
  return "EIO";
}
function mountError(errno, dir, detail, cause) {
  const manual = `mount -t binfmt_misc binfmt_misc ${dir}`;
  switch (errno) {
    case "EPERM":
    case "EACCES":
      return new XarchError("PERMISSION_DENIED", `no permission to mount binfmt_misc at ${dir} (${detail})`, {
        path: dir,
        errno,
        cause,
        hint: "run as root; in a container, binfmt_misc can only be set up from the host or a --privileged container; on Linux 6.7+ an unprivileged user namespace can mount its own instance (xarch shell, xarch verify --sandbox)"
      });
    case "EROFS":
      return new XarchError("READ_ONLY", `cannot mount binfmt_misc at ${dir}: read-only file system (${detail})`, {
        path: dir,
        errno,
        cause,
        hint: "the container runtime mounts /proc/sys read-only; set handlers up on the host, or run the container --privileged"
      });
    case "ENOENT":
      return new XarchError("BINFMT_UNAVAILABLE", `this kernel has no binfmt_misc (${detail})`, {
        path: dir,
        errno,
        cause,
        hint: "load the module (modprobe binfmt_misc) or use a kernel built with CONFIG_BINFMT_MISC; without it, run foreign programs explicitly: xarch run --direct"
      });
    case "ENOENT_DIR":
    case "ENOTDIR":
      return new XarchError("BINFMT_NOT_MOUNTED", `cannot mount binfmt_misc: ${detail}`, {
        path: dir,
        errno: "ENOENT",
        cause,
        hint: `is /proc mounted? create the directory or pass --binfmt-dir; then: ${manual}`
      });
    case "EBUSY":
      return new XarchError("BINFMT_UNAVAILABLE", `cannot mount binfmt_misc at ${dir}: busy (${detail})`, {
        path: dir,
        errno,
        cause,
        hint: `something else is mounted there; check with: findmnt ${dir}`
      });
    default:
      return new XarchError("BINFMT_UNAVAILABLE", `cannot mount binfmt_misc at ${dir}: ${detail}`, { path: dir, errno, cause, hint: `try it by hand: ${manual}` });
  }
}
function registerError(e, dir, rule, release = "") {
  const errno = errnoOf(e) ?? "EIO";
  const name = displayBytes(rule.name);
  const interp = displayBytes(rule.interpreter);
  const F = rule.flags.includes("F");
  const reg = path.join(dir, "register");
  if (e?.stage === "open") {
    if (errno === "EROFS") {
      return new XarchError("READ_ONLY", `${dir} is mounted read-only`, {
        path: reg,
        errno,
        cause: e,
        hint: "in a container /proc/sys is usually read-only: register on the host or run --privileged; elsewhere: mount -o remount,rw " + dir
      });
    }
    if (errno === "EACCES" || errno === "EPERM") {
      return new XarchError("PERMISSION_DENIED", `no permission to write ${reg}`, { path: reg, errno, cause: e, hint: "run as root (or in your own user namespace on Linux 6.7+: xarch shell)" });
    }
    return binfmtDirError(e, reg);
  }
  switch (errno) {
    case "EINVAL": {
      const old = release && !kernelAtLeast(release, 4, 8) && F;
      return new XarchError(old ? "KERNEL_TOO_OLD" : "RULE_INVALID", `the kernel refused rule ${name} as invalid (EINVAL)`, {
        path: reg,
        errno,
        cause: e,
        hint: old ? `flag F needs Linux 4.8 (this is ${release}); install without F: --flags ${rule.flags.replace("F", "") || '""'}` : "check it with 'xarch rule check'; flag F needs Linux 4.8, flag P Linux 2.6.24+"
      });
    }
    case "EEXIST":
      return new XarchError("BINFMT_EXISTS", `an entry named ${name} is already registered`, {
        path: reg,
        errno,
        cause: e,
        hint: "see it with 'xarch status'; replace it with 'xarch install --force', or remove it first"
      });
    case "ENOENT":
      if (F) {
        return new XarchError("EMULATOR_NOT_FOUND", `interpreter ${interp} of ${name} does not exist (F opens it at registration)`, {
          path: rule.interpreter,
          errno,
          cause: e,
          hint: "install the emulator (see 'xarch emulators') or name another one"
        });
      }
      return binfmtDirError(e, reg);
    case "EACCES":
      if (F) {
        return new XarchError("EMULATOR_UNSAFE", `interpreter ${interp} of ${name} cannot be opened for execution (EACCES: not an executable regular file, or on a noexec mount)`, {
          path: rule.interpreter,
          errno,
          cause: e,
          hint: "chmod 755 it, or use an emulator on an exec-mounted file system"
        });
      }
      return new XarchError("PERMISSION_DENIED", `no permission to write ${reg}`, { path: reg, errno, cause: e, hint: "run as root (or in your own user namespace on Linux 6.7+)" });
    case "EPERM":
      return new XarchError("PERMISSION_DENIED", `no permission to register in ${dir} (EPERM)`, {
        path: reg,
        errno,
        cause: e,
        hint: "registering needs CAP_SYS_ADMIN in the user namespace that owns the instance: run as root; in a container, on the host"
      });
    case "EROFS":
      return new XarchError("READ_ONLY", `${dir} is mounted read-only`, {
        path: reg,
        errno,
        cause: e,
        hint: "in a container /proc/sys is usually read-only: register on the host or run --privileged; elsewhere: mount -o remount,rw " + dir
      });
    case "ENOMEM":
      return new XarchError("BINFMT_WRITE_FAILED", `the kernel ran out of memory registering ${name} (ENOMEM)`, { path: reg, errno, cause: e, hint: "free memory, or remove unused entries" });
    case "ENAMETOOLONG":
      return new XarchError("RULE_INVALID", `entry name ${name} is too long (at most 255 bytes)`, { path: reg, errno, cause: e, hint: "choose a shorter name" });
    default:
      return new XarchError("BINFMT_WRITE_FAILED", `registering ${name} failed: ${e?.message ?? String(e)}`, { path: reg, errno, cause: e });
  }
}
function readEntry(dir, name) {
  let text;
  try {
    text = readFileSync2(entryPath(dir, name), "latin1");
  } catch (e) {
    if (errnoOf(e) === "ENOENT") return null;
    throw binfmtDirError(e, path.join(dir, name));
  }
  const { rule, enabled } = parseEntry(name, text);
  return { name, enabled, rule };
}
function registerRule(dir, rule, opts = {}) {
  try {
    writeOnce(path.join(dir, "register"), registerBytes(rule));
  } catch (e) {
    throw registerError(e, dir, rule, opts.release);
  }
  const back = readEntry(dir, rule.name);
  if (!back) {
    throw new XarchError("BINFMT_WRITE_FAILED", `registered ${displayBytes(rule.name)}, but it is not there when read back (removed concurrently?)`, { path: dir, errno: "ENOENT" });
  }
  return back;
}
function entryWriteError(e, dir, name, what) {
  const errno = errnoOf(e);
  if (errno === "ENOENT") {
    return new XarchError("PATH_NOT_FOUND", `no binfmt_misc entry named ${displayBytes(name)} in ${dir}`, { path: path.join(dir, name), errno, cause: e, hint: "list entries with 'xarch status'" });
  }
  if (errno === "EROFS") return new XarchError("READ_ONLY", `${dir} is mounted read-only`, { path: dir, errno, cause: e, hint: "register on the host or remount it read-write" });
  if (errno === "EACCES" || errno === "EPERM") return new XarchError("PERMISSION_DENIED", `no permission to ${what} ${displayBytes(name)}`, { path: path.join(dir, name), errno, cause: e, hint: "run as root" });
  return new XarchError("BINFMT_WRITE_FAILED", `cannot ${what} ${displayBytes(name)}: ${e?.message ?? String(e)}`, { path: path.join(dir, name), errno, cause: e });
}
function removeEntry(dir, name) {
  try {
    writeOnce(entryPath(dir, name), Buffer.from("-1"));
  } catch (e) {
    if (errnoOf(e) === "ENOENT") return false;
    throw entryWriteError(e, dir, name, "remove");
  }
  return true;
}
function setEntryEnabled(dir, name, enabled) {
  try {
    writeOnce(entryPath(dir, name), Buffer.from(enabled ? "1" : "0"));
  } catch (e) {
    throw entryWriteError(e, dir, name, enabled ? "enable" : "disable");
  }
  const back = readEntry(dir, name);
  if (!back) throw new XarchError("PATH_NOT_FOUND", `entry ${displayBytes(name)} disappeared while being ${enabled ? "enabled" : "disabled"}`, { path: path.join(dir, name) });
  return back;
}

// src/emulators/store.ts
import { chmodSync, closeSync as closeSync4, copyFileSync, existsSync, mkdirSync as mkdirSync2, openSync as openSync4, readFileSync as readFileSync4, readdirSync as readdirSync3, renameSync as renameSync2, rmSync as rmSync2, statSync as statSync4, writeSync as writeSync3 } from "node:fs";
import { createHash as createHash2 } from "node:crypto";
import os2 from "node:os";
import path4 from "node:path";

// src/host/atomic.ts
import { closeSync as closeSync2, fchmodSync, fsyncSync, mkdirSync, openSync as openSync2, readFileSync as readFileSync3, readdirSync, renameSync, rmSync, writeSync as writeSync2 } from "node:fs";
import path2 from "node:path";

// src/host/process.ts
function processAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return e.code === "EPERM";
  }
}

// src/host/atomic.ts
var TEMP_SUFFIX = /\.xarch-([1-9][0-9]{0,9})\.tmp$/;
function atomicTempPath(file, pid = process.pid) {
  return `${file}.xarch-${pid}.tmp`;
}
function sweepStaleTemps(dir) {
  let names;
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const removed = [];
  for (const n of names) {
    const m = TEMP_SUFFIX.exec(n);
    if (!m || processAlive(Number(m[1]))) continue;
    const p = path2.join(dir, n);
    try {
      rmSync(p, { force: true });
      removed.push(p);
    } catch {
    }
  }
  return removed;
}
function writeFileAtomic(file, data, opts = {}) {
  const dir = path2.dirname(file);
  const tmp = atomicTempPath(file);
  try {
    mkdirSync(dir, { recursive: true, mode: 493 });
    sweepStaleTemps(dir);
    if (opts.ifChanged && sameContent(file, data)) return false;
    rmSync(tmp, { force: true });
    const fd = openSync2(tmp, "wx", opts.mode ?? 420);
    try {
      fchmodSync(fd, opts.mode ?? 420);
      writeSync2(fd, data);
      fsyncSync(fd);
    } finally {
      closeSync2(fd);
    }
    try {
      renameSync(tmp, file);
    } catch (e) {
      rmSync(tmp, { force: true });
      throw e;
    }
    syncDirectory(dir);
    return true;
  } catch (e) {
    throw fromSystemError(e, file, opts.what);
  }
}
function sameContent(file, data) {
  try {
    return Buffer.from(data).equals(readFileSync3(file));
  } catch {
    return false;
  }
}
function syncDirectory(dir) {
  const fd = openSync2(dir, "r");
  try {
    fsyncSync(fd);
  } catch (e) {
    if (errnoOf(e) !== "EINVAL" && errnoOf(e) !== "ENOTSUP") throw e;
  } finally {
    closeSync2(fd);
  }
}

// src/host/file.ts
import { closeSync as closeSync3, constants, fstatSync, lstatSync, openSync as openSync3, readSync, readdirSync as readdirSync2, realpathSync as realpathSync2, statSync as statSync2 } from "node:fs";

// src/core/elf.ts
var OSABI = {
  0: "SYSV",
  1: "HPUX",
  2: "NetBSD",
  3: "GNU",
  6: "Solaris",
  7: "AIX",
  8: "IRIX",
  9: "FreeBSD",
  10: "Tru64",
  11: "Modesto",
  12: "OpenBSD",
  64: "ARM_AEABI",
  97: "ARM",
  255: "Standalone"
};
var MACHINES = {
  2: "SPARC",
  3: "Intel 80386",
  4: "Motorola 68000",
  6: "Intel 80486",
  8: "MIPS",
  10: "MIPS R3000 LE",
  15: "HPPA",
  18: "SPARC32PLUS",
  20: "PowerPC",
  21: "PowerPC64",
  22: "IBM S/390",
  40: "ARM",
  41: "Alpha (old)",
  42: "SuperH",
  43: "SPARC v9",
  50: "IA-64",
  62: "x86-64",
  75: "VAX",
  92: "OpenRISC",
  94: "Xtensa",
  113: "Altera Nios II",
  164: "Qualcomm Hexagon",
  183: "AArch64",
  189: "Xilinx MicroBlaze",
  243: "RISC-V",
  258: "LoongArch",
  36902: "Alpha",
  47787: "Xilinx MicroBlaze (old)"
};
var TYPES = ["NONE", "REL", "EXEC", "DYN", "CORE"];
var PT_DYNAMIC = 2;
var PT_INTERP = 3;
var MAX_DYNAMIC = 8192;
var DT_SONAME = 14;
var DT_FLAGS_1 = 1879048187;
var DF_1_PIE = 134217728;
var LATIN1 = new TextDecoder("latin1");
var MAX_INTERP = 4096;
var MAX_PHDR_BYTES = 65536;
function looksLikeElf(head) {
  return head.length >= 4 && head[0] === 127 && head[1] === 69 && head[2] === 76 && head[3] === 70;
}
function machineName(machine) {
  return MACHINES[machine] ?? `unknown (${machine})`;
}
function decodeAbi(machine, elfClass, byteOrder, flags) {
  const out = [];
  switch (machine) {
    case 40: {
      const eabi = flags >>> 24;
      out.push(eabi ? `EABI${eabi}` : "OABI/GNU");
      if (flags & 1024) out.push("hard-float");
      else if (flags & 512) out.push("soft-float");
      else if (eabi) out.push("float ABI unspecified");
      if (flags & 8388608) out.push("BE8");
      break;
    }
    case 8:
    case 10: {
      if (elfClass === 64) out.push("n64");
      else if (flags & 32) out.push("n32");
      else out.push({ 8192: "o64", 12288: "eabi32", 16384: "eabi64" }[flags & 61440] ?? "o32");
      out.push(byteOrder === "little" ? "little-endian" : "big-endian");
      const arch = flags >>> 28 & 15;
      const ARCH = ["mips1", "mips2", "mips3", "mips4", "mips5", "mips32", "mips64", "mips32r2", "mips64r2", "mips32r6", "mips64r6"];
      if (ARCH[arch]) out.push(ARCH[arch]);
      if (flags & 1024) out.push("nan2008");
      break;
    }
    case 243: {
      const f = flags >>> 1 & 3;
      out.push(["soft-float", "single-float", "double-float", "quad-float"][f]);
      if (flags & 1) out.push("RVC");
      if (flags & 8) out.push("RVE");
      break;
    }
    case 21: {
      const v = flags & 3;
      out.push(v === 2 ? "ELFv2" : v === 1 ? "ELFv1" : byteOrder === "little" ? "ELFv2 (unmarked)" : "ELFv1 (unmarked)");
      break;
    }
    case 258: {
      const f = flags & 7;
      if (f >= 1 && f <= 3) out.push(["soft-float", "single-float", "double-float"][f - 1]);
      out.push(`object ABI v${flags >>> 6 & 3}`);
      break;
    }
    default:
  }
  return out;
}
function fail(code, message, offset) {
  throw new XarchError(code, message, { offset, hint: code === "ELF_NOT_ELF" ? "give an ELF executable or library" : "the file is damaged or not a complete ELF file" });
}
function parseElf(read, opts) {
  const head = read(0, 256);
  if (!looksLikeElf(head)) fail("ELF_NOT_ELF", head.length < 4 ? "not an ELF file (shorter than the 4-byte magic)" : "not an ELF file (no \\x7fELF magic)", 0);
  if (head.length < 16) fail("ELF_TRUNCATED", `truncated ELF identification (${head.length} of 16 bytes)`, head.length);
  const cls = head[4];
  if (cls !== 1 && cls !== 2) fail("ELF_INVALID", `invalid ELF class ${cls} (1 is 32-bit, 2 is 64-bit)`, 4);
  const data = head[5];
  if (data !== 1 && data !== 2) fail("ELF_INVALID", `invalid ELF byte order ${data} (1 is little-endian, 2 is big-endian)`, 5);
  const elfClass = cls === 1 ? 32 : 64;
  const le = data === 1;
  const ehsize = elfClass === 64 ? 64 : 52;
  if (head.length < ehsize) fail("ELF_TRUNCATED", `truncated ELF header (${head.length} of ${ehsize} bytes)`, head.length);
  const dv = new DataView(head.buffer, head.byteOffset, head.byteLength);
  const u16 = (o) => dv.getUint16(o, le);
  const u32 = (o) => dv.getUint32(o, le);
  const word = (o) => elfClass === 64 ? dv.getBigUint64(o, le) : BigInt(dv.getUint32(o, le));
  const eType = u16(16);
  const machine = u16(18);
  const entry = word(24);
  const phoffBig = word(elfClass === 64 ? 32 : 28);
  const flags = u32(elfClass === 64 ? 48 : 36);
  const phentsize = u16(elfClass === 64 ? 54 : 42);
  const phnum = u16(elfClass === 64 ? 56 : 44);
  const phOffField = elfClass === 64 ? 32 : 28;
  let interpreter = null;
  let dynamic = null;
  if (phnum > 0 && (eType === 2 || eType === 3)) {
    const minEnt = elfClass === 64 ? 56 : 32;
    if (phentsize < minEnt) fail("ELF_INVALID", `program header entry size ${phentsize} is smaller than ${minEnt}`, elfClass === 64 ? 54 : 42);
    const total = phentsize * phnum;
    if (total > MAX_PHDR_BYTES) fail("ELF_INVALID", `${phnum} program headers of ${phentsize} bytes exceed ${MAX_PHDR_BYTES} bytes`, elfClass === 64 ? 56 : 44);
    if (phoffBig > BigInt(Number.MAX_SAFE_INTEGER - total)) fail("ELF_INVALID", `program header offset ${phoffBig} is out of range`, phOffField);
    const phoff = Number(phoffBig);
    const ph = read(phoff, total);
    if (ph.length < total) fail("ELF_TRUNCATED", `program headers end past end-of-file (need ${total} bytes at ${phoff}, have ${ph.length})`, phoff + ph.length);
    const pv = new DataView(ph.buffer, ph.byteOffset, ph.byteLength);
    for (let i = 0; i < phnum; i++) {
      const b = i * phentsize;
      const pType = pv.getUint32(b, le);
      if (pType === PT_DYNAMIC && dynamic === null) {
        const off2 = elfClass === 64 ? pv.getBigUint64(b + 8, le) : BigInt(pv.getUint32(b + 4, le));
        const size2 = elfClass === 64 ? pv.getBigUint64(b + 32, le) : BigInt(pv.getUint32(b + 16, le));
        if (off2 <= BigInt(Number.MAX_SAFE_INTEGER)) dynamic = { offset: Number(off2), size: size2 > BigInt(MAX_DYNAMIC) ? MAX_DYNAMIC : Number(size2) };
        continue;
      }
      if (pType !== PT_INTERP || interpreter !== null) continue;
      const off = elfClass === 64 ? pv.getBigUint64(b + 8, le) : BigInt(pv.getUint32(b + 4, le));
      const size = elfClass === 64 ? pv.getBigUint64(b + 32, le) : BigInt(pv.getUint32(b + 16, le));
      const at = phoff + b;
      if (size === 0n) continue;
      if (size < 2n) fail("ELF_INVALID", `PT_INTERP size ${size} is too small for a path`, at);
      if (size > BigInt(MAX_INTERP)) fail("ELF_INVALID", `PT_INTERP size ${size} is larger than ${MAX_INTERP}`, at);
      if (off > BigInt(Number.MAX_SAFE_INTEGER)) fail("ELF_INVALID", `PT_INTERP offset ${off} is out of range`, at);
      const s = read(Number(off), Number(size));
      if (s.length < Number(size)) fail("ELF_TRUNCATED", `PT_INTERP string ends past end-of-file`, Number(off) + s.length);
      if (s[s.length - 1] !== 0) fail("ELF_INVALID", "PT_INTERP is not a NUL-terminated path", Number(off));
      const nul = s.indexOf(0);
      interpreter = LATIN1.decode(s.subarray(0, nul));
    }
  }
  const type = TYPES[eType] ?? "UNKNOWN";
  const linkage = interpreter !== null ? "dynamic" : eType === 3 ? "static-pie" : "static";
  const header2 = head.slice(0, 256);
  const headers = {
    elfClass,
    byteOrder: le ? "little" : "big",
    osabi: head[7],
    osabiName: OSABI[head[7]] ?? `unknown (${head[7]})`,
    abiVersion: head[8],
    type,
    eType,
    machine,
    machineName: machineName(machine),
    flags,
    abi: decodeAbi(machine, elfClass, le ? "little" : "big", flags),
    entry,
    interpreter,
    linkage,
    targets: targetsForHeader(header2).map((t) => t.name),
    header: header2
  };
  if (opts?.pie === false) return headers;
  return { ...headers, pie: eType === 3 && isPie(read, dynamic, elfClass, le, interpreter !== null) };
}
function isPie(read, dynamic, elfClass, le, hasInterp) {
  if (dynamic === null) return hasInterp;
  const d = read(dynamic.offset, dynamic.size);
  const dv = new DataView(d.buffer, d.byteOffset, d.byteLength);
  const ent = elfClass === 64 ? 16 : 8;
  let soname = false;
  for (let o = 0; o + ent <= d.length; o += ent) {
    const tag = elfClass === 64 ? Number(dv.getBigInt64(o, le)) : dv.getInt32(o, le);
    if (tag === 0) break;
    if (tag === DT_SONAME) soname = true;
    else if (tag === DT_FLAGS_1) {
      const v = elfClass === 64 ? Number(dv.getBigUint64(o + 8, le) & 0xffffffffn) : dv.getUint32(o + 4, le);
      if (v & DF_1_PIE) return true;
    }
  }
  return hasInterp && !soname;
}
function bytesReadAt(bytes, rest, at = 0) {
  return (offset, length) => {
    const start = offset - at;
    if (start >= 0 && start + length <= bytes.length) return bytes.subarray(start, start + length);
    if (rest) return rest(offset, length);
    if (start < 0) return bytes.subarray(0, 0);
    return bytes.subarray(Math.min(start, bytes.length), Math.min(start + length, bytes.length));
  };
}

// src/core/path-bytes.ts
var ESCAPE_LOW = 56448;
var ESCAPE_HIGH = 56575;
var utf8 = new TextDecoder("utf-8", { fatal: true });
function hasEscapedBytes(s) {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= ESCAPE_LOW && c <= ESCAPE_HIGH && !(i > 0 && s.charCodeAt(i - 1) >= 55296 && s.charCodeAt(i - 1) <= 56319)) return true;
  }
  return false;
}
function encodePath(s) {
  if (!hasEscapedBytes(s)) return new TextEncoder().encode(s);
  const parts = [];
  const enc = new TextEncoder();
  for (const ch of s) {
    const c = ch.codePointAt(0);
    if (c >= ESCAPE_LOW && c <= ESCAPE_HIGH) parts.push(c - 56320);
    else for (const x of enc.encode(ch)) parts.push(x);
  }
  return Uint8Array.from(parts);
}

// src/host/file.ts
var refuseNonRegular = (file, st) => st.isDirectory() ? new XarchError("PATH_NOT_FILE", `${file} is a directory`, { path: file, errno: "EISDIR", hint: "give a file (xarch scan walks directories)" }) : new XarchError("PATH_NOT_FILE", `${file} is not a regular file`, { path: file, hint: "give a regular file" });
var OPEN_FLAGS = constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY;
function shown(file) {
  return typeof file === "string" ? file : file.toString("latin1");
}
function fsPath(p) {
  return typeof p === "string" && hasEscapedBytes(p) ? Buffer.from(encodePath(p)) : p;
}
function openRegular(given, opts, refuse) {
  const file = fsPath(given);
  let fd;
  try {
    if (!opts.seenRegular) {
      const st2 = opts.noFollow ? lstatSync(file) : statSync2(file);
      if (!st2.isFile()) throw refuse(shown(file), st2);
    }
    fd = openSync3(file, opts.noFollow ? OPEN_FLAGS | constants.O_NOFOLLOW : OPEN_FLAGS);
  } catch (e) {
    throw fromSystemError(e, shown(file), "file");
  }
  if (opts.seenRegular) return fd;
  let st;
  try {
    st = fstatSync(fd);
  } catch (e) {
    closeSync3(fd);
    throw fromSystemError(e, shown(file), "file");
  }
  if (!st.isFile()) {
    closeSync3(fd);
    throw refuse(shown(file), st);
  }
  return fd;
}
function fdReadAt(fd) {
  return (offset, length) => {
    const b = new Uint8Array(length);
    const got = pread(fd, b, offset);
    return got === length ? b : b.subarray(0, got);
  };
}
function pread(fd, b, offset) {
  return readSync(fd, b, 0, b.length, offset);
}
var NOTHING = new Uint8Array(0);
function withOpen(file, fn, opts, refuse) {
  const fd = openRegular(file, opts, refuse);
  try {
    const buffer = opts.buffer;
    if (!buffer) return fn(fdReadAt(fd), NOTHING);
    const head = buffer.subarray(0, pread(fd, buffer, 0));
    return fn(head.length < buffer.length ? bytesReadAt(head) : bytesReadAt(head, fdReadAt(fd)), head);
  } catch (e) {
    if (e instanceof XarchError && e.code.startsWith("ELF_")) {
      const f = shown(file);
      throw new XarchError(e.code, `${f}: ${e.message}${e.offset !== void 0 ? ` (at byte ${e.offset})` : ""}`, { path: f, offset: e.offset, hint: e.hint });
    }
    throw fromSystemError(e, shown(file), "file");
  } finally {
    closeSync3(fd);
  }
}
function withFile(file, fn, opts = {}) {
  return withOpen(file, fn, opts, refuseNonRegular);
}
var SEEN_FLAGS = OPEN_FLAGS | constants.O_NOFOLLOW;
function readHead(file, length) {
  return withFile(file, (read) => read(0, length));
}
function readRange(file, start, length) {
  return withFile(file, (read) => read(start, length));
}
function readElfFile(file) {
  return withFile(file, parseElf);
}
function listNames(dir) {
  try {
    return readdirSync2(dir);
  } catch {
    return [];
  }
}

// src/emulators/discover.ts
import { lstatSync as lstatSync2, realpathSync as realpathSync3, statSync as statSync3 } from "node:fs";
import { execFile, spawnSync as spawnSync3 } from "node:child_process";
import os from "node:os";
import path3 from "node:path";

// src/emulators/emulator.ts
function qemuVersion(version) {
  const m = version ? /^(\d+)\.(\d+)/.exec(version) : null;
  return m ? [Number(m[1]), Number(m[2])] : null;
}
function honoursP(kind, version, kernelRelease) {
  if (kind === "wrapper") return true;
  const v = qemuVersion(version);
  if (!v) return false;
  return v[0] >= 6 && kernelAtLeast(kernelRelease, 5, 12);
}
function bestEmulator(target, emulators) {
  const score = (e) => (e.static ? 4 : 0) + (e.preserveArgv0 ? 2 : 0) + (e.kind !== "wrapper" ? 1 : 0);
  let best;
  for (const e of emulators) {
    if (e.target !== target) continue;
    if (!best || score(e) > score(best)) best = e;
  }
  return best;
}
function emulatorHint() {
  return "install QEMU user-mode emulators: apt-get install qemu-user-static (Debian, Ubuntu); dnf install qemu-user-static (Fedora); apk add qemu-<cpu> (Alpine, e.g. qemu-aarch64); pacman -S qemu-user-static (Arch); or name a directory with --dir";
}
function defaultFlags(e, credentials, kernelRelease) {
  let f = (e.preserveArgv0 ? "P" : "") + "O" + (credentials ? "C" : "");
  if (e.static && kernelAtLeast(kernelRelease, 4, 8)) f += "F";
  return canonicalFlags(f);
}

// src/emulators/discover.ts
var DEFAULT_EMULATOR_DIRS = ["/usr/bin", "/usr/local/bin", "/usr/libexec/qemu-binfmt"];
var BY_CPU = /* @__PURE__ */ new Map();
for (const t of TARGETS) {
  const list2 = BY_CPU.get(t.cpu) ?? [];
  list2.push(t);
  BY_CPU.set(t.cpu, list2);
}
function parseEmulatorName(base) {
  let m = /^(?:qemu-)?(.+)-binfmt-P$/.exec(base);
  if (m && BY_CPU.has(m[1])) return { cpu: m[1], wrapper: true };
  m = /^qemu-(.+?)(?:-static)?$/.exec(base);
  if (m && BY_CPU.has(m[1])) return { cpu: m[1], wrapper: false };
  return null;
}
function elfIsStatic(file) {
  try {
    return readElfFile(file).linkage !== "dynamic";
  } catch {
    return null;
  }
}
var versionCache = /* @__PURE__ */ new Map();
function cacheKey(file) {
  try {
    const real = realpathSync3(file);
    const st = statSync3(real);
    return `${real}:${st.size}:${st.mtimeMs}`;
  } catch {
    return null;
  }
}
function parseVersion(stdout) {
  const m = /version\s+(\S.*)$/m.exec(stdout);
  return m ? m[1].trim() : null;
}
function emulatorVersion(file) {
  const key = cacheKey(file);
  if (key && versionCache.has(key)) return versionCache.get(key);
  const r = spawnSync3(file, ["--version"], { encoding: "utf8", timeout: 1e4, env: { PATH: "/usr/bin:/bin" } });
  const v = r.status === 0 ? parseVersion(r.stdout) : null;
  if (key) versionCache.set(key, v);
  return v;
}
async function withVersions(emulators, kernelRelease = os.release()) {
  const runOne = (file) => new Promise((resolve) => {
    const key = cacheKey(file);
    if (key && versionCache.has(key)) return resolve(versionCache.get(key));
    execFile(file, ["--version"], { encoding: "utf8", timeout: 1e4, env: { PATH: "/usr/bin:/bin" } }, (err, stdout) => {
      const v = err ? null : parseVersion(stdout);
      if (key) versionCache.set(key, v);
      resolve(v);
    });
  });
  const runPath = (e) => e.via ?? e.path;
  const unique = [...new Set(emulators.map(runPath))];
  const results = /* @__PURE__ */ new Map();
  for (let i = 0; i < unique.length; i += 4) {
    const batch = unique.slice(i, i + 4);
    const vs = await Promise.all(batch.map(runOne));
    batch.forEach((p, j) => results.set(p, vs[j]));
  }
  return emulators.map((e) => {
    const version = results.get(runPath(e)) ?? null;
    return { ...e, version, preserveArgv0: honoursP(e.kind, version, kernelRelease) };
  });
}
function candidateNames(cpus) {
  const names = [...cpus].flatMap((c) => [`qemu-${c}-static`, `qemu-${c}`, `qemu-${c}-binfmt-P`, `${c}-binfmt-P`]).sort();
  return names.flatMap((base) => {
    const parsed = parseEmulatorName(base);
    return parsed && cpus.has(parsed.cpu) ? [{ base, ...parsed }] : [];
  });
}
function executableFile(p) {
  try {
    let st = lstatSync2(p, { throwIfNoEntry: false });
    const link = !!st?.isSymbolicLink();
    if (link) st = statSync3(p, { throwIfNoEntry: false });
    return st && st.isFile() && (st.mode & 73) !== 0 ? { link } : null;
  } catch {
    return null;
  }
}
function findEmulators(opts = {}) {
  const release = opts.kernelRelease ?? os.release();
  const out = [];
  const linkage = /* @__PURE__ */ new Map();
  for (const { cpu, wrapper, path: p, real } of emulatorFiles(opts)) {
    const isStatic = linkage.get(real) ?? elfIsStatic(real);
    linkage.set(real, isStatic);
    if (isStatic === null) continue;
    const kind = wrapper ? "wrapper" : isStatic ? "static" : "dynamic";
    const version = opts.versions ? emulatorVersion(real) : null;
    for (const t of BY_CPU.get(cpu)) {
      const e = { target: t.name, cpu, path: p, kind, static: isStatic, version, preserveArgv0: honoursP(kind, version, release) };
      if (wrapper) e.via = real;
      out.push(e);
    }
  }
  return out;
}
function* emulatorFiles(opts, skip) {
  const root = opts.root ?? "";
  const pathDirs = (opts.path ?? process.env.PATH ?? "").split(":").filter((d) => d.startsWith("/"));
  const dirs = [...opts.extraDirs ?? [], ...opts.dirs ?? DEFAULT_EMULATOR_DIRS, ...pathDirs];
  const seenDirs = /* @__PURE__ */ new Set();
  const seenReal = /* @__PURE__ */ new Set();
  let wanted = opts.cpus && candidateNames(opts.cpus);
  if (wanted && skip) wanted = [...wanted.filter((n) => n.base.endsWith("-static")), ...wanted.filter((n) => !n.base.endsWith("-static"))];
  for (const d of dirs) {
    if (wanted && skip && wanted.every((n) => skip(n.cpu))) return;
    const dir = root ? path3.join(root, d) : d;
    let realDir;
    try {
      realDir = realpathSync3.native(dir);
    } catch {
      continue;
    }
    if (seenDirs.has(realDir)) continue;
    seenDirs.add(realDir);
    const names = wanted ?? listNames(dir).sort().flatMap((base) => {
      const parsed = parseEmulatorName(base);
      return parsed && (!opts.cpus || opts.cpus.has(parsed.cpu)) ? [{ base, ...parsed }] : [];
    });
    for (const parsed of names) {
      if (skip?.(parsed.cpu)) continue;
      const p = path3.join(dir, parsed.base);
      const file = executableFile(p);
      if (!file) continue;
      let real;
      try {
        real = !file.link && realDir === dir ? p : realpathSync3.native(p);
      } catch {
        continue;
      }
      const key = (parsed.wrapper ? "W:" : "E:") + (parsed.wrapper ? p : real);
      if (seenReal.has(key)) continue;
      seenReal.add(key);
      yield { cpu: parsed.cpu, wrapper: parsed.wrapper, path: p, real };
    }
  }
}

// src/emulators/manifest.ts
import { createHash } from "node:crypto";
function setId(files) {
  const lines = files.map((f) => `${f.name} ${f.sha256}
`).sort().join("");
  return createHash("sha256").update(lines).digest("hex").slice(0, 16);
}
function setVersion(files) {
  const counts = /* @__PURE__ */ new Map();
  for (const f of files) if (f.version) counts.set(f.version, (counts.get(f.version) ?? 0) + 1);
  let best = null;
  for (const [v, n] of counts) if (best === null || n > counts.get(best)) best = v;
  return best;
}
function renderManifest(m) {
  return JSON.stringify(m, null, 2) + "\n";
}
var HEX64 = /^[0-9a-f]{64}$/;
function parseManifest(text, where) {
  const bad = (why) => new XarchError("STORE_INVALID", `manifest ${where} is invalid: ${why}`, { path: where, hint: "remove that set directory and add it again" });
  let m;
  try {
    m = JSON.parse(text);
  } catch (e) {
    throw bad(e.message);
  }
  if (!m || typeof m !== "object" || typeof m.id !== "string" || !Array.isArray(m.files) || !Array.isArray(m.probes)) throw bad("missing id, files or probes");
  for (const f of m.files) {
    if (typeof f.name !== "string" || !/^qemu-[A-Za-z0-9_]+$/.test(f.name)) throw bad(`file name ${JSON.stringify(f.name)}`);
    if (typeof f.sha256 !== "string" || !HEX64.test(f.sha256)) throw bad(`sha256 of ${f.name}`);
  }
  if (setId(m.files) !== m.id) throw bad(`its files do not hash to its id ${m.id}`);
  return m;
}
function emptyState() {
  return { instances: {} };
}
function parseState(text, where) {
  try {
    const s = JSON.parse(text);
    if (s && typeof s === "object" && s.instances && typeof s.instances === "object") return s;
  } catch {
  }
  throw new XarchError("STORE_INVALID", `store state ${where} is not valid JSON state`, { path: where, hint: "move it aside; the sets stay usable, only the history is lost" });
}

// src/emulators/store.ts
function hostUid() {
  const uid = process.getuid?.() ?? -1;
  try {
    for (const line of readFileSync4("/proc/self/uid_map", "utf8").trim().split("\n")) {
      const [inside2, outside, count] = line.trim().split(/\s+/).map(Number);
      if (uid >= inside2 && uid < inside2 + count) return outside + (uid - inside2);
    }
  } catch {
  }
  return uid;
}
function defaultStoreDir(env = process.env, uid = hostUid()) {
  if (uid === 0) return "/var/lib/xarch/emulators";
  const base = env.XDG_DATA_HOME || path4.join(env.HOME || os2.homedir(), ".local", "share");
  return path4.join(base, "xarch", "emulators");
}
var Store = class {
  dir;
  constructor(dir) {
    this.dir = path4.resolve(dir);
  }
  get setsDir() {
    return path4.join(this.dir, "sets");
  }
  setDir(id) {
    return path4.join(this.setsDir, id);
  }
  /**
   * Create the store's directories (0755). A root-owned store must not be
   * writable by anyone else: install's interpreter checks would refuse
   * every emulator in it, and rightly.
   */
  ensure() {
    try {
      mkdirSync2(this.setsDir, { recursive: true, mode: 493 });
    } catch (e) {
      throw fromSystemError(e, this.setsDir, "store directory");
    }
    this.sweep();
    for (const d of [this.dir, this.setsDir]) {
      const st = statSync4(d);
      if (st.uid === 0 && (st.mode & 18) !== 0) {
        throw new XarchError("STORE_INVALID", `store directory ${d} is writable by group or others`, { path: d, hint: `chmod go-w ${d}` });
      }
    }
  }
  /** Temporary set directories (`.add-<pid>-…`, `.rm-…-<pid>`) whose process is gone: what a crash mid-add leaves. */
  sweep() {
    let names = [];
    try {
      names = readdirSync3(this.setsDir);
    } catch {
      return;
    }
    for (const n of names) {
      const m = /^\.(?:add-(\d+)-\d+|rm-[0-9a-f]+-(\d+))$/.exec(n);
      const pid = m ? Number(m[1] ?? m[2]) : 0;
      if (pid && !processAlive(pid)) rmSync2(path4.join(this.setsDir, n), { recursive: true, force: true });
    }
  }
  /** Every set's manifest, oldest first. A set directory without a valid manifest is reported, not skipped. */
  list() {
    let names;
    try {
      names = readdirSync3(this.setsDir);
    } catch (e) {
      if (errnoOf(e) === "ENOENT") return [];
      throw fromSystemError(e, this.setsDir, "store directory");
    }
    return names.filter((n) => !n.startsWith(".")).map((n) => this.read(n)).sort((a, b) => a.addedAt.localeCompare(b.addedAt));
  }
  read(id) {
    const file = path4.join(this.setDir(id), "manifest.json");
    let text;
    try {
      text = readFileSync4(file, "utf8");
    } catch (e) {
      if (errnoOf(e) === "ENOENT") throw new XarchError("SET_NOT_FOUND", `no emulator set ${id} in ${this.dir}`, { path: file, hint: "xarch emulators list" });
      throw fromSystemError(e, file, "manifest");
    }
    const m = parseManifest(text, file);
    if (m.id !== id) throw new XarchError("STORE_INVALID", `set directory ${id} holds the manifest of ${m.id}`, { path: file, hint: "remove that directory and add the set again" });
    return m;
  }
  /** The set's emulators as install's planner takes them. */
  emulators(m, kernelRelease = os2.release()) {
    return emulatorsIn(this.setDir(m.id), m.files, kernelRelease);
  }
  /**
   * Copy the static candidates into a new set: temporary sibling directory,
   * files 0755, sha256 and --version of each copy, `probe` on the whole
   * directory (the canary of src/emulators/canary.ts), the manifest, then one
   * rename. Returns the existing set when the same files are already there.
   * `progress` is told each file copied and each step after.
   */
  async add(candidates, meta, probe, progress) {
    this.ensure();
    const refused = [];
    const tmp = path4.join(this.setsDir, `.add-${process.pid}-${Date.now()}`);
    mkdirSync2(tmp, { mode: 493 });
    try {
      const files = [];
      for (const [i, c] of candidates.entries()) {
        progress?.({ phase: "copying emulators", done: i, total: candidates.length, unit: "files" });
        const linkage = linkageOf(c.file);
        if (linkage !== "static") {
          refused.push({ cpu: c.cpu, file: c.file, reason: linkage === "dynamic" ? "dynamically linked (has PT_INTERP): it cannot start inside a foreign root or a container" : "not an ELF executable" });
          continue;
        }
        const name = `qemu-${c.cpu}`;
        const dest = path4.join(tmp, name);
        copyFileSync(c.file, dest);
        chmodSync(dest, 493);
        const st = statSync4(dest);
        files.push({ name, cpu: c.cpu, targets: TARGETS.filter((t) => t.cpu === c.cpu).map((t) => t.name), sha256: sha256File(dest), size: st.size, static: true, version: null, preserveArgv0: false });
      }
      if (files.length === 0) {
        const why = refused.length ? refused.map((r) => `${path4.basename(r.file)}: ${r.reason}`).slice(0, 3).join("; ") : "no qemu-<cpu> emulator in it";
        throw new XarchError("EMULATOR_DYNAMIC", `${meta.source} gives no static emulator (${why})`, { hint: "only static emulators enter the store: on Debian use qemu-user-static (QEMU < 9.1) or qemu-user (9.1+)" });
      }
      progress?.({ phase: "asking each emulator its version", done: 0, total: files.length, unit: "files" });
      const versioned = await withVersions(emulatorsIn(tmp, files, os2.release()));
      for (const f of files) {
        const e = versioned.find((v) => v.path === path4.join(tmp, f.name));
        f.version = e?.version ?? null;
        f.preserveArgv0 = e?.preserveArgv0 ?? false;
      }
      files.sort((a, b) => a.name.localeCompare(b.name));
      const id = setId(files);
      if (existsSync(this.setDir(id))) return { manifest: this.read(id), existed: true, refused };
      const manifest = { id, version: setVersion(files), source: meta.source, packages: meta.packages, addedAt: (/* @__PURE__ */ new Date()).toISOString(), files, probes: [] };
      if (meta.sourceSha256) manifest.sourceSha256 = meta.sourceSha256;
      progress?.({ phase: "probing each target in a private binfmt_misc instance", done: 0, unit: "files" });
      manifest.probes = probe(tmp, files);
      writeFileAtomic(path4.join(tmp, "manifest.json"), Buffer.from(renderManifest(manifest)), { what: "manifest" });
      try {
        renameSync2(tmp, this.setDir(id));
      } catch (e) {
        if (errnoOf(e) === "ENOTEMPTY" || errnoOf(e) === "EEXIST") return { manifest: this.read(id), existed: true, refused };
        throw fromSystemError(e, this.setDir(id), "set directory");
      }
      return { manifest, existed: false, refused };
    } finally {
      rmSync2(tmp, { recursive: true, force: true });
    }
  }
  /** Record new probe results in a set's manifest (atomic rewrite). */
  recordProbes(id, probes) {
    const m = this.read(id);
    const byTarget = new Map(m.probes.map((p) => [p.target, p]));
    for (const p of probes) byTarget.set(p.target, p);
    m.probes = [...byTarget.values()].sort((a, b) => a.target.localeCompare(b.target));
    writeFileAtomic(path4.join(this.setDir(id), "manifest.json"), Buffer.from(renderManifest(m)), { what: "manifest" });
  }
  remove(id) {
    const dir = this.setDir(id);
    const tmp = path4.join(this.setsDir, `.rm-${id}-${process.pid}`);
    renameSync2(dir, tmp);
    rmSync2(tmp, { recursive: true, force: true });
  }
  get stateFile() {
    return path4.join(this.dir, "state.json");
  }
  readState() {
    try {
      return parseState(readFileSync4(this.stateFile, "utf8"), this.stateFile);
    } catch (e) {
      if (errnoOf(e) === "ENOENT") return emptyState();
      throw e;
    }
  }
  writeState(s) {
    writeFileAtomic(this.stateFile, Buffer.from(JSON.stringify(s, null, 2) + "\n"), { what: "store state" });
  }
  /**
   * Run `fn` holding the store's lock (an exclusively created file naming
   * its holder; a dead holder's lock is taken over), so two `use` runs
   * read and write the state one after the other.
   */
  async withLock(fn) {
    this.ensure();
    const lock = path4.join(this.dir, "lock");
    const deadline = Date.now() + 12e4;
    for (; ; ) {
      try {
        const fd = openSync4(lock, "wx", 420);
        writeSync3(fd, String(process.pid));
        closeSync4(fd);
        break;
      } catch (e) {
        if (errnoOf(e) !== "EEXIST") throw fromSystemError(e, lock, "store lock");
        const holder = Number(readOr(lock));
        if (holder > 0 && !processAlive(holder)) {
          rmSync2(lock, { force: true });
          continue;
        }
        if (Date.now() > deadline) throw new XarchError("STORE_INVALID", `the store ${this.dir} stayed locked by process ${holder} for 2 minutes`, { path: lock, hint: `if that process is gone, remove ${lock}` });
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    try {
      return await fn();
    } finally {
      rmSync2(lock, { force: true });
    }
  }
};
function readOr(file) {
  try {
    return readFileSync4(file, "utf8").trim();
  } catch {
    return "";
  }
}
function linkageOf(file) {
  try {
    return readElfFile(file).linkage === "dynamic" ? "dynamic" : "static";
  } catch {
    return null;
  }
}
function sha256File(file) {
  return createHash2("sha256").update(readFileSync4(file)).digest("hex");
}
function emulatorsIn(dir, files, kernelRelease = os2.release()) {
  const out = [];
  for (const f of files) {
    for (const t of f.targets) {
      if (!getTarget(t)) continue;
      out.push({ target: t, cpu: f.cpu, path: path4.join(dir, f.name), kind: "static", static: true, version: f.version, preserveArgv0: f.version ? honoursP("static", f.version, kernelRelease) : false });
    }
  }
  return out;
}

// src/action/protocol.ts
import { appendFileSync } from "node:fs";
import { randomUUID } from "node:crypto";
function inputVariable(name) {
  return `INPUT_${name.replace(/ /g, "_").toUpperCase()}`;
}
function getInput(env, name) {
  return (env[inputVariable(name)] ?? "").trim();
}
function getBooleanInput(env, name, fallback) {
  const v = getInput(env, name);
  if (v === "") return fallback;
  if (["true", "True", "TRUE"].includes(v)) return true;
  if (["false", "False", "FALSE"].includes(v)) return false;
  throw new XarchError("USAGE", `input '${name}' is '${v}', not a boolean`, { hint: `set ${name}: true or ${name}: false` });
}
function escapeData(s) {
  return s.replace(/%/g, "%25").replace(/\r/g, "%0D").replace(/\n/g, "%0A");
}
function escapeProperty(s) {
  return escapeData(s).replace(/:/g, "%3A").replace(/,/g, "%2C");
}
function workflowCommand(name, message, properties = {}) {
  const props = Object.entries(properties).map(([k, v]) => `${k}=${escapeProperty(v)}`).join(",");
  return `::${name}${props ? ` ${props}` : ""}::${escapeData(message)}`;
}
function outputBlock(name, value, delimiter = `ghadelimiter_${randomUUID()}`) {
  if (value.includes(delimiter)) throw new XarchError("INTERNAL", `output ${name} contains its delimiter`);
  return `${name}<<${delimiter}
${value}
${delimiter}
`;
}
function setOutput(env, name, value) {
  const file = env.GITHUB_OUTPUT;
  if (!file) return false;
  appendFileSync(file, outputBlock(name, value));
  return true;
}

// src/action/inputs.ts
function platformName(input) {
  const r = resolveTarget(input);
  const platform = input.includes("/") ? input.trim().toLowerCase() : r.target.names.docker?.[0] ?? r.target.name;
  return { platform, target: r.target.name };
}
function parseInputs(env) {
  const raw = getInput(env, "platforms") || "all";
  const names = raw.split(/[\s,]+/).filter(Boolean);
  let platforms = "all";
  if (!(names.length === 1 && names[0] === "all")) {
    if (names.includes("all")) throw new XarchError("USAGE", `input 'platforms' mixes 'all' with names: ${raw}`, { hint: "give 'all' alone or a list such as linux/arm64,linux/riscv64" });
    platforms = [];
    for (const n of names) {
      const p = platformName(n);
      if (!platforms.some((q) => q.target === p.target)) platforms.push(p);
    }
  }
  const source = getInput(env, "emulators") || "apt";
  const req = {
    platforms,
    emulators: source === "apt" ? { kind: "apt" } : { kind: "path", path: source },
    verify: getBooleanInput(env, "verify", true),
    persist: getBooleanInput(env, "persist", false)
  };
  const store = getInput(env, "store");
  if (store) req.store = store;
  return req;
}

// src/action/setup.ts
import { existsSync as existsSync6, mkdtempSync as mkdtempSync4, rmSync as rmSync9 } from "node:fs";
import { spawnSync as spawnSync6 } from "node:child_process";
import os7 from "node:os";
import path15 from "node:path";

// src/core/probe.ts
var PROBE_EXIT = 42;
function probeMessage(target) {
  return `xarch-probe ${target}
`;
}
var hi16 = (v) => v >>> 16 & 65535;
var lo16 = (v) => v & 65535;
function aarch64(l) {
  const adrAt = l.code + 4;
  const d = l.msg - adrAt;
  const adr = 268435456 | (d & 3) << 29 | (d >> 2 & 524287) << 5 | 1;
  return [
    3531604e3,
    // mov x0, #1
    adr,
    3531603970 | l.len << 5,
    // mov x2, #len
    3531606024,
    // mov x8, #64 (write)
    3556769793,
    // svc #0
    3531603968 | PROBE_EXIT << 5,
    // mov x0, #42
    3531606952,
    // mov x8, #93 (exit)
    3556769793
    // svc #0
  ];
}
function arm(l) {
  const addAt = l.code + 4;
  const d = l.msg - (addAt + 8);
  return [
    3818913793,
    // mov r0, #1
    3801026560 | d,
    // add r1, pc, #d
    3818921984 | l.len,
    // mov r2, #len
    3818942468,
    // mov r7, #4 (write)
    4009754624,
    // svc 0
    3818913792 | PROBE_EXIT,
    // mov r0, #42
    3818942465,
    // mov r7, #1 (exit)
    4009754624
    // svc 0
  ];
}
function riscv(l) {
  const addi = (rd, rs, imm) => (imm & 4095) << 20 | rs << 15 | rd << 7 | 19;
  const auipcAt = l.code + 4;
  return [
    addi(10, 0, 1),
    // li a0, 1
    11 << 7 | 23,
    // auipc a1, 0
    addi(11, 11, l.msg - auipcAt),
    // addi a1, a1, msg-.
    addi(12, 0, l.len),
    // li a2, len
    addi(17, 0, 64),
    // li a7, 64 (write)
    115,
    // ecall
    addi(10, 0, PROBE_EXIT),
    // li a0, 42
    addi(17, 0, 93),
    // li a7, 93 (exit)
    115
    // ecall
  ];
}
function ppc(l) {
  const li = (r, v) => 939524096 | r << 21 | v & 65535;
  return [
    li(0, 4),
    // li r0, 4 (write)
    li(3, 1),
    // li r3, 1
    1006632960 | 4 << 21 | hi16(l.msg),
    // lis r4, msg@h
    1610612736 | 4 << 21 | 4 << 16 | lo16(l.msg),
    // ori r4, r4, msg@l
    li(5, l.len),
    // li r5, len
    1140850690,
    // sc
    li(0, 1),
    // li r0, 1 (exit)
    li(3, PROBE_EXIT),
    // li r3, 42
    1140850690
    // sc
  ];
}
function mips(write, exit) {
  return (l) => {
    const ori = (rt, rs, v) => 872415232 | rs << 21 | rt << 16 | v & 65535;
    return [
      ori(4, 0, 1),
      // li a0, 1
      1006632960 | 5 << 16 | hi16(l.msg),
      // lui a1, msg@h
      ori(5, 5, lo16(l.msg)),
      // ori a1, a1, msg@l
      ori(6, 0, l.len),
      // li a2, len
      ori(2, 0, write),
      // li v0, write
      12,
      // syscall
      ori(4, 0, PROBE_EXIT),
      // li a0, 42
      ori(2, 0, exit),
      // li v0, exit
      12
      // syscall
    ];
  };
}
function s390x(l) {
  const larlAt = l.code + 4;
  const d = (l.msg - larlAt) / 2;
  return Uint8Array.from([
    167,
    41,
    0,
    1,
    // lghi %r2, 1
    192,
    48,
    d >>> 24 & 255,
    d >>> 16 & 255,
    d >>> 8 & 255,
    d & 255,
    // larl %r3, msg
    167,
    73,
    0,
    l.len,
    // lghi %r4, len
    10,
    4,
    // svc 4 (write)
    167,
    41,
    0,
    PROBE_EXIT,
    // lghi %r2, 42
    10,
    1
    // svc 1 (exit)
  ]);
}
var le32 = (v) => [v & 255, v >>> 8 & 255, v >>> 16 & 255, v >>> 24 & 255];
function x86Probe(l, abi) {
  const [arg1, arg2, arg3] = abi.args;
  const movEax = 184;
  return Uint8Array.from([
    movEax,
    ...le32(abi.write),
    arg1,
    ...le32(1),
    arg2,
    ...le32(l.msg),
    arg3,
    ...le32(l.len),
    ...abi.trap,
    movEax,
    ...le32(abi.exit),
    arg1,
    ...le32(PROBE_EXIT),
    ...abi.trap
  ]);
}
var i386 = (l) => x86Probe(l, { write: 4, exit: 1, args: [187, 185, 186], trap: [205, 128] });
var x86_64 = (l) => x86Probe(l, { write: 1, exit: 60, args: [191, 190, 186], trap: [15, 5] });
var SPECS2 = {
  aarch64: { elfClass: 64, order: "little", machine: 183, flags: 0, base: 4194304, code: aarch64 },
  aarch64_be: { elfClass: 64, order: "big", machine: 183, flags: 0, base: 4194304, code: aarch64, codeOrder: "little" },
  arm: { elfClass: 32, order: "little", machine: 40, flags: 83887104, base: 65536, code: arm },
  armeb: { elfClass: 32, order: "big", machine: 40, flags: 83887104, base: 65536, code: arm },
  riscv64: { elfClass: 64, order: "little", machine: 243, flags: 4, base: 65536, code: riscv },
  riscv32: { elfClass: 32, order: "little", machine: 243, flags: 4, base: 65536, code: riscv },
  ppc64le: { elfClass: 64, order: "little", machine: 21, flags: 2, base: 268435456, code: ppc },
  ppc64: { elfClass: 64, order: "big", machine: 21, flags: 1, base: 268435456, code: ppc, descriptor: true },
  ppc: { elfClass: 32, order: "big", machine: 20, flags: 0, base: 268435456, code: ppc },
  s390x: { elfClass: 64, order: "big", machine: 22, flags: 0, base: 16777216, code: s390x },
  mips64el: { elfClass: 64, order: "little", machine: 8, flags: 2147483654, base: 268435456, code: mips(5001, 5058) },
  mips64: { elfClass: 64, order: "big", machine: 8, flags: 2147483654, base: 268435456, code: mips(5001, 5058) },
  mipsel: { elfClass: 32, order: "little", machine: 8, flags: 1879052294, base: 4194304, code: mips(4004, 4001) },
  mips: { elfClass: 32, order: "big", machine: 8, flags: 1879052294, base: 4194304, code: mips(4004, 4001) },
  mipsn32el: { elfClass: 32, order: "little", machine: 8, flags: 2147483686, base: 268435456, code: mips(6001, 6058) },
  mipsn32: { elfClass: 32, order: "big", machine: 8, flags: 2147483686, base: 268435456, code: mips(6001, 6058) },
  i386: { elfClass: 32, order: "little", machine: 3, flags: 0, base: 134512640, code: i386 },
  x86_64: { elfClass: 64, order: "little", machine: 62, flags: 0, base: 4194304, code: x86_64 }
};
var PROBE_TARGETS = Object.freeze(Object.keys(SPECS2));
function hasProbe(target) {
  return Object.hasOwn(SPECS2, target);
}
function buildProbe(target) {
  const spec = SPECS2[target];
  if (!spec) {
    throw new XarchError("ARCH_UNKNOWN", `no self-test probe for ${target}`, { hint: `probes exist for: ${PROBE_TARGETS.join(", ")}` });
  }
  const buf = buildElf(spec, new TextEncoder().encode(probeMessage(target)));
  const t = getTarget(target);
  if (t && !headerMatches(t, buf)) {
    throw new XarchError("INTERNAL", `the ${target} probe does not match its own catalogue magic`, { hint: "this is a bug in xarch" });
  }
  return buf;
}
var EXEC_HELPER_MARKER = "xarch-exec-helper: execve failed\n";
function x86_64Exec(l) {
  return Uint8Array.from([
    72,
    139,
    124,
    36,
    16,
    // mov rdi, [rsp+16]      argv[1]
    72,
    141,
    116,
    36,
    16,
    // lea rsi, [rsp+16]      &argv[1]
    72,
    139,
    20,
    36,
    // mov rdx, [rsp]               argc
    72,
    141,
    20,
    214,
    // lea rdx, [rsi+rdx*8]         envp
    184,
    ...le32(59),
    // mov eax, 59 (execve)
    15,
    5,
    // syscall
    247,
    216,
    // neg eax                                  errno
    137,
    195,
    // mov ebx, eax
    184,
    ...le32(1),
    // mov eax, 1 (write)
    191,
    ...le32(2),
    // mov edi, 2
    190,
    ...le32(l.msg),
    // mov esi, marker
    186,
    ...le32(l.len),
    // mov edx, len
    15,
    5,
    // syscall
    137,
    223,
    // mov edi, ebx
    184,
    ...le32(60),
    // mov eax, 60 (exit)
    15,
    5
    // syscall
  ]);
}
function aarch64Exec(l) {
  const adrAt = l.code + 13 * 4;
  const d = l.msg - adrAt;
  return [
    4181724128,
    // ldr x0, [sp, #16]    argv[1]
    2432713697,
    // add x1, sp, #16       &argv[1]
    4181722082,
    // ldr x2, [sp]          argc
    2332167202,
    // add x2, x1, x2, lsl #3  envp
    3531611048,
    // mov x8, #221 (execve)
    3556769793,
    // svc #0
    3405775859,
    // neg x19, x0           errno
    3531604032,
    // mov x0, #2
    3531603970 | l.len << 5,
    // mov x2, #len
    3531606024,
    // mov x8, #64 (write)
    3573751839,
    // nop
    3573751839,
    // nop
    3573751839,
    // nop
    268435456 | (d & 3) << 29 | (d >> 2 & 524287) << 5 | 1,
    // adr x1, marker
    3556769793,
    // svc #0
    2853372896,
    // mov x0, x19
    3531606952,
    // mov x8, #93 (exit)
    3556769793
    // svc #0
  ];
}
var EXEC_HELPERS = {
  x86_64: { elfClass: 64, order: "little", machine: 62, flags: 0, base: 4194304, code: x86_64Exec },
  aarch64: { elfClass: 64, order: "little", machine: 183, flags: 0, base: 4194304, code: aarch64Exec }
};
function buildExecHelper(hostTarget) {
  const spec = EXEC_HELPERS[hostTarget];
  return spec ? buildElf(spec, new TextEncoder().encode(EXEC_HELPER_MARKER)) : null;
}
function buildElf(spec, message) {
  const is64 = spec.elfClass === 64;
  const ehsize = is64 ? 64 : 52;
  const phsize = is64 ? 56 : 32;
  const descSize = spec.descriptor ? 24 : 0;
  const descOff = ehsize + phsize;
  const codeOff = descOff + descSize;
  const dummy = spec.code({ base: 0, code: 0, msg: 0, len: message.length });
  const codeSize = dummy instanceof Uint8Array ? dummy.length : dummy.length * 4;
  const msgOff = codeOff + codeSize + 7 & ~7;
  const base = spec.base;
  const layout = { base, code: base + codeOff, msg: base + msgOff, len: message.length };
  const words = spec.code(layout);
  const size = msgOff + message.length;
  const buf = new Uint8Array(size);
  const dv = new DataView(buf.buffer);
  const le = spec.order === "little";
  const u16 = (o, v) => dv.setUint16(o, v, le);
  const u32 = (o, v) => dv.setUint32(o, v >>> 0, le);
  const u64 = (o, v) => dv.setBigUint64(o, BigInt(v), le);
  const addr = is64 ? u64 : u32;
  buf.set([127, 69, 76, 70, is64 ? 2 : 1, le ? 1 : 2, 1, 0]);
  u16(16, 2);
  u16(18, spec.machine);
  u32(20, 1);
  const entry = spec.descriptor ? base + descOff : layout.code;
  addr(24, entry);
  if (is64) {
    u64(32, ehsize);
    u64(40, 0);
    u32(48, spec.flags);
    u16(52, ehsize);
    u16(54, phsize);
    u16(56, 1);
  } else {
    u32(28, ehsize);
    u32(32, 0);
    u32(36, spec.flags);
    u16(40, ehsize);
    u16(42, phsize);
    u16(44, 1);
  }
  const ph = ehsize;
  if (is64) {
    u32(ph, 1);
    u32(ph + 4, 5);
    u64(ph + 8, 0);
    u64(ph + 16, base);
    u64(ph + 24, base);
    u64(ph + 32, size);
    u64(ph + 40, size);
    u64(ph + 48, 65536);
  } else {
    u32(ph, 1);
    u32(ph + 4, 0);
    u32(ph + 8, base);
    u32(ph + 12, base);
    u32(ph + 16, size);
    u32(ph + 20, size);
    u32(ph + 24, 5);
    u32(ph + 28, 65536);
  }
  if (spec.descriptor) {
    u64(descOff, layout.code);
    u64(descOff + 8, 0);
    u64(descOff + 16, 0);
  }
  if (words instanceof Uint8Array) buf.set(words, codeOff);
  else words.forEach((w, i) => dv.setUint32(codeOff + i * 4, w >>> 0, (spec.codeOrder ?? spec.order) === "little"));
  buf.set(message, msgOff);
  return buf;
}

// src/emulators/sources.ts
import { existsSync as existsSync4, lstatSync as lstatSync6, mkdirSync as mkdirSync5, readFileSync as readFileSync7, readdirSync as readdirSync6, writeFileSync as writeFileSync2 } from "node:fs";
import { spawnSync as spawnSync4 } from "node:child_process";
import path10 from "node:path";

// src/host/rootfs.ts
import { existsSync as existsSync2, lstatSync as lstatSync3, readlinkSync } from "node:fs";
import path5 from "node:path";
var MAX_SYMLINKS = 40;
function resolveWith(lookup2, p) {
  const done = [];
  const todo = p.split("/").reverse();
  let links = 0;
  while (todo.length) {
    const c = todo.pop();
    if (c === "" || c === ".") continue;
    if (c === "..") {
      done.pop();
      continue;
    }
    done.push(c);
    const node = lookup2("/" + done.join("/"));
    if (!node) return null;
    if (node.type === "symlink") {
      if (++links > MAX_SYMLINKS || node.target === "") return null;
      done.pop();
      if (node.target.startsWith("/")) done.length = 0;
      todo.push(...node.target.split("/").reverse());
    } else if (node.type === "file" && todo.length) {
      return null;
    }
  }
  return "/" + done.join("/");
}
function diskLookup(root) {
  return (p) => {
    const host = path5.join(root, p);
    try {
      const st = lstatSync3(host);
      if (st.isSymbolicLink()) return { type: "symlink", target: readlinkSync(host) };
      return st.isDirectory() ? { type: "dir" } : { type: "file" };
    } catch {
      return null;
    }
  };
}
function resolveInRoot(root, p) {
  const r = resolveWith(diskLookup(root), p);
  return r === null ? null : path5.join(root, r.slice(1));
}
var isOciLayout = (dir) => existsSync2(path5.join(dir, "oci-layout")) && existsSync2(path5.join(dir, "index.json"));
function usableInPlace(dir, st, writable, uid = process.getuid?.() ?? 0) {
  return st.isDirectory() && !isOciLayout(dir) && (!writable || uid === 0 || st.uid === uid);
}

// src/session/roots.ts
import { spawn as spawn2 } from "node:child_process";
import { createHash as createHash4 } from "node:crypto";
import { Worker } from "node:worker_threads";
import {
  chmodSync as chmodSync3,
  existsSync as existsSync3,
  lstatSync as lstatSync5,
  mkdirSync as mkdirSync4,
  mkdtempSync as mkdtempSync2,
  readdirSync as readdirSync5,
  readFileSync as readFileSync6,
  renameSync as renameSync3,
  rmSync as rmSync5,
  statSync as statSync5,
  writeFileSync
} from "node:fs";
import path9 from "node:path";

// src/core/image.ts
import { createHash as createHash3 } from "node:crypto";
var label = (w) => w.member ? `${w.path}: ${w.member}` : w.path;
var inside = (w, member) => ({ path: w.path, member });
function invalid(where, what) {
  return new XarchError("ARCHIVE_INVALID", `${label(where)}: ${what}`, { path: where.path, hint: "the image archive is damaged or was not written by docker/podman save or an OCI tool" });
}
function parseImageJson(bytes, where) {
  try {
    return JSON.parse(Buffer.from(bytes).toString("utf8"));
  } catch (e) {
    throw invalid(where, `not valid JSON (${e.message})`);
  }
}
var isObject = (v) => typeof v === "object" && v !== null && !Array.isArray(v);
function object(v, where, field) {
  if (!isObject(v)) throw invalid(where, `${field} is not an object`);
  return v;
}
function optString(o, key, where, field) {
  const v = o[key];
  if (v === void 0 || v === null) return void 0;
  if (typeof v !== "string") throw invalid(where, `${field}.${key} is not a string`);
  return v;
}
function string(o, key, where, field) {
  const v = optString(o, key, where, field);
  if (v === void 0) throw invalid(where, `${field}.${key} is missing`);
  return v;
}
function optStrings(o, key, where, field) {
  const v = o[key];
  if (v === void 0 || v === null) return void 0;
  if (!Array.isArray(v) || !v.every((x) => typeof x === "string")) throw invalid(where, `${field}.${key} is not a list of strings`);
  return v;
}
function list(v, where, field) {
  if (!Array.isArray(v)) throw invalid(where, `${field} is not a list`);
  return v;
}
var DIGEST = /^([a-z0-9]+(?:[+._-][a-z0-9]+)*):([a-fA-F0-9]{32,128})$/;
function digestOf(o, where, field) {
  const d = string(o, "digest", where, field);
  if (!DIGEST.test(d)) throw invalid(where, `${field}.digest '${d}' is not a digest (algorithm:hex)`);
  return d;
}
function digestPath(digest) {
  const m = DIGEST.exec(digest);
  if (!m) throw new XarchError("ARCHIVE_INVALID", `invalid digest '${digest}'`, { hint: "the image index or manifest is damaged" });
  return `blobs/${m[1]}/${m[2]}`;
}
function platformOfObject(p, where, field) {
  const os8 = string(p, "os", where, field);
  const architecture = string(p, "architecture", where, field);
  const variant = optString(p, "variant", where, field);
  return `${os8}/${architecture}${variant ? `/${variant}` : ""}`;
}
function parseImageConfig(bytes, where) {
  const doc = object(parseImageJson(bytes, where), where, "the config");
  const out = { config: { env: [] } };
  const architecture = optString(doc, "architecture", where, "config");
  if (architecture) out.platform = `${optString(doc, "os", where, "config") ?? "linux"}/${architecture}${doc.variant ? `/${optString(doc, "variant", where, "config")}` : ""}`;
  if (doc.config === void 0 || doc.config === null) return out;
  const c = object(doc.config, where, "config.config");
  const cfg = out.config;
  cfg.env = optStrings(c, "Env", where, "config") ?? [];
  const workingDir = optString(c, "WorkingDir", where, "config");
  if (workingDir) cfg.workingDir = workingDir;
  const user = optString(c, "User", where, "config");
  if (user) cfg.user = user;
  const entrypoint = optStrings(c, "Entrypoint", where, "config");
  if (entrypoint) cfg.entrypoint = entrypoint;
  const cmd = optStrings(c, "Cmd", where, "config");
  if (cmd) cfg.cmd = cmd;
  return out;
}
function resolveOciImages(indexBytes, read, where, name) {
  const refs = [];
  const walk = (doc, docWhere, tag, depth) => {
    if (depth > 4) throw invalid(docWhere, "index nesting is deeper than 4");
    const manifests = list(doc.manifests, docWhere, "manifests");
    manifests.forEach((entry, i) => {
      const field = `manifests[${i}]`;
      const m = object(entry, docWhere, field);
      const digest = digestOf(m, docWhere, field);
      const annotations = m.annotations === void 0 || m.annotations === null ? {} : object(m.annotations, docWhere, `${field}.annotations`);
      const refName = annotations["org.opencontainers.image.ref.name"];
      const mTag = typeof refName === "string" ? refName : tag;
      const declared = m.platform === void 0 || m.platform === null ? void 0 : object(m.platform, docWhere, `${field}.platform`);
      if (declared?.architecture === "unknown") return;
      const blobWhere = inside(where, digestPath(digest));
      const sub = object(parseImageJson(read(digest), blobWhere), blobWhere, "the manifest");
      if (sub.manifests !== void 0) {
        walk(sub, blobWhere, mTag, depth + 1);
        return;
      }
      const configDigest = digestOf(object(sub.config, blobWhere, "config"), blobWhere, "config");
      const layers = list(sub.layers, blobWhere, "layers").map((l, j) => digestOf(object(l, blobWhere, `layers[${j}]`), blobWhere, `layers[${j}]`));
      const cfg = parseImageConfig(read(configDigest), inside(where, digestPath(configDigest)));
      const ref = { name: mTag, digest, config: cfg.config, layers };
      const platform = declared ? platformOfObject(declared, docWhere, `${field}.platform`) : cfg.platform;
      if (platform) ref.platform = platform;
      refs.push(ref);
    });
  };
  const indexWhere = inside(where, "index.json");
  walk(object(parseImageJson(indexBytes, indexWhere), indexWhere, "index.json"), indexWhere, name, 0);
  return refs;
}
function resolveDockerImages(manifestBytes, read, where) {
  const mWhere = inside(where, "manifest.json");
  const doc = parseImageJson(manifestBytes, mWhere);
  if (!Array.isArray(doc)) throw invalid(mWhere, "is not a list of images");
  return doc.map((entry, i) => {
    const field = `[${i}]`;
    const m = object(entry, mWhere, field);
    const configName = string(m, "Config", mWhere, field);
    const layers = optStrings(m, "Layers", mWhere, field);
    if (!layers) throw invalid(mWhere, `${field}.Layers is missing`);
    const tags = optStrings(m, "RepoTags", mWhere, field);
    const bytes = read(configName);
    const cfg = parseImageConfig(bytes, inside(where, configName));
    const ref = { name: tags?.[0] ?? `image ${i + 1}`, digest: `sha256:${createHash3("sha256").update(bytes).digest("hex")}`, config: cfg.config, layers };
    if (cfg.platform) ref.platform = cfg.platform;
    return ref;
  });
}
function normalisePlatform(p) {
  const parts = p.split("/");
  return (parts.length === 1 ? ["linux", ...parts] : parts).join("/");
}
function selectImage(refs, platform, where) {
  const listed = refs.map((r) => r.platform ?? `(${r.name}: no platform)`).join(", ");
  if (refs.length === 0) throw invalid(where, "holds no image");
  if (platform === void 0) {
    if (refs.length === 1) return refs[0];
    throw new XarchError("USAGE", `${label(where)} holds ${refs.length} images (${listed})`, { path: where.path, hint: "choose one with --platform" });
  }
  const want = normalisePlatform(platform);
  const exact = refs.filter((r) => r.platform !== void 0 && normalisePlatform(r.platform) === want);
  const loose = exact.length ? exact : refs.filter((r) => r.platform !== void 0 && normalisePlatform(r.platform).startsWith(want + "/"));
  if (loose.length === 1 || loose.length > 1 && new Set(loose.map((r) => r.digest)).size === 1) return loose[0];
  throw new XarchError("USAGE", loose.length ? `platform ${platform} matches several images in ${label(where)} (${loose.map((r) => r.platform).join(", ")})` : `${label(where)} has no image for platform ${platform} (it has ${listed})`, {
    path: where.path,
    hint: "give one of the listed platforms to --platform"
  });
}

// src/host/tar.ts
import path6 from "node:path";

// src/host/decompress.ts
import { spawn } from "node:child_process";
import { closeSync as closeSync5, createReadStream, mkdtempSync, openSync as openSync5, readFileSync as readFileSync5, rmSync as rmSync3 } from "node:fs";
import { createGunzip } from "node:zlib";
import { Readable, Transform } from "node:stream";
function detectCompression(head) {
  if (head[0] === 31 && head[1] === 139) return "gzip";
  if (head[0] === 40 && head[1] === 181 && head[2] === 47 && head[3] === 253) return "zstd";
  if (head[0] === 253 && head[1] === 55 && head[2] === 122 && head[3] === 88) return "xz";
  if (head[0] === 66 && head[1] === 90 && head[2] === 104) return "bzip2";
  return "none";
}
var TOOLS = { zstd: "zstd", xz: "xz-utils", bzip2: "bzip2" };
var READ_BUFFER = 1 << 20;
function fdPosition(fd) {
  try {
    return Number(/^pos:\s*(\d+)/m.exec(readFileSync5(`/proc/self/fdinfo/${fd}`, "latin1"))?.[1] ?? 0);
  } catch {
    return 0;
  }
}
function toolOf(compression) {
  return compression === "none" || compression === "gzip" ? null : compression;
}
function toolInput(file, range, tap) {
  if (!range && !tap) {
    let fd;
    try {
      fd = openSync5(file, "r");
    } catch (e) {
      throw fromSystemError(e, file, "archive");
    }
    let closed = false;
    return {
      stdin: fd,
      consumed: () => closed ? 0 : fdPosition(fd),
      attach: (child) => child.on("close", () => {
        closed = true;
        closeSync5(fd);
      })
    };
  }
  const { raw, consumed } = rawStream(file, range, tap);
  return {
    stdin: "pipe",
    consumed,
    attach: (child) => {
      raw.pipe(child.stdin);
      child.stdin.on("error", () => {
      });
    }
  };
}
function rawStream(file, range, tap) {
  const source = createReadStream(file, range ? { start: range.start, end: range.end - 1, highWaterMark: 1 << 20 } : { highWaterMark: 1 << 20 });
  const raw = tap ? source.pipe(new Transform({ transform(chunk, _enc, cb) {
    tap(chunk);
    cb(null, chunk);
  } })) : source;
  if (tap) source.on("error", (e) => raw.destroy(e));
  return { raw, consumed: () => source.bytesRead };
}
function runTool(tool, file, input, stdout) {
  const child = spawn(tool, ["-dc"], { stdio: [input.stdin, stdout, "pipe"] });
  input.attach(child);
  let err = "";
  child.stderr.on("data", (d) => {
    err += d;
  });
  const done = new Promise((resolve, reject) => {
    child.on("error", (e) => reject(new XarchError("ARCHIVE_INVALID", `cannot run ${tool} to decompress ${file}: ${e.message}`, { path: file, hint: `apt-get install ${TOOLS[tool]}` })));
    child.on("close", (code) => code === 0 ? resolve() : reject(new XarchError("ARCHIVE_INVALID", `${tool} could not decompress ${file}: ${err.trim().split("\n")[0]}`, { path: file })));
  });
  return { child, done };
}
function openDecompressed(file, compression, range, tap) {
  if (range && range.end <= range.start) return { stream: Readable.from([]), done: Promise.resolve(), consumed: () => 0 };
  const tool = toolOf(compression);
  if (!tool) {
    const { raw, consumed } = rawStream(file, range, tap);
    return { stream: compression === "gzip" ? raw.pipe(createGunzip({ chunkSize: 1 << 18 })) : raw, done: Promise.resolve(), consumed };
  }
  const input = toolInput(file, range, tap);
  const { child, done } = runTool(tool, file, input, "pipe");
  return { stream: child.stdout, done, consumed: input.consumed };
}
function openTar(file, range, tap) {
  let head;
  try {
    head = readRange(file, range?.start ?? 0, 8);
  } catch (e) {
    throw fromSystemError(e, file, "archive");
  }
  return openDecompressed(file, detectCompression(head), range, tap);
}
function feedAll(stream, sink) {
  return new Promise((resolve, reject) => {
    stream.on("data", (chunk) => {
      try {
        sink.feed(chunk);
      } catch (e) {
        stream.destroy();
        reject(e);
      }
    });
    stream.on("error", reject);
    stream.on("end", () => {
      try {
        sink.end();
        resolve();
      } catch (e) {
        reject(e);
      }
    });
  });
}

// src/host/tar.ts
var DEFAULT_PREFIX = 16384;
var SNIFF = 64;
var MAX_META = 1 << 20;
function octal(b, off, len) {
  if (b[off] & 128) {
    let v2 = b[off] & 127;
    for (let i2 = 1; i2 < len; i2++) v2 = v2 * 256 + b[off + i2];
    return v2;
  }
  const end = off + len;
  let i = off;
  while (i < end && (b[i] === 0 || b[i] === 32)) i++;
  const first = i;
  let v = 0;
  for (; i < end; i++) {
    const c = b[i];
    if (c === 0 || c === 32) break;
    if (c < 48 || c > 55) {
      let field = "";
      for (let j = first; j < end && b[j] !== 0 && b[j] !== 32; j++) field += String.fromCharCode(b[j]);
      throw new XarchError("ARCHIVE_INVALID", `invalid octal field '${field}' in a tar header`, { hint: "the archive is damaged or not a tar file" });
    }
    v = v * 8 + (c - 48);
  }
  return v;
}
function cstr(b, off, len) {
  let end = off;
  while (end < off + len && b[end] !== 0) end++;
  return Buffer.from(b.buffer, b.byteOffset + off, end - off).toString("utf8");
}
var NO_BYTES = new Uint8Array(0);
function byteSum(h) {
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += h[i];
  return sum;
}
function checksumOk(h, sum) {
  for (let i = 148; i < 156; i++) sum -= h[i];
  return sum + 8 * 32 === octal(h, 148, 8);
}
var PLAIN_NAME = /^(?:\.\/)?(?!\.{1,2}(?:\/|$))(?:[^/]+(?:\/(?!\.{1,2}(?:\/|$))[^/]+)*)$/;
function normaliseMemberPath(name) {
  if (PLAIN_NAME.test(name)) return { path: name.startsWith("./") ? name.slice(2) : name, unsafe: false };
  const norm = path6.posix.normalize("/" + name).replace(/^\/+/, "").replace(/\/+$/, "");
  const unsafe = name.startsWith("/") || name.split("/").includes("..");
  return { path: norm === "." ? "" : norm, unsafe };
}
var TarParser = class {
  /**
   * `keep`: given a file's first SNIFF bytes, whether to keep its head up to
   * `prefix` (scan keeps whole heads of ELF files only, which spares a copy
   * of 16 KiB of nearly every member).
   */
  constructor(onMember, prefix = DEFAULT_PREFIX, later, body, keep) {
    this.onMember = onMember;
    this.prefix = prefix;
    this.later = later;
    this.body = body;
    this.keep = keep;
  }
  onMember;
  prefix;
  later;
  body;
  keep;
  buf = [];
  bufLen = 0;
  state = "header";
  remaining = 0;
  pad = 0;
  nextPad = 0;
  /** The member being read: its head is copied into one array of its own, grown once when `keep` says so. */
  current = null;
  metaKind = "";
  metaParts = [];
  pendingName = null;
  pendingLink = null;
  /** Numeric pax overrides (size, uid, gid, mtime) for the next member. */
  pendingPax = {};
  zeroBlocks = 0;
  offset = 0;
  feed(chunk) {
    let pos = 0;
    while (pos < chunk.length && this.state !== "done") {
      if (this.pad > 0) {
        const n2 = Math.min(this.pad, chunk.length - pos);
        this.pad -= n2;
        pos += n2;
        this.offset += n2;
        continue;
      }
      if (this.state === "header") {
        if (this.bufLen === 0 && chunk.length - pos >= 512) {
          const h = chunk.subarray(pos, pos + 512);
          pos += 512;
          this.offset += 512;
          this.header(h);
          continue;
        }
        const need = 512 - this.bufLen;
        const n2 = Math.min(need, chunk.length - pos);
        this.buf.push(Uint8Array.from(chunk.subarray(pos, pos + n2)));
        this.bufLen += n2;
        pos += n2;
        this.offset += n2;
        if (this.bufLen === 512) {
          const h = Buffer.concat(this.buf);
          this.buf = [];
          this.bufLen = 0;
          this.header(h);
        }
        continue;
      }
      const n = Math.min(this.remaining, chunk.length - pos);
      const part = chunk.subarray(pos, pos + n);
      if (this.state === "data" && this.current) {
        const c = this.current;
        for (let at = 0; c.headLen < c.prefix && at < part.length; ) {
          const upTo = Math.min(c.sniffed ? c.prefix : Math.min(c.prefix, SNIFF), c.size);
          if (c.head.length < upTo) {
            const grown = new Uint8Array(upTo);
            grown.set(c.head.subarray(0, c.headLen));
            c.head = grown;
          }
          const take = Math.min(upTo - c.headLen, part.length - at);
          c.head.set(part.subarray(at, at + take), c.headLen);
          c.headLen += take;
          at += take;
          if (!c.sniffed && c.headLen >= Math.min(SNIFF, c.size)) {
            c.sniffed = true;
            if (!this.keep(c.head.subarray(0, c.headLen))) c.prefix = c.headLen;
          }
          if (c.headLen === this.prefix && this.later && c.size > this.prefix) {
            c.want = this.later(c.head.subarray(0, c.headLen));
            c.extraParts = [];
          }
        }
        const w = c.want;
        if (w) {
          const a = Math.max(w.offset, c.pos);
          const b = Math.min(w.offset + w.length, c.pos + part.length);
          if (a < b) c.extraParts.push(Uint8Array.from(part.subarray(a - c.pos, b - c.pos)));
        }
        c.pos += part.length;
        if (this.body && part.length) this.body.data(part);
      } else if (this.state === "meta") {
        this.metaParts.push(Uint8Array.from(part));
      }
      this.remaining -= n;
      pos += n;
      this.offset += n;
      if (this.remaining === 0) this.finishEntry();
    }
  }
  header(h) {
    const sum = byteSum(h);
    if (sum === 0) {
      if (++this.zeroBlocks >= 2) this.state = "done";
      return;
    }
    this.zeroBlocks = 0;
    if (!checksumOk(h, sum)) throw new XarchError("ARCHIVE_INVALID", `bad tar header checksum at byte ${this.offset - 512}`, { offset: this.offset - 512, hint: "the archive is damaged, truncated or not a tar file" });
    let size = octal(h, 124, 12);
    const flag = String.fromCharCode(h[156]);
    const isMeta = flag === "x" || flag === "g" || flag === "L" || flag === "K";
    if (!isMeta && this.pendingPax.size !== void 0) size = this.pendingPax.size;
    if (!Number.isSafeInteger(size)) throw new XarchError("ARCHIVE_INVALID", `tar member size out of range at byte ${this.offset - 512}`, { offset: this.offset - 512 });
    const prefixField = cstr(h, 345, 155);
    let name = cstr(h, 0, 100);
    if (prefixField && cstr(h, 257, 6) === "ustar") name = `${prefixField}/${name}`;
    const linkname = cstr(h, 157, 100);
    this.nextPad = (512 - size % 512) % 512;
    if (isMeta) {
      if (size > MAX_META) throw new XarchError("ARCHIVE_INVALID", `a ${size}-byte tar metadata record is larger than ${MAX_META} bytes`, { offset: this.offset - 512, hint: "refusing a hostile archive" });
      this.metaKind = flag;
      this.metaParts = [];
      this.remaining = size;
      this.state = "meta";
      if (size === 0) this.finishEntry();
      return;
    }
    const type = flag === "0" || flag === "\0" || flag === "7" ? "file" : flag === "5" ? "dir" : flag === "2" ? "symlink" : flag === "1" ? "hardlink" : "other";
    const full = this.pendingName ?? name;
    const norm = normaliseMemberPath(full);
    const pax = this.pendingPax;
    this.current = {
      path: norm.path,
      type,
      size: type === "file" ? size : 0,
      linkname: this.pendingLink ?? linkname,
      mode: octal(h, 100, 8) & 4095,
      uid: pax.uid ?? octal(h, 108, 8),
      gid: pax.gid ?? octal(h, 116, 8),
      mtime: pax.mtime ?? octal(h, 136, 12),
      head: NO_BYTES,
      headLen: 0,
      prefix: this.prefix,
      sniffed: !this.keep,
      pos: 0
    };
    if (norm.unsafe) this.current.unsafeName = full;
    this.pendingName = null;
    this.pendingLink = null;
    this.pendingPax = {};
    this.remaining = size;
    this.state = "data";
    if (this.body) {
      const { head: _h, headLen: _l, prefix: _x, sniffed: _s, pos: _o, ...header2 } = this.current;
      this.body.begin(header2);
    }
    if (size === 0) this.finishEntry();
  }
  finishEntry() {
    this.pad = this.nextPad;
    this.nextPad = 0;
    if (this.state === "meta") {
      const text = Buffer.concat(this.metaParts).toString("utf8");
      if (this.metaKind === "L") this.pendingName = text.replace(/\0.*$/s, "");
      else if (this.metaKind === "K") this.pendingLink = text.replace(/\0.*$/s, "");
      else if (this.metaKind === "x") {
        for (const m2 of text.matchAll(/\d+ ([^=]+)=([^\n]*)\n/g)) {
          const [key, value] = [m2[1], m2[2]];
          if (key === "path") this.pendingName = value;
          else if (key === "linkpath") this.pendingLink = value;
          else if (key === "size" || key === "uid" || key === "gid" || key === "mtime") {
            const n = Number(value);
            if (!Number.isFinite(n) || n < 0) throw new XarchError("ARCHIVE_INVALID", `invalid pax ${key} '${value}' in a tar header`, { offset: this.offset, hint: "the archive is damaged" });
            this.pendingPax[key] = n;
          }
        }
      }
      this.metaParts = [];
      this.state = "header";
      return;
    }
    const c = this.current;
    this.current = null;
    this.state = "header";
    this.body?.end();
    const head = c.head.length === c.headLen ? c.head : c.head.subarray(0, c.headLen);
    const m = { path: c.path, type: c.type, size: c.size, linkname: c.linkname, mode: c.mode, uid: c.uid, gid: c.gid, mtime: c.mtime, head };
    if (c.unsafeName !== void 0) m.unsafeName = c.unsafeName;
    if (c.want && c.extraParts) m.extra = { offset: c.want.offset, bytes: Buffer.concat(c.extraParts) };
    this.onMember(m);
  }
  end() {
    if (this.state === "data" || this.state === "meta" || this.bufLen > 0) {
      throw new XarchError("ARCHIVE_INVALID", `the tar archive is truncated (ends inside a member at byte ${this.offset})`, { offset: this.offset, hint: "the download or copy is incomplete" });
    }
  }
};
async function readTar(stream, onMember, prefix = DEFAULT_PREFIX, later, body, keep) {
  const p = new TarParser(onMember, prefix, later, body, keep);
  try {
    await feedAll(stream, p);
  } catch (e) {
    if (e instanceof XarchError) throw e;
    throw new XarchError("ARCHIVE_INVALID", `cannot read the archive: ${e.message}`, { hint: "the archive is damaged or its compression is not what its first bytes say" });
  }
}

// src/host/unpack.ts
import {
  closeSync as closeSync6,
  constants as constants2,
  fchmodSync as fchmodSync2,
  fchownSync,
  futimesSync,
  lchownSync,
  linkSync,
  lstatSync as lstatSync4,
  lutimesSync,
  mkdirSync as mkdirSync3,
  openSync as openSync6,
  readdirSync as readdirSync4,
  rmSync as rmSync4,
  symlinkSync,
  unlinkSync,
  utimesSync,
  chmodSync as chmodSync2,
  chownSync,
  writeSync as writeSync4
} from "node:fs";
import path7 from "node:path";
var WHITEOUT = ".wh.";
var OPAQUE = ".wh..wh..opq";
function emptyStats() {
  return { files: 0, dirs: 0, symlinks: 0, hardlinks: 0, bytes: 0, whiteouts: 0, skipped: { devices: 0, unsafe: 0, links: 0 } };
}
function lstatOrNull(p) {
  try {
    return lstatSync4(p, { throwIfNoEntry: false }) ?? null;
  } catch {
    return null;
  }
}
var CREATE = constants2.O_WRONLY | constants2.O_CREAT | constants2.O_EXCL | constants2.O_NOFOLLOW;
var Unpacker = class {
  constructor(target, opts = {}) {
    this.target = target;
    this.opts = opts;
    this.target = path7.resolve(target);
    this.keepOwners = opts.keepOwners ?? process.getuid?.() === 0;
  }
  target;
  opts;
  stats = emptyStats();
  keepOwners;
  /** Directory (relative) → its host path, resolved inside the target. */
  dirs = /* @__PURE__ */ new Map();
  /** Paths written by the layer being unpacked: an opaque marker hides only lower layers. */
  layerPaths = /* @__PURE__ */ new Set();
  layerMode = false;
  deferred = /* @__PURE__ */ new Map();
  fd = -1;
  fdPath = "";
  current = null;
  members = 0;
  /** Unpack a plain tar stream (no whiteout processing). */
  tar(stream) {
    return this.read(stream, false);
  }
  /** Unpack an image layer over what is already there, applying its whiteouts. */
  layer(stream) {
    this.layerPaths = /* @__PURE__ */ new Set();
    return this.read(stream, true);
  }
  async read(stream, layer) {
    this.layerMode = layer;
    try {
      await readTar(stream, () => {
      }, 0, void 0, this);
    } finally {
      if (this.fd >= 0) closeSync6(this.fd);
      this.fd = -1;
      this.current = null;
      this.layerMode = false;
    }
  }
  begin(h) {
    this.current = null;
    if (this.opts.progress && ++this.members % 2e3 === 0) this.opts.progress({ phase: "unpacking", done: this.members, unit: "entries" });
    if (h.unsafeName !== void 0 && h.unsafeName.split("/").includes("..")) {
      this.stats.skipped.unsafe++;
      return;
    }
    try {
      this.place(h);
    } catch (e) {
      throw fromSystemError(e, path7.join(this.target, h.path), "member");
    }
  }
  data(chunk) {
    if (this.fd < 0) return;
    let off = 0;
    try {
      while (off < chunk.length) off += writeSync4(this.fd, chunk, off, chunk.length - off);
    } catch (e) {
      throw fromSystemError(e, this.fdPath, "file");
    }
    this.stats.bytes += chunk.length;
  }
  end() {
    const h = this.current;
    this.current = null;
    if (this.fd < 0 || !h) return;
    const fd = this.fd;
    this.fd = -1;
    try {
      if (this.keepOwners) this.chown(() => fchownSync(fd, h.uid, h.gid));
      fchmodSync2(fd, this.modeOf(h));
      futimesSync(fd, h.mtime, h.mtime);
    } catch (e) {
      throw fromSystemError(e, this.fdPath, "file");
    } finally {
      closeSync6(fd);
    }
  }
  /** Set directories' owners, modes and times, deepest first. */
  finish() {
    const all = [...this.deferred].sort((a, b) => b[0].length - a[0].length);
    for (const [p, h] of all) {
      try {
        if (this.keepOwners) this.chown(() => chownSync(p, h.uid, h.gid));
        chmodSync2(p, this.modeOf(h));
        utimesSync(p, h.mtime, h.mtime);
      } catch (e) {
        if (e.code !== "ENOENT") throw fromSystemError(e, p, "directory");
      }
    }
    this.deferred.clear();
    return this.stats;
  }
  modeOf(h) {
    return this.keepOwners ? h.mode : h.mode & ~3072;
  }
  chown(f) {
    try {
      f();
    } catch (e) {
      const code = e.code;
      if (code !== "EINVAL" && code !== "EPERM") throw e;
    }
  }
  place(h) {
    const rel = h.path;
    const base = path7.posix.basename(rel);
    const parentRel = rel.includes("/") ? path7.posix.dirname(rel) : "";
    if (this.layerMode && base.startsWith(WHITEOUT)) {
      this.whiteout(parentRel, base);
      return;
    }
    if (rel === "") {
      if (h.type === "dir") this.deferred.set(this.target, h);
      else this.stats.skipped.unsafe++;
      return;
    }
    if (h.type === "other") {
      this.stats.skipped.devices++;
      return;
    }
    const parent = this.dir(parentRel);
    if (parent === null) {
      this.stats.skipped.unsafe++;
      return;
    }
    const host = path7.join(parent, base);
    if (this.layerMode) this.layerPaths.add(rel);
    if (h.type === "dir") {
      const st = lstatOrNull(host);
      if (!st?.isDirectory()) {
        if (st) this.remove(host, st);
        mkdirSync3(host, 493);
      }
      this.dirs.set(rel, host);
      this.deferred.set(host, h);
      this.stats.dirs++;
      return;
    }
    if (h.type === "hardlink") {
      const src = this.existing(h.linkname);
      if (!src) {
        this.stats.skipped.links++;
        return;
      }
      if (src === host) return;
      this.remove(host);
      linkSync(src, host);
      this.stats.hardlinks++;
      return;
    }
    if (h.type === "symlink") {
      this.remove(host);
      symlinkSync(h.linkname, host);
      if (this.keepOwners) this.chown(() => lchownSync(host, h.uid, h.gid));
      lutimesSync(host, h.mtime, h.mtime);
      this.stats.symlinks++;
      return;
    }
    try {
      this.fd = openSync6(host, CREATE, 384);
    } catch (e) {
      if (e.code !== "EEXIST") throw e;
      this.remove(host);
      this.fd = openSync6(host, CREATE, 384);
    }
    this.fdPath = host;
    this.current = h;
    this.stats.files++;
  }
  /**
   * The host path of directory `rel`, resolved inside the target (symlinks
   * followed as the root sees them), missing components created when
   * `create`; null when it resolves to something that is not a directory.
   */
  dir(rel, create = true) {
    if (rel === "") return this.target;
    const hit = this.dirs.get(rel);
    if (hit !== void 0) return hit;
    const parent = this.dir(rel.includes("/") ? path7.posix.dirname(rel) : "", create);
    if (parent === null) return null;
    let host = path7.join(parent, path7.posix.basename(rel));
    const st = lstatOrNull(host);
    if (st?.isSymbolicLink()) {
      const r = resolveInRoot(this.target, rel);
      if (r === null || !lstatOrNull(r)?.isDirectory()) return null;
      host = r;
    } else if (!st) {
      if (!create) return null;
      mkdirSync3(host, 493);
    } else if (!st.isDirectory()) {
      return null;
    }
    this.dirs.set(rel, host);
    return host;
  }
  /** The host path of an existing member named `name` (a hard link's target), its last component not followed. */
  existing(name) {
    if (name.split("/").includes("..")) return null;
    const rel = normaliseMemberPath(name).path;
    if (rel === "") return null;
    const parent = this.dir(rel.includes("/") ? path7.posix.dirname(rel) : "", false);
    if (parent === null) return null;
    const host = path7.join(parent, path7.posix.basename(rel));
    const st = lstatOrNull(host);
    return st && !st.isDirectory() ? host : null;
  }
  /**
   * Remove what is at `host` (never following it). When a directory or a
   * symlink goes, resolved directories beneath or through it are forgotten.
   */
  remove(host, st = lstatOrNull(host)) {
    if (!st) return;
    if (st.isDirectory()) rmSync4(host, { recursive: true, force: true });
    else unlinkSync(host);
    if (st.isDirectory() || st.isSymbolicLink()) this.dirs.clear();
  }
  whiteout(parentRel, base) {
    const parent = this.dir(parentRel, false);
    this.stats.whiteouts++;
    if (parent === null) return;
    if (base === OPAQUE) {
      this.opaque(parent, parentRel);
      return;
    }
    const name = base.slice(WHITEOUT.length);
    if (!name || name === "." || name === "..") return;
    this.remove(path7.join(parent, name));
  }
  /** Empty a directory of what lower layers put there, keeping this layer's own entries. */
  opaque(host, rel) {
    for (const name of readdirSync4(host)) {
      const childRel = rel ? `${rel}/${name}` : name;
      const child = path7.join(host, name);
      const st = lstatOrNull(child);
      if (!this.layerPaths.has(childRel)) this.remove(child, st);
      else if (st?.isDirectory()) this.opaque(child, childRel);
    }
  }
};

// src/session/cache-dir.ts
import os3 from "node:os";
import path8 from "node:path";
function defaultCacheDir(env = process.env, uid = process.getuid?.() ?? -1) {
  if (env.XARCH_ROOTS_CACHE) return env.XARCH_ROOTS_CACHE;
  if (uid === 0) return "/var/cache/xarch/roots";
  const base = env.XDG_CACHE_HOME || path8.join(env.HOME || os3.homedir(), ".cache");
  return path8.join(base, "xarch", "roots");
}

// src/session/roots.ts
var entryName = (digest) => digest.replace(":", "-");
function statOrThrow(spec) {
  try {
    return statSync5(spec);
  } catch (e) {
    if (e.code === "ENOENT") {
      throw new XarchError("PATH_NOT_FOUND", `root ${spec} does not exist`, { path: spec, hint: "give a directory, a tar (optionally compressed) or a container image (docker save archive or OCI layout)" });
    }
    throw fromSystemError(e, spec, "root");
  }
}
async function prepareRoot(spec, opts = {}) {
  const st = statOrThrow(spec);
  const abs = path9.resolve(spec);
  if (st.isDirectory() && !isOciLayout(abs)) {
    if (opts.platform !== void 0) throw new XarchError("USAGE", `--platform applies to images; ${spec} is a plain directory`, { path: spec, hint: "drop --platform" });
    if (usableInPlace(abs, st, !!opts.writable, opts.uid)) return { root: abs, kind: "dir", cached: false };
  }
  if (!st.isDirectory() && !st.isFile()) throw new XarchError("PATH_NOT_FILE", `${spec} is neither a directory nor a file`, { path: spec });
  const cacheDir = path9.resolve(opts.cacheDir ?? defaultCacheDir(opts.env));
  try {
    mkdirSync4(cacheDir, { recursive: true, mode: 493 });
  } catch (e) {
    throw fromSystemError(e, cacheDir, "cache directory");
  }
  sweepStale(cacheDir);
  if (st.isDirectory() && !isOciLayout(abs)) return prepareTree(abs, cacheDir, opts.progress);
  if (st.isDirectory()) return prepareLayoutDir(abs, cacheDir, opts.platform, opts.progress);
  const memo = readMemo(cacheDir, abs, st);
  const known = memo?.entries[opts.platform ?? ""];
  if (known) {
    const meta = readEntry2(cacheDir, known);
    if (meta) return fromEntry(cacheDir, meta, true);
  }
  return prepareArchive(abs, st, cacheDir, opts.platform, opts.progress);
}
async function prepareLayoutDir(dir, cacheDir, platform, progress) {
  const ref = selectImage(imagesIn(dir, true), platform, { path: dir });
  const meta = readEntry2(cacheDir, ref.digest);
  if (meta) return fromEntry(cacheDir, meta, true);
  const tmp = tempDir(cacheDir);
  try {
    return commit(cacheDir, tmp, await unpackImage(dir, ref, dir, tmp, progress));
  } finally {
    if (existsSync3(tmp)) removeTree(tmp);
  }
}
function fileDigest(file) {
  const worker = new Worker(HASH_WORKER, { eval: true, workerData: file, execArgv: [] });
  const digest = new Promise((resolve, reject) => {
    worker.once("message", (m) => {
      if ("hex" in m) resolve(m.hex);
      else reject(fromSystemError(Object.assign(new Error(m.error.message), { code: m.error.code }), file, "archive"));
    });
    worker.once("error", (e) => reject(fromSystemError(e, file, "archive")));
    worker.once("exit", () => reject(new XarchError("ARCHIVE_INVALID", `${file}: not hashed`, { path: file })));
  });
  digest.catch(() => {
  });
  return { digest, cancel: () => {
    void worker.terminate();
  } };
}
var HASH_WORKER = `const { parentPort, workerData } = require('node:worker_threads');
const hash = require('node:crypto').createHash('sha256');
require('node:fs').createReadStream(workerData)
  .on('data', (c) => hash.update(c))
  .on('error', (e) => parentPort.postMessage({ error: { code: e.code, message: e.message } }))
  .on('end', () => parentPort.postMessage({ hex: hash.digest('hex') }));`;
async function prepareArchive(file, st, cacheDir, platform, progress) {
  const tmp = tempDir(cacheDir);
  try {
    const extracted = path9.join(tmp, "root");
    mkdirSync4(extracted);
    const u = new Unpacker(extracted);
    const counted = byteCounter(progress, `unpacking ${path9.basename(file)}`, st.size);
    const hashing = fileDigest(file);
    const { stream, done } = openTar(file, void 0, counted);
    try {
      await Promise.all([u.tar(stream), done]);
    } catch (e) {
      hashing.cancel();
      throw named(e, file);
    }
    const stats = u.finish();
    const archive = `sha256:${await hashing.digest}`;
    const isImage = isOciLayout(extracted) || existsSync3(path9.join(extracted, "manifest.json"));
    if (!isImage) {
      if (platform !== void 0) throw new XarchError("USAGE", `--platform applies to images; ${file} is a root file system tar`, { path: file, hint: "drop --platform" });
      writeMemo(cacheDir, file, st, { archive, kind: "tar", entries: { "": archive } });
      return commit(cacheDir, tmp, { kind: "tar", digest: archive, source: file, stats });
    }
    const layout = path9.join(tmp, "layout");
    renameSync3(extracted, layout);
    const ref = selectImage(imagesIn(layout, isOciLayout(layout), file), platform, { path: file });
    writeMemo(cacheDir, file, st, { archive, kind: "image", entries: { ...readMemo(cacheDir, file, st)?.entries, [platform ?? ""]: ref.digest } });
    const existing = readEntry2(cacheDir, ref.digest);
    if (existing) return fromEntry(cacheDir, existing, true);
    const meta = await unpackImage(layout, ref, file, tmp, progress);
    removeTree(layout);
    return commit(cacheDir, tmp, meta);
  } finally {
    if (existsSync3(tmp)) removeTree(tmp);
  }
}
async function prepareTree(dir, cacheDir, progress) {
  const digest = treeMetadataDigest(dir);
  const known = readEntry2(cacheDir, digest);
  if (known) return fromEntry(cacheDir, known, true);
  const tmp = tempDir(cacheDir);
  try {
    const root = path9.join(tmp, "root");
    mkdirSync4(root);
    const u = new Unpacker(root, progress ? { progress: (p) => progress({ ...p, phase: `copying ${path9.basename(dir)}` }) } : {});
    const child = spawn2("tar", ["-C", dir, "--numeric-owner", "-cf", "-", "."], { stdio: ["ignore", "pipe", "pipe"] });
    let errors = "";
    child.stderr.setEncoding("utf8").on("data", (d) => {
      errors += d;
    });
    const exited = new Promise((resolve, reject) => {
      child.on("error", (e) => reject(new XarchError("SANDBOX_UNAVAILABLE", `cannot run tar to copy ${dir}: ${e.message}`, { path: dir, hint: "GNU tar is needed" })));
      child.on("close", (code2) => resolve(code2 ?? 2));
    });
    const [, code] = await Promise.all([u.tar(child.stdout), exited]);
    const unreadable = [...errors.matchAll(/^tar: (?:\.\/)?(.*?): Cannot (?:open|savedir)/gm)].map((m) => `/${m[1]}`);
    if (code > 2 || code !== 0 && !unreadable.length) {
      throw new XarchError("ARCHIVE_INVALID", `cannot copy ${dir} into the roots cache: ${errors.trim().split("\n")[0] ?? `tar exited ${code}`}`, { path: dir, hint: "make the tree readable by this user, or run as root" });
    }
    return commit(cacheDir, tmp, { kind: "tree", digest, source: dir, stats: u.finish(), ...unreadable.length ? { unreadable } : {} });
  } finally {
    if (existsSync3(tmp)) removeTree(tmp);
  }
}
function treeMetadataDigest(dir) {
  const hash = createHash4("sha256").update("xarch tree v1\n");
  const walk = (d, rel) => {
    for (const n of listNames(d).sort()) {
      const p = path9.join(d, n);
      let st;
      try {
        st = lstatSync5(p);
      } catch {
        continue;
      }
      hash.update(`${rel}/${n}\0${st.mode}\0${st.uid}\0${st.gid}\0${st.size}\0${st.mtimeMs}\0${st.ctimeMs}\0${st.ino}
`);
      if (st.isDirectory()) walk(p, `${rel}/${n}`);
    }
  };
  const top = statSync5(dir);
  hash.update(`${dir}\0${top.dev}\0${top.ino}\0${top.mtimeMs}\0${top.ctimeMs}
`);
  walk(dir, "");
  return `sha256:${hash.digest("hex")}`;
}
function imagesIn(dir, oci, shown2 = dir) {
  const read = (member) => {
    const p = resolveInRoot(dir, member);
    if (p === null) throw new XarchError("ARCHIVE_INVALID", `${shown2}: ${member} is missing`, { path: shown2, hint: "the image archive is incomplete" });
    try {
      return readFileSync6(p);
    } catch (e) {
      throw fromSystemError(e, p, "image file");
    }
  };
  if (!oci) return resolveDockerImages(read("manifest.json"), read, { path: shown2 });
  return resolveOciImages(read("index.json"), (d) => read(digestPath(d)), { path: shown2 }, path9.basename(shown2));
}
async function unpackImage(layout, ref, shown2, tmp, progress) {
  const root = path9.join(tmp, "root");
  mkdirSync4(root);
  const u = new Unpacker(root);
  const oci = isOciLayout(layout);
  const files = ref.layers.map((layer) => {
    const file = resolveInRoot(layout, oci ? digestPath(layer) : layer);
    if (file === null) throw new XarchError("ARCHIVE_INVALID", `${shown2}: layer ${layer} is missing`, { path: shown2, hint: "the image archive is incomplete" });
    return file;
  });
  const counted = byteCounter(progress, `unpacking ${ref.layers.length} layers of ${path9.basename(shown2)}`, progress ? files.reduce((n, f) => n + statSync5(f).size, 0) : 0);
  for (const [i, layer] of ref.layers.entries()) {
    const { stream, done } = openTar(files[i], void 0, counted);
    try {
      await Promise.all([u.layer(stream), done]);
    } catch (e) {
      throw named(e, `${shown2} (layer ${layer})`);
    }
  }
  const meta = { kind: "image", digest: ref.digest, source: shown2, config: ref.config, image: ref.name, stats: u.finish() };
  if (ref.platform) meta.platform = ref.platform;
  return meta;
}
function byteCounter(progress, phase, total) {
  if (!progress) return void 0;
  let done = 0;
  return (chunk) => progress({ phase, done: done += chunk.length, total, unit: "bytes" });
}
function commit(cacheDir, tmp, meta) {
  writeFileSync(path9.join(tmp, "meta.json"), JSON.stringify(meta));
  const final = path9.join(cacheDir, entryName(meta.digest));
  try {
    renameSync3(tmp, final);
  } catch (e) {
    const code = e.code;
    const theirs = code === "ENOTEMPTY" || code === "EEXIST" ? readEntry2(cacheDir, meta.digest) : null;
    if (!theirs) throw fromSystemError(e, final, "cache entry");
    return fromEntry(cacheDir, theirs, false);
  }
  return fromEntry(cacheDir, meta, false);
}
function fromEntry(cacheDir, meta, cached) {
  const out = { root: path9.join(cacheDir, entryName(meta.digest), "root"), kind: meta.kind, cached, digest: meta.digest };
  if (meta.config) out.config = meta.config;
  if (meta.platform) out.platform = meta.platform;
  if (meta.image) out.image = meta.image;
  if (meta.unreadable?.length) out.unreadable = meta.unreadable;
  return out;
}
function readEntry2(cacheDir, digest) {
  try {
    const meta = JSON.parse(readFileSync6(path9.join(cacheDir, entryName(digest), "meta.json"), "utf8"));
    return meta.digest === digest ? meta : null;
  } catch {
    return null;
  }
}
function memoFile(cacheDir, file) {
  return path9.join(cacheDir, "sources", `${createHash4("sha256").update(file).digest("hex").slice(0, 32)}.json`);
}
function readMemo(cacheDir, file, st) {
  try {
    const m = JSON.parse(readFileSync6(memoFile(cacheDir, file), "utf8"));
    const same = m.path === file && m.dev === st.dev && m.ino === st.ino && m.size === st.size && m.mtimeMs === st.mtimeMs && m.ctimeMs === st.ctimeMs;
    return same && m.entries && typeof m.entries === "object" ? m : null;
  } catch {
    return null;
  }
}
function writeMemo(cacheDir, file, st, m) {
  const memo = { path: file, dev: st.dev, ino: st.ino, size: st.size, mtimeMs: st.mtimeMs, ctimeMs: st.ctimeMs, ...m };
  writeFileAtomic(memoFile(cacheDir, file), Buffer.from(JSON.stringify(memo)), { what: "root digest record" });
}
function tempDir(cacheDir) {
  const d = mkdtempSync2(path9.join(cacheDir, `.tmp-${process.pid}-`));
  chmodSync3(d, 493);
  return d;
}
function sweepStale(cacheDir) {
  for (const n of listNames(cacheDir)) {
    const m = /^\.tmp-(\d+)-/.exec(n);
    if (m && !processAlive(Number(m[1]))) removeTree(path9.join(cacheDir, n));
  }
}
function removeTree(p) {
  try {
    rmSync5(p, { recursive: true, force: true });
  } catch {
    const open = (d) => {
      try {
        chmodSync3(d, 448);
        for (const e of readdirSync5(d, { withFileTypes: true })) if (e.isDirectory()) open(path9.join(d, e.name));
      } catch {
      }
    };
    open(p);
    rmSync5(p, { recursive: true, force: true });
  }
}
function named(e, file) {
  if (e instanceof XarchError) {
    if (e.message.includes(file)) return e;
    return new XarchError(e.code, `${file}: ${e.message}`, { path: e.path ?? file, ...e.offset !== void 0 ? { offset: e.offset } : {}, ...e.hint ? { hint: e.hint } : {}, cause: e });
  }
  return fromSystemError(e, file, "archive");
}

// src/emulators/sources.ts
function run(argv, what, opts = {}) {
  const r = spawnSync4(argv[0], argv.slice(1), { encoding: "utf8", cwd: opts.cwd, maxBuffer: 64 << 20, timeout: 9e5 });
  if (r.error) {
    throw new XarchError("SOURCE_UNAVAILABLE", `${what}: cannot run ${argv[0]}: ${r.error.message}`, { hint: `install ${argv[0]}` });
  }
  if (r.status !== 0) {
    const last = (r.stderr || r.stdout || "").trim().split("\n").filter((l) => !l.startsWith("W:")).pop() ?? `exit ${r.status}`;
    throw new XarchError("SOURCE_UNAVAILABLE", `${what} failed: ${last}`, { hint: "check the source name and the network" });
  }
  return r.stdout;
}
function unpackSource(source, work, opts = {}) {
  if (source === "apt") {
    if (opts.sha256) throw new XarchError("USAGE", "--sha256 applies to a file source; apt verifies its own downloads", { hint: "drop --sha256" });
    return fromApt(work, opts);
  }
  if (opts.suite) throw new XarchError("USAGE", "--suite applies to the apt source only", { hint: "xarch emulators add apt --suite NAME" });
  if (!existsSync4(source)) {
    throw new XarchError("PATH_NOT_FOUND", `source ${source} is neither 'apt' nor an existing file`, { path: source, hint: "give 'apt', a .deb, an .rpm, a tarball of qemu-* binaries or a docker save archive" });
  }
  const abs = path10.resolve(source);
  const digest = lstatSync6(abs).isFile() ? sha256File(abs) : void 0;
  if (opts.sha256 && opts.sha256.toLowerCase() !== digest) {
    throw new XarchError("CHECKSUM_MISMATCH", `${source} has sha256 ${digest ?? "(a directory)"}, not ${opts.sha256}`, { path: abs, hint: "the file is not the one you meant: download it again or check the checksum you were given" });
  }
  const meta = (kind2, packages) => digest ? { source: `${kind2}:${abs}`, packages, sourceSha256: digest } : { source: `${kind2}:${abs}`, packages };
  const root = path10.join(work, "root");
  mkdirSync5(root, { recursive: true });
  const kind = digest ? packageKind(abs) : null;
  opts.progress?.({ phase: `unpacking ${path10.basename(abs)}`, done: 0, unit: "files" });
  if (kind === "deb") {
    const pkg = run(["dpkg-deb", "-W", "--showformat", "${Package}=${Version}", abs], `reading ${source}`);
    run(["dpkg-deb", "-x", abs, root], `unpacking ${source}`);
    return { ...meta("deb", [pkg]), candidates: findCandidates(root) };
  }
  if (kind === "rpm") {
    const pkg = run(["rpm", "-qp", "--nosignature", "--qf", "%{NAME}=%{VERSION}-%{RELEASE}", abs], `reading ${source}`);
    const sh = `rpm2cpio "$1" | cpio -idm --quiet --no-absolute-filenames`;
    run(["sh", "-c", sh, "sh", abs], `unpacking ${source}`, { cwd: root });
    return { ...meta("rpm", [pkg]), candidates: findCandidates(root) };
  }
  return prepareRoot(abs, { cacheDir: path10.join(work, "roots"), ...opts.progress ? { progress: opts.progress } : {} }).then((p) => ({
    ...meta(p.kind === "image" ? "image" : p.kind, p.image ? [p.image] : []),
    candidates: findCandidates(p.root)
  }));
}
function packageKind(file) {
  const head = Buffer.from(readHead(file, 16));
  if (head.subarray(0, 8).toString("latin1") === "!<arch>\n" && head.subarray(8, 16).toString("latin1").startsWith("debian-b")) return "deb";
  if (head.length >= 4 && head.readUInt32BE(0) === 3987467995) return "rpm";
  return null;
}
function fromApt(work, opts) {
  const aptOpts = opts.suite ? privateAptConfig(work, opts.suite, opts.etcDir ?? "/etc") : [];
  const label2 = opts.suite ? `apt:${opts.suite}` : "apt";
  if (opts.suite) run(["apt-get", ...aptOpts, "update"], `apt-get update for ${opts.suite}`);
  const candidate = (pkg2) => aptCandidate(aptOpts, pkg2);
  const userVersion = candidate("qemu-user");
  const v = qemuVersion(userVersion?.replace(/^\d+:/, "") ?? null);
  const pkg = v && (v[0] > 9 || v[0] === 9 && v[1] >= 1) ? "qemu-user" : "qemu-user-static";
  const version = pkg === "qemu-user" ? userVersion : candidate(pkg);
  if (!version) {
    throw new XarchError("SOURCE_UNAVAILABLE", `apt knows no ${pkg}${opts.suite ? ` in ${opts.suite}` : ""}`, { hint: opts.suite ? "check the suite name (bookworm, trixie, \u2026)" : "apt-get update, or name a suite with --suite" });
  }
  const root = path10.join(work, "root");
  aptDownloadUnpack(aptOpts, `${pkg}=${version}`, path10.join(work, "download"), root, (phase) => opts.progress?.({ phase, done: 0, unit: "files" }));
  return { source: label2, packages: [`${pkg}=${version}`], candidates: findCandidates(root) };
}
function aptCandidate(apt, pkg) {
  const out = spawnSync4("apt-cache", [...apt, "policy", pkg], { encoding: "utf8" }).stdout ?? "";
  const m = /Candidate:\s*(\S+)/.exec(out);
  return m && m[1] !== "(none)" ? m[1] : null;
}
function aptDownloadUnpack(apt, spec, dl, into, phase) {
  mkdirSync5(dl, { recursive: true, mode: 493 });
  spawnSync4("chmod", ["0777", dl]);
  phase?.(`downloading ${spec}`);
  run(["apt-get", ...apt, "download", spec], `apt-get download ${spec}`, { cwd: dl });
  const deb = readdirSync6(dl).find((n) => n.endsWith(".deb"));
  if (!deb) throw new XarchError("SOURCE_UNAVAILABLE", `apt-get download ${spec} left no .deb`, { hint: "run it by hand to see why" });
  mkdirSync5(into, { recursive: true });
  phase?.(`unpacking ${deb}`);
  run(["dpkg-deb", "-x", path10.join(dl, deb), into], `unpacking ${deb}`);
}
function privateAptConfig(work, suite, etcDir) {
  const dir = path10.join(work, "apt");
  for (const d of ["state/lists/partial", "cache/archives/partial", "etc/sources.list.d", "etc/preferences.d"]) mkdirSync5(path10.join(dir, d), { recursive: true });
  spawnSync4("chmod", ["-R", "a+rwX", dir]);
  writeFileSync2(path10.join(dir, "status"), "");
  const host = hostCodename(etcDir);
  const parts = path10.join(etcDir, "apt", "sources.list.d");
  const texts = [];
  const main2 = path10.join(etcDir, "apt", "sources.list");
  if (existsSync4(main2)) texts.push({ name: "host.list", text: readFileSync7(main2, "utf8") });
  for (const n of existsSync4(parts) ? readdirSync6(parts) : []) {
    if (n.endsWith(".list") || n.endsWith(".sources")) texts.push({ name: n, text: readFileSync7(path10.join(parts, n), "utf8") });
  }
  let entries = 0;
  for (const { name, text } of texts) {
    const out = rewriteSuites(text, name.endsWith(".sources"), host, suite);
    if (out.count) {
      writeFileSync2(path10.join(dir, "etc/sources.list.d", name), out.text);
      entries += out.count;
    }
  }
  if (!entries) {
    throw new XarchError("SOURCE_UNAVAILABLE", `no apt source entry of this host names its suite ${host}`, { hint: `add the ${suite} entry to a sources file yourself, or use a .deb` });
  }
  return [
    "-o",
    `Dir::State=${path10.join(dir, "state")}`,
    "-o",
    `Dir::State::status=${path10.join(dir, "status")}`,
    "-o",
    `Dir::Cache=${path10.join(dir, "cache")}`,
    "-o",
    `Dir::Etc::sourcelist=${path10.join(dir, "etc/sources.list")}`,
    "-o",
    `Dir::Etc::sourceparts=${path10.join(dir, "etc/sources.list.d")}`,
    "-o",
    `Dir::Etc::preferencesparts=${path10.join(dir, "etc/preferences.d")}`
  ];
}
function hostCodename(etcDir) {
  const text = existsSync4(path10.join(etcDir, "os-release")) ? readFileSync7(path10.join(etcDir, "os-release"), "utf8") : "";
  const m = /^VERSION_CODENAME="?([a-z]+)"?$/m.exec(text);
  if (!m) throw new XarchError("SOURCE_UNAVAILABLE", `cannot tell this host's release codename from ${etcDir}/os-release`, { hint: "use a .deb source instead" });
  return m[1];
}
function rewriteSuites(text, deb822, host, suite) {
  const swap = (s) => s === host || s.startsWith(`${host}-`) ? suite + s.slice(host.length) : null;
  let count = 0;
  if (deb822) {
    const stanzas = text.split(/\n\s*\n/).map((st) => {
      const m = /^Suites:\s*(.+)$/m.exec(st);
      const suites = m ? m[1].trim().split(/\s+/).map(swap).filter((s) => s !== null) : [];
      if (!m || !suites.length || /^Enabled:\s*no/im.test(st)) return null;
      count++;
      return st.replace(/^Suites:.*$/m, `Suites: ${suites.join(" ")}`);
    });
    return { text: stanzas.filter((s) => s !== null).join("\n\n") + "\n", count };
  }
  const lines = text.split("\n").flatMap((l) => {
    const m = /^(deb(?:-src)?\s+(?:\[[^\]]*\]\s+)?\S+\s+)(\S+)(\s.*)?$/.exec(l.trim());
    const s = m ? swap(m[2]) : null;
    if (!m || s === null || l.trim().startsWith("deb-src")) return [];
    count++;
    return [`${m[1]}${s}${m[3] ?? ""}`];
  });
  return { text: lines.join("\n") + "\n", count };
}
function findCandidates(root) {
  const byCpu = /* @__PURE__ */ new Map();
  const walk = (rel, depth) => {
    if (depth > 12) return;
    let names;
    try {
      names = readdirSync6(path10.join(root, rel));
    } catch {
      return;
    }
    for (const n of names.sort()) {
      const r = path10.join(rel, n);
      const st = lstatSync6(path10.join(root, r));
      if (st.isDirectory()) {
        walk(r, depth + 1);
        continue;
      }
      const parsed = parseEmulatorName(n);
      if (!parsed || parsed.wrapper) continue;
      const file = st.isSymbolicLink() ? resolveInRoot(root, "/" + r) : path10.join(root, r);
      if (!file || !existsSync4(file) || !lstatSync6(file).isFile()) continue;
      let isStatic = false;
      try {
        isStatic = readElfFile(file).linkage !== "dynamic";
      } catch {
      }
      const prev = byCpu.get(parsed.cpu);
      if (!prev || isStatic && !prev.static) byCpu.set(parsed.cpu, { cpu: parsed.cpu, file, static: isStatic });
    }
  };
  walk("", 0);
  return [...byCpu.values()].map(({ cpu, file }) => ({ cpu, file }));
}

// src/manage/install.ts
import os5 from "node:os";

// src/manage/apply.ts
import os4 from "node:os";

// src/manage/options.ts
function asXarchError(e) {
  return isXarchError(e) ? e : new XarchError("INTERNAL", e.message, { cause: e });
}
function errorJson(e) {
  const o = { code: e.code, message: e.message };
  if (e.hint) o.hint = e.hint;
  return o;
}

// src/core/match.ts
function pathExtension(execPath) {
  const i = execPath.lastIndexOf(".");
  return i < 0 ? null : execPath.slice(i + 1);
}
function matchRule(rule, head, execPath) {
  if (rule.type === "E") {
    const extension = pathExtension(execPath);
    return { matches: extension !== null && extension === rule.extension, extension };
  }
  const j = firstMaskedMismatch(head, rule.magic, rule.mask, rule.offset, BINPRM_BUF_SIZE);
  if (j < 0) return { matches: true, matched: rule.magic.length };
  const offset = rule.offset + j;
  const actual = offset < head.length && offset < BINPRM_BUF_SIZE ? head[offset] : 0;
  return { matches: false, matched: j, firstDiff: { offset, expected: rule.magic[j], actual, mask: rule.mask ? rule.mask[j] : 255 } };
}
var hex2 = (n) => "0x" + n.toString(16).padStart(2, "0");
function describeMiss(rule, m) {
  if (rule.type === "E") {
    return m.extension === null ? `the path has no '.', so no extension to compare with .${displayBytes(rule.extension)}` : `extension .${displayBytes(m.extension ?? "")} is not .${displayBytes(rule.extension)} (exact, case-sensitive)`;
  }
  const d = m.firstDiff;
  return `byte ${d.offset} is ${hex2(d.actual)}, the magic wants ${hex2(d.expected)} under mask ${hex2(d.mask)}`;
}
function whichEntry(entries, globalEnabled, head, execPath, nearMissCount = 3) {
  if (!globalEnabled) {
    return { entry: null, reason: 'binfmt_misc is disabled (status reads "disabled"): no entry runs', nearMisses: [], skipped: [] };
  }
  const misses = [];
  const skipped = [];
  let winner = null;
  entries.forEach((e, order) => {
    if (winner) return;
    if (!e.enabled) {
      skipped.push(e.name);
      return;
    }
    const m = matchRule(e.rule, head, execPath);
    if (m.matches) {
      winner = e;
      return;
    }
    const miss = { name: e.name, reason: describeMiss(e.rule, m), score: 0, order };
    if (m.firstDiff) {
      miss.firstDiff = m.firstDiff;
      miss.matched = m.matched;
      miss.score = m.matched / e.rule.magic.length;
    }
    if (e.rule.type === "E") {
      miss.extension = m.extension ?? null;
      miss.score = -1;
    }
    misses.push(miss);
  });
  misses.sort((a, b) => b.score - a.score || a.order - b.order);
  const nearMisses = misses.slice(0, nearMissCount).map(({ score: _s, order: _o, ...rest }) => rest);
  const w = winner;
  if (w) {
    const how = w.rule.type === "E" ? `extension .${displayBytes(w.rule.extension)}` : `magic at offset ${w.rule.offset}`;
    const older = skipped.length ? `; disabled entries skipped: ${skipped.map(displayBytes).join(", ")}` : "";
    return { entry: w, reason: `entry ${displayBytes(w.name)} matches (${how}) and is the newest enabled match${older}`, nearMisses, skipped };
  }
  const none = entries.length === 0 ? "no binfmt_misc entries are registered" : "no enabled binfmt_misc entry matches";
  return { entry: null, reason: `${none}: the kernel's own loaders (ELF, #! scripts) decide, or the exec fails with ENOEXEC`, nearMisses, skipped };
}

// src/core/lint.ts
var ET_EXEC = 2;
var ET_DYN = 3;
var ELFOSABI_SYSV = 0;
var ELFOSABI_GNU = 3;
function hostSampleHeaders(hostMachine) {
  const out = [];
  for (const t of hostTargets(hostMachine)) {
    for (const type of [ET_EXEC, ET_DYN]) {
      for (const osabi of [ELFOSABI_SYSV, ELFOSABI_GNU]) {
        out.push({ label: `${t.name} ${type === ET_DYN ? "PIE" : "executable"} (OSABI ${osabi === ELFOSABI_GNU ? "GNU" : "SYSV"})`, head: elfHeaderFor(t, type, osabi), path: "/usr/bin/true" });
      }
    }
  }
  return out;
}
function elfHeaderFor(t, type, osabi) {
  const h = new Uint8Array(64);
  h.set(t.magic);
  h[7] = osabi;
  h[8] = 0;
  if (t.byteOrder === "little") {
    h[16] = type;
    h[17] = 0;
  } else {
    h[16] = 0;
    h[17] = type;
  }
  return h;
}
var SCRIPT_SAMPLES = [
  { label: "a #!/bin/sh script", head: new TextEncoder().encode("#!/bin/sh\necho hi\n"), path: "/usr/bin/script.sh" },
  { label: "a #! /usr/bin/env python3 script", head: new TextEncoder().encode("#! /usr/bin/env python3\n"), path: "/usr/bin/script.py" }
];
function admits(rule, at, v) {
  const j = at - rule.offset;
  if (rule.type !== "M" || j < 0 || j >= rule.magic.length) return true;
  return maskedByteMatches(v, rule.magic[j], rule.mask ? rule.mask[j] : 255);
}
function isElfRule(rule) {
  if (rule.type !== "M" || rule.offset !== 0 || rule.magic.length < 6) return false;
  return [127, 69, 76, 70].every((b, i) => rule.magic[i] === b && (rule.mask ? rule.mask[i] === 255 : true));
}
function lint(rule, ctx) {
  const findings = [];
  const samples = [...hostSampleHeaders(ctx.hostMachine), ...ctx.hostSamples ?? []];
  const hit = samples.filter((s) => matchRule(rule, s.head, s.path ?? s.label).matches);
  if (hit.length) {
    findings.push({
      code: "MATCHES_HOST_BINARIES",
      severity: "error",
      message: `matches the host's own binaries (${hit.slice(0, 3).map((s) => s.label).join("; ")}${hit.length > 3 ? `; ${hit.length - 3} more` : ""}): every native program on this ${ctx.hostMachine} machine would run through ${displayBytes(rule.interpreter)}`,
      fix: "narrow the magic to the foreign e_machine (bytes 18-19) and class/byte order; never register the host's family ('xarch rule derive' on a foreign binary builds one)"
    });
  }
  const scriptHit = SCRIPT_SAMPLES.some((s) => matchRule(rule, s.head, s.path).matches);
  if (rule.type === "M" && (scriptHit || rule.offset === 0 && admits(rule, 0, 35) && admits(rule, 1, 33))) {
    findings.push({
      code: "MATCHES_SCRIPTS",
      severity: scriptHit ? "error" : "warning",
      message: scriptHit ? "#! scripts match this rule: they would run through the interpreter instead of the one on their #! line" : 'the magic admits "#!" at offset 0: scripts whose first bytes also fit the rest of the magic would be taken from the script loader',
      fix: "make the magic specific (e.g. the full ELF identification) or mask fewer bits of the first bytes"
    });
  }
  if (isElfRule(rule)) {
    const little = rule.magic[5] !== 2;
    const typeAt = little ? 16 : 17;
    if (admits(rule, typeAt, ET_EXEC) && !admits(rule, typeAt, ET_DYN) && admits(rule, little ? 17 : 16, 0)) {
      findings.push({
        code: "MISSES_PIE",
        severity: "warning",
        message: `the mask at byte ${typeAt} (e_type) admits ET_EXEC but not ET_DYN: position-independent executables (most distribution binaries, static-pie) will not match`,
        fix: `use mask ${escapeHex(Uint8Array.of(254))} at byte ${typeAt} so e_type 2 (EXEC) and 3 (DYN) both match`
      });
    }
    if (admits(rule, 7, ELFOSABI_SYSV) !== admits(rule, 7, ELFOSABI_GNU)) {
      const missed = admits(rule, 7, ELFOSABI_SYSV) ? "GNU (3)" : "SYSV (0)";
      findings.push({
        code: "MISSES_GNU_OSABI",
        severity: "warning",
        message: `byte 7 (EI_OSABI) is compared strictly: binaries with OSABI ${missed} will not match (GNU/Linux binaries using IFUNC or unique symbols carry 3, musl and Go binaries 0)`,
        fix: `use mask ${escapeHex(Uint8Array.of(0))} at byte 7`
      });
    }
  }
  if (!rule.interpreter.startsWith("/")) {
    findings.push({
      code: "RELATIVE_INTERPRETER",
      severity: "warning",
      message: rule.flags.includes("F") ? `the interpreter ${displayBytes(rule.interpreter)} is relative: with F it is resolved once, against the working directory of the process that registers it` : `the interpreter ${displayBytes(rule.interpreter)} is relative: the kernel resolves it against the working directory of every exec, so it works only from some directories`,
      fix: "give the absolute path of the interpreter"
    });
  }
  if (rule.flags.includes("F") && ctx.interpreter?.linkage === "dynamic") {
    findings.push({
      code: "F_DYNAMIC_INTERPRETER",
      severity: "warning",
      message: `F pins the interpreter file, but it is dynamically linked${ctx.interpreter.loader ? ` (loader ${ctx.interpreter.loader})` : ""}: its loader and libraries are still looked up at exec time, so it fails inside chroots and containers that lack them`,
      fix: "use a statically linked emulator (qemu-<cpu>-static from qemu-user-static)"
    });
  }
  if (rule.flags.includes("O") && ctx.interpreter?.linkage === "script") {
    findings.push({
      code: "O_SCRIPT_INTERPRETER",
      severity: "error",
      message: "with O (or C) the kernel refuses a #! script as interpreter at exec time: every matching exec fails with ENOEXEC",
      fix: "point the rule at a binary interpreter, or drop O and C"
    });
  }
  if (rule.flags.includes("C")) {
    findings.push({
      code: "C_FLAG",
      severity: "warning",
      message: "C computes credentials from the binary: a setuid foreign binary runs the interpreter with its owner's privileges (and C implies O)",
      fix: "drop C unless setuid foreign binaries must work, and then only with an interpreter you trust with root"
    });
  }
  if (rule.type === "M" && rule.mask) {
    const ignored = [];
    rule.magic.forEach((b, i) => {
      if ((b & ~rule.mask[i]) !== 0) ignored.push(rule.offset + i);
    });
    if (ignored.length) {
      findings.push({
        code: "MASK_IGNORES_MAGIC",
        severity: "info",
        message: `magic bits outside the mask are never compared, at byte${ignored.length > 1 ? "s" : ""} ${ignored.slice(0, 8).join(", ")}${ignored.length > 8 ? ", \u2026" : ""}: the rule is looser than its magic reads`,
        fix: "clear those magic bits (magic & mask) or widen the mask to compare them"
      });
    }
  }
  return findings;
}

// src/manage/ownership.ts
function isOurs(rule) {
  const t = targetForEntryName(rule.name);
  return !!t && rule.type === "M" && rule.offset === 0 && bytesEqual(rule.magic, t.magic) && bytesEqual(rule.mask, t.mask);
}
function sampleFor(rule) {
  if (rule.type === "E") return { head: new Uint8Array(0), path: `/x/file.${rule.extension}` };
  const head = new Uint8Array(Math.min(256, rule.offset + rule.magic.length));
  head.set(rule.magic.subarray(0, head.length - rule.offset), rule.offset);
  return { head, path: "/x/file" };
}
function conflictsFor(rule, entries, globalEnabled = true) {
  const s = sampleFor(rule);
  const others = entries.filter((e) => e.name !== rule.name && e.enabled && matchRule(e.rule, s.head, s.path).matches);
  if (others.length === 0) return [];
  const w = whichEntry(entries, globalEnabled, s.head, s.path);
  const winner = w.entry?.name ?? rule.name;
  return others.map((e) => ({ name: e.name, winner }));
}

// src/manage/plan.ts
var C_WARNING = "flag C: a setuid/setgid foreign binary runs the emulator with the binary owner's privileges (root for setuid-root files); a bug in QEMU then becomes a privilege escalation. Only use it for chroots/containers that need sudo/su/ping.";
function validFlags(flags) {
  if (/[^POCF]/.test(flags)) throw new XarchError("USAGE", `invalid flags '${flags}': only P, O, C and F are binfmt_misc flags`, { hint: "e.g. --flags POF" });
  return canonicalFlags(flags);
}
function factsOf(facts, interpreter) {
  const f = facts.interpreters.get(interpreter);
  if (!f) throw new XarchError("INTERNAL", `no file-system facts were gathered for interpreter ${displayBytes(interpreter)}`);
  return f;
}
function checkRule(rule, opts, facts, emulator) {
  const warnings = [];
  const interpreter = factsOf(facts, rule.interpreter);
  if (interpreter.problem) return { refusal: interpreter.problem, warnings };
  const isWrapper = /-binfmt-P$/.test(rule.interpreter);
  if (isWrapper && !rule.flags.includes("P")) {
    return {
      refusal: new XarchError("EMULATOR_UNSAFE", `${displayBytes(rule.interpreter)} is a Debian -binfmt-P wrapper: QEMU run under that name expects the kernel to pass argv[0] (flag P) and would take the program's first argument as its argv[0] without it`, {
        path: rule.interpreter,
        hint: "add P to the flags, or use the plain emulator (e.g. /usr/bin/qemu-<cpu>-static)"
      }),
      warnings
    };
  }
  const isStatic = emulator ? emulator.static : interpreter.static;
  if (rule.flags.includes("F") && isStatic === false) {
    if (!opts.force) {
      return {
        refusal: new XarchError("EMULATOR_UNSAFE", `F pins ${displayBytes(rule.interpreter)}, but it is dynamically linked: inside chroots and containers its libraries are missing and every foreign program fails`, {
          path: rule.interpreter,
          hint: "install a static emulator (apt-get install qemu-user-static), drop F (--flags PO), or --force"
        }),
        warnings
      };
    }
    warnings.push("F with a dynamically linked emulator: it will fail inside chroots/containers that lack its libraries");
  }
  if (rule.flags.includes("C")) warnings.push(C_WARNING);
  for (const f of lint(rule, { hostMachine: facts.machine })) {
    if (f.severity !== "error") continue;
    if (f.code === "MATCHES_HOST_BINARIES" && opts.allowHost) {
      warnings.push(f.message);
      continue;
    }
    if (opts.force && f.code !== "MATCHES_HOST_BINARIES") {
      warnings.push(f.message);
      continue;
    }
    return { refusal: new XarchError(f.code === "MATCHES_HOST_BINARIES" ? "HOST_FAMILY" : "RULE_INVALID", f.message, { hint: f.fix }), warnings };
  }
  return { warnings };
}
function wantedTargets(req, machine, emulators) {
  const all = req.targets.length === 1 && req.targets[0] === "all";
  if (req.targets.length === 0 || all) {
    return TARGETS.filter((t) => !isHostTarget(t, machine)).filter((t) => all || emulators.some((e) => e.target === t.name)).map((t) => ({ target: t, explicit: false }));
  }
  const seen = /* @__PURE__ */ new Set();
  const wanted = [];
  for (const name of req.targets) {
    const t = resolveTarget(name).target;
    if (!seen.has(t.name)) wanted.push({ target: t, explicit: true });
    seen.add(t.name);
  }
  return wanted;
}
function targetCandidates(req, emulators, facts, opts = {}) {
  const { machine, kernelRelease: release } = facts;
  const plans = [];
  for (const { target: t, explicit } of wantedTargets(req, machine, emulators)) {
    const name = xarchEntryName(t);
    const placeholder = ruleFromTarget(t, { name, interpreter: "", flags: "" });
    const refuse = (refusal) => plans.push({ rule: placeholder, target: t.name, warnings: [], refusal });
    if (isHostTarget(t, machine) && !opts.allowHost) {
      refuse(new XarchError("HOST_FAMILY", `${t.name} is the host's own family (${machine}): a handler would send this machine's native programs through QEMU`, {
        hint: "only for a CPU feature the host lacks: --allow-host"
      }));
      continue;
    }
    const emu = bestEmulator(t.name, emulators);
    if (!emu) {
      const err = new XarchError("EMULATOR_NOT_FOUND", `no emulator for ${t.name} (looked for ${`qemu-${t.cpu}-static`}, qemu-${t.cpu}, ${t.cpu}-binfmt-P)`, { hint: emulatorHint() });
      if (explicit) refuse(err);
      else plans.push({ rule: placeholder, target: t.name, warnings: [], skip: err.message });
      continue;
    }
    let flags;
    try {
      flags = opts.flags !== void 0 ? validFlags(opts.flags + (opts.credentials ? "C" : "")) : defaultFlags(emu, !!opts.credentials, release);
    } catch (e) {
      refuse(e);
      continue;
    }
    if (flags.includes("F") && !kernelAtLeast(release, 4, 8)) {
      refuse(new XarchError("KERNEL_TOO_OLD", `flag F needs Linux 4.8 (this is ${release})`, { hint: "drop F: --flags PO" }));
      continue;
    }
    const warnings = [];
    if (flags.includes("P") && !emu.preserveArgv0) warnings.push(`${emu.path} may not honour P (QEMU ${emu.version ?? "version unknown"}; needs QEMU 6.0+ on Linux 5.12+, or Debian's -binfmt-P wrapper): programs would see an extra argument`);
    const rule = ruleFromTarget(t, { name, interpreter: emu.path, flags });
    const check = checkRule(rule, opts, facts, emu);
    plans.push({ rule, target: t.name, emulator: emu, warnings: [...warnings, ...check.warnings], ...check.refusal ? { refusal: check.refusal } : {} });
  }
  return plans;
}
function differences(a, b) {
  const d = [];
  if (a.interpreter !== b.interpreter) d.push(`interpreter ${displayBytes(a.interpreter)} \u2192 ${displayBytes(b.interpreter)}`);
  if (canonicalFlags(a.flags) !== canonicalFlags(b.flags)) d.push(`flags '${a.flags}' \u2192 '${b.flags}'`);
  if (a.type !== b.type || a.offset !== b.offset || !bytesEqual(a.magic, b.magic) || !bytesEqual(a.mask, b.mask) || a.extension !== b.extension) d.push("magic/mask");
  return d.join(", ");
}
function decide(c, existing, ctx, round = 0) {
  const rule = c.rule;
  const base = { name: rule.name, status: "failed", interpreter: rule.interpreter, flags: rule.flags, register: displayBytes(renderRegister(rule)) };
  if (c.target) base.target = c.target;
  if (c.emulator) base.emulator = { path: c.emulator.path, kind: c.emulator.kind, static: c.emulator.static, version: c.emulator.version, preserveArgv0: c.emulator.preserveArgv0 };
  if (c.warnings.length) base.warnings = c.warnings;
  if (ctx.dryRun) base.dryRun = true;
  const to = (action, status, reason, error) => ({ action, item: { ...base, status, reason, ...error ? { error: errorJson(error) } : {} } });
  if (c.skip) return to("skip", "skipped", c.skip);
  if (c.refusal) return to("refuse", "failed", c.refusal.message, c.refusal);
  if (existing && sameRule(existing.rule, rule)) {
    if (existing.enabled) return to("unchanged", "unchanged", round > 0 ? "registered concurrently by another process, identical" : "already registered");
    return to("enable", "replaced", `identical but disabled: ${ctx.dryRun ? "would enable" : "enabled"} it`);
  }
  if (existing && !isOurs(existing.rule) && !ctx.force) {
    return to("skip", "skipped", `an entry named ${displayBytes(rule.name)} exists and is not xarch's (${displayBytes(existing.rule.interpreter)}, flags '${existing.rule.flags}', other magic/mask): left alone; --force replaces it`);
  }
  if (existing) return to("replace", "replaced", `${ctx.dryRun ? "would replace" : "replaced"}: ${differences(existing.rule, rule)}`);
  if (ctx.dryRun) return to("register", "installed", ctx.mounted ? "would register" : "would mount binfmt_misc and register");
  return to("register", "installed", round > 0 ? "registered after a concurrent removal" : "registered");
}
function afterStep(entries, step, rule) {
  if (step.action === "register" || step.action === "replace") return [{ name: rule.name, enabled: true, rule }, ...entries.filter((e) => e.name !== rule.name)];
  if (step.action === "enable") return entries.map((e) => e.name === rule.name ? { ...e, enabled: true } : e);
  return [...entries];
}
function reconcile(candidates, instance, opts = {}) {
  const context = { mounted: instance.mounted, dryRun: !!opts.dryRun, force: !!opts.force };
  let entries = instance.mounted ? [...instance.entries] : [];
  const steps = [];
  for (const candidate of candidates) {
    const d = decide(candidate, entries.find((e) => e.name === candidate.rule.name) ?? null, context);
    steps.push({ candidate, ...d });
    entries = afterStep(entries, d, candidate.rule);
  }
  if (instance.mounted) setConflicts(steps.map((s) => s.item), steps.map((s) => s.candidate.rule), entries, instance.globalEnabled);
  const runnable = candidates.some((c) => !c.refusal && !c.skip);
  return { steps, context, mount: runnable && !instance.mounted && !context.dryRun && opts.mount !== false };
}
function setConflicts(items, rules, entries, globalEnabled) {
  items.forEach((item, i) => {
    delete item.conflicts;
    if (item.status === "failed" || item.status === "skipped") return;
    const c = conflictsFor(rules[i], entries, globalEnabled);
    if (c.length) item.conflicts = c;
  });
}
function planTargets(req, emulators, facts, opts = {}) {
  return reconcile(targetCandidates(req, emulators, facts, opts), facts.instance, opts);
}

// src/manage/apply.ts
function readInstance(dir) {
  if (!isMounted(dir)) return { mounted: false, entries: [], globalEnabled: true };
  return { mounted: true, entries: readLiveEntries(dir), globalEnabled: readGlobalStatus(dir) === "enabled" };
}
function carryOut(dir, step, ctx, release) {
  const rule = step.candidate.rule;
  let { action, item } = step;
  for (let round = 0; round < 5; round++) {
    if (round > 0) ({ action, item } = decide(step.candidate, ctx.mounted ? readEntry(dir, rule.name) : null, ctx, round));
    if (action === "enable") setEntryEnabled(dir, rule.name, true);
    if (action !== "register" && action !== "replace") return { ...item };
    if (action === "replace") removeEntry(dir, rule.name);
    try {
      registerRule(dir, rule, { release });
    } catch (e) {
      if (isXarchError(e) && (e.code === "BINFMT_EXISTS" || e.code === "BINFMT_WRITE_FAILED" && e.errno === "ENOENT")) continue;
      throw e;
    }
    return { ...item };
  }
  return { ...item, status: "failed", reason: `${displayBytes(rule.name)} kept changing under concurrent installs; run install again`, error: { code: "BINFMT_WRITE_FAILED", message: "concurrent modification" } };
}
function applyPlan(plan, opts = {}) {
  const dir = opts.binfmtDir ?? DEFAULT_BINFMT_DIR;
  const release = opts.kernelRelease ?? os4.release();
  const { dryRun } = plan.context;
  const items = plan.steps.map((step) => {
    let item;
    try {
      item = dryRun ? { ...step.item } : carryOut(dir, step, plan.context, release);
    } catch (e) {
      const err = asXarchError(e);
      const rule = step.candidate.rule;
      item = { name: rule.name, status: "failed", reason: err.message, error: errorJson(err), interpreter: rule.interpreter, flags: rule.flags };
      if (step.candidate.target) item.target = step.candidate.target;
    }
    if (opts.persist && !dryRun && (item.status === "installed" || item.status === "replaced" || item.status === "unchanged")) {
      try {
        const p = opts.persist.write(step.candidate.rule);
        if (typeof p === "string") item.persisted = p;
      } catch (e) {
        const err = asXarchError(e);
        item.status = "failed";
        item.reason = `${item.reason ?? ""}; persisting failed: ${err.message}`.replace(/^; /, "");
        item.error = errorJson(err);
      }
    }
    return item;
  });
  if (!dryRun) {
    const after = readInstance(dir);
    setConflicts(items, plan.steps.map((s) => s.candidate.rule), after.entries, after.globalEnabled);
  }
  return items;
}

// src/manage/interpreter-safety.ts
import { lstatSync as lstatSync7, readFileSync as readFileSync8, readlinkSync as readlinkSync2, statSync as statSync6 } from "node:fs";
import path11 from "node:path";
function interpreterProblem(interpreter) {
  const trustedOwner = ownerTrust();
  const shown2 = displayBytes(interpreter);
  if (!interpreter.startsWith("/")) {
    return new XarchError("EMULATOR_UNSAFE", `interpreter ${shown2} is a relative path (the kernel would resolve it against each program's working directory)`, {
      path: interpreter,
      hint: "give an absolute path"
    });
  }
  let st;
  try {
    st = statSync6(interpreter);
  } catch {
    return new XarchError("EMULATOR_NOT_FOUND", `interpreter ${shown2} does not exist`, { path: interpreter, errno: "ENOENT", hint: emulatorHint() });
  }
  if (!st.isFile() || (st.mode & 73) === 0) {
    return new XarchError("EMULATOR_UNSAFE", `interpreter ${shown2} is not an executable file`, { path: interpreter, errno: "EACCES", hint: "chmod 755 it, or name another emulator" });
  }
  let chain;
  try {
    chain = resolutionChain(interpreter);
  } catch {
    return new XarchError("EMULATOR_UNSAFE", `interpreter ${shown2} cannot be resolved (a symlink loop or an unreadable directory)`, { path: interpreter, errno: "ELOOP", hint: "name the emulator by a path without symlink loops" });
  }
  const final = chain[chain.length - 1];
  for (const cur of chain) {
    let s;
    try {
      s = lstatSync7(cur);
    } catch {
      continue;
    }
    const isLink = s.isSymbolicLink();
    const groupOrOtherWritable = (s.mode & 18) !== 0;
    const sticky = (s.mode & 512) !== 0;
    const bad = !trustedOwner(s.uid) ? `is owned by uid ${s.uid}` : !isLink && groupOrOtherWritable && !(s.isDirectory() && sticky && cur !== final) ? "is writable by group or others" : null;
    if (bad) {
      return new XarchError("EMULATOR_UNSAFE", `interpreter ${shown2} is unsafe: ${cur} ${bad}, so a non-root user could replace the emulator every foreign program runs through`, {
        path: cur,
        hint: `install the emulator in a root-owned directory that only root can write (chmod go-w ${cur}; chown root ${cur})`
      });
    }
  }
  return null;
}
function resolutionChain(p) {
  const visited = ["/"];
  let todo = p.split("/").filter(Boolean);
  let cur = "/";
  let links = 0;
  while (todo.length) {
    const c = todo.shift();
    if (c === ".") continue;
    if (c === "..") {
      cur = path11.dirname(cur);
      continue;
    }
    const next = cur === "/" ? `/${c}` : `${cur}/${c}`;
    visited.push(next);
    if (!lstatSync7(next, { throwIfNoEntry: false })?.isSymbolicLink()) {
      cur = next;
      continue;
    }
    if (++links > 40) throw new Error("ELOOP");
    const target = readlinkSync2(next);
    if (target.startsWith("/")) cur = "/";
    todo = [...target.split("/").filter(Boolean), ...todo];
  }
  return [...new Set(visited)];
}
function ownerTrust() {
  let overflow = -1;
  try {
    const map = readFileSync8("/proc/self/uid_map", "utf8").trim().split(/\s+/);
    const initial = map.length === 3 && map[0] === "0" && map[1] === "0" && map[2] === "4294967295";
    if (!initial) overflow = Number(readFileSync8("/proc/sys/kernel/overflowuid", "utf8").trim());
  } catch {
  }
  return (uid) => uid === 0 || uid === overflow;
}
function checkInterpreters(interpreters) {
  const out = /* @__PURE__ */ new Map();
  for (const p of interpreters) {
    if (out.has(p)) continue;
    const problem = interpreterProblem(p);
    out.set(p, { problem, static: problem ? null : elfIsStatic(p) });
  }
  return out;
}

// src/manage/install.ts
async function withNeededVersions(found, wanted, opts, release) {
  if (opts.emulators && opts.emulators.some((e) => e.version !== null)) return found;
  const versioned = await withVersions(found.filter((e) => wanted.has(e.target) && e.kind !== "wrapper"), release);
  const byKey = new Map(versioned.map((e) => [`${e.target}\0${e.path}`, e]));
  return found.map((e) => byKey.get(`${e.target}\0${e.path}`) ?? e);
}
function planOnInstance(dir, makePlan) {
  const plan = makePlan(readInstance(dir));
  if (!plan.mount) return plan;
  ensureMounted(dir);
  return makePlan(readInstance(dir));
}
async function installTargets(req, opts = {}) {
  const machine = opts.machine ?? os5.machine();
  const kernelRelease = opts.kernelRelease ?? os5.release();
  const found = opts.emulators ?? findEmulators({ ...opts.emulatorSearch ?? {}, kernelRelease });
  const wanted = new Set(wantedTargets(req, machine, found).map((w) => w.target.name));
  const emulators = await withNeededVersions(found, wanted, opts, kernelRelease);
  const interpreters = checkInterpreters(emulators.filter((e) => wanted.has(e.target)).map((e) => e.path));
  const plan = planOnInstance(opts.binfmtDir ?? DEFAULT_BINFMT_DIR, (instance) => planTargets(req, emulators, { machine, kernelRelease, interpreters, instance }, opts));
  return applyPlan(plan, { ...opts, kernelRelease });
}

// src/manage/change.ts
import { rmSync as rmSync6, rmdirSync } from "node:fs";
import path12 from "node:path";

// src/manage/select.ts
function globToRegExp(glob) {
  let re = "";
  for (const ch of glob) re += ch === "*" ? ".*" : ch === "?" ? "." : /[\\^$.|+()[\]{}]/.test(ch) ? "\\" + ch : ch;
  return new RegExp(`^${re}$`);
}
function selectEntries(args, entries, force = false) {
  const out = [];
  const problems = [];
  const add = (e) => {
    if (!out.includes(e)) out.push(e);
  };
  if (args.length === 0) {
    for (const e of entries) if (isOurs(e.rule)) add(e);
    return { entries: out, problems };
  }
  for (const arg of args) {
    const exact = entries.find((e) => e.name === arg);
    if (exact) {
      if (isOurs(exact.rule) || force) add(exact);
      else problems.push({ arg, name: exact.name, status: "skipped", reason: `${arg} is not xarch's entry (another tool registered it); add --force to change it` });
      continue;
    }
    if (/[*?]/.test(arg)) {
      const re = globToRegExp(arg);
      const hits = entries.filter((e) => re.test(e.name) && (force || isOurs(e.rule)));
      if (hits.length === 0) problems.push({ arg, status: "absent", reason: `no ${force ? "" : "xarch "}entry matches ${arg}` });
      hits.forEach(add);
      continue;
    }
    let t;
    try {
      t = resolveTarget(arg).target;
    } catch (e) {
      problems.push({ arg, status: "failed", reason: `no entry named ${arg}, and it is not an architecture name: ${e.message}` });
      continue;
    }
    const name = xarchEntryName(t);
    const hit = entries.find((e) => e.name === name);
    if (!hit) problems.push({ arg, name, status: "absent", reason: `${name} is not registered` });
    else if (isOurs(hit.rule) || force) add(hit);
    else problems.push({ arg, name, status: "skipped", reason: `${name} is not xarch's entry (another tool registered it); add --force to change it` });
  }
  return { entries: out, problems };
}

// src/manage/change.ts
function liveEntries(dir, unmountedIsEmpty) {
  if (!isMounted(dir)) {
    if (unmountedIsEmpty) return [];
    throw new XarchError("BINFMT_NOT_MOUNTED", `binfmt_misc is not mounted at ${dir}`, { path: dir, hint: "nothing is registered; 'xarch install' mounts it and registers handlers" });
  }
  return readLiveEntries(dir);
}
function uninstall(args, opts = {}) {
  const dir = opts.binfmtDir ?? DEFAULT_BINFMT_DIR;
  const live = liveEntries(dir, true);
  const sel = selectEntries(args, live, opts.force);
  const items = sel.problems.map((p) => ({ name: p.name ?? p.arg, arg: p.arg, status: p.status, reason: p.reason }));
  if (args.length === 0 && opts.persist?.list) {
    for (const name of opts.persist.list()) {
      if (sel.entries.some((e) => e.name === name)) continue;
      const other = live.some((e) => e.name === name);
      items.push({ name, status: other ? "skipped" : "absent", reason: other ? `${name} is not xarch's entry (another tool registered it); only xarch's persisted file is removed` : `${name} is not registered` });
    }
  }
  for (const e of sel.entries) {
    const item = { name: e.name, status: "failed" };
    try {
      if (opts.dryRun) {
        Object.assign(item, { status: "removed", reason: "would remove" });
      } else {
        const gone = removeEntry(dir, e.name);
        Object.assign(item, { status: gone ? "removed" : "absent", enabled: readEntry(dir, e.name)?.enabled ?? null, reason: gone ? "removed" : "already gone (removed concurrently)" });
      }
    } catch (err) {
      const x = asXarchError(err);
      Object.assign(item, { status: "failed", reason: x.message, error: errorJson(x) });
    }
    items.push(item);
  }
  if (opts.persist && !opts.dryRun) {
    for (const item of items) {
      if (item.status !== "removed" && item.status !== "absent" && item.status !== "skipped") continue;
      try {
        const r = opts.persist.remove(item.name);
        if (r !== void 0 && r !== false) item.persistedRemoved = r;
      } catch (err) {
        const x = asXarchError(err);
        Object.assign(item, { status: "failed", reason: `removing the persisted file failed: ${x.message}`, error: errorJson(x) });
      }
    }
  }
  if (!opts.dryRun && opts.cpuWrapperDir) removeUnusedWrappers(dir, opts.cpuWrapperDir, sel.entries, items);
  if (!opts.dryRun && isMounted(dir) && readLiveEntries(dir).length === 0 && unmountIfOurs(dir)) opts.onUnmounted?.(dir);
  return items;
}
function removeUnusedWrappers(dir, wrapperDir, removed, items) {
  const inside2 = path12.resolve(wrapperDir) + path12.sep;
  const stillUsed = new Set(isMounted(dir) ? readLiveEntries(dir).map((e) => e.rule.interpreter) : []);
  for (const e of removed) {
    const item = items.find((i) => i.name === e.name && i.status === "removed");
    const file = e.rule.interpreter;
    if (!item || !file || !path12.resolve(file).startsWith(inside2) || stillUsed.has(file)) continue;
    try {
      rmSync6(file, { force: true });
      item.wrapperRemoved = file;
      rmdirSync(path12.dirname(file));
    } catch {
    }
  }
}

// src/persist/persist.ts
import { existsSync as existsSync5, readFileSync as readFileSync9, rmSync as rmSync7 } from "node:fs";
import path13 from "node:path";

// src/formats/format.ts
var FLAG_NAMES = { P: "preserve-argv0", O: "open-binary", C: "credentials", F: "fix-binary" };
function droppedFlags(rule, carries) {
  const flags = canonicalFlags(rule.flags);
  const said = (f) => carries.flags.includes(f) || f === "O" && flags.includes("C") && carries.flags.includes("C");
  const dropped = [...flags].filter((f) => !said(f)).join("");
  return { dropped, kept: canonicalFlags([...flags].filter(said).join("")) };
}
function formatWarnings(format, entry) {
  const name = entry.rule.name;
  const out = [];
  const { dropped, kept } = droppedFlags(entry.rule, format.carries);
  if (dropped) {
    const which = [...dropped].map((f) => `${f} (${FLAG_NAMES[f]})`).join(", ");
    out.push({ name, message: `the ${format.name} format cannot carry the ${which} flag${dropped.length > 1 ? "s" : ""}; registered from it, the entry gets flags '${kept}'` });
  }
  if (!entry.enabled && !format.carries.disabled) {
    out.push({ name, message: `the entry is disabled, which the ${format.name} format cannot say; registered from it, the entry is enabled` });
  }
  return out;
}
function defineFormat(spec) {
  const format = {
    name: spec.name,
    description: spec.description,
    carries: spec.carries,
    fileName: spec.fileName,
    render(entries) {
      const out = { text: "", documents: [], warnings: [], failures: [] };
      for (const entry of entries) {
        const name = entry.rule.name;
        let text;
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
    }
  };
  if (spec.parse) format.parse = spec.parse;
  return format;
}
function cannotWrite(rule, format, hint) {
  return new XarchError("RULE_INVALID", `rule ${displayBytes(rule.name)} cannot be written as a ${format}`, { hint });
}

// src/formats/binfmt-d.ts
function parseBinfmtDLine(line, opts = {}) {
  const stripped = line.replace(/^[ \t\n\r]+|[ \t\n\r]+$/g, "");
  if (stripped === "" || stripped[0] === "#" || stripped[0] === ";") return null;
  return parseRegister(stripped + "\n", opts);
}
function parseBinfmtD(text, opts = {}) {
  const out = [];
  text.split("\n").forEach((l, i) => {
    const r = parseBinfmtDLine(l, opts);
    if (r) out.push({ line: i + 1, result: r });
  });
  return out;
}
function parseBinfmtDFile(text, file) {
  const rules = [];
  const errors = [];
  for (const { line, result } of parseBinfmtD(text)) {
    const source = `${file}:${line}`;
    if (result.ok) rules.push({ rule: result.rule, source });
    else errors.push({ source, errno: result.errno, message: result.message });
  }
  return { rules, errors };
}
function renderBinfmtD(rules, comment) {
  let s = "";
  if (comment) for (const l of comment.split("\n")) s += `# ${l}
`;
  for (const r of rules) {
    const line = renderRegister(r);
    if (/[\n]/.test(line) || line !== line.trim() || line[0] === "#" || line[0] === ";") {
      throw cannotWrite(r, "binfmt.d line", "avoid newlines and surrounding spaces in the name and interpreter");
    }
    s += line + "\n";
  }
  return s;
}
var binfmtD = defineFormat({
  name: "binfmt.d",
  description: "systemd-binfmt lines (/etc/binfmt.d/*.conf)",
  carries: { flags: "POCF", disabled: false },
  fileName: (name) => `${name}.conf`,
  renderEntry: (entry) => renderBinfmtD([entry.rule]),
  parse: parseBinfmtDFile
});

// src/persist/persist.ts
var MARK = "written by xarch";
function persistPath(name, etcDir = "/etc") {
  if (name.includes("/") || name === "." || name === "..") {
    throw new XarchError("RULE_INVALID", `entry name '${name}' cannot be a file name`, { hint: "binfmt_misc names never contain /" });
  }
  return path13.join(etcDir, "binfmt.d", `${name}.conf`);
}
function writePersisted(rule, opts = {}) {
  const file = persistPath(rule.name, opts.etcDir);
  const text = renderBinfmtD([rule], `${MARK} install --persist; removed by xarch uninstall`);
  writeFileAtomic(file, stringBytes(text), { mode: 420, ifChanged: true, what: "binfmt.d file" });
  return file;
}
function removePersisted(name, opts = {}) {
  const file = persistPath(name, opts.etcDir);
  try {
    if (!existsSync5(file)) return false;
    if (!readFileSync9(file, "latin1").includes(MARK)) return false;
    rmSync7(file);
    return file;
  } catch (e) {
    throw fromSystemError(e, file, "binfmt.d file");
  }
}

// src/verify/verify.ts
import { chmodSync as chmodSync4, mkdtempSync as mkdtempSync3, rmSync as rmSync8, writeFileSync as writeFileSync3 } from "node:fs";
import { spawnSync as spawnSync5 } from "node:child_process";
import os6 from "node:os";
import path14 from "node:path";
function liveState(dir) {
  if (!isMounted(dir)) return { entries: [], enabled: false };
  try {
    return { entries: readLiveEntries(dir), enabled: readGlobalStatus(dir) === "enabled" };
  } catch {
    return { entries: [], enabled: false };
  }
}
function verifyTargets(targets, opts = {}) {
  const dir = opts.binfmtDir ?? DEFAULT_BINFMT_DIR;
  const machine = opts.machine ?? os6.machine();
  const timeout = opts.timeoutMs ?? 2e4;
  const live = liveState(dir);
  const tmp = mkdtempSync3(path14.join(os6.tmpdir(), "xarch-verify-"));
  try {
    const helperBytes = buildExecHelper(machine === "arm64" ? "aarch64" : machine);
    let helper = null;
    if (helperBytes) {
      helper = path14.join(tmp, "exec-helper");
      writeFileSync3(helper, helperBytes);
      chmodSync4(helper, 493);
    }
    return targets.map((name) => verifyOne(name, tmp, helper, live, machine, timeout));
  } finally {
    rmSync8(tmp, { recursive: true, force: true });
  }
}
function verifyOne(name, tmp, helper, live, machine, timeout) {
  const base = { target: name, ok: false, result: "no-probe", entry: null, interpreter: null, flags: null, exitCode: null, signal: null, stdout: "", ms: 0 };
  if (!hasProbe(name)) {
    return { ...base, error: { message: `xarch has no self-test probe for ${name}`, hint: "run a real binary of that architecture instead, e.g. xarch which FILE; xarch doctor FILE" } };
  }
  const bytes = buildProbe(name);
  const file = path14.join(tmp, `probe-${name}`);
  writeFileSync3(file, bytes);
  chmodSync4(file, 493);
  const t = getTarget(name);
  const native = t ? isHostTarget(t, machine) : false;
  const w = whichEntry(live.entries, live.enabled, bytes, file);
  if (w.entry && !native) {
    base.entry = w.entry.name;
    base.interpreter = w.entry.rule.interpreter;
    base.flags = w.entry.rule.flags;
  }
  const start = process.hrtime.bigint();
  const r = helper ? spawnSync5(helper, [file], { encoding: "utf8", timeout, killSignal: "SIGKILL", stdio: ["ignore", "pipe", "pipe"] }) : spawnSync5(file, [], { encoding: "utf8", timeout, killSignal: "SIGKILL", stdio: ["ignore", "pipe", "pipe"] });
  const ms = Number((process.hrtime.bigint() - start) / 1000000n);
  const out = { ...base, ms, exitCode: r.status, signal: r.signal, stdout: r.stdout ?? "" };
  let err = r.error;
  if (!err && helper && r.status !== null && (r.stderr ?? "").endsWith(EXEC_HELPER_MARKER)) {
    const code = ERRNO_NAMES[r.status] ?? `errno ${r.status}`;
    err = Object.assign(new Error(code), { code });
    out.exitCode = null;
  } else if (!err && !helper && !w.entry && !native && r.status === 2 && /Syntax error|not found/.test(r.stderr ?? "")) {
    err = Object.assign(new Error("ENOEXEC"), { code: "ENOEXEC" });
    out.exitCode = null;
  }
  if (err && err.code === "ETIMEDOUT") {
    return { ...out, result: "timeout", error: { message: `the probe did not finish within ${timeout} ms`, hint: "the emulator hangs; try running it directly: xarch run FILE" } };
  }
  if (err) {
    if (err.code === "ENOEXEC") {
      return { ...out, result: "no-handler", error: { message: "exec format error: no binfmt_misc entry matches this architecture", hint: `register one: xarch install ${name}` } };
    }
    if (err.code === "ENOENT") {
      return { ...out, result: "interpreter-missing", error: { message: `no such file or directory: the handler's interpreter ${base.interpreter ?? ""} cannot be run`.replace("  ", " "), hint: "install the emulator, or re-register it with F so the kernel keeps it open: xarch doctor" } };
    }
    return { ...out, result: "exec-failed", error: { message: `exec failed: ${err.code ?? err.message}`, hint: "xarch doctor explains what blocks it" } };
  }
  if (r.signal) {
    return { ...out, result: "crashed", error: { message: `the probe was killed by ${r.signal}`, hint: "the emulator does not run this architecture correctly; check its version with xarch emulators" } };
  }
  if (r.status === PROBE_EXIT && r.stdout === probeMessage(name)) {
    return { ...out, ok: true, result: native ? "native" : "ok" };
  }
  const stderr = (r.stderr ?? "").trim().split("\n")[0] ?? "";
  return { ...out, result: "wrong-output", error: { message: `expected exit ${PROBE_EXIT} and "${probeMessage(name).trim()}", got exit ${r.status}${stderr ? `: ${stderr}` : ""}`, hint: "the handler runs something other than a working emulator for this target: xarch status" } };
}
var ERRNO_NAMES = { 1: "EPERM", 2: "ENOENT", 7: "E2BIG", 8: "ENOEXEC", 12: "ENOMEM", 13: "EACCES", 20: "ENOTDIR", 26: "ETXTBSY", 40: "ELOOP" };

// src/action/setup.ts
var IN_EFFECT = /* @__PURE__ */ new Set(["installed", "replaced", "unchanged"]);
function aptInstalled() {
  const r = spawnSync6("dpkg-query", ["-W", "-f=${Status}", "qemu-user-static"], { encoding: "utf8" });
  return r.status === 0 && r.stdout.includes("install ok installed");
}
function aptInstall(log) {
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  const install = () => spawnSync6("apt-get", ["install", "-y", "--no-install-recommends", "qemu-user-static"], { encoding: "utf8", env });
  log("apt-get install qemu-user-static");
  let r = install();
  if (r.status !== 0) {
    spawnSync6("apt-get", ["update"], { encoding: "utf8", env });
    r = install();
  }
  if (r.error || r.status !== 0) {
    const why = r.error?.message ?? (r.stderr || "").trim().split("\n").pop() ?? `exit ${r.status}`;
    throw new XarchError("SOURCE_UNAVAILABLE", `apt-get install qemu-user-static failed: ${why}`, { hint: "give 'emulators' a cached .deb or store set instead of apt" });
  }
}
async function fromPath(source, opts, log) {
  if (!existsSync6(source)) throw new XarchError("PATH_NOT_FOUND", `emulators: ${source} does not exist`, { path: source, hint: "give 'apt', a .deb, a tarball of qemu-* binaries, a set directory or a store directory" });
  let from = source;
  if (existsSync6(path15.join(source, "sets"))) {
    const newest = new Store(source).list().at(-1);
    if (!newest) throw new XarchError("SET_NOT_FOUND", `the store ${source} holds no set`, { path: source, hint: "xarch emulators add apt --store DIR" });
    from = new Store(source).setDir(newest.id);
  }
  const work = mkdtempSync4(path15.join(os7.tmpdir(), "xarch-action-"));
  try {
    const unpacked = await unpackSource(from, work);
    const store = new Store(opts.storeDir);
    const added = await store.add(unpacked.candidates, unpacked, () => []);
    log(`emulator set ${added.manifest.id} (QEMU ${added.manifest.version ?? "?"}, ${added.manifest.files.length} emulators) in ${store.dir}`);
    return store.emulators(added.manifest);
  } finally {
    rmSync9(work, { recursive: true, force: true });
  }
}
function wantedPlatforms(req, emulators, machine) {
  if (req.platforms !== "all") return req.platforms;
  const served = new Set(emulators.map((e) => e.target));
  return TARGETS.filter((t) => served.has(t.name) && hasProbe(t.name) && !isHostTarget(t, machine)).map((t) => platformName(t.name));
}
async function setUp(req, opts) {
  const log = opts.log ?? (() => {
  });
  const machine = opts.machine ?? os7.machine();
  let emulators;
  if (req.emulators.kind === "path") {
    emulators = await fromPath(req.emulators.path, opts, log);
  } else {
    emulators = findEmulators({ path: opts.path });
    const missing = req.platforms === "all" || req.platforms.some((p) => !emulators.some((e) => e.target === p.target) && !isHostTarget(getTarget(p.target), machine));
    if (missing && !aptInstalled()) {
      aptInstall(log);
      emulators = findEmulators({ path: opts.path });
    }
  }
  const platforms = wantedPlatforms(req, emulators, machine);
  const foreign = platforms.filter((p) => !isHostTarget(getTarget(p.target), machine));
  const persist = req.persist ? { write: (r) => writePersisted(r, { etcDir: opts.etcDir }), remove: (n) => removePersisted(n, { etcDir: opts.etcDir }) } : void 0;
  const items = foreign.length ? await installTargets({ targets: foreign.map((p) => p.target) }, { binfmtDir: opts.binfmtDir, emulators, machine, ...persist ? { persist } : {} }) : [];
  const byTarget = new Map(items.filter((i) => i.target).map((i) => [i.target, i]));
  for (const i of items) log(`${i.status.padEnd(10)} ${i.name}${i.interpreter ? ` \u2192 ${i.interpreter} (flags ${i.flags || "none"})` : ""}${i.reason ? `: ${i.reason}` : ""}`);
  const probes = req.verify ? verifyTargets(platforms.map((p) => p.target), { binfmtDir: opts.binfmtDir, machine }) : [];
  const results = platforms.map((p, n) => {
    const item = byTarget.get(p.target);
    const native = isHostTarget(getTarget(p.target), machine);
    const v = probes[n];
    const status = native ? "native" : item?.status ?? "failed";
    const r = {
      platform: p.platform,
      target: p.target,
      status,
      ok: v ? v.ok : native || IN_EFFECT.has(status),
      result: v?.result ?? null,
      entry: v?.entry ?? null,
      interpreter: v?.interpreter ?? item?.interpreter ?? null,
      flags: v?.flags ?? item?.flags ?? null
    };
    if (!r.ok) {
      if (item?.error) r.error = { ...item.error };
      else if (v?.error) r.error = { code: "PROBE_FAILED", message: v.error.message, ...v.error.hint ? { hint: v.error.hint } : {} };
      else if (!item) r.error = { code: "EMULATOR_NOT_FOUND", message: `no emulator for ${p.target}`, hint: "use emulators: apt, or a set that has it" };
      else r.error = { code: "PROBE_FAILED", message: item.reason ?? status };
    }
    return r;
  });
  const undo = results.filter((r) => !r.ok && (r.status === "installed" || r.status === "replaced"));
  if (undo.length) {
    const names = undo.map((r) => byTarget.get(r.target).name);
    uninstall(names, { binfmtDir: opts.binfmtDir, ...persist ? { persist } : {} });
    for (const r of undo) r.removed = true;
    log(`removed ${names.join(", ")}: registered but did not run`);
  }
  return results;
}

// src/action/main.ts
function oneLine(e) {
  if (isXarchError(e)) return `xarch: ${e.message}${e.hint ? ` (hint: ${e.hint})` : ""}`;
  return `xarch: ${e.message}`;
}
async function main(env) {
  const request = parseInputs(env);
  if (process.getuid?.() !== 0 && !env.XARCH_ACTION_SUDO) {
    const r = spawnSync7("sudo", ["-n", "-E", process.execPath, process.argv[1]], { stdio: "inherit", env: { ...env, XARCH_ACTION_SUDO: "1" } });
    if (r.error) throw new Error(`registering handlers needs root and sudo cannot run: ${r.error.message}`);
    return r.status ?? 1;
  }
  const out = (line) => process.stdout.write(`${line}
`);
  out(workflowCommand("group", "xarch: install and verify handlers"));
  let results;
  try {
    results = await setUp(request, {
      binfmtDir: env.XARCH_BINFMT_DIR || DEFAULT_BINFMT_DIR,
      etcDir: env.XARCH_ETC_DIR || "/etc",
      storeDir: request.store ?? defaultStoreDir(env),
      path: env.PATH ?? "",
      log: out
    });
  } finally {
    out("::endgroup::");
  }
  for (const r of results) {
    out(`${r.ok ? "runs     " : "FAILED   "} ${r.platform} (${r.target})${r.entry ? ` through ${r.entry}` : ""}${r.result ? `: ${r.result}` : ""}`);
    if (!r.ok) {
      const e = r.error;
      out(workflowCommand("error", `${r.platform} does not run: ${e?.message ?? r.status}${e?.hint ? ` (hint: ${e.hint})` : ""}`, { title: `xarch: ${r.platform}` }));
    }
  }
  const ran = results.filter((r) => r.ok).map((r) => r.platform);
  if (!setOutput(env, "platforms", JSON.stringify(ran))) out(workflowCommand("warning", "GITHUB_OUTPUT is not set: no outputs written"));
  setOutput(env, "details", JSON.stringify(results));
  return results.every((r) => r.ok) ? 0 : 1;
}
main(process.env).then(
  (code) => {
    process.exitCode = code;
  },
  (e) => {
    process.stdout.write(`${workflowCommand("error", oneLine(e))}
`);
    process.exitCode = 1;
  }
);
