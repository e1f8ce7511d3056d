// The CPU-model wrapper: a tiny static x86_64 program that binfmt_misc runs
// as a handler's interpreter and that execs QEMU with `-cpu MODEL`.
// binfmt_misc passes no options and no environment of its own to the
// interpreter (fs/binfmt_misc.c builds argv as [interpreter, (argv0 with P,)
// filename, args...]), so `install --cpu` registers this wrapper instead of
// QEMU. Pure: bytes out; hand-assembled like the self-test probes
// (src/core/probe.ts builds the ELF around the code).
//
// What it does, and why:
// - It reads AT_FLAGS from its own auxv: with P the kernel sets
//   AT_FLAGS_PRESERVE_ARGV0 (Linux 5.12+) and puts the program's argv[0]
//   after the filename. QEMU would read that bit from its own auxv, which a
//   second exec loses, so the wrapper turns it into QEMU's `-0 ARGV0`.
// - argv for QEMU: [emulator, -cpu, MODEL, (-0, argv0,) --, filename,
//   args...]; `--` ends QEMU's options (linux-user/main.c parse_args), so a
//   program named `-x` is still the program.
// - The environment is passed unchanged: nothing leaks into the guest's.
// - O cannot be passed on (AT_EXECFD is in the wrapper's auxv, not QEMU's),
//   so handlers with the wrapper are registered without O.
// - When execve fails (the emulator's path does not exist in the caller's
//   mount namespace: F opens the wrapper, not QEMU) it writes one line to
//   stderr and exits 127, as a shell does for a command it cannot run.
import { XarchError } from './errors.js';
import { buildElf, le32, type Layout } from './probe.js';

export interface CpuWrapperSpec {
  /** Absolute path of the emulator the wrapper execs. */
  emulator: string;
  /** QEMU CPU model (`-cpu help` names one per line). */
  model: string;
}

/** Exit status of the wrapper when it cannot exec the emulator. */
export const CPU_WRAPPER_EXIT = 127;

const enc = new TextEncoder();
const cstr = (s: string) => [...enc.encode(s), 0];

/** The wrapper's data: NUL-terminated strings, then the failure line; each string's offset. */
function wrapperData(spec: CpuWrapperSpec): { bytes: Uint8Array; at: Record<'emulator' | 'cpu' | 'model' | 'argv0' | 'end' | 'message', number>; messageLength: number } {
  const parts = {
    emulator: cstr(spec.emulator), cpu: cstr('-cpu'), model: cstr(spec.model), argv0: cstr('-0'), end: cstr('--'),
    message: [...enc.encode(`xarch cpu wrapper: cannot exec ${spec.emulator} -cpu ${spec.model} (not started by binfmt_misc, or the emulator is missing here)\n`)],
  };
  const at = {} as Record<keyof typeof parts, number>;
  const bytes: number[] = [];
  for (const [k, v] of Object.entries(parts) as [keyof typeof parts, number[]][]) {
    at[k] = bytes.length;
    bytes.push(...v);
  }
  return { bytes: Uint8Array.from(bytes), at, messageLength: parts.message.length };
}

function x86_64Code(l: Layout, d: ReturnType<typeof wrapperData>): Uint8Array {
  const a = (k: keyof typeof d.at) => le32(l.msg + d.at[k]);
  const stos = [0x48, 0xab];
  const lods = [0x48, 0xad];
  return Uint8Array.from([
    0x48, 0x8b, 0x1c, 0x24, // mov rbx, [rsp]                argc
    0x4c, 0x8d, 0x64, 0x24, 0x08, // lea r12, [rsp+8]         argv
    0x4d, 0x8d, 0x6c, 0xdc, 0x08, // lea r13, [r12+rbx*8+8]   envp
    0x4c, 0x89, 0xee, // mov rsi, r13
    ...lods, 0x48, 0x85, 0xc0, 0x75, 0xf9, // 1: lodsq; test rax, rax; jnz 1b   rsi: auxv
    0x45, 0x31, 0xf6, // xor r14d, r14d
    ...lods, 0x48, 0x89, 0xc2, ...lods, // 2: lodsq (type); mov rdx, rax; lodsq (value)
    0x48, 0x85, 0xd2, 0x74, 0x0b, // test rdx, rdx; jz 3f      AT_NULL
    0x48, 0x83, 0xfa, 0x08, 0x75, 0xee, // cmp rdx, 8 (AT_FLAGS); jne 2b
    0x49, 0x89, 0xc6, 0xeb, 0xe9, // mov r14, rax; jmp 2b
    0x41, 0x83, 0xe6, 0x01, // 3: and r14d, 1               AT_FLAGS_PRESERVE_ARGV0
    0x49, 0x8d, 0x46, 0x02, 0x48, 0x39, 0xc3, 0x72, 0x65, // lea rax, [r14+2]; cmp rbx, rax; jb fail
    0x48, 0x8d, 0x43, 0x08, 0x48, 0xc1, 0xe0, 0x03, // lea rax, [rbx+8]; shl rax, 3   argc+8 slots
    0x48, 0x29, 0xc4, 0x48, 0x83, 0xe4, 0xf0, 0x48, 0x89, 0xe7, // sub rsp, rax; and rsp, -16; mov rdi, rsp
    0xb8, ...a('emulator'), ...stos,
    0xb8, ...a('cpu'), ...stos,
    0xb8, ...a('model'), ...stos,
    0x49, 0x8d, 0x74, 0x24, 0x10, // lea rsi, [r12+16]        argv[2]
    0x45, 0x85, 0xf6, 0x74, 0x0b, // test r14d, r14d; jz 4f
    0xb8, ...a('argv0'), ...stos, ...lods, ...stos, // -0, argv[2] (the program's argv[0])
    0xb8, ...a('end'), ...stos, // 4: --
    0x49, 0x8b, 0x44, 0x24, 0x08, ...stos, // mov rax, [r12+8]; stosq   filename
    ...lods, ...stos, 0x48, 0x85, 0xc0, 0x75, 0xf7, // 5: lodsq; stosq; test rax, rax; jnz 5b   args and NULL
    0xbf, ...a('emulator'), // mov edi, emulator
    0x48, 0x89, 0xe6, 0x4c, 0x89, 0xea, // mov rsi, rsp; mov rdx, r13
    0xb8, ...le32(59), 0x0f, 0x05, // execve
    0xb8, ...le32(1), 0xbf, ...le32(2), // fail: write(2, message, length)
    0xbe, ...a('message'), 0xba, ...le32(d.messageLength), 0x0f, 0x05,
    0xbf, ...le32(CPU_WRAPPER_EXIT), 0xb8, ...le32(60), 0x0f, 0x05, // exit(127)
  ]);
}

/** Host CPUs the wrapper exists for. */
export const CPU_WRAPPER_HOSTS: readonly string[] = ['x86_64'];

/** The wrapper program for a host CPU (`uname -m`). */
export function buildCpuWrapper(hostMachine: string, spec: CpuWrapperSpec): Uint8Array {
  if (hostMachine !== 'x86_64') {
    throw new XarchError('HOST_FAMILY', `the CPU-model wrapper exists for ${CPU_WRAPPER_HOSTS.join(', ')} hosts, not ${hostMachine}`, {
      hint: 'use --cpu with xarch run or xarch shell (QEMU_CPU), or set QEMU_CPU where the program is started',
    });
  }
  if (!spec.emulator.startsWith('/')) throw new XarchError('EMULATOR_UNSAFE', `the wrapper needs the emulator's absolute path, not ${spec.emulator}`, { hint: 'give an absolute path' });
  if (!/^[A-Za-z0-9][A-Za-z0-9._+,=-]*$/.test(spec.model)) {
    throw new XarchError('CPU_MODEL_UNKNOWN', `'${spec.model}' is not a QEMU CPU model name`, { hint: "list the models with 'qemu-<cpu>-static -cpu help'" });
  }
  const data = wrapperData(spec);
  return buildElf({ elfClass: 64, order: 'little', machine: 62, flags: 0, base: 0x400000, code: (l) => x86_64Code(l, data) }, data.bytes);
}
